import numpy as np
import pytest

from course_rnn.data import (
    associative_recall,
    copy_task,
    copy_vocab_size,
    recall_vocab_size,
    selective_copy,
)
from course_rnn.data.memory import BLANK, DELIMITER


def test_copy_task_layout(rng):
    x, y, mask = copy_task(5, 10, 3, rng=rng, num_symbols=8)
    T = 2 * 5 + 10
    assert x.shape == y.shape == mask.shape == (T, 3)
    assert x.dtype == y.dtype == np.int64
    assert mask.dtype == bool
    np.testing.assert_array_equal(y[mask].reshape(5, 3), x[:5])  # the answer is the first 5 inputs
    np.testing.assert_array_equal(mask.sum(axis=0), 5)
    assert mask[-5:].all()
    np.testing.assert_array_equal(x[5 + 10 - 1], DELIMITER)
    np.testing.assert_array_equal(y[~mask], BLANK)
    assert x.max() < copy_vocab_size(8) == 10
    assert x[:5].min() >= 2


def test_selective_copy_keeps_symbol_order(rng):
    x, y, mask = selective_copy(4, 30, 64, rng=rng)
    assert x.shape == (30 + 1 + 4, 64)
    context = x[:30]
    for b in range(64):
        symbols = context[:, b][context[:, b] != BLANK]
        np.testing.assert_array_equal(symbols, y[mask[:, b], b])
    np.testing.assert_array_equal(x[30], DELIMITER)
    assert mask[-4:].all()
    assert mask.sum() == 4 * 64
    # positions differ between sequences (the point of the selective version)
    assert len({tuple(np.flatnonzero(context[:, b])) for b in range(64)}) > 32


def test_associative_recall_answer_is_the_query_keys_value(rng):
    n, K, C = 6, 10, 12
    x, y, mask = associative_recall(n, 500, rng=rng, num_keys=K, num_values=C)
    assert x.shape == (2 * n + 2, 500)
    assert y.shape == (500,)
    assert y.dtype == np.int64
    assert mask is None
    assert x.max() < recall_vocab_size(K, C) == K + C + 1
    keys, values = x[0 : 2 * n : 2], x[1 : 2 * n : 2]
    assert (keys < K).all()
    assert ((values >= K) & (values < K + C)).all()
    np.testing.assert_array_equal(x[-2], K + C)
    for b in range(500):
        assert len(set(keys[:, b])) == n  # distinct keys
        (where,) = np.flatnonzero(keys[:, b] == x[-1, b])
        assert values[where, b] - K == y[b]


def test_associative_recall_chance_is_one_over_num_values(rng):
    C = 32
    _, y, _ = associative_recall(8, 200_000, rng=rng, num_values=C)
    frequencies = np.bincount(y, minlength=C) / len(y)
    # uniform answers: the best guess that ignores the sequence scores 1/C
    np.testing.assert_allclose(frequencies, 1 / C, atol=2e-3)
    assert frequencies.max() == pytest.approx(1 / C, abs=2e-3)
    guess = np.random.default_rng(1).integers(0, C, size=len(y))
    assert np.mean(guess == y) == pytest.approx(1 / C, abs=2e-3)


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: copy_task(3, 4, 5, rng=rng),
        lambda rng: selective_copy(3, 9, 5, rng=rng),
        lambda rng: associative_recall(3, 5, rng=rng),
    ],
)
def test_memory_tasks_are_deterministic_given_the_seed(make):
    a, b, c = (make(np.random.default_rng(s)) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.inputs, b.inputs)
    np.testing.assert_array_equal(a.targets, b.targets)
    assert not np.array_equal(a.inputs, c.inputs)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda r: copy_task(0, 5, 2, rng=r), ValueError, "copy_task: length must be an int >= 1"),
        (lambda r: copy_task(3, 0, 2, rng=r), ValueError, "copy_task: delay must be"),
        (lambda r: selective_copy(5, 3, 2, rng=r), ValueError, "context must be >= length=5"),
        (lambda r: associative_recall(9, 2, rng=r, num_keys=8), ValueError, "needs num_keys >= 9"),
        (lambda r: associative_recall(2, 2, rng=None), TypeError, "associative_recall: rng"),
    ],
)
def test_memory_task_errors(rng, call, error, match):
    with pytest.raises(error, match=match):
        call(rng)
