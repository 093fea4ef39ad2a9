"""Running a job: fork its processes one after another (the first reads the job and reports its
shape; with continue_after_crash a crashed test's successors run in a new one), watch each one's
frames, output and time from outside, and stop it and everything else the job started. While
they run, the host may cut the job short (control.py).
"""
import os
import signal
import time

from .child import child_main
from .clock import oom_kills
from .codec import frame_cost
from .collect import FrameReader, Sent, frame_header, state_of
from .framing import zero
from .job_frame import parse_host
from .limits import DRAIN_WAIT_S, EXIT_GRACE_S, META_CAP, META_WAIT_S, Phase
from .processes import LAST_CHILD, kill_everything_safe
from .scratch import fresh_workdir
from .settings import HOST_MODE
from .waiting import ExitWatch, readable, wait4


def _await_meta(reader, fd, exits):
    """The first frame of a job's first process (its shape), and any frames after it."""
    deadline = time.monotonic() + META_WAIT_S
    exited = False
    frames = []
    while True:
        got, over = reader.read(fd)
        frames += got
        if frames or over or reader.eof or exited:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            break
        exited = exits.fd in readable([fd, exits.fd], left) and exits.exited()
    if not frames:
        return None, []
    meta = parse_host(frames[0])
    return (meta if isinstance(meta, dict) else None), frames[1:]


class _ChildRun:
    """One process of a job, from its fork until every process of the job is gone."""

    def __init__(self, job, start, end):
        self.job = job
        self.start = start
        self.end = end
        self.cut_reached = False  # every test before the host's cut is in: stop the process now
        self.load = None
        self.nxt = start
        self.finishing = False  # every frame it owes is in: it only has to exit
        self.ending = None  # why the parent stopped it in the middle of a phase
        self.phase = None
        self.pid = 0
        self.r_res = -1

    def take(self, body):
        """Account for one frame from the child; sets `ending` when it breaks the protocol."""
        job = self.job
        if self.finishing or self.ending is not None:
            zero(body)
            return
        head = frame_header(body)
        if self.load is None:
            if head is None or head[0] != "load":
                zero(body)
                self.ending = {"st": "protocol", "msg": "malformed load frame"}
                return
            self.load = Sent(head[1], body)
            if head[1] != "ok" or self.nxt >= self.end:
                self.finishing = True
            else:
                self.phase = Phase(job, job.limit(self.nxt), self.pid)
            return
        if head is None or head[0] != "test" or head[1] != self.nxt:
            zero(body)
            self.ending = {"st": "protocol", "msg": "result frame out of order or malformed"}
            return
        # Held to the value budget by what the frame costs decoded, not by its bytes alone.
        cost = frame_cost(body)
        job.value_total += cost
        if cost > job.frame_cap or job.value_total > job.value_cap:
            zero(body)
            self.ending = self.value_limit(cost)
            return
        job.results[self.nxt] = Sent(head[2], body, time.monotonic() - self.phase.start, job.output.segment)
        self.nxt += 1
        if self.nxt >= self.end:
            self.finishing = True
            self.cut_reached = self.end < job.n and self.end == job.stop
        else:
            self.phase = Phase(job, job.limit(self.nxt), self.pid)

    def cut(self):
        """Cut the tests not started yet in two (by their CPU limits, the host's best estimate of
        their cost): this process ends after test k, the host runs [k, end) elsewhere; test k
        runs on both sides (control.py). Returns (k, end, the CPU seconds the job has used), or
        None when there is nothing to cut."""
        job = self.job
        lo, hi = self.nxt, self.end
        if self.finishing or self.ending is not None or hi != job.stop or hi - lo < 3:
            return None
        weights = [job.limit(i) for i in range(lo, hi)]
        total = sum(weights)
        best, best_gap, left = None, None, 0.0
        for k in range(lo + 1, hi - 1):
            left += weights[k - 1 - lo]
            # This side keeps [lo, k], the other takes [k, hi).
            gap = abs((left + weights[k - lo]) - (total - left))
            if best_gap is None or gap < best_gap:
                best, best_gap = k, gap
        if best is None:
            return None
        self.end = job.stop = best + 1
        used = job.cpu_before + job.clock.used(self.pid) - job.child_cpu0
        return best, hi, round(max(0.0, used), 6)

    def stop_now(self):
        """The host no longer needs this job: stop its process at once (control.py)."""
        if self.finishing or self.ending is not None:
            return
        self.end = self.job.stop = self.nxt
        self.cut_reached = True

    def value_limit(self, cost):
        if cost > self.job.frame_cap:
            return {"st": "output_limit", "msg": "return value exceeds %d bytes" % self.job.value_bytes}
        return {"st": "output_limit", "msg": "return values exceed %d bytes in all" % self.job.value_cap}

    def take_all(self, reader, fd):
        frames, over = reader.read(fd)
        for body in frames:
            self.take(body)
        if over and not self.finishing and self.ending is None:
            self.ending = self.value_limit(self.job.frame_cap + 1)

    def watch(self, reader, streams, exits):
        """Read the child's frames and output until it exits, breaks a limit or, once it has
        sent everything, its exit grace is over. Returns whether it exited."""
        output = self.job.output
        control = self.job.control
        grace_end = 0.0
        while self.ending is None:
            if self.cut_reached:
                # What the tests before the cut printed is in the pipes now; what comes after
                # belongs to tests the host runs elsewhere, and is not counted here.
                _drain(streams, output, 0.0)
                output.freeze()
                return False
            if self.finishing:
                grace_end = grace_end or time.monotonic() + EXIT_GRACE_S
                wait = grace_end - time.monotonic()
                if wait <= 0:
                    return False
            else:
                wait = self.phase.wait(self.pid)
                if wait is None:
                    self.ending = {"st": "timeout"}
                    if self.phase.over_budget:
                        self.ending["msg"] = "the sample's time budget of %g s is spent" % self.job.sample_s
                        self.job.budget_spent = True
                    return False
            host = control.fds() if control is not None else []
            for fd in readable(list(streams) + [exits.fd] + host, wait):
                if fd in host:
                    control.read(self)
                    continue
                if fd == exits.fd:
                    if not exits.exited():
                        continue  # another process's SIGCHLD (see waiting.py)
                    if self.ending is None and self.r_res in streams:
                        self.take_all(reader, self.r_res)  # what it wrote just before it exited
                    return True
                if streams[fd] == 3:
                    self.take_all(reader, fd)
                    if reader.eof or reader.over:
                        os.close(fd)
                        del streams[fd]
                    continue
                n, within = output.read(fd, streams[fd])
                if n == 0:
                    os.close(fd)
                    del streams[fd]
                elif not within:
                    if self.finishing or self.ending is not None:
                        return False  # counted to the end all the same (see _finish_child)
                    self.ending = {"st": "output_limit", "msg": "output exceeds %d bytes" % output.limit}
                if self.ending is not None:
                    return False
        return False


