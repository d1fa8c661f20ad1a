"""The exercise "bidirectional": its cases mean what the notebook says, and its harness's rules.

The mutants (mutants_bidirectional.py) run through the shared tests of the self-check and the
grader; here: the lengths are unsorted and in range for any draw, the large-score case makes an
unshifted softmax overflow and a softmax shifted by the maximum over padded keys divide 0 by 0
for any draw, every edge case the notebook names comes back among the hidden cases, and a
wrapper around the package's own layer is caught.
"""

import importlib.util

import numpy as np
import pytest
from helpers import SOLUTIONS

from course_rnn.grading import check
from course_rnn.grading.harness_padded import padded_batch_harness
from course_rnn.grading.rejection import CheckRejectedError
from course_rnn.grading.selfcheck import USES_COURSE_RNN
from course_rnn.grading.specs import bidirectional as spec
from course_rnn.grading.tasks import linspace_fill, random_fill


def _hidden():
    path = SOLUTIONS / "tests" / "bidirectional.py"
    module_spec = importlib.util.spec_from_file_location("_hidden_bidirectional", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return {g.task: g for g in module.GRADED}


def test_public_lengths_are_unsorted_and_span_one_to_t():
    lengths = spec.lengths_from(linspace_fill, 4, 5)
    assert lengths.tolist() == [4, 1, 5, 2]


@pytest.mark.parametrize("seed", range(20))
def test_drawn_lengths_lie_in_range_and_are_not_sorted(seed):
    fill = random_fill(np.random.default_rng(seed))
    lengths = spec.lengths_from(fill, 5, 7)
    assert lengths.min() >= 1
    assert lengths.max() <= 7
    if len(set(lengths.tolist())) > 2:
        assert lengths.tolist() != sorted(lengths.tolist())


@pytest.mark.parametrize("seed", range(20))
def test_large_scores_overflow_unless_shifted_by_the_largest_real_score(seed):
    fill = random_fill(np.random.default_rng(seed))
    q, k, _, lengths = spec._attention_arrays(fill, 3, 2, 5, 3, big=1)
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(3)  # (B, T, S)
    real = np.arange(5)[None, :] < lengths[:, None]  # (B, S)
    real_scores = np.where(real[:, None, :], scores, -np.inf)
    assert real_scores.max() > 709  # np.exp overflows without a shift
    padded_min = np.where(real[:, None, :], np.inf, scores).min(axis=2)  # (B, T)
    gap = padded_min - real_scores.max(axis=2)
    has_pad = ~real.all(axis=1)
    assert np.all(gap[has_pad] > 745)  # exp(real - max over all keys) is exactly 0


def test_every_named_edge_case_comes_back_hidden():
    hidden = _hidden()
    variants = {"ones", "full", "f32", "big", "top"}
    for task in spec.TASKS:
        public = {v for edge in task.edges for v in variants if edge.dims.get(v)}
        public |= {"B=1"} if any(edge.dims["B"] == 1 for edge in task.edges) else set()
        cases = hidden[task.name].hidden
        secret = {v for case in cases for v in variants if case.get(v)}
        secret |= {"B=1"} if any(case["B"] == 1 for case in cases) else set()
        assert public <= secret, task.name


def test_points_are_in_the_style_of_the_other_exercises():
    hidden = _hidden()
    assert sum(g.public_points + g.hidden_points for g in hidden.values()) == 11


def test_harness_names_the_first_padded_entry_that_is_not_zero():
    x = np.ones((3, 2, 1))
    lengths = np.array([3, 1])
    with pytest.raises(CheckRejectedError, match=r"out\[1, 1\] is not, but lengths\[1\] = 1"):
        padded_batch_harness(lambda x, lengths: (x, None), "steps", x, lengths)
    weights = np.full((2, 1, 3), 1 / 3)
    with pytest.raises(
        CheckRejectedError, match=r"weights\[1, :, 1\] is not, but lengths\[1\] = 1"
    ):
        padded_batch_harness(lambda *a: (None, weights), "keys", x, x, x, lengths)
    x[1:, 1] = 0
    assert padded_batch_harness(lambda x, lengths: (x, None), "steps", x, lengths)[0] is x


def test_harness_keeps_the_dtype_and_refuses_overflow():
    x = np.ones((2, 2), dtype=np.float32)
    with pytest.raises(
        CheckRejectedError, match="output 1 has dtype float64, but the inputs are float32"
    ):
        padded_batch_harness(lambda x: x.astype(np.float64), "", x)
    with pytest.raises(FloatingPointError, match="overflow"):
        padded_batch_harness(lambda x: np.exp(1000 * x.astype(np.float64)), "", x)


def test_a_wrapper_around_the_package_layer_is_caught_by_the_self_check():
    def bidirectional_rnn_forward(x, lengths, h0, params_fwd, params_bwd):
        from course_rnn.numpy_nn import bidirectional_rnn_forward as theirs

        keys = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
        fwd, bwd = (
            dict(zip(keys, params_fwd, strict=True)),
            dict(zip(keys, params_bwd, strict=True)),
        )
        return theirs(x, lengths, h0, fwd, bwd)[:2]

    result = check("bidirectional_rnn_forward", bidirectional_rnn_forward)
    assert not result
    assert result.stage == USES_COURSE_RNN
    assert "course_rnn.numpy_nn.bidirectional.bidirectional_rnn_forward" in result.message
