"""course_rnn.studies.ner: the baselines, the scores, and deterministic training runs."""

import numpy as np
import pytest
import torch

from course_rnn.data.ner import make_ner
from course_rnn.studies.ner import (
    dictionary_tags,
    evaluate_tags,
    fit_tagger,
    majority_tags,
    ner_sets,
    predict_tags,
    train_tagger,
)


def test_perfect_tags_score_one_and_majority_tags_find_nothing():
    _, test, _ = ner_sets()
    perfect = evaluate_tags(test, list(test.tags))
    assert perfect["spans"]["overall"]["f1"] == 1.0
    assert perfect["word_accuracy"] == perfect["right_context_accuracy"] == 1.0
    assert perfect["right_context_words"] == sum(int(r.sum()) for r in test.right_context) > 100
    majority = evaluate_tags(test, majority_tags(test))
    assert majority["spans"]["overall"]["f1"] == 0.0
    assert majority["right_context_accuracy"] == 0.0  # the marked words are all names


def test_the_dictionary_knows_training_words_only():
    train = make_ner(200, rng=np.random.default_rng(0))
    assert evaluate_tags(train, dictionary_tags(train, train))["word_accuracy"] > 0.9
    unseen = make_ner(200, rng=np.random.default_rng(5), split="test")
    tags = dictionary_tags(train, unseen)
    known = {w for s in train.sentences for w in s}
    for words, predicted in zip(unseen.sentences, tags, strict=True):
        for w, t in zip(words, predicted, strict=True):
            assert w in known or t == "O"


def test_the_same_seed_gives_the_same_run_and_leaves_torch_as_it_was():
    torch.manual_seed(123)
    state, threads = torch.random.get_rng_state(), torch.get_num_threads()
    first = train_tagger(bidirectional=True, seed=3, epochs=1, hidden_size=4)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.get_num_threads() == threads
    assert first == train_tagger(bidirectional=True, seed=3, epochs=1, hidden_size=4)
    other = train_tagger(bidirectional=True, seed=4, epochs=1, hidden_size=4)
    assert other["spans"] != first["spans"]
    assert first["parameters"] > train_tagger(bidirectional=False, seed=3, epochs=1,
                                              hidden_size=4)["parameters"]  # fmt: skip


def test_predictions_have_one_tag_per_word():
    _, test, vocab = ner_sets()
    model = fit_tagger(bidirectional=False, seed=0, epochs=1, hidden_size=4)
    predicted = predict_tags(model, test, vocab)
    assert [len(p) for p in predicted] == [len(s) for s in test.sentences]


def test_bad_seed_is_named():
    with pytest.raises(ValueError, match="fit_tagger: seed must be an int >= 0, got -1"):
        fit_tagger(bidirectional=True, seed=-1)
