"""``course-rnn gradescope``: a Gradescope autograder bundle that runs this same grader.

Gradescope unpacks the bundle into ``/autograder/source``, runs ``setup.sh`` once to build its
image, then for each submission runs ``/autograder/run_autograder``, which must write
``/autograder/results/results.json``. The bundle holds this package's source with the pinned
versions (constraints.txt), the hidden tests and the secret seed (solutions/tests, stored 0600),
and the two scripts. ``run_autograder`` calls :func:`run_autograder` below, which first makes the
secrets private (``/autograder/source`` and the installed ``course_rnn`` become 0700), starts the
sandbox in the bundle's mode and prints that mode on its standard output (Gradescope shows it to
instructors only), then copies ``/autograder/submission/*.ipynb`` into the layout
``course-rnn grade`` expects, grades it, prints the integrity report's package check (a class of
one has no pairs; also instructors only), and copies the student's results.json into place; when
anything goes wrong (a sandbox that cannot start included) it still writes a results.json that
says what happened. The seed never appears on a command line.

Sandbox modes on Gradescope (each submission runs in a container of its own, as root):

- ``auto`` (the default): bubblewrap, if the container lets it create namespaces; otherwise every
  submission fails with a message saying so (nothing is graded in a weaker mode silently).
- ``uid`` (``course-rnn gradescope --sandbox uid``): for containers without namespaces. Student
  code runs as an unprivileged uid, checked unable to read the hidden tests, the seed and the
  reference package, with Landlock and the seccomp filter where the kernel has them. It can
  still reach the network and read what any user may read in the container; since each
  submission has a container of its own, nothing it leaves can reach another student, and the
  only files it could read or send are its own submission's.

The root can be moved with the ``AUTOGRADER_ROOT`` environment variable (the tests do this).
"""

import json
import os
import shutil
import sys
import time
import zipfile
from pathlib import Path

from course_rnn.grading.files import atomic_write_text

ROOT_ENV = "AUTOGRADER_ROOT"
STUDENT = "submission"
_REPO = Path(__file__).resolve().parents[2]

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root with network access, when it builds the autograder image.
set -euo pipefail
cd /autograder/source
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip bubblewrap
PYTHON=python3
for candidate in python3.13 python3.12 python3.11; do
    if ! command -v "$candidate" >/dev/null; then
        apt-get install -y --no-install-recommends "$candidate" "$candidate-venv" || true
    fi
    if command -v "$candidate" >/dev/null; then PYTHON=$candidate; break; fi
