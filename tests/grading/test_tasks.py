"""Task declarations: the trusted references agree with torch and the package; every edge case
builds what its label says; the end-to-end task's judge passes a trained model and fails an
untrained one; loading is strict."""

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_rnn.gradcheck import numerical_gradient
from course_rnn.grading.compare import make_probe, public_probes
from course_rnn.grading.harness import numerical_gradient_harness
from course_rnn.grading.plan import hidden_generator
from course_rnn.grading.specs import bptt, hidden_state, language_model
from course_rnn.grading.tasks import (
    Edge,
    Graded,
    Output,
    Task,
    Withheld,
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


def probe_with(exercise, name, label):
    """The public probe of a task whose edge label starts with ``label``."""
    t = task(exercise, name)
    return next(p for p in public_probes(t) if p.label.startswith(label))


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
    dout, dh_n, x, h0, h, W_ih, W_hh = bptt._sequence_backward_inputs(fill, T=4, B=2, D=3, H=5)
    b_ih, b_hh = fill((5,), -1, 1), fill((5,), -1, 1)
    params = {"weight_ih_l0": W_ih, "weight_hh_l0": W_hh, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh}
    h, _, cache = rnn_forward(x, params, h0[None])  # h consistent with these biases
    dx, dh0, dparams = rnn_backward(dout, dh_n[None], cache)
    ours = bptt._sequence_backward_reference(dout, dh_n, x, h0, h, W_ih, W_hh)
    expected = (dx, dh0[0], *dparams.values())
    for got, want in zip(ours, expected, strict=True):
        np.testing.assert_allclose(got, want, **TOL)


def test_model_loss_reference_matches_torch_autograd():
    """One check for the whole chain: embedding, RNN, output layer, masked cross-entropy, and
    all seven gradients, against torch with padding given as ignore_index = -100."""
    args = language_model._loss_inputs(random_fill(np.random.default_rng(4)), 4, 3, 5, 2, 3)
    tokens, targets, mask, h0, *params = args
    L, h_n, *grads = language_model._loss_reference(*args)

    E, W_ih, W_hh, b_ih, b_hh, W_hy, b_y = (torch.tensor(p, requires_grad=True) for p in params)
    h_t, states = torch.from_numpy(h0), []
    for t in range(tokens.shape[0]):
        x_t = F.embedding(torch.from_numpy(tokens[t]), E)
        h_t = torch.tanh(x_t @ W_ih.T + b_ih + h_t @ W_hh.T + b_hh)
        states.append(h_t)
    o = torch.stack(states) @ W_hy.T + b_y
    y = torch.from_numpy(np.where(mask, targets, -100))
    loss = F.cross_entropy(o.reshape(-1, o.shape[-1]), y.reshape(-1), ignore_index=-100)
    loss.backward()
    assert L == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(h_n, h_t.detach().numpy(), **TOL)
    for got, p in zip(grads, (E, W_ih, W_hh, b_ih, b_hh, W_hy, b_y), strict=True):
        np.testing.assert_allclose(got, p.grad.numpy(), **TOL)


def test_cross_entropy_reference_ignores_padded_targets_like_torch():
    o, y, mask = bptt._cross_entropy_inputs(linspace_fill, T=3, B=3, V=4, pad=-100)
    assert (y[~mask] == -100).all()
    assert (~mask).any()
    L, do = bptt._cross_entropy_reference(o, y, mask)
    logits = torch.tensor(o, requires_grad=True)
    loss = F.cross_entropy(logits.reshape(-1, 4), torch.from_numpy(y).reshape(-1))
    loss.backward()  # torch's default ignore_index is -100
    assert L == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(do, logits.grad.numpy(), **TOL)


def test_output_layer_references_match_torch_linear():
    h, W_hy, b_y = hidden_state._affine_inputs(random_fill(np.random.default_rng(5)), 3, 2, 4, 5)
    linear = torch.nn.Linear(4, 5, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(W_hy))
        linear.bias.copy_(torch.from_numpy(b_y))
    h_t = torch.tensor(h, requires_grad=True)
    o = linear(h_t)
    np.testing.assert_allclose(hidden_state._affine_reference(h, W_hy, b_y)[0], o.detach(), **TOL)
    do = np.linspace(-1, 1, o.numel()).reshape(o.shape)
    o.backward(torch.from_numpy(do))
    dh, dW_hy, db_y = bptt._affine_backward_reference(do, h, W_hy)
    np.testing.assert_allclose(dh, h_t.grad.numpy(), **TOL)
    np.testing.assert_allclose(dW_hy, linear.weight.grad.numpy(), **TOL)
    np.testing.assert_allclose(db_y, linear.bias.grad.numpy(), **TOL)


def test_embedding_backward_reference_adds_repeated_tokens_like_torch():
    dx, tokens, V = bptt._embedding_backward_inputs(linspace_fill, T=4, B=3, V=5, D=2)
    assert len(np.unique(tokens)) < tokens.size  # the public fixture repeats tokens
    E = torch.zeros((V, 2), dtype=torch.float64, requires_grad=True)
    F.embedding(torch.from_numpy(tokens), E).backward(torch.from_numpy(dx))
    np.testing.assert_allclose(bptt._embedding_backward_reference(dx, tokens, V)[0], E.grad, **TOL)


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


@pytest.mark.parametrize("view", [0, 1])
def test_numerical_gradient_reference_is_the_analytic_gradient(view):
    x, dout, A, layout, view = bptt._numgrad_inputs(linspace_fill, N=2, D=3, M=4, view=view)
    _, dx = bptt._numgrad_reference(x, dout, A, layout, view)

    def f(z):
        return z.T if view else np.tanh(z @ A) + (z**3) @ A / 3

    np.testing.assert_allclose(dx, numerical_gradient(f, x, dout), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize(("layout", "contiguous"), [(0, True), (1, False), (2, False)])
def test_numerical_gradient_edges_hand_over_the_layout_they_name(layout, contiguous):
    seen = {}

    def numerical_gradient(f, x, dout, h=1e-5):
        seen["flat copy"] = not np.shares_memory(x.reshape(-1), x)
        seen["contiguous"] = x.flags["C_CONTIGUOUS"]
        return np.zeros(x.shape)

    x, dout, A, _, view = bptt._numgrad_inputs(linspace_fill, N=3, D=2, M=2)
    x_after, _ = numerical_gradient_harness(numerical_gradient, x, dout, A, layout, view)
    np.testing.assert_array_equal(x_after, x)
    assert seen == {"flat copy": not contiguous, "contiguous": contiguous}


def test_the_view_edge_hands_over_an_f_whose_output_shares_memory_with_x():
    probe = probe_with("bptt", "numerical_gradient", "f returning a view")

    def numerical_gradient(f, x, dout, h=1e-5):
        assert np.shares_memory(f(x), x)
        return np.zeros(x.shape)

    numerical_gradient_harness(numerical_gradient, *probe.args)


@pytest.mark.parametrize(("V", "temperature"), [(27, 1.0), (19, 1.0), (37, 0.5), (23, 2.0)])
def test_the_top_edge_leaves_the_cumulative_sum_below_u(V, temperature):
    fill = random_fill(np.random.default_rng(V))
    logits, temperature, u = language_model._sample_inputs(fill, 6, V, temperature, top=1)
    (probs,) = language_model._softmax_reference(logits, temperature)
    below = np.cumsum(probs, axis=-1)[:, -1] < u  # (B,)
    assert below[::2].all()  # every other row: no token qualifies
    (ids,) = language_model._sample_reference(logits, temperature, u)
    assert (ids[::2] == V - 1).all()


def test_the_public_top_edge_is_there():
    probe = probe_with("language_model", "sample_tokens", "the cumulative sum ending")
    logits, _temperature, u = probe.args
    assert (np.cumsum(np.exp(logits) / np.exp(logits).sum(-1, keepdims=True), -1)[0, -1]) < u[0]


def test_bigram_reference_equals_counting_by_hand():
    train, test, V, alpha = language_model._bigram_inputs(linspace_fill, 10, 6, 3, 0.5)
    counts = {}
    for a, b in itertools.pairwise(train):
        counts[a, b] = counts.get((a, b), 0) + 1
    bits = []
    for a, b in itertools.pairwise(test):
        row = sum(counts.get((a, c), 0) for c in range(V)) + V * alpha
        bits.append(-math.log2((counts.get((a, b), 0) + alpha) / row))
    assert language_model._bigram_reference(train, test, V, alpha)[0] == pytest.approx(
        np.mean(bits), rel=1e-12
    )


def test_the_made_up_language_is_words_separated_by_single_spaces():
    ids = language_model.made_up_tokens(np.random.default_rng(0), 5000, V=12, K=20)
    np.testing.assert_array_equal(
        ids, language_model.made_up_tokens(np.random.default_rng(0), 5000, V=12, K=20)
    )
    assert ids.dtype == np.int64
    assert ids.min() == 0
    assert ids.max() <= 11
    words = bytes(ids.astype(np.uint8)).split(b"\x00")[1:-1]  # whole words only
    assert {len(w) for w in words} <= {2, 3, 4, 5, 6}
    assert 1 < len(set(words)) <= 20
    text, alphabet = language_model.made_up_text(60, seed=1)
    assert len(text) == 60
    assert set(text) <= set(alphabet)
    assert alphabet[0] == " "
    with pytest.raises(ValueError, match=r"V must lie in \[2, 27\], got 30"):
        language_model.made_up_text(10, seed=1, V=30)


def test_the_judge_passes_the_reference_and_fails_an_untrained_model():
    train_task = task("language_model", "train_char_model")
    (output,) = train_task.outputs
    built = language_model._train_inputs(linspace_fill, V=12, K=20)
    assert isinstance(built, Withheld)
    test_ids, threshold, bigram, unigram = built.data
    assert threshold == pytest.approx(bigram - language_model.MARGIN)
    assert threshold < unigram - 1  # "well under the unigram baseline"
    assert len(test_ids) == language_model.N_TEST

    trained = language_model.train_reference(*built.args)
    params, problem = output.judge.form(trained, {"V": 12})
    assert problem is None
    passed, text = output.judge.grade(params, built.data)
    assert passed, text
    untrained = language_model.train_reference(*built.args[:2], 0, built.args[3])
    passed, text = output.judge.grade(output.judge.form(untrained, {"V": 12})[0], built.data)
    assert not passed
    assert f"at most {threshold:.2f} needed" in text


def test_the_held_out_text_never_reaches_the_student():
    built = language_model._train_inputs(random_fill(np.random.default_rng(9)), V=16, K=30)
    train, V, steps, seed = built.args
    held_out = built.data[0]
    assert (len(train), V, steps) == (language_model.N_TRAIN, 16, language_model.STEPS)
    assert not any(isinstance(a, np.ndarray) and a.size == held_out.size for a in built.args)
    assert seed < 2**16  # the model seed, not the seed that generated the language


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ([1, 2], "params is a list; expected a dict of arrays"),
        ({"E": np.zeros((4, 2))}, 'params["W_ih"] is not a float NumPy array'),
    ],
)
def test_the_judge_names_malformed_params(value, says):
    (output,) = task("language_model", "train_char_model").outputs
    assert output.judge.form(value, {"V": 4}) == (None, says)


