"""How a graded task is declared, and how the grader loads an exercise's tasks.

A task is one function the student writes. It is declared in two halves, joined by its name:

- ``course_rnn/grading/specs/<exercise>.py`` (public, shipped with the package): ``TASKS``, one
  :class:`Task` each: the function's parameters, its outputs with their shapes in axis letters,
  how to build its inputs from a *fill* (``np.linspace`` for the public fixture and the edge cases,
  the grader's secret generator for hidden cases) and the trusted reference that computes the
  expected outputs. Student self-checks use this half only.
- ``solutions/tests/<exercise>.py`` (instructors only, never shipped): ``GRADED``, one
  :class:`Graded` each: the points of the public checks and of the hidden cases, and the sizes
  of the hidden cases. The file name is the registration: ``solutions/<exercise>.ipynb`` is the
  instructor notebook, ``exercises/<exercise>.ipynb`` the student's.

Book: "How to use this book" (exercises). See solutions/README.md for a worked example.
"""

import hashlib
import importlib
import importlib.util
import math
import pkgutil
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: What builds an input array: fill(shape, lo, hi) -> float64 array with entries in [lo, hi].
Fill = Callable[[tuple[int, ...], float, float], np.ndarray]

OUTPUT_KINDS = ("value", "gradient", "index", "judged")
SEED_FILE = "secret_seed.txt"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def linspace_fill(shape: tuple[int, ...], lo: float, hi: float) -> np.ndarray:
    """Public fixtures: evenly spaced values from lo to hi, in C order (CS231n's fixtures).

    Args:
        shape: the array's shape
        lo:    first value
        hi:    last value

    Returns:
        float64 array of ``shape``; the same on every machine, whatever the random state.
    """
    return np.linspace(lo, hi, num=math.prod(shape)).reshape(shape)


def random_fill(rng: np.random.Generator) -> Fill:
    """Hidden fixtures: uniform values in [lo, hi) drawn from ``rng`` (the grader's secret seed).

    Args:
        rng: the generator to draw from

    Returns:
        A fill with the signature of :func:`linspace_fill`.
    """

    def fill(shape: tuple[int, ...], lo: float, hi: float) -> np.ndarray:
        return lo + (hi - lo) * rng.random(size=shape)  # lo > hi is allowed, as in linspace

    return fill


@dataclass(frozen=True)
class Judge:
    """How an output of kind ``"judged"`` is checked: by what it achieves, not by equality.

    Used where many answers are right, e.g. the parameters of a model the student trained: the
    grader's process evaluates them on data the student's function never saw.
    """

    # form(value, dims) -> (checked value, None) or (None, message): the "shapes" stage
    form: Callable[[object, Mapping[str, float]], tuple[object, str | None]]
    # grade(checked value, withheld data) -> (passed, message): the "values" stage; the message
    # says what was achieved and what was needed, whether it passed or not
    grade: Callable[[object, object], tuple[bool, str]]


@dataclass(frozen=True)
class Withheld:
    """What ``Task.build`` returns for a judged task: the arguments, and data kept by the grader.

    ``args`` go to the student's function; ``data`` (e.g. held-out text) never leaves the
    trusted process and is handed to :attr:`Judge.grade`.
    """

    args: tuple
    data: object


@dataclass(frozen=True)
class Output:
    """One value a task's function returns."""

    name: str  # as the docstring calls it, e.g. "h_t" or "dW_hh"
    shape: str  # axis letters resolved from the case's dims, e.g. "B H"; "" for a scalar
    kind: str = "value"  # "value" and "index" are checked before "gradient"; index = integers
    hint: str = ""  # the formula-level hint, shown once the same check has failed before
    judge: Judge | None = None  # kind "judged" only


@dataclass(frozen=True)
class Edge:
    """A public edge case: a label for the message and the dims handed to ``Task.build``."""

    label: str  # completes "with ...", e.g. "T = 1 (a single step)"
    dims: Mapping[str, float]


@dataclass(frozen=True)
class Task:
    """The public half of a graded task (see the module docstring)."""

    name: str  # the function the student writes
    params: tuple[str, ...]  # its parameters, in order (extra ones need defaults)
    outputs: tuple[Output, ...]  # one output: the value itself; several: a tuple of them
    build: Callable[..., tuple]  # build(fill, **dims) -> the positional arguments (or Withheld)
    reference: Callable[..., tuple]  # reference(*arguments) -> expected outputs (trusted)
    public: Mapping[str, float]  # dims of the public fixture
    edges: tuple[Edge, ...] = ()
    harness: Callable | None = None  # harness(fn, *arguments) adapts an API to data in, data out
    rtol: float = 1e-6
    atol: float = 1e-9
    timeout: float = 2.0  # seconds per call inside the grader's worker

    def shape_of(self, output: Output, dims: Mapping[str, float]) -> tuple[int, ...]:
        """The expected shape of ``output`` for a case built from ``dims``."""
        return tuple(int(dims[letter]) for letter in output.shape.split())


@dataclass(frozen=True)
class Graded:
    """The instructor's half of a graded task (in solutions/tests/<exercise>.py)."""

    task: str  # a Task.name of the exercise's spec module
    public_points: float  # earned when every public check passes
    hidden_points: float  # earned when every hidden case matches the reference
    hidden: tuple[Mapping[str, float], ...]  # dims of the hidden cases (inputs drawn secretly)