def _run_child(job, start, end, workdir):
    """Fork one process for tests[start:end] (end None: the job's first, which reports its
    shape) and fill job.results. Every process of the job is gone on return.

    Returns (load, next_index, rss_kb, crashed): `crashed` when the process ended in the
    middle of a phase (time limit, output, memory, signal, exit, protocol).
    """
    reader = FrameReader(META_CAP if job.meta is None else job.frame_cap)
    r_res, w_res = os.pipe()
    r_out, w_out = os.pipe()
    r_err, w_err = os.pipe()
    oom_before = oom_kills()
    exits = ExitWatch()
    pid = os.fork()
    if pid == 0:
        os.close(r_res)
        os.close(r_out)
        os.close(r_err)
        child_main(job.frame, start, end, workdir, (w_out, w_err, w_res))
    LAST_CHILD[0] = pid
    job.child_cpu0 = job.clock.used(pid)
    for fd in (w_res, w_out, w_err):
        os.close(fd)
    os.set_blocking(r_res, False)
    exits.attach(pid)
    streams = {r_res: 3, r_out: 1, r_err: 2}
    early = []
    if job.meta is None:
        meta, early = _await_meta(reader, r_res, exits)
        job.set_meta(meta)
        if not job.runnable:
            for body in early:
                zero(body)
            os.kill(pid, signal.SIGKILL)
            wait4(pid)
            exits.close()
            for fd in streams:
                os.close(fd)
            if meta is None:
                raise RuntimeError("the job process could not read its job")
            return None, start, 0, False
        end = int(meta["end"])
        reader.cap = job.frame_cap
    job.children += 1
    job.output.start_child(start in job.stdio)
    run = _ChildRun(job, start, end)
    run.pid, run.r_res = pid, r_res
    run.phase = Phase(job, job.load_s, pid)
    for body in early:
        run.take(body)
    exited = run.watch(reader, streams, exits) if run.ending is None else False
    status, rusage = _finish_child(job, pid, exited, streams)
    exits.close()
    reader.scrub()
    load, nxt, ending = run.load, run.nxt, run.ending
    if ending is None and not run.finishing:
        # The child ended on its own in the middle of a phase.
        ending = _death(status, oom_before)
    crashed = ending is not None
    if crashed:
        if load is None:
            load = ending
        else:
            job.results[nxt] = dict(ending, i=nxt, t=time.monotonic() - run.phase.start)
            nxt += 1
    return load, nxt, rusage.ru_maxrss, crashed