def test_every_label_of_an_edge_is_unique_and_every_task_has_edges_or_is_judged():
    exercises = ("hidden_state", "bptt", "language_model", "lstm", "gru")
    for t in [t for e in exercises for t in spec_tasks(e)]:
        labels = [e.label for e in t.edges]
        assert len(labels) == len(set(labels)), t.name
        assert t.edges or any(o.kind == "judged" for o in t.outputs), t.name


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


def test_hidden_languages_follow_the_seed():
    t = task("language_model", "train_char_model")

    def draw(seed):
        fill = random_fill(hidden_generator(seed, "language_model", t.name))
        return make_probe(t, "hidden case 1", {"V": 12, "K": 20}, fill).args[0]

    np.testing.assert_array_equal(draw(5), draw(5))
    assert not np.array_equal(draw(5), draw(6))


def test_repository_exercises_load_with_points(solutions):
    exercises = {e.name: e for e in load_exercises(solutions)}
    assert sorted(exercises) == [
        "bidirectional",
        "bptt",
        "forecasting",
        "gru",
        "hidden_state",
        "language_model",
        "lstm",
        "sequences",
        "transformers",
    ]
    points = {
        e: sum(g.public_points + g.hidden_points for _, g in x.graded) for e, x in exercises.items()
    }
    assert points == {
        "bidirectional": 11,
        "bptt": 19,
        "forecasting": 10,
        "gru": 10,
        "hidden_state": 9,
        "language_model": 18,
        "lstm": 11,
        "sequences": 10,
        "transformers": 12,
    }
    tasks = {e: len(x.graded) for e, x in exercises.items()}
    assert tasks == {
        "bidirectional": 4,
        "bptt": 7,
        "forecasting": 5,
        "gru": 4,
        "hidden_state": 4,
        "language_model": 6,
        "lstm": 4,
        "sequences": 4,
        "transformers": 4,
    }
    assert read_seed(solutions) >= 0


def test_a_judged_output_needs_a_judge(monkeypatch):
    import types

    bad = Task(
        name="t",
        params=("x",),
        outputs=(Output("y", "", kind="judged"),),
        build=lambda fill: (1,),
        reference=lambda x: (x,),
        public={},
        edges=(Edge("e", {}),),
    )
    module = types.ModuleType("course_rnn.grading.specs.broken")
    module.TASKS = (bad,)
    monkeypatch.setitem(__import__("sys").modules, "course_rnn.grading.specs.broken", module)
    with pytest.raises(ValueError, match="a judged output needs a Judge"):
        spec_tasks("broken")


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
