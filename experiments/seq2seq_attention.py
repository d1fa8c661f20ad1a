"""The fixed-vector bottleneck against attention, on digit copying (lengths 5-40) and on dates.

Copy task: for each seed, three decoders ("none": the fixed vector c; "additive": Bahdanau et
al.; "general": Luong et al.) are trained with the same settings (H = 64 per direction and in the
decoder, embeddings 32, batches of 64 strings of one length drawn uniformly from 5-40, Adam at
3e-3, clip 1, the same number of updates and the same batches), then measured on 40 test strings
of every length 5-40: greedy exact match by length bin, teacher-forced and free-running character
accuracy. Dates: the "none" and "additive" decoders, one seed, measured on 1,200 test dates, and
the additive model's weights are stored (``course_rnn/results/seq2seq_attention.npz``, float32)
for the chapter's attention maps and beam search.

    .venv/bin/python experiments/seq2seq_attention.py [--workers N]

Each run is one process with one thread; ``--workers`` runs several at once (the numbers do not
depend on it). With one worker it took 8 minutes of wall time (2 cores, the other one busy), and
the re-run reproduced the stored JSON and weights exactly.
Book: chapter "Encoder–decoders and attention".
"""

import argparse
from multiprocessing import get_context

import numpy as np
from provenance import RESULTS, provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

import torch  # noqa: E402

from course_rnn.studies.seq2seq import train_seq2seq  # noqa: E402

COPY = {"task": "copy", "steps": 800, "min_len": 5, "max_len": 40, "eval_every": 50}
DATES = {"task": "dates", "steps": 1_500, "eval_every": 50}
COPY_DECODERS = ["none", "additive", "general"]
DATES_DECODERS = ["none", "additive"]
SEEDS = [0, 1, 2]
DATES_SEEDS = [0]
STORED_WEIGHTS = ("dates", "additive", 0)  # (task, attention, seed) whose weights are stored


def configs() -> list[tuple[dict, str, int]]:
    runs = [(COPY, a, s) for s in SEEDS for a in COPY_DECODERS]
    return runs + [(DATES, a, s) for s in DATES_SEEDS for a in DATES_DECODERS]


def run(config: tuple[dict, str, int]) -> tuple[dict, dict | None]:
    """One training run in a fresh worker: its result and, if stored, its weights."""
    setup()
    settings, attention, seed = config
    settings = dict(settings)
    task = settings.pop("task")
    model, result = train_seq2seq(task, attention, seed=seed, return_model=True, **settings)
    weights = None
    if (task, attention, seed) == STORED_WEIGHTS:
        weights = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    print(f"{task} {attention} seed {seed}: exact {result['exact_match']:.3f} "
          f"{result.get('by_length', '')} {result['seconds_per_step'] * 1e3:.0f} ms/step",
          flush=True)  # fmt: skip
    return result, weights


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="runs at the same time")
    workers = parser.parse_args().workers
    if workers > 1:
        with get_context("spawn").Pool(workers, maxtasksperchild=1) as pool:
            outputs = pool.map(run, configs(), chunksize=1)
    else:
        outputs = [run(c) for c in configs()]
    runs = [result for result, _ in outputs]
    weights = next(w for _, w in outputs if w is not None)
    np.savez(RESULTS / "seq2seq_attention.npz", **weights)
    args = {"copy": COPY, "dates": DATES, "copy_decoders": COPY_DECODERS,
            "dates_decoders": DATES_DECODERS, "dates_seeds": DATES_SEEDS,
            "stored_weights": list(STORED_WEIGHTS), "workers": workers,
            "cpu_seconds": round(sum(r["seconds_per_step"] * r["steps"] for r in runs), 1),
            "torch_threads": torch.get_num_threads()}  # fmt: skip
    path = save("seq2seq_attention", {"runs": runs}, provenance(__file__, args, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
