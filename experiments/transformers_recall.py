"""Associative recall at equal parameters: a 2-block Transformer, an LSTM and a GRU, three seeds.

Each model reads 8 key-value pairs and a query (T = 18, K = C = 32, chance 1/32) and is trained
with the same recipe (``course_rnn.studies.recall.train_recall``: Adam at 1e-3, the gradient norm
clipped at 1, 2,000 updates of 64 fresh sequences, test accuracy on 1,000 sequences every 100
updates). The Transformer has width E = 64, 4 heads, 2 pre-LN blocks; the LSTM and the GRU get
the hidden size whose model has the parameter count closest to it. Also stored: training tokens
per second of per-thread CPU time. 5 minutes of wall time on one core (measured; the accuracies
reproduce exactly, the tokens per second vary with the machine).

    .venv/bin/python experiments/transformers_recall.py   # writes transformers_recall.json

Book: chapter "RNNs and Transformers", section "Where each wins, at equal parameters".
"""

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.recall import (  # noqa: E402
    RECALL_CELLS,
    matched_hidden_size,
    parameter_count,
    recall_model,
    train_recall,
)

SETTINGS = {"num_pairs": 8, "steps": 2_000, "batch_size": 64, "lr": 1e-3, "eval_every": 100}
WIDTH = 64  # the Transformer's E; the recurrent cells are sized to its parameter count
SEEDS = [0, 1, 2]


def main():
    target = parameter_count(recall_model("transformer", WIDTH))
    sizes = {
        cell: WIDTH if cell == "transformer" else matched_hidden_size(cell, target)
        for cell in RECALL_CELLS
    }
    runs = []
    for seed in SEEDS:
        for cell in RECALL_CELLS:
            run = train_recall(cell, sizes[cell], seed=seed, **SETTINGS)
            runs.append(run)
            print(
                f"seed {seed} {cell:11s} H={sizes[cell]:3d} {run['parameters']:,} parameters: "
                f"accuracy {run['final']:.3f}, {run['tokens_per_second']:,.0f} tokens/s",
                flush=True,
            )
    args = {**SETTINGS, "width": WIDTH, "hidden_sizes": sizes}
    path = save("transformers_recall", {"runs": runs},
                provenance(__file__, args, SEEDS, STARTED))  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
