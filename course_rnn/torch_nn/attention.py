"""Scaled dot-product and multi-head attention in PyTorch, with masks and positional encodings.

The torch twin of ``course_rnn.numpy_nn.attention``: the same functions, names, statement order
and comments, with autograd instead of the hand-written backward passes (a parity test pins the
two together in float64). Attention(Q, K, V) = softmax(Q Kᵀ / √HS) V (Vaswani et al., "Attention
Is All You Need", 2017, eq. 1, section 3.2.2; positional encodings: section 3.5). The kernels work
on ``(B, NH, T, HS)``; ``MultiHeadAttention`` takes and returns time-major ``(T, B, E)`` like
``nn.MultiheadAttention``, with the same parameter names, so
``load_state_dict(nn.MultiheadAttention(E, NH).state_dict())`` works. Every forward pass also
returns the attention weights, for ``course_rnn.plots.attention_map``. Book: chapter "RNNs and
Transformers", sections "Attention as a soft lookup", "Multi-head attention", "Positions".

Masks are boolean and mean **True = may attend** (``F.scaled_dot_product_attention``'s
convention; ``nn.MultiheadAttention``'s boolean masks mean True = blocked: pass ``~mask`` there).
Blocked scores are set to ``-inf`` before the softmax, so their weights are exactly 0. A fully
masked row (a query that may attend to no key) gets **all-zero weights, a zero output and zero
gradients**, as in the NumPy twin and ``F.scaled_dot_product_attention``; ``nn.MultiheadAttention``
returns NaN there.
"""

import math

import torch
from torch import Tensor, nn

from course_rnn.shapes import ShapeError, check_shape


def causal_mask(T: int, S: int | None = None, *, device=None) -> Tensor:
    """Boolean mask letting query t attend to keys s <= t (torch's ``is_causal``, top-left aligned).

    Args:
        T:      number of queries
        S:      number of keys (default T)
        device: where to create it

    Returns:
        (T, S) bool, True on and below the diagonal.

    Book: chapter "RNNs and Transformers", section "Causal attention".
    """
    return torch.ones(T, T if S is None else S, dtype=torch.bool, device=device).tril()


def padding_mask(lengths: Tensor, S: int) -> Tensor:
    """Boolean mask of the real (non-padding) key positions of each sequence in a batch.

    Args:
        lengths: (B,) integer tensor  the true length of each sequence, in [0, S]
        S:       padded length

    Returns:
        (B, S) bool, True at positions s < lengths[b].

    Book: chapter "RNNs and Transformers", section "Padding and masks".
    """
    if not isinstance(lengths, Tensor) or lengths.dim() != 1 or lengths.is_floating_point():
        got = f"{lengths.dtype} {tuple(lengths.shape)}" if isinstance(lengths, Tensor) else lengths
        raise ShapeError(f"padding_mask: lengths expected a (B,) integer tensor, got {got}")
    if lengths.numel() and (lengths.min() < 0 or lengths.max() > S):
        raise ValueError(f"padding_mask: lengths must lie in [0, S={S}], got {lengths.tolist()}")
    return torch.arange(S, device=lengths.device) < lengths[:, None]  # (B, S)


def _masked_softmax(scores: Tensor, allowed: Tensor) -> Tensor:
    """Softmax over the last axis with blocked entries at -inf; fully blocked rows give zeros."""
    filled = torch.where(allowed, scores, -math.inf)  # (B, NH, T, S)
    m = filled.amax(dim=-1, keepdim=True).detach()  # (B, NH, T, 1); -inf on a fully masked row
    e = torch.exp(filled - torch.where(m == -math.inf, 0, m))  # exp(-inf) = 0, never inf - inf
    denom = e.sum(dim=-1, keepdim=True)  # (B, NH, T, 1); 0 on a fully masked row
    return e / torch.where(denom > 0, denom, 1)


