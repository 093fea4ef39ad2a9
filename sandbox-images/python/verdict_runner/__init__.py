"""verdict's in-container runner, by responsibility (the main loop is ../runner.py).

Each job runs in a forked child that drops to an unprivileged uid; the runner enforces every
limit from outside the untrusted process, kills everything the job left behind, empties the
scratch directories and removes System V IPC objects before it takes the next job, so the next
job starts clean.

Time limits are CPU time of the job's processes (the container's cgroup, less the runner),
each with a wall-clock backstop, so a busy machine does not turn a pass into a timeout and a
sleeping or blocked program still ends.

Every job process is a fork of the runner and can read all the memory it inherits, freed memory
included. So the runner never turns job data into Python objects: host frames, the job's
result frames and its output are held as raw bytes in buffers that are zeroed after the job;
the job's first process parses the job and reports only its shape and limits (before any
program code runs), and a short-lived fork assembles each result frame. No job can read what
an earlier one sent, returned or printed.

The runner never judges: it reports facts (a value, an exception, a timeout). Expected values
never enter the container.

    settings    where it runs: container or --host, the job uid, the hash seed
    framing     length-prefixed frames, raw buffers and their zeroing
    job_frame   what the runner may know of a host frame (op, shape, limits)
    codec       values -> tagged JSON or digests, in the job; test inputs <- tagged JSON
    child       a job's process: privilege drop, rlimits, program load, tests
    clock       CPU time of the job's processes, OOM kills
    limits      per-phase, per-job and per-sample limits; a job as the runner knows it
    collect     output and result frames, counted and kept as raw bytes
    job_run     forking and watching a job's processes until none is left
    processes   killing and reaping every process but the runner
    scratch     emptying the scratch space and removing IPC objects
    assemble    the result frame, built in a fork
"""
