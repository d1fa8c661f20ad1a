"""A Transformer block, a stack of them, and a small causal decoder-only language model.

Pre-LN blocks (the layer norm sits at the start of each residual branch, GPT-2's arrangement and
``nn.TransformerEncoderLayer(norm_first=True)``): x = x + Attn(LN(x)); x = x + FF(LN(x)), with a
final LayerNorm after the last block. We chose pre-LN over the paper's post-LN because it trains
without a learning-rate warm-up, which matters for the course's one-minute CPU runs (Xiong et al.,
2020, "On layer normalization in the Transformer architecture"). LayerNorm is ``nn.LayerNorm``.
The parameter names are torch's, so ``Block.load_state_dict(nn.TransformerEncoderLayer(...,
norm_first=True, activation="gelu").state_dict())`` works, and the tests compare the two.

Time-major at every boundary: inputs (T, B, E) or token ids (T, B), logits (T, B, V).
Book: chapter "RNNs and Transformers", sections "The Transformer block", "A decoder-only
language model" and "Inference" (the KV cache, ``forward_cached``). Reference: Vaswani et al.
(2017), "Attention is all you need"; Radford et al. (2019), GPT-2.
"""

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_rnn.shapes import check_shape
from course_rnn.torch_nn.attention import (
    LearnedPositionalEncoding,
    MultiHeadAttention,
    SinusoidalPositionalEncoding,
)
from course_rnn.torch_nn.sampling import sample_next
from course_rnn.training.batches import IGNORE_INDEX, Output

POSITIONAL = ("sinusoidal", "learned")


