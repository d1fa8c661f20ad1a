"""The tanh RNN, the LSTM and the GRU on the adding problem (T = 50), equal size and parameters.

Five models (``comparison_configs``: the three cells at H = 64, the RNN and the GRU resized to the
LSTM's parameter count) × three seeds, 1,500 updates of ``train_adding`` each, validation MSE
every 50 updates, then an interleaved timing pass. About 5 minutes on one idle core.

    .venv/bin/python experiments/compare_adding.py

writes course_rnn/results/compare_adding.json.

Book: "Gated recurrent units", section "The comparison".
"""

import functools

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.adding import SOLVED_MSE  # noqa: E402
from course_rnn.studies.compare import adding_stepper, train_adding_compared  # noqa: E402
from course_rnn.studies.compare_sizing import model_parameters  # noqa: E402
from course_rnn.studies.compare_sweep import comparison_configs, sweep  # noqa: E402

SETTINGS = {"hidden_size": 64, "steps": 1_500, "T": 50, "eval_every": 50}
SEEDS = [0, 1, 2]


def count(cell, H):
    return model_parameters(cell, H, input_size=2, outputs=1)  # (T, B, 2) in, one sum out


def main():
    settings = dict(SETTINGS)
    configs = comparison_configs(settings.pop("hidden_size"), count)
    train = functools.partial(train_adding_compared, **settings)
    stepper = functools.partial(adding_stepper, T=SETTINGS["T"])
    results = sweep(configs, SEEDS, train, stepper, report=print)
    meta = {"task": "adding", "metric": "mse", "lower_is_better": True, **SETTINGS,
            "threshold": SOLVED_MSE}  # fmt: skip
    results = {**meta, "configs": results}
    path = save("compare_adding", results, provenance(__file__, SETTINGS, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
