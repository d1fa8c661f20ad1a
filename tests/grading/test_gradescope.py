"""``course-rnn gradescope``: the bundle's contents, and its run_autograder in a simulated
``/autograder`` layout (a temporary folder named by AUTOGRADER_ROOT)."""

import json
import os
import stat
import subprocess
import sys
import zipfile

import pytest
from helpers import EXERCISES, ROOT, mutate, solution_notebook
from mutants import MUTANTS

from course_rnn.cli import main
from course_rnn.grading.gradescope import run_autograder, write_bundle

RESULT_FIELDS = {"score", "execution_time", "output", "visibility", "stdout_visibility", "tests"}
RESULT_FIELDS |= {"output_format", "test_output_format"}  # "text": student text stays inert
TEST_FIELDS = {"name", "number", "score", "max_score", "output", "tags", "visibility"}


def test_bundle_holds_scripts_package_and_hidden_tests_only(tmp_path, solutions):
    bundle = write_bundle(tmp_path / "autograder.zip", solutions=solutions)
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        modes = {i.filename: i.external_attr >> 16 for i in zf.infolist()}
    assert {
        "setup.sh",
        "run_autograder",
        "package/pyproject.toml",
        "package/constraints.txt",
    } <= names
    assert {"solutions/tests/hidden_state.py", "solutions/tests/secret_seed.txt"} <= names
    assert "package/course_rnn/grading/grade.py" in names
    assert not [n for n in names if n.endswith(".ipynb") or "__pycache__" in n]
    assert modes["run_autograder"] & stat.S_IXUSR
    assert modes["setup.sh"] & stat.S_IXUSR
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp_path / "source")
    for script in ("setup.sh", "run_autograder"):  # syntax only: setup.sh needs root and network
        subprocess.run(["bash", "-n", str(tmp_path / "source" / script)], check=True)
    assert "-c package/constraints.txt ./package" in (tmp_path / "source" / "setup.sh").read_text()


def test_gradescope_command_writes_the_bundle(tmp_path, capsys, solutions):
    assert main(["gradescope", str(tmp_path / "b.zip"), "--solutions", str(solutions)]) == 0
    assert zipfile.is_zipfile(tmp_path / "b.zip")
    assert "Zip file upload" in capsys.readouterr().out


def test_run_autograder_grades_a_submission_in_the_autograder_layout(tmp_path, solutions):
    root = tmp_path / "autograder"
    with zipfile.ZipFile(write_bundle(tmp_path / "b.zip", solutions=solutions)) as zf:
        zf.extractall(root / "source")  # what Gradescope does with the bundle
    (root / "run_autograder").write_bytes((root / "source" / "run_autograder").read_bytes())
    submission = root / "submission" / "nested"
    submission.mkdir(parents=True)
    wrong = next(m for m in MUTANTS if m.name == "clip_per_tensor")
    nb = mutate("bptt", replace={wrong.function: wrong.source})
    for exercise in EXERCISES:  # correct notebooks, but for one mistake in bptt
        (submission / f"{exercise}.ipynb").write_text(json.dumps(solution_notebook(exercise)))
    (submission / "bptt.ipynb").write_text(json.dumps(nb))
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "COURSE_RNN_PYTHON": sys.executable}
    done = subprocess.run(
        ["bash", str(root / "run_autograder")], env=env, cwd=ROOT, capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert RESULT_FIELDS <= set(results)
    assert results["output_format"] == results["test_output_format"] == "text"
    assert all(set(t) >= TEST_FIELDS for t in results["tests"])
    said = done.stdout.decode()  # what Gradescope shows the instructor only
    assert said.startswith("sandbox: bubblewrap (")
    assert results["stdout_visibility"] == "hidden"
    for path in (root / "source").rglob("*"):  # the hidden tests, seed and package: root only
        assert path.stat().st_mode & 0o077 == 0, path
    failed = [t for t in results["tests"] if t["score"] < t["max_score"]]
    assert [t["name"] for t in failed] == [
        "bptt: clip_grad_norm (public checks)",
        "bptt: clip_grad_norm (hidden cases)",
    ]
    top = sum(t["max_score"] for t in results["tests"])
    assert results["score"] == top - sum(t["max_score"] for t in failed)  # everything else


def test_run_autograder_reports_its_own_failure_as_results(tmp_path):
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)  # no source/solutions: the grader cannot start
    results = run_autograder(root)
    assert results["score"] == 0
    assert "The autograder failed" in results["output"]
    assert json.loads((root / "results" / "results.json").read_text()) == results


def test_the_bundle_keeps_its_secrets_private_and_its_sandbox_mode(tmp_path, solutions):
    """V03/V28: secrets stored 0600; the mode is on run_autograder's line, the seed never is."""
    bundle = write_bundle(tmp_path / "uid.zip", solutions=solutions, sandbox="uid")
    with zipfile.ZipFile(bundle) as zf:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in zf.infolist()}
        script = zf.read("run_autograder").decode()
    secrets = [name for name in modes if name.startswith("solutions/")]
    assert secrets
    assert all(modes[name] == 0o600 for name in secrets)
    assert "--sandbox uid" in script
    assert "seed" not in script
    with pytest.raises(ValueError, match="--sandbox must be one of"):
        write_bundle(tmp_path / "weak.zip", solutions=solutions, sandbox="rlimits-only")


def test_run_autograder_refuses_a_weaker_sandbox_and_says_so(tmp_path, capsys, monkeypatch):
    """V03: on a container where bubblewrap cannot work, ``auto`` fails visibly, not silently."""
    from course_rnn.grading.sandbox import modes

    monkeypatch.setattr(modes, "bubblewrap_problem", lambda: "bwrap is not installed (test)")
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "source" / "solutions").mkdir(parents=True)
    results = run_autograder(root)
    assert results["score"] == 0
    assert "The autograder failed (SandboxError: the sandbox needs bubblewrap" in results["output"]
    assert results["output_format"] == "text"
    assert "the sandbox needs bubblewrap, and bwrap is not installed" in capsys.readouterr().out