class Block(nn.Module):
    """One pre-LN Transformer block: self-attention, optional cross-attention, feed-forward.

    Args:
        embed_dim:       E
        num_heads:       NH, must divide E
        ff_size:         width of the feed-forward layer (default 4E)
        dropout:         dropout on each residual branch
        cross_attention: add a cross-attention sublayer over ``memory`` (an encoder-decoder's
                         decoder); its names are those of ``nn.TransformerDecoderLayer``

    Parameter names (torch's): ``self_attn``, ``linear1``, ``linear2``, ``norm1``, ``norm2``; with
    cross-attention also ``multihead_attn`` and ``norm3`` (norm2 then precedes the cross-attention
    and norm3 the feed-forward, as in ``nn.TransformerDecoderLayer``).

    Differences from torch.nn.TransformerEncoderLayer / TransformerDecoderLayer (norm_first=True):
        returns the attention weights; masks mean True = may attend; GELU only.

    Book: chapter "RNNs and Transformers", section "The Transformer block".
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        *,
        ff_size: int | None = None,
        dropout: float = 0.0,
        cross_attention: bool = False,
    ):
        super().__init__()
        E = embed_dim
        # Registered in torch's order, so the state_dict keys come in the same order too.
        self.self_attn = MultiHeadAttention(E, num_heads)
        if cross_attention:
            self.multihead_attn = MultiHeadAttention(E, num_heads)
        self.linear1 = nn.Linear(E, 4 * E if ff_size is None else ff_size)
        self.linear2 = nn.Linear(self.linear1.out_features, E)
        self.norm1 = nn.LayerNorm(E)
        self.norm2 = nn.LayerNorm(E)
        if cross_attention:
            self.norm3 = nn.LayerNorm(E)
        self.dropout = nn.Dropout(dropout)
        self.cross_attention = cross_attention

    def forward(
        self,
        x: Tensor,
        *,
        key_mask: Tensor | None = None,
        is_causal: bool = False,
        memory: Tensor | None = None,
        memory_mask: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Self-attention (and cross-attention), then the feed-forward layer, each residual.

        Args:
            x:           (T, B, E) float
            key_mask:    (B, T) bool, True = real step (padding is never attended to); or None
            is_causal:   step t attends only to steps <= t
            memory:      (S, B, E) encoder outputs (only with cross_attention)
            memory_mask: (B, S) bool, True = real source step; or None

        Returns:
            x:       (T, B, E)
            weights: (B, NH, T, T) self-attention weights, one map per head
        """
        if self.cross_attention != (memory is not None):
            raise ValueError(
                f"Block: memory must be given exactly when cross_attention=True "
                f"(cross_attention={self.cross_attention}, memory given: {memory is not None})"
            )
        h = self.norm1(x)  # (T, B, E)
        a, weights = self.self_attn(
            h, h, h, key_mask=key_mask, is_causal=is_causal, average_attn_weights=False
        )  # (T, B, E), (B, NH, T, T)
        x = x + self.dropout(a)
        if self.cross_attention:
            h = self.norm2(x)  # (T, B, E)
            c, _ = self.multihead_attn(h, memory, memory, key_mask=memory_mask)  # (T, B, E)
            x = x + self.dropout(c)
        h = (self.norm3 if self.cross_attention else self.norm2)(x)  # (T, B, E)
        x = x + self.dropout(self.linear2(F.gelu(self.linear1(h))))  # (T, B, E)
        return x, weights

    def forward_cached(self, x: Tensor, past=None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """The causal block on new steps, with the self-attention's KV cache (decoder-only).

        Args:
            x:    (T, B, E) the new steps
            past: this block's (k, v) cache, each (B, NH, S0, HS), or None

        Returns:
            x:       (T, B, E)
            present: (k, v), each (B, NH, S0 + T, HS)
        """
        if self.cross_attention:
            raise ValueError("Block.forward_cached: only blocks without cross-attention")
        h = self.norm1(x)  # (T, B, E)
        a, present = self.self_attn.forward_cached(h, past)  # (T, B, E)
        x = x + self.dropout(a)
        h = self.norm2(x)  # (T, B, E)
        x = x + self.dropout(self.linear2(F.gelu(self.linear1(h))))  # (T, B, E)
        return x, present


class TransformerStack(nn.Module):
    """Positional encoding, ``num_layers`` pre-LN blocks and the final LayerNorm.

    Args:
        embed_dim:       E
        num_heads:       NH
        num_layers:      N blocks
        max_len:         longest sequence (positional encoding)
        positional:      "sinusoidal" (fixed) or "learned"
        ff_size:         feed-forward width (default 4E)
        dropout:         dropout on the residual branches
        cross_attention: blocks with cross-attention over a ``memory`` (a decoder)

    Book: chapter "RNNs and Transformers", section "The Transformer block".
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        num_layers: int,
        *,
        max_len: int = 1024,
        positional: str = "sinusoidal",
        ff_size: int | None = None,
        dropout: float = 0.0,
        cross_attention: bool = False,
    ):
        super().__init__()
        if positional not in POSITIONAL:
            raise ValueError(
                f'TransformerStack: unknown positional {positional!r}; expected "sinusoidal" or '
                '"learned"'
            )
        encoding = (
            SinusoidalPositionalEncoding
            if positional == "sinusoidal"
            else (LearnedPositionalEncoding)
        )
        self.pos = encoding(embed_dim, max_len)
        self.layers = nn.ModuleList(
            Block(embed_dim, num_heads, ff_size=ff_size, dropout=dropout,
                  cross_attention=cross_attention)
            for _ in range(num_layers)
        )  # fmt: skip
        self.norm = nn.LayerNorm(embed_dim)
        self.max_len = max_len

    def forward(
        self,
        x: Tensor,
        *,
        key_mask: Tensor | None = None,
        is_causal: bool = False,
        memory: Tensor | None = None,
        memory_mask: Tensor | None = None,
    ) -> tuple[Tensor, list[Tensor]]:
        """Add positions, run every block, normalise.

        Args: as ``Block.forward``, with x (T, B, E) embeddings without positions.

        Returns:
            out:     (T, B, E) after the final LayerNorm
            weights: list of N tensors (B, NH, T, T), the self-attention maps of each block
        """
        x = self.pos(x)  # (T, B, E)
        maps = []
        for block in self.layers:
            x, w = block(
                x, key_mask=key_mask, is_causal=is_causal, memory=memory, memory_mask=memory_mask
            )
            maps.append(w)
        return self.norm(x), maps

    def forward_cached(self, x: Tensor, cache: list | None = None) -> tuple[Tensor, list]:
        """Causal stack on new steps after the cached ones: incremental decoding.

        Args:
            x:     (T, B, E) embeddings of the new steps, without positions
            cache: from an earlier call (a list of each block's (k, v)), or None to start

        Returns:
            out:   (T, B, E) after the final LayerNorm, equal to the last T steps of
                   ``forward`` with ``is_causal=True`` on the whole sequence so far
            cache: list of N pairs (k, v), each (B, NH, S0 + T, HS)
        """
        offset = 0 if cache is None else cache[0][0].shape[2]  # S0 steps already seen
        x = self.pos(x, offset)  # (T, B, E) at positions S0 … S0 + T - 1
        present = []
        for i, block in enumerate(self.layers):
            x, kv = block.forward_cached(x, None if cache is None else cache[i])
            present.append(kv)
        return self.norm(x), present


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes of a ``TransformerLM`` (nanoGPT's ``GPTConfig``, time-major)."""

    vocab_size: int  # V, tokens in the vocabulary
    embed_dim: int = 128  # E, model width
    num_heads: int = 4  # NH, must divide E; head size HS = E / NH
    num_layers: int = 2  # N blocks
    max_len: int = 256  # longest context; generate() keeps the last max_len tokens
    ff_size: int | None = None  # feed-forward width; None means 4E
    dropout: float = 0.0  # on the residual branches
    positional: str = "learned"  # "learned" (GPT-2) or "sinusoidal" (Vaswani et al.)
    tie_weights: bool = True  # the output head reuses the token embedding (Press & Wolf, 2017)

    def __post_init__(self):
        where = "TransformerConfig"
        for name in ("vocab_size", "embed_dim", "num_heads", "num_layers", "max_len"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{where}: {name} must be a positive int, got {value!r}")
        if self.embed_dim % self.num_heads != 0:
            raise ValueError(
                f"{where}: embed_dim (E={self.embed_dim}) must be divisible by num_heads "
                f"(NH={self.num_heads}), E % NH == 0"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"{where}: dropout must lie in [0, 1), got {self.dropout!r}")
        if self.positional not in POSITIONAL:
            raise ValueError(
                f'{where}: unknown positional {self.positional!r}; expected "sinusoidal" or '
                '"learned"'
            )


class TransformerLM(nn.Module):
    """A causal decoder-only language model: embeddings, N pre-LN blocks, a linear head.

    Args:
        config: TransformerConfig

    Book: chapter "RNNs and Transformers", section "A decoder-only language model".
    """

    def __init__(self, config: TransformerConfig):
        super().__init__()
        c = self.config = config
        self.tok_emb = nn.Embedding(c.vocab_size, c.embed_dim)
        self.stack = TransformerStack(
            c.embed_dim, c.num_heads, c.num_layers, max_len=c.max_len, positional=c.positional,
            ff_size=c.ff_size, dropout=c.dropout,
        )  # fmt: skip
        # GPT-2's init: torch's default N(0, 1), shared with a tied head, gives huge first logits
        nn.init.normal_(self.tok_emb.weight, std=0.02)
        if c.positional == "learned":
            nn.init.normal_(self.stack.pos.weight, std=0.02)  # the same scale as the tokens
        self.head = nn.Linear(c.embed_dim, c.vocab_size, bias=False)
        if c.tie_weights:
            self.head.weight = self.tok_emb.weight  # (V, E), one parameter in two places

    def forward(self, inputs: Tensor, targets: Tensor | None = None) -> Output:
        """Next-token logits at every step; each step sees only itself and earlier steps.

        Args:
            inputs:  (T, B) int64 token ids in [0, V), T <= max_len
            targets: (T, B) int64 next tokens (IGNORE_INDEX is skipped), or None

        Returns:
            Output(logits (T, B, V), loss: mean cross-entropy or None)
        """
        check_shape(inputs, "T B", name="inputs", where="TransformerLM")
        x = self.tok_emb(inputs)  # (T, B, E)
        h, _ = self.stack(x, is_causal=True)  # (T, B, E)
        logits = self.head(h)  # (T, B, V)
        if targets is None:
            return Output(logits, None)
        loss = F.cross_entropy(
            logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX
        )  # logits (T·B, V), targets (T·B,)
        return Output(logits, loss)

    def forward_cached(self, inputs: Tensor, cache: list | None = None) -> tuple[Tensor, list]:
        """Next-token logits of new tokens, reusing the keys and values of the earlier ones.

        Calling it on a sequence in pieces (e.g. one token at a time) gives the logits
        ``forward`` gives on the whole sequence (a test pins this), while each new token costs
        one step of every block plus a read of the cache, not a pass over the whole context.

        Args:
            inputs: (T, B) int64 token ids of the new steps; S0 + T <= max_len
            cache:  from the previous call, or None for the first tokens

        Returns:
            logits: (T, B, V)
            cache:  N pairs (k, v), each (B, NH, S0 + T, HS): 2·N·(S0 + T)·B·E numbers
        """
        check_shape(inputs, "T B", name="inputs", where="TransformerLM.forward_cached")
        h, cache = self.stack.forward_cached(self.tok_emb(inputs), cache)  # (T, B, E)
        return self.head(h), cache  # (T, B, V)

    @torch.no_grad()
    def generate(
        self,
        prompt: Tensor,
        steps: int,
        *,
        temperature: float = 1.0,
        top_k: int | None = None,
        greedy: bool = False,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Extend ``prompt`` by ``steps`` tokens, one at a time (see ``sample_next``).

        Args:
            prompt:    (T0, B) int64 ids, T0 >= 1
            steps:     number of new tokens
            temperature, top_k, greedy, generator: as ``sample_next``

        Returns:
            (T0 + steps, B) int64: the prompt followed by the new tokens.
        """
        check_shape(prompt, "T B", name="prompt", where="TransformerLM.generate")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"TransformerLM.generate: steps must be an int >= 0, got {steps!r}")
        was_training = self.training
        self.eval()
        ids = prompt
        for _ in range(steps):
            context = ids[-self.config.max_len :]  # (≤ max_len, B): the model's window
            logits = self(context).logits[-1]  # (B, V) scores of the next token
            nxt = sample_next(
                logits, temperature=temperature, top_k=top_k, greedy=greedy, generator=generator
            )  # (B,)
            ids = torch.cat([ids, nxt[None]])  # (T + 1, B)
        self.train(was_training)
        return ids
