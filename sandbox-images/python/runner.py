"""verdict's in-container runner.

Runs as the container's main process (PID 1, root with a handful of capabilities) and
speaks length-prefixed JSON frames on stdin/stdout (see docs/ARCHITECTURE.md, "The runner
protocol"). Each job runs in a forked child that drops to an unprivileged uid; this parent
enforces every limit from outside the untrusted process, kills everything the job left
behind, empties the scratch directories and removes System V IPC objects before it answers,
so the next job starts clean.

Time limits are CPU time of the job's processes (the container's cgroup, less this process),
each with a wall-clock backstop, so a busy machine does not turn a pass into a timeout and a
sleeping or blocked program still ends.

Every job process is a fork of this one and can read all the memory it inherits, freed memory
included. So this process never turns job data into Python objects: host frames, the job's
result frames and its output are held as raw bytes in buffers that are zeroed after the job;
the job's first process parses the job and reports only its shape and limits (before any
program code runs), and a short-lived fork assembles each result frame. No job can read what
an earlier one sent, returned or printed.

The parent never judges: it reports facts (a value, an exception, a timeout). Expected
values never enter the container.

`--host` runs the same protocol on a host with no isolation at all; it exists only as the
physical reference for `verdict bench` and must never be used to judge samples.
"""

import base64
import binascii
import builtins
import gc
import json
import os
import platform
import resource
import select
import signal
import struct
import sys
import tempfile
import time

PROTOCOL = 2
JOB_UID = 10000
JOB_GID = 10000
HOST_MODE = "--host" in sys.argv
# Everything a job can write to in the container: emptied after every job.
SCRATCH_DIRS = ("/tmp", "/dev/shm", "/dev/mqueue")
WORKDIR = "/tmp/job"
REPORT_BYTES = 16384  # stdout/stderr kept for reports, per stream
MAX_HOST_FRAME = 1 << 30
MAX_DEPTH = 200
RESULT_FD = 3
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
# A value larger than value_bytes travels as the sha256 of its repr, up to this many times
# value_bytes of repr (Mbpp/255's reference answer has a 1 GB repr); beyond, output_limit.
DIGEST_FACTOR = 128
# A child's frame starts with a header line naming the phase it ends; nothing else in it.
MAX_HEADER = 64

# Modules that sample programs commonly import: importing them once here makes every
# forked job start warm (a fork costs ~1 ms; importing `re` and friends costs more).
for _name in (
    "re", "math", "cmath", "collections", "itertools", "functools", "heapq", "bisect",
    "string", "operator", "random", "statistics", "fractions", "decimal", "datetime",
    "copy", "array", "typing", "dataclasses", "enum", "sys", "os", "io", "struct",
    "hashlib", "textwrap", "unicodedata", "numbers", "queue", "types", "calendar",
):
    try:
        __import__(_name)
    except Exception:  # a stripped image may lack one; jobs just import it themselves
        pass

if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)

# The job runs in a fork of this module: whatever it patches there (builtins, json, struct,
# base64, hashlib, math) must not change how its values are reported. So every function below
# sees a private copy of the builtins, and the codec holds its own references, bound now.
__builtins__ = dict(builtins.__dict__)  # noqa: A001  (read when each function below is made)
_write = os.write
_b2a_base64 = binascii.b2a_base64
_perf = time.perf_counter
_isfinite = __import__("math").isfinite
_sha256 = __import__("hashlib").sha256
_pack_length = struct.Struct(">I").pack
_unpack_length = struct.Struct(">I").unpack
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


_encode_json = _frame_encoder()


# ---------------------------------------------------------------- raw buffers and framing

def _zero(buf):
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


class _HostFrame:
    """A host frame as raw bytes; parsed only in forks (see the module docstring)."""

    def __init__(self, buf):
        self.buf = buf

    def scrub(self):
        _zero(self.buf)


def read_host_frame(fd):
    header = bytearray(4)
    if not _read_into(fd, header):
        return None
    (length,) = _unpack_length(bytes(header))
    if length > MAX_HOST_FRAME:
        raise ValueError("frame too large")
    buf = bytearray(length)
    if not _read_into(fd, buf):
        _zero(buf)
        return None
    return _HostFrame(buf)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        n = _write(fd, view)
        view = view[n:]


def _frame_bytes(obj):
    payload = _encode_json(obj).encode("ascii")
    return _pack_length(len(payload)) + payload


def write_frame(fd, obj):
    _write_all(fd, _frame_bytes(obj))


# ---------------------------------------------------------------- value codec (in the job)

class Unserializable(Exception):
    pass


class TooLarge(Exception):
    pass


_SAFE_INT = 1 << 53
# What a value costs against value_bytes: the bytes of its frame, plus ELEMENT_COST for every
# "," and CONTAINER_COST for every "[" and "{" in it. That is about what the value takes once
# decoded (by the assembling fork and by the host), however it is shaped: `[()] * 10**6` is 9
# bytes of JSON per item but ~300 bytes of objects, and costs 130 here. The parent measures
# every frame this way, so a job that writes its own frames is held to the same budget.
ELEMENT_COST = 16
CONTAINER_COST = 48
_SEP = 1 + ELEMENT_COST  # one item's "," in a JSON array
_OPEN = CONTAINER_COST  # one "[" or "{" beyond its own byte
# Most bytes one item takes in the frame: "-9007199254740992", {"f":-1.2345678901234567e-308}.
_INT_BYTES = 17
_FLOAT_BYTES = 32
_FLOAT_COST = _FLOAT_BYTES + _OPEN
# {"u":[…]}: a code point is at most 7 digits.
_CODE_POINT_COST = 7 + _SEP
_NONE = type(None)
_SCALARS = frozenset((_NONE, bool, int, float, str, bytes, complex))
_SEQUENCES = frozenset((list, tuple, set, frozenset))
_PLAIN = _SCALARS | _SEQUENCES | {dict}
_has_surrogate = __import__("re").compile("[\ud800-\udfff]").search
_isnan = __import__("math").isnan
_cisnan = __import__("cmath").isnan
_compress = __import__("itertools").compress
_chain = __import__("itertools").chain.from_iterable
_partial = __import__("functools").partial
_is = __import__("operator").is_


