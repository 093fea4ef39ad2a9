"""The job's processes, seen from the runner: after a job none is left. From PID 1,
kill(-1, SIGKILL) reaches every other process in the container's PID namespace (daemons that
left the job's session included), and every one of them is reaped.
"""
import os
import signal
import sys
import time

from .settings import HOST_MODE
from .waiting import REKILL_S, wait4

# The last process the runner forked for a job: on a host (no PID namespace), its group is
# what kill_everything can reach.
LAST_CHILD = [0]


def kill_everything(child_pid):
    """Kill every process but this one, and reap them."""
    if not HOST_MODE and os.getpid() == 1:
        # From PID 1, kill(-1) reaches every other process in the container's PID
        # namespace, including daemons that double-forked out of the job's session.
        for _ in range(100):
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                pass
            # Wait (not WNOHANG) for every child to die: SIGKILL lands asynchronously, and a
            # non-blocking reap on a busy machine left the dying ones behind as zombies.
            # Orphans are re-parented to us before their parent's exit is reported, so this
            # also collects a double-forked daemon's process.
            reap(block=True)
            if not other_pids():
                break
    elif child_pid:
        try:
            os.killpg(child_pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    reap()


def other_pids():
    """Every process in /proc but this one."""
    me = os.getpid()
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != me:
            pids.append(int(name))
    return pids


def reap(block=False):
    """Reap every child that has exited (with block, every child, waiting for each; where exits
    come by SIGCHLD, for at most REKILL_S, after which the caller kills again: see waiting.py)."""
    # One deadline for the whole reap: children that keep exiting must not keep it from ending.
    deadline = time.monotonic() + REKILL_S
    while True:
        try:
            pid = wait4(-1, max(0.0, deadline - time.monotonic()))[0] if block else os.waitpid(-1, os.WNOHANG)[0]
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_everything_safe():
    """kill_everything for the last child, logging (never raising) a failure."""
    try:
        kill_everything(LAST_CHILD[0])
    except Exception as e:  # never let cleanup take the runner down
        sys.stderr.write("runner: cleanup failed: %r\n" % (e,))
