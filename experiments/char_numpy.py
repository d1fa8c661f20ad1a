"""The NumPy character LSTM of the chapter, three seeds, and its torch twin with the same recipe.

``course_rnn.studies.char_numpy.train_numpy`` with the settings below (embedding 32, one LSTM
layer of 128 units, windows of 64 characters in 32 lanes with the state carried, Adam at 3e-3,
clipped at 1), for seeds 0, 1 and 2; the held-out bits per character (the whole held-out tenth,
read as one stream) after the steps in EVAL_AT, and a sample of 200 characters (temperature 0.8,
the same sampling seed) after the steps in SAMPLE_AT. ``train_torch`` trains the same model
from the same initial weights on the same batches with torch (seed 0). Stored per run: the curve,
the training loss averaged over blocks of 25 steps, how often the gradient was clipped, CPU
seconds; for seed 0 also the first 200 per-step losses, which the chapter and the test re-run.
No weights are stored (400 kB in float32; the chapter does not need them).

    nice -n 5 .venv/bin/python experiments/char_numpy.py   # writes results/char_numpy.json

Book: chapter "A character model in NumPy".
"""

from provenance import provenance, save, setup

STARTED = setup()  # one thread: before NumPy is imported, or OpenBLAS starts its own threads

import numpy as np  # noqa: E402

from course_rnn.studies.char_numpy import train_numpy, train_torch  # noqa: E402

SETTINGS = {
    "hidden_size": 128,
    "embed_size": 32,
    "steps": 3000,
    "seq_len": 64,
    "batch_size": 32,
    "lr": 3e-3,
    "clip": 1.0,
}
EVAL_AT = (0, 50, 100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 2500, 3000)
SAMPLE_AT = (0, 100, 300, 1000, 3000)
SEEDS = (0, 1, 2)
BLOCK = 25  # steps per stored mean of the training loss
FIRST = 200  # per-step losses stored for seed 0


def summary(result: dict) -> dict:
    """The run's result without the per-step lists, plus block means and the clipping rate."""
    loss = np.array(result.pop("loss"))
    norms = np.array(result.pop("grad_norm", []))
    out = result | {"loss_blocks": loss.reshape(-1, BLOCK).mean(axis=1).round(6).tolist()}
    if norms.size:
        out["clipped_fraction"] = float(np.mean(norms > result["clip"]))
    return out | {"first_losses": loss[:FIRST].tolist()}


def main():
    runs = []
    for seed in SEEDS:
        _, run = train_numpy(seed=seed, eval_at=EVAL_AT, sample_at=SAMPLE_AT, **SETTINGS)
        run = summary(run)
        if seed != SEEDS[0]:
            del run["first_losses"]
        runs.append(run)
        print(f"NumPy seed {seed}: {run['curve'][-1][1]:.3f} bpc, {run['cpu_seconds']:.0f} s CPU")
    _, torch_run = train_torch(seed=SEEDS[0], eval_at=EVAL_AT, **SETTINGS)
    torch_run = summary(torch_run)
    del torch_run["first_losses"]
    print(f"torch seed 0: {torch_run['curve'][-1][1]:.3f} bpc, {torch_run['cpu_seconds']:.0f} s")
    results = {
        "settings": SETTINGS,
        "eval_at": EVAL_AT,
        "sample_at": SAMPLE_AT,
        "block": BLOCK,
        "numpy": runs,
        "torch": torch_run,
    }
    args = SETTINGS | {"eval_at": EVAL_AT, "sample_at": SAMPLE_AT}
    path = save("char_numpy", results, provenance(__file__, args, list(SEEDS), STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