def _finish_child(job, pid, exited, streams):
    """Stop the child and everything else the job started, then count what they wrote.

    Output counts until the job's last process is gone: once none is left, nothing can write
    to the pipes, and what they hold is read to the end. Over the limit is output_limit,
    whatever the job reported before (job.overflow).
    """
    if not exited:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # The CPU clock before the processes are reaped (the /proc sum forgets the dead).
    job.cpu_before += job.clock.used(pid) - job.child_cpu0
    _, status, rusage = wait4(pid)
    kill_everything_safe()
    _drain(streams, job.output, DRAIN_WAIT_S if not HOST_MODE else 0.0)
    for fd in list(streams):
        os.close(fd)
    if job.output.total > job.output.limit:
        job.overflow = True
    return status, rusage


def _drain(streams, output, wait_s):
    """Read what the pipes hold, to EOF where every writer is gone, and never past the limit."""
    fds = [fd for fd, s in streams.items() if s != 3]
    for fd in fds:
        os.set_blocking(fd, False)
    deadline = time.monotonic() + wait_s
    while fds and output.total <= output.limit:
        ready = readable(fds, max(0.0, deadline - time.monotonic()))
        if not ready:
            return
        for fd in ready:
            try:
                n = output.read(fd, streams[fd])[0]
            except BlockingIOError:
                continue
            except OSError:
                n = 0
            if n == 0:
                fds.remove(fd)


def _death(status, oom_before):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGKILL and oom_kills() > oom_before:
            return {"st": "memory", "msg": "killed by the out-of-memory killer"}
        return {"st": "killed", "sig": sig, "msg": _signame(sig)}
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    return {"st": "exited", "code": code, "msg": "exited with code %d" % code}


def _signame(sig):
    try:
        return signal.Signals(sig).name
    except ValueError:
        return "signal %d" % sig


def run_job(job):
    """Run a job's processes; fills `job`. No process of the job is left on return; its
    scratch space is emptied after the result is sent (see _serve)."""
    job.workdir = fresh_workdir()
    # A container's clock counts every process of the job (see clock.py); a host's only one child.
    if job.clock.source != "child":
        job.cpu0 = job.clock.used(0)
    try:
        start, end = 0, None  # the first process reads the job and says where its run ends
        while True:
            child_load, nxt, child_rss, crashed = _run_child(job, start, end, job.workdir)
            if not job.runnable:
                return
            job.rss = max(job.rss, child_rss)
            for i in range(start, min(max(nxt, start + 1), len(job.child_of))):
                job.child_of[i] = start
            if job.load is None:
                job.load = child_load
            if state_of(child_load) != "ok":
                if start > 0:
                    # A later process failed to load: report it on the test it was for.
                    job.results[start] = child_load
                break
            if job.budget_spent or (crashed and not job.continue_after_crash):
                break
            start = max(nxt, start + 1)
            if start >= job.stop:
                break
            end = min(job.end_after(start), job.stop)
    finally:
        kill_everything_safe()
        job.wall_s = time.monotonic() - job.t0
        if job.cpu0 is not None:
            job.cpu_s = round(max(0.0, job.clock.used(0) - job.cpu0), 6)
