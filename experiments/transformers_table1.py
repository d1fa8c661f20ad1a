"""Table 1 of Vaswani et al. (2017), measured: an LSTM layer against a self-attention layer.

For widths d = 64 and 256 and lengths n = 8 … 2048 (B = 1): per-thread CPU time of a forward pass
(minimum of 7 interleaved rounds) and the analytic FLOPs; the depth of the autograd graph (the
chain of dependent operations) for n = 8 … 256; ‖∂y_n/∂x_{n-k}‖ against k at n = 128, d = 64,
for three seeds of the initial weights; the bytes autograd saves for the backward pass, n = 8 …
2048 at d = 64. See ``course_rnn.studies.table1``. About 2 minutes on one idle core.

    .venv/bin/python experiments/transformers_table1.py   # writes transformers_table1.json

Book: chapter "RNNs and Transformers", section "Vaswani Table 1, measured".
"""

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.table1 import (  # noqa: E402
    LAYERS,
    crossover,
    forward_seconds,
    graph_depth,
    path_gradients,
    saved_bytes,
)

WIDTHS = [64, 256]
LENGTHS = [8, 16, 32, 64, 128, 256, 512, 1024, 2048]
DEPTH_LENGTHS = [8, 16, 32, 64, 128, 256]
PATH = {"n": 128, "d": 64}
SEEDS = [0, 1, 2]
ROUNDS = 7


def main():
    timing = forward_seconds(WIDTHS, LENGTHS, rounds=ROUNDS, seed=0)
    crossings = {}
    for d in WIDTHS:
        rows = {kind: [r["seconds"] for r in timing if r["layer"] == kind and r["d"] == d]
                for kind in LAYERS}  # fmt: skip
        crossings[str(d)] = crossover(LENGTHS, rows["lstm"], rows["attention"])
        print(f"d = {d}: attention slower than the LSTM from n ≈ {crossings[str(d)]}", flush=True)
    depth = {kind: [graph_depth(kind, n) for n in DEPTH_LENGTHS] for kind in LAYERS}
    print("graph depth", depth, flush=True)
    paths = {kind: [path_gradients(kind, PATH["n"], PATH["d"], seed=s) for s in SEEDS]
             for kind in LAYERS}  # fmt: skip
    memory = {kind: [saved_bytes(kind, n, PATH["d"]) for n in LENGTHS] for kind in LAYERS}
    print("saved bytes", memory, flush=True)
    results = {
        "timing": timing,
        "crossover": crossings,
        "depth": {"lengths": DEPTH_LENGTHS, **depth},
        "path": {**PATH, **paths},
        "saved_bytes": {"lengths": LENGTHS, "d": PATH["d"], **memory},
    }
    args = {"widths": WIDTHS, "lengths": LENGTHS, "rounds": ROUNDS, "batch_size": 1,
            "num_heads": 4, "depth_lengths": DEPTH_LENGTHS, "path": PATH}  # fmt: skip
    path = save("transformers_table1", results, provenance(__file__, args, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
