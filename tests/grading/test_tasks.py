"""Task declarations: the trusted references agree with torch and the package; loading is strict."""

import numpy as np
import pytest
import torch

from course_rnn.gradcheck import numerical_gradient
from course_rnn.grading.compare import make_probe, public_probes
from course_rnn.grading.plan import hidden_generator
from course_rnn.grading.specs import bptt, hidden_state
from course_rnn.grading.tasks import (
    Graded,
    linspace_fill,
    load_exercises,
    random_fill,
    read_seed,
    spec_tasks,
)
from course_rnn.numpy_nn.rnn import rnn_backward, rnn_forward

TOL = {"rtol": 1e-9, "atol": 1e-12}


def task(exercise, name):
    return next(t for t in spec_tasks(exercise) if t.name == name)


@pytest.mark.parametrize("seed", [0, 1])
def test_forward_references_match_torch_rnn(seed):
    x, h0, W_ih, W_hh, b_ih, b_hh = hidden_state._sequence_inputs(
        random_fill(np.random.default_rng(seed)), T=5, B=3, D=2, H=4
    )
    rnn = torch.nn.RNN(2, 4, dtype=torch.float64)
    with torch.no_grad():
        for p, v in zip(rnn.parameters(), (W_ih, W_hh, b_ih, b_hh), strict=True):
            p.copy_(torch.from_numpy(v))
    out, h_n = rnn(torch.from_numpy(x), torch.from_numpy(h0)[None])
    h, last = hidden_state._sequence_reference(x, h0, W_ih, W_hh, b_ih, b_hh)
    np.testing.assert_allclose(h, out.detach().numpy(), **TOL)
    np.testing.assert_allclose(last, h_n[0].detach().numpy(), **TOL)
    (step,) = hidden_state._step_reference(x[0], h0, W_ih, W_hh, b_ih, b_hh)
    np.testing.assert_allclose(step, out[0].detach().numpy(), **TOL)


def test_backward_references_match_the_package():
    fill = random_fill(np.random.default_rng(3))
    dh, dh_n, x, h0, h, W_ih, W_hh = bptt._sequence_backward_inputs(fill, T=4, B=2, D=3, H=5)
    b_ih, b_hh = fill((5,), -1, 1), fill((5,), -1, 1)
    params = {"weight_ih_l0": W_ih, "weight_hh_l0": W_hh, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh}
    h, _, cache = rnn_forward(x, params, h0[None])  # h consistent with these biases
    dx, dh0, dparams = rnn_backward(dh, dh_n[None], cache)
    ours = bptt._sequence_backward_reference(dh, dh_n, x, h0, h, W_ih, W_hh)
    expected = (dx, dh0[0], *dparams.values())
    for got, want in zip(ours, expected, strict=True):
        np.testing.assert_allclose(got, want, **TOL)


def test_clip_reference_matches_torch_clip_grad_norm():
    max_norm, *grads = bptt._clip_inputs(linspace_fill, H=3, D=2, max_norm=1.0)
    total, *clipped = bptt._clip_reference(max_norm, *grads)
    tensors = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for t, g in zip(tensors, grads, strict=True):
        t.grad = torch.from_numpy(g.copy())
    torch_total = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    assert total == pytest.approx(float(torch_total), rel=1e-12)
    for got, t in zip(clipped, tensors, strict=True):
        np.testing.assert_allclose(got, t.grad.numpy(), **TOL)


def test_numerical_gradient_reference_is_the_analytic_gradient():
    x, dout, A = bptt._numgrad_inputs(linspace_fill, N=2, D=3, M=4)
    _, dx = bptt._numgrad_reference(x, dout, A)

    def f(z):
        return np.tanh(z @ A) + (z**3) @ A / 3

    np.testing.assert_allclose(dx, numerical_gradient(f, x, dout), rtol=1e-7, atol=1e-9)


def test_public_fixtures_do_not_depend_on_the_random_state():
    t = task("hidden_state", "rnn_forward")
    np.random.seed(123)  # noqa: NPY002 - the legacy global state must not matter
    a = public_probes(t)[0].args
    np.random.seed(7)  # noqa: NPY002
    b = public_probes(t)[0].args
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


def test_hidden_cases_follow_the_seed_and_differ_from_the_public_ones():
    t = task("hidden_state", "rnn_step_forward")
    dims = {"B": 3, "D": 2, "H": 4}  # the public fixture's sizes, on purpose

    def draw(seed):
        fill = random_fill(hidden_generator(seed, "hidden_state", t.name))
        return make_probe(t, "hidden case 1", dims, fill).args[0]

    np.testing.assert_array_equal(draw(5), draw(5))
    assert not np.allclose(draw(5), draw(6))
    assert not np.allclose(draw(5), public_probes(t)[0].args[0])


def test_repository_exercises_load_with_points(solutions):
    exercises = {e.name: e for e in load_exercises(solutions)}
    assert sorted(exercises) == ["bptt", "hidden_state"]
    points = {
        e: sum(g.public_points + g.hidden_points for _, g in x.graded) for e, x in exercises.items()
    }
    assert points == {"bptt": 11, "hidden_state": 9}
    assert read_seed(solutions) >= 0


def write_tests(folder, text):
    (folder / "tests").mkdir(parents=True, exist_ok=True)
    (folder / "tests" / "hidden_state.py").write_text(text)
    return folder


def test_unknown_task_in_hidden_tests_is_named(tmp_path):
    text = "from course_rnn.grading.tasks import Graded\nGRADED = [Graded('rnn_stp', 1, 0, ())]\n"
    with pytest.raises(ValueError, match=r"task 'rnn_stp' is not in specs/hidden_state.py"):
        load_exercises(write_tests(tmp_path, text))


def test_hidden_points_need_hidden_cases(tmp_path):
    text = (
        "from course_rnn.grading.tasks import Graded\nGRADED = [Graded('rnn_forward', 1, 2, ())]\n"
    )
    with pytest.raises(ValueError, match="hidden points need cases"):
        load_exercises(write_tests(tmp_path, text))


def test_missing_graded_list_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="GRADED must be a list"):
        load_exercises(write_tests(tmp_path, "X = 1\n"))


def test_hidden_tests_without_public_spec_are_an_error(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "lstm_cell.py").write_text("GRADED = []\n")
    with pytest.raises(ValueError, match=r"add course_rnn/grading/specs/lstm_cell.py"):
        load_exercises(tmp_path)


def test_no_hidden_tests_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no hidden-test modules"):
        load_exercises(tmp_path)


@pytest.mark.parametrize(("content", "match"), [(None, "is missing"), ("abc", "one non-negative")])
def test_bad_secret_seed_is_named(tmp_path, content, match):
    (tmp_path / "tests").mkdir()
    if content is not None:
        (tmp_path / "tests" / "secret_seed.txt").write_text(content)
    with pytest.raises(ValueError, match=match):
        read_seed(tmp_path)


def test_graded_is_a_plain_record():
    g = Graded("rnn_forward", public_points=1, hidden_points=2, hidden=({"T": 2},))
    assert (g.task, g.public_points + g.hidden_points) == ("rnn_forward", 3)