done
"$PYTHON" -m venv /autograder/venv
export PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu  # torch's CPU wheel, not CUDA
/autograder/venv/bin/pip install --quiet -c package/constraints.txt pip
/autograder/venv/bin/pip install --quiet -c package/constraints.txt ./package
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it must leave /autograder/results/results.json.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{COURSE_RNN_PYTHON:-$ROOT/venv/bin/python}}"
exec "$PYTHON" -m course_rnn.grading.gradescope --root "$ROOT" --sandbox {sandbox}
"""
BUNDLE_MODES = ("auto", "uid")  # what a root-run container can have (rlimits-only would be root)

_PACKAGE_FILES = ("pyproject.toml", "README.md", "constraints.txt")


def write_bundle(bundle: Path, *, solutions: Path, sandbox: str = "auto") -> Path:
    """Write the autograder zip.

    Args:
        bundle:    the zip to write (its folder must exist)
        solutions: the instructor folder; its tests/ (hidden tests, secret seed) go in the bundle
        sandbox:   the sandbox mode ``run_autograder`` asks for: "auto" or "uid"

    Returns:
        ``bundle``.

    Raises:
        ValueError: ``solutions/tests`` holds no hidden tests or no secret seed; an unknown mode.
    """
    from course_rnn.grading.tasks import load_exercises, read_seed

    if sandbox not in BUNDLE_MODES:
        raise ValueError(f"gradescope: --sandbox must be one of {BUNDLE_MODES}, got {sandbox!r}")
    load_exercises(solutions)  # refuse to bundle tests that do not load
    read_seed(solutions)
    if not (_REPO / "pyproject.toml").is_file():
        raise ValueError(f"gradescope: no pyproject.toml in {_REPO}; run from a source checkout")
    entries = {"setup.sh": SETUP_SH, "run_autograder": RUN_AUTOGRADER.format(sandbox=sandbox)}
    files = [(_REPO / f, f"package/{f}") for f in _PACKAGE_FILES if (_REPO / f).is_file()]
    files += [
        (p, f"package/{p.relative_to(_REPO)}")
        for p in sorted((_REPO / "course_rnn").rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    ]
    files += [
        (p, f"solutions/tests/{p.name}")
        for p in sorted((Path(solutions) / "tests").iterdir())
        if p.is_file() and (p.suffix == ".py" or p.name == "secret_seed.txt")
    ]
    tmp = Path(bundle).with_name(f".{Path(bundle).name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o100755 << 16  # an executable regular file
            zf.writestr(info, text)
        for path, name in files:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            secret = name.startswith("solutions/")
            info.external_attr = (0o100600 if secret else 0o100644) << 16
            zf.writestr(info, path.read_bytes(), zipfile.ZIP_DEFLATED)
    tmp.replace(bundle)
    return Path(bundle)


def run_autograder(root: Path, sandbox: str = "auto") -> dict:
    """Grade ``root/submission`` with ``root/source/solutions``; write results/results.json.

    Args:
        root:    the autograder folder (``/autograder`` on Gradescope)
        sandbox: the sandbox mode, "auto" (bubblewrap or fail) or "uid"

    Returns:
        The results written (Gradescope's results.json fields).
    """
    from course_rnn.grading.grade import GradeSettings, grade
    from course_rnn.grading.sandbox import Sandbox
    from course_rnn.grading.similarity import summary_lines

    root = Path(root)
    start = time.perf_counter()
    work = root / "work"
    shutil.rmtree(work, ignore_errors=True)
    student = work / "submissions" / STUDENT
    student.mkdir(parents=True)
    (root / "results").mkdir(parents=True, exist_ok=True)
    try:
        make_private(root / "source", work)
        settings = GradeSettings(jobs=1, confinement=sandbox)
        with Sandbox(
            jobs=1,
            cell_timeout=settings.cell_timeout,
            memory_mb=settings.memory_mb,
            cpu_seconds=settings.cpu_seconds,
            confinement=sandbox,
            secrets=(root / "source",),
            private=(work,),
        ) as box:
            print(f"sandbox: {box.confinement}", flush=True)  # the instructor's view only
            for path in sorted((root / "submission").rglob("*.ipynb")):
                if path.is_file() and not path.is_symlink():
                    if ".ipynb_checkpoints" not in path.parts:
                        shutil.copyfile(path, student / path.name)
            run = grade(
                work / "submissions",
                work / "out",
                solutions=root / "source" / "solutions",
                settings=settings,
                sandbox=box,
            )
        results = json.loads(
            (work / "out" / "results" / run.results[0].key / "results.json").read_text()
        )
        for line in summary_lines(run.similarity):  # the package check: instructors only
            print(line, flush=True)
    except Exception as err:  # Gradescope shows this instead of a silent failure
        print(f"the autograder failed: {type(err).__name__}: {err}", flush=True)
        results = {
            "score": 0,
            "execution_time": round(time.perf_counter() - start, 3),
            "output": "The autograder failed "
            f"({type(err).__name__}: {str(err)[:300]}); tell your instructor.",
            "output_format": "text",
            "test_output_format": "text",
            "visibility": "visible",
            "stdout_visibility": "hidden",
            "tests": [],
        }
    atomic_write_text(root / "results" / "results.json", json.dumps(results, indent=1))
    return results


def make_private(*folders: Path) -> None:
    """Make ``folders`` and the installed ``course_rnn`` readable by their owner (root) only.

    Gradescope may unpack the bundle with its 0644 modes and ``pip`` installs the package
    world-readable; a sandbox uid must read neither the hidden tests, the seed nor the reference
    implementations.
    """
    import course_rnn

    package = Path(course_rnn.__file__).resolve().parent
    installed = package.parent.name in ("site-packages", "dist-packages")  # not a checkout
    for folder in (*folders, *([package] if installed else [])):
        if folder.is_dir() and os.stat(folder).st_uid == os.geteuid():
            for path, _, files in os.walk(folder):
                os.chmod(path, 0o700)
                for name in files:
                    target = os.path.join(path, name)
                    if not os.path.islink(target):
                        os.chmod(target, os.stat(target).st_mode & 0o700)


def main(argv: list[str] | None = None) -> int:
    """``python -m course_rnn.grading.gradescope --root ROOT`` (what run_autograder calls)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m course_rnn.grading.gradescope")
    parser.add_argument("--root", type=Path, default=Path(os.environ.get(ROOT_ENV, "/autograder")))
    parser.add_argument("--sandbox", choices=BUNDLE_MODES, default="auto")
    args = parser.parse_args(argv)
    results = run_autograder(args.root, args.sandbox)
    print(f"score {results['score']:g}; results written to {args.root / 'results'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
