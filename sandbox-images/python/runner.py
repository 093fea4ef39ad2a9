"""verdict's in-container runner: the main loop. The rest is the package verdict_runner/,
installed beside this file at /opt/verdict/ (docs/ARCHITECTURE.md, "The runner protocol").

Runs as the container's main process (PID 1, root with a handful of capabilities) and speaks
length-prefixed JSON frames on stdin/stdout: a hello, then one host frame at a time, each
answered (a job with its result, then `ready` once the scratch space is empty again).
Started as `python3 -S -B runner.py`: without `site`, so the package is found only as this
file's neighbour (sys.path[0]).

`--host` runs the same protocol on a host with no isolation at all; it exists only as the
physical reference for `verdict bench` and must never be used to judge samples.
"""
import builtins
import gc
import os
import platform
import signal
import sys

# Modules that sample programs commonly import: importing them once here makes every
# forked job start warm (a fork costs ~1 ms; importing `re` and friends costs more).
for _name in (
    "re", "math", "cmath", "collections", "itertools", "functools", "heapq", "bisect",
    "string", "operator", "random", "statistics", "fractions", "decimal", "datetime",
    "copy", "array", "typing", "dataclasses", "enum", "sys", "os", "io", "struct",
    "hashlib", "textwrap", "unicodedata", "numbers", "queue", "types", "calendar",
):
    try:
        __import__(_name)
    except Exception:  # a stripped image may lack one; jobs just import it themselves
        pass

if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)

from verdict_runner import waiting  # noqa: E402
from verdict_runner.assemble import assemble, in_fork, send_memfd  # noqa: E402
from verdict_runner.clock import JobClock  # noqa: E402
from verdict_runner.collect import Sent  # noqa: E402
from verdict_runner.confine import CONFINEMENT  # noqa: E402
from verdict_runner.control import HostControl, answer_cut, cut_request  # noqa: E402
from verdict_runner.framing import read_host_frame, write_frame, zero  # noqa: E402
from verdict_runner.job_frame import SMALL_FRAME, job_meta, parse_host  # noqa: E402
from verdict_runner.job_run import run_job  # noqa: E402
from verdict_runner.limits import Job  # noqa: E402
from verdict_runner.scratch import cleanup_workdir  # noqa: E402
from verdict_runner.settings import HOST_MODE  # noqa: E402

PROTOCOL = 2

# Functions below see a private copy of the builtins, like every function a job's process runs.
__builtins__ = dict(builtins.__dict__)  # noqa: A001


def _answer(meta):
    """Answer a frame that is not a job to run; False when the host asked the runner to exit."""
    op = meta["op"]
    if op == "exit":
        return False
    if op == "ping":
        write_frame(1, {"op": "pong"})
    elif op == "bad":
        write_frame(1, {"op": "error", "message": "frame is not UTF-8 JSON"})
    elif op == "unknown":
        write_frame(1, {"op": "error", "message": "unknown op %s" % meta["name"]})
    else:
        write_frame(1, {"op": "error", "id": meta.get("id"), "message": meta.get("problem", "invalid job")})
    return True


def _serve(frame, clock, control):
    """Answer one host frame; False when the host asked the runner to exit.

    A job's result goes out as soon as its last process is gone; the scratch space is emptied
    after that, on nobody's deadline, and `ready` tells the host the runner can take the next
    job (a runner that never says so is replaced by the host, the job it ran keeps its result).
    """
    if len(frame.buf) <= SMALL_FRAME:
        request = cut_request(frame)
        if request is not None:
            answer_cut(request[0], None)  # the job it was for is over (control.py)
            return True
        return _answer(job_meta(parse_host(frame.buf)))
    job = Job(frame, clock, control)
    answered = False
    try:
        run_job(job)
        if not job.runnable:
            return _answer(job.meta)
        result_fd = in_fork(assemble, job)
        if result_fd is None:
            raise RuntimeError("the result could not be assembled")
        try:
            send_memfd(result_fd, 1)
            answered = True
        finally:
            os.close(result_fd)
    except Exception as e:
        job_id = job.meta.get("id") if isinstance(job.meta, dict) else None
        write_frame(1, {"op": "error", "id": job_id, "message": "runner failed: %r" % (e,)})
    finally:
        _scrub_job(job)
        if job.workdir is not None:
            try:
                cleanup_workdir(job.workdir)
            except Exception as e:  # never let cleanup take the runner down
                sys.stderr.write("runner: cleanup failed: %r\n" % (e,))
        if answered:
            write_frame(1, {"op": "ready"})
    return True


def _scrub_job(job):
    """Zero every buffer that held the job's data (its output, its processes' frames)."""
    job.output.scrub()
    for r in job.results + [job.load]:
        if isinstance(r, Sent):
            zero(r.body)


def main():
    clock = JobClock()
    if not HOST_MODE and os.getpid() == 1:
        # PID 1 ignores signals it has no handler for; make that explicit for SIGPIPE so a
        # vanished host is seen as EOF/EPIPE instead.
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    waiting.start()
    problem = CONFINEMENT.problem()
    if problem is not None:
        write_frame(1, {"op": "error", "message": "runner cannot run jobs here: %s" % problem})
        return 2
    gc.freeze()
    write_frame(1, {
        "op": "hello",
        "protocol": PROTOCOL,
        "python": platform.python_version(),
        "pid": os.getpid(),
        "uid": os.getuid(),
        "host_mode": HOST_MODE,
    })
    control = HostControl()
    while True:
        if control.later:
            frame = control.later.pop(0)  # came while a job ran (control.py)
        elif control.broken is not None:
            write_frame(1, {"op": "error", "message": control.broken})
            return 2
        elif control.eof:
            return 0
        else:
            try:
                frame = read_host_frame(0)
            except ValueError as e:  # a length above the limit: the stream cannot be trusted
                write_frame(1, {"op": "error", "message": "unreadable frame: %s" % e})
                return 2
            if frame is None:
                return 0
        try:
            if not _serve(frame, clock, control):
                return 0
        finally:
            frame.scrub()
        gc.collect()


if __name__ == "__main__":
    sys.exit(main())
