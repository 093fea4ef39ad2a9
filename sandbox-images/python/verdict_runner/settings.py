"""Where this runner runs, read once at start: a container (PID 1, root) or, with `--host`, a
host with no isolation at all (`verdict bench`'s reference only); the job's uid and gid; the
hash seed every job gets.
"""
import os
import sys

HOST_MODE = "--host" in sys.argv
JOB_UID = 10000
JOB_GID = 10000
HASH_SEED = os.environ.get("PYTHONHASHSEED", "0")


def read_text(path):
    """A small text file's content (OSError when it cannot be read)."""
    with open(path) as f:
        return f.read()
