"""course_rnn.data.ner: the frozen word lists, the held-out split, the grammar and the batches."""

import re
from importlib import resources

import numpy as np
import pytest

from course_rnn.data import DATASETS
from course_rnn.data.ner import (
    RIGHT_CONTEXT,
    SHAPES,
    TAGS,
    build_vocab,
    encode,
    lexicon,
    make_ner,
    split_lexicon,
    type_counts,
    tz_cities,
    word_shape,
)
from course_rnn.data.tagging import IGNORE_INDEX
from course_rnn.training.spans import bio_spans


@pytest.fixture(scope="module")
def train():
    return make_ner(600, rng=np.random.default_rng(0))


@pytest.fixture(scope="module")
def test():
    return make_ner(600, rng=np.random.default_rng(2), split="test")


def test_the_frozen_cities_are_what_the_time_zone_database_gives():
    tzdata = pytest.importorskip("tzdata")
    header = resources.files("course_rnn.data").joinpath("ner_lexicon.txt").read_text()
    frozen_release = re.search(r"release (\w+)", header).group(1)
    if tzdata.IANA_VERSION != frozen_release:
        pytest.skip(f"tzdata has release {tzdata.IANA_VERSION}, the list was frozen from "
                    f"{frozen_release}")  # fmt: skip
    zones = resources.files("tzdata").joinpath("zones").read_text().split()
    assert list(lexicon().city) == tz_cities(zones)


def test_tz_cities_reads_the_last_part_of_city_zones():
    zones = ["America/New_York", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "UTC",
             "Antarctica/Casey", "Australia/NSW", "Europe/Oslo", "US/Pacific"]  # fmt: skip
    assert tz_cities(zones) == ["Buenos Aires", "New York", "Oslo"]


def test_the_lexicon_sections():
    lex = lexicon()
    assert (len(lex.first), len(lex.last), len(lex.org)) == (400, 500, 148)
    assert len(lex.city) > 400
    assert set(lex.ambiguous) <= set(lex.city)
    assert {"Sydney", "Victoria", "Paris"} <= set(lex.ambiguous)
    for items in (lex.first, lex.last, lex.city, lex.ambiguous, lex.org):
        assert len(set(items)) == len(items)


def test_the_split_holds_out_a_quarter_of_the_names_each_on_one_side():
    full, tr, te = lexicon(), split_lexicon("train"), split_lexicon("test")
    names = ("first", "last", "city", "ambiguous", "org")
    for name in names:
        a, b = set(getattr(tr, name)), set(getattr(te, name))
        assert a | b == set(getattr(full, name))
        assert 0.15 < len(b) / len(a | b) < 0.35
    train_all = {e for n in names for e in getattr(tr, n)}
    test_all = {e for n in names for e in getattr(te, n)}
    assert not train_all & test_all  # a name on two lists is on one side in both
    assert 0.2 < len(test_all) / len(train_all | test_all) < 0.3
    assert set(full.first) & set(full.last)
    assert set(full.ambiguous) <= set(full.city)


def test_no_word_of_a_test_person_occurs_in_a_training_person(train, test):
    def person_words(data):
        return {w for words, tags in zip(data.sentences, data.tags, strict=True)
                for kind, start, end in bio_spans(tags) if kind == "PER"
                for w in words[start:end]}  # fmt: skip

    assert person_words(train)
    assert person_words(test)
    assert not person_words(train) & person_words(test)
    assert not person_words(test) & {w for words in train.sentences for w in words}


def test_no_one_word_test_name_is_a_word_of_a_training_name(train, test):
    def entity_words(data, one_word_only):
        return {w for words, tags in zip(data.sentences, data.tags, strict=True)
                for _, start, end in bio_spans(tags) if end - start == 1 or not one_word_only
                for w in words[start:end]}  # fmt: skip

    assert not entity_words(test, True) & entity_words(train, False)
    assert "Stanley" in lexicon().ambiguous
    assert "Morgan Stanley" in lexicon().org
    sides = [("Stanley" in split_lexicon(s).ambiguous, "Morgan Stanley" in split_lexicon(s).org)
             for s in ("train", "test")]  # fmt: skip
    assert sides in ([(True, True), (False, False)], [(False, False), (True, True)])


def test_test_sentences_use_only_held_out_names(test):
    lex = split_lexicon("test")
    people = set(lex.first) | set(lex.last) | set(lex.ambiguous)
    for words, tags in zip(test.sentences, test.tags, strict=True):
        for kind, start, end in bio_spans(tags):
            entity = " ".join(words[start:end])
            if kind == "PER":
                assert set(words[start:end]) <= people
            else:
                assert entity in (lex.city if kind == "LOC" else lex.org)


