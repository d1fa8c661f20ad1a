"""The comparison's sweep: which models, every seed of each, one interleaved timing pass.

:func:`comparison_configs` lists the five models of one task: the tanh RNN, the LSTM and the GRU
at one hidden size, and the tanh RNN and the GRU again at the hidden size that gives them the
reference LSTM's parameter count. :func:`sweep` trains every model with every seed and then times
a few updates of all of them in interleaved rounds (``compare_stats.seconds_per_step``). The
experiment scripts ``experiments/compare_*.py`` are this call with their task's settings.

Book: "Gated recurrent units", section "The comparison".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from course_rnn.studies.compare_sizing import hidden_size_for
from course_rnn.studies.compare_stats import seconds_per_step, spread

#: the sizings of the comparison: the LSTM is the reference of both
SIZINGS = ("equal hidden size", "equal parameters")


def comparison_configs(reference_hidden: int, count: Callable[[str, int], int]) -> list[dict]:
    """The five models of one task, each ``{"cell", "sizing", "hidden_size", "parameters"}``.

    Args:
        reference_hidden: H of the reference LSTM (and of the equal-hidden-size models)
        count:            (cell, H) -> the task model's parameter count

    Returns:
        list in the order rnn, lstm, gru at H (sizing "equal hidden size"; the LSTM's is
        "reference"), then rnn and gru sized to the LSTM's count ("equal parameters")
    """
    target = count("lstm", reference_hidden)
    configs = [
        {"cell": cell, "sizing": "reference" if cell == "lstm" else SIZINGS[0],
         "hidden_size": reference_hidden}
        for cell in ("rnn", "lstm", "gru")
    ]  # fmt: skip
    for cell in ("rnn", "gru"):
        H = hidden_size_for(target, lambda h, cell=cell: count(cell, h))
        configs.append({"cell": cell, "sizing": SIZINGS[1], "hidden_size": H})
    for config in configs:
        config["parameters"] = count(config["cell"], config["hidden_size"])
    return configs


def sweep(
    configs: list[dict],
    seeds: Sequence[int],
    train: Callable[..., dict],
    stepper: Callable[[str, int], Callable[[], None]],
    *,
    report: Callable[[str], None] | None = None,
    rounds: int = 5,
    steps: int = 10,
) -> list[dict]:
    """Train every config with every seed, then time them: the configs with their results.

    Args:
        configs: from :func:`comparison_configs` (not modified)
        seeds:   the seeds of every config
        train:   ``train(cell, hidden_size=H, seed=s) -> run dict`` with ``final`` and
                 ``steps_to_threshold`` (a ``functools.partial`` of a ``train_*`` function)
        stepper: ``stepper(cell, H) -> one-update function`` for the timing pass
        report:  called with one line per finished run (e.g. ``print``), or None
        rounds, steps: of the timing pass (``compare_stats.seconds_per_step``)

    Returns:
        list of copies of the configs, each with ``runs`` (one run dict per seed), ``final``
        (the spread of the final metric over the seeds), ``reached`` (how many seeds reached the
        threshold) and ``seconds_per_step``
    """
    results = []
    for config in configs:
        runs = []
        for seed in seeds:
            runs.append(train(config["cell"], hidden_size=config["hidden_size"], seed=seed))
            if report is not None:
                report(
                    f"{config['cell']:4s} H={config['hidden_size']:4d} ({config['sizing']}) "
                    f"seed {seed}: final {runs[-1]['final']:.4f}, "
                    f"threshold at {runs[-1]['steps_to_threshold']}"
                )
        results.append({
            **config,
            "runs": runs,
            "final": spread([run["final"] for run in runs]),
            "reached": sum(run["steps_to_threshold"] is not None for run in runs),
        })  # fmt: skip
    timing = seconds_per_step(
        {i: stepper(c["cell"], c["hidden_size"]) for i, c in enumerate(results)},
        rounds=rounds,
        steps=steps,
    )
    for i, result in enumerate(results):
        result["seconds_per_step"] = timing[i]
    return results


def size_sweep(
    sizes: Sequence,
    cells: Sequence[str],
    seeds: Sequence[int],
    train: Callable[..., dict],
    size_arg: str,
    *,
    report: Callable[[str], None] | None = None,
) -> list[dict]:
    """The data-size study: every cell and seed at every training-set size.

    Args:
        sizes:    values of the size argument, e.g. ``[1 / 16, 1 / 4, 1.0]``
        cells:    e.g. ``["lstm", "gru"]``
        seeds:    the seeds of every (size, cell)
        train:    ``train(cell, seed=s, **{size_arg: size}) -> run dict`` with ``final``, ``best``
                  and ``parameters`` (a ``functools.partial`` of a ``train_*`` function)
        size_arg: the name of the size argument of ``train`` ("train_fraction", "n_train")
        report:   called with one line per finished (size, cell), or None

    Returns:
        list in the order size, then cell: ``{size_arg, "cell", "parameters", "final", "best",
        "runs"}`` with ``final`` and ``best`` the spreads over the seeds
    """
    results = []
    for size in sizes:
        for cell in cells:
            runs = [train(cell, seed=seed, **{size_arg: size}) for seed in seeds]
            results.append({
                size_arg: size,
                "cell": cell,
                "parameters": runs[0]["parameters"],
                "final": spread([run["final"] for run in runs]),
                "best": spread([run["best"] for run in runs]),
                "runs": runs,
            })  # fmt: skip
            if report is not None:
                final = results[-1]["final"]
                report(
                    f"{cell:4s} {size_arg} {size}: final {final['mean']:.4f} ± {final['std']:.4f}"
                )
    return results