def scaled_dot_product_attention(q, k, v, attn_mask=None, *, is_causal: bool = False):
    """softmax(q kᵀ / √HS) v with optional boolean masks, like ``F.scaled_dot_product_attention``.

    Args:
        q:         (B, NH, T, HS) float  queries (any leading axes, shared by q, k and v)
        k:         (B, NH, S, HS) float  keys
        v:         (B, NH, S, HS) float  values
        attn_mask: bool tensor broadcastable to (B, NH, T, S), True = may attend; or None
        is_causal: also apply causal_mask(T, S); combined with ``attn_mask`` by logical and

    Returns:
        out:     (B, NH, T, HS), q's dtype
        weights: (B, NH, T, S) attention weights; rows sum to 1 (0 for fully masked rows)

    Differences from torch.nn.functional.scaled_dot_product_attention:
        returns the weights too; ``attn_mask`` and ``is_causal=True`` are always combined by
        logical and (torch's math backend refuses the pair). Only boolean masks; no dropout.

    Book: chapter "RNNs and Transformers", section "Attention as a soft lookup".
    """
    where = "scaled_dot_product_attention"
    for name, a in (("q", q), ("k", k), ("v", v)):
        if not isinstance(a, Tensor) or not a.is_floating_point() or a.dim() < 2:
            raise ShapeError(
                f"{where}: {name} expected a float tensor (..., T or S, HS), "
                f"got {getattr(a, 'dtype', type(a).__name__)} {tuple(getattr(a, 'shape', ()))}"
            )
    T, HS = q.shape[-2:]
    S = k.shape[-2]
    if k.shape != (*q.shape[:-2], S, HS) or v.shape[:-1] != k.shape[:-1]:
        raise ShapeError(
            f"{where}: expected q (..., T, HS), k (..., S, HS), v (..., S, HSv) with the same "
            f"leading axes, got q {tuple(q.shape)}, k {tuple(k.shape)}, v {tuple(v.shape)}"
        )
    scores_shape = (*q.shape[:-1], S)  # (B, NH, T, S)
    allowed = attn_mask
    if allowed is not None:
        try:
            fits = torch.broadcast_shapes(allowed.shape, scores_shape) == scores_shape
        except (RuntimeError, AttributeError):
            fits = False
        if not fits or allowed.dtype != torch.bool:
            raise ShapeError(
                f"{where}: attn_mask expected a bool tensor broadcastable to (..., T, S) = "
                f"{scores_shape}, got {getattr(allowed, 'dtype', type(allowed).__name__)} "
                f"{tuple(getattr(allowed, 'shape', ()))}"
            )
    if is_causal:
        causal = causal_mask(T, S, device=q.device)
        allowed = causal if allowed is None else allowed & causal

    scale = 1.0 / math.sqrt(HS)  # keeps the scores' variance near 1 (Vaswani et al., 3.2.1)
    scores = (q @ k.transpose(-1, -2)) * scale  # (B, NH, T, S)
    weights = torch.softmax(scores, dim=-1) if allowed is None else _masked_softmax(scores, allowed)
    out = weights @ v  # (B, NH, T, HS)
    return out, weights


def _check_heads(E: int, NH: int, where: str) -> None:
    """Raise ValueError unless NH is a positive integer dividing E."""
    if not isinstance(NH, int) or NH <= 0 or E % NH != 0:
        raise ValueError(f"{where}: num_heads must divide E={E} (E % NH == 0), got NH={NH!r}")


