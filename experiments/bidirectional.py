"""Bidirectional RNNs: when the second direction pays (tagging), when it is illegal (a language
model).

Part 1, tagging: ``train_tagger`` for the tanh RNN, the LSTM and the GRU, unidirectional and
bidirectional, five seeds each (300 updates of Adam at 1e-2, B = 32, H = 32 per direction), scored
on the fixed test set of the right-context tagging set; each trained tagger then goes through
``padding_bug`` (short test sentences padded by 0-40 extra steps, read with and without their
lengths). Part 2, the leak: ``leak_study`` for three seeds (an honest and a bidirectional
character GRU, 400 updates each). 1 min 50 s of wall time on one core (measured; reproducible).

    .venv/bin/python experiments/bidirectional.py   # writes course_rnn/results/bidirectional.json

Book: "Bidirectional RNNs".
"""

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.bidirectional import fit_tagger, leak_study, padding_bug  # noqa: E402

CELLS = ["rnn", "lstm", "gru"]
SEEDS = list(range(5))
LEAK_SEEDS = list(range(3))
PADS = [0, 5, 10, 20, 40]


def main():
    taggers = []
    for cell in CELLS:
        for seed in SEEDS:
            for bidirectional in (False, True):
                model, run = fit_tagger(cell, bidirectional=bidirectional, seed=seed)
                run["padding"] = padding_bug(model, pads=PADS)
                taggers.append(run)
                print(
                    f"{cell} bi={bidirectional} seed {seed}: right-context accuracy "
                    f"{run['right_context']:.3f}, with the padding bug {run['padding']['bug']}",
                    flush=True,
                )
    leaks = []
    for seed in LEAK_SEEDS:
        leak = leak_study(seed=seed)
        leaks.append(leak)
        print(
            f"leak seed {seed}: train bits honest {leak['honest']['train_bits']:.3f}, "
            f"bidirectional {leak['bidirectional']['train_bits']:.3f}; sample bits "
            f"{leak['honest']['sample_bits']:.2f} vs {leak['bidirectional']['sample_bits']:.2f}",
            flush=True,
        )
    args = {"cells": CELLS, "pads": PADS, "leak_seeds": LEAK_SEEDS}
    results = {"taggers": taggers, "leak": leaks}
    path = save("bidirectional", results, provenance(__file__, args, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
