"""A re-run after ``kill -9`` resumes without double counting; zip input, safely unpacked."""

import csv
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import nbformat
import pytest
from helpers import ROOT, mutate, perfect, solution_notebook, write_student

from course_rnn.grading import grade as grade_module
from course_rnn.grading import submissions
from course_rnn.grading.grade import GradeSettings, grade
from course_rnn.grading.report import StudentResult, grades_csv
from course_rnn.grading.submissions import SubmissionsError

N_STUDENTS = 6


def slow_student(subs, name):
    """A correct submission with a one-second cell, so grading can be interrupted midway."""
    nb = mutate("hidden_state", insert=["import time\ntime.sleep(1.0)"])
    write_student(subs, name, {"hidden_state": nb})


def read_rows(out):
    with (out / "grades.csv").open() as f:
        return list(csv.DictReader(f))


def kill_9_midway(submissions, out, solutions) -> dict:
    """Start ``course-rnn grade``, SIGKILL it once two students are written; their records."""
    command = [sys.executable, "-m", "course_rnn", "grade", str(submissions), "--out", str(out)]
    command += ["--jobs", "1", "--quiet", "--solutions", str(solutions)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    records = out / "results"
    deadline = time.monotonic() + 120
    while len(list(records.glob("*/record.json"))) < 2 and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    process.stderr.close()
    done = {p.parent.name: p.stat().st_mtime_ns for p in records.glob("*/record.json")}
    assert 2 <= len(done) < N_STUDENTS, "the grader was not interrupted midway"
    return done


def test_rerun_after_kill_9_resumes_without_double_counting(tmp_path, sandbox, solutions):
    subs, out = tmp_path / "subs", tmp_path / "out"
    for i in range(N_STUDENTS):
        slow_student(subs, f"student{i}")
    done = kill_9_midway(subs, out, solutions)
    records = out / "results"

    run = grade(subs, out, solutions=solutions, settings=GradeSettings(), sandbox=sandbox)
    assert (run.resumed, run.graded) == (len(done), N_STUDENTS - len(done))
    for name, mtime in done.items():  # kept, not graded again
        assert (records / name / "record.json").stat().st_mtime_ns == mtime
    rows = read_rows(out)
    assert sorted(r["student"] for r in rows) == [f"student{i}" for i in range(N_STUDENTS)]
    assert {r["total"] for r in rows} == {"9"}
    assert not list(out.rglob("*.tmp")), "temporary files left behind"


def test_changed_submission_is_graded_again(tmp_path, sandbox, solutions):
    subs, out = tmp_path / "subs", tmp_path / "out"
    perfect(subs, "ana")
    assert grade(subs, out, solutions=solutions, sandbox=sandbox).results[0].score == 110
    (subs / "ana" / "bptt.ipynb").unlink()
    run = grade(subs, out, solutions=solutions, sandbox=sandbox)
    assert (run.graded, run.results[0].score) == (1, 91)


def zip_folder(folder, archive, prefix=""):
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + str(path.relative_to(folder)))
    return archive


def test_zip_input_grades_like_the_folder(tmp_path, sandbox, solutions):
    subs = tmp_path / "subs"
    perfect(subs, "ana")
    write_student(subs, "ben", {"hidden_state": '{"cells": ['})
    folder_run = grade(subs, tmp_path / "a", solutions=solutions, sandbox=sandbox)
    archive = zip_folder(subs, tmp_path / "subs.zip", prefix="submissions/")
    zip_run = grade(archive, tmp_path / "b", solutions=solutions, sandbox=sandbox)
    assert read_rows(tmp_path / "a") == read_rows(tmp_path / "b")
    assert [r.score for r in zip_run.results] == [r.score for r in folder_run.results] == [110, 0]


@pytest.mark.parametrize("name", ["../evil.txt", "/tmp/evil.txt", "ana/../../evil.txt"])
def test_zip_slip_is_refused(tmp_path, name, solutions):
    archive = tmp_path / "subs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ana/hidden_state.ipynb", "{}")
        zf.writestr(name, "pwned")
    with pytest.raises(SubmissionsError, match="would be written outside"):
        grade(archive, tmp_path / "out", solutions=solutions)
    assert not (tmp_path / "evil.txt").exists()


