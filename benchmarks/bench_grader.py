"""The sandboxed grader on a class of generated submissions: seconds per submission, and the fast
path (all cells in one sandbox call) against the isolated path (one sandbox process per cell).

Submissions are the instructor notebooks, half of them as they are (correct), a third with one
classic mistake (wrong), and the rest "hostile-lite": an exception while the notebook runs,
``sys.exit``, a megabyte of printing, NaN results, wrong shapes, a corrupt or a missing notebook.
Each student submits both exercises. The sandbox starts once, before the clock starts (its
servers import numpy and torch: seconds, paid once per grading run), and its start is printed.
Each notebook runs twice in the sandbox (public probes, then hidden ones: ``score.py``).

Usage: python benchmarks/bench_grader.py [--students 300] [--jobs 2] [--isolated 30]
Target (issue 6): at most 0.3 s per submission with --jobs 2.
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

from course_rnn.grading import runs
from course_rnn.grading.grade import GradeSettings, grade
from course_rnn.grading.sandbox import Sandbox

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
EXERCISES = ("hidden_state", "bptt")
WRONG = {  # exercise -> (text in the instructor's solution, the mistake)
    "hidden_state": ("h_prev @ W_hh.T + b_hh", "h_prev @ W_hh + b_hh"),
    "bptt": ("        dW_ih += dW_ih_t", "        dW_ih = dW_ih_t"),
}
HOSTILE = (
    ("exception", "import a_module_that_does_not_exist"),
    ("exit", "import sys\nsys.exit(1)"),
    ("printing", "print('x' * 1_000_000)"),
    ("nan", "np.tanh = lambda a: a * np.nan"),
    ("shapes", "np.stack = lambda arrays: np.concatenate(arrays)"),
)


def notebook(exercise: str, kind: str) -> str | None:
    """One exercise notebook of the given kind, as text (None: missing)."""
    nb = nbformat.read(SOLUTIONS / f"{exercise}.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    if kind == "wrong":
        old, new = WRONG[exercise]
        for cell in nb.cells:
            cell.source = cell.source.replace(old, new)
    elif kind == "corrupt":
        return nbformat.writes(nb)[:500]
    elif kind == "missing":
        return None
    elif kind != "correct":
        source = dict(HOSTILE)[kind]
        nb.cells.insert(2, nbformat.v4.new_code_cell(source))
    return nbformat.writes(nb)


def make_class(root: Path, n: int) -> None:
    """n student folders: half correct, a third wrong, the rest hostile-lite."""
    lite = [name for name, _ in HOSTILE] + ["corrupt", "missing"]
    for i in range(n):
        if i % 6 in (0, 1, 2):
            kinds = ("correct", "correct")
        elif i % 6 in (3, 4):
            kinds = ("wrong", "correct") if i % 2 else ("correct", "wrong")
        else:
            kinds = (lite[(i // 6) % len(lite)], "correct")
        folder = root / f"student{i:04d}"
        folder.mkdir(parents=True)
        for exercise, kind in zip(EXERCISES, kinds, strict=True):
            text = notebook(exercise, kind)
            if text is not None:
                (folder / f"{exercise}.ipynb").write_text(text)


def timed_run(subs: Path, out: Path, sandbox, jobs: int) -> tuple[float, list[float], float]:
    """(wall seconds, per-student seconds, mean score) of one grading run."""
    start = time.perf_counter()
    run = grade(subs, out, solutions=SOLUTIONS, settings=GradeSettings(jobs=jobs), sandbox=sandbox)
    wall = time.perf_counter() - start
    return wall, [r.seconds for r in run.results], statistics.mean(r.score for r in run.results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--isolated", type=int, default=30, help="students for the comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_class(tmp / "class", args.students)
        make_class(tmp / "sample", args.isolated)
        start = time.perf_counter()
        with Sandbox(jobs=args.jobs, cell_timeout=5.0) as sandbox:
            sandbox.run(["x = 1"], [])
            startup = time.perf_counter() - start
            wall, each, mean = timed_run(tmp / "class", tmp / "out", sandbox, args.jobs)
            fast, _, _ = timed_run(tmp / "sample", tmp / "fast", sandbox, args.jobs)
            ways = dict(runs._WAYS)
            for way in ("fast", "tasks"):  # force one process per cell and per task
                runs._WAYS[way] = lambda *a: (None, "skipped")
            try:
                isolated, _, _ = timed_run(tmp / "sample", tmp / "isolated", sandbox, args.jobs)
            finally:
                runs._WAYS.update(ways)
        print(f"sandbox: {sandbox.mode}, {args.jobs} jobs, started in {startup:.1f} s (paid once)")
        print(
            f"{args.students} submissions (2 notebooks each) in {wall:.1f} s; mean score {mean:.1f}"
        )
        print(f"wall seconds per submission:        {wall / args.students:.3f}  (target <= 0.3)")
        print(
            f"median seconds per submission:      {statistics.median(each):.3f}  (one job's view)"
        )
        print(f"90th percentile per submission:     {statistics.quantiles(each, n=10)[-1]:.3f}")
        per = args.isolated
        print(
            f"isolated / fast path, {per} submissions: {isolated / per:.3f} / {fast / per:.3f} "
            f"s per submission = {isolated / fast:.1f}x"
        )


if __name__ == "__main__":
    main()
