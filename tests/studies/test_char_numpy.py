"""course_rnn.studies.char_numpy: parity with torch, the carried state, bpc, samples, training."""

import numpy as np
import pytest
import torch

from course_rnn.data import char_corpus, sequential_batches
from course_rnn.studies import char_numpy
from course_rnn.studies.char_lstm import held_out_bpc as torch_held_out_bpc
from course_rnn.studies.char_lstm import init_weights, to_model
from course_rnn.studies.char_numpy import (
    PRIME,
    held_out_bpc,
    init_params,
    loss_and_grads,
    sample,
    torch_loss_and_grads,
    train_numpy,
    train_torch,
    zero_state,
)

D, H = 6, 10
TINY = {"hidden_size": H, "embed_size": D, "seq_len": 20, "batch_size": 8}


@pytest.fixture(scope="module")
def corpus():
    return char_corpus()


def window_and_state(corpus, dtype=np.float64, B=4, T=15):
    x, y = next(sequential_batches(corpus.train, T, B))
    rng = np.random.default_rng(3)
    state = tuple(np.tanh(rng.standard_normal((1, B, H))).astype(dtype) for _ in range(2))
    return x, y, state


def test_initial_parameters_are_char_lstms(corpus):
    V = len(corpus.vocab)
    ours = init_params(V, D, H, rng=np.random.default_rng(4))
    theirs = init_weights(V, D, H, rng=np.random.default_rng(4), forget_bias=1.0)
    assert list(ours) == list(theirs)
    for key in ours:
        np.testing.assert_array_equal(ours[key], theirs[key])
    as64 = init_params(V, D, H, rng=np.random.default_rng(4), dtype=np.float64)
    assert all(v.dtype == np.float64 for v in as64.values())


def test_one_step_equals_torch_autograd_in_float64(corpus):
    params = init_params(len(corpus.vocab), D, H, rng=np.random.default_rng(0), dtype=np.float64)
    x, y, state = window_and_state(corpus)
    L, grads, (h_n, c_n) = loss_and_grads(params, x, y, state)
    L_t, grads_t, (h_t, c_t) = torch_loss_and_grads(params, x, y, state)
    assert L == pytest.approx(L_t, rel=1e-12)
    assert list(grads) == list(params)
    for key in params:
        np.testing.assert_allclose(grads[key], grads_t[key], rtol=1e-9, atol=1e-12, err_msg=key)
    np.testing.assert_allclose(h_n, h_t, rtol=1e-12)
    np.testing.assert_allclose(c_n, c_t, rtol=1e-12)


def test_the_carried_state_continues_the_text(corpus):
    # two windows with the state carried give the losses of one long window read at once
    params = init_params(len(corpus.vocab), D, H, rng=np.random.default_rng(1), dtype=np.float64)
    x, y = next(sequential_batches(corpus.train, 30, 4))
    state0 = zero_state(params, 4)
    L1, _, state = loss_and_grads(params, x[:10], y[:10], state0)
    L2, _, _ = loss_and_grads(params, x[10:], y[10:], state)
    L, _, _ = loss_and_grads(params, x, y, state0)
    assert (10 * L1 + 20 * L2) / 30 == pytest.approx(L, rel=1e-12)
    L2_reset, _, _ = loss_and_grads(params, x[10:], y[10:], state0)
    assert abs(L2_reset - L2) > 1e-4  # the carried state matters


def test_held_out_bpc_equals_char_lstms_and_ignores_the_chunk(corpus):
    params = init_params(len(corpus.vocab), D, H, rng=np.random.default_rng(2), dtype=np.float64)
    ids = corpus.val[:2001]
    bpc = held_out_bpc(params, ids)
    model = to_model({k: v.astype(np.float32) for k, v in params.items()}).double()
    assert bpc == pytest.approx(torch_held_out_bpc(model, torch.from_numpy(ids)), rel=1e-10)
    assert held_out_bpc(params, ids, chunk=333) == pytest.approx(bpc, rel=1e-12)
    with pytest.raises(ValueError, match="held_out_bpc: ids"):
        held_out_bpc(params, ids[:1])


def test_samples_are_reproducible_and_start_with_the_prime(corpus):
    params = init_params(len(corpus.vocab), D, H, rng=np.random.default_rng(0))
    a = sample(params, corpus.vocab, 50, rng=np.random.default_rng(7))
    b = sample(params, corpus.vocab, 50, rng=np.random.default_rng(7))
    assert a == b
    assert a.startswith(PRIME)
    assert len(a) == len(PRIME) + 50
    with pytest.raises(ValueError, match="temperature"):
        sample(params, corpus.vocab, 5, rng=np.random.default_rng(0), temperature=0)


def test_training_is_deterministic_learns_and_stays_quiet(capsys):
    kwargs = TINY | {"steps": 12, "seed": 0, "eval_at": (0, 12), "sample_at": (12,)}
    _, a = train_numpy(**kwargs)
    _, b = train_numpy(**kwargs)
    assert a["loss"] == b["loss"]
    assert a["samples"] == b["samples"]
    assert a["curve"][-1][1] < a["curve"][0][1]
    assert np.mean(a["loss"][-3:]) < np.mean(a["loss"][:3])
    assert capsys.readouterr().err == ""  # no progress bar under pytest


def test_every_pass_restarts_from_a_zero_state(monkeypatch):
    # 817 steps per lane at 512 lanes: 5 windows of 200 per pass, so step 6 starts pass 2
    starts = []
    original = char_numpy.loss_and_grads

    def spy(params, x, y, state):
        starts.append(float(np.abs(state[0]).max()))
        return original(params, x, y, state)

    monkeypatch.setattr(char_numpy, "loss_and_grads", spy)
    _, result = train_numpy(hidden_size=4, embed_size=3, seq_len=200, batch_size=512, steps=7,
                            seed=0)  # fmt: skip
    assert result["passes"] == 2
    assert starts[0] == 0
    assert starts[5] == 0
    assert all(s > 0 for s in starts[1:5] + starts[6:])


def test_the_torch_twin_takes_the_same_first_step():
    _, np_run = train_numpy(**TINY, steps=3, seed=1)
    _, torch_run = train_torch(**TINY, steps=3, seed=1)
    np.testing.assert_allclose(np_run["loss"], torch_run["loss"], rtol=1e-4)