def test_zip_link_is_refused(tmp_path, solutions):
    archive = tmp_path / "subs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("ana/hidden_state.ipynb")
        info.external_attr = 0o120777 << 16  # a symbolic link to the solutions
        zf.writestr(info, str(solutions / "hidden_state.ipynb"))
    with pytest.raises(SubmissionsError, match="is a symbolic link"):
        grade(archive, tmp_path / "out", solutions=solutions)


def test_zip_bomb_is_stopped_by_counting_real_bytes(tmp_path, monkeypatch, solutions):
    monkeypatch.setattr(submissions, "MAX_MEMBER_BYTES", 100_000)
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ana/hidden_state.ipynb", b"\0" * 1_000_000)  # 1 MB from about 1 kB
    assert archive.stat().st_size < 10_000
    with pytest.raises(SubmissionsError, match="expands beyond 100,000 bytes"):
        grade(archive, tmp_path / "out", solutions=solutions)


def test_not_a_zip_and_missing_folder_are_clear_errors(tmp_path, solutions):
    (tmp_path / "x.zip").write_text("not a zip")
    with pytest.raises(SubmissionsError, match="not a readable zip file"):
        grade(tmp_path / "x.zip", tmp_path / "out", solutions=solutions)
    with pytest.raises(SubmissionsError, match="does not exist"):
        grade(tmp_path / "nope", tmp_path / "out", solutions=solutions)
    (tmp_path / "empty").mkdir()
    with pytest.raises(SubmissionsError, match="holds no student folders"):
        grade(tmp_path / "empty", tmp_path / "out", solutions=solutions)


def test_out_inside_submissions_is_refused(tmp_path, solutions):
    perfect(tmp_path / "subs", "ana")
    with pytest.raises(SubmissionsError, match="must not be inside SUBMISSIONS"):
        grade(tmp_path / "subs", tmp_path / "subs" / "out", solutions=solutions)


def test_student_names_become_safe_unique_keys(tmp_path):
    for name in ["a b", "a_b", "=cmd", ".hidden_is_skipped"]:
        (tmp_path / name).mkdir()
    found = submissions.find_students(tmp_path)
    assert [(s.name, s.key) for s in found] == [("=cmd", "_cmd"), ("a b", "a_b"), ("a_b", "a_b-2")]


def test_csv_cells_never_start_a_formula():
    result = StudentResult("=HYPERLINK(1)", "_HYPERLINK_1_", (), 0.0, "", "bubblewrap")
    text = grades_csv([result], [])
    assert text.splitlines() == [
        '"student","total","status","sandbox"',
        '"\'=HYPERLINK(1)","0","final","bubblewrap"',
    ]


