"""The clocks the runner judges time by: CPU seconds used by a job's processes (the limits are
CPU time, each with a wall-clock backstop: limits.py), and the container's count of
out-of-memory kills (a SIGKILL the OOM killer sent is `memory`, not `killed`).
"""
import os
import resource

from .settings import HOST_MODE, read_text


class JobClock:
    """CPU seconds used by the job's processes: everything in the container but the runner.

    In a container: the container's cgroup CPU counter (v2 `cpu.stat`, v1 `cpuacct.usage`),
    less this process's own CPU time; without a readable cgroup (gVisor has none), the sum over
    /proc of every other process (with what each has reaped), plus what the processes this one
    reaped used (a job process that ended and was reaped by PID 1 leaves /proc, not the count).
    On a host (bench only): the child's own CPU time and that of the children it waited for.
    """

    def __init__(self):
        self.fd = None
        self.scale = 1.0
        self.v2 = False
        self.tick = float(os.sysconf("SC_CLK_TCK"))
        self.cpus = self._cpus()
        if not HOST_MODE and os.getpid() == 1:
            self._find_cgroup()

    def _find_cgroup(self):
        me = str(os.getpid())
        for path, v2, scale in (("/sys/fs/cgroup/cpu.stat", True, 1e-6),
                                ("/sys/fs/cgroup/cpuacct/cpuacct.usage", False, 1e-9),
                                ("/sys/fs/cgroup/cpu,cpuacct/cpuacct.usage", False, 1e-9)):
            try:
                # Only our own cgroup will do (a host's root cgroup would count the host).
                if me not in read_text(os.path.join(os.path.dirname(path), "cgroup.procs")).split():
                    continue
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                continue
            self.fd, self.v2, self.scale = fd, v2, scale
            try:
                self._cgroup()
                return
            except (OSError, ValueError):
                os.close(fd)
                self.fd = None

    def _cgroup(self):
        os.lseek(self.fd, 0, os.SEEK_SET)
        text = os.read(self.fd, 4096).decode("ascii")
        if self.v2:
            for line in text.splitlines():
                if line.startswith("usage_usec "):
                    return int(line.split()[1]) * self.scale
            raise ValueError("no usage_usec in cpu.stat")
        return int(text) * self.scale

    @staticmethod
    def _cpus():
        try:
            n = float(len(os.sched_getaffinity(0)))
        except OSError:
            n = float(os.cpu_count() or 1)
        quota = n
        try:
            q, period = read_text("/sys/fs/cgroup/cpu.max").split()
            if q != "max":
                quota = int(q) / int(period)
        except (OSError, ValueError):
            try:
                q = int(read_text("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"))
                if q > 0:
                    quota = q / int(read_text("/sys/fs/cgroup/cpu/cpu.cfs_period_us"))
            except (OSError, ValueError):
                pass
        return max(1.0, min(n, quota))

    @property
    def source(self):
        if self.fd is not None:
            return "cgroup v2" if self.v2 else "cgroup v1"
        return "proc" if not HOST_MODE and os.getpid() == 1 else "child"

    def used(self, child_pid):
        if self.fd is not None:
            try:
                own = resource.getrusage(resource.RUSAGE_SELF)
                return self._cgroup() - own.ru_utime - own.ru_stime
            except (OSError, ValueError):
                pass
        if HOST_MODE or os.getpid() != 1:
            return self._stat(child_pid) if child_pid else 0.0
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        total = reaped.ru_utime + reaped.ru_stime
        me = os.getpid()
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) != me:
                total += self._stat(int(name))
        return total

    def _stat(self, pid):
        try:
            with open("/proc/%d/stat" % pid, "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            return sum(int(x) for x in fields[11:15]) / self.tick
        except (OSError, ValueError, IndexError):
            return 0.0


def oom_kills():
    """How many processes the container's memory cgroup has OOM-killed so far (0 unknown)."""
    for path in ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("oom_kill "):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0
