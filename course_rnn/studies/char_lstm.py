"""A character LSTM on the pydoc corpus: the model, its initialisation, training and stored weights.

The model is the character language model of the chapter "Character language models" with an
LSTM in place of the tanh RNN: an embedding E (V, D), one ``torch.nn.LSTM`` layer and a linear
head (V, H). Training is teacher forcing on random windows of the training text
(``course_rnn.data.random_windows``), Adam, the gradient norm clipped, with the held-out bits per
character measured on a fixed stretch of the held-out text. The initial weights are drawn with
NumPy from the seed (torch's default distributions), so the untrained network of any stored run
can be rebuilt exactly: the chapter uses it as the control of its unit-by-unit measurements.

Weights travel as a dict of NumPy arrays keyed like ``CharLSTM.state_dict()`` plus ``vocab``, the
vocabulary's symbols in id order (the corpus changes a little between Python versions, so the
stored model carries its own vocabulary). ``experiments/lstm_gates.py`` stores a trained one as
``course_rnn/results/lstm_gates.npz``; :func:`load_weights` reads it.

Book: chapter "Long short-term memory".
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from course_rnn.data import Vocab, char_corpus, random_windows
from course_rnn.numpy_nn import init_lstm_params
from course_rnn.results import load_arrays

#: held-out characters the validation curve is measured on (the start of the held-out text)
VALID_CHARS = 20_000


class CharLSTM(nn.Module):
    """Embedding, one LSTM layer and a head: ids (T, B) -> logits (T, B, V) and the final state."""

    def __init__(self, V: int, D: int, H: int):
        super().__init__()
        self.embed = nn.Embedding(V, D)  # E (V, D)
        self.lstm = nn.LSTM(D, H)  # weight_ih_l0 (4H, D), weight_hh_l0 (4H, H), two biases (4H,)
        self.head = nn.Linear(H, V)  # W_hy (V, H), b_y (V,)

    def forward(self, ids: torch.Tensor, state=None):
        x = self.embed(ids)  # (T, B, D)
        h, state = self.lstm(x, state)  # (T, B, H); (h_n, c_n) each (1, B, H)
        return self.head(h), state  # logits (T, B, V)


def init_weights(V: int, D: int, H: int, *, rng: np.random.Generator, forget_bias=1.0) -> dict:
    """torch's default initial weights of a CharLSTM, drawn with NumPy, float32.

    Args:
        V, D, H:     vocabulary, embedding and hidden sizes
        rng:         np.random.Generator
        forget_bias: total forget-gate bias (bias_ih's f block; bias_hh's is 0), or None to keep
                     torch's draw

    Returns:
        dict keyed like CharLSTM(V, D, H).state_dict(): embed.weight N(0, 1), the LSTM's
        U(−1/√H, 1/√H), head.weight and head.bias U(−1/√H, 1/√H)
    """
    weights = {"embed.weight": rng.standard_normal((V, D)).astype(np.float32)}
    lstm = init_lstm_params(D, H, rng=rng, dtype=np.float32)
    if forget_bias is not None:
        lstm["bias_ih_l0"][H : 2 * H] = forget_bias  # gate blocks i, f, g, o: the f block
        lstm["bias_hh_l0"][H : 2 * H] = 0.0
    weights |= {f"lstm.{k}": v for k, v in lstm.items()}
    bound = 1.0 / math.sqrt(H)
    weights["head.weight"] = rng.uniform(-bound, bound, (V, H)).astype(np.float32)
    weights["head.bias"] = rng.uniform(-bound, bound, (V,)).astype(np.float32)
    return weights


def to_model(weights: dict) -> CharLSTM:
    """A CharLSTM holding copies of ``weights`` (a dict from init_weights or load_weights)."""
    V, D = weights["embed.weight"].shape
    H = weights["lstm.weight_hh_l0"].shape[1]
    with torch.device("meta"):  # nothing drawn from torch's global generator
        model = CharLSTM(V, D, H)
    model = model.to_empty(device="cpu")
    state = {k: torch.from_numpy(np.array(v)) for k, v in weights.items() if k != "vocab"}
    model.load_state_dict(state)
    return model


def to_weights(model: CharLSTM) -> dict:
    """The model's state_dict as float32 NumPy arrays."""
    return {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()}


