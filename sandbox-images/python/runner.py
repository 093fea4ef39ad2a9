"""verdict's in-container runner.

Runs as the container's main process (PID 1, root with a handful of capabilities) and
speaks length-prefixed JSON frames on stdin/stdout (see docs/ARCHITECTURE.md, "The runner
protocol"). Each job runs in a forked child that drops to an unprivileged uid; this parent
enforces every limit from outside the untrusted process, kills everything the job left
behind and wipes the scratch directories before it answers, so the next job starts clean.

The parent never judges: it reports facts (a value, an exception, a timeout). Expected
values never enter the container.

`--host` runs the same protocol on a host with no isolation at all; it exists only as the
physical reference for `verdict bench` and must never be used to judge samples.
"""

import base64
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

PROTOCOL = 1
JOB_UID = 10000
JOB_GID = 10000
HOST_MODE = "--host" in sys.argv
SCRATCH_DIRS = ("/tmp", "/dev/shm")
REPORT_BYTES = 16384  # stdout/stderr kept for reports, per stream
MAX_HOST_FRAME = 1 << 30
MAX_DEPTH = 200
RESULT_FD = 3

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

# Bound once, so a job that patches modules in its own process cannot break its own
# reporting by accident (it can only ever misreport its own values, never a verdict).
_write = os.write
_dumps = json.dumps
_b64encode = base64.b64encode
_perf = time.perf_counter
_isfinite = __import__("math").isfinite
_isinstance = isinstance
_repr = repr
_sha256 = __import__("hashlib").sha256
_type = type
_list = list
_len = len


# ---------------------------------------------------------------- framing

def _read_exact(fd, n):
    chunks = []
    while n > 0:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


BAD_FRAME = object()


