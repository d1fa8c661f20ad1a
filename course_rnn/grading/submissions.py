"""Finding the students in SUBMISSIONS (a folder, or a zip of one) and their notebooks.

SUBMISSIONS holds one folder per student; the folder's name identifies the student. A zip of that
layout is accepted too (also with one wrapping folder, as "Compress" makes it). A zip is unpacked
defensively: members that would land outside the target (zip-slip: ``../x``, ``/etc/x``), links,
and archives that expand beyond fixed limits (zip bombs) are refused before or while writing,
counting the bytes actually written rather than trusting the sizes the archive claims.
"""

import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 50_000_000
MAX_TOTAL_BYTES = 1_000_000_000
_SKIPPED = ("__MACOSX", ".ipynb_checkpoints")
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")


class SubmissionsError(ValueError):
    """SUBMISSIONS is missing, empty, or a zip that is unsafe to unpack; the message says which."""


@dataclass(frozen=True)
class Student:
    """One student's submission folder."""

    name: str  # the folder's name, as written in grades.csv
    key: str  # the name made safe for file names under OUT (unique)
    folder: Path


def find_students(root: Path) -> list[Student]:
    """The student folders directly under ``root`` (skipping hidden and system folders), sorted.

    Raises:
        SubmissionsError: ``root`` is not a folder or holds no student folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise SubmissionsError(f"{root} is not a folder of student folders (or a zip of one)")
    folders = sorted(
        p
        for p in root.iterdir()
        if p.is_dir()
        and not p.is_symlink()
        and not p.name.startswith(".")
        and p.name not in _SKIPPED
    )
    if len(folders) == 1 and not any(folders[0].glob("*.ipynb")):
        return find_students(folders[0])  # a wrapping folder, as zips often have
    if not folders:
        raise SubmissionsError(f"{root} holds no student folders (one folder per student)")
    students, used = [], set()
    for folder in folders:
        key = _UNSAFE.sub("_", folder.name).lstrip(".") or "student"
        base, n = key, 2
        while key.lower() in used:
            key, n = f"{base}-{n}", n + 1
        used.add(key.lower())
        students.append(Student(folder.name, key, folder))
    return students


def find_notebook(folder: Path, exercise: str) -> tuple[Path | None, str]:
    """The student's notebook for ``exercise``, and a note when it is not the expected file.

    Looks for ``<exercise>.ipynb`` in the folder, then in subfolders, then for a name that starts
    with the exercise's (``hidden_state (1).ipynb``). Links are never followed.

    Returns:
        (path or None, a note for the feedback, "" when the expected file was found)
    """
    expected = f"{exercise}.ipynb"
    candidates = [p for p in sorted(Path(folder).rglob("*.ipynb")) if _readable_file(p, folder)]
    for pick in (
        [p for p in candidates if p.parent == Path(folder) and p.name == expected],
        [p for p in candidates if p.name == expected],
        [p for p in candidates if p.name.startswith(exercise)],
    ):
        if pick:
            found = pick[0].relative_to(folder)
            note = "" if str(found) == expected else f"graded {found} as {expected}"
            return pick[0], note
    others = ", ".join(str(p.relative_to(folder)) for p in candidates[:5]) or "no notebooks"
    return None, f"{expected} is missing from the submission (found: {others})"


def _readable_file(path: Path, folder: Path) -> bool:
    """A regular file, not a link, outside checkpoint folders."""
    parts = path.relative_to(folder).parts
    return not path.is_symlink() and path.is_file() and ".ipynb_checkpoints" not in parts


def unpack_zip(archive: Path, target: Path) -> Path:
    """Unpack ``archive`` into the empty folder ``target``, refusing anything unsafe.

    Args:
        archive: the zip file
        target:  an existing, empty folder

    Returns:
        ``target``.

    Raises:
        SubmissionsError: not a zip; a member escapes the target or is a link; too many members;
            a member or the whole archive expands beyond the limits.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as err:
        raise SubmissionsError(f"{archive} is not a readable zip file: {err}") from err
    with zf:
        members = zf.infolist()
        if len(members) > MAX_MEMBERS:
            raise SubmissionsError(
                f"{archive} has {len(members):,} members (limit {MAX_MEMBERS:,})"
            )
        plan = [(info, _safe_member_path(info, archive)) for info in members]
        written = 0
        for info, relative in plan:
            if relative is None:
                continue
            dest = target.joinpath(*relative.parts)
            if info.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            written += _copy_member(zf, info, dest, MAX_TOTAL_BYTES - written, archive)
    return target


def _safe_member_path(info: zipfile.ZipInfo, archive: Path) -> PurePosixPath | None:
    """The member's path relative to the target, None to skip it; raise when it is unsafe."""
    name = info.filename.replace("\\", "/")
    path = PurePosixPath(name)
    if path.is_absolute() or re.match(r"^[A-Za-z]:", name) or ".." in path.parts:
        raise SubmissionsError(f"{archive}: member {info.filename!r} would be written outside")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise SubmissionsError(f"{archive}: member {info.filename!r} is a symbolic link")
    if any(part in _SKIPPED for part in path.parts) or not path.parts:
        return None
    return path


def _copy_member(zf: zipfile.ZipFile, info, dest: Path, budget: int, archive: Path) -> int:
    """Stream one member to ``dest``, counting real bytes against the limits; return the count."""
    limit = min(MAX_MEMBER_BYTES, budget)
    copied = 0
    try:
        with zf.open(info) as src, open(dest, "wb") as out:
            while chunk := src.read(1 << 20):
                copied += len(chunk)
                if copied > limit:
                    raise SubmissionsError(
                        f"{archive}: member {info.filename!r} expands beyond "
                        f"{limit:,} bytes (a zip bomb?)"
                    )
                out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError):
        dest.unlink(missing_ok=True)  # encrypted, corrupt or unsupported: the notebook is missing
    except OSError as err:
        dest.unlink(missing_ok=True)
        raise SubmissionsError(f"{archive}: cannot write {info.filename!r}: {err}") from err
    except SubmissionsError:
        dest.unlink(missing_ok=True)
        raise
    return copied


def open_submissions(path: Path, scratch: Path) -> list[Student]:
    """The students of SUBMISSIONS, a folder or a zip (unpacked into ``scratch/unzipped``).

    Raises:
        SubmissionsError: as :func:`find_students` and :func:`unpack_zip`.
    """
    path = Path(path)
    if path.is_file():
        target = Path(scratch) / "unzipped"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        return find_students(unpack_zip(path, target))
    if not path.exists():
        raise SubmissionsError(f"{path} does not exist")
    return find_students(path)
