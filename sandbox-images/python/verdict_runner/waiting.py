"""Waiting on a job's processes: for their pipes to hold data, for one of them to exit, and
for a child to be reaped.

Pipes are waited on with poll(): under gVisor (runsc 20221219 with --oci-seccomp) select()
fails with EPERM. A process's exit is a pidfd becoming readable; where pidfd_open does not
exist (gVisor 20221219: ENOSYS), it is SIGCHLD through a self-pipe, counted as that process's
exit only when waitid(WNOWAIT) says it has exited (any child's SIGCHLD wakes the runner up).
Either way the process is left for the runner to reap. There, reaping looks with WNOHANG at
every SIGCHLD and at least every REAP_POLL_S, and gives up after a while when told to: a
process a fork bomb forks while kill(-1) runs can escape that kill under gVisor 20221219 and
go on forking, so the runner must kill again rather than wait on it forever.
"""
import errno
import os
import select
import signal
import time

# The read end of the SIGCHLD self-pipe; None while pidfds are used.
_SIGCHLD_PIPE = [None]
_EVENTS = select.POLLIN | select.POLLPRI
# Where exits come by SIGCHLD: the longest a reap waits between two looks, and how long the
# runner waits for killed processes before it kills again.
REAP_POLL_S = 0.01
REKILL_S = 0.25


def start():
    """Choose how exits are waited for (pidfd, else SIGCHLD); called once, in the runner."""
    try:
        os.close(os.pidfd_open(os.getpid()))
        return
    except OSError as e:
        if e.errno != errno.ENOSYS:
            raise
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    # A handler (not SIG_IGN, which would reap children by itself) so the signal is delivered,
    # and interrupted system calls are retried (PEP 475).
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(w, warn_on_full_buffer=False)
    _SIGCHLD_PIPE[0] = r


def exit_source():
    """How exits are seen: "pidfd" or "sigchld"."""
    return "pidfd" if _SIGCHLD_PIPE[0] is None else "sigchld"


def in_child():
    """Undo start() in a fork, before it runs anything else: its children are not the runner's."""
    if _SIGCHLD_PIPE[0] is not None:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)


def readable(fds, timeout_s):
    """The fds among `fds` that have data, are at EOF or failed, waiting at most timeout_s
    seconds for one (None: no limit)."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, _EVENTS)
    # poll counts in milliseconds: round up, so a short wait is never a busy loop.
    ms = None if timeout_s is None else max(0, int(timeout_s * 1000 + 0.999))
    ready = {fd for fd, _ in poller.poll(ms)}
    return [fd for fd in fds if fd in ready]  # in the caller's order, as select() gave them


def wait4(pid, within=None):
    """os.wait4(pid, 0): (pid, status, rusage) once the child (-1: any child) has exited;
    ChildProcessError when there is none. Where exits come by SIGCHLD it polls (see above) and,
    given `within` seconds, returns (0, 0, None) when they pass first."""
    if _SIGCHLD_PIPE[0] is None:
        return os.wait4(pid, 0)
    deadline = None if within is None else time.monotonic() + within
    while True:
        got = os.wait4(pid, os.WNOHANG)
        if got[0] != 0:
            return got
        if deadline is not None and time.monotonic() >= deadline:
            return 0, 0, None
        if readable([_SIGCHLD_PIPE[0]], REAP_POLL_S):
            _drain(_SIGCHLD_PIPE[0])


class ExitWatch:
    """Tells when one child exits: `fd` turns readable, then exited() says whether it has.

    Made before the fork and attached to the pid after it, so a SIGCHLD that comes before the
    runner starts waiting is not lost.
    """

    def __init__(self):
        self.pid = 0
        self.fd = -1
        if _SIGCHLD_PIPE[0] is not None:
            _drain(_SIGCHLD_PIPE[0])  # what earlier children's ends left behind

    def attach(self, pid):
        """Watch `pid` (a child forked since this watch was made)."""
        self.pid = pid
        self.fd = os.pidfd_open(pid) if _SIGCHLD_PIPE[0] is None else _SIGCHLD_PIPE[0]

    def exited(self):
        """After `fd` turned readable: whether the child has exited (else wait on)."""
        if _SIGCHLD_PIPE[0] is None:
            return True
        _drain(self.fd)
        return os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

    def close(self):
        """Release the pidfd (the self-pipe stays, for the next child)."""
        if _SIGCHLD_PIPE[0] is None and self.fd >= 0:
            os.close(self.fd)
        self.fd = -1


def _drain(fd):
    try:
        while os.read(fd, 512):
            pass
    except BlockingIOError:
        pass
