"""minGRU on associative recall, with the recipe and parameter count of the previous chapter.

``experiments/transformers_recall.py`` trained a Transformer, an LSTM and a GRU of about 106 k
parameters on associative recall (8 key-value pairs, 32 keys, 32 values, 2,000 Adam updates of 64
sequences, three seeds). This script adds the linear recurrence of chapter "Length
generalisation and the recurrent comeback": two minGRU layers whose width gives the parameter
count closest to that Transformer's, trained by ``train_recall_mingru`` on the same batch stream
and test set per seed. 2 minutes of wall time on one core (measured; a re-run reproduced
the JSON).

    .venv/bin/python experiments/mingru_recall.py   # writes course_rnn/results/mingru_recall.json

Book: chapter "Length generalisation and the recurrent comeback".
"""

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.length_generalisation import (  # noqa: E402
    RecallMinGRU,
    parameters,
    train_recall_mingru,
)
from course_rnn.studies.recall import parameter_count, recall_model  # noqa: E402

SETTINGS = {"steps": 2_000, "num_pairs": 8, "batch_size": 64, "lr": 1e-3, "eval_every": 100}
SEEDS = [0, 1, 2]


def main():
    target = parameter_count(recall_model("transformer", 64))
    H = min(range(64, 257), key=lambda h: abs(parameters(RecallMinGRU(65, 32, h)) - target))
    runs = []
    for seed in SEEDS:
        run = train_recall_mingru(H, seed=seed, **SETTINGS)
        runs.append(run)
        print(seed, run, flush=True)
    args = {**SETTINGS, "hidden_size": H, "target_parameters": target}
    path = save("mingru_recall", {"runs": runs}, provenance(__file__, args, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
