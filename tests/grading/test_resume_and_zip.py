"""A re-run after ``kill -9`` resumes without double counting; zip input, safely unpacked."""

import csv
import os
import signal
import subprocess
import sys
import time
import zipfile

import pytest
from helpers import ROOT, mutate, perfect, write_student

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


def test_rerun_after_kill_9_resumes_without_double_counting(tmp_path, sandbox, solutions):
    subs, out = tmp_path / "subs", tmp_path / "out"
    for i in range(N_STUDENTS):
        slow_student(subs, f"student{i}")
    command = [sys.executable, "-m", "course_rnn", "grade", str(subs), "--out", str(out)]
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
    assert grade(subs, out, solutions=solutions, sandbox=sandbox).results[0].score == 20
    (subs / "ana" / "bptt.ipynb").unlink()
    run = grade(subs, out, solutions=solutions, sandbox=sandbox)
    assert (run.graded, run.results[0].score) == (1, 9)


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
    assert [r.score for r in zip_run.results] == [r.score for r in folder_run.results] == [20, 0]


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
    result = StudentResult("=HYPERLINK(1)", "_HYPERLINK_1_", (), 0.0, "")
    text = grades_csv([result], [])
    assert text.splitlines() == ["student,total", "'=HYPERLINK(1),0"]
