"""Re-execute notebooks in place, deterministically, so their stored outputs are what nbval checks.

Each notebook runs in a fresh kernel from its own folder with PYTHONHASHSEED=0 and one thread, no
per-cell timing metadata is recorded, and the result replaces the file only when every cell ran
(cells tagged ``raises-exception`` may raise). A failed run leaves the original notebook untouched.

Usage: python tools/execute_notebooks.py PATH [PATH ...]   (notebooks or folders of notebooks)
"""

import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

TIMEOUT_PER_CELL = 300  # seconds; the budget per notebook is 60 s, enforced by the tests


def notebooks(paths: list[str]) -> list[Path]:
    found = []
    for p in map(Path, paths):
        found += sorted(p.glob("*.ipynb")) if p.is_dir() else [p]
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    client = NotebookClient(
        nb,
        timeout=TIMEOUT_PER_CELL,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    # Write next to the target and rename: an interrupted run never leaves half a notebook.
    with tempfile.NamedTemporaryFile("w", dir=path.parent, suffix=".tmp", delete=False) as tmp:
        nbformat.write(nb, tmp)
    os.chmod(tmp.name, path.stat().st_mode & 0o777)
    os.replace(tmp.name, path)
    return elapsed


def main(paths: list[str]) -> int:
    os.environ.update(PYTHONHASHSEED="0", OMP_NUM_THREADS="1", MPLBACKEND="Agg")
    failed = []
    for path in notebooks(paths):
        try:
            print(f"{path}: {execute(path):.1f} s", flush=True)
        except CellExecutionError as err:
            failed.append(path)
            print(f"{path}: FAILED, left unchanged\n{err}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
