"""Launch buttons: every notebook's install cell, the settings it comes from, the Binder spec.

tools/install_cell.py writes the cell; these tests check that every notebook holds exactly what
the tool generates from the settings, that the tool changes nothing else and nothing twice, what
the cell does in a kernel (silent when the package is there; ``%pip install`` of the configured
source or of ``$COURSE_RNN_INSTALL_SOURCE`` otherwise), that a release keeps it and that the
grader never runs its pip line. The install itself, into an environment without course_rnn, is
run in tests/test_dist.py (it shares that module's fresh environment).
"""

import json
import os
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
import yaml

import course_rnn
from course_rnn.grading.notebook import python_source
from course_rnn.grading.release import render_exercise

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import install_cell  # noqa: E402  (tools/ is not a package)

NOTEBOOKS = install_cell.notebooks([])
VERSION, SOURCE = install_cell.settings()
CELL = install_cell.render(VERSION, SOURCE)
#: Runs a cell in a real IPython shell whose %pip only records its (expanded) line.
RUN_CELL = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
calls = []
shell.register_magic_function(calls.append, "line", "pip")
ok = shell.run_cell(sys.stdin.read()).success
print(json.dumps({"ok": ok, "pip": calls}))
"""


def first_code_cell(nb):
    return next(c for c in nb.cells if c.cell_type == "code")


def test_there_are_notebooks_to_check():
    folders = {p.relative_to(ROOT).parts[0] for p in NOTEBOOKS}
    assert folders == {"book", "solutions", "exercises"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(ROOT)) for p in NOTEBOOKS])
def test_every_notebook_starts_with_the_generated_install_cell(path):
    cell = first_code_cell(nbformat.read(path, as_version=4))
    hint = f"{path.name}: run `python tools/install_cell.py`"
    assert cell.get("id") == install_cell.CELL_ID, hint
    assert cell.source == CELL, hint
    assert cell.metadata == {"tags": ["remove-cell"]}  # the HTML book leaves it out
    assert cell.outputs == []  # it prints nothing where the package is installed
    assert install_cell.stale_notebooks([path], CELL) == []


def test_the_cell_installs_what_the_settings_say():
    repository = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    template = pyproject["tool"]["course-rnn"]["package-source"]
    source = template.format(repository=repository, version=course_rnn.__version__)
    assert (VERSION, SOURCE) == (course_rnn.__version__, source)
    assert f'        "{source}",\n' in CELL
    assert f'if _installed != "{course_rnn.__version__}":' in CELL


def test_the_installed_metadata_matches_the_package():
    """The cell compares the installed metadata with the book's version: after a version bump,
    a stale editable install would make every notebook try to install (and nbval fail)."""
    assert metadata.version("course_rnn") == course_rnn.__version__, "run `make setup` again"


def test_the_repository_url_is_written_once():
    """The URL lives in _config.yml; notebooks carry it only inside the generated cell."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout to list the project's files")
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    holders = sorted(
        name
        for name in listed
        if not name.endswith(".ipynb")
        and (ROOT / name).is_file()
        and url in (ROOT / name).read_text(errors="replace")
    )
    assert holders == ["_config.yml"]


