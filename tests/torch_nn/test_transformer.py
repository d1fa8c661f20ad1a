"""torch_nn.transformer: blocks against torch's layers, the causal LM's causality and training."""

import pytest
import torch

from course_rnn.torch_nn.attention import causal_mask, padding_mask
from course_rnn.torch_nn.transformer import (
    Block,
    TransformerConfig,
    TransformerLM,
    TransformerStack,
)

TOL64 = {"rtol": 1e-9, "atol": 1e-11}


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _randomise(module, seed):
    """Non-trivial values for every parameter (LayerNorm gains and biases included)."""
    g = _gen(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.3)


@pytest.mark.parametrize("masks", ["none", "causal_and_padding"])
def test_block_matches_torch_pre_ln_encoder_layer(masks):
    T, B, E, NH = 5, 3, 8, 2
    ref = torch.nn.TransformerEncoderLayer(
        E, NH, dim_feedforward=12, dropout=0.0, activation="gelu", norm_first=True,
        dtype=torch.float64,
    )  # fmt: skip
    _randomise(ref, 0)
    ours = Block(E, NH, ff_size=12).double()
    ours.load_state_dict(ref.state_dict())  # torch's parameter names
    assert list(ours.state_dict()) == list(ref.state_dict())  # ... in torch's order
    x = torch.randn(T, B, E, generator=_gen(1), dtype=torch.float64, requires_grad=True)
    key = padding_mask(torch.tensor([5, 2, 4]), T) if masks != "none" else None
    causal = masks != "none"
    out, weights = ours(x, key_mask=key, is_causal=causal)
    out_ref = ref(
        x, src_mask=~causal_mask(T) if causal else None,
        src_key_padding_mask=None if key is None else ~key,
    )  # fmt: skip
    torch.testing.assert_close(out, out_ref, **TOL64)
    dout = torch.randn(out.shape, generator=_gen(2), dtype=torch.float64)
    grads = torch.autograd.grad(out, [x, *ours.parameters()], dout)
    grads_ref = torch.autograd.grad(out_ref, [x, *ref.parameters()], dout)
    for grad, grad_ref in zip(grads, grads_ref, strict=True):
        torch.testing.assert_close(grad, grad_ref, **TOL64)
    assert weights.shape == (B, NH, T, T)


def test_block_with_cross_attention_matches_torch_pre_ln_decoder_layer():
    T, S, B, E, NH = 4, 6, 2, 8, 4
    ref = torch.nn.TransformerDecoderLayer(
        E, NH, dim_feedforward=16, dropout=0.0, activation="gelu", norm_first=True,
        dtype=torch.float64,
    )  # fmt: skip
    _randomise(ref, 3)
    ours = Block(E, NH, ff_size=16, cross_attention=True).double()
    ours.load_state_dict(ref.state_dict())
    assert list(ours.state_dict()) == list(ref.state_dict())
    g = _gen(4)
    x = torch.randn(T, B, E, generator=g, dtype=torch.float64)
    memory = torch.randn(S, B, E, generator=g, dtype=torch.float64)
    mem_mask = padding_mask(torch.tensor([6, 3]), S)
    out, _ = ours(x, is_causal=True, memory=memory, memory_mask=mem_mask)
    out_ref = ref(
        x, memory, tgt_mask=~causal_mask(T), tgt_is_causal=True,
        memory_key_padding_mask=~mem_mask,
    )  # fmt: skip
    torch.testing.assert_close(out, out_ref, **TOL64)


def test_block_memory_must_match_cross_attention():
    with pytest.raises(ValueError, match="Block: memory must be given exactly when"):
        Block(8, 2)(torch.zeros(3, 1, 8), memory=torch.zeros(2, 1, 8))


def test_stack_returns_one_map_per_block_and_checks_positional():
    stack = TransformerStack(8, 2, 3, max_len=16)
    out, maps = stack(torch.randn(5, 2, 8, generator=_gen()), is_causal=True)
    assert out.shape == (5, 2, 8)
    assert len(maps) == 3
    assert all(m.shape == (2, 2, 5, 5) for m in maps)
    with pytest.raises(ValueError, match=r"unknown positional 'rotary'"):
        TransformerStack(8, 2, 1, positional="rotary")