class MultiHeadAttention(nn.Module):
    """Multi-head attention with q/k/v and output projections, like ``nn.MultiheadAttention``.

    Each head h attends with its own slice of the projected q, k, v (head size HS = E / NH); the
    heads' outputs are concatenated and mixed by ``out_proj``. Parameters, named as torch's:
    ``in_proj_weight`` (3E, E) with rows q | k | v, ``in_proj_bias`` (3E,), ``out_proj.weight``
    (E, E), ``out_proj.bias`` (E,); initialised as torch does (Xavier-uniform in-projection,
    zero biases).

    Args:
        embed_dim: E
        num_heads: NH, must divide E

    Differences from torch.nn.MultiheadAttention:
        - Boolean masks mean True = may attend (torch: True = blocked), ``key_mask`` is the
          complement of torch's ``key_padding_mask``.
        - A fully masked query row gives zero weights and the output ``out_proj.bias``; torch
          gives NaN. Always returns the weights; no dropout, bias_k/bias_v, add_zero_attn, kdim.

    Book: chapter "RNNs and Transformers", section "Multi-head attention".
    """

    def __init__(self, embed_dim: int, num_heads: int):
        super().__init__()
        E = embed_dim
        _check_heads(E, num_heads, "MultiHeadAttention")
        self.embed_dim, self.num_heads = E, num_heads
        self.in_proj_weight = nn.Parameter(torch.empty(3 * E, E))  # (3E, E), rows q | k | v
        self.in_proj_bias = nn.Parameter(torch.zeros(3 * E))  # (3E,)
        self.out_proj = nn.Linear(E, E)
        nn.init.xavier_uniform_(self.in_proj_weight)  # U(±√(6 / 4E)), as torch
        nn.init.zeros_(self.out_proj.bias)

    @classmethod
    def from_params(cls, params, num_heads: int) -> "MultiHeadAttention":
        """Build from a NumPy parameter dict (``init_multi_head_attention_params``), same dtype."""
        E = params["in_proj_weight"].shape[1]
        module = cls(E, num_heads).to(torch.from_numpy(params["in_proj_weight"]).dtype)
        module.load_state_dict({name: torch.from_numpy(a) for name, a in params.items()})
        return module

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        *,
        attn_mask: Tensor | None = None,
        key_mask: Tensor | None = None,
        is_causal: bool = False,
        average_attn_weights: bool = True,
    ) -> tuple[Tensor, Tensor]:
        """Attend from ``query`` to ``key``/``value``; for self-attention pass x three times.

        Args:
            query:     (T, B, E) float  time-major, as nn.MultiheadAttention's default
            key:       (S, B, E) float
            value:     (S, B, E) float
            attn_mask: (T, S) bool, True = may attend (e.g. causal_mask(T)); or None
            key_mask:  (B, S) bool, True = real key, False = padding (see padding_mask); or None
            is_causal: also apply causal_mask(T, S)
            average_attn_weights: return weights averaged over heads (B, T, S), else (B, NH, T, S)

        Returns:
            out:     (T, B, E), query's dtype
            weights: (B, T, S) or (B, NH, T, S)
        """
        where = "MultiHeadAttention"
        T, B, E = check_shape(query, "T B E", name="query", where=where, E=self.embed_dim).values()
        S = check_shape(key, "S B E", name="key", where=where, B=B, E=E)["S"]
        check_shape(value, "S B E", name="value", where=where, S=S, B=B, E=E)
        NH, HS = self.num_heads, E // self.num_heads

        mask = _mha_mask(attn_mask, key_mask, T=T, S=S, B=B, where=where)  # (B, 1, T, S) or None

        W_q, W_k, W_v = self.in_proj_weight.chunk(3)  # each (E, E), rows q | k | v
        b_q, b_k, b_v = self.in_proj_bias.chunk(3)  # each (E,)
        q = query @ W_q.T + b_q  # (T, B, E)
        k = key @ W_k.T + b_k  # (S, B, E)
        v = value @ W_v.T + b_v  # (S, B, E)
        # Split E into NH heads of HS features and move batch and heads to the front.
        q = q.reshape(T, B, NH, HS).permute(1, 2, 0, 3)  # (B, NH, T, HS)
        k = k.reshape(S, B, NH, HS).permute(1, 2, 0, 3)  # (B, NH, S, HS)
        v = v.reshape(S, B, NH, HS).permute(1, 2, 0, 3)  # (B, NH, S, HS)
        y, weights = scaled_dot_product_attention(
            q, k, v, mask, is_causal=is_causal
        )  # (B, NH, T, HS), (B, NH, T, S)
        y = y.permute(2, 0, 1, 3).reshape(T, B, E)  # (T, B, E): heads side by side again
        out = self.out_proj(y)  # (T, B, E)
        if average_attn_weights:
            weights = weights.mean(dim=1)  # (B, T, S)
        return out, weights

    def forward_cached(
        self, x: Tensor, past: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """Causal self-attention of new steps over a cache of earlier keys and values (KV cache).

        The steps of ``x`` sit at positions S0 … S0 + T - 1 after the S0 cached ones. Their keys
        and values are appended to the cache; each new step attends to every cached step and to
        the new steps up to itself. Feeding a sequence in pieces, carrying the cache, gives the
        outputs of ``forward(x, x, x, is_causal=True)`` on the whole sequence, at a cost per new
        step that grows with S0 (the keys it reads), where a recurrent step's cost is constant.

        Args:
            x:    (T, B, E) float  the new steps
            past: (k, v), each (B, NH, S0, HS), from an earlier call; or None (S0 = 0)

        Returns:
            out:     (T, B, E)
            present: (k, v), each (B, NH, S0 + T, HS): the cache to pass next time
        """
        where = "MultiHeadAttention.forward_cached"
        T, B, E = check_shape(x, "T B E", name="x", where=where, E=self.embed_dim).values()
        NH, HS = self.num_heads, E // self.num_heads
        S0 = 0
        if past is not None:
            S0 = check_shape(past[0], "B NH S HS", name="past[0]", where=where, B=B, NH=NH,
                             HS=HS)["S"]  # fmt: skip
            check_shape(past[1], "B NH S HS", name="past[1]", where=where, B=B, NH=NH, S=S0,
                        HS=HS)  # fmt: skip

        W_q, W_k, W_v = self.in_proj_weight.chunk(3)  # each (E, E), rows q | k | v
        b_q, b_k, b_v = self.in_proj_bias.chunk(3)  # each (E,)
        q = (x @ W_q.T + b_q).reshape(T, B, NH, HS).permute(1, 2, 0, 3)  # (B, NH, T, HS)
        k = (x @ W_k.T + b_k).reshape(T, B, NH, HS).permute(1, 2, 0, 3)  # (B, NH, T, HS)
        v = (x @ W_v.T + b_v).reshape(T, B, NH, HS).permute(1, 2, 0, 3)  # (B, NH, T, HS)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)  # (B, NH, S0 + T, HS)
            v = torch.cat([past[1], v], dim=2)  # (B, NH, S0 + T, HS)
        # new step i (position S0 + i) may attend to keys 0 … S0 + i; one new step sees them all
        mask = None
        if T > 1:
            mask = torch.ones(T, S0 + T, dtype=torch.bool, device=x.device).tril(S0)  # (T, S)
        y, _ = scaled_dot_product_attention(q, k, v, mask)  # (B, NH, T, HS)
        y = y.permute(2, 0, 1, 3).reshape(T, B, E)  # (T, B, E)
        return self.out_proj(y), (k, v)


def _mha_mask(attn_mask, key_mask, *, T: int, S: int, B: int, where: str):
    """Validate the two boolean masks and combine them in the kernels' layout (B, 1, T, S)."""
    for name, m, pattern in (("attn_mask", attn_mask, "T S"), ("key_mask", key_mask, "B S")):
        if m is not None and getattr(m, "dtype", None) != torch.bool:
            raise ShapeError(
                f"{where}: {name} expected a bool tensor ({pattern}), "
                f"got {getattr(m, 'dtype', type(m).__name__)}"
            )
        if m is not None:
            check_shape(m, pattern, name=name, where=where, T=T, S=S, B=B)
    if attn_mask is None and key_mask is None:
        return None
    device = (attn_mask if attn_mask is not None else key_mask).device
    mask = torch.ones(B, 1, T, S, dtype=torch.bool, device=device)
    if attn_mask is not None:
        mask = mask & attn_mask  # (T, S) broadcast over batch and heads
    if key_mask is not None:
        mask = mask & key_mask[:, None, None, :]  # (B, 1, 1, S) broadcast over queries and heads
    return mask


def sinusoidal_encoding(T: int, E: int, *, dtype=torch.float32) -> Tensor:
    """The fixed positional code of Vaswani et al. (2017, section 3.5).

    PE[t, 2i] = sin(t / 10000^(2i/E)), PE[t, 2i + 1] = cos(t / 10000^(2i/E)): each pair of
    features is a clock of its own period, from 2π to 10000·2π steps.

    Args:
        T: number of positions
        E: width, even

    Returns:
        (T, E) tensor of ``dtype``.

    Book: chapter "RNNs and Transformers", section "Positions".
    """
    if E % 2 != 0 or E <= 0:
        raise ValueError(f"sinusoidal_encoding: E must be a positive even width, got E={E}")
    t = torch.arange(T, dtype=torch.float64)[:, None]  # (T, 1)
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, E, 2, dtype=torch.float64) / E)  # E/2
    pe = torch.zeros(T, E, dtype=torch.float64)  # (T, E)
    pe[:, 0::2] = torch.sin(t * freq)
    pe[:, 1::2] = torch.cos(t * freq)
    return pe.to(dtype)


