"""The LSTM's forget-gate bias, 0 against 1, on the adding problem with T = 100.

Ten seeds per bias, each 3,000 updates of ``train_adding`` (H = 32, B = 64, Adam at 3e-3, the
gradient norm clipped at 1, validation MSE every 25 updates on the fixed batch of 512 sequences).
A seed gives both biases the same stream of training batches and the same initial weights except
the forget gate's bias, so the two columns differ in that one number. Reported per run: steps to
the threshold (MSE 0.01), whether the run ends below it, the curve. About 6 minutes on one idle
core.

    .venv/bin/python experiments/forget_bias.py   # writes course_rnn/results/forget_bias.json

Book: chapter "Long short-term memory".
"""

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.adding import train_adding  # noqa: E402

SETTINGS = {"cell": "lstm", "T": 100, "hidden_size": 32, "steps": 3_000, "eval_every": 25}
BIASES = [0.0, 1.0]
SEEDS = list(range(10))


def main():
    runs = []
    for seed in SEEDS:
        for bias in BIASES:
            settings = dict(SETTINGS)
            run = train_adding(settings.pop("cell"), seed=seed, forget_bias=bias, **settings)
            runs.append(run)
            print(
                f"seed {seed} bias {bias}: steps to threshold {run['steps_to_threshold']}, "
                f"final MSE {run['final_mse']:.4f}, {run['seconds_per_step'] * 1e3:.1f} ms/step",
                flush=True,
            )
    args = {**SETTINGS, "biases": BIASES}
    path = save("forget_bias", {"runs": runs}, provenance(__file__, args, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
