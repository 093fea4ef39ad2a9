"""What a host frame is, read strictly: parsed only where that holds no job data in the
runner (a job's first process, or a frame too small to be a job), reduced to what the runner
may know of it (its op and, for a valid job, its shape and limits; never its program or inputs).
"""
import builtins
import json

# A frame this small cannot hold a valid job (its required keys alone are longer), so the
# runner may parse it: it holds no program and no inputs.
SMALL_FRAME = 64

# Functions below see a private copy of the builtins (read when each is made).
__builtins__ = dict(builtins.__dict__)  # noqa: A001


def parse_host(buf):
    """A host frame's JSON, or None when it is not UTF-8 JSON."""
    try:
        return json.loads(bytes(buf).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def validate_job(frame):
    """What is wrong with a parsed job frame, or None."""
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


def job_meta(msg):
    """What the parent may know of a host frame: its op and, for a valid job, shape and limits."""
    if msg is None:
        return {"op": "bad"}
    op = msg.get("op") if isinstance(msg, dict) else None
    if op != "job":
        return {"op": op if op in ("ping", "exit") else "unknown", "name": repr(op)[:100]}
    job_id = msg.get("id")
    meta = {"op": "job", "id": job_id if isinstance(job_id, str) else None}
    problem = validate_job(msg)
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
