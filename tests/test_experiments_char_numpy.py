"""experiments/char_numpy.py: the stored runs are complete; the first steps of seed 0 reproduce."""

import numpy as np
import pytest

from course_rnn.results import load
from course_rnn.studies.char_numpy import train_numpy


@pytest.fixture(scope="module")
def stored():
    return load("char_numpy")["results"]


def test_the_stored_runs_are_complete(stored):
    steps = stored["settings"]["steps"]
    assert [run["seed"] for run in stored["numpy"]] == [0, 1, 2]
    for run in [*stored["numpy"], stored["torch"]]:
        assert [s for s, _ in run["curve"]] == list(stored["eval_at"])
        assert len(run["loss_blocks"]) == steps // stored["block"]
    for run in stored["numpy"]:
        assert sorted(map(int, run["samples"])) == sorted(stored["sample_at"])
    assert len(stored["numpy"][0]["first_losses"]) == 200


def test_the_first_steps_of_seed_0_reproduce(stored):
    settings = stored["settings"] | {"steps": 30}
    _, again = train_numpy(seed=0, eval_at=(0,), **settings)
    first = stored["numpy"][0]["first_losses"][:30]
    # float32: bit-identical on the machine and thread count that stored them; elsewhere BLAS
    # kernels may round differently, so the comparison allows float32 rounding
    np.testing.assert_allclose(again["loss"], first, rtol=1e-5, atol=0)
    np.testing.assert_allclose(again["curve"][0], stored["numpy"][0]["curve"][0], rtol=1e-6)
