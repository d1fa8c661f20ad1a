"""Atomic writes: a reader (or a re-run after ``kill -9``) never sees half a file.

Each write goes to a temporary file in the target's folder, is flushed to disk, then renamed over
the target with ``os.replace`` (atomic on POSIX within one file system). A crash leaves at most a
stray ``.*.tmp`` file, which :func:`remove_stale_temporaries` cleans up.
"""

import os
import tempfile
from pathlib import Path


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
    """Write UTF-8 ``text`` to ``path`` atomically, with ``\\n`` line ends; return ``path``."""
    return atomic_write_bytes(path, text.encode("utf-8"), mode)


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporary files an interrupted run left under ``folder``; return how many."""
    stale = [p for p in Path(folder).rglob(".*.tmp") if p.is_file()]
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)
