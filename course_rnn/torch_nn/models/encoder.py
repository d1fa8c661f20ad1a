"""The sequence encoder under every task model, and the padding helpers the models share.

``SequenceEncoder`` maps time-major features ``(T, B, D)`` to ``(T, B, H·dirs)`` (recurrent) or
``(T, B, E)`` (Transformer). Padded batches come with their lengths: a model's ``inputs`` are either
a tensor (every sequence has length T) or a pair ``(x, lengths)`` (what
``course_rnn.data.torch_adapter.TimeMajorCollate`` yields), unpacked by ``split_inputs``.

Padding is at the end of each column. The forward direction never sees it before a real step (it
comes later), so its outputs at real steps are exact. The backward direction must start at each
sequence's last *real* step: ``reverse_padded`` reverses only the first ``lengths[b]`` steps of
column b, the right-to-left layer runs on that, and its outputs are reversed back. This works for
any recurrent module (torch.nn's or the course's twins), unlike ``pack_padded_sequence``. The
Transformer stack masks padded keys instead (``padding_mask``).
Book: chapter "Bidirectional RNNs", sections "Two passes and a merge" and "Batches of unequal
length"; Schuster & Paliwal (1997).
"""

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from course_rnn.shapes import ShapeError, check_shape
from course_rnn.torch_nn.attention import padding_mask
from course_rnn.torch_nn.models.config import EncoderConfig
from course_rnn.torch_nn.transformer import TransformerStack


def split_inputs(inputs, where: str) -> tuple[Tensor, Tensor | None]:
    """A model's ``inputs`` as ``(x, lengths)``; lengths is None for an unpadded tensor.

    Args:
        inputs: a tensor x (T, B) or (T, B, D), or a pair (x, lengths (B,) int) with every length
                in [1, T]
        where:  the calling model's name, for messages

    Returns:
        x, lengths (B,) int64 or None
    """
    if isinstance(inputs, Tensor):
        return inputs, None
    if not isinstance(inputs, Sequence) or len(inputs) != 2:
        raise TypeError(
            f"{where}: inputs expected a tensor (T, B[, D]) or a pair (x, lengths); got "
            f"{type(inputs).__name__}"
        )
    x, lengths = inputs
    T, B = x.shape[:2]
    if not isinstance(lengths, Tensor) or lengths.shape != (B,) or lengths.is_floating_point():
        got = f"{lengths.dtype} {tuple(lengths.shape)}" if isinstance(lengths, Tensor) else lengths
        raise ShapeError(f"{where}: lengths expected a (B={B},) integer tensor, got {got}")
    if lengths.min() < 1 or lengths.max() > T:
        raise ValueError(f"{where}: lengths must lie in [1, T={T}], got {lengths.tolist()}")
    return x, lengths.to(device=x.device, dtype=torch.int64)


def real_steps(lengths: Tensor, T: int) -> Tensor:
    """(T, B) bool mask, True at steps t < lengths[b] (the time-major twin of padding_mask)."""
    return padding_mask(lengths, T).T  # (T, B)


def reverse_padded(x: Tensor, lengths: Tensor) -> Tensor:
    """Reverse the first ``lengths[b]`` steps of every column b; padding stays at the end.

    Args:
        x:       (T, B, ...) tensor
        lengths: (B,) int64

    Returns:
        (T, B, ...) tensor; applying it twice gives x back.
    """
    T = x.shape[0]
    t = torch.arange(T, device=x.device)[:, None]  # (T, 1)
    idx = torch.where(t < lengths, lengths - 1 - t, t)  # (T, B): source step of each output step
    idx = idx.reshape(*idx.shape, *([1] * (x.dim() - 2))).expand_as(x)  # (T, B, ...)
    return x.gather(0, idx)


