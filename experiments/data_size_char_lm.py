"""Is the GRU better on small data sets and the LSTM on large ones? Character LMs on 1/16, 1/4
and all of the pydoc training text.

The LSTM and the GRU at the same hidden size (H = 128), three seeds each, the same 1,000 updates
on random windows of the first 1/16, 1/4 or all of the training text, held-out bits per
character (always on the whole held-out tenth) every 100 updates. About 7 minutes on one idle
core.

    .venv/bin/python experiments/data_size_char_lm.py

writes course_rnn/results/data_size_char_lm.json.

Book: "Gated recurrent units", section "Small data, large data".
"""

import functools

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.compare import train_char_lm  # noqa: E402
from course_rnn.studies.compare_sweep import size_sweep  # noqa: E402

SETTINGS = {"hidden_size": 128, "steps": 1_000, "eval_every": 100, "threshold": 2.3}
FRACTIONS = [1 / 16, 1 / 4, 1.0]
CELLS = ["lstm", "gru"]
SEEDS = [0, 1, 2]


def main():
    train = functools.partial(train_char_lm, **SETTINGS)
    results = size_sweep(FRACTIONS, CELLS, SEEDS, train, "train_fraction", report=print)
    for entry in results:
        entry["train_size"] = entry["runs"][0]["train_size"]  # characters
    meta = {"task": "char_lm", "metric": "bpc", "lower_is_better": True, **SETTINGS}
    args = {**SETTINGS, "fractions": FRACTIONS, "cells": CELLS}
    results = {**meta, "sizes": results}
    path = save("data_size_char_lm", results, provenance(__file__, args, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
