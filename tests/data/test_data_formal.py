"""course_rnn.data.formal: exact labels, shapes, balance, seeding and errors."""

import numpy as np
import pytest

from course_rnn.data.formal import (
    FORMAL_SIZES,
    FORMAL_TASKS,
    dyck,
    is_balanced,
    modular_sum,
    parity_task,
)


def rng(seed=0):
    return np.random.default_rng(seed)


@pytest.mark.parametrize("name", sorted(FORMAL_TASKS))
def test_shapes_dtypes_and_vocabulary(name):
    V, C = FORMAL_SIZES[name]
    x, y, mask = FORMAL_TASKS[name](6, 5, rng=rng())
    assert x.shape == y.shape == mask.shape == (6, 5)
    assert x.dtype == y.dtype == np.int64
    assert mask.dtype == bool
    assert x.min() >= 0
    assert x.max() < V
    assert y.min() >= 0
    assert y.max() < C


def test_parity_labels_by_hand():
    x, y, mask = parity_task(200, 7, rng=rng(3))
    for b in range(7):
        running = 0
        for t in range(200):
            running ^= int(x[t, b])
            assert y[t, b] == running
    assert mask.all()


def test_modular_sum_labels_by_hand():
    x, y, _ = modular_sum(50, 4, rng=rng(1), modulus=7)
    assert x.max() <= 6
    for b in range(4):
        assert [int(v) for v in y[:, b]] == [
            sum(int(d) for d in x[: t + 1, b]) % 7 for t in range(50)
        ]


def test_is_balanced_on_known_strings():
    strings = ["()", "(())()", ")(", "(()", "())(", "((()))"]
    expected = [True, True, False, False, False, True]
    for s, e in zip(strings, expected, strict=True):
        brackets = np.array([[0 if c == "(" else 1] for c in s])  # (T, 1)
        assert bool(is_balanced(brackets)[0]) is e, s


def test_dyck_labels_are_exact_and_balanced_classes():
    x, y, mask = dyck(40, 2000, rng=rng(2))
    assert mask[-1].all()
    assert not mask[:-1].any()
    np.testing.assert_array_equal(y[-1], is_balanced(x).astype(np.int64))
    assert 0.45 < y[-1].mean() < 0.55
    # every sequence is an exact-length string; negatives differ from a Dyck word by one flip
    depth = np.cumsum(np.where(x == 0, 1, -1), axis=0)
    assert set(np.abs(depth[-1][y[-1] == 0]).tolist()) == {2}


def test_same_generator_state_gives_the_same_batch():
    for task in FORMAL_TASKS.values():
        a, b = task(10, 3, rng=rng(5)), task(10, 3, rng=rng(5))
        np.testing.assert_array_equal(a.inputs, b.inputs)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="dyck: T must be even"):
        dyck(7, 2, rng=rng())
    with pytest.raises(ValueError, match="modular_sum: modulus must be an int >= 2"):
        modular_sum(5, 2, rng=rng(), modulus=1)
    with pytest.raises(ValueError, match="parity_task: T must be an int >= 1"):
        parity_task(0, 2, rng=rng())
    with pytest.raises(TypeError, match=r"dyck: rng must be a np\.random\.Generator"):
        dyck(4, 2, rng=0)
