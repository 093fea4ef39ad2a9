"""What a job may not make where the runner could not remove it after the job.

System V IPC objects and POSIX message queues outlive every process. The runner removes what a
job made by listing them (/proc/sysvipc, /dev/mqueue). Where it cannot list them (gVisor
20221219 has neither, yet makes the objects), a job's process gets a seccomp filter, before its
program runs, that refuses the calls making them (shmget, semget, msgget; mq_open) with EPERM:
none can then exist to outlive a job. Docker's own seccomp profile stays in force beneath it.

The same filter mends one thing there: runsc's --oci-seccomp answers clone3 with EPERM where
Docker's profile says ENOSYS, so glibc does not fall back to clone and no thread can start.
Where clone3 is refused so, the filter answers ENOSYS (the most recent filter's errno wins).
"""
import errno
import os
import platform
import struct

from .settings import HOST_MODE, MQUEUE_LISTED, SYSV_LISTED
from .waiting import wait4

# Per architecture: its AUDIT_ARCH value, its System V calls, mq_open, clone3, and whether
# syscall numbers at or above 0x40000000 are another ABI on it (x32).
_ARCHES = {
    "x86_64": (0xC000003E, (29, 64, 68), (240,), 435, True),
    "aarch64": (0xC00000B7, (194, 190, 186), (180,), 435, False),
}
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000


def _op(code, k, jt=0, jf=0):
    return struct.pack("HBBI", code, jt, jf, k)


def _filter(machine, clone3_refused):
    """The BPF program for this machine, or None when it is not one of _ARCHES."""
    if machine not in _ARCHES:
        return None
    arch, sysv, mqueue, clone3, x32 = _ARCHES[machine]
    deny = _ERRNO | errno.EPERM
    rules = [(nr, deny) for nr in (() if SYSV_LISTED else sysv) + (() if MQUEUE_LISTED else mqueue)]
    if clone3_refused:
        rules.append((clone3, _ERRNO | errno.ENOSYS))
    # Another architecture's calls (i386 through int 0x80) are refused whole: a job needs none.
    ops = [_op(_LD_W_ABS, 4), _op(_JEQ_K, arch, jt=1), _op(_RET_K, deny), _op(_LD_W_ABS, 0)]
    if x32:
        ops += [_op(_JGE_K, 0x40000000, jf=1), _op(_RET_K, deny)]
    for nr, action in rules:
        ops += [_op(_JEQ_K, nr, jf=1), _op(_RET_K, action)]
    ops.append(_op(_RET_K, _ALLOW))
    return b"".join(ops)


class _Confinement:
    """The filter, built once in the runner; installed in each job process. (ctypes is imported
    only where a filter is needed, so elsewhere the runner and its jobs start as they did.)"""

    def __init__(self):
        self.needed = not HOST_MODE and not (SYSV_LISTED and MQUEUE_LISTED)
        self.code = None
        if not self.needed:
            return
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        # clone3(NULL, 0): EINVAL or ENOSYS where glibc can go on with clone; EPERM from a filter.
        clone3_refused = libc.syscall(435, None, 0) == -1 and ctypes.get_errno() == errno.EPERM
        self.code = _filter(platform.machine(), clone3_refused)
        if self.code is None:
            return

        class Prog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        self.ctypes = ctypes
        self.buf = ctypes.create_string_buffer(self.code, len(self.code))
        self.prog = Prog(len(self.code) // 8, ctypes.addressof(self.buf))
        self.prctl = libc.prctl

    def problem(self):
        """Why jobs cannot run here, or None: a needed filter this runner cannot install."""
        if not self.needed:
            return None
        if self.code is None:
            return ("this kernel does not let the runner list System V IPC objects or POSIX "
                    "message queues, and the runner has no seccomp filter for %s to keep jobs "
                    "from making them (it has for x86_64 and aarch64)" % platform.machine())
        pid = os.fork()
        if pid == 0:
            os._exit(0 if self._install() else 1)
        _, status, _ = wait4(pid)
        if os.waitstatus_to_exitcode(status) != 0:
            return "the seccomp filter that keeps jobs from making IPC objects cannot be installed"
        return None

    def apply(self):
        """In a job's process, after its privileges are dropped: install the filter if needed."""
        if self.needed and not self._install():
            raise OSError(self.ctypes.get_errno(), "cannot install the job's seccomp filter")

    def _install(self):
        return self.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, self.ctypes.byref(self.prog), 0, 0) == 0


CONFINEMENT = _Confinement()