def _recurrent_layer(config: EncoderConfig, input_size: int) -> nn.Module:
    """One single-layer, one-direction recurrent module of ``config.cell`` and backend."""
    if config.backend == "torch":
        classes = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
    else:  # the course's twins (imported here: they are optional for the fast path)
        from course_rnn.torch_nn.gru import GRU
        from course_rnn.torch_nn.lstm import LSTM
        from course_rnn.torch_nn.rnn import RNN

        classes = {"rnn": RNN, "lstm": LSTM, "gru": GRU}
    extra = {"nonlinearity": config.nonlinearity} if config.cell == "rnn" else {}
    return classes[config.cell](input_size, config.hidden_size, 1, **extra)


class SequenceEncoder(nn.Module):
    """A recurrent stack (per layer, per direction) or a Transformer stack, time-major.

    Args:
        input_size:      D, features per step
        config:          EncoderConfig
        cross_attention: Transformer blocks with cross-attention over a ``memory`` (a decoder)

    Attributes:
        output_size: H·dirs (recurrent) or E (transformer), the last axis of the output

    Differences from torch.nn.LSTM(num_layers=L, bidirectional=True): one single-layer module per
    layer and direction (``fwd[l]``, ``bwd[l]``, each with torch's ``weight_ih_l0`` etc.), so that
    the backward direction can start at each sequence's last real step without PackedSequence;
    dropout between layers as torch's ``dropout=``.

    Book: chapters "A named-entity tagger" and "Sentiment, phenomenon by phenomenon".
    """

    def __init__(self, input_size: int, config: EncoderConfig, *, cross_attention: bool = False):
        super().__init__()
        c = self.config = config
        self.input_size = input_size
        if c.is_transformer:
            E = c.hidden_size
            self.proj = nn.Linear(input_size, E) if input_size != E else nn.Identity()
            self.stack = TransformerStack(
                E, c.num_heads, c.num_layers, max_len=c.max_len, positional=c.positional,
                ff_size=c.ff_size, dropout=c.dropout, cross_attention=cross_attention,
            )  # fmt: skip
            self.output_size = E
            return
        if cross_attention:
            raise ValueError("SequenceEncoder: cross_attention needs cell='transformer'")
        dirs = 2 if c.bidirectional else 1
        sizes = [input_size] + [dirs * c.hidden_size] * (c.num_layers - 1)  # inputs of each layer
        self.fwd = nn.ModuleList(_recurrent_layer(c, D) for D in sizes)
        self.bwd = nn.ModuleList(_recurrent_layer(c, D) for D in sizes) if c.bidirectional else None
        self.dropout = nn.Dropout(c.dropout)
        self.output_size = dirs * c.hidden_size

    def forward(
        self,
        x: Tensor,
        lengths: Tensor | None = None,
        state: list | None = None,
        *,
        memory: Tensor | None = None,
        memory_mask: Tensor | None = None,
    ) -> tuple[Tensor, list | None]:
        """Encode a batch.

        Args:
            x:           (T, B, D) float
            lengths:     (B,) int64 real lengths (padding at the end), or None
            state:       recurrent, unidirectional only: a list with each layer's initial state
                         as its module takes it ((1, B, H), or a pair for the LSTM); or None
            memory:      (S, B, E) encoder outputs (Transformer decoder only)
            memory_mask: (B, S) bool, True = real source step; or None

        Returns:
            out:   (T, B, output_size)
            state: recurrent: each layer's forward-direction state after step T (after the
                   padding too; exact for unpadded batches); transformer: None
        """
        c = self.config
        check_shape(x, "T B D", name="x", where="SequenceEncoder", D=self.input_size)
        if c.is_transformer:
            key_mask = None if lengths is None else padding_mask(lengths, x.shape[0])  # (B, T)
            out, _ = self.stack(
                self.proj(x), key_mask=key_mask, is_causal=not c.bidirectional, memory=memory,
                memory_mask=memory_mask,
            )  # fmt: skip
            return out, None
        if state is not None and c.bidirectional:
            raise ValueError("SequenceEncoder: an initial state needs bidirectional=False")
        new_state = []
        for layer in range(c.num_layers):
            if layer > 0:
                x = self.dropout(x)  # between layers, as torch.nn.LSTM(dropout=...)
            out, s = self.fwd[layer](x, None if state is None else state[layer])  # (T, B, H)
            new_state.append(s)
            if self.bwd is not None:  # read right to left, from each sequence's last real step
                rev = x.flip(0) if lengths is None else reverse_padded(x, lengths)  # (T, B, D)
                back, _ = self.bwd[layer](rev)  # (T, B, H), in reversed time
                back = back.flip(0) if lengths is None else reverse_padded(back, lengths)
                out = torch.cat([out, back], dim=-1)  # (T, B, 2H)
            x = out
        return x, new_state

    def summary(self, out: Tensor, lengths: Tensor | None) -> Tensor:
        """What the encoder read, one vector per sequence: its state at the last real step.

        The forward direction (and the Transformer) at step ``lengths - 1``; the backward
        direction at step 0, where it has read the whole sequence.

        Args:
            out:     (T, B, output_size) from forward
            lengths: (B,) int64, or None (every sequence has length T)

        Returns:
            (B, output_size)
        """
        T, B, _ = out.shape
        last = torch.full((B,), T - 1, device=out.device) if lengths is None else lengths - 1
        summary = out[last, torch.arange(B, device=out.device)]  # (B, output_size)
        if self.config.bidirectional and not self.config.is_transformer:
            H = self.config.hidden_size
            summary = torch.cat([summary[:, :H], out[0, :, H:]], dim=-1)  # (B, 2H)
        return summary

    def attention_maps(self, x: Tensor, lengths: Tensor | None = None) -> list[Tensor]:
        """The self-attention weights of every block (Transformer only), for plotting.

        Args:
            x:       (T, B, D) float
            lengths: (B,) int64, or None

        Returns:
            list of num_layers tensors (B, NH, T, T)
        """
        if not self.config.is_transformer:
            raise ValueError(f"attention_maps: needs cell='transformer', got {self.config.cell!r}")
        key_mask = None if lengths is None else padding_mask(lengths, x.shape[0])  # (B, T)
        _, maps = self.stack(
            self.proj(x), key_mask=key_mask, is_causal=not self.config.bidirectional
        )
        return maps