def _frame_cost(body):
    """What a frame (or any JSON text) costs against the value budget (see ELEMENT_COST)."""
    return (len(body) + ELEMENT_COST * body.count(b",")
            + CONTAINER_COST * (body.count(b"[") + body.count(b"{")))


def _float_payload(x):
    if _isfinite(x):
        return x
    if x != x:
        return "nan"
    return "inf" if x > 0 else "-inf"


def _str_cost(s):
    """What `s` costs as an ASCII JSON string: exact bytes for printable ASCII, else a bound."""
    if s.isascii() and s.isprintable():
        n = len(s) + 2 + s.count('"') + s.count("\\")
    else:
        n = 12 * len(s) + 2  # an astral character is two \\uXXXX escapes
    return n + ELEMENT_COST * s.count(",") + CONTAINER_COST * (s.count("[") + s.count("{"))


def _plain(x):
    """(the plain type x is read as, x as a plain value of that type), or Unserializable.

    The one projection both the value and its digest are made from. A subclass of int, float,
    str, list, tuple, dict, set or frozenset is read through the base type's own C methods
    (`int.__int__`, `list.copy`, the base type's iterator), never through anything the program
    could override: a lying `__eq__`, `__iter__`, `__repr__` or `__class__` is never called.
    Containers come back as a list of their items (a dict's as (key, value) pairs).
    """
    t = type(x)
    if t in _SCALARS:
        return t, x
    if t is list:
        return t, list.copy(x)
    if t is tuple or t is set or t is frozenset:
        return t, list(x)
    if t is dict:
        return t, list(dict.items(x))
    # type(x)'s own MRO decides; isinstance() would ask the object for its __class__.
    if issubclass(t, int) and t is not bool:
        return int, int.__int__(x)
    if issubclass(t, float):
        return float, float.__float__(x)
    if issubclass(t, str):
        return str, str.__str__(x)
    if issubclass(t, list):
        return list, list.copy(x)
    if issubclass(t, tuple):
        return tuple, list(tuple.__iter__(x))
    if issubclass(t, dict):
        return dict, list(dict.items(x))
    if issubclass(t, frozenset):
        return frozenset, list(frozenset.__iter__(x))
    if issubclass(t, set):
        return set, list(set.__iter__(x))
    raise Unserializable("%s is not a plain value" % _type_name(x))


