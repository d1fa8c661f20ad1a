"""Fingerprints of Python code that survive renaming, comments and reformatting (winnowing).

The integrity report (``similarity.py``) compares the code students wrote for a task. This module
turns code into a set of fingerprints, following Schleimer, Wilkerson & Aiken (2003), the
algorithm behind MOSS:

1. **Normalise** the token stream of Python's ``tokenize``: comments, blank lines and docstrings
   go; every identifier a student chooses becomes one token ``V``; numbers become ``N`` and strings
   ``S``. Keywords, operators, attribute names (``.T``, ``.sum``), keyword-argument names
   (``axis=``), builtins and the usual module names (``np``) stay, so ``np.dot(a, b)``, ``a @ b``
   and ``np.einsum(...)`` still differ while ``h_t``/``state`` do not. A statement ends in ``;``
   whether written on its own line or after a semicolon; line breaks inside brackets vanish.
2. **Hash every k-gram** (run of :data:`K` tokens).
3. **Winnow**: of every :data:`W` consecutive k-gram hashes keep the smallest. Any run of at least
   ``W + K - 1`` tokens that two texts share gives them a common fingerprint; shorter runs are
   noise (``return h, cache``) and are mostly missed by design.

The code of a task is the student's last top-level ``def <task>`` in the notebook plus the
notebook's own helper functions it calls (not other graded tasks, which are compared on their
own). Nothing is executed or parsed: the definitions are found in the cells' tokens.

References: Schleimer, Wilkerson & Aiken (2003), Winnowing: local algorithms for document
fingerprinting; measured settings in ``benchmarks/bench_similarity.py``.
"""

import builtins
import io
import itertools
import keyword
import re
import tokenize
import zlib
from collections import deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass

K = 7  # tokens per k-gram
W = 4  # k-grams per winnowing window: runs of >= W + K - 1 = 10 shared tokens are always seen
KEEP_NUMBERS = False  # True: each number is its own token; False: every number is N
MAX_CELL_CHARS = 100_000  # larger cells are not tokenized (an honest task cell has a few hundred)
MAX_NOTEBOOK_CHARS = 300_000  # characters tokenized per notebook at most (bounds a hostile one)
MAX_TOKENS = 20_000  # tokens fingerprinted per task (the rest is ignored)
#: Names that keep their identity: what renaming a variable never changes.
KEPT_NAMES = frozenset(dir(builtins)) | {"np", "numpy", "math", "torch"}
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_STATEMENT_START = {"", ";", "<in>", "<out>"}
_LAYOUT = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}


class CodeError(ValueError):
    """A task's code cannot be tokenized; the message says where."""


@dataclass(frozen=True)
class Definition:
    """A top-level function or class of a notebook: its cell, its tokens, the names it uses."""

    cell: int  # 0-based position among all cells (the student sees cell + 1)
    tokens: tuple  # its tokenize.TokenInfo, comments and blank lines left out
    names: frozenset[str]  # every name it reads or writes (not attributes)


@dataclass(frozen=True)
class Fingerprints:
    """A text's fingerprints, and where each one is."""

    where: dict[int, tuple[int, ...]]  # hash -> positions of its k-grams in the token stream
    places: tuple[tuple[int, int], ...]  # (cell, line) of each normalised token

    def lines(self, hashes) -> set[tuple[int, int]]:
        """The (cell, line) of every token of the given fingerprints' k-grams."""
        return {self.places[p + i] for h in hashes for p in self.where[h] for i in range(K)}

    def without(self, hashes) -> "Fingerprints":
        """These fingerprints but the given ones."""
        kept = {h: p for h, p in self.where.items() if h not in hashes}
        return Fingerprints(kept, self.places)


def raw_tokens(source: str) -> list[tokenize.TokenInfo]:
    """Python's tokens of ``source`` without comments and blank lines.

    Raises:
        CodeError: ``source`` cannot be tokenized (an unclosed bracket or string, a bad dedent,
            a character that is not Python).
    """
    try:
        raw = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError) as err:
        line = getattr(err, "lineno", None) or (err.args[1][0] if len(err.args) > 1 else "?")
        raise CodeError(f"cannot be tokenized (line {line}: {err.args[0]})") from err
    for tok in raw:
        if tok.type == tokenize.ERRORTOKEN and tok.string.strip():
            where = f"line {tok.start[0]}: unexpected {tok.string[:10]!r}"
            raise CodeError(f"cannot be tokenized ({where})")
    return [t for t in raw if t.type not in _SKIPPED]


def normalise(source: str) -> list[tuple[str, int]]:
    """The normalised tokens of ``source`` with the line of each (see the module docstring).

    Raises:
        CodeError: ``source`` cannot be tokenized.
    """
    return normalise_tokens(raw_tokens(source))


