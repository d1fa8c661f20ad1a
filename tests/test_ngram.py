"""The smoothed n-gram baseline: proper distributions, equal to a dictionary implementation."""

import collections

import numpy as np
import pytest

from course_rnn.data import char_corpus
from course_rnn.ngram import (
    fit_ngram,
    next_token_probs,
    ngram_bits_per_char,
    ngram_keys,
    ngram_log2_probs,
)
from course_rnn.shapes import ShapeError


def reference_kneser_ney(train, order, V):
    """Interpolated Kneser–Ney written with tuples and Counters, one probability at a time."""
    train = [int(i) for i in train]
    counts = {order: collections.Counter(zip(*(train[j:] for j in range(order)), strict=False))}
    for k in range(order - 1, 0, -1):  # continuation counts: distinct left neighbours
        counts[k] = collections.Counter(gram[1:] for gram in counts[k + 1])

    def discount(c):
        n1 = sum(v == 1 for v in c.values())
        n2 = sum(v == 2 for v in c.values())
        return min(max(n1 / (n1 + 2 * n2) if n1 + n2 else 0.5, 0.05), 0.95)

    discounts = {k: discount(c) for k, c in counts.items()}

    def prob(word, context):  # context: a tuple of up to order - 1 previous ids
        p = 1.0 / V
        for k in range(1, order + 1):
            if k - 1 > len(context):
                continue
            ctx = context[len(context) - (k - 1) :]
            following = {g: c for g, c in counts[k].items() if g[:-1] == ctx}
            total = sum(following.values())
            if total == 0:
                continue
            d = discounts[k]
            p = (max(following.get((*ctx, word), 0) - d, 0) + d * len(following) * p) / total
        return p

    return prob


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    # a text with structure (a repeated motif) and noise, over V = 6 ids; id 5 never occurs
    motif = np.array([0, 1, 2, 1, 3])
    train = np.concatenate(
        [motif if rng.random() < 0.7 else rng.integers(0, 5, 5) for _ in range(60)]
    )
    held_out = np.concatenate([motif, rng.integers(0, 6, 20), motif])
    return train, held_out, 6


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_ngram_matches_a_dictionary_implementation(small, order):
    train, held_out, V = small
    model = fit_ngram(train, order, V)
    prob = reference_kneser_ney(train, order, V)
    expected = [
        np.log2(prob(int(held_out[t]), tuple(int(i) for i in held_out[max(0, t - order + 1) : t])))
        for t in range(1, len(held_out))
    ]
    np.testing.assert_allclose(ngram_log2_probs(model, held_out), expected, rtol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3, 5])
@pytest.mark.parametrize("context", [[], [0], [1, 2], [5, 5, 5, 5], [0, 1, 2, 1, 3, 0]])
def test_ngram_next_token_probs_is_a_distribution(small, order, context):
    train, _, V = small
    p = next_token_probs(fit_ngram(train, order, V), np.array(context, dtype=np.int64))
    assert p.shape == (V,)
    assert np.all(p > 0)  # smoothing: even the id never seen in training (5)
    np.testing.assert_allclose(p.sum(), 1.0, rtol=1e-12)


def test_ngram_next_token_probs_agrees_with_log2_probs(small):
    train, held_out, V = small
    model = fit_ngram(train, 3, V)
    scored = ngram_log2_probs(model, held_out)
    for t in (1, 2, 7, len(held_out) - 1):
        p = next_token_probs(model, held_out[:t])
        np.testing.assert_allclose(np.log2(p[held_out[t]]), scored[t - 1], rtol=1e-12)


def test_ngram_unigram_of_a_constant_text_spreads_the_discount_uniformly():
    model = fit_ngram(np.zeros(10, dtype=np.int64), 1, 4)
    p = next_token_probs(model, np.array([], dtype=np.int64))
    d = model.tables[0].discount
    # count 10 of one type: (10 - d) / 10 for the id seen, d / 10 spread uniformly over the 4 ids
    np.testing.assert_allclose(p, [(10 - d) / 10 + d / 40, d / 40, d / 40, d / 40])


def test_ngram_on_the_corpus_longer_contexts_help_and_memorising_is_not_free():
    corpus = char_corpus()
    V = len(corpus.vocab)
    bits = [ngram_bits_per_char(fit_ngram(corpus.train, n, V), corpus.val) for n in (1, 2, 3, 5)]
    assert np.all(np.diff(bits) < 0)
    assert 4.5 < bits[0] < np.log2(V)  # a unigram is close to H(x_t) of chapter 1
    assert bits[-1] > 1.0


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: fit_ngram(np.arange(5), 0, 5), ValueError, "order must be an int >= 1"),
        (lambda: fit_ngram(np.arange(5), True, 5), ValueError, "order must be an int >= 1"),
        (lambda: fit_ngram(np.arange(5), 2, 0), ValueError, "vocab_size must be an int >= 1"),
        (lambda: fit_ngram(np.arange(5), 2, 4), ValueError, r"ids must lie in \[0, V=4\)"),
        (lambda: fit_ngram(np.arange(5.0), 2, 5), ShapeError, r"ids expected \(N,\) int"),
        (lambda: fit_ngram(np.zeros((2, 3), int), 2, 5), ShapeError, r"ids expected \(N,\) int"),
        (lambda: fit_ngram(np.arange(2), 3, 5), ValueError, "fewer than order = 3"),
        (lambda: fit_ngram(np.arange(5), 20, 1000), ValueError, "does not fit the int64 keys"),
    ],
)
def test_ngram_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_ngram_scoring_rejects_bad_ids(small):
    train, _, V = small
    model = fit_ngram(train, 2, V)
    with pytest.raises(ValueError, match="need at least 2"):
        ngram_log2_probs(model, np.array([1]))
    with pytest.raises(ValueError, match=r"context must lie in \[0, V=6\)"):
        next_token_probs(model, np.array([7]))


def test_ngram_keys_are_equal_exactly_for_equal_windows():
    ids = np.array([3, 1, 4, 1, 5, 3, 1, 4])
    keys = ngram_keys(ids, 3, 6)
    assert keys.shape == (6,)
    assert keys[0] == keys[5] == 3 * 36 + 1 * 6 + 4  # (3, 1, 4) twice
    assert len(np.unique(keys)) == 5
    np.testing.assert_array_equal(ngram_keys(ids, 0, 6), np.zeros(9, dtype=np.int64))
