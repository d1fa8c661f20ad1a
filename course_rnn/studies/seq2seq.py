"""Train and measure encoder–decoders on dates and on digit copying, deterministically from a seed.

``train_seq2seq(task, attention, seed=..., steps=...)`` trains one
:class:`~course_rnn.torch_nn.models.AttentionSeq2Seq` (bidirectional GRU encoder, GRU decoder with
``attention`` "none", "additive" or "general") with Adam on fresh batches and teacher forcing,
then measures it on a fixed test set. A copy-task batch has one length L, uniform in
[min_len, max_len]; a dates batch mixes formats and so lengths (padded, with the lengths passed on).
The measurements:

- exact-match accuracy of greedy decoding (the whole output up to EOS equals the target), overall
  and by source length (``LENGTH_BINS`` for the copy task, the format for dates);
- the same model's per-character accuracy with teacher forcing (the true previous character is
  read) against free running (its own previous choice is read): the exposure gap.

Everything random comes from ``seed``: the initial weights (torch's global generator inside
``torch.random.fork_rng``, so the caller's generator state is left untouched), the training
batches (NumPy, ``(seed, 0)``) and nothing else. The test sets depend only on the task and its
lengths (seed ``TEST_SEED``), so every run is measured on the same examples.
Book: chapter "Encoder–decoders and attention".
"""

from __future__ import annotations

import time

import numpy as np
import torch

from course_rnn.data.dates import (
    EOS,
    FORMAT_NAMES,
    SOURCE_VOCAB,
    TARGET_CHARS,
    TARGET_VOCAB,
    EncodedPairs,
    encode_pairs,
    make_dates,
    make_digit_copy,
)
from course_rnn.torch_nn.decoding import greedy_decode, sequences
from course_rnn.torch_nn.models.attention_decoder import AttentionSeq2Seq

TASKS = ("dates", "copy")
TEST_SEED = 2  #: the test sets' seed (the course's convention: 0 train, 1 validation, 2 test)
#: the copy task's source-length bins (inclusive) for accuracy against length
LENGTH_BINS = ((5, 10), (11, 15), (16, 20), (21, 25), (26, 30), (31, 35), (36, 40))


def to_torch(batch: EncodedPairs) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
    """((src (S, B), src_lengths (B,)), tgt (T, B)) as int64 tensors, the model's inputs."""
    src, src_lengths, tgt, _ = (torch.from_numpy(np.asarray(a, dtype=np.int64)) for a in batch)
    return (src, src_lengths), tgt


def make_pairs(task: str, n: int, *, rng: np.random.Generator, min_len: int = 5,
               max_len: int = 40) -> tuple[list[str], list[str]]:  # fmt: skip
    """n (source, target) string pairs of ``task`` ("dates", or "copy" with lengths in range)."""
    if task == "dates":
        pairs = make_dates(n, rng=rng)
        return pairs.sources, pairs.targets
    if task == "copy":
        return make_digit_copy(n, min_len=min_len, max_len=max_len, rng=rng)
    raise ValueError(f"train_seq2seq: unknown task {task!r}; expected one of {TASKS}")


def make_test_set(task: str, *, per_length: int = 40, n_dates: int = 1200, min_len: int = 5,
             max_len: int = 40) -> tuple[list[str], list[str]]:  # fmt: skip
    """The fixed test pairs: ``n_dates`` dates, or ``per_length`` strings of every copy length."""
    rng = np.random.default_rng(TEST_SEED)
    if task == "dates":
        return make_pairs("dates", n_dates, rng=rng)
    sources: list[str] = []
    for L in range(min_len, max_len + 1):
        sources += make_digit_copy(per_length, min_len=L, max_len=L, rng=rng)[0]
    return sources, list(sources)


