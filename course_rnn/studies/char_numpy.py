"""A character LSTM trained from scratch in NumPy: truncated BPTT over lanes, clipping, Adam.

The model is the one of ``course_rnn.studies.char_lstm`` (an embedding E (V, D), one LSTM layer,
a head W_hy (V, H)) with its parameters in one dict keyed like ``CharLSTM.state_dict()``
(``embed.weight``, ``lstm.weight_ih_l0`` …, ``head.weight``, ``head.bias``), so the same numbers
load into the torch twin. Every forward and backward pass here is the package's NumPy code
(``embedding_*``, ``lstm_*``, ``temporal_affine_*``, ``softmax_cross_entropy``, ``Adam``,
``clip_grad_norm``); torch appears only in :func:`torch_loss_and_grads` and
:func:`train_torch`, the twin used to check a step and to compare the trained result.

The recipe is min-char-rnn's scheme (Karpathy 2015), done right: the training text is walked in
B parallel lanes, T characters at a time (``course_rnn.data.sequential_batches``); the state at
the end of one window is the initial state of the next, its gradient cut at the window's edge
(truncated BPTT); the state is reset to zero at the start of every pass over the text; the
held-out bits per character are measured on the held-out last tenth of the corpus, read as one
stream with the state carried, never on training text.

Book: chapter "A character model in NumPy".
References: Karpathy, min-char-rnn (2015); Williams & Peng (1990), truncated BPTT; Kingma & Ba
(2015), Adam; Pascanu, Mikolov & Bengio (2013), gradient clipping.
"""

from __future__ import annotations

import math
import time

import numpy as np

from course_rnn.data import char_corpus, sequential_batches
from course_rnn.numpy_nn import (
    Adam,
    clip_grad_norm,
    embedding_backward,
    embedding_forward,
    init_lstm_params,
    log_softmax,
    lstm_backward,
    lstm_forward,
    lstm_step_forward,
    softmax_cross_entropy,
    temporal_affine_backward,
    temporal_affine_forward,
)
from course_rnn.training.progress import progress_bar, progress_enabled

#: the parameter names, keyed like course_rnn.studies.char_lstm.CharLSTM's state_dict()
LSTM_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")

#: the text every sample starts from
PRIME = "The "


def init_params(V: int, D: int, H: int, *, rng: np.random.Generator, dtype=np.float32) -> dict:
    """The initial parameters, drawn exactly as ``char_lstm.init_weights`` (forget bias 1).

    Args:
        V, D, H: vocabulary, embedding and hidden sizes
        rng:     np.random.Generator
        dtype:   float dtype of every array

    Returns:
        dict: embed.weight (V, D) N(0, 1); lstm.* torch's U(−1/√H, 1/√H) with the forget-gate
        block of bias_ih set to 1 and of bias_hh to 0; head.weight (V, H), head.bias (V,)
        U(−1/√H, 1/√H)
    """
    params = {"embed.weight": rng.standard_normal((V, D)).astype(np.float32)}
    lstm = init_lstm_params(D, H, rng=rng, dtype=np.float32)
    lstm["bias_ih_l0"][H : 2 * H] = 1.0  # gate blocks i, f, g, o: the f block
    lstm["bias_hh_l0"][H : 2 * H] = 0.0
    params |= {f"lstm.{k}": v for k, v in lstm.items()}
    bound = 1.0 / math.sqrt(H)
    params["head.weight"] = rng.uniform(-bound, bound, (V, H)).astype(np.float32)
    params["head.bias"] = rng.uniform(-bound, bound, (V,)).astype(np.float32)
    return {k: v.astype(dtype) for k, v in params.items()}


def _lstm(params: dict) -> dict:
    return {k: params[f"lstm.{k}"] for k in LSTM_KEYS}


def zero_state(params: dict, B: int) -> tuple[np.ndarray, np.ndarray]:
    """(h0, c0), each (1, B, H) zeros of the parameters' dtype."""
    H = params["lstm.weight_hh_l0"].shape[1]
    dtype = params["head.weight"].dtype
    return np.zeros((1, B, H), dtype), np.zeros((1, B, H), dtype)


def loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray, state):
    """One window: the mean loss, every gradient, and the final state to carry to the next window.

    Args:
        params: dict of init_params' keys and shapes
        x:      (T, B) int character ids, the window's inputs
        y:      (T, B) int, the next characters (targets)
        state:  (h0, c0), each (1, B, H): the state the previous window ended in (its value only)

    Returns:
        L:      float, the mean cross-entropy over the T·B positions, in nats
        grads:  dict keyed like params. The window's edge cuts the gradient: nothing flows into
                the state the window started from (dh0, dc0 are dropped), and nothing comes back
                from the next window (dstate_n is None)
        state:  (h_n, c_n), each (1, B, H), to start the next window from
    """
    V = params["embed.weight"].shape[0]
    emb, emb_cache = embedding_forward(x, params["embed.weight"])  # (T, B, D)
    h, state_n, lstm_cache = lstm_forward(emb, _lstm(params), state)  # (T, B, H)
    o, head_cache = temporal_affine_forward(h, params["head.weight"], params["head.bias"])
    L, do = softmax_cross_entropy(o, y)  # do (T, B, V)
    dh, dW_hy, db_y = temporal_affine_backward(do, head_cache)  # dh (T, B, H) = dout
    demb, _, dlstm = lstm_backward(dh, None, lstm_cache)  # (dh0, dc0) dropped: the cut
    dE = embedding_backward(demb, emb_cache[0], V)  # (V, D), scatter-add
    grads = {"embed.weight": dE, "head.weight": dW_hy, "head.bias": db_y}
    grads |= {f"lstm.{k}": v for k, v in dlstm.items()}
    return L, {k: grads[k] for k in params}, state_n


