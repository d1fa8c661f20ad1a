"""A character LSTM as a compressor: training, dynamic evaluation and a match model mixed in.

The code length of a text under a model is the sum of −log2 p(c_t | c_<t); an arithmetic coder
gets within a few bits of it. The chapter compares that length, per held-out character, with what
zlib, bz2 and xz add when the held-out text follows the training text.

- :func:`train_compressor`: an LSTM (embedding, one layer, dropout, head) trained on random
  windows of the training text minus its last 5 % (the dev slice, where the coding settings are
  tuned), Adam with a linear warm-up and a cosine decay, a fixed number of steps.
- :func:`code_lengths`: per-character bits of a text, the state carried along; with ``lr > 0``
  it is dynamic evaluation (Krause et al. 2018): after each segment of ``segment`` characters is
  coded, one SGD step on that segment's loss, so the decoder, who knows the same characters, can
  repeat every update.
- :func:`match_predictions`: for each character, the character that followed the most recent
  earlier occurrence of the current context (at least ``min_len`` characters long), and how long
  the match is (training text plus the held-out characters already coded).
- :func:`mix`: p = q·[c = predicted] + (1 − q)·p_lstm, with q learnt online per match-length
  bucket by gradient steps on the code length, as context-mixing compressors (PAQ, cmix) do.

Book: chapter "Out-compressing bzip2".
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from course_rnn.data import char_corpus

#: fraction of the training text held out (its end) to tune the coding settings on
DEV_FRACTION = 0.05
#: match-length buckets of the mixer: lengths below edges[0] are "no match"
BUCKET_EDGES = (1, 5, 6, 8, 12, 16, 24, 32, 48, 64, 128)


class CompressorLSTM(nn.Module):
    """Embedding E (V, D), dropout, one LSTM layer (H), dropout, head (V, H)."""

    def __init__(self, V: int, D: int, H: int, dropout: float = 0.0):
        super().__init__()
        self.embed = nn.Embedding(V, D)
        self.lstm = nn.LSTM(D, H)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(H, V)

    def forward(self, ids: torch.Tensor, state=None):
        """ids (T, B) int64 -> logits (T, B, V) and the final (h_n, c_n), each (1, B, H)."""
        x = self.drop(self.embed(ids))  # (T, B, D)
        h, state = self.lstm(x, state)  # (T, B, H)
        return self.head(self.drop(h)), state


def split_dev(train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The training ids without their last DEV_FRACTION, and that dev slice."""
    n_dev = round(len(train) * DEV_FRACTION)
    return train[: len(train) - n_dev], train[len(train) - n_dev :]


def lr_at(step: int, steps: int, lr: float, warmup: int) -> float:
    """Linear warm-up over ``warmup`` steps, then cosine decay to lr/20 at ``steps``."""
    if step <= warmup:
        return lr * step / warmup
    progress = (step - warmup) / max(steps - warmup, 1)
    return lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))


def train_compressor(
    *,
    hidden_size: int,
    embed_size: int,
    steps: int,
    seed: int,
    seq_len: int = 128,
    batch_size: int = 32,
    lr: float = 3e-3,
    warmup: int = 100,
    dropout: float = 0.1,
    clip: float = 1.0,
    threads: int = 2,
    eval_every: int = 250,
    eval_chars: int = 5_000,
    stop_after: int | None = None,
) -> tuple[dict, dict]:
    """Train a CompressorLSTM on the training text minus its dev slice.

    Args:
        hidden_size, embed_size: H and D
        steps:      Adam updates, each on batch_size random windows of seq_len + 1 characters
        seed:       fixes torch's initial weights, dropout masks and the windows
        lr, warmup: peak learning rate and warm-up steps (then cosine decay, see lr_at)
        dropout:    dropout on the embedding and on the LSTM output
        clip:       gradient-norm threshold
        threads:    torch threads while training (the budget is two cores)
        eval_every: steps between measurements of the static bpc on the first eval_chars
                    characters of the dev slice
        stop_after: stop after this many steps (the schedule still assumes ``steps``); tests
                    re-run the start of a long run this way

    Returns:
        weights: dict of float32 arrays keyed like CompressorLSTM.state_dict()
        result:  the arguments, ``V``, ``parameters``, ``losses`` (training loss per step, nats),
                 ``curve`` ([[step, dev bpc], ...]), ``cpu_seconds``, ``wall_seconds``
    """
    corpus = char_corpus()
    V = len(corpus.vocab)
    fit, dev = split_dev(corpus.train)
    old_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = CompressorLSTM(V, embed_size, hidden_size, dropout)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    dev_ids = torch.from_numpy(dev[: eval_chars + 1])
    losses, curve = [], []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    try:
        for step in range(1, (stop_after or steps) + 1):
            starts = rng.integers(0, len(fit) - seq_len - 1, size=batch_size)
            window = fit[starts[None, :] + np.arange(seq_len + 1)[:, None]]  # (T + 1, B)
            x, y = torch.from_numpy(window[:-1]), torch.from_numpy(window[1:])
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step, steps, lr, warmup)
            model.train()
            logits, _ = model(x)  # (T, B, V)
            loss = nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            losses.append(round(loss.item(), 6))
            if step % eval_every == 0 or step == steps:
                model.eval()
                bits = code_lengths(model, dev_ids)
                model.train()
                curve.append([step, round(float(bits.mean()), 5)])
    finally:
        torch.set_num_threads(old_threads)
    result = {
        "hidden_size": hidden_size,
        "embed_size": embed_size,
        "steps": steps,
        "seed": seed,
        "seq_len": seq_len,
        "batch_size": batch_size,
        "lr": lr,
        "warmup": warmup,
        "dropout": dropout,
        "clip": clip,
        "threads": threads,
        "V": V,
        "parameters": sum(p.numel() for p in model.parameters()),
        "losses": losses,
        "curve": curve,
        "cpu_seconds": round(time.process_time() - cpu0, 1),
        "wall_seconds": round(time.perf_counter() - wall0, 1),
    }
    weights = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return weights, result


