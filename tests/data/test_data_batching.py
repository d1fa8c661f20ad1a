import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_rnn.data import TaskBatch, lengths_to_mask, pad_sequences
from course_rnn.shapes import ShapeError


def test_pad_sequences_token_ids_time_major():
    padded, mask, lengths = pad_sequences([[5, 6, 7], [8], [9, 10]])
    np.testing.assert_array_equal(padded, [[5, 8, 9], [6, 0, 10], [7, 0, 0]])
    np.testing.assert_array_equal(mask, [[1, 1, 1], [1, 0, 1], [1, 0, 0]])
    np.testing.assert_array_equal(lengths, [3, 1, 2])
    assert padded.dtype == np.int64
    assert mask.dtype == bool
    assert lengths.dtype == np.int64


def test_pad_sequences_features_keep_trailing_shape_and_dtype():
    items = [np.ones((4, 3), np.float32), 2 * np.ones((2, 3), np.float32)]
    padded, mask, _ = pad_sequences(items, pad_value=-1.0)
    assert padded.shape == (4, 2, 3)
    assert padded.dtype == np.float32
    np.testing.assert_array_equal(padded[2:, 1], -1.0)
    np.testing.assert_array_equal(padded[:2, 1], 2.0)
    assert mask.sum() == 6


def test_pad_sequences_fixed_length_and_mask_matches_lengths():
    padded, mask, lengths = pad_sequences([[1, 2], [3]], T=5)
    assert padded.shape == (5, 2)
    np.testing.assert_array_equal(mask, lengths_to_mask(lengths, 5))
    np.testing.assert_array_equal(mask.sum(axis=0), lengths)


def test_lengths_to_mask_values():
    np.testing.assert_array_equal(lengths_to_mask([2, 0, 1]), [[1, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: pad_sequences([]), ValueError, "pad_sequences: sequences is empty"),
        (lambda: pad_sequences([np.ones((2, 3)), np.ones((2, 4))]), ShapeError, r"sequences\[1\]"),
        (lambda: pad_sequences([np.float64(1.0)]), ShapeError, "got a scalar"),
        (lambda: pad_sequences([[1, 2, 3]], T=2), ValueError, "T=2 is shorter than"),
        (lambda: lengths_to_mask([[1, 2]]), ShapeError, r"lengths_to_mask: lengths expected"),
        (lambda: lengths_to_mask([1, -1]), ValueError, "must be >= 0"),
    ],
)
def test_padding_errors_name_function_and_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_task_batch_unpacks_as_three_fields():
    x, y, mask = TaskBatch(np.zeros((2, 1)), np.zeros(1), None)
    assert x.shape == (2, 1)
    assert y.shape == (1,)
    assert mask is None


@settings(derandomize=True, deadline=None, max_examples=50)
@given(st.lists(st.lists(st.integers(1, 50), max_size=6), min_size=1, max_size=5))
def test_pad_sequences_round_trip(sequences):
    padded, mask, lengths = pad_sequences(sequences)
    assert padded.shape == (max(len(s) for s in sequences), len(sequences))
    for b, sequence in enumerate(sequences):
        np.testing.assert_array_equal(padded[: lengths[b], b], sequence)
        np.testing.assert_array_equal(padded[mask[:, b], b], sequence)
    assert (padded[~mask] == 0).all()