def make_model(task: str, attention: str, *, seed: int, hidden_size: int = 64,
               embed_dim: int = 32) -> AttentionSeq2Seq:  # fmt: skip
    """A freshly initialised model; its weights depend on ``seed`` only."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return AttentionSeq2Seq(
            SOURCE_VOCAB, TARGET_VOCAB, hidden_size=hidden_size, embed_dim=embed_dim,
            attention=attention,
        )  # fmt: skip


def parameter_count(model: torch.nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


@torch.no_grad()
def evaluate(model: AttentionSeq2Seq, sources: list[str], targets: list[str], *,
             chunk: int = 400) -> dict:  # fmt: skip
    """Greedy exact match, teacher-forced and free-running character accuracies, per example.

    Returns:
        dict with per-example lists ``exact`` (bool), ``predictions`` (str) and the overall
        ``tf_char_accuracy`` / ``free_char_accuracy`` / ``tf_exact`` / ``exact_match``
    """
    was_training = model.training
    model.eval()
    exact, preds, tf_exact = [], [], []
    tf_hits = free_hits = total = 0
    for i in range(0, len(sources), chunk):
        inputs, tgt = to_torch(encode_pairs(sources[i : i + chunk], targets[i : i + chunk]))
        T = tgt.shape[0]
        real = tgt >= 0  # (T, B), EOS included
        logits, _ = model.teacher_forced(inputs, tgt)  # (T, B, V)
        tf_right = (logits.argmax(-1) == tgt) & real  # (T, B)
        tf_hits += int(tf_right.sum())
        tf_exact += (tf_right.sum(0) == real.sum(0)).tolist()
        free = greedy_decode(model, inputs, max_len=T + 5, eos_id=EOS)
        ids = free.ids[:T]  # (<= T, B): position t of the free-running output
        ids = torch.cat([ids, ids.new_full((T - ids.shape[0], ids.shape[1]), -1)])  # (T, B)
        free_hits += int(((ids == tgt) & real).sum())
        total += int(real.sum())
        decoded = [
            "".join(TARGET_CHARS[j] for j in seq if j < EOS) for seq in sequences(free.ids, EOS)
        ]
        preds += decoded
        exact += [p == t for p, t in zip(decoded, targets[i : i + chunk], strict=True)]
    model.train(was_training)
    return {
        "exact": exact,
        "predictions": preds,
        "exact_match": float(np.mean(exact)),
        "tf_exact": float(np.mean(tf_exact)),
        "tf_char_accuracy": tf_hits / total,
        "free_char_accuracy": free_hits / total,
    }


def accuracy_by_group(exact: list[bool], groups: list, keys) -> dict:
    """Mean of ``exact`` over the examples of each group key (in the order of ``keys``; None if
    a key has no example)."""
    exact_arr, groups_arr = np.asarray(exact, dtype=float), np.asarray(groups)
    return {str(k): float(exact_arr[groups_arr == k].mean()) if (groups_arr == k).any() else None
            for k in keys}  # fmt: skip


def train_seq2seq(
    task: str,
    attention: str,
    *,
    seed: int,
    steps: int,
    hidden_size: int = 64,
    embed_dim: int = 32,
    batch_size: int = 64,
    lr: float = 3e-3,
    clip: float = 1.0,
    min_len: int = 5,
    max_len: int = 40,
    eval_every: int = 100,
    per_length: int = 40,
    n_dates: int = 1200,
    return_model: bool = False,
) -> dict | tuple[AttentionSeq2Seq, dict]:
    """Train one encoder–decoder with teacher forcing and measure it (module docstring).

    Args:
        task:        "dates" or "copy"
        attention:   "none", "additive" or "general"
        seed:        weights and training batches
        steps:       Adam updates of ``batch_size`` fresh pairs each
        hidden_size: H of each encoder direction and of the decoder; embed_dim: both embeddings
        lr, clip:    Adam's learning rate; the gradient-norm clip
        min_len, max_len: the copy task's source lengths (training and test)
        eval_every:  updates between two points of the training-loss curve (mean over the span)
        per_length, n_dates: test-set sizes (copy: per length; dates: in all)
        return_model: also return the trained model

    Returns:
        dict of settings, ``parameters``, ``loss_curve`` [(step, mean loss)], test measurements
        (``exact_match``, ``tf_char_accuracy``, ``free_char_accuracy``, ``tf_exact``,
        ``by_length`` or ``by_format``) and ``seconds_per_step``; (model, dict) with return_model
    """
    if task not in TASKS:
        raise ValueError(f"train_seq2seq: unknown task {task!r}; expected one of {TASKS}")
    model = make_model(task, attention, seed=seed, hidden_size=hidden_size, embed_dim=embed_dim)
    rng = np.random.default_rng((seed, 0))
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    curve, running = [], []
    started = time.thread_time()
    for step in range(1, steps + 1):
        if task == "copy":  # one length per batch: no padding, no decoder steps wasted on it
            L = int(rng.integers(min_len, max_len + 1))
            src, tgt = make_pairs(task, batch_size, rng=rng, min_len=L, max_len=L)
        else:
            src, tgt = make_pairs(task, batch_size, rng=rng)
        inputs, targets = to_torch(encode_pairs(src, tgt))
        loss = model(inputs, targets).loss
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        running.append(loss.item())
        if step % eval_every == 0:
            curve.append((step, round(float(np.mean(running)), 6)))
            running = []
    seconds = (time.thread_time() - started) / max(steps, 1)
    sources, targets = make_test_set(task, per_length=per_length, n_dates=n_dates, min_len=min_len,
                                max_len=max_len)  # fmt: skip
    measured = evaluate(model, sources, targets)
    result = {
        "task": task, "attention": attention, "seed": seed, "steps": steps,
        "hidden_size": hidden_size, "embed_dim": embed_dim, "batch_size": batch_size, "lr": lr,
        "parameters": parameter_count(model), "loss_curve": curve,
        **{k: round(v, 6) for k, v in measured.items() if isinstance(v, float)},
        "seconds_per_step": round(seconds, 5),
    }  # fmt: skip
    if task == "copy":
        bins = [next(i for i, (lo, hi) in enumerate(LENGTH_BINS) if lo <= len(s) <= hi)
                for s in sources]  # fmt: skip
        keys = [f"{lo}-{hi}" for lo, hi in LENGTH_BINS]
        result["min_len"], result["max_len"] = min_len, max_len
        result["by_length"] = accuracy_by_group(measured["exact"], [keys[b] for b in bins], keys)
    else:
        formats = make_dates(n_dates, rng=np.random.default_rng(TEST_SEED)).formats
        result["by_format"] = accuracy_by_group(
            measured["exact"], [FORMAT_NAMES[f] for f in formats], FORMAT_NAMES
        )
    return (model, result) if return_model else result


def model_from_weights(weights: dict, attention: str) -> AttentionSeq2Seq:
    """An AttentionSeq2Seq holding ``weights`` (NumPy arrays keyed like its state_dict()).

    The sizes are read from the arrays: H from ``init.weight`` (H, 2H), the embedding width from
    ``src_embedding.weight`` (V_src, E). Used with ``course_rnn.results.load_arrays``.
    """
    if "init.weight" not in weights or "src_embedding.weight" not in weights:
        raise ValueError("model_from_weights: weights lack 'init.weight' or 'src_embedding.weight'")
    H = int(np.shape(weights["init.weight"])[0])
    E = int(np.shape(weights["src_embedding.weight"])[1])
    model = make_model("dates", attention, seed=0, hidden_size=H, embed_dim=E)
    model.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in weights.items()})
    return model.eval()