def normalise_tokens(raw) -> list[tuple[str, int]]:
    """The normalised form of :func:`raw_tokens`: (token, line) pairs."""
    out: list[tuple[str, int]] = []
    depth, i = 0, 0
    while i < len(raw):
        kind, text, (line, _) = raw[i][:3]
        previous = out[-1][0] if out else ""
        if kind == tokenize.STRING or tokenize.tok_name.get(kind) == "FSTRING_START":
            end = _string_end(raw, i)
            if not (previous in _STATEMENT_START and _alone(raw, end + 1)):
                out.append(("S", line))  # a docstring or a bare string is dropped: a comment
            i = end + 1
            continue
        if kind == tokenize.NAME:
            keep = keyword.iskeyword(text) or text in KEPT_NAMES or previous == "."
            keep = keep or (depth > 0 and i + 1 < len(raw) and raw[i + 1].string == "=")
            out.append((text if keep else "V", line))  # kept: attributes, keyword arguments
        elif kind == tokenize.NUMBER:
            out.append((text.lower() if KEEP_NUMBERS else "N", line))
        elif kind == tokenize.NEWLINE or text == ";":
            if previous not in _STATEMENT_START:
                out.append((";", line))
        elif kind == tokenize.INDENT:
            out.append(("<in>", line))
        elif kind == tokenize.DEDENT:
            out.append(("<out>", line))
        elif text.strip():
            depth += (text in ("(", "[", "{")) - (text in (")", "]", "}"))
            out.append((text, line))
        i += 1
    return out


def _alone(raw, j: int) -> bool:
    """Whether a string ending before raw[j] is a statement by itself (after any concatenated
    strings): what follows is the end of the statement."""
    while j < len(raw) and raw[j].type == tokenize.STRING:
        j += 1
    return j >= len(raw) or raw[j].type == tokenize.NEWLINE or raw[j].string == ";"


def _string_end(raw, i: int) -> int:
    """The index of the last token of the string starting at raw[i] (3.12 f-strings span
    several tokens: FSTRING_START ... FSTRING_END)."""
    if tokenize.tok_name.get(raw[i].type) != "FSTRING_START":
        return i
    depth = 0
    for j in range(i, len(raw)):
        name = tokenize.tok_name.get(raw[j].type)
        depth += (name == "FSTRING_START") - (name == "FSTRING_END")
        if depth == 0:
            return j
    return len(raw) - 1


def _token_id(text: str) -> int:
    return zlib.crc32(text.encode("utf-8", "backslashreplace"))


def kgrams(tokens: Sequence[tuple[str, int]], k: int | None = None) -> list[int]:
    """The hash of every k-gram of ``tokens`` (deterministic: a tuple of ints hashes the same in
    every process); ``k`` defaults to :data:`K`."""
    k = k or K
    ids = [_token_id(text) for text, _ in tokens[:MAX_TOKENS]]
    return [hash(tuple(ids[i : i + k])) for i in range(len(ids) - k + 1)]


def winnow(hashes: Sequence[int], w: int | None = None) -> list[int]:
    """Positions of the fingerprints: the rightmost smallest hash of every window of ``w``
    (default :data:`W`), each position once; one position for a text shorter than a window."""
    w = w or W
    if len(hashes) <= w:
        return [max(range(len(hashes)), key=lambda i: (-hashes[i], i))] if hashes else []
    picked: list[int] = []
    window: deque[int] = deque()  # positions of increasing hashes: the minimum in front
    for j, h in enumerate(hashes):
        while window and hashes[window[-1]] >= h:
            window.pop()  # an equal hash later on wins: the rightmost minimum
        window.append(j)
        if window[0] <= j - w:
            window.popleft()
        if j >= w - 1 and (not picked or picked[-1] != window[0]):
            picked.append(window[0])
    return picked


def fingerprint(definitions: Sequence[Definition]) -> Fingerprints:
    """The winnowed fingerprints of a task's definitions."""
    tokens: list[tuple[str, int]] = []
    where: list[tuple[int, int]] = []
    for definition in definitions:
        for text, line in normalise_tokens(definition.tokens):
            tokens.append((text, line))
            where.append((definition.cell, line))
    hashes = kgrams(tokens)
    found: dict[int, list[int]] = {}
    for pos in winnow(hashes):
        found.setdefault(hashes[pos], []).append(pos)
    return Fingerprints({h: tuple(v) for h, v in found.items()}, tuple(where))


def all_kgrams(source: str) -> frozenset[int]:
    """Every k-gram hash of ``source`` (for subtracting handed-out code); empty if untokenizable."""
    try:
        return frozenset(kgrams(normalise(source)))
    except CodeError:
        return frozenset()


# --- finding a task's code in a notebook ---------------------------------------------------------

