"""The sandbox's cost per graded submission: warm servers (fork per submission) vs a cold start.

Generates ``--n`` small student notebooks (an import cell with numpy, torch and course_rnn, an RNN
step forward/backward in NumPy, a torch cell, a self-check cell), each a little different, and
grades them with ``--jobs`` servers from a thread pool, with three calls per submission (forward,
backward on the student's own cache through ``Ref``, and a torch function). Prints the median
per-submission wall time (as ``SubmissionRun.seconds`` measures it, inside the grader), the total
wall time divided by ``n`` (the throughput that ``--jobs`` buys), and, for comparison, a cold
start: a new sandbox (bubblewrap + Python + numpy/torch import) for one submission.

Last, the cost of the kernel filters every submission installs on itself, side by side in forked
processes: nanoseconds per system call (``getppid``, and ``stat`` of a file, which Landlock
checks) without filters, with the seccomp filter, and with seccomp plus Landlock.

Usage: python benchmarks/bench_sandbox.py [--n 300] [--jobs 2]
Target (issue 6): at most 0.3 s per submission with --jobs 2, torch exercises included.
"""

import argparse
import ctypes
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from course_rnn.grading.sandbox import Call, Ref, Sandbox, landlock, seccomp

IMPORTS = """\
import numpy as np
import torch
from course_rnn import seed_everything, check_shape
from course_rnn.grading import check
seed_everything({seed})
"""
RNN = """\
def rnn_step_forward(x_t, h_prev, W_ih, W_hh, b):
    # student {seed}: torch layout, x @ W.T
    a = x_t @ W_ih.T + h_prev @ W_hh.T + b
    h_t = np.tanh(a)
    return h_t, (x_t, h_prev, W_ih, W_hh, h_t)

def rnn_step_backward(dh_t, cache):
    x_t, h_prev, W_ih, W_hh, h_t = cache
    da = dh_t * (1 - h_t ** {power})
    return da @ W_ih, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(0)
"""
TORCH = """\
def torch_softmax(x):
    x = torch.as_tensor(x)
    return torch.softmax(x - x.max(dim=-1, keepdim=True).values, dim=-1).numpy()
"""
CHECK = 'check("rnn_step_forward", rnn_step_forward)\nprint("checked", {seed})\n'


def submission(k: int) -> list[str]:
    """Student k's code cells (every fifth one has a wrong derivative)."""
    power = 3 if k % 5 == 0 else 2
    return [IMPORTS.format(seed=k), RNN.format(seed=k, power=power), TORCH, CHECK.format(seed=k)]


def calls(rng: np.random.Generator) -> list[Call]:
    B, D, H = 4, 5, 6
    x, h = rng.standard_normal((B, D)), rng.standard_normal((B, H))
    W_ih, W_hh, b = rng.standard_normal((H, D)), rng.standard_normal((H, H)), rng.standard_normal(H)
    return [
        Call("rnn_step_forward", (x, h, W_ih, W_hh, b)),
        Call("rnn_step_backward", (rng.standard_normal((B, H)), Ref(0, 1))),
        Call("torch_softmax", (rng.standard_normal((B, H)),)),
    ]


def syscall_cost(filters: str, calls: int = 200_000) -> dict:
    """ns per getppid and per stat, in a forked child with ``filters`` ("", "seccomp", "both")."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: filter itself like a submission, then time the calls
        os.close(read)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(38, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
        if filters == "both":
            landlock.restrict(["/usr", "/lib", "/lib64", sys.base_prefix, *sys.path[1:]], ["/tmp"])
        if filters:
            seccomp.install()
        timings = {}
        for name, call in (("getppid", os.getppid), ("stat", lambda: os.stat(os.__file__))):
            best = float("inf")
            for _ in range(3):
                began = time.perf_counter()
                for _ in range(calls // 10):
                    call()
                best = min(best, (time.perf_counter() - began) / (calls // 10) * 1e9)
            timings[name] = best
        os.write(write, json.dumps(timings).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        timings = json.loads(pipe.read())
    os.waitpid(pid, 0)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    work = [(submission(k), calls(rng)) for k in range(args.n)]

    started = time.perf_counter()
    with Sandbox(jobs=args.jobs) as sandbox:
        for _ in range(args.jobs):  # wait for every server's imports (not part of the rate)
            sandbox.run(["pass"], [])
        ready = time.perf_counter() - started
        begin = time.perf_counter()
        with ThreadPoolExecutor(args.jobs) as pool:
            runs = list(pool.map(lambda item: sandbox.run(*item), work))
        total = time.perf_counter() - begin
        mode = sandbox.mode
    failed = sum(1 for run in runs for call in run.calls if not call.ok) + sum(
        len(run.cell_errors) for run in runs
    )
    seconds = [run.seconds for run in runs]

    cold = []
    for k in range(3):
        begin = time.perf_counter()
        with Sandbox(jobs=1) as sandbox:
            sandbox.run(*work[k])
        cold.append(time.perf_counter() - begin)

    print(f"confinement: {mode}; {args.n} submissions, jobs={args.jobs}")
    print(f"servers ready after          {ready:7.3f} s (imports numpy + torch once each)")
    print(f"median per submission        {statistics.median(seconds):7.3f} s (wall, in the grader)")
    print(f"90th percentile              {sorted(seconds)[int(0.9 * len(seconds))]:7.3f} s")
    print(f"total / n (throughput)       {total / args.n:7.3f} s ({total:.1f} s in all)")
    print(f"cold start, one submission   {statistics.median(cold):7.3f} s (new sandbox + imports)")
    print(f"failed cells + calls         {failed} (expected 0)")
    for k, run in enumerate(runs):
        problems = run.cell_errors + [(c.error, c.stdout) for c in run.calls if not c.ok]
        if problems:
            print(f"  submission {k}: {problems} {run.stdout!r}")
    if seccomp.supported():
        base = syscall_cost("")
        for label, filters in (("seccomp", "seccomp"), ("seccomp + Landlock", "both")):
            if filters == "both" and not landlock.abi():
                continue
            cost = syscall_cost(filters)
            print(f"{label:<19}", end="")
            for name in ("getppid", "stat"):
                ratio = cost[name] / base[name]
                print(
                    f" {name} {cost[name]:5.0f} ns vs {base[name]:5.0f} unfiltered ({ratio:.2f}x)",
                    end="",
                )
            print()


if __name__ == "__main__":
    main()
