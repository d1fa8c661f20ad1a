"""The wording of the checks' messages: what a student reads when a check fails.

- a harness's rejection (a wrong dtype, a missing ValueError, a changed argument) is shown as
  the check's own sentence, never as "fn raised <internal class>";
- a wrong array names its *first* wrong entry in index order, with the count of wrong ones; a
  bool array is shown as True/False, never as 0/1 or "off by one";
- a wrong number names the sizes of its case (a MASE with the wrong period shows m);
- the signature check compares parameter names: the grader passes arguments by position, so a
  swapped pair is named, while a renamed parameter is fine.
"""

import json

import numpy as np
import pytest

from course_rnn.grading import check
from course_rnn.grading.compare import Outcome, Probe, _compare, call_error, check_signature
from course_rnn.grading.harness import describe_signature
from course_rnn.grading.harness_sequences import sequences_harness
from course_rnn.grading.rejection import CheckRejectedError
from course_rnn.grading.tasks import all_tasks


def _probe(task, expected, dims=None):
    return Probe("", dict(dims or {}), (), tuple(expected))


def test_a_rejection_from_the_grader_is_shown_as_the_checks_own_sentence():
    task = all_tasks()["one_hot"]
    text = "CheckRejectedError: one_hot: the output has dtype int64; expected float64"
    assert call_error(task, text) == "one_hot: the output has dtype int64; expected float64"
    # an exception of the student's own is still named as such
    assert call_error(task, "IndexError: list index out of range").startswith("one_hot raised")


def test_a_rejection_in_the_self_check_never_names_an_internal_class():
    def one_hot(tokens, V):
        return (tokens[:, :, None] == np.arange(V)).astype(np.int64)

    result = check("one_hot", one_hot)
    assert result.message.startswith("one_hot: the output has dtype int64; expected float64")
    assert "raised" not in result.message
    assert "Error" not in result.message


def test_the_first_wrong_entry_is_named_in_index_order():
    task = all_tasks()["recursive_forecast"]
    expected = np.array([0.5, 0.25, 0.125, 0.0625])
    got = np.array([0.5, 0.3, 0.9, 0.0625])  # the rollout goes wrong at step 1, most at step 2
    message, _ = _compare(task, _probe(task, [expected]), [got], ("value",))
    assert "forecast is wrong at [1]: yours 0.3, expected 0.25 (2 of 4 entries differ)" in message
    everything = expected + np.array([0.1, 0.2, 0.3, 0.4])  # all wrong, the largest last
    message, _ = _compare(task, _probe(task, [expected]), [everything], ("value",))
    assert "wrong at [0]:" in message
    assert "(4 of 4 entries differ)" in message


def test_a_wrong_bool_mask_reads_true_and_false():
    task = all_tasks()["pad_batch"]
    tokens = np.zeros((2, 2), dtype=np.int64)
    mask = np.array([[True, True], [False, True]])
    wrong = ~mask
    message, _ = _compare(task, _probe(task, [tokens, mask]), [tokens, wrong], ("index",))
    assert "mask is wrong at [0, 0]: yours False, expected True" in message
    assert "off by one" not in message
    assert "yours 0" not in message


def test_a_wrong_number_names_the_sizes_of_its_case():
    task = all_tasks()["mase"]
    dims = {"n": 14, "H": 5, "m": 4}
    message, _ = _compare(task, _probe(task, [2.0], dims), [3.0], ("value",))
    assert "(this case: n = 14, H = 5, m = 4)" in message


def test_swapped_parameters_are_named_and_renamed_ones_pass():
    task = all_tasks()["next_token_batch"]

    def swapped(stream, B, T):
        return stream

    def renamed(ids, T, B):
        return ids

    problem = check_signature(task, Outcome(True, describe_signature(swapped)))
    assert "has the parameters (stream, B, T); the template's are (stream, T, B)" in problem
    assert check_signature(task, Outcome(True, describe_signature(renamed))) is None
    signature = json.loads(describe_signature(swapped))
    assert [p[0] for p in signature["params"]] == ["stream", "B", "T"]


def test_a_valueerror_from_numpy_is_not_a_check_of_the_stream():
    rule = (
        "a stream of 6 tokens with T = 3, B = 2 (too short)",
        (("int", (3, 2)),) * 2,
        ("stream",),
    )

    def unchecked(stream, T, B):
        return stream[: B * T].reshape(B, T + 1)

    def silent(stream, T, B):
        raise ValueError

    with pytest.raises(CheckRejectedError, match=r"does not \(NumPy's own errors do not count"):
        sequences_harness(unchecked, rule, np.arange(6), 3, 2)
    with pytest.raises(CheckRejectedError, match="raised a ValueError without a message"):
        sequences_harness(silent, rule, np.arange(6), 3, 2)
