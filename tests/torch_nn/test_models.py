"""Task models: shapes per model × cell, padding, overfitting one batch, sampling, errors."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from course_rnn.data import make_tagging
from course_rnn.data.torch_adapter import SequenceDataset, TimeMajorCollate
from course_rnn.shapes import ShapeError
from course_rnn.torch_nn.models import (
    CELLS,
    BagOfWordsClassifier,
    CharLM,
    EncoderConfig,
    Forecaster,
    Seq2Seq,
    SequenceClassifier,
    SequenceTagger,
    reverse_padded,
)
from course_rnn.torch_nn.sampling import sample_next
from course_rnn.train import evaluate, fit

T, B, V, C = 7, 4, 10, 3
LENGTHS = torch.tensor([7, 3, 5, 1])
BIDIRECTIONAL = [(cell, bi) for cell in CELLS for bi in (False, True)]


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _cfg(cell, bidirectional=False, **kwargs):
    return EncoderConfig(
        cell=cell, hidden_size=16, num_heads=2, bidirectional=bidirectional, max_len=32, **kwargs
    )


def _ids(seed=0, T=T):
    return torch.randint(0, V, (T, B), generator=_gen(seed))


def _models(cell, bi):
    torch.manual_seed(0)
    return {
        "classifier": SequenceClassifier(C, vocab_size=V, config=_cfg(cell, bi, num_layers=2)),
        "tagger": SequenceTagger(C, vocab_size=V, config=_cfg(cell, bi)),
        "forecaster": Forecaster(2, horizon=3, output_size=2, config=_cfg(cell, bi)),
        "seq2seq": Seq2Seq(V, 6, config=_cfg(cell, bi), max_decode_len=5),
    }


def _batch(name):
    g = _gen(1)
    if name == "classifier":
        return (_ids(), LENGTHS), torch.randint(0, C, (B,), generator=g)
    if name == "tagger":
        return (_ids(), LENGTHS), torch.randint(0, C, (T, B), generator=g)
    if name == "forecaster":
        return torch.randn(T, B, 2, generator=g), torch.randn(3, B, 2, generator=g)
    return (_ids(), LENGTHS), torch.randint(0, 6, (5, B), generator=g)  # seq2seq


SHAPES = {"classifier": (B, C), "tagger": (T, B, C), "forecaster": (3, B, 2), "seq2seq": (5, B, 6)}


@pytest.mark.parametrize(("cell", "bi"), BIDIRECTIONAL)
def test_shapes_and_losses_of_every_model(cell, bi):
    for name, model in _models(cell, bi).items():
        inputs, targets = _batch(name)
        out = model(inputs, targets)
        assert out.logits.shape == SHAPES[name], name
        assert out.loss.dim() == 0
        assert torch.isfinite(out.loss)
        assert model(inputs).loss is None
        assert model(inputs).logits.shape == SHAPES[name], name  # seq2seq: greedy, 5 steps
    lm = CharLM(V, config=_cfg(cell)) if not bi else None
    if lm is not None:
        assert lm(_ids(), _ids(1)).logits.shape == (T, B, V)


@pytest.mark.parametrize(("cell", "bi"), BIDIRECTIONAL)
def test_padding_does_not_change_a_sequence_s_outputs(cell, bi):
    """A sequence's logits are the same alone or padded inside a batch."""
    x = _ids(2)
    for model in (
        SequenceClassifier(C, vocab_size=V, config=_cfg(cell, bi, num_layers=2)).double(),
        SequenceTagger(C, vocab_size=V, config=_cfg(cell, bi)).double(),
    ):
        batch = model((x, LENGTHS)).logits
        for b, n in enumerate(LENGTHS.tolist()):
            alone = model(x[:n, b : b + 1]).logits
            if alone.dim() == 3:  # tagger: the real steps only
                torch.testing.assert_close(batch[:n, b : b + 1], alone, rtol=1e-9, atol=1e-12)
            else:
                torch.testing.assert_close(batch[b : b + 1], alone, rtol=1e-9, atol=1e-12)


def test_reverse_padded_reverses_real_steps_only():
    x = torch.arange(T)[:, None].expand(T, B)  # (T, B): x[t, b] = t
    r = reverse_padded(x, LENGTHS)
    assert r[:, 1].tolist() == [2, 1, 0, 3, 4, 5, 6]
    assert r[:, 3].tolist() == list(range(T))
    assert torch.equal(reverse_padded(r, LENGTHS), x)


def test_bidirectional_tagger_sees_the_right_context_and_unidirectional_does_not():
    x = _ids(3)
    y = x.clone()
    y[5:] = (y[5:] + 1) % V
    for cell in CELLS:
        uni = SequenceTagger(C, vocab_size=V, config=_cfg(cell)).double()
        bi = SequenceTagger(C, vocab_size=V, config=_cfg(cell, True)).double()
        torch.testing.assert_close(uni(x).logits[:5], uni(y).logits[:5], rtol=1e-9, atol=1e-12)
        assert not torch.allclose(bi(x).logits[:5], bi(y).logits[:5])


