"""The host's frames while a job runs: a request to cut the job short, so that an idle worker
can run the tests it has not started (the host's tail splitting, src/runner/tail-split.ts).

`{"op":"cut","id":N}` is answered at once with `{"op":"cut","id":N,"from":k,"to":t,"used":c}`: the job
now ends after test k (its tests past k are reported `skipped`), and the host runs tests
[k, t) elsewhere. Test k runs on both sides, so the host can see whether the program's answer
depended on what earlier tests left in its process. `{"op":"cut","id":N,"now":true}` stops the
job at once (the host no longer needs it: an earlier part of its sample ended the sample) and is
answered with `"from": null`. `used` is the CPU seconds the job has
spent (a sample budget's part for the other side is what is left of it). `"from": null` means
nothing was cut: the job is finishing, or has fewer than three tests left. A cut that
comes once the job is over gets the same null answer from the main loop (the host has the
result by then and drops it). Control frames are tiny (at most SMALL_FRAME bytes) and hold no
job data, so this process may parse them. Any other frame that comes during a job (the host's
`exit`) is kept and served once the job is over.
"""
from .framing import read_host_frame, write_frame
from .job_frame import SMALL_FRAME, parse_host

HOST_FD = 0


def cut_request(frame):
    """(id, now) of a cut request, or None when the frame is something else."""
    if len(frame.buf) > SMALL_FRAME:
        return None
    msg = parse_host(frame.buf)
    if not isinstance(msg, dict) or msg.get("op") != "cut" or type(msg.get("id")) is not int:
        return None
    return msg["id"], msg.get("now") is True


def answer_cut(request_id, span):
    """Tell the host what was cut: span (from, to, CPU seconds the job used), or None for nothing."""
    start, stop, used = span if span is not None else (None, None, None)
    write_frame(1, {"op": "cut", "id": request_id, "from": start, "to": stop, "used": used})


class HostControl:
    """The host's side of this process's stdin, watched while a job's processes run."""

    def __init__(self):
        self.eof = False  # the host's stream ended: the runner exits after the job
        self.broken = None  # an unreadable frame: the runner stops after the job
        self.later = []  # frames for the main loop, once the job is over

    def fds(self):
        """The fds to watch with the job's pipes (none once the host's stream is over)."""
        return [] if self.eof or self.broken is not None else [HOST_FD]

    def read(self, run):
        """Read one host frame (the host writes whole frames) and act on it."""
        try:
            frame = read_host_frame(HOST_FD)
        except ValueError as e:
            self.broken = "unreadable frame: %s" % e
            return
        if frame is None:
            self.eof = True
            return
        request = cut_request(frame)
        if request is None:
            self.later.append(frame)
            return
        frame.scrub()
        request_id, now = request
        if now:
            run.stop_now()
            answer_cut(request_id, None)
        else:
            answer_cut(request_id, run.cut())
