"""Student-derived text made inert before an instructor's terminal, spreadsheet or viewer sees it.

Everything a submission controls (folder and file names, exception messages, printed output) may
hold bytes that are not UTF-8, lone surrogates, terminal escapes (ANSI CSI, OSC: a new window
title, a cleared screen, a line that overwrites another), C0/C1 controls, or bidi overrides that
reorder what a reader sees. :func:`inert` writes each such character as a visible escape
(``\\x1b``, ``\\u202e``, ``\\udcff``), so the text can always be encoded as UTF-8 and displayed
as it is. :func:`spreadsheet_cell` also stops a spreadsheet from reading a cell as a formula, in
comma, semicolon and tab separated imports alike.
"""

import os
import re

#: Characters shown as escapes: C0 and C1 controls, DEL, the Unicode line and paragraph
#: separators, bidi marks, embeddings, overrides and isolates, and lone surrogates.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_UNSAFE_KEEP_LINES = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ud800-\udfff]"
)
_FORMULA_START = "=+-@"  # with TAB and CR, which inert() has already escaped
_SEPARATED_FORMULA = re.compile(r"([,;|])(\s*)(?=[=+\-@])")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def inert(text, *, lines: bool = False) -> str:
    """``text`` with every control, bidi and surrogate character written as an escape.

    Args:
        text:  any value (``str()`` is taken; a failing ``__str__`` gives a placeholder)
        lines: keep newlines and tabs (feedback code blocks); else they are escaped too
               (one-line fields: names in a table or a CSV cell)

    Returns:
        Text that encodes as UTF-8 and shows no terminal or bidi effect.
    """
    try:
        text = text if isinstance(text, str) else str(text)
    except Exception:  # an object whose __str__ fails
        return "<unprintable>"
    pattern = _UNSAFE_KEEP_LINES if lines else _UNSAFE
    return pattern.sub(_escape, text)


def display_name(name) -> str:
    """A file or folder name as text: undecodable bytes as ``\\xff`` escapes, then :func:`inert`.

    ``os.fsdecode`` turns bytes that are not UTF-8 into lone surrogates (``\\udcff``); these are
    written back as the byte they stand for.
    """
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
    raw = name if isinstance(name, bytes) else os.fsencode(name)
    return inert(raw.decode("utf-8", "backslashreplace"))


def spreadsheet_cell(value) -> str:
    """A CSV cell that no spreadsheet runs as a formula, whatever the import's separator.

    The cell is :func:`inert` (so it holds no TAB or CR); a leading ``= + - @`` (after any
    spaces) is prefixed with ``'``, and so is one that follows a ``,``, ``;`` or ``|`` inside the
    cell (where a semicolon or pipe separated import would start a new field).
    """
    text = _SEPARATED_FORMULA.sub(r"\1\2'", inert(value))
    first = text.lstrip()[:1]
    return "'" + text if first and first in _FORMULA_START else text
