"""Finding the students in SUBMISSIONS (a folder, or a zip of one) and their notebooks.

SUBMISSIONS holds one folder per student; the folder's name identifies the student. A zip of that
layout is accepted too (also with one wrapping folder, as "Compress" makes it). A zip is unpacked
defensively: members that would land outside the target (zip-slip: ``../x``, ``/etc/x``), links,
and archives that expand beyond fixed limits (zip bombs) are refused before or while writing,
counting the bytes actually written rather than trusting the sizes the archive claims. A member
that cannot be written (below a file of the same name, a name too long) is skipped with a note.

Nothing is dropped silently: folders that are not graded (names starting with ``.``,
``__MACOSX``), links and loose files are listed in ``skipped`` for the instructor. Names are
text for display (bytes that are not UTF-8 as ``\\xff``, control characters escaped) and keys
safe as file names: no leading ``.`` or ``-``, at most :data:`MAX_KEY_CHARS` characters.
"""

import errno
import hashlib
import re
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from course_rnn.grading.inert import display_name

MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 50_000_000
MAX_TOTAL_BYTES = 1_000_000_000
MAX_KEY_CHARS = 80  # keys name files under OUT (feedback/<key>.md): far below 255 bytes
_SKIPPED = ("__MACOSX", ".ipynb_checkpoints")
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")
#: Errors of the disk rather than of one member: the unpacking stops instead of skipping.
_DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO)


class SubmissionsError(ValueError):
    """SUBMISSIONS is missing, empty, or a zip that is unsafe to unpack; the message says which."""


@dataclass(frozen=True)
class Student:
    """One student's submission folder."""

    name: str  # the folder's name as text (display_name), as written in grades.csv
    key: str  # the name made safe for file names under OUT (unique)
    folder: Path
    notes: tuple[str, ...] = ()  # about the submission's files (e.g. a zip member skipped)


def find_students(root: Path, skipped: list[str] | None = None) -> list[Student]:
    """The student folders directly under ``root``, sorted; what is not graded goes to ``skipped``.

    Args:
        root:    SUBMISSIONS (a wrapping folder alone in it is entered, as zips often have)
        skipped: a list to append one line to per entry that is not graded (a folder whose name
                 starts with ``.``, ``__MACOSX``, a link, a loose file)

    Raises:
        SubmissionsError: ``root`` is not a folder or holds no student folder.
    """
    root = Path(root)
    if not root.is_dir():
        raise SubmissionsError(f"{root} is not a folder of student folders (or a zip of one)")
    folders, ignored = [], []
    for p in sorted(root.iterdir()):
        reason = _not_a_student(p)
        (ignored if reason else folders).append((p, reason))
    if len(folders) == 1 and not any(folders[0][0].glob("*.ipynb")):
        return find_students(folders[0][0], skipped)  # a wrapping folder, as zips often have
    if skipped is not None:
        skipped += [f"skipped {display_name(p.name)!r}: {reason}" for p, reason in ignored]
    if not folders:
        raise SubmissionsError(f"{root} holds no student folders (one folder per student)")
    students, used = [], set()
    for folder, _ in folders:
        name = display_name(folder.name)
        key = base = _key(name)
        n = 2
        while key.lower() in used:
            key, n = f"{base}-{n}", n + 1
        used.add(key.lower())
        students.append(Student(name, key, folder))
    return students


def _not_a_student(path: Path) -> str:
    """Why ``path`` is not a student's folder ("" when it is one)."""
    if path.is_symlink():
        return "a link, not a folder"
    if not path.is_dir():
        return "a file, not a student's folder"
    if path.name in _SKIPPED:
        return "a system folder (macOS or Jupyter metadata)"
    if path.name.startswith("."):
        return "a hidden folder (its name starts with '.'); rename it to grade it"
    return ""


def _key(name: str) -> str:
    """A file-name-safe key for a student: ASCII letters, digits and ``._@+-``; no leading dot or
    dash; long names cut, with a digest of the whole name so that keys stay distinct."""
    key = _UNSAFE.sub("_", name)
    if key[:1] in (".", "-"):
        key = "_" + key.lstrip(".-")
    if len(key) > MAX_KEY_CHARS:
        digest = hashlib.sha256(name.encode("utf-8", "backslashreplace")).hexdigest()[:12]
        key = f"{key[: MAX_KEY_CHARS - 13]}_{digest}"
    return key or "student"


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
            note = "" if str(found) == expected else f"graded {display_name(found)} as {expected}"
            return pick[0], note
    others = ", ".join(display_name(p.relative_to(folder)) for p in candidates[:5])
    others = others or "no notebooks"
    return None, f"{expected} is missing from the submission (found: {others})"


def _readable_file(path: Path, folder: Path) -> bool:
    """A regular file, not a link, outside checkpoint folders."""
    parts = path.relative_to(folder).parts
    return not path.is_symlink() and path.is_file() and ".ipynb_checkpoints" not in parts


def unpack_zip(archive: Path, target: Path, skipped: list | None = None) -> Path:
    """Unpack ``archive`` into the empty folder ``target``, refusing anything unsafe.

    Args:
        archive: the zip file
        target:  an existing, empty folder
        skipped: a list to append ``(path it would have had, note)`` to, per member that cannot
                 be written (below a file of the same name, a name too long, an odd file system)

    Returns:
        ``target``.

    Raises:
        SubmissionsError: not a zip; a member escapes the target or is a link; too many members;
            a member or the whole archive expands beyond the limits; the disk is full.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as err:
        raise SubmissionsError(f"{archive} is not a readable zip file: {err}") from err
    skipped = [] if skipped is None else skipped
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
            try:
                if info.is_dir():
                    dest.mkdir(parents=True, exist_ok=True)
                    continue
                dest.parent.mkdir(parents=True, exist_ok=True)
                written += _copy_member(zf, info, dest, MAX_TOTAL_BYTES - written, archive)
            except OSError as err:
                if err.errno in _DISK_ERRORS:
                    raise SubmissionsError(f"{archive}: cannot unpack: {err}") from err
                reason = err.strerror or type(err).__name__
                name = display_name(info.filename)
                skipped.append((dest, f"the file {name!r} of the zip was skipped ({reason})"))
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
    except OSError:
        if not dest.is_dir():
            dest.unlink(missing_ok=True)
        raise  # the caller skips the member (or stops, when the disk is full)
    except SubmissionsError:
        dest.unlink(missing_ok=True)
        raise
    return copied


def open_submissions(path: Path, scratch: Path, skipped: list[str] | None = None) -> list[Student]:
    """The students of SUBMISSIONS, a folder or a zip (unpacked into ``scratch/unzipped``).

    Args:
        path:    SUBMISSIONS
        scratch: a private folder for the unzipped class
        skipped: a list to append one line to per entry or zip member not graded

    Raises:
        SubmissionsError: as :func:`find_students` and :func:`unpack_zip`.
    """
    path = Path(path)
    skipped = [] if skipped is None else skipped
    if path.is_file():
        target = Path(scratch) / "unzipped"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        members: list[tuple[Path, str]] = []
        students = find_students(unpack_zip(path, target, members), skipped)
        skipped += [note for _, note in members]
        return [_with_member_notes(s, members) for s in students]
    if not path.exists():
        raise SubmissionsError(f"{path} does not exist")
    return find_students(path, skipped)


def _with_member_notes(student: Student, members: list[tuple[Path, str]]) -> Student:
    """The student, with a note per skipped zip member that belonged to their folder."""
    notes = [note for dest, note in members if student.folder in dest.parents]
    return replace(student, notes=(*student.notes, *notes)) if notes else student
