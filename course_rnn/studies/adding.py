"""Train a tanh RNN, an LSTM or a GRU on the adding problem, deterministically from one seed.

The model reads the (T, B, 2) inputs of :func:`course_rnn.data.adding_problem` with one
``torch.nn.RNN``, ``LSTM`` or ``GRU`` layer and predicts the sum from the last hidden state with
a linear read-out; Adam minimises the mean squared error on fresh batches, with the gradient norm
optionally clipped. Everything random comes from ``seed``: the initial weights (torch's default
distribution, drawn with NumPy, so torch's global generator is never touched) and the stream of
training batches. The validation batch is fixed and the same for every seed and cell (it depends
on T and ``eval_size`` only), so curves of different runs are measured on the same sequences.

Predicting the mean, 1, gives an MSE of 1/6 (``ADDING_BASELINE_MSE``); using the second marked
number but not the first, 1/12. The default threshold, 0.01, is 6 % of the baseline and far below
1/12: only a model that holds the *first* number for up to T steps gets there.

``forget_bias`` sets the LSTM's forget-gate bias at initialisation (Gers, Schmidhuber & Cummins
2000; Jozefowicz, Zaremba & Sutskever 2015): torch keeps two biases, ``bias_ih`` and ``bias_hh``,
that enter the gates only through their sum; the forget block (rows H:2H, torch's gate order i, f,
g, o) of ``bias_ih`` is set to ``forget_bias`` and that of ``bias_hh`` to 0, so the total
forget-gate bias is exactly ``forget_bias``. ``None`` keeps torch's default initialisation.

Book: chapter "Long short-term memory".
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn

from course_rnn.data import ADDING_BASELINE_MSE, adding_problem
from course_rnn.numpy_nn import init_gru_params, init_lstm_params, init_rnn_params

#: cell name -> (torch.nn class, NumPy initialiser with torch's distribution)
CELLS = {
    "rnn": (nn.RNN, init_rnn_params),
    "lstm": (nn.LSTM, init_lstm_params),
    "gru": (nn.GRU, init_gru_params),
}
#: the seed of the fixed validation batch (combined with T)
VALIDATION_SEED = 20_000
#: the default "solved" level: 6 % of the baseline 1/6, far below the second-number-only 1/12
SOLVED_MSE = 0.01


class AddingModel(nn.Module):
    """One recurrent layer and a linear read-out of its last state: (T, B, 2) -> (B,)."""

    def __init__(self, cell: str, hidden_size: int):
        super().__init__()
        self.cell = cell
        self.rnn = CELLS[cell][0](2, hidden_size)  # weights set by make_adding_model
        self.head = nn.Linear(hidden_size, 1)  # W_hy (1, H), b_y (1,)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Predicted sums (B,) from inputs (T, B, 2)."""
        _, state = self.rnn(inputs)  # h_n (1, B, H), or (h_n, c_n) for the LSTM
        h_n = state[0] if self.cell == "lstm" else state
        return self.head(h_n[0]).squeeze(-1)  # (B,)


def make_adding_model(
    cell: str, hidden_size: int, *, rng: np.random.Generator, forget_bias: float | None = None
) -> AddingModel:
    """A float32 :class:`AddingModel` initialised from ``rng`` (torch's default distribution).

    Args:
        cell:        "rnn" (tanh), "lstm" or "gru"
        hidden_size: H
        rng:         np.random.Generator; the only source of the initial weights
        forget_bias: LSTM only: the total forget-gate bias (module docstring), or None

    Returns:
        AddingModel whose recurrent weights are U(−1/√H, 1/√H) like torch's, read-out likewise
    """
    cell, hidden_size = _check_cell(cell, hidden_size, forget_bias, "make_adding_model")
    with torch.device("meta"):  # torch.nn draws nothing from its global generator here
        model = AddingModel(cell, hidden_size)
    model = model.to_empty(device="cpu")  # allocated, then every parameter is overwritten
    params = CELLS[cell][1](2, hidden_size, rng=rng, dtype=np.float32)  # torch's state_dict keys
    bound = 1.0 / math.sqrt(hidden_size)  # nn.Linear's default: U(−1/√H, 1/√H) for both
    params_head = {
        "weight": rng.uniform(-bound, bound, size=(1, hidden_size)).astype(np.float32),
        "bias": rng.uniform(-bound, bound, size=(1,)).astype(np.float32),
    }
    if forget_bias is not None:
        H = hidden_size
        params["bias_ih_l0"][H : 2 * H] = forget_bias  # (4H,) blocks i, f, g, o: the f block
        params["bias_hh_l0"][H : 2 * H] = 0.0  # so that the sum is forget_bias
    model.rnn.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()})
    model.head.load_state_dict({k: torch.from_numpy(v) for k, v in params_head.items()})
    return model


