"""Choosing the next token from a language model's logits: greedy, temperature and top-k.

One function shared by every generator of the course (``CharLM.sample``, ``TransformerLM.generate``
and ``Seq2Seq.generate``). Sampling draws from ``torch.multinomial`` with the caller's
``torch.Generator``, so a seeded generator gives the same text every time; the library never seeds
torch's global generator. Book: chapter "Character language models", section "Sampling".
"""

import torch
from torch import Tensor

from course_rnn.shapes import check_shape


def sample_next(
    logits: Tensor,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    greedy: bool = False,
    generator: torch.Generator | None = None,
) -> Tensor:
    """One token per row, drawn from softmax(logits / temperature) restricted to the top k.

    Args:
        logits:      (B, V) float  unnormalised scores of the next token
        temperature: > 0; below 1 sharpens the distribution, above 1 flattens it
        top_k:       keep only the k largest logits of each row (1 <= k <= V; logits tied with
                     the k-th largest are kept too), or None for all
        greedy:      take the argmax (temperature, top_k and generator are then unused)
        generator:   torch.Generator for reproducible draws, or None (torch's global one)

    Returns:
        (B,) int64 token ids.

    Book: chapter "Character language models", section "Sampling".
    """
    where = "sample_next"
    V = check_shape(logits, "B V", name="logits", where=where)["V"]
    if greedy:
        return logits.argmax(dim=-1)  # (B,)
    if not temperature > 0:
        raise ValueError(
            f"{where}: temperature must be > 0, got {temperature!r} (use greedy=True for the "
            "argmax, the limit temperature -> 0)"
        )
    scaled = logits.detach().double() / temperature  # (B, V); float64 keeps exp() exact enough
    if top_k is not None:
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= V:
            raise ValueError(f"{where}: top_k must be an int in [1, V={V}] or None, got {top_k!r}")
        kth = scaled.topk(top_k, dim=-1).values[:, -1:]  # (B, 1) the k-th largest score
        scaled = scaled.masked_fill(scaled < kth, -torch.inf)  # ties with the k-th are kept
    probs = torch.softmax(scaled, dim=-1)  # (B, V)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)  # (B,)
