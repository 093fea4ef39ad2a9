"""The result frame, assembled in a short-lived fork of the runner from the raw frames the
job's processes sent: their payloads parsed strictly (no NaN or Infinity, no decimal integer
longer than 20 digits, no non-finite float: the host's JSON could not hold them), one at a
time, written to a memfd the runner then copies to the host with sendfile. So the runner's own
memory never holds a job's values as objects.
"""
import json
import math
import os
import sys

from .collect import Sent
from .framing import encode_json, pack_length, write_all
from .waiting import wait4

_isfinite = math.isfinite


def _child_int(text):
    # Ints above 2^53 travel as hex strings; a long decimal literal is a forgery, and parsing
    # one costs time quadratic in its length.
    if len(text) > 20:
        raise ValueError("integer literal too long")
    return int(text)


def _child_float(text):
    if len(text) > 40:
        raise ValueError("float literal too long")
    x = float(text)
    if not _isfinite(x):
        raise ValueError("non-finite float")  # the host's JSON has no Infinity
    return x


def _child_constant(name):
    raise ValueError("%s is not JSON" % name)  # NaN, Infinity: the host could not parse them


def _payload(sent):
    """The payload after a child's header line, parsed strictly; None if malformed."""
    body = sent.body
    try:
        p = json.loads(bytes(body[body.index(b"\n") + 1:]).decode("ascii"),
                       parse_int=_child_int, parse_float=_child_float, parse_constant=_child_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return p if type(p) is dict else None


def _short(x, limit=2000):
    return x[:limit] if type(x) is str else None


def _clean(st, payload, keys):
    out = {"st": st}
    for key in ("exc", "msg"):
        v = _short(payload.get(key))
        if v is not None:
            out[key] = v
    if "line" in keys and type(payload.get("line")) is int:
        out["line"] = payload["line"]
    if "v" in keys:
        out["v"] = payload.get("v")
    return out


def _test_result(job, i, broken):
    """Test i's entry of the result frame, its payload parsed strictly (None: skipped)."""
    r = job.results[i]
    child = job.child_of[i]
    if isinstance(r, dict):
        return dict(r)
    if not isinstance(r, Sent) or child in broken:
        return None
    payload = _payload(r)
    if payload is None:
        broken.add(child)
        return {"st": "protocol", "msg": "result frame out of order or malformed", "t": r.t}
    out = _clean(r.st, payload, ("v",) if r.st == "value" else ())
    if r.t is not None:
        out["t"] = r.t
    if i in job.stdio and out["st"] == "value":
        out["v"] = b"".join(bytes(p) for p in r.segment or ()).decode("utf-8", errors="replace")
    return out


def assembled_cap(job):
    """The most bytes the tests of a result frame may take: the job's value budget, what its
    stdio tests printed (6 bytes per byte at worst, as JSON escapes), and room per test."""
    return job.value_cap + 6 * job.output_bytes + 256 * job.n


def assemble(job, out_fd):
    """In a fork: the result frame, from the raw frames the job's processes sent, to out_fd.

    Written test by test, so only one payload at a time is ever held as objects here. A test
    that would take the frame's tests past assembled_cap (a job that wrote its own frames can
    make JSON that grows when parsed and written again) is output_limit, and so is every
    value after it.
    """
    output = job.output
    load = job.load
    if isinstance(load, Sent):
        payload = _payload(load)
        load = ({"st": "protocol", "msg": "malformed load frame"} if payload is None
                else _clean(load.st, payload, ("line",)))
    if job.overflow:
        load = {"st": "output_limit", "msg": "output exceeds %d bytes" % job.output_bytes}
    os.lseek(out_fd, 4, os.SEEK_SET)  # the length prefix is written last
    written = 0

    def put(text):
        nonlocal written
        data = text.encode("ascii")
        write_all(out_fd, data)
        written += len(data)

    put('{"op":"result","id":%s,"load":%s,"tests":[' % (
        encode_json(job.id), encode_json(load or {"st": "protocol", "msg": "no load report"})))
    broken = set()  # processes whose payload was garbled: their later tests are skipped
    left = assembled_cap(job)
    for i in range(job.n):
        r = _test_result(job, i, broken) or {"st": "skipped"}
        r["i"] = i
        text = encode_json(r)
        if len(text) > left and r["st"] == "value":
            left = 0
            text = encode_json({"st": "output_limit", "i": i,
                                 "msg": "return values exceed %d bytes in all" % job.value_cap})
        left = max(0, left - len(text))
        put(text if i == 0 else "," + text)
    put('],"stdout":%s,"stderr":%s,"max_rss_kb":%s,"wall_s":%s,"cpu_s":%s}' % tuple(map(encode_json, (
        bytes(output.report[1][:output.kept[1]]).decode("utf-8", errors="replace"),
        bytes(output.report[2][:output.kept[2]]).decode("utf-8", errors="replace"),
        job.rss, job.wall_s, job.cpu_s))))
    os.pwrite(out_fd, pack_length(written), 0)


def in_fork(work, *args):
    """Run work(*args, fd) in a fork that writes to a memfd; the memfd, or None if it failed."""
    out = os.memfd_create("verdict-out", os.MFD_CLOEXEC)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            work(*args, out)
            code = 0
        except BaseException as e:
            try:
                sys.stderr.write("runner: %s failed: %r\n" % (work.__name__, e))
            except BaseException:
                pass
        finally:
            os._exit(code)
    _, status, _ = wait4(pid)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        os.close(out)
        return None
    return out


def send_memfd(fd, out):
    """Copy a memfd to fd in the kernel, so its bytes never pass through this process's heap."""
    size = os.fstat(fd).st_size
    offset = 0
    while offset < size:
        offset += os.sendfile(out, fd, offset, size - offset)
