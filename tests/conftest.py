"""Shared test settings: tolerances, seeded generators, strict floating-point errors, options."""

import numpy as np
import pytest

#: float64 comparisons against torch.nn and between the twins.
TOL64 = {"rtol": 1e-9, "atol": 1e-11}
#: float32 comparisons (the torch twins' default dtype).
TOL32 = {"rtol": 1e-5, "atol": 1e-6}


def pytest_addoption(parser):
    parser.addoption(
        "--run-browser",
        action="store_true",
        help="run tests/browser against the built book (make browser does this)",
    )


def pytest_collection_modifyitems(config, items):
    skip_browser = pytest.mark.skip(reason="browser test: run with --run-browser (make browser)")
    try:
        import torch

        has_gpu = torch.cuda.is_available()
    except ImportError:
        has_gpu = False
    skip_gpu = pytest.mark.skip(reason="no CUDA device")
    for item in items:
        if "browser" in item.keywords and not config.getoption("--run-browser"):
            item.add_marker(skip_browser)
        if "gpu" in item.keywords and not has_gpu:
            item.add_marker(skip_gpu)


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """One torch thread, as in the chapters: results repeat, tests stay fast on a busy machine."""
    try:
        import torch
    except ImportError:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def rng():
    """A fresh seeded generator per test, so the order tests run in never matters."""
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _strict_float_errors():
    """Overflow, invalid operations and division by zero raise inside every test."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yield