class SinusoidalPositionalEncoding(nn.Module):
    """Adds ``sinusoidal_encoding`` to time-major inputs; no parameters, any T <= max_len.

    Args:
        embed_dim: E, even
        max_len:   longest sequence accepted

    Book: chapter "RNNs and Transformers", section "Positions".
    """

    def __init__(self, embed_dim: int, max_len: int = 1024):
        super().__init__()
        self.register_buffer("pe", sinusoidal_encoding(max_len, embed_dim), persistent=False)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        """x: (T, B, E) at positions offset … offset + T - 1 -> x + PE[those], (T, B, E)."""
        T = _check_positions(x, self.pe.shape, type(self).__name__, offset)
        return x + self.pe[offset : offset + T, None, :].to(x.dtype)  # (T, 1, E) broadcast


class LearnedPositionalEncoding(nn.Module):
    """Adds a learned vector per position, like an ``nn.Embedding(max_len, E)`` (GPT-2's choice).

    Initialised N(0, 1), as ``nn.Embedding``, so positions and ``nn.Embedding`` tokens start at the
    same scale (a model that shrinks its token embedding, as GPT-2 does, shrinks this one too).

    Args:
        embed_dim: E
        max_len:   number of positions with a vector; longer inputs raise

    Book: chapter "RNNs and Transformers", section "Positions".
    """

    def __init__(self, embed_dim: int, max_len: int = 1024):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(max_len, embed_dim))  # (max_len, E)

    def forward(self, x: Tensor, offset: int = 0) -> Tensor:
        """x: (T, B, E) at positions offset … offset + T - 1 -> x + weight[those], (T, B, E)."""
        T = _check_positions(x, self.weight.shape, type(self).__name__, offset)
        return x + self.weight[offset : offset + T, None, :]  # (T, 1, E) broadcast over B


def _check_positions(x: Tensor, table_shape, where: str, offset: int = 0) -> int:
    max_len, E = table_shape
    T = check_shape(x, "T B E", name="x", where=where, E=E)["T"]
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"{where}: offset must be an int >= 0, got {offset!r}")
    if offset == 0 and T > max_len:
        raise ValueError(f"{where}: sequence length T={T} exceeds max_len={max_len}")
    if offset + T > max_len:
        raise ValueError(f"{where}: positions offset + T = {offset} + {T} exceed max_len={max_len}")
    return T
