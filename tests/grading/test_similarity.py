"""The integrity report: copies found, independent work and handed-out code not flagged, inert
output, broken answers reported for their student only, and ``grade`` writing OUT/similarity.csv.

A small class of the ``bptt`` exercise, built from the instructor notebook: "ana" submits it,
"ben" copies ana with renamed variables, rewritten comments and reordered statements, "cleo" and
"dan" write their own answers, and two students hand in the released notebook untouched.
"""

import csv
import io
import re
import shutil

import nbformat
import pytest
from helpers import ROOT, mutate, solution_notebook, write_student

from course_rnn.grading import handed_out, similarity
from course_rnn.grading.fingerprint import Notebook, all_kgrams, fingerprint, normalise, task_code
from course_rnn.grading.notebook import CodeCell, python_source
from course_rnn.grading.plan import plan_exercise
from course_rnn.grading.submissions import find_students
from course_rnn.grading.tasks import load_exercises

BACKWARD_COPY = '''def rnn_backward(dout, dh_n, x, h0, h, W_ih, W_hh):
    """My BPTT."""
    grad_x = np.zeros_like(x)
    gWi, gWh = np.zeros_like(W_ih), np.zeros_like(W_hh)
    gbi, gbh = np.zeros(W_hh.shape[0]), np.zeros(W_hh.shape[0])
    carry = dh_n   # from the future
    for step in reversed(range(x.shape[0])):
        prev_state = h0 if step == 0 else h[step - 1]
        total = dout[step] + carry
        grad_x[step], carry, a1, a2, a3, a4 = rnn_step_backward(
            total, x[step], prev_state, h[step], W_ih, W_hh
        )
        gWh += a2
        gWi += a1
        gbi += a3
        gbh += a4
    return grad_x, carry, gWi, gWh, gbi, gbh
'''
SOFTMAX_COPY = """def softmax_cross_entropy(o, y, mask):
    count = mask.sum()
    safe = np.where(mask, y, 0)   # masked: any id
    z = o - o.max(axis=-1, keepdims=True)
    lp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    lpy = np.take_along_axis(lp, safe[..., None], axis=-1)[..., 0]
    loss = -np.sum(lpy * mask) / count
    grad = np.exp(lp)
    np.put_along_axis(grad, safe[..., None], np.take_along_axis(grad, safe[..., None], -1) - 1, -1)
    grad *= mask[..., None] / count
    return float(loss), grad
"""
BACKWARD_CLEO = """def rnn_backward(dout, dh_n, x, h0, h, W_ih, W_hh):
    T = len(x)
    das = np.zeros_like(h)
    carry = dh_n
    for t in range(T - 1, -1, -1):
        das[t] = (dout[t] + carry) * (1 - h[t] ** 2)
        carry = das[t] @ W_hh
    prev = np.concatenate([h0[None], h[:-1]], axis=0)
    dW_ih = np.einsum("tbh,tbd->hd", das, x)
    dW_hh = np.einsum("tbh,tbk->hk", das, prev)
    db = das.sum(axis=(0, 1))
    return das @ W_ih, carry, dW_ih, dW_hh, db, db.copy()
"""
SOFTMAX_CLEO = """def softmax_cross_entropy(o, y, mask):
    T, B, V = o.shape
    flat, m = o.reshape(-1, V), mask.reshape(-1)
    target = np.where(m, y.reshape(-1), 0)
    shift = flat - flat.max(axis=1, keepdims=True)
    logp = shift - np.log(np.exp(shift).sum(axis=1, keepdims=True))
    rows = np.arange(len(flat))
    n = m.sum()
    loss = -(logp[rows, target] * m).sum() / n
    d = np.exp(logp)
    d[rows, target] -= 1
    return float(loss), (d * m[:, None] / n).reshape(T, B, V)
"""
BACKWARD_DAN = """def rnn_backward(dout, dh_n, x, h0, h, W_ih, W_hh):
    dx = np.empty_like(x)
    dW_ih, dW_hh, db = np.zeros(W_ih.shape), np.zeros(W_hh.shape), np.zeros(len(W_hh))
    carry = np.array(dh_n)
    t = x.shape[0] - 1
    while t >= 0:
        prev = h[t - 1] if t > 0 else h0
        da = (carry + dout[t]) * (1.0 - h[t] * h[t])
        dW_ih += np.tensordot(da, x[t], axes=(0, 0))
        dW_hh += np.tensordot(da, prev, axes=(0, 0))
        db += np.sum(da, axis=0)
        dx[t] = np.dot(da, W_ih)
        carry = np.dot(da, W_hh)
        t -= 1
    return dx, carry, dW_ih, dW_hh, db, db.copy()
"""
SOFTMAX_DAN = """def softmax_cross_entropy(o, y, mask):
    N = np.count_nonzero(mask)
    loss = 0.0
    do = np.zeros(o.shape)
    for t in range(o.shape[0]):
        for b in range(o.shape[1]):
            if mask[t, b]:
                s = o[t, b] - np.max(o[t, b])
                p = np.exp(s) / np.exp(s).sum()
                loss -= np.log(p[y[t, b]])
                p[y[t, b]] -= 1
                do[t, b] = p / N
    return loss / N, do
"""
#: The package's own softmax_cross_entropy (numpy_nn/functional.py), pasted with new names.
SOFTMAX_PACKAGE = """def softmax_cross_entropy(o, y, mask):
    count = int(mask.sum())
    ids = np.where(mask, y, 0)[..., None]  # (T, B, 1): any valid id where masked
    shifted = o - np.max(o, axis=-1, keepdims=True)
    lp = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
    nll = -np.take_along_axis(lp, ids, axis=-1)[..., 0]  # (T, B) -log p_t[y_t]
    loss = float(np.sum(nll, where=mask) / count)
    grad = np.exp(lp)  # (T, B, V) p_t
    p_y = np.take_along_axis(grad, ids, axis=-1)
    np.put_along_axis(grad, ids, p_y - 1, axis=-1)  # p_t - one_hot(y_t)
    grad *= mask[..., None] / count  # masked positions get no gradient
    return loss, grad
"""