@pytest.mark.parametrize("cell", CELLS)
def test_char_lm_is_causal(cell):
    lm = CharLM(V, config=_cfg(cell)).double()
    x = _ids(4)
    y = x.clone()
    y[4:] = (y[4:] + 1) % V
    torch.testing.assert_close(lm(x).logits[:4], lm(y).logits[:4], rtol=1e-9, atol=1e-12)


def _overfit(model, inputs, targets, steps=40, lr=1e-2):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = model(inputs, targets).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("cell", CELLS)
def test_every_model_overfits_one_batch(cell):
    for name, model in _models(cell, cell != "rnn").items():
        losses = _overfit(model, *_batch(name))
        assert losses[-1] < 0.5 * losses[0], (name, losses[0], losses[-1])
    lm = CharLM(V, config=_cfg(cell))
    losses = _overfit(lm, _ids(5), _ids(6))
    assert losses[-1] < 0.5 * losses[0]
    bow = BagOfWordsClassifier(V, C, embed_dim=8, hidden_size=8)
    losses = _overfit(bow, *_batch("classifier"))
    assert losses[-1] < 0.5 * losses[0]


def test_bag_of_words_ignores_word_order():
    bow = BagOfWordsClassifier(V, C).double()
    x = _ids(7)
    perm = torch.tensor([3, 0, 2, 1, 6, 5, 4])
    torch.testing.assert_close(bow(x).logits, bow(x[perm]).logits, rtol=1e-9, atol=1e-12)
    order = SequenceClassifier(C, vocab_size=V, config=_cfg("gru")).double()
    assert not torch.allclose(order(x).logits, order(x[perm]).logits)


@pytest.mark.parametrize("cell", ["gru", "transformer"])
def test_seq2seq_learns_to_reverse_and_greedy_is_argmax(cell):
    torch.manual_seed(0)
    model = Seq2Seq(V, V, config=_cfg(cell, True), max_decode_len=4)
    src = torch.randint(0, V, (4, 16), generator=_gen(8))
    losses = _overfit(model, src, src.flip(0), steps=150)
    assert losses[-1] < 0.1
    assert torch.equal(model.generate(src, 4), src.flip(0))
    torch.testing.assert_close(model(src).logits.argmax(-1), model.generate(src, 4))


def test_char_lm_sampling_is_deterministic_greedy_is_argmax_and_top_1_is_greedy():
    for cell in CELLS:
        lm = CharLM(V, config=_cfg(cell))
        prompt = _ids(9, T=3)
        a = lm.sample(prompt, 8, temperature=0.7, top_k=5, generator=_gen(10))
        b = lm.sample(prompt, 8, temperature=0.7, top_k=5, generator=_gen(10))
        assert a.shape == (11, B)
        assert torch.equal(a, b)
        assert torch.equal(a[:3], prompt)
        greedy = lm.sample(prompt, 5, greedy=True)
        ids = prompt
        for _ in range(5):  # greedy = argmax of the full forward pass, step by step
            ids = torch.cat([ids, lm(ids).logits[-1].argmax(-1)[None]])
        assert torch.equal(greedy, ids), cell
        assert torch.equal(lm.sample(prompt, 5, top_k=1, generator=_gen(11)), greedy)


def test_sample_next_top_k_never_leaves_the_top_k():
    logits = torch.randn(50, 20, generator=_gen(12))
    top = logits.topk(3, dim=-1).indices  # (50, 3)
    g = _gen(13)
    for _ in range(20):
        ids = sample_next(logits, top_k=3, temperature=2.0, generator=g)
        assert (top == ids[:, None]).any(-1).all()
    assert torch.equal(sample_next(logits, greedy=True), logits.argmax(-1))


def test_sample_next_follows_the_temperature():
    logits = torch.tensor([[2.0, 1.0, 0.0]]).expand(4000, 3)
    ids = sample_next(logits, temperature=0.5, generator=_gen(14))
    freq = torch.bincount(ids, minlength=3) / 4000
    expected = torch.softmax(torch.tensor([2.0, 1.0, 0.0]) / 0.5, -1)
    torch.testing.assert_close(freq, expected, atol=0.03, rtol=0)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_course_backend_equals_torch_backend(cell):
    pytest.importorskip(f"course_rnn.torch_nn.{cell}")
    fast = SequenceTagger(C, vocab_size=V, config=_cfg(cell, True, num_layers=2)).double()
    slow = SequenceTagger(C, vocab_size=V, config=_cfg(cell, True, num_layers=2, backend="course"))
    slow.double().load_state_dict(fast.state_dict())  # the same parameter names
    inputs = (_ids(15), LENGTHS)
    torch.testing.assert_close(slow(inputs).logits, fast(inputs).logits, rtol=1e-9, atol=1e-12)


