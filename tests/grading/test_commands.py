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
    assert "ana      110/110" in out
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


def test_the_seed_comes_from_a_file_or_the_environment(tmp_path, capsys, monkeypatch):
    from course_rnn.grading import grade as grade_module

    used = []

    def fake_grade(*args, settings, **kwargs):
        used.append(settings.seed)
        raise ValueError("stop here")

    monkeypatch.setattr(grade_module, "grade", fake_grade)
    argv = ["grade", str(tmp_path), "--out", str(tmp_path / "o"), "--quiet"]
    seed = 188149653923061581601715954851015052345
    (tmp_path / "seed.txt").write_text(f"{seed}\n")
    assert main([*argv, "--seed-file", str(tmp_path / "seed.txt")]) == 2
    monkeypatch.setenv("COURSE_RNN_SEED", "42")
    assert main(argv) == 2
    assert main([*argv, "--seed", "7"]) == 2
    assert used == [seed, 42, 7]
    assert "--seed is visible to every user" in capsys.readouterr().err
    monkeypatch.setenv("COURSE_RNN_SEED", "not a number")
    assert main(argv) == 2
    assert "$COURSE_RNN_SEED must hold one non-negative integer" in capsys.readouterr().err
    assert main([*argv, "--seed-file", str(tmp_path / "nowhere")]) == 2
    assert "is missing or unreadable" in capsys.readouterr().err


def test_the_console_shows_names_inert_and_regrade_names_students(tmp_path, capsys, solutions):
    name = "\x1b]0;TITLE\x07\x1b[2J\x1b[1Aeve"
    perfect(tmp_path / "subs", name)
    argv = ["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out"), "--quiet"]
    argv += ["--solutions", str(solutions), "--jobs", "1"]
    assert main(argv) == 0
    printed = capsys.readouterr()
    assert "\\x1b]0;TITLE\\x07\\x1b[2J\\x1b[1Aeve" in printed.out
    assert "\x1b" not in printed.out + printed.err
    assert "sandbox mode: " in printed.err  # said before any student code runs
    assert main([*argv, "--regrade", name]) == 0
    assert "1 students: 1 graded, 0 kept from an earlier run" in capsys.readouterr().out
    assert main([*argv, "--regrade", "nobody"]) == 2
    assert "--regrade: no student named 'nobody'" in capsys.readouterr().err