def read_frame(fd):
    header = _read_exact(fd, 4)
    if header is None:
        return None
    (length,) = struct.unpack(">I", header)
    if length > MAX_HOST_FRAME:
        raise ValueError("frame too large")
    payload = _read_exact(fd, length)
    if payload is None:
        return None
    try:
        return json.loads(payload.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return BAD_FRAME  # the length was read, so the stream is still in step


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        n = _write(fd, view)
        view = view[n:]


def write_frame(fd, obj):
    payload = _dumps(obj, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    _write_all(fd, struct.pack(">I", len(payload)) + payload)


# ---------------------------------------------------------------- value codec

class Unserializable(Exception):
    pass


class TooLarge(Exception):
    pass


_SAFE_INT = 1 << 53


def _float_payload(x):
    if _isfinite(x):
        return x
    if x != x:
        return "nan"
    return "inf" if x > 0 else "-inf"


def encode_value(value, budget):
    """Plain Python value -> tagged JSON, refusing anything else (see ARCHITECTURE.md)."""
    state = [budget]

    def spend(n):
        state[0] -= n
        if state[0] < 0:
            raise TooLarge("return value larger than %d bytes" % budget)

    def enc(x, depth):
        if depth > MAX_DEPTH:
            raise Unserializable("value nested deeper than %d levels" % MAX_DEPTH)
        t = _type(x)
        if x is None:
            spend(4)
            return None
        if t is bool:
            spend(5)
            return x
        # Subclasses are read through the base type's own methods, never through
        # anything the program could override (a lying __eq__ or __iter__ is ignored).
        if _isinstance(x, int) and t is not bool and not _isinstance(x, bool):
            v = int.__int__(x)
            if -_SAFE_INT <= v <= _SAFE_INT:
                spend(8)
                return v
            h = hex(v)
            spend(_len(h) + 8)
            return {"i": h}
        if _isinstance(x, float):
            spend(24)
            return {"f": _float_payload(float.__float__(x))}
        if _isinstance(x, str):
            s = str.__str__(x)
            spend(_len(s) + 2)
            return s
        if t is bytes:
            spend(_len(x) * 4 // 3 + 8)
            return {"b": _b64encode(x).decode("ascii")}
        if t is complex:
            spend(48)
            return {"c": [_float_payload(x.real), _float_payload(x.imag)]}
        if _isinstance(x, list):
            items = list.copy(x)
            spend(2 + _len(items))
            return [enc(i, depth + 1) for i in items]
        if _isinstance(x, tuple):
            items = tuple.__getitem__(x, slice(None))
            spend(8 + _len(items))
            return {"t": [enc(i, depth + 1) for i in items]}
        if _isinstance(x, dict):
            items = _list(dict.items(dict.copy(x)))
            spend(8 + 2 * _len(items))
            return {"d": [[enc(k, depth + 1), enc(v, depth + 1)] for k, v in items]}
        if _isinstance(x, frozenset):
            items = _list(frozenset.copy(x)) if t is frozenset else _list(frozenset.union(x))
            spend(8 + _len(items))
            return {"fs": [enc(i, depth + 1) for i in items]}
        if _isinstance(x, set):
            items = _list(set.copy(x))
            spend(8 + _len(items))
            return {"s": [enc(i, depth + 1) for i in items]}
        raise Unserializable("%s is not a plain value" % _type_name(x))

    try:
        return enc(value, 0)
    except RecursionError:
        raise Unserializable("value nested too deeply")
    except TooLarge:
        # Too large to send whole: send the sha256 of its repr instead. The reference's value
        # takes the same path, so a right answer of any size still compares equal (exactly).
        text = _repr(value)
        return {"h": "%s:%d" % (_sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), _len(text))}


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
    raise ValueError("bad tagged value: %r" % (w,))


# ---------------------------------------------------------------- the job child

def _safe_str(e, limit=2000):
    try:
        s = str(e)
    except BaseException:
        s = "<unprintable exception>"
    if not isinstance(s, str):
        s = "<unprintable exception>"
    return s[:limit]


def _exc_frame(e):
    if isinstance(e, MemoryError):
        return {"st": "memory", "exc": "MemoryError", "msg": _safe_str(e)}
    return {"st": "raised", "exc": _type_name(e), "msg": _safe_str(e)}


def _send(frame):
    write_frame(RESULT_FD, frame)


def _child_setup(workdir, memory_mb, stdin_path, fds):
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
    if not HOST_MODE:
        os.setgroups([])
        os.setgid(JOB_GID)
        os.setuid(JOB_UID)
    os.chdir(workdir)
    # Move the three pipe ends out of the way, then onto fds 1, 2 and 3.
    high = [os.dup(fd) for fd in fds]
    stdin_fd = os.open(stdin_path or "/dev/null", os.O_RDONLY)
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


def _child_run(job, start, end, value_bytes):
    program = job["program"]
    setup = job.get("setup") or ""
    tests = job["tests"]
    stdio = tests[start]["kind"] == "stdio" if start < len(tests) else False
    ns = {"__name__": "__main__" if stdio else "__verdict__", "__builtins__": builtins}
    try:
        code = compile(program, "<program>", "exec")
    except (SyntaxError, ValueError) as e:
        _send({"load": {"st": "syntax_error", "exc": _type_name(e), "msg": _safe_str(e),
                        "line": getattr(e, "lineno", None)}})
        return
    except MemoryError as e:
        _send({"load": _exc_frame(e)})
        return
    if stdio:
        _send({"load": {"st": "ok"}})
        t0 = _perf()
        frame = {"i": start, "st": "value"}
        try:
            exec(code, ns)
        except SystemExit as e:
            if e.code not in (None, 0):
                frame = {"i": start, "st": "raised", "exc": "SystemExit", "msg": _safe_str(e.code)}
        except BaseException as e:
            frame = dict(_exc_frame(e), i=start)
        _flush()
        frame["t"] = _perf() - t0
        _send(frame)
        return
    try:
        exec(code, ns)
        if setup:
            exec(compile(setup, "<setup>", "exec"), ns)
    except BaseException as e:
        _flush()
        _send({"load": _exc_frame(e)})
        return
    _send({"load": {"st": "ok"}})
    for i in range(start, end):
        test = tests[i]
        kind = test["kind"]
        t0 = _perf()
        try:
            if kind == "call":
                fn = ns.get(test["fn"])
                if fn is None:
                    raise NameError("name %r is not defined" % test["fn"])
                value = fn(*ARGS[i])
                if test.get("project") == "not_none":
                    value = value if type(value) is bool else value is not None
            elif kind == "expr":
                value = eval(compile(test["src"], "<test>", "eval"), ns)
            elif kind == "exec":
                exec(compile(test["src"], "<test>", "exec"), ns)
                value = None
            else:
                raise ValueError("unknown test kind %r" % kind)
            elapsed = _perf() - t0
            try:
                frame = {"i": i, "st": "value", "v": encode_value(value, value_bytes), "t": elapsed}
            except Unserializable as e:
                frame = {"i": i, "st": "unserializable", "msg": _safe_str(e), "t": elapsed}
            except TooLarge as e:
                frame = {"i": i, "st": "output_limit", "msg": _safe_str(e), "t": elapsed}
        except BaseException as e:
            frame = dict(_exc_frame(e), i=i, t=_perf() - t0)
        _send(frame)
    _flush()


def child_main(job, start, end, workdir, stdin_path, fds):
    code = 0
    try:
        limits = job["limits"]
        _child_setup(workdir, int(limits.get("memory_mb", 0)), stdin_path, fds)
        _child_run(job, start, end, int(limits["value_bytes"]))
    except BaseException:
        code = 70
    finally:
        os._exit(code)


# ---------------------------------------------------------------- the parent side of a job

ARGS = []
HASH_SEED = os.environ.get("PYTHONHASHSEED", "0")


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
    else:
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


def _wipe(path):
    try:
        entries = os.listdir(path)
    except OSError:
        return
    for name in entries:
        full = os.path.join(path, name)
        try:
            if os.path.isdir(full) and not os.path.islink(full):
                _rmtree(full)
            else:
                os.unlink(full)
        except OSError:
            pass


def _rmtree(path):
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    _wipe(path)
    os.rmdir(path)


def _fresh_workdir():
    if HOST_MODE:
        return tempfile.mkdtemp(prefix="verdict-job-")
    for d in SCRATCH_DIRS:
        _wipe(d)
    workdir = "/tmp/job"
    os.mkdir(workdir, 0o700)
    os.chown(workdir, JOB_UID, JOB_GID)
    return workdir


def _cleanup_workdir(workdir):
    if HOST_MODE:
        try:
            _rmtree(workdir)
        except OSError:
            pass
    else:
        for d in SCRATCH_DIRS:
            _wipe(d)


class _Output:
    """Captured stdout/stderr of a job: a report prefix of each, and the total budget."""

    def __init__(self, limit):
        self.limit = limit
        self.total = 0
        self.report = {1: bytearray(), 2: bytearray()}
        self.segment = bytearray()  # stdout of the current child (a stdio test's value)

    def add(self, stream, data):
        self.total += len(data)
        keep = self.report[stream]
        if len(keep) < REPORT_BYTES:
            keep += data[: REPORT_BYTES - len(keep)]
        if stream == 1 and len(self.segment) <= self.limit:
            self.segment += data[: self.limit + 1 - len(self.segment)]
        return self.total <= self.limit


def _run_child(job, start, end, workdir, limits, output, results):
    """Fork one child for tests[start:end] and fill `results`.

    Returns (load, next_index, rss_kb, crashed): `crashed` when the process ended in the
    middle of a phase (deadline, output, memory, signal, exit, protocol).
    """
    tests = job["tests"]
    test_s = limits["test_s"]
    value_cap = int(limits["value_bytes"]) + 4096
    stdio = tests[start]["kind"] == "stdio"
    stdin_path = None
    if stdio:
        stdin_path = os.path.join(workdir, ".stdin")
        with open(stdin_path, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(tests[start].get("stdin", ""))
        if not HOST_MODE:
            os.chown(stdin_path, JOB_UID, JOB_GID)
    r_res, w_res = os.pipe()
    r_out, w_out = os.pipe()
    r_err, w_err = os.pipe()
    oom_before = _oom_kills()
    pid = os.fork()
    if pid == 0:
        os.close(r_res)
        os.close(r_out)
        os.close(r_err)
        child_main(job, start, end, workdir, stdin_path, (w_out, w_err, w_res))
    _LAST_CHILD[0] = pid
    for fd in (w_res, w_out, w_err):
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    streams = {r_res: 3, r_out: 1, r_err: 2}
    buf = bytearray()
    load = None
    nxt = start  # the next test index we expect a frame for
    phase_start = time.monotonic()
    limit = float(limits["load_s"])
    finishing = False  # every frame is in: only wait (briefly) for the child to exit
    ending = None  # set when the parent stops the child, or it breaks the protocol

    def per_test(i):
        return float(test_s[i] if isinstance(test_s, list) else test_s)

    child_exited = False
    while ending is None and not child_exited:
        remaining = phase_start + limit - time.monotonic()
        if remaining <= 0:
            if not finishing:
                ending = {"st": "timeout"}
            break
        readable, _, _ = select.select(list(streams) + [pidfd], [], [], remaining)
        for fd in readable:
            if fd == pidfd:
                child_exited = True
                continue
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            if not data:
                os.close(fd)
                del streams[fd]
                continue
            which = streams[fd]
            if which in (1, 2):
                if not output.add(which, data) and not finishing:
                    ending = {"st": "output_limit", "msg": "output exceeds %d bytes" % output.limit}
                    break
                continue
            if finishing:
                continue
            buf += data
            while ending is None and not finishing and len(buf) >= 4:
                (length,) = struct.unpack(">I", bytes(buf[:4]))
                if length > value_cap:
                    ending = {"st": "output_limit",
                              "msg": "return value exceeds %d bytes" % limits["value_bytes"]}
                    break
                if len(buf) < 4 + length:
                    break
                payload = bytes(buf[4:4 + length])
                del buf[:4 + length]
                try:
                    frame = json.loads(payload.decode("utf-8"))
                except (ValueError, UnicodeDecodeError, RecursionError):
                    ending = {"st": "protocol", "msg": "malformed result frame"}
                    break
                now = time.monotonic()
                if load is None:
                    load = _clean_load(frame.get("load")) if isinstance(frame, dict) else None
                    if load is None:
                        ending = {"st": "protocol", "msg": "malformed load frame"}
                        break
                    if load["st"] != "ok" or nxt >= end:
                        finishing = True
                    else:
                        limit = per_test(nxt)
                    phase_start = now
                    continue
                result = _clean_test(frame, nxt, now - phase_start)
                if result is None:
                    ending = {"st": "protocol", "msg": "result frame out of order or malformed"}
                    break
                results[nxt] = result
                nxt += 1
                phase_start = now
                if nxt >= end:
                    finishing = True
                else:
                    limit = per_test(nxt)
            if finishing:
                limit = 2.0  # grace for the child to flush its output and exit
            if ending is not None:
                break
    _drain(streams, output)
    if not child_exited:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status, rusage = os.wait4(pid, 0)
    os.close(pidfd)
    for fd in list(streams):
        os.close(fd)
    if ending is None and not finishing:
        # The child ended on its own in the middle of a phase.
        ending = _death(status, oom_before)
    crashed = ending is not None
    if crashed:
        if load is None:
            load = ending
        else:
            results[nxt] = dict(ending, i=nxt, t=time.monotonic() - phase_start)
            nxt += 1
    if stdio and results[start] is not None and results[start]["st"] == "value":
        results[start]["v"] = bytes(output.segment).decode("utf-8", errors="replace")
    output.segment = bytearray()
    return load, nxt, rusage.ru_maxrss, crashed


def _drain(streams, output):
    for fd in list(streams):
        if streams[fd] == 3:
            continue
        os.set_blocking(fd, False)
        try:
            while True:
                data = os.read(fd, 1 << 16)
                if not data:
                    break
                output.add(streams[fd], data)
        except (BlockingIOError, OSError):
            pass


def _death(status, oom_before):
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGKILL and _oom_kills() > oom_before:
            return {"st": "memory", "msg": "killed by the out-of-memory killer"}
        if sig == signal.SIGXCPU:
            return {"st": "timeout", "msg": "CPU time limit"}
        return {"st": "killed", "sig": sig, "msg": _signame(sig)}
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    return {"st": "exited", "code": code, "msg": "exited with code %d" % code}


def _signame(sig):
    try:
        return signal.Signals(sig).name
    except ValueError:
        return "signal %d" % sig


_LOAD_STATES = {"ok", "syntax_error", "raised", "memory"}
_TEST_STATES = {"value", "raised", "memory", "unserializable", "output_limit"}


def _short(x, limit=2000):
    return x[:limit] if isinstance(x, str) else None


def _clean_load(frame):
    if not isinstance(frame, dict):
        return None
    st = frame.get("st")
    if st not in _LOAD_STATES:
        return None
    out = {"st": st}
    for key in ("exc", "msg"):
        v = _short(frame.get(key))
        if v is not None:
            out[key] = v
    if isinstance(frame.get("line"), int):
        out["line"] = frame["line"]
    return out


def _clean_test(frame, expected_index, elapsed):
    """Keep only well-formed fields of a child's test frame; None if it is not the one expected."""
    if not isinstance(frame, dict) or type(frame.get("i")) is not int or frame["i"] != expected_index:
        return None
    st = frame.get("st")
    if st not in _TEST_STATES:
        return None
    out = {"i": expected_index, "st": st}
    if st == "value":
        out["v"] = frame.get("v")
    for key in ("exc", "msg"):
        v = _short(frame.get(key))
        if v is not None:
            out[key] = v
    out["t"] = elapsed  # measured here, not taken from the untrusted child
    return out


def run_job(job):
    global ARGS
    t0 = time.monotonic()
    tests = job["tests"]
    limits = job["limits"]
    n = len(tests)
    ARGS = [[decode_value(a) for a in t.get("args", [])] if t.get("kind") == "call" else None
            for t in tests]
    output = _Output(int(limits["output_bytes"]))
    results = [None] * n
    load = None
    rss = 0
    workdir = _fresh_workdir()
    try:
        if n == 0:
            # A job with no tests still loads the program (a syntax check, or setup).
            probe = dict(job, tests=[{"kind": "exec", "src": "pass"}])
            load, _, rss, _ = _run_child(probe, 0, 1, workdir, limits, output, [None])
        start = 0
        while start < n:
            end = start + 1
            if tests[start]["kind"] != "stdio":
                while end < n and tests[end]["kind"] != "stdio":
                    end += 1
            child_load, nxt, child_rss, crashed = _run_child(
                job, start, end, workdir, limits, output, results)
            _kill_everything_safe()
            rss = max(rss, child_rss)
            if load is None:
                load = child_load
            if child_load["st"] != "ok":
                if start > 0:
                    # A later process failed to load: report it on the test it was for.
                    results[start] = dict(child_load, i=start)
                break
            if crashed and not job.get("continue_after_crash"):
                break
            start = max(nxt, start + 1)
    finally:
        _kill_everything_safe()
        _cleanup_workdir(workdir)
    for i in range(n):
        if results[i] is None:
            results[i] = {"i": i, "st": "skipped"}
    return {
        "op": "result",
        "id": job.get("id"),
        "load": load or {"st": "protocol", "msg": "no load report"},
        "tests": results,
        "stdout": bytes(output.report[1]).decode("utf-8", errors="replace"),
        "stderr": bytes(output.report[2]).decode("utf-8", errors="replace"),
        "max_rss_kb": rss,
        "wall_s": time.monotonic() - t0,
    }


_LAST_CHILD = [0]


def _kill_everything_safe():
    try:
        _kill_everything(_LAST_CHILD[0])
    except Exception as e:  # never let cleanup take the runner down
        sys.stderr.write("runner: cleanup failed: %r\n" % (e,))


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
    return None


def main():
    global HASH_SEED
    HASH_SEED = os.environ.get("PYTHONHASHSEED", "0")
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
            frame = read_frame(0)
        except ValueError as e:  # a length above the limit: the stream cannot be trusted
            write_frame(1, {"op": "error", "message": "unreadable frame: %s" % e})
            return 2
        if frame is None:
            return 0
        if frame is BAD_FRAME:
            write_frame(1, {"op": "error", "message": "frame is not UTF-8 JSON"})
            continue
        op = frame.get("op") if isinstance(frame, dict) else None
        if op == "exit":
            return 0
        if op == "ping":
            write_frame(1, {"op": "pong"})
            continue
        if op != "job":
            write_frame(1, {"op": "error", "message": "unknown op %r" % (op,)})
            continue
        problem = _validate_job(frame)
        if problem:
            write_frame(1, {"op": "error", "id": frame.get("id"), "message": problem})
            continue
        try:
            result = run_job(frame)
        except Exception as e:
            write_frame(1, {"op": "error", "id": frame.get("id"), "message": "runner failed: %r" % (e,)})
            continue
        write_frame(1, result)
        gc.collect()


if __name__ == "__main__":
    sys.exit(main())

