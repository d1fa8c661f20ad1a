"""Is the GRU better on small data sets and the LSTM on large ones? The sentiment task with 250,
1,000 and 4,000 training sentences.

The LSTM and the GRU at the same hidden size (H = 64), three seeds each, the same 600 updates of
32 sentences drawn from the first 250, 1,000 or 4,000 sentences of the fixed pool, test accuracy
on the fixed 2,000 test sentences every 50 updates. About a minute on one idle core.

    .venv/bin/python experiments/data_size_sentiment.py

writes course_rnn/results/data_size_sentiment.json.

Book: "Gated recurrent units", section "Small data, large data".
"""

import functools

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.compare import train_sentiment  # noqa: E402
from course_rnn.studies.compare_sweep import size_sweep  # noqa: E402

SETTINGS = {"hidden_size": 64, "steps": 600, "eval_every": 50, "threshold": 0.95}
SIZES = [250, 1_000, 4_000]
CELLS = ["lstm", "gru"]
SEEDS = [0, 1, 2]


def main():
    train = functools.partial(train_sentiment, **SETTINGS)
    results = size_sweep(SIZES, CELLS, SEEDS, train, "n_train", report=print)
    meta = {"task": "sentiment", "metric": "accuracy", "lower_is_better": False, **SETTINGS}
    args = {**SETTINGS, "sizes": SIZES, "cells": CELLS}
    results = {**meta, "sizes": results}
    path = save("data_size_sentiment", results, provenance(__file__, args, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