# --- the tool -------------------------------------------------------------------------------------
@pytest.fixture
def bare_notebook(tmp_path):
    """A chapter without its install cell, in a temporary folder."""
    nb = nbformat.read(ROOT / "book" / "sequences.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if c.get("id") != install_cell.CELL_ID]
    path = tmp_path / "chapter.ipynb"
    path.write_text(nbformat.writes(nb) + "\n")
    return path, nb


def test_the_tool_adds_only_its_cell_and_is_idempotent(bare_notebook):
    path, before = bare_notebook
    assert install_cell.update(path, CELL) is True
    after = nbformat.read(path, as_version=4)
    first = next(i for i, c in enumerate(after.cells) if c.cell_type == "code")
    assert after.cells[first].get("id") == install_cell.CELL_ID
    assert first == next(i for i, c in enumerate(before.cells) if c.cell_type == "code")
    assert after.cells[:first] + after.cells[first + 1 :] == before.cells
    text = path.read_text()
    assert install_cell.update(path, CELL) is False
    assert path.read_text() == text


def test_a_stale_cell_is_replaced_in_place_keeping_its_execution_count(bare_notebook, capsys):
    path, _ = bare_notebook
    install_cell.update(path, CELL)
    nb = nbformat.read(path, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == install_cell.CELL_ID)
    nb.cells[index].source = "%pip install course_rnn==0.0.1"
    nb.cells[index].execution_count = 1
    path.write_text(nbformat.writes(nb) + "\n")
    assert install_cell.main(["--check", str(path)]) == 1
    assert "install cell missing or stale" in capsys.readouterr().out
    assert install_cell.main([str(path)]) == 0
    cell = nbformat.read(path, as_version=4).cells[index]
    assert (cell.get("id"), cell.source, cell.execution_count) == (install_cell.CELL_ID, CELL, 1)
    assert install_cell.main(["--check", str(path)]) == 0


def test_an_edit_made_while_the_tool_writes_is_kept(bare_notebook, monkeypatch):
    """Another helper may edit other cells at the same moment: the tool re-reads, never
    replaces the notebook with a version that lacks the other edit."""
    path, _ = bare_notebook
    real, calls = install_cell.rewritten, []

    def racing(text, cell_text):
        new = real(text, cell_text)
        if not calls:  # someone else writes the notebook after we read it
            nb = nbformat.reads(text, as_version=4)
            nb.cells[-1].source += "\n# edited meanwhile"
            path.write_text(nbformat.writes(nb) + "\n")
        calls.append(text)
        return new

    monkeypatch.setattr(install_cell, "rewritten", racing)
    assert install_cell.update(path, CELL) is True
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[-1].source.endswith("# edited meanwhile")
    assert first_code_cell(nb).get("id") == install_cell.CELL_ID
    assert len(calls) == 2


@pytest.mark.parametrize("name", sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb")))
def test_release_keeps_the_install_cell(name):
    released = nbformat.reads(render_exercise(ROOT / "solutions" / f"{name}.ipynb"), as_version=4)
    cell = first_code_cell(released)
    assert (cell.get("id"), cell.source, cell.metadata) == (
        install_cell.CELL_ID,
        CELL,
        {"tags": ["remove-cell"]},
    )


# --- what the cell does -------------------------------------------------------------------------
def run_cell(source: str, **env: str) -> dict:
    """Run ``source`` in a fresh IPython shell; ``{"ok", "pip": [lines], "printed"}``."""
    environ = {k: v for k, v in os.environ.items() if k != install_cell.SOURCE_ENV} | env
    done = subprocess.run(
        [sys.executable, "-c", RUN_CELL],
        input=source,
        capture_output=True,
        text=True,
        env=environ,
        check=True,
    )
    *printed, result = done.stdout.splitlines()
    return json.loads(result) | {"printed": "\n".join(printed)}


def test_the_cell_is_silent_when_the_book_version_is_installed():
    assert run_cell(CELL) == {"ok": True, "pip": [], "printed": ""}


def test_the_cell_installs_the_configured_source_or_the_override():
    other = install_cell.render("0.0.0", SOURCE)  # as if another version were installed
    result = run_cell(other)
    assert result["pip"] == [f'install --quiet "{SOURCE}"']
    assert result["printed"] == f"Installing course_rnn 0.0.0 from {SOURCE}"
    wheel = "/wheels/course_rnn-0.0.0-py3-none-any.whl"
    result = run_cell(other, **{install_cell.SOURCE_ENV: wheel})
    assert result["pip"] == [f'install --quiet "{wheel}"']


def test_the_grader_runs_the_cell_without_its_pip_line(capsys, monkeypatch):
    """The grader runs every code cell of a submission, as plain Python made by python_source:
    the %pip line becomes `pass`, so even the install branch runs nothing (tests/test_dist.py
    grades a submission whose cell takes that branch in the real sandbox)."""
    graded = python_source(install_cell.render("0.0.0", SOURCE))
    assert not [line for line in graded.splitlines() if line.lstrip().startswith(("%", "!"))]
    assert graded.splitlines()[-1] == "    pass"
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("the cell ran a process"))
    monkeypatch.setattr(os, "system", lambda *a: pytest.fail("the cell ran a shell"))
    exec(compile(graded, "install-cell", "exec"), {})
    assert capsys.readouterr().out == f"Installing course_rnn 0.0.0 from {SOURCE}\n"
    with pytest.raises(SyntaxError):  # unneutralised, the cell is not Python at all
        compile(install_cell.render("0.0.0", SOURCE), "install-cell", "exec")


# --- Binder -------------------------------------------------------------------------------------
def binder_lines() -> list[str]:
    text = (ROOT / "binder" / "requirements.txt").read_text()
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_binder_installs_the_package_with_every_version_from_constraints():
    lines = binder_lines()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in lines  # torch's CPU wheel
    assert "-c ../constraints.txt" in lines  # relative to binder/: the one file with the pins
    assert ".[lab]" in lines  # pip runs from the repository root
    assert not [line for line in lines if "==" in line or "torch" in line.split("/")[-1]]
    assert (ROOT / "constraints.txt").read_text().count("\ntorch==") == 1
    # Binder runs the Python the chapters' stored outputs were made with (the text corpus,
    # pydoc_data.topics, differs between Python versions)
    made_with = {
        ".".join(nbformat.read(p, as_version=4).metadata.language_info.version.split(".")[:2])
        for p in NOTEBOOKS
        if p.parent.name == "book"
    }
    assert [(ROOT / "binder" / "runtime.txt").read_text().strip()] == [
        f"python-{v}" for v in made_with
    ]


def test_pip_reads_the_binder_requirements():
    """pip itself parses the file, finds ../constraints.txt and the package (offline)."""
    offline = ["--no-index", "--no-deps", "--no-build-isolation", "--ignore-installed"]
    dry_run = ["install", "--dry-run", "--quiet", "--report", "-", *offline]
    done = subprocess.run(
        [sys.executable, "-m", "pip", *dry_run, "-r", "binder/requirements.txt"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    (item,) = json.loads(done.stdout)["install"]
    assert (item["metadata"]["name"], item["requested_extras"]) == ("course_rnn", ["lab"])
