"""The recipe every training run of the comparison shares: checked settings and one loop.

:class:`Recipe` holds one run's settings, checked once (cell, hidden size, seed, updates, batch
size, learning rate, clipping, evaluation interval), draws the run's two random streams from its
seed (the initial weights, inside ``torch.random.fork_rng`` so that torch's global generator is
left as it was; and the batches, from a NumPy generator), and runs the loop: Adam, the global
gradient norm clipped, one batch per update, an evaluation every ``eval_every`` updates (and at
step 0 and at the end), on one torch thread. The tasks of :mod:`course_rnn.studies.compare`
supply the model, the batches and the evaluation.

Book: "Gated recurrent units", section "The comparison".
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from course_rnn.studies.compare_sizing import CELLS


class Recipe:
    """The checked settings of one run, and the training loop every task shares.

    Args:
        where:       the calling function's name, for error messages
        cell:        "rnn", "lstm" or "gru"
        hidden_size: H, an int >= 1
        seed:        an int >= 0; split into the seed of the weights and that of the batches
        steps:       Adam updates, >= 1
        batch_size:  B, >= 1
        lr:          Adam's learning rate, > 0
        clip:        the threshold of the global gradient norm, > 0
        eval_every:  updates between two evaluations, >= 1
    """

    def __init__(self, where, cell, hidden_size, seed, steps, batch_size, lr, clip, eval_every):
        if cell not in CELLS:
            raise ValueError(f"{where}: cell must be one of {list(CELLS)}, got {cell!r}")
        self.where, self.cell = where, cell
        self.hidden_size = check_int(where, "hidden_size", hidden_size)
        self.seed = check_int(where, "seed", seed, minimum=0)
        self.steps = check_int(where, "steps", steps)
        self.batch_size = check_int(where, "batch_size", batch_size)
        self.eval_every = check_int(where, "eval_every", eval_every)
        self.lr = check_number(where, "lr", lr, positive=True)
        self.clip = check_number(where, "clip", clip, positive=True)
        init_seed, data_seed = np.random.SeedSequence(self.seed).spawn(2)
        self.init_seed = int(init_seed.generate_state(1)[0])  # for torch.manual_seed
        self.data_rng = np.random.default_rng(data_seed)

    def build(self, make_model: Callable[[], nn.Module]) -> nn.Module:
        """A model drawn from the run's seed, leaving torch's global generator as it was."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.init_seed)
            return make_model()

    def describe(self) -> dict:
        """The run's identity for its result: cell, hidden size, seed, updates."""
        return {"cell": self.cell, "hidden_size": self.hidden_size, "seed": self.seed,
                "steps": self.steps}  # fmt: skip

    def stepper(self, model, batch) -> Callable[[], None]:
        """A function doing one update of ``model`` on the fixed ``batch`` (for timing)."""
        optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)

        def step() -> None:
            _update(model, optimizer, batch, self.clip)

        return step

    def train(self, model, next_batch, evaluate, threshold, *, lower_is_better) -> dict:
        """Train ``model`` and evaluate it along the way.

        Args:
            model:      an nn.Module with the course interface: ``model(inputs, targets).loss``
            next_batch: () -> (inputs, targets), a fresh batch per call
            evaluate:   model -> float, the task's metric on its fixed evaluation data
            threshold:  the metric's value that counts as reached
            lower_is_better: True for bits per character, False for accuracy

        Returns:
            dict: ``parameters``, ``metric``, ``curve`` [[step, value], ...], ``final``, ``best``,
            ``threshold``, ``steps_to_threshold`` (first evaluated step at or past it, or None)
        """
        threshold = check_number(self.where, "threshold", threshold)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # float32 results repeat bit for bit at a fixed thread count
        try:
            optimizer = torch.optim.Adam(model.parameters(), lr=self.lr)
            curve = [[0, evaluate(model)]]
            for step in range(1, self.steps + 1):
                _update(model, optimizer, next_batch(), self.clip)
                if step % self.eval_every == 0 or step == self.steps:
                    curve.append([step, evaluate(model)])
        finally:
            torch.set_num_threads(threads)
        values = [value for _, value in curve]
        reached = [
            step for step, value in curve
            if (value <= threshold if lower_is_better else value >= threshold)
        ]  # fmt: skip
        return {
            "parameters": sum(p.numel() for p in model.parameters()),
            "metric": "bpc" if lower_is_better else "accuracy",
            "curve": curve,
            "final": values[-1],
            "best": min(values) if lower_is_better else max(values),
            "threshold": threshold,
            "steps_to_threshold": reached[0] if reached else None,
        }


def _update(model, optimizer, batch, clip) -> None:
    """One update: forward (the course interface returns the mean loss), backward, clip, step."""
    inputs, targets = batch
    loss = model(inputs, targets).loss
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()


def check_int(where: str, name: str, value, *, minimum: int = 1) -> int:
    """value as an int, or ValueError naming the function and the argument."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def check_number(where: str, name: str, value, *, positive: bool = False) -> float:
    """value as a finite float (> 0 when positive), or ValueError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise ValueError(f"{where}: {name} must be a number, got {value!r}")
    if not math.isfinite(value) or (positive and not value > 0):
        kind = "a positive finite number" if positive else "finite"
        raise ValueError(f"{where}: {name} must be {kind}, got {value}")
    return float(value)
