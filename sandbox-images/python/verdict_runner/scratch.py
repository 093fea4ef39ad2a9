"""The job's scratch space, emptied after every job: /tmp (the working directory /tmp/job is
in it), /dev/shm and /dev/mqueue, by directory fd and never following a symlink, at any depth;
and System V IPC objects, which outlive every process.
"""
import os
import tempfile

from .settings import HOST_MODE, JOB_GID, JOB_UID, read_text
from .waiting import wait4

# Everything a job can write to in the container: emptied after every job.
SCRATCH_DIRS = ("/tmp", "/dev/shm", "/dev/mqueue")
WORKDIR = "/tmp/job"

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_dir(name, dir_fd=None):
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except PermissionError:
        if not HOST_MODE:
            return None
        # On a host the runner is not root: make the job's own unreadable directory readable.
        try:
            os.chmod(name, 0o700, dir_fd=dir_fd)
            return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
        except OSError:
            return None
    except OSError:
        return None


def _names(fd):
    try:
        return os.listdir(fd)
    except OSError:
        return []


def empty_dir(path):
    """Remove everything inside `path`, however deep or wide, never following a symlink.

    Works by directory fd, one level open at a time, so neither the recursion limit, nor
    PATH_MAX, nor the open-files limit stops it; by then no job process is left to race it.
    """
    fd = _open_dir(path)
    if fd is None:
        return
    stack = []  # (name of the directory we are in, names still to remove in its parent)
    names = _names(fd)
    while True:
        if names:
            name = names.pop()
            try:
                os.unlink(name, dir_fd=fd)
                continue
            except (IsADirectoryError, PermissionError):
                pass  # a directory (EISDIR, or EPERM on some systems): empty it first
            except OSError:
                continue
            sub = _open_dir(name, fd)
            if sub is None:
                continue
            stack.append((name, names))
            os.close(fd)
            fd, names = sub, _names(sub)
            continue
        if not stack:
            break
        name, names = stack.pop()
        parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
        os.close(fd)
        fd = parent
        try:
            os.rmdir(name, dir_fd=fd)
        except OSError:
            pass
    os.close(fd)


def _remove_sysv_ipc():
    """Remove the System V shared memory, semaphores and message queues a job made.

    They outlive processes and are private to the container's IPC namespace, so without
    this a later job would find them. Only their creator may remove them, hence a helper
    that becomes the job uid.
    """
    found = False
    for kind in ("shm", "sem", "msg"):
        try:
            if len(read_text("/proc/sysvipc/" + kind).splitlines()) > 1:
                found = True
        except OSError:
            pass
    if not found:
        return
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setgid(JOB_GID)
            os.setuid(JOB_UID)
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            ipc_rmid = 0
            removers = {
                "shm": lambda i: libc.shmctl(i, ipc_rmid, None),
                "sem": lambda i: libc.semctl(i, 0, ipc_rmid),
                "msg": lambda i: libc.msgctl(i, ipc_rmid, None),
            }
            for kind, remove in removers.items():
                for line in read_text("/proc/sysvipc/" + kind).splitlines()[1:]:
                    fields = line.split()
                    if len(fields) > 1:
                        remove(int(fields[1]))
            code = 0
        finally:
            os._exit(code)
    wait4(pid)


def fresh_workdir():
    """A new, empty working directory owned by the job uid (the scratch space emptied first)."""
    if HOST_MODE:
        return tempfile.mkdtemp(prefix="verdict-job-")
    _clean_scratch()
    os.mkdir(WORKDIR, 0o700)
    os.chown(WORKDIR, JOB_UID, JOB_GID)
    return WORKDIR


def _clean_scratch():
    for d in SCRATCH_DIRS:
        empty_dir(d)
    _remove_sysv_ipc()


def cleanup_workdir(workdir):
    """Empty the scratch space after a job (on a host: remove its working directory)."""
    if HOST_MODE:
        empty_dir(workdir)
        try:
            os.rmdir(workdir)
        except OSError:
            pass
    else:
        _clean_scratch()
