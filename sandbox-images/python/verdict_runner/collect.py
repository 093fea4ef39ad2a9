"""What the runner collects from a job's processes, as raw bytes it never parses beyond a
header from a fixed vocabulary: their stdout and stderr (counted against the output limit, a
bounded prefix kept for reports) and the frames on their result pipes.
"""
import json
import os

from .framing import unpack_length, zero

REPORT_BYTES = 16384  # stdout/stderr kept for reports, per stream
# A child's frame starts with a header line naming the phase it ends; nothing else in it.
MAX_HEADER = 64


class Output:
    """Captured stdout/stderr of a job: a report prefix of each, and the total budget.

    Every buffer is allocated at its final size and zeroed by scrub(): none is ever grown,
    since growing one leaves the old copy behind in freed memory.
    """

    def __init__(self, limit=0):
        self.limit = limit
        self.total = 0
        self.report = {1: bytearray(REPORT_BYTES), 2: bytearray(REPORT_BYTES)}
        self.kept = {1: 0, 2: 0}
        self.chunk = bytearray(1 << 16)  # what each read lands in
        self.segments = []  # one per child: its stdout (a stdio test's value) in chunks
        self.segment = None
        self.segment_len = 0
        self.frozen = False  # past the host's cut: read (the pipes must drain), never counted

    def freeze(self):
        """Stop counting: what the job prints from now on belongs to tests the host cut off
        (another job runs them and counts their output there)."""
        self.frozen = True

    def start_child(self, stdio):
        self.segment = [] if stdio else None
        self.segment_len = 0
        self.segments.append(self.segment)

    def read(self, fd, stream):
        """Read what is there; (bytes read, within the limit)."""
        n = os.readv(fd, [self.chunk])
        if n == 0:
            return 0, True
        if self.frozen:
            return n, True
        view = memoryview(self.chunk)[:n]
        self.total += n
        kept = self.kept[stream]
        k = min(n, REPORT_BYTES - kept)
        if k > 0:
            self.report[stream][kept:kept + k] = view[:k]
            self.kept[stream] = kept + k
        if stream == 1 and self.segment is not None and self.segment_len <= self.limit:
            part = bytearray(view[:self.limit + 1 - self.segment_len])
            self.segment.append(part)
            self.segment_len += len(part)
        return n, self.total <= self.limit

    def scrub(self):
        zero(self.chunk)
        for buf in self.report.values():
            zero(buf)
        for segment in self.segments:
            for part in segment or ():
                zero(part)


class FrameReader:
    """Length-prefixed frames from a child's result pipe, each in a buffer of its own size."""

    def __init__(self, cap):
        self.cap = cap
        self.prefix = bytearray(4)
        self.have = 0
        self.body = None
        self.eof = False
        self.over = False

    def read(self, fd):
        """(every complete frame the non-blocking pipe holds now, whether the next is over the cap).

        Sets eof at the pipe's end; after a frame over the cap it reads nothing more.
        """
        frames = []
        while not self.eof and not self.over:
            target = self.prefix if self.body is None else self.body
            try:
                n = os.readv(fd, [memoryview(target)[self.have:]]) if self.have < len(target) else 0
            except BlockingIOError:
                break
            if n == 0 and self.have < len(target):
                self.eof = True
                break
            self.have += n
            if self.have < len(target):
                continue
            if self.body is None:
                (length,) = unpack_length(bytes(self.prefix))
                if length > self.cap:
                    self.over = True
                    break
                self.body, self.have = bytearray(length), 0
                if length:
                    continue
            frames.append(self.body)
            self.body, self.have = None, 0
        return frames, self.over

    def scrub(self):
        if self.body is not None:
            zero(self.body)


_LOAD_STATES = ("ok", "syntax_error", "raised", "memory")
_TEST_STATES = ("value", "raised", "memory", "unserializable", "output_limit")


def frame_header(body):
    """The header line of a child's frame: ("load", state) or ("test", index, state), else None.

    Small and from a fixed vocabulary, so parsing it here puts nothing of the job's data in
    this process; the payload after it stays raw bytes until the result is assembled.
    """
    end = body.find(b"\n", 0, MAX_HEADER)
    if end < 0:
        return None
    try:
        h = json.loads(bytes(body[:end]).decode("ascii"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if type(h) is not dict:
        return None
    if len(h) == 1 and h.get("load") in _LOAD_STATES:
        return ("load", _LOAD_STATES[_LOAD_STATES.index(h["load"])])
    if len(h) == 2 and type(h.get("i")) is int and h.get("st") in _TEST_STATES:
        return ("test", h["i"], _TEST_STATES[_TEST_STATES.index(h["st"])])
    return None


class Sent:
    """A phase's outcome as the child reported it: its state now, its payload (raw) later."""

    def __init__(self, st, body, t=None, segment=None):
        self.st = st
        self.body = body
        self.t = t
        self.segment = segment  # a stdio test's stdout, in chunks


def state_of(outcome):
    """The state of a load or test outcome, reported by the child or observed by the parent."""
    return outcome.st if isinstance(outcome, Sent) else outcome["st"]