def test_fit_trains_a_tagger_from_a_dataloader():
    data = make_tagging(64, rng=np.random.default_rng(0))
    ds = SequenceDataset([data.vocab.encode(s) for s in data.sentences], list(data.tags))
    loader = DataLoader(ds, batch_size=16, collate_fn=TimeMajorCollate(per_step_targets=True))
    torch.manual_seed(0)
    model = SequenceTagger(4, vocab_size=len(data.vocab), config=_cfg("gru", True))
    history = fit(model, loader, epochs=3, lr=1e-2, valid_batches=loader, metrics=("accuracy",))
    assert history.train_loss[-1] < history.train_loss[0]
    assert evaluate(model, loader, metrics=("accuracy",))["accuracy"] > 0.6


# ---- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"cell": "cnn"},
            r"""unknown cell 'cnn'; expected "rnn", "lstm", "gru" or "transformer\"""",
        ),
        ({"hidden_size": 0}, r"hidden_size must be a positive int \(> 0\), got 0"),
        (
            {"cell": "transformer", "hidden_size": 10, "num_heads": 4},
            r"hidden_size \(E=10\) must be divisible by num_heads \(NH=4\), E % NH == 0",
        ),
        ({"dropout": -0.1}, r"dropout must lie in \[0, 1\)"),
        ({"backend": "jax"}, r"unknown backend 'jax'"),
        ({"bidirectional": 1}, r"bidirectional must be True or False"),
    ],
)
def test_config_errors(kwargs, match):
    with pytest.raises(ValueError, match=f"EncoderConfig: {match}"):
        EncoderConfig(**kwargs)


@pytest.mark.parametrize("cell", CELLS)
def test_bidirectional_language_model_raises_and_explains_the_leak(cell):
    with pytest.raises(ValueError, match=r"CharLM: bidirectional=True .* reads the future tokens"):
        CharLM(V, config=_cfg(cell, True))
    with pytest.raises(ValueError, match=r"Seq2Seq decoder: bidirectional=True"):
        Seq2Seq(V, V, config=_cfg(cell), decoder=_cfg(cell, True))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: SequenceClassifier(C, config=_cfg("gru")), ValueError, "exactly one of vocab"),
        (lambda: SequenceClassifier(C, vocab_size=V, input_size=3), ValueError, "exactly one"),
        (lambda: SequenceClassifier(0, vocab_size=V), ValueError, "num_classes must be a positive"),
        (lambda: SequenceClassifier(C, vocab_size=V, pooling="max"), ValueError, "unknown pooling"),
        (lambda: SequenceTagger(C, vocab_size=V)(torch.randn(T, B)), ShapeError, "integer token"),
        (
            lambda: SequenceTagger(C, vocab_size=V)((_ids(), torch.tensor([8, 1, 1, 1]))),
            ValueError,
            r"SequenceTagger: lengths must lie in \[1, T=7\]",
        ),
        (
            lambda: SequenceTagger(C, vocab_size=V)((_ids(), torch.ones(3, dtype=torch.int64))),
            ShapeError,
            r"lengths expected a \(B=4,\) integer tensor",
        ),
        (
            lambda: Forecaster(2, horizon=3)(torch.randn(T, B, 2), torch.randn(B)),
            ShapeError,
            r"Forecaster: targets expected \(H=3, B=4, O=1\), got \(4,\)",
        ),
        (
            lambda: Seq2Seq(V, V, config=_cfg("gru"), decoder=_cfg("transformer")),
            ValueError,
            "must both be 'transformer' or both recurrent",
        ),
        (lambda: CharLM(V).sample(_ids(), -1), ValueError, r"steps must be an int >= 0"),
        (lambda: sample_next(torch.zeros(2, 5), temperature=0), ValueError, "use greedy=True"),
        (lambda: sample_next(torch.zeros(2, 5), top_k=6), ValueError, r"top_k .* \[1, V=5\]"),
    ],
)
def test_model_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_reference_results_script_runs(capsys, monkeypatch):
    """The benchmark script (not its numbers): a short budget still trains, evaluates, prints."""
    import importlib.util
    import os
    from pathlib import Path

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, os.environ.get(var, "1"))  # the script sets them when unset

    path = Path(__file__).parents[2] / "benchmarks" / "reference_results.py"
    spec = importlib.util.spec_from_file_location("reference_results", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--only", "tagging", "--seconds", "3"]) in (0, 1)
    out = capsys.readouterr().out
    assert "tagging/bidirectional" in out
    assert "status" in out
