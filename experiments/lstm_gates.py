"""A character LSTM on the pydoc corpus, trained once and stored, for the chapter to look inside.

``train_char_lstm`` with the settings below (one LSTM layer of 192 units, forget bias 1, random
windows of 100 characters, Adam at 3e-3, clipped at 1); the held-out bits per character on the
first 20,000 held-out characters are measured every 500 updates. 3,500 updates because that is
where a longer run was best on those characters (2.038 bits; it rose to 2.117 by 6,000 updates:
the model starts to fit the 418,473 training characters too closely). The weights (float32,
with the vocabulary) go to ``course_rnn/results/lstm_gates.npz`` (0.8 MB), the curve and the
settings to ``lstm_gates.json``. A second, 50-update run with the same seed is stored too: the
test re-runs it in a few seconds and compares. About 4 minutes on one idle core.

    .venv/bin/python experiments/lstm_gates.py   # writes lstm_gates.json and lstm_gates.npz

Book: chapter "Long short-term memory".
"""

import numpy as np
from provenance import RESULTS, provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.char_lstm import train_char_lstm  # noqa: E402

SETTINGS = {"hidden_size": 192, "embed_size": 32, "steps": 3_500, "lr": 3e-3, "eval_every": 500}
SHORT = {**SETTINGS, "steps": 50, "eval_every": 25}
SEED = 0


def main():
    weights, run = train_char_lstm(seed=SEED, **SETTINGS)
    print(f"held-out bpc {run['final_bpc']:.3f}, {run['seconds_per_step'] * 1e3:.0f} ms/step")
    _, short = train_char_lstm(seed=SEED, **SHORT)
    results = {"run": run, "short_run": short}
    path = save("lstm_gates", results, provenance(__file__, SETTINGS, [SEED], STARTED))
    np.savez(RESULTS / "lstm_gates.npz", **weights)
    print(f"wrote {path} and lstm_gates.npz")


if __name__ == "__main__":
    main()
