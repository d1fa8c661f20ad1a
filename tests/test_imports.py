"""Importing the light parts of course_rnn must not import torch or matplotlib.

The check runs in a fresh interpreter; a meta-test shows that it does fail when a module does
import torch (so a green result means something).
"""

import subprocess
import sys

import pytest

HEAVY = ("torch", "matplotlib")


def heavy_modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize(
    "statement",
    [
        "import course_rnn",
        "import course_rnn.numpy_nn",
        "import course_rnn.cli",
        "import course_rnn.gradcheck",
    ],
)
def test_light_import_does_not_import_torch_or_matplotlib(statement):
    assert heavy_modules_after(statement) == set()


def test_the_import_check_can_fail():
    assert heavy_modules_after("import course_rnn, torch") == {"torch"}