class InputLayer(nn.Module):
    """Token ids through an embedding (``vocab_size`` given) or float features as they are.

    Args:
        where:      the model's name, for messages
        vocab_size: V for token inputs (T, B) int64, or None
        input_size: D for feature inputs (T, B, D) float, or None; give exactly one of the two
        embed_dim:  embedding width for tokens (default ``default_dim``)
        default_dim: the width used when embed_dim is None (the encoder's hidden size)

    Attributes:
        output_size: the features per step the encoder reads (embed_dim or D)
    """

    def __init__(self, where: str, *, vocab_size, input_size, embed_dim, default_dim: int):
        super().__init__()
        if (vocab_size is None) == (input_size is None):
            raise ValueError(
                f"{where}: give exactly one of vocab_size= (token ids) and input_size= (float "
                f"features); got vocab_size={vocab_size!r}, input_size={input_size!r}"
            )
        self.where, self.tokens = where, vocab_size is not None
        size = vocab_size if self.tokens else input_size
        if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
            name = "vocab_size" if self.tokens else "input_size"
            raise ValueError(f"{where}: {name} must be a positive int, got {size!r}")
        dim = default_dim if embed_dim is None else embed_dim
        self.embedding = nn.Embedding(vocab_size, dim) if self.tokens else None
        self.output_size = dim if self.tokens else input_size

    def forward(self, x: Tensor) -> Tensor:
        """x: (T, B) int64 ids or (T, B, D) float -> (T, B, output_size) float."""
        if self.embedding is None:
            return x
        if x.dim() != 2 or x.is_floating_point():
            raise ShapeError(
                f"{self.where}: inputs expected (T, B) integer token ids, got {x.dtype} "
                f"{tuple(x.shape)}"
            )
        return self.embedding(x)  # (T, B, E)
