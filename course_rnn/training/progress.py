"""When the training loop shows a tqdm progress bar, and the bar itself.

The rule (first match wins), so that executed notebooks and test logs stay byte-identical:

1. ``fit(..., progress=True/False)`` decides.
2. The environment variable ``COURSE_RNN_PROGRESS`` set to ``1`` or ``0`` decides.
3. Under pytest (``PYTEST_CURRENT_TEST`` is set): off.
4. Inside a Jupyter kernel: on only when a Jupyter server started the kernel for a person, i.e.
   ``JPY_SESSION_NAME`` is set (JupyterLab / Notebook do this; nbval, nbclient and
   ``jupyter nbconvert --execute`` do not, so executed chapters stay quiet).
5. Otherwise (a script): on when standard error is a terminal.

Book: "How to use this book" (turning the bar on and off).
"""

import os
import sys

from tqdm.std import tqdm

ENV_VAR = "COURSE_RNN_PROGRESS"


def progress_enabled(progress: bool | None = None) -> bool:
    """Apply the rule in the module docstring.

    Args:
        progress: True/False to decide explicitly; None to detect

    Returns:
        bool
    """
    if progress is not None:
        if not isinstance(progress, bool):
            raise TypeError(f"fit: progress must be True, False or None; got {progress!r}")
        return progress
    env = os.environ.get(ENV_VAR, "").strip()
    if env in ("0", "1"):
        return env == "1"
    if env:
        raise ValueError(f"{ENV_VAR} must be '0' or '1' when set; got {env!r}")
    if "PYTEST_CURRENT_TEST" in os.environ:
        return False
    if _in_jupyter_kernel():
        return bool(os.environ.get("JPY_SESSION_NAME"))
    stream = sys.stderr
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()


def _in_jupyter_kernel() -> bool:
    if "ipykernel" not in sys.modules:  # never import IPython just to ask
        return False
    from IPython import get_ipython

    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def progress_bar(total: int | None, *, enabled: bool, desc: str = "train") -> tqdm:
    """A text tqdm bar on standard error (disabled bars cost nothing and write nothing).

    Args:
        total:   expected number of steps, or None when unknown
        enabled: the result of ``progress_enabled``
        desc:    label shown before the bar

    Returns:
        a tqdm instance; call ``update(1)``, ``set_postfix`` and ``close()``
    """
    return tqdm(total=total, disable=not enabled, desc=desc, file=sys.stderr, dynamic_ncols=True)