def adding_model_from_weights(cell: str, weights: dict) -> AddingModel:
    """An AddingModel holding copies of ``weights`` (NumPy arrays keyed like its state_dict()).

    Args:
        cell:    "rnn", "lstm" or "gru"
        weights: rnn.weight_ih_l0 (G·H, 2), rnn.weight_hh_l0 (G·H, H), rnn.bias_ih_l0,
                 rnn.bias_hh_l0 (G·H,), head.weight (1, H), head.bias (1,); G = 1, 4, 3

    Returns:
        AddingModel, float32 like every model here
    """
    hidden_size = np.shape(weights.get("rnn.weight_hh_l0", ()))[-1:]
    if not hidden_size:
        raise ValueError("adding_model_from_weights: weights lack 'rnn.weight_hh_l0'")
    cell, H = _check_cell(cell, int(hidden_size[0]), None, "adding_model_from_weights")
    with torch.device("meta"):
        model = AddingModel(cell, H)
    model = model.to_empty(device="cpu")
    model.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in weights.items()})
    return model


def forget_gate_bias(model: AddingModel) -> np.ndarray:
    """The total forget-gate bias b_ih[H:2H] + b_hh[H:2H] of an LSTM model, (H,) float32."""
    if model.cell != "lstm":
        raise ValueError(f"forget_gate_bias: the model's cell is {model.cell!r}, not 'lstm'")
    H = model.rnn.hidden_size
    total = model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0  # (4H,)
    return total[H : 2 * H].detach().numpy().copy()


