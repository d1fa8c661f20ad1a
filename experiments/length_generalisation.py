"""Length generalisation: train on strings of length <= 20, test up to 160 (8×).

Three tasks of ``course_rnn.data.formal`` (parity, the sum of digits mod 5, balanced brackets),
three models of about 10 k parameters (an LSTM, a two-layer minGRU, a two-layer causal
Transformer with sinusoidal positions), three seeds; each run is ``train_formal`` with 800 Adam
updates of 64 strings. Reported per run: the accuracy of the label at the last step of 512 fixed
test strings of each length 10, 20, 40, 80, 160. About 3 minutes on one idle core (the stored
run, on a quiet machine: 2 min 45 s of wall time; training took 129 s of CPU time).

    .venv/bin/python experiments/length_generalisation.py
    # writes course_rnn/results/length_generalisation.json

Book: chapter "Length generalisation and the recurrent comeback".
"""

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.length_generalisation import KINDS, train_formal  # noqa: E402

TASKS = ["parity", "modular_sum", "dyck"]
SETTINGS = {"train_len": 20, "test_lengths": [10, 20, 40, 80, 160], "steps": 800,
            "batch_size": 64, "lr": 3e-3, "eval_size": 512}  # fmt: skip
SEEDS = [0, 1, 2]


def main():
    runs = []
    for task in TASKS:
        for kind in KINDS:
            for seed in SEEDS:
                run = train_formal(
                    task,
                    kind,
                    seed=seed,
                    **{**SETTINGS, "test_lengths": tuple(SETTINGS["test_lengths"])},
                )
                runs.append(run)
                print(task, kind, seed, run["accuracy"], run["cpu_seconds"], flush=True)
    args = {**SETTINGS, "tasks": TASKS, "kinds": list(KINDS)}
    path = save("length_generalisation", {"runs": runs}, provenance(__file__, args, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
