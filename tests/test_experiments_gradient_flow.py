"""experiments/gradient_flow.py: the stored weights give the stored norms, and a run reproduces."""

import numpy as np
import pytest

from course_rnn.results import load
from course_rnn.studies.adding import train_adding
from course_rnn.studies.gradient_flow import MODELS, flow_summary, trained_models

STEPS = 150


@pytest.fixture(scope="module")
def stored():
    return load("gradient_flow")


def test_the_stored_weights_give_the_stored_norms(stored):
    T = stored["provenance"]["args"]["T"]
    models = trained_models()
    assert list(models) == list(MODELS)
    for label, model in models.items():
        again = flow_summary(model, T)
        for key in ("h", "c"):
            if stored["results"][label]["trained"][key] is None:
                assert again[key] is None
            else:
                np.testing.assert_allclose(
                    again[key], stored["results"][label]["trained"][key], rtol=1e-6
                )


def test_a_stored_run_reproduces(stored):
    args = stored["provenance"]["args"]
    run = stored["results"]["GRU"]["run"]
    again = train_adding(
        "gru",
        T=args["T"],
        hidden_size=args["hidden_size"],
        seed=stored["provenance"]["seeds"][0],
        steps=STEPS,
        eval_every=args["eval_every"],
    )
    n = len(again["curve"])
    np.testing.assert_allclose(again["curve"], run["curve"][:n], rtol=1e-5, atol=0)


def test_the_unclipped_run_is_stored_with_its_gradient_norms(stored):
    unclipped = stored["results"]["LSTM, forget bias 1, no clipping"]
    clipped = stored["results"]["LSTM, forget bias 1"]["run"]
    assert unclipped["clip"] is None
    assert clipped["clip"] == 1.0
    assert len(unclipped["grad_norm_curve"]) == len(clipped["grad_norm_curve"])
