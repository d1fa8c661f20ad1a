"""What an unprivileged uid can read on the host: the uid mode's checks before any student code.

In the ``uid`` mode a submission sees the host's file system with the rights of "other users".
:func:`check_uid_mode` asks a probe process running as a sandbox uid (``subprocess`` with
``user=``) to read every path that matters, and refuses to grade when

- the Python installation or a site-packages folder cannot be read (a pyenv under a 0700 home:
  honest code that imports a module the server did not preload would fail), or
- any secret can be read: hidden tests and seed, the course's reference package, the students'
  submissions, the output folder. Folders and files are both tried, so a folder that others may
  cross but not list (0711) does not hide a 0644 file in it.

Folders the grader made itself (``private``) are first made 0700. The grader's own command line is
readable by every uid (``/proc/<pid>/cmdline``), so a seed given there is refused too.
"""

import json
import os
import subprocess
import sys

from .modes import SandboxError

MAX_FILES = 20_000  # per secret folder: enough for a class, bounded for a huge tree
PROBE = """
import json, os, sys
found = {}
for path in json.loads(sys.argv[1]):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").close()
        found[path] = True
    except OSError:
        found[path] = False
print(json.dumps(found))
"""


def check_uid_mode(uid: int, *, required: list[str], secrets: list[str], private: list[str]):
    """Refuse (SandboxError) unless ``uid`` can read ``required`` and nothing in ``secrets``.

    Args:
        uid:      a sandbox uid (every one is "other" to every file, so one stands for all)
        required: what the submission's Python must read (installation, site-packages, stub)
        secrets:  folders or files no submission may read (walked, up to MAX_FILES each)
        private:  folders the grader made (OUT, scratch): made 0700 first, then checked
    """
    for path in private:
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, 0o700)
    problems = []
    argv = _seed_argument()
    if argv:
        problems.append(
            f"the seed is on the grader's command line ({argv}), which every uid can read in "
            "/proc: put it in solutions/tests/secret_seed.txt (chmod 600) instead"
        )
    candidates = [p for path in [*secrets, *private] for p in _tree(str(path))]
    try:
        seen = readable_by(uid, [*required, *candidates])
    except OSError as error:
        raise SandboxError(
            f"sandbox mode 'uid': an unprivileged uid cannot run this Python "
            f"({os.path.realpath(sys.executable)}: {error}). Its installation must be readable "
            f"by other users (a pyenv under a 0700 home is not): use a Python under /usr or /opt"
        ) from None
    unreadable = [path for path in required if not seen.get(path, False)]
    if unreadable:
        problems.append(
            "the sandbox uid cannot read " + ", ".join(unreadable[:3]) + ": honest code that "
            "imports a module would fail; make the Python installation and the virtual "
            "environment readable by other users (chmod o+rX on them and their parent folders)"
        )
    leaked = [path for path in candidates if seen.get(path, False)]
    if leaked:
        tops = sorted({top for top in [*secrets, *private] for p in leaked if _under(p, top)})
        problems.append(
            f"the sandbox uid can read {len(leaked)} secret path(s), e.g. {leaked[0]}: "
            f"run chmod -R go-rwx {' '.join(map(str, tops))}"
        )
    if problems:
        raise SandboxError("sandbox mode 'uid' refused: " + "; ".join(problems))


def required_paths(stage_lib: str, preimport: list[str]) -> list[str]:
    """What a submission's Python must read: the standard library, site-packages, the stub."""
    from .confine import site_dirs

    preloaded = [getattr(sys.modules.get(m), "__file__", None) for m in preimport]
    return [os.path.dirname(os.__file__), *site_dirs(), stage_lib, *filter(None, preloaded)]


def reference_package() -> str:
    """The folder of the real ``course_rnn``: its reference implementations are secret."""
    import course_rnn

    return os.path.dirname(os.path.realpath(course_rnn.__file__))


def readable_by(uid: int, paths: list[str]) -> dict[str, bool]:
    """``{path: whether uid can list it (a folder) or open it (a file)}``.

    Raises:
        OSError: this Python cannot even start as ``uid``.
    """
    done = subprocess.run(
        [os.path.realpath(sys.executable), "-I", "-S", "-c", PROBE, json.dumps(paths)],
        user=uid,
        group=uid,
        extra_groups=[],
        cwd="/",
        env={"LC_ALL": "C.UTF-8"},
        capture_output=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise OSError(done.returncode, done.stderr.decode(errors="backslashreplace")[-300:])
    return json.loads(done.stdout)


def _tree(top: str) -> list[str]:
    """``top`` and what lies beneath it (links not followed), at most MAX_FILES paths."""
    found = [top]
    if not os.path.isdir(top) or os.path.islink(top):
        return found
    for folder, folders, files in os.walk(top):
        found += [os.path.join(folder, name) for name in folders + files]
        if len(found) > MAX_FILES:
            break
    return [p for p in found[:MAX_FILES] if not os.path.islink(p)]


def _under(path: str, top) -> bool:
    top = str(top)
    return path == top or path.startswith(top.rstrip("/") + "/")


def _seed_argument() -> str:
    """The grader's ``--seed ...`` argument, if it has one (in its or its parent's command line)."""
    for pid in ("self", str(os.getppid())):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                args = file.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        for arg in args:
            if arg == "--seed" or arg.startswith("--seed="):
                return arg
    return ""