EXERCISES_DIR = ROOT / "exercises"


def released_with(answers: dict):
    """The released bptt notebook with the cells of some functions replaced by answers."""
    nb = nbformat.read(EXERCISES_DIR / "bptt.ipynb", as_version=4)
    for name, source in answers.items():
        cell = next(c for c in nb.cells if re.search(rf"^def {name}\(", c.source, re.MULTILINE))
        cell.source = source
    return nb


def bptt_class(root, extra=None):
    """The small class described in the module docstring (bptt only), plus ``extra``."""
    write_student(root, "ana", {"bptt": solution_notebook("bptt")})
    copy = {"rnn_backward": BACKWARD_COPY, "softmax_cross_entropy": SOFTMAX_COPY}
    write_student(root, "ben", {"bptt": mutate("bptt", replace=copy)})
    cleo = {"rnn_backward": BACKWARD_CLEO, "softmax_cross_entropy": SOFTMAX_CLEO}
    write_student(root, "cleo", {"bptt": released_with(cleo)})
    dan = {"rnn_backward": BACKWARD_DAN, "softmax_cross_entropy": SOFTMAX_DAN}
    write_student(root, "dan", {"bptt": released_with(dan)})
    write_student(root, "blank1", {"bptt": released_with({})})
    write_student(root, "blank2", {"bptt": released_with({})})
    for name, notebook in (extra or {}).items():
        write_student(root, name, {"bptt": notebook})
    return find_students(root)


@pytest.fixture(scope="module")
def plans(solutions):
    return [plan_exercise(e, 0) for e in load_exercises(solutions) if e.name == "bptt"]


def rows(report, task=None, kind=None):
    return {
        (m.a, m.b)
        for m in report.matches
        if (task is None or m.task == task) and (kind is None or m.kind == kind)
    }


@pytest.fixture(scope="module")
def report(tmp_path_factory, plans, solutions):
    root = tmp_path_factory.mktemp("class")
    students = bptt_class(root / "subs")
    found = similarity.write_similarity(root, students, plans, solutions)
    assert found.problem == ""
    return found, students


def test_a_copy_with_new_names_comments_and_order_is_flagged(report):
    found, _ = report
    assert ("ana", "ben") in rows(found, similarity.ALL_TASKS, "pair")
    assert ("ana", "ben") in rows(found, "bptt/rnn_backward", "pair")
    assert ("ana", "ben") in rows(found, "bptt/softmax_cross_entropy", "pair")


def test_independent_answers_are_not_flagged(report):
    flagged = rows(report[0], kind="pair")
    for pair in (("cleo", "dan"), ("ana", "cleo"), ("ana", "dan"), ("ben", "cleo")):
        assert pair not in flagged
        assert pair[::-1] not in flagged


def test_the_handed_out_stub_alone_is_never_an_answer(report, plans, solutions):
    found, students = report
    assert not any("blank" in m.a or "blank" in m.b for m in found.matches)
    blanks = [s for s in students if s.name.startswith("blank")]
    codes, problems = similarity.class_codes(blanks, plans[0], solutions)
    assert problems == []
    assert all(code == {} for code in codes.values())


def test_two_blank_submissions_are_not_a_pair(tmp_path, plans, solutions):
    write_student(tmp_path / "subs", "blank1", {"bptt": released_with({})})
    write_student(tmp_path / "subs", "blank2", {"bptt": released_with({})})
    students = find_students(tmp_path / "subs")
    found = similarity.write_similarity(tmp_path, students, plans, solutions)
    assert found.problem == ""
    assert found.matches == ()
    assert (tmp_path / "similarity.csv").read_text().count("\n") == 1  # the header only