def encode_value(value, budget):
    """Plain Python value -> tagged JSON, refusing anything else (see ARCHITECTURE.md).

    A value that costs more than `budget` (see ELEMENT_COST) travels as a digest instead.
    """
    state = [budget]

    def spend(n):
        state[0] -= n
        if state[0] < 0:
            raise TooLarge("return value larger than %d bytes" % budget)

    def enc(x, depth):
        if depth > MAX_DEPTH:
            raise Unserializable("value nested deeper than %d levels" % MAX_DEPTH)
        t, p = _plain(x)
        if t is _NONE:
            spend(4)
            return None
        if t is bool:
            spend(5)
            return p
        if t is int:
            if -_SAFE_INT <= p <= _SAFE_INT:
                spend(_INT_BYTES)
                return p
            h = hex(p)
            spend(len(h) + 8 + _OPEN)
            return {"i": h}
        if t is float:
            spend(_FLOAT_COST)
            return {"f": _float_payload(p)}
        if t is str:
            if _has_surrogate(p):
                # JSON (and the host's UTF-16 strings) would merge "\ud83d\ude00" into one
                # character: a str holding surrogates travels as its code points.
                spend(8 + 2 * _OPEN + _CODE_POINT_COST * len(p))
                return {"u": list(map(ord, p))}
            spend(_str_cost(p))
            return p
        if t is bytes:
            spend((len(p) + 2) // 3 * 4 + 8 + _OPEN)
            return {"b": _b2a_base64(p, newline=False).decode("ascii")}
        if t is complex:
            spend(2 * _FLOAT_BYTES + 8 + 2 * _OPEN + _SEP)
            return {"c": [_float_payload(p.real), _float_payload(p.imag)]}
        if t is list:
            spend(2 + _OPEN + _SEP * len(p))
            return [enc(i, depth + 1) for i in p]
        if t is dict:
            spend(8 + 2 * _OPEN + (4 + _OPEN + 2 * _SEP) * len(p))
            return {"d": [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in p]}
        spend(9 + 2 * _OPEN + _SEP * len(p))
        return {_SEQ_TAGS[t]: [enc(i, depth + 1) for i in p]}

    try:
        return enc(value, 0)
    except RecursionError:
        raise Unserializable("value nested too deeply")
    except TooLarge:
        # Too large to send whole: send the sha256 of its plain repr instead. The reference's
        # value takes the same path, so a right answer of any size still compares equal.
        digest, length, nan = repr_digest(value, DIGEST_FACTOR * budget)
        return {"h": "%s:%d%s" % (digest, length, ":nan" if nan else "")}


_SEQ_TAGS = {tuple: "t", set: "s", frozenset: "fs"}
_EMPTY = {list: "[]", tuple: "()", dict: "{}", set: "set()", frozenset: "frozenset()"}
_BRACKETS = {list: ("[", "]"), tuple: ("(", ")"), dict: ("{", "}"), set: ("{", "}"),
             frozenset: ("frozenset({", "})")}


def _scan_exact(items, limit):
    """(whether every object reachable from `items` has an exact plain type, whether one is NaN).

    Exact plain types have C reprs, so repr() of such a slice runs no code the program wrote.
    Level by level with map/compress, so a million items cost milliseconds, not seconds;
    (False, False) past `limit` objects or MAX_DEPTH levels (the caller goes item by item).
    """
    level = items
    nan = False
    seen = 0
    for _ in range(MAX_DEPTH):
        if not level:
            return True, nan
        seen += len(level)
        if seen > limit:
            return False, False
        types = set(map(type, level))
        if not types <= _PLAIN:
            return False, False
        kinds = list(map(type, level)) if len(types) > 1 else None
        deeper = []
        for t in types:
            if t in _SCALARS and t is not float and t is not complex:
                continue
            picked = level if kinds is None else list(_compress(level, map(_partial(_is, t), kinds)))
            if t is float:
                nan = nan or any(map(_isnan, picked))
            elif t is complex:
                nan = nan or any(map(_cisnan, picked))
            elif t is dict:
                deeper.extend(_chain(map(dict.keys, picked)))
                deeper.extend(_chain(map(dict.values, picked)))
            elif kinds is None:
                deeper = list(_chain(picked))
            else:
                deeper.extend(_chain(picked))
        level = deeper
    return False, False


def repr_digest(value, cap):
    """(sha256 hex, length, whether a NaN is in it) of the repr of the value's plain projection.

    Exactly repr(_plain(value), recursively): the text the small path's value would print as,
    never an object's own __repr__. A large container's repr is never built whole: its items
    are taken in slices whose own reprs stay small, and a slice of exact plain types is
    repr()'d in C. A repr longer than `cap` characters raises TooLarge as soon as that is known.
    """
    h = _sha256()
    total = [0]
    nan = [False]

    def too_large():
        return TooLarge("return value larger than %d bytes even as a digest" % cap)

    def emit(s, skip=0):
        total[0] += len(s) - 2 * skip
        if total[0] > cap:
            raise too_large()
        data = s.encode("utf-8", "surrogatepass")
        h.update(memoryview(data)[skip:len(data) - skip] if skip else data)

    def run(items, depth, as_dict):
        # Slices grow while their reprs are small and shrink when they are not, so memory
        # stays near the piece size whatever the shape of the value.
        i, k, n = 0, 16, len(items)
        while i < n:
            part = items[i:i + k]
            s = None
            exact, has_nan = _scan_exact(part, 1 << 20)
            if exact:
                try:
                    whole = dict(part) if as_dict else part
                    s = repr(whole) if len(whole) == len(part) else None
                except (MemoryError, RecursionError):
                    s = None
            if s is None:
                for j, item in enumerate(part):
                    if i + j:
                        emit(", ")
                    if as_dict:
                        walk(item[0], depth + 1)
                        emit(": ")
                        walk(item[1], depth + 1)
                    else:
                        walk(item, depth + 1)
                k = max(1, k // 4)
            else:
                nan[0] = nan[0] or has_nan
                if i:
                    emit(", ")
                emit(s, skip=1)
                k = max(1, k // 2) if len(s) > (1 << 22) else min(k * 2, 1 << 16)
            i += len(part)

    def walk(x, depth):
        if depth > MAX_DEPTH:
            raise Unserializable("value nested deeper than %d levels" % MAX_DEPTH)
        t, p = _plain(x)
        if t in _SEQUENCES or t is dict:
            if not p:
                emit(_EMPTY[t])
                return
            opening, closing = _BRACKETS[t]
            emit(opening)
            if t is tuple and len(p) == 1:
                walk(p[0], depth + 1)
                emit(",)")
                return
            run(p, depth, t is dict)
            emit(closing)
            return
        if t is str or t is bytes:
            if len(p) + 2 > cap - total[0]:
                raise too_large()
        elif t is int and p.bit_length() * 0.30103 > cap - total[0] + 2:
            raise too_large()
        elif t is float and p != p:
            nan[0] = True
        elif t is complex and _cisnan(p):
            nan[0] = True
        emit(repr(p))

    try:
        walk(value, 0)
    except RecursionError:
        raise Unserializable("value nested too deeply")
    return h.hexdigest(), total[0], nan[0]


def _type_name(x):
    try:
        return type.__getattribute__(type(x), "__name__")
    except Exception:
        return "object"


def decode_value(w):
    """Tagged JSON from the host (trusted test inputs) -> Python value."""
    if w is None or isinstance(w, (bool, str)):
        return w
    if isinstance(w, int):
        return w
    if isinstance(w, float):
        raise ValueError("bare float on the wire")
    if isinstance(w, list):
        return [decode_value(i) for i in w]
    if isinstance(w, dict) and len(w) == 1:
        ((tag, p),) = w.items()
        if tag == "i":
            return int(p, 16)
        if tag == "f":
            return float(p)
        if tag == "t":
            return tuple(decode_value(i) for i in p)
        if tag == "s":
            return set(decode_value(i) for i in p)
        if tag == "fs":
            return frozenset(decode_value(i) for i in p)
        if tag == "d":
            return {decode_value(k): decode_value(v) for k, v in p}
        if tag == "b":
            return base64.b64decode(p)
        if tag == "c":
            return complex(float(p[0]), float(p[1]))
        if tag == "u":
            return "".join(map(chr, p))
    raise ValueError("bad tagged value: %r" % (w,))


# ---------------------------------------------------------------- the job child

def _safe_str(e, limit=2000):
    try:
        s = str(e)
    except BaseException:
        s = "<unprintable exception>"
    if type(s) is not str:
        s = "<unprintable exception>"
    return s[:limit]


def _exc_payload(e):
    """(state, payload) for an exception the program raised."""
    if isinstance(e, MemoryError):
        return "memory", {"exc": "MemoryError", "msg": _safe_str(e)}
    # Clipped like the message: a class name can be as long as the program likes.
    return "raised", {"exc": _type_name(e)[:200], "msg": _safe_str(e)}


def _send(header, payload):
    """One frame on the result channel: a header line the parent reads, then the payload."""
    data = (_encode_json(header) + "\n" + _encode_json(payload)).encode("ascii")
    _write_all(RESULT_FD, _pack_length(len(data)) + data)


def _send_load(st, payload=None):
    _send({"load": st}, payload or {})


def _send_test(i, st, payload=None):
    _send({"i": i, "st": st}, payload or {})


def _stdin_fd(text):
    """The stdin of a stdio test, in memory: the runner writes nothing where the job can write."""
    if text is None:
        return os.open("/dev/null", os.O_RDONLY)
    fd = os.memfd_create("stdin", 0)
    _write_all(fd, text.encode("utf-8", "surrogateescape"))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _child_setup(workdir, memory_mb, stdin_text, fds):
    os.setsid()
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    stdin_fd = _stdin_fd(stdin_text)
    if not HOST_MODE:
        os.setgroups([])
        os.setgid(JOB_GID)
        os.setuid(JOB_UID)
    os.chdir(workdir)
    # Move the three pipe ends out of the way, then onto fds 1, 2 and 3.
    high = [os.dup(fd) for fd in fds]
    os.dup2(stdin_fd, 0)
    os.dup2(high[0], 1)
    os.dup2(high[1], 2)
    os.dup2(high[2], RESULT_FD)
    os.closerange(RESULT_FD + 1, 1 << 16)
    os.environ.clear()
    os.environ.update({
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": HASH_SEED,
    })
    sys.stdin = open(0, "r", encoding="utf-8", errors="surrogateescape", closefd=False)
    sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.argv = ["program.py"]


def _flush():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def _child_run(job, args, start, end, value_bytes):
    program = job["program"]
    setup = job.get("setup") or ""
    tests = job["tests"]
    stdio = tests[start]["kind"] == "stdio" if start < len(tests) else False
    ns = {"__name__": "__main__" if stdio else "__verdict__", "__builtins__": builtins}
    try:
        code = compile(program, "<program>", "exec")
    except (SyntaxError, ValueError) as e:
        _send_load("syntax_error", {"exc": _type_name(e), "msg": _safe_str(e),
                                    "line": getattr(e, "lineno", None)})
        return
    except MemoryError as e:
        _send_load(*_exc_payload(e))
        return
    if stdio:
        _send_load("ok")
        st, payload = "value", {}
        try:
            exec(code, ns)
        except SystemExit as e:
            if e.code not in (None, 0):
                st, payload = "raised", {"exc": "SystemExit", "msg": _safe_str(e.code)}
        except BaseException as e:
            st, payload = _exc_payload(e)
        _flush()
        _send_test(start, st, payload)
        return
    try:
        exec(code, ns)
        if setup:
            exec(compile(setup, "<setup>", "exec"), ns)
    except BaseException as e:
        _flush()
        _send_load(*_exc_payload(e))
        return
    _send_load("ok")
    for i in range(start, end):
        test = tests[i]
        kind = test["kind"]
        try:
            if kind == "call":
                fn = ns.get(test["fn"])
                if fn is None:
                    raise NameError("name %r is not defined" % test["fn"])
                value = fn(*args[i])
                if test.get("project") == "not_none":
                    value = value if type(value) is bool else value is not None
            elif kind == "expr":
                value = eval(compile(test["src"], "<test>", "eval"), ns)
            elif kind == "exec":
                exec(compile(test["src"], "<test>", "exec"), ns)
                value = None
            else:
                raise ValueError("unknown test kind %r" % kind)
            try:
                st, payload = "value", {"v": encode_value(value, value_bytes)}
            except Unserializable as e:
                st, payload = "unserializable", {"msg": _safe_str(e)}
            except TooLarge as e:
                st, payload = "output_limit", {"msg": _safe_str(e)}
        except BaseException as e:
            st, payload = _exc_payload(e)
        _send_test(i, st, payload)
    _flush()


def _job_meta(msg):
    """What the parent may know of a host frame: its op and, for a valid job, shape and limits."""
    if msg is None:
        return {"op": "bad"}
    op = msg.get("op") if isinstance(msg, dict) else None
    if op != "job":
        return {"op": op if op in ("ping", "exit") else "unknown", "name": repr(op)[:100]}
    job_id = msg.get("id")
    meta = {"op": "job", "id": job_id if isinstance(job_id, str) else None}
    problem = _validate_job(msg)
    if problem:
        meta["problem"] = problem
        return meta
    tests, limits = msg["tests"], msg["limits"]
    stdio = [i for i, t in enumerate(tests) if t["kind"] == "stdio"]
    # The first process runs up to the first stdio test (which has a process of its own).
    end = 1 if not tests or 0 in stdio else next((i for i in stdio if i > 0), len(tests))
    meta.update(n=len(tests), stdio=stdio, end=end, test_s=limits["test_s"], load_s=limits["load_s"],
                output_bytes=limits["output_bytes"], value_bytes=limits["value_bytes"],
                sample_s=limits.get("sample_s"),
                continue_after_crash=bool(msg.get("continue_after_crash")))
    return meta


def _parse_host(buf):
    try:
        return json.loads(bytes(buf).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def child_main(frame, start, end, workdir, fds):
    """A job process: read the job from the raw frame it inherited, run tests[start:end].

    The first process of a job (end is None) first reports the job's shape and limits on the
    result pipe, before any program code runs, so the parent never has to parse a job.
    """
    code = 0
    try:
        job = _parse_host(frame.buf)
        if end is None:
            meta = _job_meta(job)
            _write_all(fds[2], _frame_bytes(meta))
            if "end" not in meta:
                return
            end = meta["end"]
        limits = job["limits"]
        tests = job["tests"]
        if not tests:
            # A job with no tests still loads the program (a syntax check, or setup).
            tests = job["tests"] = [{"kind": "exec", "src": "pass"}]
        args = {i: [decode_value(a) for a in tests[i].get("args", [])]
                for i in range(start, end) if tests[i]["kind"] == "call"}
        stdin_text = tests[start].get("stdin", "") if tests[start]["kind"] == "stdio" else None
        _child_setup(workdir, int(limits.get("memory_mb", 0)), stdin_text, fds)
        _child_run(job, args, start, end, int(limits["value_bytes"]))
    except BaseException as e:
        code = 70
        try:
            _write(2, ("runner: job process failed: %s\n" % _type_name(e)).encode("ascii"))
        except BaseException:
            pass
    finally:
        os._exit(code)


# ---------------------------------------------------------------- CPU time of the job

def _read_text(path):
    with open(path) as f:
        return f.read()


class _JobClock:
    """CPU seconds used by the job's processes: everything in the container but the runner.

    In a container: the container's cgroup CPU counter (v2 `cpu.stat`, v1 `cpuacct.usage`),
    less this process's own CPU time; without a readable cgroup, the sum over /proc. On a host
    (bench only): the child's own CPU time and that of the children it waited for.
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
                if me not in _read_text(os.path.join(os.path.dirname(path), "cgroup.procs")).split():
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
            q, period = _read_text("/sys/fs/cgroup/cpu.max").split()
            if q != "max":
                quota = int(q) / int(period)
        except (OSError, ValueError):
            try:
                q = int(_read_text("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"))
                if q > 0:
                    quota = q / int(_read_text("/sys/fs/cgroup/cpu/cpu.cfs_period_us"))
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
        total = 0.0
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


# ---------------------------------------------------------------- after a job: nothing left

HASH_SEED = os.environ.get("PYTHONHASHSEED", "0")
CLOCK = None


def _oom_kills():
    for path in ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control"):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("oom_kill "):
                        return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0


def _kill_everything(child_pid):
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
            _reap(block=True)
            if not _other_pids():
                break
    elif child_pid:
        try:
            os.killpg(child_pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    _reap()


def _other_pids():
    me = os.getpid()
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != me:
            pids.append(int(name))
    return pids


def _reap(block=False):
    while True:
        try:
            pid, _ = os.waitpid(-1, 0 if block else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


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


def _empty_dir(path):
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
            if len(_read_text("/proc/sysvipc/" + kind).splitlines()) > 1:
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
                for line in _read_text("/proc/sysvipc/" + kind).splitlines()[1:]:
                    fields = line.split()
                    if len(fields) > 1:
                        remove(int(fields[1]))
            code = 0
        finally:
            os._exit(code)
    os.waitpid(pid, 0)


def _fresh_workdir():
    if HOST_MODE:
        return tempfile.mkdtemp(prefix="verdict-job-")
    _clean_scratch()
    os.mkdir(WORKDIR, 0o700)
    os.chown(WORKDIR, JOB_UID, JOB_GID)
    return WORKDIR


def _clean_scratch():
    for d in SCRATCH_DIRS:
        _empty_dir(d)
    _remove_sysv_ipc()


def _cleanup_workdir(workdir):
    if HOST_MODE:
        _empty_dir(workdir)
        try:
            os.rmdir(workdir)
        except OSError:
            pass
    else:
        _clean_scratch()


# ---------------------------------------------------------------- what the parent collects

class _Output:
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

    def start_child(self, stdio):
        self.segment = [] if stdio else None
        self.segment_len = 0
        self.segments.append(self.segment)

    def read(self, fd, stream):
        """Read what is there; (bytes read, within the limit)."""
        n = os.readv(fd, [self.chunk])
        if n == 0:
            return 0, True
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
        _zero(self.chunk)
        for buf in self.report.values():
            _zero(buf)
        for segment in self.segments:
            for part in segment or ():
                _zero(part)


class _FrameReader:
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
                (length,) = _unpack_length(bytes(self.prefix))
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
            _zero(self.body)


_LOAD_STATES = ("ok", "syntax_error", "raised", "memory")
_TEST_STATES = ("value", "raised", "memory", "unserializable", "output_limit")


def _header(body):
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


class _Sent:
    """A phase's outcome as the child reported it: its state now, its payload (raw) later."""

    def __init__(self, st, body, t=None, segment=None):
        self.st = st
        self.body = body
        self.t = t
        self.segment = segment  # a stdio test's stdout, in chunks


def _state(outcome):
    """The state of a load or test outcome, reported by the child or observed by the parent."""
    return outcome.st if isinstance(outcome, _Sent) else outcome["st"]


# ---------------------------------------------------------------- running a job

class _Phase:
    """One stretch the child is timed for: the load, or one test."""

    def __init__(self, job, cpu_limit, pid):
        self.job = job
        self.start = time.monotonic()
        self.cpu0 = CLOCK.used(pid)
        self.cpu_limit = cpu_limit
        self.deadline = min(self.start + WALL_FACTOR * cpu_limit, job.deadline())
        self.over_budget = False  # ended by the sample's budget, not by its own limit

    def wait(self, pid):
        """Seconds to wait before the next look, or None when the phase's time is up."""
        used = CLOCK.used(pid)
        wall_left = self.deadline - time.monotonic()
        cpu_left = self.cpu_limit - (used - self.cpu0)
        budget_left = self.job.budget_left(used)
        if budget_left <= 0 or (wall_left <= 0 and self.job.budget_wall_over()):
            self.over_budget = True
        if wall_left <= 0 or cpu_left <= 0 or budget_left <= 0:
            return None
        # CPU time accrues at most `cpus` times as fast as wall time: sleeping for the CPU
        # left over `cpus` cannot overshoot the limit, and under load it takes a few looks.
        return min(wall_left, max(min(cpu_left, budget_left) / CLOCK.cpus, MIN_POLL_S))


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


class _Job:
    """A job as this process knows it: a raw frame, then the shape and limits its first
    process reports (never its program or inputs), and what its processes sent."""

    def __init__(self, frame):
        self.frame = frame
        self.meta = None
        self.t0 = time.monotonic()
        self.children = 0
        self.output = _Output()
        self.results = []
        self.child_of = []  # which process ran each test: a garbled payload ends its run
        self.load = None
        self.rss = 0
        self.wall_s = 0.0
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


def _await_meta(reader, fd, pidfd):
    """The first frame of a job's first process (its shape), and any frames after it."""
    deadline = time.monotonic() + META_WAIT_S
    exited = False
    frames = []
    while True:
        got, over = reader.read(fd)
        frames += got
        if frames or over or reader.eof or exited:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            break
        readable, _, _ = select.select([fd, pidfd], [], [], left)
        exited = pidfd in readable
    if not frames:
        return None, []
    meta = _parse_host(frames[0])
    return (meta if isinstance(meta, dict) else None), frames[1:]


class _ChildRun:
    """One process of a job, from its fork until every process of the job is gone."""

    def __init__(self, job, start, end):
        self.job = job
        self.start = start
        self.end = end
        self.load = None
        self.nxt = start
        self.finishing = False  # every frame it owes is in: it only has to exit
        self.ending = None  # why the parent stopped it in the middle of a phase
        self.phase = None
        self.pid = 0
        self.r_res = -1

    def take(self, body):
        """Account for one frame from the child; sets `ending` when it breaks the protocol."""
        job = self.job
        if self.finishing or self.ending is not None:
            _zero(body)
            return
        head = _header(body)
        if self.load is None:
            if head is None or head[0] != "load":
                _zero(body)
                self.ending = {"st": "protocol", "msg": "malformed load frame"}
                return
            self.load = _Sent(head[1], body)
            if head[1] != "ok" or self.nxt >= self.end:
                self.finishing = True
            else:
                self.phase = _Phase(job, job.limit(self.nxt), self.pid)
            return
        if head is None or head[0] != "test" or head[1] != self.nxt:
            _zero(body)
            self.ending = {"st": "protocol", "msg": "result frame out of order or malformed"}
            return
        # Held to the value budget by what the frame costs decoded, not by its bytes alone.
        cost = _frame_cost(body)
        job.value_total += cost
        if cost > job.frame_cap or job.value_total > job.value_cap:
            _zero(body)
            self.ending = self.value_limit(cost)
            return
        job.results[self.nxt] = _Sent(head[2], body, time.monotonic() - self.phase.start, job.output.segment)
        self.nxt += 1
        if self.nxt >= self.end:
            self.finishing = True
        else:
            self.phase = _Phase(job, job.limit(self.nxt), self.pid)

    def value_limit(self, cost):
        if cost > self.job.frame_cap:
            return {"st": "output_limit", "msg": "return value exceeds %d bytes" % self.job.value_bytes}
        return {"st": "output_limit", "msg": "return values exceed %d bytes in all" % self.job.value_cap}

    def take_all(self, reader, fd):
        frames, over = reader.read(fd)
        for body in frames:
            self.take(body)
        if over and not self.finishing and self.ending is None:
            self.ending = self.value_limit(self.job.frame_cap + 1)

    def watch(self, reader, streams, pidfd):
        """Read the child's frames and output until it exits, breaks a limit or, once it has
        sent everything, its exit grace is over. Returns whether it exited."""
        output = self.job.output
        grace_end = 0.0
        while self.ending is None:
            if self.finishing:
                grace_end = grace_end or time.monotonic() + EXIT_GRACE_S
                wait = grace_end - time.monotonic()
                if wait <= 0:
                    return False
            else:
                wait = self.phase.wait(self.pid)
                if wait is None:
                    self.ending = {"st": "timeout"}
                    if self.phase.over_budget:
                        self.ending["msg"] = "the sample's time budget of %g s is spent" % self.job.sample_s
                        self.job.budget_spent = True
                    return False
            readable, _, _ = select.select(list(streams) + [pidfd], [], [], wait)
            for fd in readable:
                if fd == pidfd:
                    if self.ending is None and self.r_res in streams:
                        self.take_all(reader, self.r_res)  # what it wrote just before it exited
                    return True
                if streams[fd] == 3:
                    self.take_all(reader, fd)
                    if reader.eof or reader.over:
                        os.close(fd)
                        del streams[fd]
                    continue
                n, within = output.read(fd, streams[fd])
                if n == 0:
                    os.close(fd)
                    del streams[fd]
                elif not within:
                    if self.finishing or self.ending is not None:
                        return False  # counted to the end all the same (see _finish_child)
                    self.ending = {"st": "output_limit", "msg": "output exceeds %d bytes" % output.limit}
                if self.ending is not None:
                    return False
        return False


def _run_child(job, start, end, workdir):
    """Fork one process for tests[start:end] (end None: the job's first, which reports its
    shape) and fill job.results. Every process of the job is gone on return.

    Returns (load, next_index, rss_kb, crashed): `crashed` when the process ended in the
    middle of a phase (time limit, output, memory, signal, exit, protocol).
    """
    reader = _FrameReader(META_CAP if job.meta is None else job.frame_cap)
    r_res, w_res = os.pipe()
    r_out, w_out = os.pipe()
    r_err, w_err = os.pipe()
    oom_before = _oom_kills()
    pid = os.fork()
    if pid == 0:
        os.close(r_res)
        os.close(r_out)
        os.close(r_err)
        child_main(job.frame, start, end, workdir, (w_out, w_err, w_res))
    _LAST_CHILD[0] = pid
    job.child_cpu0 = CLOCK.used(pid)
    for fd in (w_res, w_out, w_err):
        os.close(fd)
    os.set_blocking(r_res, False)
    pidfd = os.pidfd_open(pid)
    streams = {r_res: 3, r_out: 1, r_err: 2}
    early = []
    if job.meta is None:
        meta, early = _await_meta(reader, r_res, pidfd)
        job.set_meta(meta)
        if not job.runnable:
            for body in early:
                _zero(body)
            os.kill(pid, signal.SIGKILL)
            os.wait4(pid, 0)
            os.close(pidfd)
            for fd in streams:
                os.close(fd)
            if meta is None:
                raise RuntimeError("the job process could not read its job")
            return None, start, 0, False
        end = int(meta["end"])
        reader.cap = job.frame_cap
    job.children += 1
    job.output.start_child(start in job.stdio)
    run = _ChildRun(job, start, end)
    run.pid, run.r_res = pid, r_res
    run.phase = _Phase(job, job.load_s, pid)
    for body in early:
        run.take(body)
    exited = run.watch(reader, streams, pidfd) if run.ending is None else False
    status, rusage = _finish_child(job, pid, exited, streams)
    os.close(pidfd)
    reader.scrub()
    load, nxt, ending = run.load, run.nxt, run.ending
    if ending is None and not run.finishing:
        # The child ended on its own in the middle of a phase.
        ending = _death(status, oom_before)
    crashed = ending is not None
    if crashed:
        if load is None:
            load = ending
        else:
            job.results[nxt] = dict(ending, i=nxt, t=time.monotonic() - run.phase.start)
            nxt += 1
    return load, nxt, rusage.ru_maxrss, crashed


def _finish_child(job, pid, exited, streams):
    """Stop the child and everything else the job started, then count what they wrote.

    Output counts until the job's last process is gone: once none is left, nothing can write
    to the pipes, and what they hold is read to the end. Over the limit is output_limit,
    whatever the job reported before (job.overflow).
    """
    if not exited:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    # The CPU clock before the processes are reaped (the /proc sum forgets the dead).
    job.cpu_before += CLOCK.used(pid) - job.child_cpu0
    _, status, rusage = os.wait4(pid, 0)
    _kill_everything_safe()
    _drain(streams, job.output, DRAIN_WAIT_S if not HOST_MODE else 0.0)
    for fd in list(streams):
        os.close(fd)
    if job.output.total > job.output.limit:
        job.overflow = True
    return status, rusage


def _drain(streams, output, wait_s):
    """Read what the pipes hold, to EOF where every writer is gone, and never past the limit."""
    fds = [fd for fd, s in streams.items() if s != 3]
    for fd in fds:
        os.set_blocking(fd, False)
    deadline = time.monotonic() + wait_s
    while fds and output.total <= output.limit:
        readable, _, _ = select.select(fds, [], [], max(0.0, deadline - time.monotonic()))
        if not readable:
            return
        for fd in readable:
            try:
                n = output.read(fd, streams[fd])[0]
            except BlockingIOError:
                continue
            except OSError:
                n = 0
            if n == 0:
                fds.remove(fd)


def _death(status, oom_before):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGKILL and _oom_kills() > oom_before:
            return {"st": "memory", "msg": "killed by the out-of-memory killer"}
        return {"st": "killed", "sig": sig, "msg": _signame(sig)}
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    return {"st": "exited", "code": code, "msg": "exited with code %d" % code}


def _signame(sig):
    try:
        return signal.Signals(sig).name
    except ValueError:
        return "signal %d" % sig


def run_job(job):
    """Run a job's processes; fills `job`. No process of the job is left on return; its
    scratch space is emptied after the result is sent (see _serve)."""
    job.workdir = _fresh_workdir()
    try:
        start, end = 0, None  # the first process reads the job and says where its run ends
        while True:
            child_load, nxt, child_rss, crashed = _run_child(job, start, end, job.workdir)
            if not job.runnable:
                return
            job.rss = max(job.rss, child_rss)
            for i in range(start, min(max(nxt, start + 1), len(job.child_of))):
                job.child_of[i] = start
            if job.load is None:
                job.load = child_load
            if _state(child_load) != "ok":
                if start > 0:
                    # A later process failed to load: report it on the test it was for.
                    job.results[start] = child_load
                break
            if job.budget_spent or (crashed and not job.continue_after_crash):
                break
            start = max(nxt, start + 1)
            if start >= job.n:
                break
            end = job.end_after(start)
    finally:
        _kill_everything_safe()
        job.wall_s = time.monotonic() - job.t0


_LAST_CHILD = [0]


def _kill_everything_safe():
    try:
        _kill_everything(_LAST_CHILD[0])
    except Exception as e:  # never let cleanup take the runner down
        sys.stderr.write("runner: cleanup failed: %r\n" % (e,))


# ---------------------------------------------------------------- forks that read job data

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
    if not isinstance(r, _Sent) or child in broken:
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


def _assemble(job, out_fd):
    """In a fork: the result frame, from the raw frames the job's processes sent, to out_fd.

    Written test by test, so only one payload at a time is ever held as objects here. A test
    that would take the frame's tests past assembled_cap (a job that wrote its own frames can
    make JSON that grows when parsed and written again) is output_limit, and so is every
    value after it.
    """
    output = job.output
    load = job.load
    if isinstance(load, _Sent):
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
        _write_all(out_fd, data)
        written += len(data)

    put('{"op":"result","id":%s,"load":%s,"tests":[' % (
        _encode_json(job.id), _encode_json(load or {"st": "protocol", "msg": "no load report"})))
    broken = set()  # processes whose payload was garbled: their later tests are skipped
    left = assembled_cap(job)
    for i in range(job.n):
        r = _test_result(job, i, broken) or {"st": "skipped"}
        r["i"] = i
        text = _encode_json(r)
        if len(text) > left and r["st"] == "value":
            left = 0
            text = _encode_json({"st": "output_limit", "i": i,
                                 "msg": "return values exceed %d bytes in all" % job.value_cap})
        left = max(0, left - len(text))
        put(text if i == 0 else "," + text)
    put('],"stdout":%s,"stderr":%s,"max_rss_kb":%s,"wall_s":%s}' % tuple(map(_encode_json, (
        bytes(output.report[1][:output.kept[1]]).decode("utf-8", errors="replace"),
        bytes(output.report[2][:output.kept[2]]).decode("utf-8", errors="replace"),
        job.rss, job.wall_s))))
    os.pwrite(out_fd, _pack_length(written), 0)


def _in_fork(work, *args):
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
    _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        os.close(out)
        return None
    return out


def _send_memfd(fd, out):
    """Copy a memfd to fd in the kernel, so its bytes never pass through this process's heap."""
    size = os.fstat(fd).st_size
    offset = 0
    while offset < size:
        offset += os.sendfile(out, fd, offset, size - offset)


# ---------------------------------------------------------------- main loop

def _validate_job(frame):
    if not isinstance(frame.get("program"), str):
        return "job.program must be a string"
    tests = frame.get("tests")
    if not isinstance(tests, list):
        return "job.tests must be a list"
    for i, t in enumerate(tests):
        if not isinstance(t, dict) or t.get("kind") not in ("call", "expr", "exec", "stdio"):
            return "job.tests[%d].kind must be call, expr, exec or stdio" % i
    limits = frame.get("limits")
    if not isinstance(limits, dict):
        return "job.limits must be an object"
    for key in ("test_s", "load_s", "memory_mb", "output_bytes", "value_bytes"):
        if key not in limits:
            return "job.limits.%s is missing" % key
    if isinstance(limits["test_s"], list) and len(limits["test_s"]) != len(tests):
        return "job.limits.test_s must have one entry per test"
    sample_s = limits.get("sample_s")
    if sample_s is not None and (type(sample_s) not in (int, float) or not sample_s > 0):
        return "job.limits.sample_s must be a positive number or null"
    return None


# A frame this small cannot hold a valid job (its required keys alone are longer), so this
# process may parse it: it holds no program and no inputs.
SMALL_FRAME = 64


def _answer(meta):
    """Answer a frame that is not a job to run; False when the host asked the runner to exit."""
    op = meta["op"]
    if op == "exit":
        return False
    if op == "ping":
        write_frame(1, {"op": "pong"})
    elif op == "bad":
        write_frame(1, {"op": "error", "message": "frame is not UTF-8 JSON"})
    elif op == "unknown":
        write_frame(1, {"op": "error", "message": "unknown op %s" % meta["name"]})
    else:
        write_frame(1, {"op": "error", "id": meta.get("id"), "message": meta.get("problem", "invalid job")})
    return True


def _serve(frame):
    """Answer one host frame; False when the host asked the runner to exit.

    A job's result goes out as soon as its last process is gone; the scratch space is emptied
    after that, on nobody's deadline, and `ready` tells the host the runner can take the next
    job (a runner that never says so is replaced by the host, the job it ran keeps its result).
    """
    if len(frame.buf) <= SMALL_FRAME:
        return _answer(_job_meta(_parse_host(frame.buf)))
    job = _Job(frame)
    answered = False
    try:
        run_job(job)
        if not job.runnable:
            return _answer(job.meta)
        result_fd = _in_fork(_assemble, job)
        if result_fd is None:
            raise RuntimeError("the result could not be assembled")
        try:
            _send_memfd(result_fd, 1)
            answered = True
        finally:
            os.close(result_fd)
    except Exception as e:
        job_id = job.meta.get("id") if isinstance(job.meta, dict) else None
        write_frame(1, {"op": "error", "id": job_id, "message": "runner failed: %r" % (e,)})
    finally:
        _scrub_job(job)
        if job.workdir is not None:
            try:
                _cleanup_workdir(job.workdir)
            except Exception as e:  # never let cleanup take the runner down
                sys.stderr.write("runner: cleanup failed: %r\n" % (e,))
        if answered:
            write_frame(1, {"op": "ready"})
    return True


def _scrub_job(job):
    job.output.scrub()
    for r in job.results + [job.load]:
        if isinstance(r, _Sent):
            _zero(r.body)


def main():
    global HASH_SEED, CLOCK
    HASH_SEED = os.environ.get("PYTHONHASHSEED", "0")
    CLOCK = _JobClock()
    if not HOST_MODE and os.getpid() == 1:
        # PID 1 ignores signals it has no handler for; make that explicit for SIGPIPE so a
        # vanished host is seen as EOF/EPIPE instead.
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    gc.freeze()
    write_frame(1, {
        "op": "hello",
        "protocol": PROTOCOL,
        "python": platform.python_version(),
        "pid": os.getpid(),
        "uid": os.getuid(),
        "host_mode": HOST_MODE,
    })
    while True:
        try:
            frame = read_host_frame(0)
        except ValueError as e:  # a length above the limit: the stream cannot be trusted
            write_frame(1, {"op": "error", "message": "unreadable frame: %s" % e})
            return 2
        if frame is None:
            return 0
        try:
            if not _serve(frame):
                return 0
        finally:
            frame.scrub()
        gc.collect()


if __name__ == "__main__":
    sys.exit(main())
