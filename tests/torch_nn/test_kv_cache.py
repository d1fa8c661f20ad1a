"""The KV cache: decoding in pieces gives the logits of one pass over the whole sequence."""

import pytest
import torch

from course_rnn.torch_nn.attention import MultiHeadAttention
from course_rnn.torch_nn.transformer import TransformerConfig, TransformerLM


def _lm(positional: str) -> TransformerLM:
    torch.manual_seed(0)
    config = TransformerConfig(
        vocab_size=11, embed_dim=16, num_heads=4, num_layers=2, max_len=12, positional=positional
    )
    return TransformerLM(config).double().eval()


@pytest.mark.parametrize("positional", ["learned", "sinusoidal"])
@pytest.mark.parametrize("pieces", [[1] * 9, [4, 1, 3, 1], [9]])
def test_cached_logits_equal_uncached(positional, pieces):
    model = _lm(positional)
    tokens = torch.randint(0, 11, (9, 3), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        full = model(tokens).logits  # (9, 3, V)
        cache, parts, start = None, [], 0
        for T in pieces:
            logits, cache = model.forward_cached(tokens[start : start + T], cache)
            parts.append(logits)
            start += T
    torch.testing.assert_close(torch.cat(parts), full, rtol=0, atol=1e-12)
    assert [tuple(k.shape) for k, _ in cache] == [(3, 4, 9, 4)] * 2  # (B, NH, S, HS) per block


def test_cache_is_needed():
    # Without the cache the second token sees only itself: the logits differ (the test can fail).
    model = _lm("learned")
    tokens = torch.tensor([[3], [5]])
    with torch.no_grad():
        full = model(tokens).logits[1]
        _, cache = model.forward_cached(tokens[:1])
        with_cache, _ = model.forward_cached(tokens[1:], cache)
        fresh = model(tokens[1:]).logits[0]
    torch.testing.assert_close(with_cache[0], full, rtol=0, atol=1e-12)
    assert (fresh - full).abs().max() > 1e-3


def test_attention_cache_equals_causal_forward():
    torch.manual_seed(2)
    mha = MultiHeadAttention(8, 2).double()
    x = torch.randn(6, 2, 8, dtype=torch.float64)
    full, _ = mha(x, x, x, is_causal=True)
    a, past = mha.forward_cached(x[:2])
    b, past = mha.forward_cached(x[2:], past)
    torch.testing.assert_close(torch.cat([a, b]), full, rtol=0, atol=1e-12)


def test_cache_errors():
    model = _lm("learned")
    _, cache = model.forward_cached(torch.zeros(10, 1, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"offset \+ T = 10 \+ 3 exceed max_len=12"):
        model.forward_cached(torch.zeros(3, 1, dtype=torch.int64), cache)
    mha = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match="past"):
        mha.forward_cached(torch.zeros(1, 2, 8), (torch.zeros(3, 2, 5, 4), torch.zeros(3, 2, 5, 4)))