def test_a_renamed_package_copy_is_flagged(tmp_path, plans, solutions):
    pasted = mutate("bptt", replace={"softmax_cross_entropy": SOFTMAX_PACKAGE})
    students = bptt_class(tmp_path / "subs", {"paula": pasted})
    found = similarity.write_similarity(tmp_path, students, plans, solutions)
    package = {m.a: m for m in found.matches if m.kind == "package"}
    assert "paula" in package
    match = package["paula"]
    assert match.task == "bptt/softmax_cross_entropy"
    assert "course_rnn.numpy_nn.functional.softmax_cross_entropy" in match.b
    assert "course_rnn/numpy_nn/functional.py" in match.lines_b
    assert not any(m.kind == "package" and m.a in ("cleo", "dan") for m in found.matches)


def test_a_single_submission_gets_the_package_check_only(tmp_path, plans, solutions):
    pasted = mutate("bptt", replace={"softmax_cross_entropy": SOFTMAX_PACKAGE})
    write_student(tmp_path / "subs", "paula", {"bptt": pasted})
    found = similarity.write_similarity(
        tmp_path, find_students(tmp_path / "subs"), plans, solutions
    )
    kinds = {(m.task, m.kind) for m in found.matches}
    assert ("bptt/softmax_cross_entropy", "package") in kinds
    assert not any(kind == "pair" for _, kind in kinds)


def test_normalisation_ignores_names_comments_docstrings_and_layout():
    one = "def f(a, b):\n    '''Doc.'''\n    c = a @ b.T  # note\n    return np.tanh(c + 1)\n"
    two = "def g(x,\n      y):\n    tmp = x@y.T\n\n    return np.tanh(\n        tmp + 2)\n"
    other = "def f(a, b):\n    c = np.dot(a, b.T)\n    return np.tanh(c + 1)\n"
    assert [t for t, _ in normalise(one)] == [t for t, _ in normalise(two)]
    assert [t for t, _ in normalise(one)] != [t for t, _ in normalise(other)]


def test_a_task_is_its_last_definition_with_its_helpers():
    cells = [
        CodeCell(0, "def helper(a):\n    return a * 2\n"),
        CodeCell(1, "def task(x):\n    return x\n"),
        CodeCell(2, "def task(x):\n    '''Second.'''\n    return helper(x) + other(x)\n"),
        CodeCell(3, "def other(x):\n    return x - 1\n"),
    ]
    found = task_code(Notebook(cells), "task", tasks={"task", "other"})
    assert [d.cell for d in found] == [2, 0]  # the last task, its helper, not the other task
    assert fingerprint(found).where


def test_the_code_compared_per_notebook_is_bounded(monkeypatch):
    from course_rnn.grading import fingerprint as fp

    monkeypatch.setattr(fp, "MAX_NOTEBOOK_CHARS", 100)
    cells = [
        CodeCell(0, "def helper(a):\n" + "    a = a + 1\n" * 20),
        CodeCell(1, "def task(x):\n    return helper(x)\n"),
    ]
    found = task_code(Notebook(cells), "task")
    assert [d.cell for d in found] == [1]  # the helper is past the bound: not compared
    with pytest.raises(fp.CodeError, match="past the first 100 characters"):
        task_code(Notebook(cells), "helper")


def test_an_answer_that_cannot_be_tokenized_is_reported_for_that_student_only(
    tmp_path, plans, solutions
):
    broken = mutate(
        "bptt",
        replace={
            "rnn_backward": "def rnn_backward(dout, dh_n, x, h0, h, W_ih, W_hh):\n"
            "    return (dout\n"
        },
    )
    students = bptt_class(tmp_path / "subs", {"zoe": broken})
    found = similarity.write_similarity(tmp_path, students, plans, solutions)
    assert found.problem == ""
    unreadable = [m for m in found.matches if m.kind == "unreadable"]
    assert [(m.a, m.task) for m in unreadable] == [("zoe", "bptt/rnn_backward")]
    assert "cannot be tokenized" in unreadable[0].note
    assert ("ana", "ben") in rows(found, similarity.ALL_TASKS, "pair")  # the rest as before
    assert "1 answers could not be compared: zoe (bptt/rnn_backward)" in "\n".join(
        similarity.summary_lines(found)
    )


