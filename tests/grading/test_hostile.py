"""The hostile corpus, end to end through ``course-rnn grade``: each submission gets its fair
score, the grader never crashes, and nothing escapes (OUT untouched, no process left behind, no
connection made). See hostile/corpus.py for the attacks and their expected scores."""

import contextlib
import csv
import os
import signal
import socket
import uuid
from pathlib import Path

import nbformat
import pytest
from helpers import mutate, solution_notebook, write_student
from hostile.corpus import corpus

from course_rnn.cli import main


def processes_with(marker: str) -> list[int]:
    """Ids of the processes whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, solutions):
    """Grade the whole corpus once with the CLI; return what the tests inspect."""
    root = tmp_path_factory.mktemp("hostile")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    context = {
        "solutions": solutions.resolve(),
        "out": root / "out",
        "port": listener.getsockname()[1],
        "marker": f"course-rnn-hostile-{uuid.uuid4().hex}",
    }
    cases = corpus(context)
    for case in cases:
        notebook = case.raw or nbformat.writes(
            mutate("hidden_state", replace=dict(case.replace), insert=list(case.insert))
        )
        write_student(
            root / "subs", case.name, {"hidden_state": notebook, "bptt": solution_notebook("bptt")}
        )
    argv = ["grade", str(root / "subs"), "--out", str(root / "out"), "--jobs", "2"]
    argv += ["--cell-timeout", "2", "--quiet", "--solutions", str(solutions)]
    code = main(argv)
    connections = 0
    with contextlib.suppress(BlockingIOError):
        while True:
            connection, _ = listener.accept()
            connection.close()
            connections += 1
    listener.close()
    leftovers = processes_with(context["marker"])
    for pid in leftovers:  # clean up before failing
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    with (root / "out" / "grades.csv").open() as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    return {
        "code": code,
        "rows": rows,
        "cases": cases,
        "out": root / "out",
        "connections": connections,
        "leftovers": leftovers,
    }


@pytest.fixture(scope="module")
def isolated(sandbox):
    """Whether the worker runs in bubblewrap (files, OUT and the network invisible)."""
    return sandbox.mode == "bubblewrap"


def test_the_grader_finishes_with_a_row_per_submission(hostile_run):
    assert hostile_run["code"] == 0
    assert sorted(hostile_run["rows"]) == sorted(c.name for c in hostile_run["cases"])


@pytest.mark.parametrize(
    "name",
    [c.name for c in corpus({"solutions": Path("s"), "out": Path("o"), "port": 1, "marker": "m"})],
)
def test_each_hostile_submission_gets_its_fair_score(hostile_run, isolated, name):
    case = next(c for c in hostile_run["cases"] if c.name == name)
    if case.needs_isolation and not isolated:
        pytest.skip("without bubblewrap the worker can see files and the network")
    assert float(hostile_run["rows"][name]["total"]) == case.expected
    feedback = (hostile_run["out"] / "feedback" / f"{name}.md").read_text()
    assert case.says in feedback


def test_out_was_not_written_by_a_submission(hostile_run, isolated):
    if not isolated:
        pytest.skip("without bubblewrap the worker may write where the grader's user can")
    out = hostile_run["out"]
    assert "pwned" not in (out / "grades.csv").read_text()
    assert not (out / "results" / "intruder").exists()


def test_no_process_outlives_its_submission(hostile_run):
    assert hostile_run["leftovers"] == []


def test_no_connection_leaves_the_sandbox(hostile_run, isolated):
    if not isolated:
        pytest.skip("without bubblewrap the worker shares the network")
    assert hostile_run["connections"] == 0
