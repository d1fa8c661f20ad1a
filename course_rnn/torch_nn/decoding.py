"""Decoding an encoder–decoder: greedy search and beam search, both stopping at EOS.

Both work with any model that has the step interface of
``course_rnn.torch_nn.models.AttentionSeq2Seq``:

- ``memory, mask, summary = model.encode(inputs)``; ``state = model.start(memory, mask, summary)``
- ``logits (B, V), state, weights = model.step(prev (B,), state, memory, mask)``
- ``model.reorder(state, index)`` keeps the batch rows ``index`` (beam search only)
- ``model.bos_id``: the first input id.

A hypothesis ends when it emits EOS (the EOS is part of it and of its log-probability), or after
``max_len`` steps. Its score is its log-probability log p(y | x) = Σ_t log p(y_t | y_<t, x),
divided by length^α when ``length_penalty`` α > 0 (α = 0: the raw log-probability, which favours
short hypotheses; Wu et al. 2016 use ((5 + length) / 6)^α instead). Beam search keeps the K best
prefixes at every step (Sutskever et al., 2014, section 3.2); K = 1 is greedy search,
step for step. A larger beam usually, not always, finds a sequence of higher probability.
Book: chapter "Encoder–decoders and attention", section "Greedy and beam search".
"""

from typing import NamedTuple

import torch
from torch import Tensor


class Decoded(NamedTuple):
    """The decoded sequences of a batch."""

    ids: Tensor  # (T, B) int64 ids; EOS at step lengths[b] - 1 (if emitted), EOS after it
    lengths: Tensor  # (B,) int64 steps up to and including EOS (T where none was emitted)
    log_prob: Tensor  # (B,) float log p(ids | source) over those steps
    logits: Tensor | None = None  # (T, B, V) greedy only: the logits at every step


def _check(model, max_len: int, eos_id: int | None, where: str) -> None:
    for name in ("encode", "start", "step", "bos_id", "tgt_vocab_size"):
        if not hasattr(model, name):
            raise TypeError(f"{where}: model needs a .{name} (the step interface), "
                            f"{type(model).__name__} has none")  # fmt: skip
    if isinstance(max_len, bool) or not isinstance(max_len, int) or max_len < 1:
        raise ValueError(f"{where}: max_len must be a positive int, got {max_len!r}")
    if eos_id is not None and (
        isinstance(eos_id, bool) or not isinstance(eos_id, int) or eos_id < 0
    ):
        raise ValueError(f"{where}: eos_id must be a non-negative int, got {eos_id!r}")


@torch.no_grad()
def greedy_decode(model, inputs, *, max_len: int, eos_id: int | None = None) -> Decoded:
    """At every step the most likely next id, fed back as the next input, until EOS.

    Args:
        model:   a model with the step interface (module docstring)
        inputs:  src (S, B) int64, or (src, lengths (B,))
        max_len: the most steps decoded
        eos_id:  the end-of-sequence id (default: the model's ``tgt_vocab_size - 1``)

    Returns:
        Decoded(ids (T, B), lengths (B,), log_prob (B,), logits (T, B, V)), T <= max_len
    """
    _check(model, max_len, eos_id, "greedy_decode")
    eos_id = model.tgt_vocab_size - 1 if eos_id is None else eos_id
    memory, mask, summary = model.encode(inputs)
    B = summary.shape[0]
    state = model.start(memory, mask, summary)
    prev = torch.full((B,), model.bos_id, dtype=torch.int64, device=summary.device)
    done = torch.zeros(B, dtype=torch.bool, device=summary.device)
    log_prob = summary.new_zeros(B)
    lengths = torch.full((B,), max_len, dtype=torch.int64, device=summary.device)
    ids, all_logits = [], []
    for t in range(max_len):
        logits, state, _ = model.step(prev, state, memory, mask)  # (B, V)
        logp = torch.log_softmax(logits, dim=-1)  # (B, V)
        token = torch.where(done, eos_id, logits.argmax(-1))  # (B,)
        log_prob += torch.where(done, 0.0, logp.gather(1, token[:, None])[:, 0])
        lengths = torch.where(~done & (token == eos_id), t + 1, lengths)
        done = done | (token == eos_id)
        ids.append(token)
        all_logits.append(logits)
        prev = token
        if bool(done.all()):
            break
    return Decoded(torch.stack(ids), lengths, log_prob, torch.stack(all_logits))


