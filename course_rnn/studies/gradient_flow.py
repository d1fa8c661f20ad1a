"""How far back a gradient reaches: ‖∂L/∂h_{T−k}‖ and ‖∂L/∂c_{T−k}‖ against the lag k.

The model of :mod:`course_rnn.studies.adding` reads a batch of sequences; the loss is its read-out
scaled so that the gradient arriving at the last state is a unit vector,

    L = Σ_b  (W_hy h_{T,b}) / ‖W_hy‖,      so  ∂L/∂h_T = W_hy / ‖W_hy‖  for every sequence b,

the direction in which the training loss pushes h_T (∂(pred − y)²/∂h_T = 2 (pred − y) W_hy), with
the size of the error taken out. Then ‖∂L/∂h_{T−k}‖ is the factor by which the gradient has grown
or shrunk over k steps, comparable between cells and between an untrained and a trained model.
The sequences of a batch do not interact, so the gradient of L with respect to sequence b's states
is that sequence's own. Autograd computes the total derivatives (both paths of an LSTM, through
h and through c) on a float64 copy of the model, run one step at a time so that every state is a
tensor of its own.

Book: chapter "Long short-term memory".
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from course_rnn.data import adding_problem
from course_rnn.results import load_arrays
from course_rnn.studies.adding import AddingModel, adding_model_from_weights


def state_gradient_norms(model: AddingModel, inputs) -> dict:
    """Mean over the batch of ‖∂L/∂h_{T−k}‖ (and ‖∂L/∂c_{T−k}‖ for an LSTM), k = 0..T.

    Args:
        model:  an AddingModel ("rnn", "lstm" or "gru"); not changed (a float64 copy is used)
        inputs: (T, B, 2) float array or tensor, e.g. ``adding_problem(...).inputs``

    Returns:
        dict with
            h:      (T + 1,) float64   mean per-sequence ‖∂L/∂h_{T−k}‖; h[0] = 1 (the unit start),
                                       h[T] the initial state h_0
            c:      (T + 1,) float64   the same for the cell state c (LSTM), else None
            forget: (T, B, H) float64  the forget gate f_t at every step (LSTM), else None;
                                       ∂c_t/∂c_{t−1} along the cell path is diag(f_t)
    """
    where = "state_gradient_norms"
    if not isinstance(model, AddingModel):
        raise TypeError(f"{where}: model must be an AddingModel, got {type(model).__name__}")
    x = torch.as_tensor(np.asarray(inputs), dtype=torch.float64)
    if x.ndim != 3 or x.shape[2] != 2 or x.shape[0] < 1:
        raise ValueError(f"{where}: inputs expected shape (T, B, 2), got {tuple(x.shape)}")
    T, B, _ = x.shape
    model64 = copy.deepcopy(model).double()
    rnn, H, lstm = model64.rnn, model64.rnn.hidden_size, model.cell == "lstm"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        h = torch.zeros(B, H, dtype=torch.float64, requires_grad=True)  # (B, H) h_0
        c = torch.zeros(B, H, dtype=torch.float64, requires_grad=True)  # (B, H) c_0 (LSTM)
        hs, cs, forget = [h], [c], []
        for t in range(T):  # one step at a time: autograd keeps every h_t and c_t
            if lstm:
                h, c, f = _lstm_step(rnn, x[t], h, c)
                c.retain_grad()
                cs.append(c)
                forget.append(f.detach())
            else:
                h = rnn(x[t : t + 1], h[None])[1][0]  # (B, H)
            h.retain_grad()
            hs.append(h)
        w = model64.head.weight  # (1, H)
        loss = (hs[-1] @ (w / w.norm()).T).sum()  # Σ_b W_hy h_T,b / ‖W_hy‖
        loss.backward()
    finally:
        torch.set_num_threads(threads)
    result = {"h": _mean_norms(hs), "c": None, "forget": None}
    if lstm:
        result["c"] = _mean_norms(cs)
        result["forget"] = torch.stack(forget).numpy()  # (T, B, H)
    return result


def _lstm_step(rnn, x_t, h, c):
    """torch.nn.LSTM's step written out, so that h_t = o ⊙ tanh(c_t) is in autograd's graph.

    Run as one fused operation, the module hides that link: the gradient autograd would keep for
    its c_t output is only the part carried back from step t + 1, not the total dL/dc_t.
    """
    a = x_t @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T + rnn.bias_hh_l0
    a_i, a_f, a_g, a_o = a.chunk(4, dim=1)  # (B, H) each, torch's gate order i, f, g, o
    f = torch.sigmoid(a_f)
    c = f * c + torch.sigmoid(a_i) * torch.tanh(a_g)  # (B, H)
    h = torch.sigmoid(a_o) * torch.tanh(c)  # (B, H)
    return h, c, f


def _mean_norms(states) -> np.ndarray:
    """(T + 1,): entry k is the batch mean of ‖∂L/∂s_{T−k}‖ over states s_0..s_T of (B, H)."""
    T = len(states) - 1
    return np.array([states[T - k].grad.norm(dim=1).mean().item() for k in range(T + 1)])


def lag_ratio(norms: np.ndarray, k: int) -> float:
    """‖∂L/∂·_{T−k}‖ / ‖∂L/∂·_T‖: how much of the gradient at the end survives k steps back.

    Args:
        norms: (T + 1,) float, e.g. ``state_gradient_norms(...)["c"]``
        k:     lag, 0 <= k <= T

    Returns:
        float
    """
    norms = np.asarray(norms, dtype=np.float64)
    if norms.ndim != 1 or not 0 <= k < len(norms):
        raise ValueError(f"lag_ratio: k must be in [0, {len(norms) - 1}], got {k}")
    return float(norms[k] / norms[0])


#: the models the chapter compares: label -> (cell, forget_bias)
MODELS = {
    "tanh RNN": ("rnn", None),
    "LSTM, forget bias 0": ("lstm", 0.0),
    "LSTM, forget bias 1": ("lstm", 1.0),
    "GRU": ("gru", None),
}
#: the seed of the probe batch the norms are measured on (combined with T)
PROBE_SEED = 30_000


def probe_inputs(T: int, batch_size: int = 64) -> np.ndarray:
    """The fixed batch the gradient norms are measured on: (T, B, 2) float32 adding inputs."""
    return adding_problem(T, batch_size, rng=np.random.default_rng((PROBE_SEED, T))).inputs


def flow_summary(model: AddingModel, T: int) -> dict:
    """state_gradient_norms on the probe batch, as plain lists for JSON.

    Returns:
        dict with "h" and "c" ((T + 1,) lists, "c" None unless LSTM) and "forget_mean" (the mean
        forget gate over steps, sequences and units, None unless LSTM)
    """
    flow = state_gradient_norms(model, probe_inputs(T))
    return {
        "h": flow["h"].tolist(),
        "c": None if flow["c"] is None else flow["c"].tolist(),
        "forget_mean": None if flow["forget"] is None else float(flow["forget"].mean()),
    }


def trained_models(name: str = "gradient_flow") -> dict[str, AddingModel]:
    """The models ``experiments/gradient_flow.py`` trained, by label (keys as MODELS).

    Reads ``course_rnn/results/<name>.npz``, whose keys are ``<label>/<state_dict key>``.
    """
    arrays = load_arrays(name)
    models = {}
    for label, (cell, _) in MODELS.items():
        weights = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith(f"{label}/")}
        models[label] = adding_model_from_weights(cell, weights)
    return models