@pytest.mark.parametrize(
    ("name", "cell"),
    [
        ("alice\t=1+2", "alice\\x09=1+2"),  # a TAB would start a new field in a TSV import
        ("x;=2+5;", "x;'=2+5;"),  # a semicolon does, in most European spreadsheet locales
        ("a,@SUM(1)", "a,'@SUM(1)"),
        ("  -2+3", "'  -2+3"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
    ],
)
def test_csv_cells_are_formula_safe_for_every_separator(name, cell):
    text = grades_csv([StudentResult(name, "key", (), 0.0, "", "bubblewrap")], [])
    assert next(csv.reader(io.StringIO(text.splitlines()[1])))[0] == cell


def unzipped_copies(out, name) -> list:
    """Folders holding an unpacked student ``name``: under OUT, or where graders once put them."""
    places = [*out.glob(".scratch-*"), *Path(tempfile.gettempdir()).glob("course-rnn-grade-*")]
    return [p for place in places for p in place.glob(f"unzipped/**/{name}")]


def test_the_scratch_of_a_killed_grader_is_removed_by_the_next_run(tmp_path, sandbox, solutions):
    subs, out = tmp_path / "subs", tmp_path / "out"
    name = f"student-{uuid.uuid4().hex[:8]}"
    for i in range(N_STUDENTS):
        slow_student(subs, f"{name}{i}")
    archive = zip_folder(subs, tmp_path / "class.zip")
    kill_9_midway(archive, out, solutions)
    assert unzipped_copies(out, f"{name}0")  # the killed grader's unzipped class
    grade(archive, out, solutions=solutions, sandbox=sandbox)
    assert unzipped_copies(out, f"{name}0") == []


def test_a_zip_member_that_cannot_be_unpacked_is_skipped_with_a_note(tmp_path, sandbox, solutions):
    archive = tmp_path / "class.zip"
    notebook = nbformat.writes(solution_notebook("hidden_state"))
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ana/hidden_state.ipynb", notebook)
        zf.writestr("ana/hidden_state.ipynb/below_a_file.txt", "x")  # cannot be a folder too
        zf.writestr("ana/" + "n" * 300 + ".ipynb", notebook)  # a name too long for the disk
        zf.writestr("ben/hidden_state.ipynb", notebook)
    run = grade(archive, tmp_path / "out", solutions=solutions, sandbox=sandbox)
    ana, ben = run.results
    assert ana.score == ben.score > 0
    feedback = (tmp_path / "out" / "feedback" / "ana.md").read_text()
    assert "hidden_state.ipynb/below_a_file.txt' of the zip was skipped" in feedback
    assert "of the zip was skipped (File name too long)" in feedback
    assert len([w for w in run.warnings if "of the zip was skipped" in w]) == 2


def test_limits_sandbox_mode_and_grader_code_are_part_of_the_fingerprint(
    tmp_path, sandbox, solutions, monkeypatch
):
    subs, out = tmp_path / "subs", tmp_path / "out"
    perfect(subs, "ana")

    def graded(settings=None, box=sandbox) -> int:
        return grade(subs, out, solutions=solutions, settings=settings, sandbox=box).graded

    assert graded() == 1
    assert graded() == 0
    assert graded(GradeSettings(cell_timeout=4.0)) == 1
    assert graded(GradeSettings(cell_timeout=4.0, memory_mb=1024)) == 1
    assert graded(GradeSettings(cell_timeout=4.0, memory_mb=1024)) == 0
    assert graded(GradeSettings(cell_timeout=4.0, memory_mb=1024), OtherMode(sandbox)) == 1
    monkeypatch.setattr(grade_module, "grader_code_digest", lambda: "a changed grader")
    assert graded(GradeSettings(cell_timeout=4.0, memory_mb=1024), OtherMode(sandbox)) == 1


class OtherMode:
    """The sandbox, claiming another mode (as a run under a weaker confinement would record)."""

    def __init__(self, sandbox):
        self.sandbox, self.mode = sandbox, "uid"

    def __getattr__(self, name):
        return getattr(self.sandbox, name)


HANGS_ON_HIDDEN = (
    "def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):\n"
    "    while x.shape[0] > 4:\n        pass\n"  # the hidden cases are longer than T = 4
    "    h, h_t = [], h0\n    for x_t in x:\n"
    "        h_t = rnn_step_forward(x_t, h_t, W_ih, W_hh, b_ih, b_hh)\n"
    "        h.append(h_t)\n    return np.stack(h), h_t\n"
)


def test_timeouts_are_provisional_and_graded_again(tmp_path, sandbox, solutions):
    subs, out = tmp_path / "subs", tmp_path / "out"
    write_student(subs, "ana", {"hidden_state": solution_notebook("hidden_state")})
    hangs = mutate("hidden_state", replace={"rnn_forward": HANGS_ON_HIDDEN})
    write_student(subs, "hal", {"hidden_state": hangs})
    settings = GradeSettings(cell_timeout=1.0)
    run = grade(subs, out, solutions=solutions, settings=settings, sandbox=sandbox)
    ana, hal = run.results
    assert ana.final
    assert not hal.final
    assert "provisional" in (out / "feedback" / "hal.md").read_text()
    assert read_rows(out)[1]["status"] == "provisional"
    again = grade(subs, out, solutions=solutions, settings=settings, sandbox=sandbox)
    assert (again.graded, again.resumed) == (1, 1)  # hal only


def test_regrade_grades_the_named_students_again(tmp_path, sandbox, solutions):
    subs, out = tmp_path / "subs", tmp_path / "out"
    for name in ("ana", "ben"):
        write_student(subs, name, {"hidden_state": solution_notebook("hidden_state")})

    def run(**regrade):
        return grade(subs, out, solutions=solutions, sandbox=sandbox, **regrade)

    assert run().graded == 2
    again = run(regrade=["ben"])
    assert (again.graded, again.resumed) == (1, 1)
    assert run(regrade_all=True).graded == 2
    with pytest.raises(SubmissionsError, match="--regrade: no student named 'cid'"):
        run(regrade=["cid"])
