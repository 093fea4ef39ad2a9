"""Where this runner runs, read once at start: a container (PID 1, root) or, with `--host`, a
host with no isolation at all (`verdict bench`'s reference only); the job's uid and gid; the
hash seed every job gets; and what the container's kernel offers. Under gVisor (runsc) that
differs from Linux: see docs/gvisor-notes.md and, for each difference, the module handling it.
"""
import os
import sys

HOST_MODE = "--host" in sys.argv
JOB_UID = 10000
JOB_GID = 10000
HASH_SEED = os.environ.get("PYTHONHASHSEED", "0")
# Whether the runner can list what a job leaves in the IPC namespace: System V objects
# (/proc/sysvipc) and POSIX message queues (/dev/mqueue). gVisor 20221219 has neither listing;
# confine.py then keeps jobs from making them.
SYSV_LISTED = os.path.isdir("/proc/sysvipc")
MQUEUE_LISTED = os.path.isdir("/dev/mqueue")


def _job_nproc():
    """RLIMIT_NPROC for the job uid, when the host asks for one (0: none).

    The host sets VERDICT_JOB_NPROC where the container's pids limit cannot cap the job's
    processes: under gVisor it counts the sandbox's own host threads, so the container gets a
    far larger one and this caps the job inside (counted in the sandbox only). Under runc the
    container's pids limit does it, and RLIMIT_NPROC would count uid 10000 across the host.
    """
    text = os.environ.get("VERDICT_JOB_NPROC", "")
    return int(text) if text.isdigit() else 0


JOB_NPROC = _job_nproc()


def read_text(path):
    """A small text file's content (OSError when it cannot be read)."""
    with open(path) as f:
        return f.read()
