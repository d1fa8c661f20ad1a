"""Reproducibility for notebooks and scripts: one call seeds every generator in play.

The library itself never seeds anything global (it takes ``rng``/``generator`` arguments); this
function is for the top of a notebook or script, where global seeding is what the reader wants.
Book: every chapter's first code cell calls it (see "How to use this book").
"""

import os
import random
import sys

import numpy as np


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python's, NumPy's and (if imported or installed) torch's global generators.

    Args:
        seed: a non-negative int.

    Returns:
        A fresh ``np.random.Generator`` seeded with ``seed``; pass it on as ``rng=``.

    Also sets ``PYTHONHASHSEED`` for child processes. It does not change torch's thread count: the
    notebook says ``torch.set_num_threads(1)`` itself, where the reader can see it.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed_everything: seed must be a non-negative int, got {seed!r}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - the legacy global generator, for code that still uses it
    if "torch" in sys.modules or _torch_installed():
        import torch

        torch.manual_seed(seed)  # also seeds every CUDA device
    return np.random.default_rng(seed)


def _torch_installed() -> bool:
    from importlib.util import find_spec

    return find_spec("torch") is not None