def _lm(tie=True, positional="learned", V=11):
    torch.manual_seed(0)
    config = TransformerConfig(
        vocab_size=V, embed_dim=16, num_heads=2, num_layers=2, max_len=12,
        positional=positional, tie_weights=tie,
    )  # fmt: skip
    return TransformerLM(config).double()


@pytest.mark.parametrize("positional", ["learned", "sinusoidal"])
def test_lm_is_causal(positional):
    """Changing future tokens leaves the logits of earlier steps unchanged."""
    lm = _lm(positional=positional)
    x = torch.randint(0, 11, (8, 3), generator=_gen(5))
    y = x.clone()
    y[5:] = (y[5:] + 1) % 11
    logits_x, logits_y = lm(x).logits, lm(y).logits
    assert logits_x.shape == (8, 3, 11)
    torch.testing.assert_close(logits_x[:5], logits_y[:5], **TOL64)
    assert not torch.allclose(logits_x[5:], logits_y[5:])


def test_lm_tied_and_untied_heads():
    tied, untied = _lm(tie=True), _lm(tie=False)
    assert tied.head.weight is tied.tok_emb.weight
    assert untied.head.weight is not untied.tok_emb.weight
    n_tied = sum(p.numel() for p in tied.parameters())
    assert sum(p.numel() for p in untied.parameters()) == n_tied + 11 * 16


def test_lm_overfits_a_tiny_batch():
    lm = _lm().float()
    x = torch.randint(0, 11, (10, 4), generator=_gen(6))
    targets = torch.roll(x, -1, 0)
    opt = torch.optim.Adam(lm.parameters(), lr=1e-2)
    first = None
    for _ in range(60):
        loss = lm(x, targets).loss
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert first > 2.0  # about log(11) = 2.4 at the start
    assert loss.item() < 0.2


def test_lm_loss_skips_ignore_index():
    lm = _lm()
    x = torch.randint(0, 11, (6, 2), generator=_gen(7))
    targets = torch.roll(x, -1, 0)
    masked = targets.clone()
    masked[3:, 1] = -100
    out = lm(x, masked)
    logits = out.logits
    keep = masked != -100
    expected = torch.nn.functional.cross_entropy(logits[keep], targets[keep])
    torch.testing.assert_close(out.loss, expected, **TOL64)


def test_generate_is_deterministic_greedy_is_argmax_and_window_is_cropped():
    lm = _lm()
    prompt = torch.randint(0, 11, (3, 2), generator=_gen(8))
    a = lm.generate(prompt, 15, generator=_gen(9), top_k=4)
    b = lm.generate(prompt, 15, generator=_gen(9), top_k=4)
    assert a.shape == (18, 2)  # longer than max_len=12: the context is cropped
    assert torch.equal(a, b)
    assert torch.equal(a[:3], prompt)
    greedy = lm.generate(prompt, 4, greedy=True)
    ids = prompt
    for _ in range(4):
        ids = torch.cat([ids, lm(ids).logits[-1].argmax(-1)[None]])
    assert torch.equal(greedy, ids)
    assert lm.training  # generate restores the mode


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"embed_dim": 10, "num_heads": 4}, r"embed_dim \(E=10\) must be divisible by num_heads"),
        ({"num_layers": 0}, r"num_layers must be a positive int, got 0"),
        ({"vocab_size": -1}, r"vocab_size must be a positive int, got -1"),
        ({"dropout": 1.0}, r"dropout must lie in \[0, 1\)"),
        ({"positional": "rope"}, r"unknown positional 'rope'"),
    ],
)
def test_config_errors(kwargs, match):
    with pytest.raises(ValueError, match=f"TransformerConfig: {match}"):
        TransformerConfig(**{"vocab_size": 5, **kwargs})
