"""course_rnn.studies.compression and arithmetic_coding: causality, exact sums, round trips."""

import numpy as np
import pytest
import torch

from course_rnn.studies.arithmetic_coding import TOTAL, decode, encode, quantise
from course_rnn.studies.compression import (
    DEV_FRACTION,
    CompressorLSTM,
    code_lengths,
    lr_at,
    match_predictions,
    mix,
    mixed_distributions,
    probabilities,
    repeat_coverage,
    split_dev,
)

V = 7


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return CompressorLSTM(V, 4, 8).eval()


@pytest.fixture(scope="module")
def ids():
    return np.random.default_rng(0).integers(0, V, size=121)


def test_distributions_sum_to_one_and_static_equals_lr_zero(model, ids):
    static = probabilities(model, ids)
    assert static.shape == (120, V)
    np.testing.assert_allclose(static.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(probabilities(model, ids, lr=0.0, segment=10), static, atol=1e-6)
    bits = code_lengths(model, ids)
    np.testing.assert_allclose(bits, -np.log2(static[np.arange(120), ids[1:]]))


def test_dynamic_evaluation_is_causal_and_leaves_the_model_alone(model, ids):
    before = {k: v.clone() for k, v in model.state_dict().items()}
    p = probabilities(model, ids, lr=0.5, segment=10)
    changed = ids.copy()
    changed[61:] = (changed[61:] + 1) % V  # change every character from the 61st predicted on
    q = probabilities(model, changed, lr=0.5, segment=10)
    np.testing.assert_array_equal(p[:60], q[:60])  # predictions before the change: identical
    assert not np.allclose(p[60:], q[60:])
    static = probabilities(model, ids)
    np.testing.assert_allclose(p[:10], static[:10], atol=1e-6)  # first segment: no update yet
    assert not np.allclose(p[10:], static[10:], atol=1e-4)  # later ones: adapted
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)


def test_bad_arguments_are_named(model, ids):
    with pytest.raises(ValueError, match="probabilities: ids must be 1-D"):
        probabilities(model, ids[:1])
    with pytest.raises(ValueError, match="need lr >= 0"):
        probabilities(model, ids, lr=-1.0)


def test_match_model_follows_an_earlier_copy_and_uses_only_the_past():
    text = np.frombuffer(b"abcdefgh-xyz-abcdefgQ", dtype=np.uint8).astype(np.int64)
    start = 13  # predict "abcdefgQ" after "...-xyz-"
    guess, length = match_predictions(text, start, min_len=3)
    # no match for "a", "b", "c" (the context "yz-", "z-a", "-ab" is new); then "abc" -> "d"...
    assert guess[:3].tolist() == [-1, -1, -1]
    assert bytes(guess[3:].astype(np.uint8)) == b"defgh"
    assert length[3:].tolist() == [3, 4, 5, 6, 7]
    changed = text.copy()
    changed[-1] = ord("h")
    guess2, _ = match_predictions(changed, start, min_len=3)
    np.testing.assert_array_equal(guess2, guess)  # the last character is never used to guess itself


def test_mix_bits_match_the_mixed_distributions():
    rng = np.random.default_rng(1)
    probs = rng.dirichlet(np.ones(V), size=50)
    targets = rng.integers(0, V, size=50)
    guess = np.where(rng.random(50) < 0.6, targets, -1)
    guess[::7] = (targets[::7] + 1) % V  # some wrong guesses
    length = np.where(guess >= 0, rng.integers(4, 200, size=50), 0)
    out = mix(probs, targets, guess, length, lr=0.1)
    full = mixed_distributions(probs, guess, out["q_used"])
    np.testing.assert_allclose(full.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(out["bits"], -np.log2(full[np.arange(50), targets]), atol=1e-12)
    assert out["bits"].mean() < -np.log2(probs[np.arange(50), targets]).mean()
    changed = targets.copy()
    changed[30] = (changed[30] + 1) % V
    again = mix(probs, changed, guess, length, lr=0.1)
    np.testing.assert_array_equal(again["bits"][:31][:30], out["bits"][:30])  # q learns after


def test_repeat_coverage_marks_the_repeated_stretch():
    train = np.frombuffer(b"the quick brown fox", dtype=np.uint8)
    text = np.frombuffer(b"xx quick brown yy", dtype=np.uint8)
    covered = repeat_coverage(train, text, k=6)
    assert bytes(text[covered]) == b" quick brown "


def test_schedule_and_dev_split():
    assert lr_at(5, 100, 1.0, 10) == pytest.approx(0.5)
    assert lr_at(10, 100, 1.0, 10) == pytest.approx(1.0)
    assert lr_at(100, 100, 1.0, 10) == pytest.approx(0.05)
    train = np.arange(1000)
    fit, dev = split_dev(train)
    assert len(dev) == round(1000 * DEV_FRACTION)
    assert fit[-1] + 1 == dev[0]


def test_arithmetic_coder_round_trips_near_the_ideal_length():
    rng = np.random.default_rng(2)
    probs = rng.dirichlet(np.full(V, 0.3), size=2_000)
    symbols = np.array([rng.choice(V, p=p) for p in probs])
    freqs = quantise(probs)
    assert freqs.min() >= 1
    assert freqs.sum(axis=1).max() <= TOTAL
    bits = encode(freqs, symbols)
    ideal = -np.log2(freqs[np.arange(2_000), symbols] / freqs.sum(axis=1)).sum()
    assert ideal <= len(bits) <= ideal + 3
    assert decode(bits, 2_000, lambda done: freqs[len(done)]) == symbols.tolist()


def test_arithmetic_coder_fails_with_other_frequencies():
    rng = np.random.default_rng(3)
    freqs = quantise(rng.dirichlet(np.ones(V), size=300))
    symbols = rng.integers(0, V, size=300)
    bits = encode(freqs, symbols)
    other = quantise(rng.dirichlet(np.ones(V), size=300))
    assert decode(bits, 300, lambda done: other[len(done)]) != symbols.tolist()
    with pytest.raises(ValueError, match="encode: need freqs"):
        encode(freqs[:10], symbols)
