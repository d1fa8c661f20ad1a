"""seed_everything makes NumPy, Python and torch draws repeat, and rejects bad seeds."""

import random

import numpy as np
import pytest
import torch

from course_rnn import seed_everything


def draws(seed):
    rng = seed_everything(seed)
    legacy = np.random.rand()  # noqa: NPY002 - the legacy global generator is what is tested
    return rng.random(), legacy, random.random(), torch.rand(1).item()


def test_seed_everything_repeats_every_generator():
    assert draws(3) == draws(3)
    assert draws(3) != draws(4)


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True, None])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed_everything: seed must be a non-negative int"):
        seed_everything(bad)
