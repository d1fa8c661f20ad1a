"""Forecasting real series: naive, seasonal naive, ARIMA chosen by AIC and a GRU three ways.

For each of the chapter's series (Mauna Loa CO₂ monthly, yearly sunspots, El Niño monthly sea
temperature; all shipped inside statsmodels' wheel), ``course_rnn.studies.forecasting`` fits
the baselines and the ARIMA of lowest AIC on the training part (no randomness), then trains the
one GRU recipe with three seeds: a one-step model, run on the true history (one-step) and
recursively (free running), and a direct model that outputs the whole horizon. Everything is
scored with MASE and sMAPE on the held-out tail. About five minutes of CPU on a busy machine
(per-part CPU times are stored in the JSON).

    .venv/bin/python experiments/forecasting.py

writes course_rnn/results/forecasting.json.

Book: "Forecasting real series".
"""

import time

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.forecasting import (  # noqa: E402
    P_GRID,
    Q_GRID,
    RECIPE,
    TEST_SIZE,
    classical,
    neural,
)

SERIES = list(TEST_SIZE)
SEEDS = [0, 1, 2]


def main():
    results = {"recipe": RECIPE, "test_size": TEST_SIZE, "p_grid": list(P_GRID),
               "q_grid": list(Q_GRID), "series": {}}  # fmt: skip
    for name in SERIES:
        start = time.thread_time()
        entry = {"classical": classical(name)}
        entry["classical_cpu_seconds"] = round(time.thread_time() - start, 1)
        entry["neural"], entry["neural_cpu_seconds"] = [], []
        for seed in SEEDS:
            start = time.thread_time()
            entry["neural"].append(neural(name, seed))
            entry["neural_cpu_seconds"].append(round(time.thread_time() - start, 1))
        results["series"][name] = entry
        arima = entry["classical"]["scores"]["arima"]["multi_step"]["mase"]
        gru = [r["scores"]["gru"]["multi_step"]["mase"] for r in entry["neural"]]
        print(f"{name}: ARIMA multi-step MASE {arima:.3f}, GRU recursive "
              f"{', '.join(f'{g:.3f}' for g in gru)}", flush=True)  # fmt: skip
    args = {"series": SERIES, "recipe": RECIPE, "test_size": TEST_SIZE}
    path = save("forecasting", results, provenance(__file__, args, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
