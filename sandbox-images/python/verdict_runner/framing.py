"""Length-prefixed frames and the raw buffers that hold them.

Every frame is a 4-byte unsigned big-endian length, then that many bytes: JSON on the host's
stdio, a header line and a payload on a job's result pipe. Job data stays in these buffers as
raw bytes and is zeroed after the job (see the package docstring).

Job processes use write_all and encode_json too, after their program ran: every name they use
is bound here at import, before any program runs, so a program that patches `os`, `json` or
`struct` cannot change how its frames are written.
"""
import builtins
import json
import os
import struct

MAX_HOST_FRAME = 1 << 30

# Functions below see a private copy of the builtins (read when each is made), so a program
# patching `builtins` in a job's process does not reach them.
__builtins__ = dict(builtins.__dict__)  # noqa: A001
_write = os.write
pack_length = struct.Struct(">I").pack
unpack_length = struct.Struct(">I").unpack
_escape_ascii = json.encoder.encode_basestring_ascii


def _frame_encoder():
    """A JSON encoder (ASCII, compact) built now, so no later patch of `json` reaches it."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is not None:
        encode = make(None, _refuse, _escape_ascii, None, ":", ",", False, False, True)
        join = "".join
        return lambda obj: join(encode(obj, 0))
    return json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode


def _refuse(obj):
    raise TypeError("not JSON: %s" % type(obj).__name__)


encode_json = _frame_encoder()


def zero(buf):
    """Overwrite a buffer in place (same length, so no reallocation leaves a copy behind)."""
    if buf:
        buf[:] = bytes(len(buf))


def _read_into(fd, buf, start=0):
    """Fill buf[start:] from fd; False at EOF before it is full."""
    view = memoryview(buf)
    while start < len(buf):
        n = os.readv(fd, [view[start:]])
        if n == 0:
            return False
        start += n
    return True


class HostFrame:
    """A host frame as raw bytes; parsed only in forks (see the package docstring)."""

    def __init__(self, buf):
        self.buf = buf

    def scrub(self):
        zero(self.buf)


def read_host_frame(fd):
    header = bytearray(4)
    if not _read_into(fd, header):
        return None
    (length,) = unpack_length(bytes(header))
    if length > MAX_HOST_FRAME:
        raise ValueError("frame too large")
    buf = bytearray(length)
    if not _read_into(fd, buf):
        zero(buf)
        return None
    return HostFrame(buf)


def write_all(fd, data):
    view = memoryview(data)
    while view:
        n = _write(fd, view)
        view = view[n:]


def frame_bytes(obj):
    payload = encode_json(obj).encode("ascii")
    return pack_length(len(payload)) + payload


def write_frame(fd, obj):
    write_all(fd, frame_bytes(obj))
