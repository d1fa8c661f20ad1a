"""How far back the gradient reaches in the tanh RNN, the LSTM (forget bias 0 and 1) and the GRU.

Each model of ``gradient_flow.MODELS`` is trained on the adding problem with T = 100 (H = 32,
seed 0, 3,000 updates of ``train_adding``: B = 64, Adam at 3e-3, clipped at 1); ‖∂L/∂h_{T−k}‖
and, for the LSTM, ‖∂L/∂c_{T−k}‖ are measured on the fixed probe batch before and after
training. The LSTM with forget bias 1 is trained a second time without clipping, to measure the
gradient norms clipping would have cut. The trained weights go to
``course_rnn/results/gradient_flow.npz`` (keys ``<label>/<state_dict key>``), so the chapter can
measure them again. About 2 minutes on one idle core.

    .venv/bin/python experiments/gradient_flow.py   # writes gradient_flow.json and .npz

Book: chapter "Long short-term memory".
"""

import numpy as np
from provenance import RESULTS, provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.adding import train_adding  # noqa: E402
from course_rnn.studies.gradient_flow import MODELS, flow_summary  # noqa: E402

SETTINGS = {"T": 100, "hidden_size": 32, "steps": 3_000, "eval_every": 25}
SEED = 0
UNCLIPPED = "LSTM, forget bias 1, no clipping"


def main():
    results, weights = {}, {}
    for label, (cell, bias) in MODELS.items():
        untrained, _ = train_adding(
            cell, seed=SEED, forget_bias=bias, return_model=True, **{**SETTINGS, "steps": 0}
        )
        model, run = train_adding(cell, seed=SEED, forget_bias=bias, return_model=True, **SETTINGS)
        results[label] = {
            "run": run,
            "init": flow_summary(untrained, SETTINGS["T"]),
            "trained": flow_summary(model, SETTINGS["T"]),
        }
        weights |= {f"{label}/{k}": v.numpy() for k, v in model.state_dict().items()}
        print(f"{label}: final MSE {run['final_mse']:.4f}", flush=True)
    results[UNCLIPPED] = train_adding("lstm", seed=SEED, forget_bias=1.0, clip=None, **SETTINGS)
    print(f"{UNCLIPPED}: max gradient norm {results[UNCLIPPED]['max_grad_norm']:.1f}")
    path = save("gradient_flow", results, provenance(__file__, SETTINGS, [SEED], STARTED))
    np.savez(RESULTS / "gradient_flow.npz", **weights)
    print(f"wrote {path} and gradient_flow.npz")


if __name__ == "__main__":
    main()
