"""A job's process: forked from the runner, it reads the job from the raw frame it inherited,
drops to the job uid with its limits set, runs the program and the setup code, then each test,
and reports one frame per phase on the result pipe (fd 3). Nothing here trusts the program:
what it runs after the program is bound at import (see codec.py and framing.py).
"""
import builtins
import os
import resource
import sys

from .codec import TooLarge, Unserializable, decode_value, encode_value, type_name
from .framing import encode_json, frame_bytes, pack_length, write_all
from .job_frame import job_meta, parse_host
from .confine import CONFINEMENT
from .settings import HASH_SEED, HOST_MODE, JOB_GID, JOB_NPROC, JOB_UID
from .waiting import in_child

RESULT_FD = 3

# Functions below see a private copy of the builtins (read when each is made), so a program
# patching `builtins` in its process does not reach them; the program itself gets the real one.
__builtins__ = dict(builtins.__dict__)  # noqa: A001
_write = os.write


def _safe_str(e, limit=2000):
    try:
        s = str(e)
    except BaseException:
        s = "<unprintable exception>"
    if type(s) is not str:
        s = "<unprintable exception>"
    return s[:limit]


def _exc_payload(e):
    """(state, payload) for an exception the program raised."""
    if isinstance(e, MemoryError):
        return "memory", {"exc": "MemoryError", "msg": _safe_str(e)}
    # Clipped like the message: a class name can be as long as the program likes.
    return "raised", {"exc": type_name(e)[:200], "msg": _safe_str(e)}


def _send(header, payload):
    """One frame on the result channel: a header line the parent reads, then the payload."""
    data = (encode_json(header) + "\n" + encode_json(payload)).encode("ascii")
    write_all(RESULT_FD, pack_length(len(data)) + data)


def _send_load(st, payload=None):
    _send({"load": st}, payload or {})


def _send_test(i, st, payload=None):
    _send({"i": i, "st": st}, payload or {})


def _stdin_fd(text):
    """The stdin of a stdio test, in memory: the runner writes nothing where the job can write."""
    if text is None:
        return os.open("/dev/null", os.O_RDONLY)
    fd = os.memfd_create("stdin", 0)
    write_all(fd, text.encode("utf-8", "surrogateescape"))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _child_setup(workdir, memory_mb, stdin_text, fds):
    os.setsid()
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if JOB_NPROC > 0:
        resource.setrlimit(resource.RLIMIT_NPROC, (JOB_NPROC, JOB_NPROC))
    stdin_fd = _stdin_fd(stdin_text)
    if not HOST_MODE:
        os.setgroups([])
        os.setgid(JOB_GID)
        os.setuid(JOB_UID)
        CONFINEMENT.apply()
    os.chdir(workdir)
    # Move the three pipe ends out of the way, then onto fds 1, 2 and 3.
    high = [os.dup(fd) for fd in fds]
    os.dup2(stdin_fd, 0)
    os.dup2(high[0], 1)
    os.dup2(high[1], 2)
    os.dup2(high[2], RESULT_FD)
    os.closerange(RESULT_FD + 1, 1 << 16)
    os.environ.clear()
    os.environ.update({
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": HASH_SEED,
    })
    sys.stdin = open(0, "r", encoding="utf-8", errors="surrogateescape", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.argv = ["program.py"]


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def _child_run(job, args, start, end, value_bytes):
    program = job["program"]
    setup = job.get("setup") or ""
    tests = job["tests"]
    stdio = tests[start]["kind"] == "stdio" if start < len(tests) else False
    ns = {"__name__": "__main__" if stdio else "__verdict__", "__builtins__": builtins}
    try:
        code = compile(program, "<program>", "exec")
    except (SyntaxError, ValueError) as e:
        _send_load("syntax_error", {"exc": type_name(e), "msg": _safe_str(e),
                                    "line": getattr(e, "lineno", None)})
        return
    except MemoryError as e:
        _send_load(*_exc_payload(e))
        return
    if stdio:
        _send_load("ok")
        st, payload = "value", {}
        try:
            exec(code, ns)
        except SystemExit as e:
            if e.code not in (None, 0):
                st, payload = "raised", {"exc": "SystemExit", "msg": _safe_str(e.code)}
        except BaseException as e:
            st, payload = _exc_payload(e)
        _flush()
        _send_test(start, st, payload)
        return
    try:
        exec(code, ns)
        if setup:
            exec(compile(setup, "<setup>", "exec"), ns)
    except BaseException as e:
        _flush()
        _send_load(*_exc_payload(e))
        return
    _send_load("ok")
    for i in range(start, end):
        test = tests[i]
        kind = test["kind"]
        try:
            if kind == "call":
                fn = ns.get(test["fn"])
                if fn is None:
                    raise NameError("name %r is not defined" % test["fn"])
                value = fn(*args[i])
                if test.get("project") == "not_none":
                    value = value if type(value) is bool else value is not None
            elif kind == "expr":
                value = eval(compile(test["src"], "<test>", "eval"), ns)
            elif kind == "exec":
                exec(compile(test["src"], "<test>", "exec"), ns)
                value = None
            else:
                raise ValueError("unknown test kind %r" % kind)
            try:
                st, payload = "value", {"v": encode_value(value, value_bytes)}
            except Unserializable as e:
                st, payload = "unserializable", {"msg": _safe_str(e)}
            except TooLarge as e:
                st, payload = "output_limit", {"msg": _safe_str(e)}
        except BaseException as e:
            st, payload = _exc_payload(e)
        _send_test(i, st, payload)
    _flush()


def child_main(frame, start, end, workdir, fds):
    """A job process: read the job from the raw frame it inherited, run tests[start:end].

    The first process of a job (end is None) first reports the job's shape and limits on the
    result pipe, before any program code runs, so the parent never has to parse a job.
    """
    code = 0
    try:
        in_child()
        job = parse_host(frame.buf)
        if end is None:
            meta = job_meta(job)
            write_all(fds[2], frame_bytes(meta))
            if "end" not in meta:
                return
            end = meta["end"]
        limits = job["limits"]
        tests = job["tests"]
        if not tests:
            # A job with no tests still loads the program (a syntax check, or setup).
            tests = job["tests"] = [{"kind": "exec", "src": "pass"}]
        args = {i: [decode_value(a) for a in tests[i].get("args", [])]
                for i in range(start, end) if tests[i]["kind"] == "call"}
        stdin_text = tests[start].get("stdin", "") if tests[start]["kind"] == "stdio" else None
        _child_setup(workdir, int(limits.get("memory_mb", 0)), stdin_text, fds)
        _child_run(job, args, start, end, int(limits["value_bytes"]))
    except BaseException as e:
        code = 70
        try:
            _write(2, ("runner: job process failed: %s\n" % type_name(e)).encode("ascii"))
        except BaseException:
            pass
    finally:
        os._exit(code)