def load_weights(name: str = "lstm_gates") -> tuple[dict, Vocab]:
    """A stored CharLSTM from ``course_rnn/results/<name>.npz``: its weights and its vocabulary."""
    weights = load_arrays(name)
    symbols = [str(s) for s in weights.pop("vocab")]
    return weights, Vocab(symbols[1:], unk=symbols[0])


def train_char_lstm(
    *,
    hidden_size: int,
    embed_size: int,
    steps: int,
    seed: int,
    seq_len: int = 100,
    batch_size: int = 32,
    lr: float = 3e-3,
    clip: float = 1.0,
    forget_bias: float | None = 1.0,
    eval_every: int = 250,
) -> tuple[dict, dict]:
    """Train a CharLSTM on the pydoc corpus's training text.

    Args:
        hidden_size, embed_size: H and D
        steps:       Adam updates, each on batch_size random windows of seq_len characters
        seed:        fixes the initial weights and the windows
        seq_len:     T of a training window (each starts from a zero state)
        batch_size:  B
        lr:          Adam's learning rate
        clip:        gradient-norm threshold
        forget_bias: total forget-gate bias at initialisation, or None for torch's draw
        eval_every:  steps between measurements of the held-out bits per character

    Returns:
        weights: dict of float32 arrays keyed like CharLSTM.state_dict(), plus ``vocab`` (V,) str
        result:  dict of plain types: the arguments, ``V``, ``parameters``, ``curve`` ([[step,
                 held-out bpc], ...] on the first VALID_CHARS held-out characters, from step 0),
                 ``final_bpc``, ``seconds_per_step``
    """
    corpus = char_corpus()
    V = len(corpus.vocab)
    init_seed, data_seed = np.random.SeedSequence(seed).spawn(2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        weights = init_weights(
            V,
            embed_size,
            hidden_size,
            rng=np.random.default_rng(init_seed),
            forget_bias=forget_bias,
        )
        model = to_model(weights)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        data_rng = np.random.default_rng(data_seed)
        valid = torch.from_numpy(corpus.val[: VALID_CHARS + 1])
        curve, seconds = [[0, held_out_bpc(model, valid)]], 0.0
        for step in range(1, steps + 1):
            x, y = random_windows(corpus.train, seq_len, batch_size, rng=data_rng)  # (T, B) each
            start = time.perf_counter()
            logits, _ = model(torch.from_numpy(x))
            loss = nn.functional.cross_entropy(logits.flatten(0, 1), torch.from_numpy(y).flatten())
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            optimizer.step()
            seconds += time.perf_counter() - start
            if step % eval_every == 0 or step == steps:
                curve.append([step, held_out_bpc(model, valid)])
    finally:
        torch.set_num_threads(threads)
    result = {
        "hidden_size": hidden_size,
        "embed_size": embed_size,
        "steps": steps,
        "seed": seed,
        "seq_len": seq_len,
        "batch_size": batch_size,
        "lr": lr,
        "clip": clip,
        "forget_bias": forget_bias,
        "V": V,
        "parameters": sum(p.numel() for p in model.parameters()),
        "curve": curve,
        "final_bpc": curve[-1][1],
        "seconds_per_step": seconds / max(steps, 1),
    }
    weights = to_weights(model) | {"vocab": np.array(corpus.vocab.itos)}
    return weights, result


@torch.no_grad()
def held_out_bpc(model: CharLSTM, ids: torch.Tensor, chunk: int = 1000) -> float:
    """Bits per character of ``ids[1:]`` given the characters before, read as one stream.

    Args:
        model: a CharLSTM
        ids:   (N + 1,) int64 character ids
        chunk: characters per forward call; the state is carried, so the result does not depend
               on it beyond rounding

    Returns:
        float, the mean of −log2 p(c_t | c_<t) over the N predicted characters
    """
    state, nats = None, 0.0
    for start in range(0, len(ids) - 1, chunk):
        x = ids[start : start + chunk][:, None]  # (T, 1)
        y = ids[start + 1 : start + chunk + 1]  # (T,)
        logits, state = model(x[: len(y)], state)
        nats += nn.functional.cross_entropy(logits[:, 0], y, reduction="sum").item()
    return nats / (len(ids) - 1) / math.log(2)
