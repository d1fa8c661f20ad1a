"""The ``course-rnn`` instructor subcommands: help, errors as exit status 2, the summary."""

import re
import subprocess
import sys

from helpers import perfect

from course_rnn.cli import main


def test_help_lists_the_instructor_commands():
    out = subprocess.run(
        [sys.executable, "-m", "course_rnn", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("release", "grade", "gradescope"):
        assert command in out


def test_help_does_not_import_the_grader():
    code = "import sys, course_rnn.cli\n"
    code += "print(sorted(m for m in sys.modules if 'sandbox' in m or m in ('tqdm', 'torch')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_grade_prints_a_summary_table(tmp_path, capsys, solutions):
    perfect(tmp_path / "subs", "ana")
    argv = ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--quiet"]
    assert main([*argv, "--solutions", str(solutions), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"hidden_state/rnn_forward/hidden +2.00/2  1/1", out)
    assert "ana      20/20" in out
    assert "1 students: 1 graded, 0 kept from an earlier run" in out


def test_grade_errors_exit_with_status_2(tmp_path, capsys, solutions):
    assert main(["grade", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "o"), "--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err
    perfect(tmp_path / "subs", "ana")
    argv = ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "o"), "--quiet"]
    assert main([*argv, "--solutions", str(tmp_path / "nowhere")]) == 2
    assert "no secret seed" in capsys.readouterr().err
    assert main([*argv, "--solutions", str(tmp_path / "nowhere"), "--seed", "1"]) == 2
    assert "no hidden-test modules" in capsys.readouterr().err
