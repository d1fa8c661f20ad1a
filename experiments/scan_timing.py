"""minGRU by a Python loop and by a parallel scan, against torch.nn.GRU, across T = 16 … 4096.

Forward and backward of one layer (D = H = 64) on one CPU thread, for batches of B = 1 and B = 8
sequences, per-thread CPU time, seven repeats per point (minimum and median kept), with
``course_rnn.studies.scan.time_layers``. About a minute on one idle core.

    .venv/bin/python experiments/scan_timing.py   # writes course_rnn/results/scan_timing.json

Book: chapter "Length generalisation and the recurrent comeback", section "The recurrent
comeback".
"""

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.scan import time_layers  # noqa: E402

SETTINGS = {"lengths": [16, 64, 256, 1024, 4096], "batch_sizes": [1, 8], "input_size": 64,
            "hidden_size": 64, "repeats": 7}  # fmt: skip
SEEDS = [0]


def main():
    sizes = {k: v for k, v in SETTINGS.items() if k not in ("lengths", "batch_sizes")}
    rows = []
    for batch_size in SETTINGS["batch_sizes"]:
        lengths = tuple(SETTINGS["lengths"])
        rows += time_layers(lengths, batch_size=batch_size, **sizes, seed=SEEDS[0])
    for row in rows:
        print(row, flush=True)
    path = save("scan_timing", {"rows": rows}, provenance(__file__, SETTINGS, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
