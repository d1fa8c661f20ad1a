"""Does reading both directions pay on named entities? A GRU tagger, one direction or two.

The tagger of ``course_rnn.studies.ner`` (word embedding of width 32, a GRU with H = 32 units per
direction, Adam, six passes over 3,000 training sentences with word dropout), five seeds for each
direction, scored on 1,000 test sentences whose names never occur in training: span F1 overall
and per type (CoNLL-2003), word accuracy, and the accuracy on the sentence-initial ambiguous names
whose type only the next word tells; the same on 1,000 sentences with the training names. Then
the two baselines, the majority tag and a dictionary lookup. 50 s of wall time on one core
(measured).

    .venv/bin/python experiments/ner_tagger.py

writes course_rnn/results/ner_tagger.json.

Book: "A named-entity tagger".
"""

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.data.ner import type_counts  # noqa: E402
from course_rnn.studies.ner import baselines, ner_sets, train_tagger  # noqa: E402

SETTINGS = {"epochs": 6, "hidden_size": 32}
DIRECTIONS = [False, True]  # bidirectional
SEEDS = [0, 1, 2, 3, 4]


def data_summary() -> dict:
    """Sizes of the fixed sets: sentences, words, entities per type, vocabulary."""
    train, test, vocab = ner_sets()
    return {
        name: {"sentences": len(d), "words": sum(map(len, d.sentences)),
               "entities": type_counts(d),
               "right_context": int(sum(r.sum() for r in d.right_context))}
        for name, d in (("train", train), ("test", test))
    } | {"vocab_size": len(vocab)}  # fmt: skip


def main():
    runs = []
    for bidirectional in DIRECTIONS:
        for seed in SEEDS:
            run = train_tagger(bidirectional=bidirectional, seed=seed, **SETTINGS)
            runs.append(run)
            print(f"bidirectional={bidirectional} seed={seed}: span F1 "
                  f"{run['spans']['overall']['f1']:.3f}, right context "
                  f"{run['right_context_accuracy']:.3f}")  # fmt: skip
    results = {"data": data_summary(), "baselines": baselines(), "runs": runs, **SETTINGS}
    args = {**SETTINGS, "directions": DIRECTIONS}
    path = save("ner_tagger", results, provenance(__file__, args, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
