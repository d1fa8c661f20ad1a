"""The hostile corpus, end to end through ``course-rnn grade``: each submission gets its fair
score, the grader never crashes, and nothing escapes (OUT untouched, no process left behind, no
connection made). See hostile/corpus.py for the attacks and their expected scores.

Leftover processes are looked for while the class is still being graded, as soon as the daemon's
student has been written: once the sandbox closes, its namespace takes every process with it, so
a check at the end could not tell a working sweep from none."""

import contextlib
import csv
import os
import signal
import socket
import threading
import time
import uuid
from pathlib import Path

import nbformat
import pytest
from helpers import EXERCISES, mutate, solution_notebook, write_student
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


class LeftoverWatcher(threading.Thread):
    """Once ``written`` appears (that student is done), note the processes carrying ``marker``."""

    def __init__(self, written: Path, marker: str):
        super().__init__(daemon=True)
        self.written, self.marker = written, marker
        self.seen: list[int] = []
        self.checked = False
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            if self.written.exists():
                time.sleep(0.5)  # a daemon the sweep missed would still be running
                self.seen = processes_with(self.marker)
                self.checked = True
                return
            time.sleep(0.05)

    def stop(self):
        self.done.set()
        self.join()


CONTROL = "zz_perfect_control"  # a student with no attack: what every honest test is worth


def fair_row(case, perfect: dict) -> dict:
    """The grades.csv scores a fair grader gives ``case``: the control's, minus what it loses."""
    lost = {
        column
        for column in perfect
        if column.startswith("hidden_state/")
        and any(
            loss == "*"
            or column.startswith(f"hidden_state/{loss}/")
            or column == f"hidden_state/{loss}"
            for loss in case.loses
        )
    }
    return {column: (0.0 if column in lost else value) for column, value in perfect.items()}


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
    honest = {e: solution_notebook(e) for e in EXERCISES}
    for case in cases:
        notebook = case.raw or nbformat.writes(
            mutate("hidden_state", replace=dict(case.replace), insert=list(case.insert))
        )
        write_student(root / "subs", case.name, honest | {"hidden_state": notebook})
    write_student(root / "subs", CONTROL, honest)
    argv = ["grade", str(root / "subs"), "--out", str(root / "out"), "--jobs", "2"]
    argv += ["--cell-timeout", "2", "--quiet", "--solutions", str(solutions)]
    watcher = LeftoverWatcher(root / "out" / "feedback" / "detached_daemon.md", context["marker"])
    watcher.start()
    code = main(argv)
    watcher.stop()
    connections = 0
    with contextlib.suppress(BlockingIOError):
        while True:
            connection, _ = listener.accept()
            connection.close()
            connections += 1
    listener.close()
    leftovers = watcher.seen + processes_with(context["marker"])
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
        "checked_during_run": watcher.checked,
    }


@pytest.fixture(scope="module")
def isolated(sandbox):
    """Whether the worker runs in bubblewrap (files, OUT and the network invisible)."""
    return sandbox.mode == "bubblewrap"


def test_the_grader_finishes_with_a_row_per_submission(hostile_run):
    assert hostile_run["code"] == 0
    names = sorted([CONTROL, *(c.name for c in hostile_run["cases"])])
    assert sorted(hostile_run["rows"]) == names


@pytest.mark.parametrize(
    "name",
    [c.name for c in corpus({"solutions": Path("s"), "out": Path("o"), "port": 1, "marker": "m"})],
)
def test_each_hostile_submission_gets_its_fair_score(hostile_run, isolated, name):
    case = next(c for c in hostile_run["cases"] if c.name == name)
    if case.needs_isolation and not isolated:
        pytest.skip("without bubblewrap the worker can see files and the network")
    tests = [c for c in hostile_run["rows"][CONTROL] if c.count("/") == 2]  # exercise/task/kind
    perfect = {c: float(hostile_run["rows"][CONTROL][c]) for c in tests}
    got = {c: float(hostile_run["rows"][name][c]) for c in tests}
    assert got == fair_row(case, perfect)
    assert float(hostile_run["rows"][name]["total"]) == sum(fair_row(case, perfect).values())
    feedback = (hostile_run["out"] / "feedback" / f"{name}.md").read_text()
    assert case.says in feedback


def test_out_was_not_written_by_a_submission(hostile_run, isolated):
    if not isolated:
        pytest.skip("without bubblewrap the worker may write where the grader's user can")
    out = hostile_run["out"]
    assert "pwned" not in (out / "grades.csv").read_text()
    assert not (out / "results" / "intruder").exists()


def test_no_process_outlives_its_submission(hostile_run):
    assert hostile_run["checked_during_run"]  # looked for while the sandbox was still running
    assert hostile_run["leftovers"] == []


def test_no_connection_leaves_the_sandbox(hostile_run, isolated):
    if not isolated:
        pytest.skip("without bubblewrap the worker shares the network")
    assert hostile_run["connections"] == 0


def test_a_blank_notebook_cannot_borrow_a_classmates_answers_from_shared_memory(
    tmp_path, solutions
):
    """V11: A leaves its code in System V shared memory; B submits the blank notebook plus a cell
    that runs what it finds there. B must score what a blank notebook scores (with --jobs 1 B
    always follows A on the same server)."""
    import nbformat
    from helpers import ROOT, solution_notebook, write_student

    code = "\n\n".join(
        c.source for c in solution_notebook("hidden_state").cells if c.cell_type == "code"
    )
    leave = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.shmat.restype = ctypes.c_void_p\n"
        f"data = {code.encode()!r}\n"
        "shm = libc.shmget(0x5EED, 1 << 20, 0o1666)\n"
        "if shm >= 0:\n"
        "    address = libc.shmat(shm, None, 0)\n"
        "    ctypes.memmove(address, len(data).to_bytes(4, 'little') + data, 4 + len(data))\n"
    )
    take = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.shmat.restype = ctypes.c_void_p\n"
        "shm = libc.shmget(0x5EED, 0, 0)\n"
        "if shm >= 0:\n"
        "    address = libc.shmat(shm, None, 0)\n"
        "    size = int.from_bytes(ctypes.string_at(address, 4), 'little')\n"
        "    exec(ctypes.string_at(address + 4, size).decode(), globals())\n"
    )

    def with_cell(notebook, source):
        notebook.cells.append(nbformat.v4.new_code_cell(source))
        return notebook

    def blank(name):
        return nbformat.read(ROOT / "exercises" / f"{name}.ipynb", as_version=4)

    subs = tmp_path / "subs"
    write_student(
        subs, "a_helper", {"hidden_state": with_cell(solution_notebook("hidden_state"), leave)}
    )
    write_student(subs, "b_freeloader", {"hidden_state": with_cell(blank("hidden_state"), take)})
    write_student(subs, "c_blank", {"hidden_state": blank("hidden_state")})
    argv = ["grade", str(subs), "--out", str(tmp_path / "out"), "--jobs", "1", "--quiet"]
    assert main([*argv, "--solutions", str(solutions)]) == 0
    with (tmp_path / "out" / "grades.csv").open() as f:
        totals = {r["student"]: float(r["total"]) for r in csv.DictReader(f)}
    assert totals["a_helper"] > totals["c_blank"]  # the helper's own work counts
    assert totals["b_freeloader"] == totals["c_blank"]
