from collections import Counter, defaultdict

import numpy as np
import pytest

from course_rnn.data import TAGS, TaggingConfig, left_context_ceiling, make_tagging
from course_rnn.data.tagging import IGNORE_INDEX


@pytest.fixture(scope="module")
def data():
    return make_tagging(3000, rng=np.random.default_rng(0))


def test_tagging_batch_shapes_padding_and_masks(data):
    x, y, mask, right = data.batch(np.arange(16))
    lengths = [len(data.sentences[i]) for i in range(16)]
    assert x.shape == y.shape == mask.shape == right.shape == (max(lengths), 16)
    assert x.dtype == y.dtype == np.int64
    assert mask.dtype == right.dtype == bool
    np.testing.assert_array_equal(mask.sum(axis=0), lengths)
    np.testing.assert_array_equal(y[~mask], IGNORE_INDEX)
    np.testing.assert_array_equal(x[~mask], data.vocab.pad_id)
    assert not right[~mask].any()
    assert ((y[mask] >= 0) & (y[mask] < len(TAGS))).all()
    assert (x[mask] != data.vocab.unk_id).all()
    all_lengths = [len(s) for s in data.sentences]
    assert 2 <= min(all_lengths)
    assert max(all_lengths) <= 21
    assert data.vocab.decode(x[: lengths[0], 0], sep=" ") == " ".join(data.sentences[0])


def test_right_context_tokens_are_the_ambiguous_names(data):
    config = TaggingConfig()
    ambiguous = dict(config.ambiguous)
    names = dict(config.names)
    cue_type = {w: t for t, words in config.cues for w in words}
    count = 0
    for words, tags, right in zip(data.sentences, data.tags, data.right_context, strict=True):
        assert len(words) == len(tags) == len(right)
        for t, (word, tag, is_right) in enumerate(zip(words, tags, right, strict=True)):
            assert is_right == (word in ambiguous)
            if word in names:
                assert TAGS[tag] == names[word]
            elif word in ambiguous:
                # the tag is one of the name's types, and the first cue AFTER it names it
                cue = next(w for w in words[t + 1 :] if w in cue_type)
                assert TAGS[tag] in ambiguous[word]
                assert TAGS[tag] == cue_type[cue]
                count += 1
            else:
                assert TAGS[tag] == "O"
    assert count > 1000


def test_every_word_has_one_role():
    config = TaggingConfig()
    roles = [
        {n for n, _ in config.names},
        {n for n, _ in config.ambiguous},
        {w for _, ws in config.cues for w in ws},
        {w for p in (*config.left, *config.gap, *config.tail, "and") for w in p.split()},
    ]
    assert sum(len(r) for r in roles) == len(set().union(*roles)) == len(config.words())


def _majority_accuracy(train, test, key):
    """Fit 'most frequent tag per key' on train's right-context tokens, score it on test's."""
    votes = defaultdict(Counter)
    for words, tags, right in zip(train.sentences, train.tags, train.right_context, strict=True):
        for t in np.flatnonzero(right):
            votes[key(words, t)][tags[t]] += 1
    correct = []
    for words, tags, right in zip(test.sentences, test.tags, test.right_context, strict=True):
        for t in np.flatnonzero(right):
            guess = votes[key(words, t)].most_common(1)
            correct.append(bool(guess) and guess[0][0] == tags[t])
    return float(np.mean(correct))


def test_left_to_right_prediction_of_right_context_tags_is_at_chance():
    # one clause and few left contexts: every full prefix w[:t+1] occurs often, so the majority
    # tag per prefix is the best left-to-right prediction, estimated on held-out sentences
    config = TaggingConfig(left=("", "yesterday"), max_clauses=1)
    train = make_tagging(4000, rng=np.random.default_rng(0), config=config)
    test = make_tagging(2000, rng=np.random.default_rng(1), config=config)
    left = _majority_accuracy(train, test, lambda w, t: w[: t + 1])
    full = _majority_accuracy(
        train, test, lambda w, t: (w[t], next(x for x in w[t + 1 :] if x in CUES))
    )
    assert left_context_ceiling(config) == 0.5
    assert left == pytest.approx(0.5, abs=0.04)
    assert full == 1.0


def test_left_context_ceiling_on_the_default_set(data):
    test = make_tagging(1500, rng=np.random.default_rng(1))
    left = _majority_accuracy(data, test, lambda w, t: w[max(0, t - 2) : t + 1])  # 3-word prefix
    full = _majority_accuracy(
        data, test, lambda w, t: (w[t], next(x for x in w[t + 1 :] if x in CUES))
    )
    assert left_context_ceiling() == 0.5
    assert left <= 0.56
    assert full == 1.0


CUES = {w for _, ws in TaggingConfig().cues for w in ws}


def test_tagging_is_deterministic_given_the_seed():
    a, b, c = (make_tagging(40, rng=np.random.default_rng(s)) for s in (2, 2, 3))
    assert a.sentences == b.sentences
    for ta, tb in zip(a.tags, b.tags, strict=True):
        np.testing.assert_array_equal(ta, tb)
    assert a.sentences != c.sentences
    assert a.vocab == c.vocab


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: make_tagging(0, rng=np.random.default_rng(0)), ValueError, "make_tagging: n"),
        (lambda: make_tagging(3, rng="seed"), TypeError, "make_tagging: rng"),
        (lambda: TaggingConfig(ambiguous=(("jordan", ("PER",)),)), ValueError, "'jordan' needs"),
        (lambda: TaggingConfig(max_gap=-1), ValueError, "max_gap >= 0"),
    ],
)
def test_tagging_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