def test_names_reach_the_csv_and_the_summary_inert(tmp_path, plans, solutions):
    names = ("=HYPERLINK(evil)", "+cmd", "-2+3", "\x1b]0;title\x07@eve")  # 4: not "common"
    root = tmp_path / "subs"
    for name in names:
        write_student(root, name, {"bptt": solution_notebook("bptt")})
    found = similarity.write_similarity(tmp_path, find_students(root), plans, solutions)
    text = (tmp_path / "similarity.csv").read_text()
    table = list(csv.reader(io.StringIO(text)))
    assert len(table) > 1
    for row in table[1:]:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@"), cell
            assert "\x1b" not in cell
            assert "\x07" not in cell
    assert any(row[1].startswith("\\x1b]0;title\\x07@eve") for row in table[1:])
    summary = "\n".join(similarity.summary_lines(found))
    assert "\x1b" not in summary
    assert "\x07" not in summary
    assert "\\x1b]0;title\\x07@eve" in summary


def test_a_failure_of_the_whole_step_is_a_line_never_an_exception(
    tmp_path, plans, solutions, monkeypatch
):
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(similarity, "class_codes", broken)
    found = similarity.write_similarity(tmp_path, [], plans, solutions)
    assert found.problem == "RuntimeError: boom"
    assert "not computed: RuntimeError: boom" in "\n".join(similarity.summary_lines(found))
    assert (tmp_path / "similarity.csv").read_text().startswith('"task","student_a"')


def test_a_failure_on_one_answer_costs_that_answer_only(tmp_path, plans, solutions, monkeypatch):
    real = similarity.fingerprint

    def fragile(definitions):
        if any("gWh" in t.string for d in definitions for t in d.tokens):  # ben's rnn_backward
            raise RuntimeError("boom")
        return real(definitions)

    monkeypatch.setattr(similarity, "fingerprint", fragile)
    found = similarity.write_similarity(tmp_path, bptt_class(tmp_path / "s"), plans, solutions)
    assert found.problem == ""
    failed = [(m.a, m.task, m.note) for m in found.matches if m.kind == "unreadable"]
    reason = "could not be compared (internal error: RuntimeError)"
    assert failed == [("ben", "bptt/rnn_backward", reason)]
    assert ("ana", "ben") in rows(found, "bptt/softmax_cross_entropy", "pair")


def test_the_handed_out_code_is_what_release_hands_out(solutions):
    from course_rnn.grading.release import INSTRUCTOR_TAG, render_exercise

    assert handed_out.INSTRUCTOR_TAG == INSTRUCTOR_TAG
    released = nbformat.reads(render_exercise(solutions / "bptt.ipynb"), as_version=4)
    given = handed_out.handed_out(solutions, "bptt", [])
    code = [python_source(c.source) for c in released.cells if c.cell_type == "code"]
    assert code
    for source in code:
        assert all_kgrams(source) <= given


def test_new_exercises_find_their_package_answer_by_themselves():
    from course_rnn.grading.tasks import all_tasks

    for task in all_tasks().values():
        code = handed_out.package_code(
            task.name, task.reference.__module__, task.reference.__qualname__
        )
        assert code.functions[0].startswith(task.reference.__module__), task.name
    rnn = handed_out.package_code("rnn_step_backward", *_reference("rnn_step_backward"))
    assert "course_rnn.numpy_nn.rnn.rnn_step_backward" in rnn.functions


def _reference(name):
    from course_rnn.grading.tasks import all_tasks

    reference = all_tasks()[name].reference
    return reference.__module__, reference.__qualname__


def test_grade_writes_similarity_csv_and_a_summary_section(tmp_path, sandbox, solutions):
    from course_rnn.grading.commands import summary_table
    from course_rnn.grading.grade import GradeSettings, grade

    instructor = tmp_path / "solutions"
    (instructor / "tests").mkdir(parents=True)
    shutil.copy(solutions / "bptt.ipynb", instructor)
    for name in ("bptt.py", "secret_seed.txt"):
        shutil.copy(solutions / "tests" / name, instructor / "tests")
    subs = tmp_path / "subs"
    write_student(subs, "ana", {"bptt": solution_notebook("bptt")})
    copy = {"rnn_backward": BACKWARD_COPY, "softmax_cross_entropy": SOFTMAX_COPY}
    write_student(subs, "ben", {"bptt": mutate("bptt", replace=copy)})
    settings = GradeSettings(jobs=2)
    for again in (False, True):  # the second run keeps both records and still compares them
        run = grade(
            subs, tmp_path / "out", solutions=instructor, settings=settings, sandbox=sandbox
        )
        assert run.graded == (0 if again else 2)
        table = list(csv.DictReader(io.StringIO((tmp_path / "out" / "similarity.csv").read_text())))
        everything = [r for r in table if r["task"] == similarity.ALL_TASKS]
        assert [(r["student_a"], r["student_b"], r["kind"]) for r in everything] == [
            ("ana", "ben", "pair")
        ]
        assert float(everything[0]["similarity"]) >= similarity.CLASS_THRESHOLD
        assert "Similarity (advisory" in summary_table(run)
        assert "all tasks: 1 pairs, 0 package matches" in summary_table(run)
