"""The tanh RNN, the LSTM and the GRU on the sentiment task, at equal hidden size and parameters.

Five models (``comparison_configs``: the three cells at H = 64, the RNN and the GRU resized to the
LSTM's parameter count) × three seeds, 600 updates each, test accuracy every 50 updates, then an
interleaved timing pass. About 2 minutes on one idle core.

    .venv/bin/python experiments/compare_sentiment.py

writes course_rnn/results/compare_sentiment.json.

Book: "Gated recurrent units", section "The comparison".
"""

import functools

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.compare import (  # noqa: E402
    EMBED_DIM,
    sentiment_stepper,
    sentiment_vocab_size,
    train_sentiment,
)
from course_rnn.studies.compare_sizing import model_parameters  # noqa: E402
from course_rnn.studies.compare_sweep import comparison_configs, sweep  # noqa: E402

SETTINGS = {"hidden_size": 64, "steps": 600, "n_train": 2_000, "eval_every": 50, "threshold": 0.95}
SEEDS = [0, 1, 2]


def count(cell, H):
    return model_parameters(
        cell, H, input_size=EMBED_DIM, outputs=2, vocab_size=sentiment_vocab_size()
    )


def main():
    settings = dict(SETTINGS)
    configs = comparison_configs(settings.pop("hidden_size"), count)
    train = functools.partial(train_sentiment, **settings)
    results = sweep(configs, SEEDS, train, sentiment_stepper, report=print)
    meta = {"task": "sentiment", "metric": "accuracy", "lower_is_better": False, **SETTINGS}
    path = save(
        "compare_sentiment",
        {**meta, "configs": results},
        provenance(__file__, SETTINGS, SEEDS, STARTED),
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
