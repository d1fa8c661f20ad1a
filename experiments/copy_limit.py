"""Copying with a fixed-size state: copy accuracy against the length of the string.

The copy task (``course_rnn.data.copy_task``, 8 symbols, delay 1) at lengths 4 to 32, for the
same three ~10 k-parameter models as the length-generalisation study (LSTM, two-layer minGRU,
causal Transformer), three seeds, 600 Adam updates of 32 strings each (``train_copy``). Reported
per run: the fraction of copied symbols right on 256 fixed test strings (guessing: 1/8).
About 3 minutes on one idle core (the stored run, on a quiet machine: 2 min 37 s of wall time;
training took 152 s of CPU time).

    .venv/bin/python experiments/copy_limit.py   # writes course_rnn/results/copy_limit.json

Book: chapter "Length generalisation and the recurrent comeback", section "The recurrent
comeback". Reference: Jelassi et al. (2024).
"""

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.length_generalisation import KINDS, train_copy  # noqa: E402

LENGTHS = [4, 8, 16, 32]
SETTINGS = {"steps": 600, "batch_size": 32, "lr": 3e-3, "num_symbols": 8, "eval_size": 256}
SEEDS = [0, 1, 2]


def main():
    runs = []
    for length in LENGTHS:
        for kind in KINDS:
            for seed in SEEDS:
                run = train_copy(kind, length, seed=seed, **SETTINGS)
                runs.append(run)
                print(length, kind, seed, run["accuracy"], run["cpu_seconds"], flush=True)
    args = {**SETTINGS, "lengths": LENGTHS, "kinds": list(KINDS)}
    path = save("copy_limit", {"runs": runs}, provenance(__file__, args, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