def to_model(weights: dict) -> CompressorLSTM:
    """A CompressorLSTM (eval mode, float32) holding ``weights`` (float16 or float32 arrays)."""
    V, D = weights["embed.weight"].shape
    H = weights["lstm.weight_hh_l0"].shape[1]
    model = CompressorLSTM(V, D, H)
    model.load_state_dict(
        {k: torch.from_numpy(np.asarray(v, np.float32)) for k, v in weights.items()}
    )
    return model.eval()


def probabilities(
    model: CompressorLSTM, ids, *, lr: float = 0.0, segment: int = 50, decay: float = 0.0
) -> np.ndarray:
    """The model's distribution of each character of ``ids[1:]`` given the ones before, in order.

    Args:
        model:   a CompressorLSTM; with lr > 0 a copy is adapted, the model is left unchanged
        ids:     (N + 1,) int64 character ids (array or tensor)
        lr:      SGD learning rate of dynamic evaluation (0: static evaluation)
        segment: characters per coded segment (one SGD step after each)
        decay:   pull towards the trained weights per step, θ += decay·(θ_trained − θ)

    Returns:
        (N, V) float64: row t is p(· | c_1..c_t), the distribution of ids[t + 1]
    """
    ids = torch.as_tensor(np.asarray(ids), dtype=torch.int64)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(f"probabilities: ids must be 1-D with >= 2 ids, got {tuple(ids.shape)}")
    if lr < 0 or segment < 1:
        raise ValueError(f"probabilities: need lr >= 0 and segment >= 1, got {lr}, {segment}")
    if lr > 0:  # adapt a copy
        model = to_model({k: v.detach().numpy() for k, v in model.state_dict().items()})
        trained = [p.detach().clone() for p in model.parameters()]
    model.eval()
    chunk = segment if lr > 0 else 2_000
    out, state = [], None
    for start in range(0, len(ids) - 1, chunk):
        y = ids[start + 1 : start + chunk + 1]  # (T,)
        x = ids[start : start + len(y)][:, None]  # (T, 1)
        with torch.set_grad_enabled(lr > 0):
            logits, new_state = model(x, state)  # (T, 1, V)
            logp = torch.log_softmax(logits[:, 0], dim=-1)  # (T, V)
        out.append(logp.detach().double().exp().numpy())
        if lr > 0:  # the segment is coded: now learn from it (the decoder can do the same)
            model.zero_grad()
            (-logp.gather(1, y[:, None]).mean()).backward()
            with torch.no_grad():
                for p, p0 in zip(model.parameters(), trained, strict=True):
                    p -= lr * p.grad
                    if decay:
                        p += decay * (p0 - p)
        state = tuple(s.detach() for s in new_state)
    probs = np.concatenate(out)  # (N, V)
    return probs / probs.sum(axis=1, keepdims=True)


def code_lengths(model: CompressorLSTM, ids, **kwargs) -> np.ndarray:
    """Bits −log2 p(c_t | c_<t) of each character of ``ids[1:]``: (N,) float64.

    Keyword arguments as in :func:`probabilities` (lr, segment, decay).
    """
    probs = probabilities(model, ids, **kwargs)
    targets = np.asarray(ids)[1:]
    return -np.log2(probs[np.arange(len(targets)), targets])


