"""The cost of one generated token as the context grows: an LSTM's state against a KV cache.

A recurrent language model carries a state of fixed size: each new token costs the same matrix
products (about 8·H² multiply-adds for an LSTM layer) and the same memory, whatever came before.
A Transformer decoder with a KV cache (``TransformerLM.forward_cached``) stores the keys and values
of every earlier token, 2·N·n·E numbers after n tokens, and each new token reads all of them, so
its cost grows with n; without the cache it re-reads the whole context at every token.
``per_token_costs`` measures all three at equal parameters, one sequence (B = 1), in per-thread CPU
time (the minimum over rounds, every round timing every position once).

Book: chapter "RNNs and Transformers", section "Inference".
"""

from __future__ import annotations

import torch

from course_rnn.studies import measure
from course_rnn.studies.compare_sizing import hidden_size_for
from course_rnn.torch_nn.models.config import EncoderConfig
from course_rnn.torch_nn.models.language_model import CharLM
from course_rnn.torch_nn.transformer import TransformerConfig, TransformerLM

MODES = ("lstm", "kv_cache", "no_cache")


def _count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def language_models(
    vocab_size: int = 64, width: int = 128, num_layers: int = 2, max_len: int = 2048, seed: int = 0
) -> tuple[TransformerLM, CharLM]:
    """A Transformer LM (sinusoidal positions, no position parameters) and an LSTM LM whose
    hidden size gives the parameter count closest to it, both in eval mode, from ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        config = TransformerConfig(
            vocab_size=vocab_size, embed_dim=width, num_heads=4, num_layers=num_layers,
            max_len=max_len, positional="sinusoidal",
        )  # fmt: skip
        transformer = TransformerLM(config).eval()

        def lstm_lm(H):
            return CharLM(vocab_size, config=EncoderConfig(cell="lstm", hidden_size=H))

        H = hidden_size_for(_count(transformer), lambda H: _count(lstm_lm(H)), largest=1024)
        lstm = lstm_lm(H).eval()
    return transformer, lstm


def token_flops(mode: str, n: int, transformer: TransformerLM, lstm: CharLM) -> int:
    """Floating-point operations (2 per multiply-add, matrix products only) of the token at
    position n (n tokens before it).

    lstm: 2·(8H² + H·V) (the input and recurrent products of one step, the head);
    kv_cache: 2·N·(12E² + 2·(n + 1)·E) + 2·E·V (projections, feed-forward, scores and weighted
    sum over n + 1 keys, head); no_cache: the whole context again, every position's dense part
    and causal attention: 2·N·(n + 1)·12E² + 2·N·(n + 1)·(n + 2)·E + 2·E·V.
    """
    c = transformer.config
    E, N, V = c.embed_dim, c.num_layers, c.vocab_size
    if mode == "lstm":
        H = lstm.config.hidden_size
        return 2 * (8 * H * H + H * V)
    if mode == "kv_cache":
        return 2 * N * (12 * E * E + 2 * (n + 1) * E) + 2 * E * V
    if mode == "no_cache":
        return 2 * N * (n + 1) * 12 * E * E + 2 * N * (n + 1) * (n + 2) * E + 2 * E * V
    raise ValueError(f"token_flops: mode must be one of {list(MODES)}, got {mode!r}")


@torch.no_grad()
def per_token_costs(
    positions, *, rounds: int = 5, budget: float = 0.02, seed: int = 0, **sizes
) -> dict:
    """Time and memory of generating the token at each position n (n tokens of context).

    For each n the context is n random tokens, read once; then the next token's step is timed:
    the LSTM's one step from its state, the Transformer's ``forward_cached`` from a cache of n
    tokens, and the Transformer without a cache (a forward pass over all n + 1 tokens, as
    ``TransformerLM.generate`` does). Memory is what each carries from token to token: the LSTM's
    (h, c), the KV cache's keys and values, the uncached model's token ids.

    Args:
        positions: the n to measure (each < max_len)
        rounds:    measurements per (mode, n); the minimum is kept, all are returned
        budget:    seconds of one measurement (the number of calls is chosen once)
        seed:      weights and tokens
        sizes:     vocab_size, width, num_layers, max_len of ``language_models``

    Returns:
        dict with parameters {transformer, lstm}, hidden_size, width, num_layers, and rows, one
        per (mode, n): mode, n, seconds (min), all, flops, state_bytes.
    """
    transformer, lstm = language_models(seed=seed, **sizes)
    V = transformer.config.vocab_size
    gen = torch.Generator().manual_seed(seed)
    configs = []
    for n in positions:
        context = torch.randint(0, V, (n, 1), generator=gen)  # (n, 1)
        nxt = torch.randint(0, V, (1, 1), generator=gen)  # (1, 1): the token to process
        _, cache = transformer.forward_cached(context)
        _, state = lstm.encoder(lstm.inputs(context))  # the LSTM's state after n tokens
        whole = torch.cat([context, nxt])  # (n + 1, 1)
        fns = {
            "lstm": lambda s=state, t=nxt: lstm.head(lstm.encoder(lstm.inputs(t), state=s)[0]),
            "kv_cache": lambda c=cache, t=nxt: transformer.forward_cached(t, c),
            "no_cache": lambda w=whole: transformer(w).logits[-1],
        }
        _, present = transformer.forward_cached(nxt, cache)
        memory = {
            "lstm": sum(t.nbytes for layer in state for t in layer),
            "kv_cache": sum(k.nbytes + v.nbytes for k, v in present),
            "no_cache": whole.nbytes,  # only the token ids; it recomputes everything else
        }
        for mode, fn in fns.items():
            once = measure.cpu_seconds(fn, 1)  # also a warm-up
            number = max(1, min(1000, round(budget / max(once, 1e-6))))
            configs.append({"mode": mode, "n": n, "fn": fn, "number": number,
                            "state_bytes": memory[mode]})  # fmt: skip
    for _ in range(rounds):
        for c in configs:
            c.setdefault("all", []).append(measure.cpu_seconds(c["fn"], c["number"]))
    rows = [
        {
            "mode": c["mode"],
            "n": c["n"],
            "number": c["number"],
            "seconds": min(c["all"]),
            "all": c["all"],
            "flops": token_flops(c["mode"], c["n"], transformer, lstm),
            "state_bytes": c["state_bytes"],
        }
        for c in configs
    ]
    return {
        "parameters": {"transformer": _count(transformer), "lstm": _count(lstm)},
        "hidden_size": lstm.config.hidden_size,
        "width": transformer.config.embed_dim,
        "num_layers": transformer.config.num_layers,
        "rows": rows,
    }