@torch.no_grad()
def beam_search(
    model,
    inputs,
    *,
    beam_size: int,
    max_len: int,
    eos_id: int | None = None,
    length_penalty: float = 0.0,
) -> Decoded:
    """Keep the ``beam_size`` most probable prefixes at every step; return the best hypothesis.

    Args:
        model:          a model with the step interface (module docstring)
        inputs:         src (S, B) int64, or (src, lengths (B,))
        beam_size:      K >= 1 (at most V); K = 1 is greedy search
        max_len:        the most steps decoded
        eos_id:         the end-of-sequence id (default: the model's ``tgt_vocab_size - 1``)
        length_penalty: α >= 0: the final choice ranks hypotheses by log_prob / length^α

    Returns:
        Decoded(ids (T, B), lengths (B,), log_prob (B,)) of the best hypothesis of each source
    """
    where = "beam_search"
    _check(model, max_len, eos_id, where)
    eos_id = model.tgt_vocab_size - 1 if eos_id is None else eos_id
    K = beam_size
    if isinstance(K, bool) or not isinstance(K, int) or not 1 <= K <= model.tgt_vocab_size:
        raise ValueError(f"{where}: beam_size must be an int in [1, V={model.tgt_vocab_size}], "
                         f"got {beam_size!r}")  # fmt: skip
    if not length_penalty >= 0:
        raise ValueError(f"{where}: length_penalty must be >= 0, got {length_penalty!r}")
    memory, mask, summary = model.encode(inputs)
    B, device = summary.shape[0], summary.device
    rows = torch.arange(B, device=device).repeat_interleave(K)  # (B·K,): row b·K + k is source b
    memory, summary = memory.index_select(1, rows), summary.index_select(0, rows)  # (S, B·K, C)
    mask = None if mask is None else mask.index_select(0, rows)  # (B·K, S)
    state = model.start(memory, mask, summary)
    scores = torch.full((B, K), float("-inf"), device=device)
    scores[:, 0] = 0.0  # one live prefix (the empty one) to start from
    done = torch.zeros(B, K, dtype=torch.bool, device=device)
    lengths = torch.zeros(B, K, dtype=torch.int64, device=device)
    history = torch.zeros(0, B, K, dtype=torch.int64, device=device)  # (t, B, K)
    prev = torch.full((B * K,), model.bos_id, dtype=torch.int64, device=device)
    for _ in range(max_len):
        logits, new_state, _ = model.step(prev, state, memory, mask)  # (B·K, V)
        V = logits.shape[-1]
        logp = torch.log_softmax(logits, dim=-1).view(B, K, V)  # (B, K, V)
        ended = torch.full_like(logp, float("-inf"))  # a finished hypothesis only "emits" EOS,
        ended[..., eos_id] = 0.0  # at no cost, so it keeps its score and competes as it is
        logp = torch.where(done[..., None], ended, logp)
        top, flat = (scores[..., None] + logp).view(B, K * V).topk(K, dim=-1)  # (B, K)
        beam, token = flat // V, flat % V  # which prefix each survivor extends, and with what
        state = model.reorder(
            new_state, (torch.arange(B, device=device)[:, None] * K + beam).flatten()
        )
        history = torch.cat([history.gather(2, beam[None].expand(history.shape[0], -1, -1)),
                             token[None]])  # (t + 1, B, K)  # fmt: skip
        was_done = done.gather(1, beam)
        lengths = lengths.gather(1, beam) + (~was_done).long()
        done = was_done | (token == eos_id)
        scores, prev = top, token.flatten()
        if bool(done.all()):
            break
    ranking = scores / lengths.clamp(min=1).to(scores.dtype) ** length_penalty  # (B, K)
    best = ranking.argmax(-1)  # (B,)
    ids = history.gather(2, best[None, :, None].expand(history.shape[0], -1, 1))[..., 0]  # (T, B)
    return Decoded(
        ids, lengths.gather(1, best[:, None])[:, 0], scores.gather(1, best[:, None])[:, 0]
    )


@torch.no_grad()
def sequence_log_prob(model, inputs, targets: Tensor) -> Tensor:
    """log p(targets | source) of given target sequences (EOS included), by teacher forcing.

    Args:
        model:   a model with ``teacher_forced(inputs, targets) -> (logits (T, B, V), weights)``
        inputs:  src (S, B) int64, or (src, lengths (B,))
        targets: (T, B) int64, IGNORE_INDEX (-100) after each sequence's EOS

    Returns:
        (B,) float log-probabilities
    """
    logits, _ = model.teacher_forced(inputs, targets)  # (T, B, V)
    logp = torch.log_softmax(logits, dim=-1)
    real = targets >= 0  # (T, B)
    picked = logp.gather(2, targets.clamp(min=0)[..., None])[..., 0]  # (T, B)
    return (picked * real).sum(0)


def sequences(ids: Tensor, eos_id: int) -> list[list[int]]:
    """Each column of ``ids`` (T, B) as a list of ids, cut before its first EOS (whole if none)."""
    out = []
    for row in ids.T.tolist():  # (B, T)
        out.append(row[: row.index(eos_id)] if eos_id in row else row)
    return out
