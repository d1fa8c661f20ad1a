"""Atomic writes: a reader (or a re-run after ``kill -9``) never sees half a file.

Each write goes to a temporary file in the target's folder, is flushed to disk, then renamed over
the target with ``os.replace`` (atomic on POSIX within one file system). A crash leaves at most a
stray ``.*.tmp`` file, which :func:`remove_stale_temporaries` cleans up. Scratch folders (an
unzipped class) live in the output folder too, named after the grader's pid, so the next run
removes the ones a killed grader left (:func:`make_scratch`).
"""

import os
import shutil
import tempfile
from pathlib import Path

SCRATCH_PREFIX = ".scratch-"  # then the pid of the grader that made it


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o644) -> Path:
    """Write ``data`` to ``path`` atomically (the parent folder must exist); return ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: Path, text: str, mode: int = 0o644) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically, with ``\\n`` line ends; return ``path``.

    A lone surrogate (from a name that is not UTF-8, or a student's message) is written as its
    escape, ``\\udcff``, rather than failing the write.
    """
    return atomic_write_bytes(path, text.encode("utf-8", "backslashreplace"), mode)


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files an interrupted run left under ``folder``; return how many."""
    stale = [p for p in Path(folder).rglob(".*.tmp") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)


def make_scratch(folder: Path) -> Path:
    """A new private scratch folder in ``folder``, after deleting those of graders no longer alive.

    Returns:
        ``folder/.scratch-<pid>-<random>`` (mode 0700); the caller removes it when done.
    """
    for old in Path(folder).glob(f"{SCRATCH_PREFIX}*"):
        pid = old.name[len(SCRATCH_PREFIX) :].split("-")[0]
        if not (pid.isdigit() and _alive(int(pid))) and old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=folder))


def _alive(pid: int) -> bool:
    """Whether a process with this id exists (ours or anyone's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to another user
        return True
    return True
