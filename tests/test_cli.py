"""The console script ``course-rnn``: version, help, and a clear error for unknown commands."""

import subprocess
import sys

import pytest

from course_rnn import __version__
from course_rnn.cli import main


def test_version_flag_prints_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"course-rnn {__version__}"


def test_no_arguments_prints_help(capsys):
    assert main([]) == 0
    assert "usage: course-rnn" in capsys.readouterr().out


def test_unknown_command_is_an_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
    assert "frobnicate" in capsys.readouterr().err


def test_python_dash_m_runs_the_cli():
    result = subprocess.run(
        [sys.executable, "-m", "course_rnn", "--help"], capture_output=True, text=True, check=True
    )
    assert "usage: course-rnn" in result.stdout
