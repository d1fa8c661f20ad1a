"""The tanh RNN, the LSTM and the GRU as character language models, equal size and parameters.

Five models (``comparison_configs``: the three cells at H = 128, the RNN and the GRU resized to
the LSTM's parameter count) × three seeds, 1,000 updates on random windows of the pydoc corpus,
held-out bits per character every 100 updates; then the interleaved timing pass, once as torch
runs by default and once with its oneDNN kernels switched off (torch's CPU LSTM has a fused
oneDNN kernel, its GRU has none). About 7 minutes on one idle core.

    .venv/bin/python experiments/compare_char_lm.py

writes course_rnn/results/compare_char_lm.json.

Book: "Gated recurrent units", section "The comparison".
"""

import functools
import warnings

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

import torch  # noqa: E402

from course_rnn.studies.compare import (  # noqa: E402
    EMBED_DIM,
    char_lm_stepper,
    char_vocab_size,
    train_char_lm,
)
from course_rnn.studies.compare_sizing import model_parameters  # noqa: E402
from course_rnn.studies.compare_stats import seconds_per_step  # noqa: E402
from course_rnn.studies.compare_sweep import comparison_configs, sweep  # noqa: E402

SETTINGS = {"hidden_size": 128, "steps": 1_000, "eval_every": 100, "threshold": 2.3}
SEEDS = [0, 1, 2]


def count(cell, H):
    V = char_vocab_size()
    return model_parameters(cell, H, input_size=EMBED_DIM, outputs=V, vocab_size=V)


def main():
    settings = dict(SETTINGS)
    configs = comparison_configs(settings.pop("hidden_size"), count)
    train = functools.partial(train_char_lm, **settings)
    results = sweep(configs, SEEDS, train, char_lm_stepper, report=print)
    with warnings.catch_warnings():  # the flag's note about Intel GPUs, which do not matter here
        warnings.simplefilter("ignore", UserWarning)
        with torch.backends.mkldnn.flags(enabled=False):
            steppers = {
                i: char_lm_stepper(c["cell"], c["hidden_size"]) for i, c in enumerate(configs)
            }
            without = seconds_per_step(steppers)
    for i, result in enumerate(results):
        result["seconds_per_step_without_onednn"] = without[i]
    meta = {"task": "char_lm", "metric": "bpc", "lower_is_better": True, **SETTINGS}
    results = {**meta, "configs": results}
    path = save("compare_char_lm", results, provenance(__file__, SETTINGS, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