@dataclass(frozen=True)
class Exercise:
    """An exercise as the grader sees it: its tasks with their points, loaded from solutions/."""

    name: str  # "hidden_state": the notebook is hidden_state.ipynb
    graded: tuple[tuple[Task, Graded], ...]
    fingerprint: str  # changes whenever the hidden tests or the public spec change


def spec_tasks(exercise: str) -> tuple[Task, ...]:
    """The public tasks of one exercise (``course_rnn.grading.specs.<exercise>.TASKS``).

    Raises:
        ValueError: no spec module of that name, or its TASKS is malformed.
    """
    if not _NAME.match(exercise):
        raise ValueError(f"exercise name {exercise!r} must be a lower-case Python identifier")
    try:
        module = importlib.import_module(f"course_rnn.grading.specs.{exercise}")
    except ModuleNotFoundError as err:
        raise ValueError(
            f"exercise {exercise!r} has no public spec: add course_rnn/grading/specs/{exercise}.py"
        ) from err
    tasks = getattr(module, "TASKS", None)
    if not isinstance(tasks, tuple) or not all(isinstance(t, Task) for t in tasks):
        raise ValueError(f"course_rnn.grading.specs.{exercise}.TASKS must be a tuple of Task")
    for task in tasks:
        bad = [o.kind for o in task.outputs if o.kind not in OUTPUT_KINDS]
        if bad:
            raise ValueError(f"task {task.name}: output kinds {bad} not in {OUTPUT_KINDS}")
        if any((o.kind == "judged") != (o.judge is not None) for o in task.outputs):
            raise ValueError(f"task {task.name}: a judged output needs a Judge, and only it")
    return tasks


def all_tasks() -> dict[str, Task]:
    """Every public task of every exercise, by name (what ``check(name, fn)`` looks up).

    Raises:
        ValueError: two exercises declare a task of the same name.
    """
    from course_rnn.grading import specs

    found: dict[str, Task] = {}
    for info in sorted(pkgutil.iter_modules(specs.__path__), key=lambda m: m.name):
        for task in spec_tasks(info.name):
            if task.name in found:
                raise ValueError(f"task {task.name!r} is declared by two exercises")
            found[task.name] = task
    return found


def read_seed(solutions: Path) -> int:
    """The grader's secret seed, from ``solutions/tests/secret_seed.txt``.

    Raises:
        ValueError: the file is missing or does not hold one non-negative integer.
    """
    return read_seed_file(Path(solutions) / "tests" / SEED_FILE)


def read_seed_file(path: Path) -> int:
    """The secret seed in the file at ``path`` (``course-rnn grade --seed-file``).

    Raises:
        ValueError: the file is missing, unreadable or does not hold one non-negative integer.
    """
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read(10_000)
    except (OSError, UnicodeDecodeError) as err:
        why = getattr(err, "strerror", None) or type(err).__name__
        raise ValueError(
            f"no secret seed: {path} is missing or unreadable ({why}); "
            "use --seed-file PATH or the COURSE_RNN_SEED environment variable"
        ) from err
    return parse_seed(text, str(path))


def parse_seed(text: str, where: str) -> int:
    """A secret seed from text: one non-negative integer, of any size (128 random bits advised:
    ``python -c "import secrets; print(secrets.randbits(128))"``).

    Raises:
        ValueError: ``text`` is not one non-negative integer (``where`` names its source).
    """
    text = text.strip()
    if not re.fullmatch(r"[0-9]{1,1000}", text):
        raise ValueError(f"{where} must hold one non-negative integer, got {text[:40]!r}")
    return int(text)


def load_exercises(solutions: Path) -> list[Exercise]:
    """Every exercise with hidden tests under ``solutions/tests/``, sorted by name.

    Args:
        solutions: the instructor folder (holds ``tests/<exercise>.py``)

    Returns:
        One :class:`Exercise` per hidden-test module (files starting with ``_`` are helpers).

    Raises:
        ValueError: a module has no GRADED list, names an unknown task, or gives bad points.
    """
    folder = Path(solutions) / "tests"
    paths = sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))
    if not paths:
        raise ValueError(f"no hidden-test modules in {folder}: expected <exercise>.py files")
    return [_load_exercise(path) for path in paths]


def _load_exercise(path: Path) -> Exercise:
    """Import one hidden-test module by path (it is never installed) and join it to its spec."""
    name = path.stem
    tasks = {t.name: t for t in spec_tasks(name)}
    spec = importlib.util.spec_from_file_location(f"_course_rnn_hidden_tests_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    graded = getattr(module, "GRADED", None)
    if not isinstance(graded, list | tuple) or not all(isinstance(g, Graded) for g in graded):
        raise ValueError(f"{path}: GRADED must be a list of course_rnn.grading.tasks.Graded")
    pairs = []
    for g in graded:
        if g.task not in tasks:
            raise ValueError(f"{path}: task {g.task!r} is not in specs/{name}.py {sorted(tasks)}")
        if g.public_points < 0 or g.hidden_points < 0 or (g.hidden_points and not g.hidden):
            raise ValueError(f"{path}: {g.task}: points must be >= 0 and hidden points need cases")
        pairs.append((tasks[g.task], g))
    digest = hashlib.sha256(path.read_bytes())
    digest.update(
        Path(importlib.import_module(f"course_rnn.grading.specs.{name}").__file__).read_bytes()
    )
    return Exercise(name, tuple(pairs), digest.hexdigest())