def held_out_bpc(params: dict, ids: np.ndarray, chunk: int = 1000) -> float:
    """Bits per character of ``ids[1:]`` given the characters before, read as ONE stream.

    The state is carried from chunk to chunk (no gradient, no reset), so the result does not
    depend on ``chunk`` beyond rounding; the sum of −log p runs in float64.

    Args:
        params: dict of init_params' keys
        ids:    (N + 1,) int character ids (the held-out text)
        chunk:  characters per forward call

    Returns:
        float, the mean of −log2 p(c_t | c_<t) over the N predicted characters
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) < 2:
        raise ValueError(f"held_out_bpc: ids expected (N + 1,) with N >= 1, got {ids.shape}")
    state, nats = zero_state(params, 1), 0.0
    for start in range(0, len(ids) - 1, chunk):
        y = ids[start + 1 : start + chunk + 1][:, None]  # (T, 1)
        x = ids[start : start + len(y)][:, None]  # (T, 1)
        emb, _ = embedding_forward(x, params["embed.weight"])  # (T, 1, D)
        h, state, _ = lstm_forward(emb, _lstm(params), state)  # (T, 1, H)
        o, _ = temporal_affine_forward(h, params["head.weight"], params["head.bias"])
        logp = log_softmax(o, axis=-1)  # (T, 1, V)
        nats -= np.take_along_axis(logp, y[..., None], axis=-1).sum(dtype=np.float64)
    return float(nats / (len(ids) - 1) / math.log(2))


def sample(
    params: dict, vocab, n: int, *, rng: np.random.Generator, temperature: float = 0.8
) -> str:
    """Generate n characters after PRIME, one step at a time, from softmax(o_t / temperature).

    Args:
        params:      dict of init_params' keys
        vocab:       the corpus's Vocab
        n:           characters to generate
        rng:         np.random.Generator (a fresh one with a fixed seed makes samples comparable)
        temperature: > 0; below 1 sharpens the distribution

    Returns:
        str: PRIME followed by the n generated characters
    """
    if temperature <= 0:
        raise ValueError(f"sample: temperature must be > 0, got {temperature}")
    W_ih, W_hh, b_ih, b_hh = (params[f"lstm.{k}"] for k in LSTM_KEYS)
    E, W_hy, b_y = params["embed.weight"], params["head.weight"], params["head.bias"]
    h, c = (s[0] for s in zero_state(params, 1))  # (1, H) each
    ids = list(vocab.encode(PRIME))
    for k in range(len(ids) + n - 1):
        h, c, _ = lstm_step_forward(E[ids[k : k + 1]], h, c, W_ih, W_hh, b_ih, b_hh)
        if k >= len(ids) - 1:  # past the prime: draw the next character
            o = (h @ W_hy.T + b_y)[0].astype(np.float64) / temperature  # (V,)
            p = np.exp(o - o.max())
            ids.append(int(rng.choice(len(p), p=p / p.sum())))
    return vocab.decode(np.array(ids))


def train_numpy(
    *,
    hidden_size: int,
    embed_size: int,
    steps: int,
    seed: int,
    seq_len: int = 64,
    batch_size: int = 32,
    lr: float = 3e-3,
    clip: float = 1.0,
    eval_at: tuple[int, ...] = (),
    sample_at: tuple[int, ...] = (),
    sample_len: int = 200,
    sample_seed: int = 0,
    temperature: float = 0.8,
    progress: bool | None = None,
) -> tuple[dict, dict]:
    """Train the NumPy character LSTM on the training text by truncated BPTT over B lanes.

    Args:
        hidden_size, embed_size: H and D
        steps:       Adam updates, one per window of seq_len steps × batch_size lanes
        seed:        fixes the initial parameters (the windows are the text in order)
        seq_len:     T, steps per window (the gradient is cut at the window's edges)
        batch_size:  B, lanes of the text walked in parallel
        lr, clip:    Adam's learning rate and the gradient-norm threshold
        eval_at:     steps after which the held-out bpc is measured (step 0: untrained)
        sample_at:   steps after which a sample is drawn (same rng seed, same temperature)
        sample_len, sample_seed, temperature: the samples' length, rng seed and temperature
        progress:    tqdm bar: True/False, or None for course_rnn.training.progress's rule

    Returns:
        params: the trained float32 parameters
        result: dict of plain types: the arguments, ``V``, ``parameters``, ``loss`` (training
                loss of every step, nats), ``grad_norm`` (before clipping), ``passes``, ``curve``
                ([[step, held-out bpc], ...]), ``samples`` ({step: text}), ``cpu_seconds``
    """
    corpus = char_corpus()
    V = len(corpus.vocab)
    params = init_params(V, embed_size, hidden_size, rng=np.random.default_rng(seed))
    optimizer = Adam(params, lr=lr)
    curve, samples, losses, norms = [], {}, [], []

    def record(step: int) -> None:
        if step in eval_at:
            curve.append([step, held_out_bpc(params, corpus.val)])
        if step in sample_at:
            rng = np.random.default_rng(sample_seed)
            samples[str(step)] = sample(params, corpus.vocab, sample_len, rng=rng,
                                        temperature=temperature)  # fmt: skip

    record(0)
    bar = progress_bar(steps, enabled=progress_enabled(progress), desc="NumPy char LSTM")
    started, step, passes = time.thread_time(), 0, 0
    while step < steps:
        passes += 1
        state = zero_state(params, batch_size)  # every pass starts from h0 = c0 = 0
        for x, y in sequential_batches(corpus.train, seq_len, batch_size):  # (T, B) each
            L, grads, state = loss_and_grads(params, x, y, state)  # state: value carried on
            norms.append(clip_grad_norm(grads, clip))
            optimizer.step(grads)
            losses.append(L)
            step += 1
            bar.update(1)
            if step % 50 == 0:
                bar.set_postfix(bpc=f"{L / math.log(2):.2f}")
            record(step)
            if step == steps:
                break
    bar.close()
    result = {
        "hidden_size": hidden_size,
        "embed_size": embed_size,
        "steps": steps,
        "seed": seed,
        "seq_len": seq_len,
        "batch_size": batch_size,
        "lr": lr,
        "clip": clip,
        "temperature": temperature,
        "V": V,
        "parameters": int(sum(p.size for p in params.values())),
        "loss": losses,
        "grad_norm": norms,
        "passes": passes,
        "curve": curve,
        "samples": samples,
        "cpu_seconds": time.thread_time() - started,
    }
    return params, result


def torch_loss_and_grads(params: dict, x: np.ndarray, y: np.ndarray, state):
    """The torch twin of :func:`loss_and_grads` (``char_lstm.CharLSTM`` and autograd).

    Same arguments and returns; the parameters' dtype is kept (use float64 to compare).
    """
    import torch

    from course_rnn.studies.char_lstm import CharLSTM

    V, D = params["embed.weight"].shape
    H = params["lstm.weight_hh_l0"].shape[1]
    dtype = torch.float64 if params["head.weight"].dtype == np.float64 else torch.float32
    with torch.device("meta"):  # nothing drawn from torch's generator
        model = CharLSTM(V, D, H)
    model = model.to_empty(device="cpu").to(dtype)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in params.items()})
    logits, (h_n, c_n) = model(torch.from_numpy(x), tuple(torch.from_numpy(s) for s in state))
    loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), torch.from_numpy(y).flatten())
    loss.backward()
    grads = {k: p.grad.numpy() for k, p in model.named_parameters()}
    return loss.item(), grads, (h_n.detach().numpy(), c_n.detach().numpy())


def train_torch(
    *,
    hidden_size: int,
    embed_size: int,
    steps: int,
    seed: int,
    seq_len: int = 64,
    batch_size: int = 32,
    lr: float = 3e-3,
    clip: float = 1.0,
    eval_at: tuple[int, ...] = (),
) -> tuple[dict, dict]:
    """The same model, initial weights, batches and recipe trained with torch (for comparison).

    Args: as :func:`train_numpy` (no samples, no bar).

    Returns:
        params: the trained float32 parameters as NumPy arrays (keyed like init_params)
        result: dict: the arguments, ``loss``, ``curve`` (held-out bpc measured by the same
                NumPy :func:`held_out_bpc`), ``cpu_seconds``
    """
    import torch

    from course_rnn.studies.char_lstm import to_model, to_weights

    corpus = char_corpus()
    V = len(corpus.vocab)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = to_model(init_params(V, embed_size, hidden_size, rng=np.random.default_rng(seed)))
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        curve, losses = [], []

        def record(step: int) -> None:
            if step in eval_at:
                curve.append([step, held_out_bpc(to_weights(model), corpus.val)])

        record(0)
        started, step = time.thread_time(), 0
        while step < steps:
            state = None  # every pass starts from zeros
            for x, y in sequential_batches(corpus.train, seq_len, batch_size):
                logits, state = model(torch.from_numpy(x), state)
                state = tuple(s.detach() for s in state)  # value carried, gradient cut
                loss = torch.nn.functional.cross_entropy(
                    logits.flatten(0, 1), torch.from_numpy(y).flatten()
                )
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                optimizer.step()
                losses.append(loss.item())
                step += 1
                record(step)
                if step == steps:
                    break
        cpu_seconds = time.thread_time() - started
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
        "loss": losses,
        "curve": curve,
        "cpu_seconds": cpu_seconds,
    }
    return to_weights(model), result