def match_predictions(history: np.ndarray, start: int, *, min_len: int = 6):
    """For each position i >= start of ``history``: the match model's guess for history[i].

    The guess is the character that followed the most recent earlier occurrence of the last
    ``min_len`` characters before i (found by a hash table of all earlier positions, the
    training text included); once found, the match is followed forward while it keeps being
    right. Only characters before i are used, so a decoder can make the same guesses.

    Args:
        history: (N,) int ids below 256: the training text followed by the text to code
        start:   first position to predict
        min_len: shortest context that starts a match

    Returns:
        guess:  (N − start,) int64, the predicted id, −1 where there is no match
        length: (N − start,) int64, the length of the matching context (0 without a match)
    """
    data = bytes(np.asarray(history, dtype=np.uint8))
    last = {}
    for i in range(min_len, start):
        last[data[i - min_len : i]] = i  # context ending before i -> position i
    guess = np.full(len(data) - start, -1, dtype=np.int64)
    length = np.zeros(len(data) - start, dtype=np.int64)
    ptr, run = -1, 0
    for i in range(start, len(data)):
        if run == 0:
            ptr = last.get(data[i - min_len : i], -1)
            if ptr >= 0:
                run = min_len
                while run < 400 and ptr - run - 1 >= 0 and data[ptr - run - 1] == data[i - run - 1]:
                    run += 1
        if run > 0:
            guess[i - start], length[i - start] = data[ptr], run
            if data[ptr] == data[i]:
                ptr, run = ptr + 1, run + 1
            else:
                run = 0
        last[data[i - min_len : i]] = i  # only now: position i is known to the decoder
    return guess, length


def repeat_coverage(train: np.ndarray, text: np.ndarray, *, k: int = 20) -> np.ndarray:
    """Which characters of ``text`` lie inside a string of >= k characters that occurs in train.

    Args:
        train: (M,) int ids below 256
        text:  (N,) int ids below 256
        k:     shortest repeat counted

    Returns:
        (N,) bool
    """
    seen_bytes = bytes(np.asarray(train, dtype=np.uint8))
    data = bytes(np.asarray(text, dtype=np.uint8))
    seen = {seen_bytes[i : i + k] for i in range(len(seen_bytes) - k + 1)}
    starts = [i for i in range(len(data) - k + 1) if data[i : i + k] in seen]
    covered = np.zeros(len(data) + 1, dtype=np.int64)
    np.add.at(covered, np.array(starts, dtype=np.int64), 1)
    np.add.at(covered, np.array(starts, dtype=np.int64) + k, -1)
    return np.cumsum(covered)[: len(data)] > 0


def mix(probs: np.ndarray, targets, guess, length, *, lr: float = 0.02, q0=None) -> dict:
    """Code length of p = q_b·[c = guess] + (1 − q_b)·probs, with q_b learnt online per bucket.

    b is the bucket of the match length (BUCKET_EDGES); where there is no guess, p = probs.
    After each character, q_b takes one gradient step (on its logit) on that character's code
    length, so it only uses what the decoder has already seen.

    Args:
        probs:   (N, V) float64 model distributions
        targets: (N,) int ids actually coded
        guess, length: (N,) from match_predictions
        lr:      step size on the logits of q
        q0:      initial q per bucket (len(BUCKET_EDGES) floats), default 0.5 each

    Returns:
        dict: ``bits`` (N,) float64 per character, ``q`` the final q per bucket, ``q_used`` (N,)
        the weight given to the guess at each character (0 without a guess)
    """
    targets, guess = np.asarray(targets), np.asarray(guess)
    buckets = np.searchsorted(BUCKET_EDGES, np.asarray(length), side="right") - 1  # -1: none
    q = np.full(len(BUCKET_EDGES), 0.5) if q0 is None else np.array(q0, dtype=np.float64)
    a = np.log(q / (1 - q))  # logits
    p_true = probs[np.arange(len(targets)), targets]
    bits = -np.log2(p_true)
    q_used = np.zeros(len(targets))
    for i in np.flatnonzero(buckets >= 0):
        b = buckets[i]
        qb = q_used[i] = 1 / (1 + math.exp(-a[b]))
        hit = float(guess[i] == targets[i])
        p = qb * hit + (1 - qb) * p_true[i]
        bits[i] = -math.log2(p)
        a[b] += lr * (hit - p_true[i]) * qb * (1 - qb) / p  # d log p / d a
    return {"bits": bits, "q": (1 / (1 + np.exp(-a))).tolist(), "q_used": q_used}


def mixed_distributions(probs: np.ndarray, guess, q_used) -> np.ndarray:
    """The full distributions of :func:`mix`: (N, V) float64, rows summing to 1.

    Args:
        probs:  (N, V) model distributions
        guess:  (N,) match model guesses, −1 for none
        q_used: (N,) the weight of the guess at each character (mix's ``q_used``)
    """
    guess, q_used = np.asarray(guess), np.asarray(q_used)
    out = probs * (1 - q_used)[:, None]  # (N, V)
    rows = np.flatnonzero(guess >= 0)
    out[rows, guess[rows]] += q_used[rows]
    return out