_DEF = re.compile(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)\s*[(:]", re.MULTILINE)
_STARTS = ("def", "class", "async")


class Notebook:
    """The top-level functions and classes of a notebook's code cells, by name; a later
    definition wins, as when the notebook runs. A cell is tokenized only when a definition it
    holds is asked for (``notebook[name]``): a definition in a cell that cannot be tokenized (or
    is larger than :data:`MAX_CELL_CHARS`) is the CodeError saying so."""

    def __init__(self, cells):
        self._cells = {}  # name -> the cell that defines it last (found by a regex)
        for cell in cells:
            for name in _DEF.findall(cell.source):
                self._cells[name] = cell
        self._found: dict[str, Definition | CodeError] = {}
        self._done: set[int] = set()
        self._chars = 0  # characters tokenized so far

    def __contains__(self, name: str) -> bool:
        return name in self._cells

    def get(self, name: str) -> Definition | CodeError | None:
        cell = self._cells.get(name)
        if cell is None:
            return None
        if cell.index not in self._done:
            self._done.add(cell.index)
            self._chars += len(cell.source)
            if self._chars > MAX_NOTEBOOK_CHARS:
                error = CodeError(f"is past the first {MAX_NOTEBOOK_CHARS:,} characters compared")
                found = [(n, error) for n in _DEF.findall(cell.source)]
            else:
                found = _definitions(cell)
            self._found.update((n, d) for n, d in found if self._cells[n] is cell)
        return self._found.get(name, CodeError(f"cell {cell.index + 1}: no top-level {name}"))


def _definitions(cell):
    """(name, Definition or CodeError) of each top-level definition of one cell."""
    try:
        if len(cell.source) > MAX_CELL_CHARS:
            raise CodeError(f"is in a cell of {len(cell.source):,} characters, too large")
        raw = raw_tokens(cell.source)
    except CodeError as err:
        problem = CodeError(f"cell {cell.index + 1} {err}")
        return [(name, problem) for name in _DEF.findall(cell.source)]
    found = []
    for name, tokens in _top_level(raw):
        names = frozenset(
            t.string
            for i, t in enumerate(tokens)
            if t.type == tokenize.NAME and (i == 0 or tokens[i - 1].string != ".")
        )
        found.append((name, Definition(cell.index, tuple(tokens), names)))
    return found


def _top_level(raw):
    """(name, tokens) of each top-level ``def``/``class`` (with its decorators) in raw tokens."""
    starts, line_start = [], True
    for i, tok in enumerate(raw):
        if line_start and tok.start[1] == 0 and tok.type not in _LAYOUT:
            starts.append(i)
        if tok.type not in _LAYOUT:
            line_start = False
        if tok.type == tokenize.NEWLINE:
            line_start = True
    starts.append(len(raw))
    decorated = None
    for begin, end in itertools.pairwise(starts):
        first = raw[begin].string
        if first == "@":
            decorated = begin if decorated is None else decorated
            continue
        words = [t.string for t in raw[begin : begin + 3]]
        if first in _STARTS and tokenize.NAME in (t.type for t in raw[begin + 1 : begin + 3]):
            name = words[2] if first == "async" else words[1]
            yield name, raw[begin if decorated is None else decorated : end]
        decorated = None


def task_code(found, name: str, tasks: Collection[str] = ()) -> list[Definition]:
    """The definitions of a task: the last top-level ``def name`` and the helpers it names.

    Args:
        found: the notebook (:class:`Notebook`)
        name:  the task's function
        tasks: every graded task's name (never counted as a helper)

    Returns:
        The task's function first, then its helpers (transitively); [] when it is not defined.

    Raises:
        CodeError: the task's function cannot be tokenized.
    """
    first = found.get(name)
    if first is None:
        return []
    if isinstance(first, CodeError):
        raise first
    order, todo = {name: first}, [first]
    while todo:
        for helper in sorted(todo.pop().names):
            if helper in found and helper not in order and helper not in tasks:
                used = found.get(helper)
                if isinstance(used, Definition):
                    order[helper] = used
                    todo.append(used)
    return list(order.values())


def line_ranges(places: Collection[tuple[object, int]]) -> str:
    """(place, line) pairs as text, e.g. ``cell 4: 3-7, 9; cell 6: 2-5``: a place is a cell's
    0-based position (shown 1-based) or a file's name."""
    by_place: dict[object, set[int]] = {}
    for place, line in places:
        by_place.setdefault(place, set()).add(line)
    parts = []
    for place in sorted(by_place, key=str):
        runs: list[list[int]] = []
        for line in sorted(by_place[place]):
            if runs and line == runs[-1][1] + 1:
                runs[-1][1] = line
            else:
                runs.append([line, line])
        text = ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in runs)
        parts.append(f"cell {place + 1}: {text}" if isinstance(place, int) else f"{place}: {text}")
    return "; ".join(parts)
