"""The package works without the repository: built, checked, installed into a fresh virtual
environment outside the checkout by a notebook's own install cell, where a chapter runs and the
grader gives the reference solutions full marks.

One environment serves the whole module (CI time). It is made offline in seconds: a new
``python -m venv`` whose site-packages receives, as hard links, the files (from each RECORD) of
the distributions course_rnn's wheel requires, plus nbclient and ipykernel to run a notebook and
pip for the install cell, all as this checkout's .venv has them. course_rnn is NOT among them:
the chapter's first cell (tools/install_cell.py) installs it from the wheel built here, with
``COURSE_RNN_INSTALL_SOURCE`` pointing at that wheel and pip kept off every index. Every process
runs from a folder outside the checkout, without PYTHONPATH, and the chapter reports where
course_rnn came from. (A venv that only saw .venv's site-packages through a .pth file would not
do: .venv holds the editable install's metadata, and the grader's sandbox mounts only the
environment's own site-packages, where links to .venv would dangle.)
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import check_dist  # noqa: E402  (tools/ is not a package)
import install_cell  # noqa: E402

pytestmark = pytest.mark.slow

CHAPTER = "sequences"  # the quickest chapter
#: What runs a notebook in the new environment, and the install cell's pip.
TOOLING = ("nbclient", "ipykernel", "pip")
# code, small JSON and stored weights, the largest the moonshot LSTM of chapter "Out-compressing
# bzip2" (compression_weights.npz, 2.3 MB of float16); more means data slipped in
MAX_WHEEL_BYTES = 4_800_000
RUN_NOTEBOOK = """
import sys, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {}})
client.execute()
nbformat.write(nb, sys.argv[2])
"""
WHERE = """\
import json, os, sys
import course_rnn
print(json.dumps({"file": course_rnn.__file__, "version": course_rnn.__version__,
                  "executable": sys.executable, "path": sys.path, "cwd": os.getcwd()}))"""


def run(argv, **kwargs) -> subprocess.CompletedProcess:
    """Run ``argv``; on failure, fail the test with its output."""
    done = subprocess.run(argv, capture_output=True, text=True, check=False, **kwargs)
    if done.returncode != 0:
        pytest.fail(f"{argv[:3]} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr}")
    return done


def inside(path, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


# --- building and checking the archives ------------------------------------------------------
@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The sdist and the wheel (built from that sdist) of this checkout, as ``make dist`` does."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)])
    (wheel,), (sdist,) = list(out.glob("*.whl")), list(out.glob("*.tar.gz"))
    return wheel, sdist


def test_archives_hold_the_package_and_pass_twine(dist):
    wheel, sdist = dist
    assert check_dist.wheel_problems(wheel) == []
    assert check_dist.sdist_problems(sdist) == []
    run([str(Path(sys.executable).with_name("twine")), "check", "--strict", str(wheel), str(sdist)])
    assert wheel.stat().st_size < MAX_WHEEL_BYTES


def test_check_dist_reports_missing_and_foreign_files(dist, tmp_path):
    wheel, sdist = dist
    stub = "course_rnn/grading/sandbox/stub/course_rnn/__init__.py"
    broken = tmp_path / wheel.name
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in src.namelist():
            if name != stub:
                dst.writestr(name, src.read(name))
        dst.writestr("solutions/tests/secret_seed.txt", "1234")
    problems = check_dist.wheel_problems(broken)
    assert f"{wheel.name}: missing {stub}" in problems
    assert f"{wheel.name}: solutions/tests/secret_seed.txt does not belong in the wheel" in problems
    broken = tmp_path / sdist.name
    top = sdist.name.removesuffix(".tar.gz")
    with tarfile.open(sdist) as src, tarfile.open(broken, "w:gz") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        extra = tmp_path / "test_x.py"
        extra.write_text("x = 1\n")
        dst.add(extra, f"{top}/tests/test_x.py")
    assert check_dist.sdist_problems(broken) == [
        f"{sdist.name}: tests/test_x.py does not belong in the sdist"
    ]


# --- a fresh environment outside the checkout ---------------------------------------------------
def requirement_closure(requirements: list[str]) -> list[metadata.Distribution]:
    """The installed distributions that ``requirements`` need, transitively (markers honoured)."""
    found: dict[str, metadata.Distribution] = {}
    pending = [Requirement(r) for r in requirements]
    while pending:
        req = pending.pop()
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in ("", *req.extras)):
            continue
        name = canonicalize_name(req.name)
        if name in found:
            continue
        found[name] = dist = metadata.distribution(req.name)
        for text in dist.requires or []:
            dep = Requirement(text)
            if (
                not dep.marker
                or dep.marker.evaluate({"extra": ""})
                or any(dep.marker.evaluate({"extra": e}) for e in req.extras)
            ):
                pending.append(Requirement(str(dep).split(";")[0]))
    return list(found.values())


def link_distribution(dist: metadata.Distribution, site: Path) -> None:
    """Put ``dist``'s files (its RECORD) into ``site``: hard links, copies across file systems."""
    if dist.files is None:
        pytest.fail(f"{dist.metadata['Name']} has no RECORD: cannot put it in the test venv")
    for file in dist.files:
        if file.parts[0] == ".." or not (source := Path(dist.locate_file(file))).is_file():
            continue  # scripts and data outside site-packages; .pyc files never written
        target = site / file
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)


def wheel_requirements(wheel: Path) -> list[str]:
    """The Requires-Dist lines of the wheel's METADATA (what pip will check is installed)."""
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(zf.read(name).decode()).get_all("Requires-Dist") or []


