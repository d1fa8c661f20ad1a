"""Shared fixtures of the grading tests: one sandbox for the whole session (it takes seconds to
start: its servers import numpy and torch once), and the repository's instructor folder."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # helpers.py, mutants.py, hostile/

#: Limits of the shared sandbox: short cell timeouts keep the hostile cases fast.
CELL_TIMEOUT = 2.0


@pytest.fixture(scope="session")
def sandbox():
    """One running Sandbox for every grading test (sb.run is thread-safe)."""
    from course_rnn.grading.sandbox import Sandbox

    with Sandbox(jobs=2, cell_timeout=CELL_TIMEOUT, memory_mb=2048, cpu_seconds=30) as sb:
        yield sb


@pytest.fixture(scope="session")
def solutions():
    """The repository's instructor folder (notebooks, hidden tests, secret seed)."""
    from helpers import SOLUTIONS

    return SOLUTIONS