def validation_batch(T: int, eval_size: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """The fixed validation batch for sequences of length T: inputs (T, N, 2), targets (N,)."""
    batch = adding_problem(T, eval_size, rng=np.random.default_rng((VALIDATION_SEED, T)))
    return torch.from_numpy(batch.inputs), torch.from_numpy(batch.targets)


def train_adding(
    cell: str,
    *,
    T: int,
    hidden_size: int,
    seed: int,
    steps: int,
    batch_size: int = 64,
    lr: float = 3e-3,
    clip: float | None = 1.0,
    forget_bias: float | None = None,
    threshold: float = SOLVED_MSE,
    eval_every: int = 25,
    eval_size: int = 512,
    return_model: bool = False,
) -> dict | tuple[AddingModel, dict]:
    """Train one model on the adding problem and report its validation curve.

    Args:
        cell:         "rnn" (tanh), "lstm" or "gru"
        T:            sequence length, >= 2
        hidden_size:  H
        seed:         int >= 0; fixes the initial weights and the training batches
        steps:        Adam updates, one fresh batch each
        batch_size:   B, sequences per update
        lr:           Adam's learning rate
        clip:         the gradient-norm threshold c of clip_grad_norm_, or None for no clipping
        forget_bias:  LSTM only: the total forget-gate bias at initialisation, or None (torch's)
        threshold:    validation MSE that counts as solved, in (0, ADDING_BASELINE_MSE)
        eval_every:   steps between evaluations on the fixed validation batch (also at 0, end)
        eval_size:    sequences in the validation batch
        return_model: also return the trained model (for measurements after training)

    Returns:
        result, or (model, result) when ``return_model``; the result is a dict of plain Python
        types: ``cell``, ``T``, ``hidden_size``, ``seed``, ``steps``, ``parameters``
        (trainable, read-out included), ``forget_bias``, ``clip``, ``threshold``, ``curve``
        ([[step, validation MSE], ...] from step 0), ``final_mse``,
        ``steps_to_threshold`` (the first evaluated step below the threshold, or None),
        ``solved`` (final_mse < threshold), ``max_grad_norm`` (largest gradient norm before
        clipping), ``grad_norm_curve`` ([[step, the largest norm since the evaluation before],
        ...], at the evaluated steps after 0), ``seconds_per_step`` (training only; the one
        number that varies from run to run)
    """
    where = "train_adding"
    cell, hidden_size = _check_cell(cell, hidden_size, forget_bias, where)
    T = _check_int(where, "T", T, minimum=2)
    seed = _check_int(where, "seed", seed, minimum=0)
    steps = _check_int(where, "steps", steps, minimum=0)
    batch_size = _check_int(where, "batch_size", batch_size)
    eval_every = _check_int(where, "eval_every", eval_every)
    eval_size = _check_int(where, "eval_size", eval_size)
    lr = _check_positive(where, "lr", lr)
    if clip is not None:
        clip = _check_positive(where, "clip", clip)
    threshold = _check_positive(where, "threshold", threshold)
    if threshold >= ADDING_BASELINE_MSE:
        raise ValueError(
            f"{where}: threshold must be below the baseline MSE {ADDING_BASELINE_MSE:.4f} "
            f"(predicting the mean), got {threshold}"
        )
    init_seed, data_seed = np.random.SeedSequence(seed).spawn(2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # float32 results repeat bit for bit at a fixed thread count
    try:
        model = make_adding_model(
            cell, hidden_size, rng=np.random.default_rng(init_seed), forget_bias=forget_bias
        )
        curve, norms, seconds = _train(
            model, T, steps, batch_size, lr, clip, eval_every, eval_size, data_seed
        )
    finally:
        torch.set_num_threads(threads)
    reached = [step for step, mse in curve if mse < threshold]
    result = {
        "cell": cell,
        "T": T,
        "hidden_size": hidden_size,
        "seed": seed,
        "steps": steps,
        "parameters": sum(p.numel() for p in model.parameters()),
        "forget_bias": None if forget_bias is None else float(forget_bias),
        "clip": clip,
        "threshold": threshold,
        "curve": curve,
        "final_mse": curve[-1][1],
        "steps_to_threshold": reached[0] if reached else None,
        "solved": curve[-1][1] < threshold,
        "max_grad_norm": max(norm for _, norm in norms) if norms else 0.0,
        "grad_norm_curve": norms,
        "seconds_per_step": seconds / max(steps, 1),
    }
    return (model, result) if return_model else result


def _train(model, T, steps, batch_size, lr, clip, eval_every, eval_size, data_seed):
    """The training loop: the validation curve, the largest gradient norm of every evaluation
    interval ([[step, norm], ...], before clipping) and the seconds spent training."""
    valid_x, valid_y = validation_batch(T, eval_size)
    data_rng = np.random.default_rng(data_seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    curve, norms, seconds = [[0, _mse(model, valid_x, valid_y)]], [], 0.0
    largest = 0.0  # since the last evaluation
    for step in range(1, steps + 1):
        batch = adding_problem(T, batch_size, rng=data_rng)
        start = time.perf_counter()
        loss = nn.functional.mse_loss(
            model(torch.from_numpy(batch.inputs)), torch.from_numpy(batch.targets)
        )
        optimizer.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), math.inf if clip is None else clip)
        optimizer.step()
        seconds += time.perf_counter() - start
        largest = max(largest, float(norm))
        if step % eval_every == 0 or step == steps:
            curve.append([step, _mse(model, valid_x, valid_y)])
            norms.append([step, largest])
            largest = 0.0
    return curve, norms, seconds


@torch.no_grad()
def _mse(model, inputs, targets) -> float:
    return float(nn.functional.mse_loss(model(inputs), targets))


def _check_cell(cell, hidden_size, forget_bias, where):
    if cell not in CELLS:
        raise ValueError(f"{where}: cell must be one of {sorted(CELLS)}, got {cell!r}")
    hidden_size = _check_int(where, "hidden_size", hidden_size)
    if forget_bias is not None:
        if cell != "lstm":
            raise ValueError(
                f"{where}: forget_bias is for cell='lstm' only (the {cell} has no forget gate); "
                f"got forget_bias={forget_bias!r} with cell={cell!r}"
            )
        if isinstance(forget_bias, bool) or not isinstance(forget_bias, int | float):
            raise TypeError(f"{where}: forget_bias must be a number or None, got {forget_bias!r}")
        if not math.isfinite(forget_bias):
            raise ValueError(f"{where}: forget_bias must be finite, got {forget_bias}")
    return cell, hidden_size


def _check_int(where, name, value, *, minimum=1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _check_positive(where, name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{where}: {name} must be a positive number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{where}: {name} must be finite, got {value}")
    return float(value)