@pytest.fixture(scope="module")
def venv(dist, tmp_path_factory):
    """A new virtual environment outside the checkout: course_rnn's dependencies, no course_rnn."""
    home = tmp_path_factory.mktemp("fresh")
    assert not inside(home, ROOT)
    env_dir = home / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)])
    python = env_dir / "bin" / "python"
    site = Path(
        run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    )
    for needed in requirement_closure([*wheel_requirements(dist[0]), *TOOLING]):
        assert canonicalize_name(needed.metadata["Name"]) != "course-rnn"
        link_distribution(needed, site)
    kernels = home / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    spec = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh venv",
        "language": "python",
    }
    (kernels / "kernel.json").write_text(json.dumps(spec))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "JUPYTER"))}
    env |= {
        "PATH": f"{env_dir / 'bin'}:{env['PATH']}",
        "JUPYTER_PATH": str(home / "jupyter"),  # our kernel spec, with this venv's Python
        "JUPYTER_DATA_DIR": str(home / "jupyter-data"),
        "PIP_CONFIG_FILE": os.devnull,  # no index, no find-links but the wheel's: offline
        "PIP_NO_INDEX": "1",
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        install_cell.SOURCE_ENV: str(dist[0]),
    }
    return {"home": home, "python": python, "site": site, "env": env}


@pytest.fixture(scope="module")
def chapter(venv):
    """The chapter, run in the new environment; its install cell installs course_rnn first."""
    probe = subprocess.run(
        [venv["python"], "-c", "import course_rnn"],
        env=venv["env"],
        cwd=venv["home"],
        capture_output=True,
        check=False,
    )
    assert probe.returncode != 0, "course_rnn is importable before the install cell ran"
    nb = nbformat.read(ROOT / "book" / f"{CHAPTER}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(WHERE))
    source = venv["home"] / f"{CHAPTER}.ipynb"
    nbformat.write(nb, source)
    done = venv["home"] / f"{CHAPTER}.done.ipynb"
    run(
        [venv["python"], "-c", RUN_NOTEBOOK, str(source), str(done)],
        env=venv["env"],
        cwd=venv["home"],
    )
    return nbformat.read(done, as_version=4)


def cell_text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def test_install_cell_installs_the_wheel_and_the_chapter_runs(chapter, venv, dist):
    first = next(c for c in chapter.cells if c.cell_type == "code")
    assert first.get("id") == install_cell.CELL_ID
    assert f"Installing course_rnn {check_dist.version()} from {dist[0]}" in cell_text(first)
    where = json.loads(cell_text(chapter.cells[-1]))
    assert inside(where["file"], venv["site"]), where["file"]  # the wheel, in the new venv
    assert where["version"] == check_dist.version()
    assert where["executable"] == str(venv["python"])
    assert not inside(where["cwd"], ROOT)
    assert not [p for p in where["path"] if p and inside(p, ROOT)], where["path"]


# --- the grader, from the wheel ---------------------------------------------------------------
def released_exercises() -> list[str]:
    """Exercises with an instructor notebook, hidden tests and a released student notebook."""
    return sorted(
        p.stem
        for p in (ROOT / "solutions" / "tests").glob("*.py")
        if (ROOT / "solutions" / f"{p.stem}.ipynb").exists()
        and (ROOT / "exercises" / f"{p.stem}.ipynb").exists()
    )


def test_grader_from_the_wheel_gives_the_reference_solutions_full_marks(chapter, venv, tmp_path):
    from course_rnn.grading.sandbox.modes import bubblewrap_problem

    if problem := bubblewrap_problem():
        pytest.skip(f"the grader needs bubblewrap: {problem}")
    exercises = released_exercises()
    solutions = tmp_path / "solutions"
    (solutions / "tests").mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / "tests" / "secret_seed.txt", solutions / "tests")
    for name in exercises:
        shutil.copy(ROOT / "solutions" / f"{name}.ipynb", solutions)
        shutil.copy(ROOT / "solutions" / "tests" / f"{name}.py", solutions / "tests")
    # "plain" submits the instructor notebooks; "forced" too, with the install cell made to
    # take its install branch: the grader must turn its %pip line into `pass`, not run pip.
    for student in ("plain", "forced"):
        (tmp_path / "subs" / student).mkdir(parents=True)
        for name in exercises:
            nb = nbformat.read(ROOT / "solutions" / f"{name}.ipynb", as_version=4)
            if student == "forced":
                cell = next(c for c in nb.cells if c.get("id") == install_cell.CELL_ID)
                cell.source = cell.source.replace(f'!= "{check_dist.version()}"', '!= "never"')
                assert "never" in cell.source
            nbformat.write(nb, tmp_path / "subs" / student / f"{name}.ipynb")
    out = tmp_path / "out"
    command = [venv["python"].with_name("course-rnn"), "grade", tmp_path / "subs", "--out", out]
    run(
        [*map(str, command), "--solutions", str(solutions), "--quiet"],
        env=venv["env"],
        cwd=tmp_path,
    )
    results = {}
    for student in ("plain", "forced"):
        result = json.loads((out / "results" / student / "results.json").read_text())
        assert result["tests"], f"{student}: nothing was graded"
        assert result["score"] == sum(t["max_score"] for t in result["tests"]), student
        results[student] = [(t["name"], t["score"]) for t in result["tests"]]
        feedback = (out / "feedback" / f"{student}.md").read_text()
        assert "failed and was skipped" not in feedback, feedback
    assert results["forced"] == results["plain"]
    with open(out / "grades.csv", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert {row["sandbox"] for row in rows.values()} == {"bubblewrap"}
