import sys
from pydoc_data.topics import topics

import numpy as np
import pytest

from course_rnn.data import (
    Vocab,
    char_corpus,
    pydoc_corpus,
    random_windows,
    sequential_batches,
    split_train_val,
)
from course_rnn.data.text import UNK_CHAR
from course_rnn.shapes import ShapeError


def test_corpus_is_python_3_11s_topics_in_sorted_key_order():
    text = pydoc_corpus()
    assert len(text) == 464_970
    if sys.version_info[:2] == (3, 11):  # the frozen copy is this Python's own text
        assert text == "".join(topics[k] for k in sorted(topics))
    assert text.startswith('The "assert" statement\n')


def test_corpus_is_the_same_on_every_python(monkeypatch):
    """The text comes from the package, not from the running Python's pydoc_data."""
    import pydoc_data.topics

    pydoc_corpus.cache_clear()
    monkeypatch.setattr(pydoc_data.topics, "topics", {"x": "changed in another release"})
    try:
        assert len(pydoc_corpus()) == 464_970
    finally:
        pydoc_corpus.cache_clear()


def test_vocab_round_trip_and_unknown_characters():
    vocab = Vocab.from_text("hello world")
    assert len(vocab) == 1 + len(set("hello world"))
    assert vocab.unk_id == 0
    assert vocab.pad_id is None
    ids = vocab.encode("hello")
    assert ids.dtype == np.int64
    assert ids.shape == (5,)
    assert vocab.decode(ids) == "hello"
    unknown = vocab.encode("hex!")
    np.testing.assert_array_equal(unknown[[2, 3]], vocab.unk_id)
    assert vocab.decode(unknown) == "he" + UNK_CHAR * 2
    assert "x" not in vocab
    assert "h" in vocab


def test_word_vocab_with_padding():
    vocab = Vocab(["not", "good", "not"], pad="<pad>")
    assert vocab.itos == ("<pad>", "<unk>", "not", "good")
    assert vocab.pad_id == 0
    assert vocab.unk_id == 1
    ids = vocab.encode(["not", "very", "good"])
    np.testing.assert_array_equal(ids, [2, 1, 3])
    assert vocab.decode(ids, sep=" ") == "not <unk> good"
    assert vocab == Vocab(["not", "good"], pad="<pad>")


def test_split_holds_out_the_last_ten_percent():
    train, val = split_train_val("abcdefghijklmnopqrst")  # 20 characters
    assert (train, val) == ("abcdefghijklmnopqr", "st")
    ids = np.arange(1005)
    train, val = split_train_val(ids)
    np.testing.assert_array_equal(val, np.arange(905, 1005))
    np.testing.assert_array_equal(np.concatenate([train, val]), ids)


def test_char_corpus_split_vocab_and_round_trip():
    corpus = char_corpus()
    text = corpus.text
    N = len(text)
    assert len(corpus.val) == N // 10
    assert len(corpus.train) + len(corpus.val) == N
    assert corpus.train.dtype == np.int64
    assert corpus.vocab.decode(corpus.val) == text[N - N // 10 :]  # no unknown char in this Python
    assert corpus.vocab.decode(corpus.train[:1000]) == text[:1000]
    assert 90 < len(corpus.vocab) < 130
    assert corpus.train.max() < len(corpus.vocab)


def test_random_windows_targets_are_shifted_by_one(rng):
    ids = np.arange(100, dtype=np.int64) * 3
    x, y = random_windows(ids, 8, 16, rng=rng)
    assert x.shape == y.shape == (8, 16)
    assert x.dtype == y.dtype == np.int64
    np.testing.assert_array_equal(x[1:], y[:-1])
    np.testing.assert_array_equal(y, x + 3)  # the next element of ids
    again = random_windows(ids, 8, 16, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(again[0], x)


def test_sequential_batches_walk_lanes_and_shift_by_one():
    ids = np.arange(23)
    chunks = list(sequential_batches(ids, 3, 2))  # n = (23 - 1) // 2 = 11 steps per lane
    assert [c[0].shape for c in chunks] == [(3, 2), (3, 2), (3, 2), (2, 2)]
    x = np.concatenate([c[0] for c in chunks])  # (11, 2)
    y = np.concatenate([c[1] for c in chunks])
    np.testing.assert_array_equal(x[:, 0], np.arange(11))
    np.testing.assert_array_equal(x[:, 1], np.arange(11, 22))
    np.testing.assert_array_equal(y, x + 1)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: random_windows(np.arange(5), 5, 2, rng=np.random.default_rng(0)), ValueError,
         r"fewer than T \+ 1 = 6"),
        (lambda: random_windows(np.ones(9), 2, 2, rng=np.random.default_rng(0)), ShapeError,
         "random_windows: ids expected"),
        (lambda: list(sequential_batches(np.arange(3), 2, 4)), ValueError, "batch_size"),
        (lambda: split_train_val("abc", val_fraction=1.0), ValueError, r"in \(0, 1\)"),
        (lambda: Vocab("ab").decode([0, 7]), ValueError, r"ids must lie in \[0, V=3\)"),
        (lambda: Vocab("ab", unk="x", pad="x"), ValueError, "pad and unk must differ"),
    ],
)  # fmt: skip
def test_text_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
