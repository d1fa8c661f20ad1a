"""Check what the built archives hold: the whole package with its data, and nothing else.

``make dist`` runs this after ``python -m build`` and ``twine check --strict``;
tests/test_dist.py calls :func:`wheel_problems` and :func:`sdist_problems` on the archives it
builds itself.

The wheel must hold every file under course_rnn/ in this checkout, byte for byte: the modules,
``py.typed``, and the data read at run time, i.e. the grader's sandbox stub
(``grading/sandbox/stub/``, which ``confine.py`` copies into the sandbox next to the worker
modules it names) and the stored experiment results (``results/*.json``, read through
``importlib.resources``). A file there that setuptools leaves out is reported, so data added
without a ``package-data`` pattern in pyproject.toml cannot slip through. The wheel's metadata
must carry the version of course_rnn/__init__.py, the dependencies and the ``course-rnn``
command. Nothing else may be in it: no tests, notebooks, tools or solutions (the hidden tests and
the secret seed). The sdist must hold the same package files plus pyproject.toml and README.md,
and none of those folders.

Usage: python tools/check_dist.py DIST_FOLDER   (checks the wheel and sdist of this version)
"""

import re
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "course_rnn"
#: Files the sdist may hold besides the package: what setuptools writes and what builds it.
SDIST_EXTRAS = {"PKG-INFO", "pyproject.toml", "README.md", "setup.cfg", "MANIFEST.in"}
COMMAND = "course-rnn = course_rnn.cli:main"
SECRET = re.compile(r"(^|/)(solutions|tests|secret_seed[^/]*)(/|$)")


def version(root: Path = ROOT) -> str:
    """``course_rnn.__version__`` as written in the checkout."""
    init = (root / PACKAGE / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'^__version__ = "([^"]+)"$', init, re.MULTILINE).group(1)


def package_files(root: Path = ROOT) -> dict[str, bytes]:
    """``{"course_rnn/...": bytes}`` for every file of the package in the checkout (no caches)."""
    found = {}
    for path in sorted((root / PACKAGE).rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


def _compare(held: dict[str, bytes], expected: dict[str, bytes], what: str) -> list[str]:
    problems = [f"{what}: missing {name}" for name in expected if name not in held]
    problems += [
        f"{what}: {name} differs from the checkout (a stale build?)"
        for name in expected
        if name in held and held[name] != expected[name]
    ]
    return problems


def wheel_problems(wheel: Path, root: Path = ROOT) -> list[str]:
    """Everything wrong with ``wheel`` (empty when it is right)."""
    what = Path(wheel).name
    with zipfile.ZipFile(wheel) as zf:
        held = {name: zf.read(name) for name in zf.namelist() if not name.endswith("/")}
    info = f"{PACKAGE}-{version(root)}.dist-info/"
    problems = _compare(held, package_files(root), what)
    problems += [
        f"{what}: {name} does not belong in the wheel"
        for name in held
        if not name.startswith((f"{PACKAGE}/", info)) or SECRET.search(name)
    ]
    if f"{info}METADATA" not in held:
        return [*problems, f"{what}: no {info}METADATA (wrong version?)"]
    metadata = Parser().parsestr(held[f"{info}METADATA"].decode("utf-8"))
    if metadata["Version"] != version(root):
        problems.append(f"{what}: version {metadata['Version']}, the checkout has {version(root)}")
    requires = " ".join(metadata.get_all("Requires-Dist") or [])
    problems += [
        f"{what}: does not require {dep}" for dep in ("numpy", "torch") if dep not in requires
    ]
    entry_points = held.get(f"{info}entry_points.txt", b"").decode("utf-8")
    if COMMAND not in entry_points:
        problems.append(f"{what}: no console script `{COMMAND}`")
    return problems


def sdist_problems(sdist: Path, root: Path = ROOT) -> list[str]:
    """Everything wrong with the source archive ``sdist`` (empty when it is right)."""
    what = Path(sdist).name
    top = f"{PACKAGE}-{version(root)}/"
    with tarfile.open(sdist) as tf:
        held = {
            m.name.removeprefix(top): tf.extractfile(m).read()
            for m in tf.getmembers()
            if m.isfile()
        }
    problems = _compare(held, package_files(root), what)
    problems += [
        f"{what}: missing {name}" for name in ("pyproject.toml", "README.md") if name not in held
    ]
    problems += [
        f"{what}: {name} does not belong in the sdist"
        for name in held
        if not (name in SDIST_EXTRAS or name.startswith((f"{PACKAGE}/", f"{PACKAGE}.egg-info/")))
        or SECRET.search(name)
    ]
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    folder = Path(argv[0])
    wheels = sorted(folder.glob(f"{PACKAGE}-{version()}-*.whl"))
    sdists = sorted(folder.glob(f"{PACKAGE}-{version()}.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        print(f"check_dist: expected one wheel and one sdist of {version()} in {folder}")
        return 1
    problems = wheel_problems(wheels[0]) + sdist_problems(sdists[0])
    for problem in problems:
        print(f"check_dist: {problem}")
    if problems:
        return 1
    for path in (*wheels, *sdists):
        print(f"check_dist: {path.name}: {path.stat().st_size:,} bytes, contents OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
