import numpy as np
import pytest

from course_rnn.data import bag_of_words_ceiling, sentiment_label
from course_rnn.data.checklist import (
    FARTHER_EXTRAS,
    PHENOMENA,
    checklist_label,
    checklist_vocab,
    directional_pairs,
    invariance_pairs,
    make_test_set,
    make_training_mix,
)
from course_rnn.data.sentiment import SentimentConfig


@pytest.fixture(scope="module")
def mix():
    return make_training_mix(3000, rng=np.random.default_rng(0))


@pytest.mark.parametrize(
    ("sentence", "label"),
    [
        ("this movie was better than the book", 1),
        ("the book was better than this movie", 0),
        ("this film was worse than the trailer", 0),
        ("the sequel was worse than this film", 1),
        ("the plot was dull but this movie was better than the book", 1),
        ("this movie was better than the book but the plot was dull", 0),
        ("the plot was not good", 0),
        ("i do not think that the plot was not good", 1),
    ],
)
def test_checklist_label_on_hand_written_sentences(sentence, label):
    assert checklist_label(sentence) == label
    assert checklist_label(sentence.split()) == label


@pytest.mark.parametrize("name", list(PHENOMENA))
def test_every_test_set_has_exact_labels_both_classes_and_no_unknown_word(name):
    data = make_test_set(name, 300, rng=np.random.default_rng(1))
    assert len(data) == 300
    assert set(data.kinds) == {name}
    assert [checklist_label(s) for s in data.sentences] == data.labels.tolist()
    assert 0.35 < data.labels.mean() < 0.65
    x, _, mask = data.batch()
    assert (x[mask] != data.vocab.unk_id).all()
    assert (x[mask] != data.vocab.pad_id).all()


def test_the_test_sets_repeat_for_a_seed():
    a = make_test_set("comparison", 50, rng=np.random.default_rng(3))
    b = make_test_set("comparison", 50, rng=np.random.default_rng(3))
    assert a.sentences == b.sentences


def test_training_mix_labels_kinds_and_share_of_comparisons(mix):
    assert [checklist_label(s) for s in mix.sentences] == mix.labels.tolist()
    kinds = np.array(mix.kinds)
    assert set(kinds) == {"simple", "contrast", "emphasis", "long", "comparison"}
    assert 0.12 < (kinds == "comparison").mean() < 0.18
    # the same vocabulary as the test sets, covering every training word
    assert mix.vocab.itos == checklist_vocab().itos
    x, _, mask = mix.batch()
    assert (x[mask] != mix.vocab.unk_id).all()


def test_the_sets_marked_absent_from_training_are_absent(mix):
    assert not PHENOMENA["composition"].in_training
    assert not any("than" in s and "but" in s for s in mix.sentences)
    assert not PHENOMENA["negation_farther"].in_training
    extras = SentimentConfig().extras

    def n_extras(sentence):
        return sum(f" {e} " in f" {sentence} " for e in extras)

    longest = max(n_extras(s) for s, k in zip(mix.sentences, mix.kinds, strict=True) if k == "long")
    assert longest == SentimentConfig().long_extras[1] == 5
    farther = make_test_set("negation_farther", 200, rng=np.random.default_rng(2))
    counts = [n_extras(s) for s in farther.sentences]
    assert min(counts) == FARTHER_EXTRAS[0]
    assert max(counts) == FARTHER_EXTRAS[1]
    trained = [p.name for p in PHENOMENA.values() if p.in_training]
    assert "comparison" in trained
    assert "negation_far" in trained


def test_a_bag_of_words_is_at_chance_on_comparisons_and_contrasts():
    # few distinct comparisons exist, so word multisets repeat: the ceiling is the population value
    data = make_test_set("comparison", 2000, rng=np.random.default_rng(4))
    assert bag_of_words_ceiling(data.sentences, data.labels) < 0.56
    # the two orders of one comparison: same words, opposite labels
    assert checklist_label("this movie was better than the book") != checklist_label(
        "the book was better than this movie"
    )


def test_comparisons_are_what_the_old_label_function_cannot_read():
    with pytest.raises(ValueError, match="one adjective per clause"):
        sentiment_label("this movie was better than the book")


def test_invariance_pairs_change_only_subject_words_and_keep_labels():
    originals, variants = invariance_pairs(100, rng=np.random.default_rng(5))
    subjects = set(SentimentConfig().subjects)
    np.testing.assert_array_equal(originals.labels, variants.labels)
    changed = 0
    for a, b in zip(originals.sentences, variants.sentences, strict=True):
        wa, wb = a.split(), b.split()
        assert len(wa) == len(wb)
        for x, y in zip(wa, wb, strict=True):
            assert x == y or (x in subjects and y in subjects and x != y)
            changed += x != y
        assert checklist_label(b) == checklist_label(a)
    assert changed >= 200  # two subjects per contrast sentence, each replaced


def test_directional_pairs_insert_not_and_flip_the_label():
    originals, negated = directional_pairs(100, rng=np.random.default_rng(6))
    np.testing.assert_array_equal(negated.labels, 1 - originals.labels)
    for a, b in zip(originals.sentences, negated.sentences, strict=True):
        wa, wb = a.split(), b.split()
        assert wb == [*wa[:-1], "not", wa[-1]]
        assert checklist_label(b) == 1 - checklist_label(a)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: make_test_set("sarcasm", 10, rng=np.random.default_rng(0)), ValueError,
         "unknown phenomenon 'sarcasm'"),
        (lambda: make_test_set("negation", 0, rng=np.random.default_rng(0)), ValueError,
         "make_test_set: n"),
        (lambda: make_training_mix(10, rng=0), TypeError, "make_training_mix: rng"),
        (lambda: invariance_pairs(-1, rng=np.random.default_rng(0)), ValueError,
         "invariance_pairs: n"),
        (lambda: directional_pairs(5, rng="seed"), TypeError, "directional_pairs: rng"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_with_a_clear_message(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_the_registry_describes_the_suite():
    from course_rnn.data import DATASETS

    info = DATASETS["checklist"]
    assert f"V = {len(checklist_vocab())}" in info.size
    assert f"{len(PHENOMENA)} behavioural sets" in info.size
    assert info.chapter == "Sentiment, phenomenon by phenomenon"
