import dataclasses

import numpy as np
import pytest

from course_rnn.data import (
    SentimentConfig,
    bag_of_words_ceiling,
    make_sentiment,
    sentiment_label,
)
from course_rnn.data.sentiment import BOW_CEILING, KINDS

TINY = SentimentConfig(
    subjects=("movie",),
    positive=("good",),
    negative=("bad",),
    intensifiers=("very",),
    negators=("not",),
    relatives=("that i saw",),
    extras=("twice",),
    long_extras=(1, 1),
)


@pytest.fixture(scope="module")
def data():
    return make_sentiment(3000, rng=np.random.default_rng(0))


def test_sentiment_batch_shapes_padding_and_vocab(data):
    x, y, mask = data.batch(np.arange(10))
    lengths = [len(data.sentences[i].split()) for i in range(10)]
    assert x.shape == (max(lengths), 10)
    assert x.dtype == np.int64
    assert y.shape == (10,)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(mask.sum(axis=0), lengths)
    np.testing.assert_array_equal(x[~mask], data.vocab.pad_id)
    assert (x[mask] != data.vocab.unk_id).all()  # the vocabulary covers the grammar
    assert data.vocab.decode(x[: lengths[0], 0], sep=" ") == data.sentences[0]
    assert len(data.vocab) == 62
    all_lengths = [len(s.split()) for s in data.sentences]
    assert 4 <= min(all_lengths)
    assert max(all_lengths) <= 30
    assert set(data.kinds) == set(KINDS)
    assert 0.45 < data.labels.mean() < 0.55


def test_sentiment_is_deterministic_and_vocab_does_not_depend_on_the_seed():
    a, b, c = (make_sentiment(50, rng=np.random.default_rng(s)) for s in (7, 7, 8))
    assert a.sentences == b.sentences
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.sentences != c.sentences
    assert a.vocab == c.vocab


def test_an_order_aware_reader_gets_every_label_right(data):
    predicted = [sentiment_label(s) for s in data.sentences]
    np.testing.assert_array_equal(predicted, data.labels)


def test_rules_on_hand_written_sentences():
    assert sentiment_label("the plot was not very good") == 0
    assert sentiment_label("the plot was good but the ending was boring") == 0
    assert sentiment_label("the plot was boring but the ending was not bad") == 1
    assert sentiment_label("although the plot was good , the ending was dull") == 0
    assert sentiment_label("the ending was dull , although the plot was good") == 0
    assert sentiment_label("the plot was really good and the ending was dull") == 1
    assert sentiment_label("the plot was good and the ending was really dull") == 0
    assert sentiment_label("i do not think that the film that i saw twice was not good") == 1


def test_swapping_but_clauses_keeps_the_words_and_flips_the_label(data):
    """The exact argument: the swapped sentence is as likely, with the same bag, opposite label."""
    swapped = 0
    for sentence, label in zip(data.sentences, data.labels, strict=True):
        words = sentence.split()
        if "but" not in words:
            continue
        i = words.index("but")
        mirror = [*words[i + 1 :], "but", *words[:i]]
        assert sorted(mirror) == sorted(words)
        assert sentiment_label(mirror) == 1 - label
        swapped += 1
    assert swapped > 300


def test_no_bag_of_words_beats_chance_on_contrast_and_emphasis():
    # a tiny vocabulary makes word multisets repeat, so the per-bag majority vote (the best any
    # bag-of-words classifier can do, even on its own training data) can be measured
    config = dataclasses.replace(TINY, weights=(0, 1, 1, 0))
    designed = make_sentiment(8000, rng=np.random.default_rng(0), config=config)
    assert bag_of_words_ceiling(designed.sentences, designed.labels) < 0.55
    # the whole mixture: simple and long sentences are decided by their bag (XOR of words), so
    # the ceiling is 1 - 0.6 / 2 = 0.70 (measured 0.727 in-sample: majority votes overfit a little)
    mixture = make_sentiment(8000, rng=np.random.default_rng(0), config=TINY)
    ceiling = bag_of_words_ceiling(mixture.sentences, mixture.labels)
    assert ceiling == pytest.approx(BOW_CEILING, abs=0.04)


def _bag_of_words(data):
    counts = np.zeros((len(data), len(data.vocab)))  # (N, V)
    for i in range(len(data)):
        np.add.at(counts[i], data.encode(i), 1.0)
    return counts


def test_a_trained_linear_bag_of_words_classifier_fails(data):
    """Logistic regression on word counts (Adam, full batch) stays near chance on held-out data."""
    test = make_sentiment(1500, rng=np.random.default_rng(1))
    X, X_test = _bag_of_words(data), _bag_of_words(test)  # (N, V)
    y = data.labels.astype(np.float64)
    w, b = np.zeros(X.shape[1]), 0.0
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, 801):
        p = 1 / (1 + np.exp(-np.clip(X @ w + b, -30, 30)))  # (N,)
        g = X.T @ (p - y) / len(y) + 1e-4 * w  # (V,)
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        w -= 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        b -= 0.05 * float(np.mean(p - y))
    train_accuracy = np.mean((X @ w + b > 0) == data.labels)
    correct = (X_test @ w + b > 0) == test.labels
    kinds = np.array(test.kinds)
    designed = np.isin(kinds, ["contrast", "emphasis"])
    assert train_accuracy < 0.65  # it cannot even fit its training data
    assert correct.mean() <= 0.60  # measured 0.49; the issue asks for <= 0.75
    assert correct[designed].mean() <= 0.58  # chance on the designed subset


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: make_sentiment(0, rng=np.random.default_rng(0)), ValueError, "make_sentiment: n"),
        (lambda: make_sentiment(5, rng=1), TypeError, "make_sentiment: rng"),
        (lambda: SentimentConfig(weights=(1.0, 1.0)), ValueError, "weights expected 4"),
        (lambda: SentimentConfig(long_extras=(1, 99)), ValueError, "long_extras expected"),
        (lambda: SentimentConfig(negators=()), ValueError, "negators must not be empty"),
        (lambda: SentimentConfig(p_negate=2), ValueError, r"p_negate must be in \[0.0, 1.0\]"),
        (lambda: sentiment_label("the plot was good great"), ValueError, "one adjective"),
        (lambda: bag_of_words_ceiling(["a b"], [0, 1]), ValueError, "as many labels"),
    ],
)
def test_sentiment_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
