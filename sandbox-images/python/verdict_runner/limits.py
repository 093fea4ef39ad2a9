"""A job's limits as the runner enforces them, from outside the job: each phase (the load, one
test) in CPU time of the job's processes with a wall-clock backstop, the whole job in wall-clock
time, a per-sample CPU budget, and the room its result frames may take.
"""
import time

from .collect import Output

# A phase (the load, one test) is stopped by its CPU limit, or after this many times that limit
# of wall-clock time (a program that sleeps or blocks uses no CPU).
WALL_FACTOR = 3.0
# The whole job may take this many times the sum of its CPU limits (every test's, and one load
# per process) in wall-clock time; the host's own deadline is 1.25 x that sum plus slack.
JOB_WALL_FACTOR = 1.2
# A job with a per-sample budget (sample_s, CPU seconds) is stopped after this many times that
# budget of wall-clock time: the budget's own backstop, loose enough for a loaded machine, tight
# enough that no sample holds a worker for minutes.
SAMPLE_WALL_FACTOR = 1.5
# How long a child that has sent every frame may take to exit.
EXIT_GRACE_S = 2.0
# Shortest wait between two looks at the CPU clock.
MIN_POLL_S = 0.01

# How long the first process of a job may take to read it and report its shape (trusted code:
# only a huge job takes long), and how large that report may be.
META_WAIT_S = 60.0
META_CAP = 16 << 20
# A test frame may cost this much above value_bytes: its header and the {"v":…} around the value.
FRAME_SLACK = 4096
# A test frame may always cost this much, however small value_bytes is: an exception's type and
# message (2,200 characters, each at worst a "[") must fit.
MIN_FRAME_ROOM = 1 << 17
# The test frames of one job together may cost this many times their room (over it,
# output_limit), so the host holds a bounded amount per job however many tests it has.
JOB_VALUE_FACTOR = 8
# How long the pipes may take to give up what the job's (dead) processes left in them.
DRAIN_WAIT_S = 5.0


class Phase:
    """One stretch the child is timed for: the load, or one test."""

    def __init__(self, job, cpu_limit, pid):
        self.job = job
        self.start = time.monotonic()
        self.cpu0 = self.job.clock.used(pid)
        self.cpu_limit = cpu_limit
        self.deadline = min(self.start + WALL_FACTOR * cpu_limit, job.deadline())
        self.over_budget = False  # ended by the sample's budget, not by its own limit

    def wait(self, pid):
        """Seconds to wait before the next look, or None when the phase's time is up."""
        used = self.job.clock.used(pid)
        wall_left = self.deadline - time.monotonic()
        cpu_left = self.cpu_limit - (used - self.cpu0)
        budget_left = self.job.budget_left(used)
        if budget_left <= 0 or (wall_left <= 0 and self.job.budget_wall_over()):
            self.over_budget = True
        if wall_left <= 0 or cpu_left <= 0 or budget_left <= 0:
            return None
        # CPU time accrues at most `cpus` times as fast as wall time: sleeping for the CPU
        # left over `cpus` cannot overshoot the limit, and under load it takes a few looks.
        return min(wall_left, max(min(cpu_left, budget_left) / self.job.clock.cpus, MIN_POLL_S))


class Job:
    """A job as this process knows it: a raw frame, then the shape and limits its first
    process reports (never its program or inputs), and what its processes sent."""

    def __init__(self, frame, clock, control=None):
        self.frame = frame
        self.clock = clock  # clock.JobClock: CPU time of the job's processes
        self.control = control  # control.HostControl: the host's frames while the job runs
        self.meta = None
        self.t0 = time.monotonic()
        self.children = 0
        self.output = Output()
        self.results = []
        self.child_of = []  # which process ran each test: a garbled payload ends its run
        self.load = None
        self.rss = 0
        self.wall_s = 0.0
        self.cpu0 = None  # the CPU clock when the job started, where it counts every process of the job
        self.cpu_s = None  # CPU seconds the job's processes used (None where the clock cannot tell)
        self.workdir = None
        self.sample_s = None
        self.cpu_before = 0.0  # CPU time of the job's earlier processes
        self.child_cpu0 = 0.0  # the CPU clock when the current process was forked
        self.budget_spent = False
        self.value_total = 0  # what the job's test frames cost, together
        self.overflow = False  # output went over the limit after a process's last result

    @property
    def runnable(self):
        return self.meta is not None and self.meta.get("op") == "job" and "problem" not in self.meta

    def set_meta(self, meta):
        self.meta = meta
        if not self.runnable:
            return
        self.id = meta["id"]
        self.n = int(meta["n"])
        self.stop = self.n  # where the job ends: its last test, or where the host cut it (control.py)
        self.stdio = set(meta["stdio"])
        self.test_s = meta["test_s"]
        self.load_s = float(meta["load_s"])
        self.output_bytes = int(meta["output_bytes"])
        self.value_bytes = int(meta["value_bytes"])
        self.frame_cap = max(self.value_bytes, MIN_FRAME_ROOM) + FRAME_SLACK
        self.value_cap = JOB_VALUE_FACTOR * max(self.value_bytes, MIN_FRAME_ROOM)
        self.sample_s = None if meta.get("sample_s") is None else float(meta["sample_s"])
        self.continue_after_crash = bool(meta["continue_after_crash"])
        self.output.limit = self.output_bytes
        self.cpu_sum = sum(self.limit(i) for i in range(self.n))
        # An empty job still has one process, which loads the program (a probe at index 0).
        self.results = [None] * max(self.n, 1)
        self.child_of = [None] * max(self.n, 1)

    def limit(self, i):
        if self.n == 0:
            return self.load_s
        return float(self.test_s[i] if isinstance(self.test_s, list) else self.test_s)

    def deadline(self):
        """The job's wall-clock budget: its CPU limits (one load per process) x JOB_WALL_FACTOR,
        or its sample budget x SAMPLE_WALL_FACTOR when that is sooner."""
        wall = JOB_WALL_FACTOR * (self.cpu_sum + self.children * self.load_s)
        if self.sample_s is not None:
            wall = min(wall, SAMPLE_WALL_FACTOR * self.sample_s)
        return self.t0 + wall

    def budget_left(self, used):
        """CPU seconds the sample's budget has left, given the clock now (inf without one)."""
        if self.sample_s is None:
            return float("inf")
        return self.sample_s - (self.cpu_before + used - self.child_cpu0)

    def budget_wall_over(self):
        """Whether the sample's wall-clock backstop (SAMPLE_WALL_FACTOR x its budget) has passed."""
        return self.sample_s is not None and time.monotonic() >= self.t0 + SAMPLE_WALL_FACTOR * self.sample_s

    def end_after(self, start):
        """Where the process that starts at test `start` stops: a stdio test runs alone."""
        if start in self.stdio:
            return start + 1
        return min([i for i in self.stdio if i > start] + [self.n])
