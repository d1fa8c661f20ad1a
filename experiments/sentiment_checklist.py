"""Which phenomena does word order buy? Five sentiment classifiers on the behavioural test sets.

Two bags of words (a logistic regression on word counts, and the mean of word embeddings with an
MLP), the GRU, the LSTM and a small causal Transformer (about the LSTM's parameter count), five
seeds each, 800 Adam updates of 32 sentences from the fixed training pool
(``course_rnn.data.checklist.make_training_mix``), then the accuracy on every behavioural test set
and the INV / DIR failure rates (``course_rnn.studies.sentiment``). Then the chapter's exercise
on composition: the GRU, three seeds, on a pool in which 200 of the 4,000 sentences are
compositions. A few minutes on one idle core.

    .venv/bin/python experiments/sentiment_checklist.py

writes course_rnn/results/sentiment_checklist.json.

Book: "Sentiment, phenomenon by phenomenon".
"""

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

import numpy as np  # noqa: E402

from course_rnn.data.checklist import PHENOMENA, make_test_set, make_training_mix  # noqa: E402
from course_rnn.data.sentiment import SentimentData  # noqa: E402
from course_rnn.studies.sentiment import (  # noqa: E402
    MODELS,
    evaluation_sets,
    pool_overlap,
    run_checklist,
)

SETTINGS = {"steps": 800}
SEEDS = [0, 1, 2, 3, 4]
COMPOSITION = {
    "model": "gru",
    "seeds": [0, 1, 2],
    "compositions": 200,
    "pool_seeds": [43_000, 43_001],
}


def composition_pool():
    """3,800 sentences of the training mix and 200 compositions: 5 % of the pool."""
    n = COMPOSITION["compositions"]
    mix_seed, comp_seed = COMPOSITION["pool_seeds"]
    mix = make_training_mix(4_000 - n, rng=np.random.default_rng(mix_seed))
    comp = make_test_set("composition", n, rng=np.random.default_rng(comp_seed))
    return SentimentData(
        mix.sentences + comp.sentences,
        np.concatenate([mix.labels, comp.labels]),
        mix.kinds + comp.kinds,
        mix.vocab,
    )


def main():
    runs = []
    for name in MODELS:
        for seed in SEEDS:
            run = run_checklist(name, seed=seed, **SETTINGS)
            print(name, seed, run["scores"], flush=True)
            runs.append(run)
    pool = composition_pool()
    composition_runs = []
    for seed in COMPOSITION["seeds"]:
        run = run_checklist(COMPOSITION["model"], seed=seed, pool=pool, **SETTINGS)
        print("composition-trained", seed, run["scores"], flush=True)
        composition_runs.append(run)
    results = {
        "models": list(MODELS),
        "phenomena": {p.name: {"description": p.description, "in_training": p.in_training}
                      for p in PHENOMENA.values()},
        **SETTINGS,
        "runs": runs,
        "overlap": {name: pool_overlap(evaluation_sets()[name]) for name in ["mix", *PHENOMENA]},
        "composition_trained": {
            **COMPOSITION,
            "test_in_pool": pool_overlap(evaluation_sets()["composition"], pool),
            "runs": composition_runs,
        },
    }  # fmt: skip
    args = {**SETTINGS, "models": list(MODELS), "composition": COMPOSITION}
    path = save("sentiment_checklist", results, provenance(__file__, args, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