def test_sentences_are_tagged_well_formed_bio(train, test):
    for data in (train, test):
        lengths = [len(s) for s in data.sentences]
        assert 5 <= min(lengths)
        assert max(lengths) <= 30
        for words, tags in zip(data.sentences, data.tags, strict=True):
            assert len(words) == len(tags)
            assert set(tags) <= set(TAGS)
            for prev, tag in zip(("O", *tags[:-1]), tags, strict=True):
                if tag.startswith("I-"):
                    assert prev[2:] == tag[2:]
            assert words[0][:1].isupper()
    counts = type_counts(train)
    assert all(counts[t] > 300 for t in ("PER", "LOC", "ORG"))


def test_right_context_marks_initial_ambiguous_names_with_a_deciding_verb(train):
    lex = split_lexicon("train")
    cues = {kind: {t[1] for t in templates} for kind, templates in RIGHT_CONTEXT.items()}
    assert not cues["PER"] & cues["LOC"]
    kinds = []
    for words, tags, marked in zip(train.sentences, train.tags, train.right_context, strict=True):
        if marked.any():
            assert np.flatnonzero(marked).tolist() == [0]
            assert words[0] in lex.ambiguous
            kinds.append(tags[0][2:])
            assert words[1] in cues[tags[0][2:]]
    share = len(kinds) / len(train)
    assert 0.15 < share < 0.25
    assert 0.4 < kinds.count("PER") / len(kinds) < 0.6


def test_the_same_seed_gives_the_same_sentences():
    a = make_ner(50, rng=np.random.default_rng(7))
    b = make_ner(50, rng=np.random.default_rng(7))
    assert a.sentences == b.sentences
    assert a.tags == b.tags
    assert a.sentences != make_ner(50, rng=np.random.default_rng(8)).sentences


@pytest.mark.parametrize(
    ("word", "shape"),
    [("NASA", "<UNK>"), ("Oslo", "<Unk>"), ("1,500", "<num>"), ("in", "<unk>"), ("A", "<Unk>"),
     ("Dr.", "<Unk>")],
)  # fmt: skip
def test_word_shape(word, shape):
    assert word_shape(word) == shape


def test_unknown_words_become_their_shape(train):
    vocab = build_vocab(train)
    assert vocab.pad_id == 0
    assert vocab.unk == "<unk>"
    assert all(s in vocab for s in SHAPES)
    ids = encode(["Zzyzx", "zzyzx", "ZZYZX", "42", "moved"], vocab)
    assert ids.tolist()[:4] == [vocab.stoi[s] for s in ("<Unk>", "<unk>", "<UNK>", "<num>")]
    assert ids[4] == vocab.stoi["moved"]


def test_batch_pads_time_major_and_word_dropout_hides_words(train):
    vocab = build_vocab(train)
    batch = train.batch(vocab, [0, 1, 2])
    T = max(len(train.sentences[i]) for i in range(3))
    assert batch.inputs.shape == batch.targets.shape == batch.mask.shape == (T, 3)
    assert batch.lengths.tolist() == [len(train.sentences[i]) for i in range(3)]
    assert (batch.targets[~batch.mask] == IGNORE_INDEX).all()
    assert (batch.inputs[~batch.mask] == 0).all()
    assert [TAGS[k] for k in batch.targets[: batch.lengths[0], 0]] == list(train.tags[0])
    hidden = train.batch(vocab, [0, 1, 2], unk_rate=1.0, rng=np.random.default_rng(0))
    shape_ids = {vocab.stoi[s] for s in SHAPES}
    assert set(hidden.inputs[hidden.mask].tolist()) <= shape_ids
    assert (hidden.targets == batch.targets).all()


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='make_ner: split must be "train" or "test"'):
        make_ner(3, rng=np.random.default_rng(0), split="valid")
    with pytest.raises(ValueError, match="make_ner: n must be an int >= 1"):
        make_ner(0, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"make_ner: rng must be a np\.random\.Generator"):
        make_ner(3, rng=0)
    data = make_ner(3, rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"NerData\.batch: rng must be a np\.random\.Generator"):
        data.batch(build_vocab(data), unk_rate=0.5)
    with pytest.raises(ValueError, match=r"NerData.batch: unk_rate must be in \[0.0, 1.0\]"):
        data.batch(build_vocab(data), unk_rate=1.5, rng=np.random.default_rng(0))


def test_the_registry_describes_the_set():
    info = DATASETS["ner"]
    assert info.generator is make_ner
    assert "C = 7" in info.size
    assert "5-30 words" in info.size
    assert info.chapter == "A named-entity tagger"
