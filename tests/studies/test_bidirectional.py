"""course_rnn.studies.bidirectional: deterministic tagger and leak runs, padding study, errors."""

import numpy as np
import pytest
import torch

from course_rnn.studies.bidirectional import (
    CharGRU,
    _honest_bits,
    fit_tagger,
    generate,
    leak_study,
    padding_bug,
    prefix_bits,
    train_tagger,
)

SMALL = {"steps": 6, "hidden_size": 6, "embed_dim": 4, "batch_size": 8}


def test_the_same_seed_gives_the_same_tagger_run():
    first = train_tagger("gru", bidirectional=True, seed=3, **SMALL)
    assert first == train_tagger("gru", bidirectional=True, seed=3, **SMALL)
    assert (
        first["loss_curve"]
        != train_tagger("gru", bidirectional=True, seed=4, **SMALL)["loss_curve"]
    )
    assert {"accuracy", "right_context", "other", "n_right_context"} <= set(first)
    assert 0 <= first["right_context"] <= 1
    assert first["n_right_context"] > 100


def test_training_leaves_torch_state_as_it_was():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    threads = torch.get_num_threads()
    train_tagger("rnn", bidirectional=False, seed=0, **SMALL)
    assert torch.get_num_threads() == threads
    torch.testing.assert_close(torch.rand(3), expected)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_bug_changes_only_the_unfixed_bidirectional_run(bidirectional):
    model, _ = fit_tagger("lstm", bidirectional=bidirectional, seed=0, **SMALL)
    # a trained-looking backward direction: large weights make the padding matter
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(4)
    study = padding_bug(model, pads=(0, 3, 30))
    assert study["n_sentences"] > 100
    assert study["n_words"] > 50
    assert study["bug"][0] == study["fixed"][0]  # k = 0: no padding, the same computation
    assert study["fixed"] == [study["fixed"][0]] * 3  # with lengths, the padding never counts
    if bidirectional:
        assert study["bug"][1:] != study["fixed"][1:]
    else:  # the forward direction reads the padding only after the words
        assert study["bug"] == study["fixed"]


def test_prefix_bits_of_a_left_to_right_model_equal_one_pass():
    torch.manual_seed(0)
    model = CharGRU(11, bidirectional=False, embed_dim=4, hidden_size=5).double()
    ids = np.random.default_rng(0).integers(0, 11, 30)
    one_pass = _honest_bits(model, ids)
    assert prefix_bits(model, ids, context=30) == pytest.approx(one_pass, rel=1e-12)


def test_generate_is_reproducible_and_extends_the_prompt():
    torch.manual_seed(0)
    model = CharGRU(11, bidirectional=True, embed_dim=4, hidden_size=5)
    prompt = np.array([1, 2, 3])
    ids = generate(model, prompt, 12, seed=7)
    assert ids.shape == (15,)
    assert list(ids[:3]) == [1, 2, 3]
    np.testing.assert_array_equal(ids, generate(model, prompt, 12, seed=7))


def test_a_short_leak_study_shows_the_leak():
    study = leak_study(
        seed=0, steps=60, hidden_size=16, embed_dim=8, batch_size=16, sample_chars=20
    )
    honest, bi = study["honest"], study["bidirectional"]
    assert bi["train_bits"] < honest["train_bits"]
    assert bi["window_bits"] < honest["window_bits"]
    assert len(bi["sample"]) == len(honest["sample"]) == 24
    assert bi["sample"].startswith("The ")
    assert study["reference"]["known_words"] > 0.9
    assert study["reference"]["uniform_bits"] == pytest.approx(np.log2(104), abs=0.1)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: fit_tagger("cnn", bidirectional=True, seed=0), "cell must be one of"),
        (lambda: fit_tagger("gru", bidirectional=1, seed=0), "bidirectional must be True or"),
        (lambda: fit_tagger("gru", bidirectional=True, seed=-1), "seed must be an int >= 0"),
        (lambda: fit_tagger("gru", bidirectional=True, seed=0, steps=0), "steps must be an int"),
        (lambda: leak_study(seed=0, T=0), "leak_study: T must be an int >= 1"),
    ],
)
def test_errors_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_padding_bug_rejects_negative_pads():
    model, _ = fit_tagger("rnn", bidirectional=True, seed=0, **SMALL)
    with pytest.raises(ValueError, match="padding_bug: pads must be an int >= 0"):
        padding_bug(model, pads=(-1,))
