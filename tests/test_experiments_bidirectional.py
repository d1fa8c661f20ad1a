"""experiments/bidirectional.py: the stored runs are complete, and a re-run reproduces one of them.

The re-run trains the LSTM tagger of seed 0 in both directions (a few seconds): training is
deterministic given the seed, so its accuracies and loss curve must equal the stored ones, and the
padding study of the bidirectional one too.
"""

import numpy as np
import pytest

from course_rnn.data import left_context_ceiling
from course_rnn.results import load
from course_rnn.studies.bidirectional import fit_tagger, padding_bug


@pytest.fixture(scope="module")
def stored():
    return load("bidirectional")


def test_every_cell_seed_and_direction_ran(stored):
    args, seeds = stored["provenance"]["args"], stored["provenance"]["seeds"]
    runs = stored["results"]["taggers"]
    got = sorted((r["cell"], r["seed"], r["bidirectional"]) for r in runs)
    assert got == sorted((c, s, b) for c in args["cells"] for s in seeds for b in (False, True))
    assert len(seeds) >= 3
    assert all(r["padding"]["pads"] == args["pads"] for r in runs)
    assert [leak["seed"] for leak in stored["results"]["leak"]] == args["leak_seeds"]


def test_the_stored_claims_hold(stored):
    ceiling = left_context_ceiling()
    for run in stored["results"]["taggers"]:
        if run["bidirectional"]:
            assert run["right_context"] == 1.0
        else:  # no left-to-right tagger beats the ceiling by more than sampling noise
            assert run["right_context"] < ceiling + 0.05
    for leak in stored["results"]["leak"]:
        assert leak["bidirectional"]["train_bits"] < 0.2 < 2 < leak["honest"]["train_bits"]


@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_stored_run_reproduces(stored, bidirectional):
    run = next(
        r
        for r in stored["results"]["taggers"]
        if (r["cell"], r["seed"], r["bidirectional"]) == ("lstm", 0, bidirectional)
    )
    model, again = fit_tagger("lstm", bidirectional=bidirectional, seed=0, steps=run["steps"])
    # float32 on one thread repeats bit for bit on one machine; the tolerance allows another CPU
    np.testing.assert_allclose(
        np.array(again["loss_curve"]), np.array(run["loss_curve"]), rtol=1e-4, atol=1e-6
    )
    for key in ("accuracy", "right_context", "other"):
        assert again[key] == pytest.approx(run[key], abs=2e-3)
    if bidirectional:
        study = padding_bug(model, pads=run["padding"]["pads"])
        np.testing.assert_allclose(study["bug"], run["padding"]["bug"], atol=1e-2)
        assert study["fixed"] == run["padding"]["fixed"]
