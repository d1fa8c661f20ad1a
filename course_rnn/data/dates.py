"""Two sequence-to-sequence sets with checkable answers: dates to ISO, and digit strings to copy.

**Dates** (:func:`make_dates`): a date between 1950-01-01 and 2049-12-31, drawn uniformly, written
in one of the :data:`DATE_FORMATS` ("3rd of March 1999", "Wed 03/03/99", "march 3, 1999",
"the third of march nineteen ninety-nine", ...), is the source; its ISO form "1999-03-03" is the
target. Everything comes from Python's ``datetime`` and ``calendar``, so weekday names are right.
Two conventions remove every ambiguity: slashes are month/day/year (US) and dots day.month.year
(European); a two-digit year yy means 19yy for yy >= 50 and 20yy below. Sources have 8-54
characters (16 on average), targets always 10. Baseline: each of the 36,525 dates has
probability 1/36,525, so chance exact match is about 0; per character, the best constant guess
(the most frequent character at each position) scores :func:`date_char_baseline`, about 0.46.

**Digit copy** (:func:`make_digit_copy`): a string of L uniform random digits, L in
[min_len, max_len], is the source, and the same string is the target. Its answer needs every
source symbol, in order, so the information the decoder must receive grows with L (L·log2 10
bits): the task that shows the fixed-vector bottleneck (chapter "Encoder–decoders and
attention"). Baseline: chance exact match 10^-L; per digit 1/10.

Both return lists of strings; :func:`encode_pairs` turns a list of pairs into padded, time-major
id arrays with an EOS symbol closing every target. Seeds follow ``course_rnn.data.SEED_CONVENTION``.
Book: chapter "Encoder–decoders and attention".
"""

import calendar
import datetime as dt
from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np

from course_rnn.data._checks import check_int, check_rng
from course_rnn.data.batching import pad_sequences

IGNORE_INDEX = -100  #: target id of padding steps (torch's cross-entropy ignore_index default)
PAD = 0  #: source id of padding steps
FIRST_DAY = dt.date(1950, 1, 1)  #: earliest date drawn
LAST_DAY = dt.date(2049, 12, 31)  #: latest date drawn (two-digit years stay unambiguous)

#: every character a source can contain; source id = 1 + index (0 is padding)
SOURCE_CHARS = " ',-./0123456789ADFJMNOSTWabcdefghijlmnoprstuvwxy"
#: the target alphabet of both tasks; target id = index, EOS = len(TARGET_CHARS)
TARGET_CHARS = "-0123456789"
EOS = len(TARGET_CHARS)  #: end-of-sequence target id (11)
TARGET_VOCAB = EOS + 1  #: V of the targets, EOS included (12)
SOURCE_VOCAB = len(SOURCE_CHARS) + 1  #: V_src, padding included

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen " \
    "fifteen sixteen seventeen eighteen nineteen".split()  # fmt: skip
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                  "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}  # fmt: skip


def _number_words(n: int) -> str:
    """0 <= n < 100 in English words: 42 -> 'forty-two'."""
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + ("" if ones == 0 else "-" + _ONES[ones])


def _ordinal_words(n: int) -> str:
    """1 <= n <= 31 as an ordinal in words: 3 -> 'third', 21 -> 'twenty-first'."""
    words = _number_words(n)
    head, _, last = words.rpartition("-")
    last = _ORDINAL_WORDS.get(last, last[:-1] + "ieth" if last.endswith("y") else last + "th")
    return f"{head}-{last}" if head else last


def _year_words(y: int) -> str:
    """1950-2049 as spoken: 1999 -> 'nineteen ninety-nine', 2005 -> 'two thousand five'."""
    if 2000 <= y < 2010:
        return "two thousand" + ("" if y == 2000 else " " + _ONES[y - 2000])
    century, rest = divmod(y, 100)
    return _number_words(century) + " " + ("hundred" if rest == 0 else
                                           ("oh " + _ONES[rest] if rest < 10 else
                                            _number_words(rest)))  # fmt: skip


def _suffix(n: int) -> str:
    """The English ordinal suffix of a day number: 1 -> 'st', 12 -> 'th', 22 -> 'nd'."""
    if 11 <= n % 100 <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _month(d: dt.date) -> str:
    return calendar.month_name[d.month]


def _mon(d: dt.date) -> str:
    return calendar.month_abbr[d.month]


def _day_name(d: dt.date) -> str:
    return calendar.day_name[d.weekday()]


#: name -> formatter; each maps a date to one source string
DATE_FORMATS: dict[str, Callable[[dt.date], str]] = {
    "long": lambda d: f"{_month(d)} {d.day}, {d.year}",  # March 3, 1999
    "long_lower": lambda d: f"{_month(d).lower()} {d.day}, {d.year}",  # march 3, 1999
    "day_month": lambda d: f"{d.day} {_month(d)} {d.year}",  # 3 March 1999
    "ordinal_of": lambda d: f"{d.day}{_suffix(d.day)} of {_month(d)} {d.year}",  # 3rd of March 1999
    "weekday_long": lambda d: (
        f"{_day_name(d)}, {_month(d)} {d.day}{_suffix(d.day)}, {d.year}"
    ),  # Wednesday, March 3rd, 1999
    "weekday_us": lambda d: f"{_day_name(d)[:3]} {d:%m/%d/%y}",  # Wed 03/03/99
    "us_slash": lambda d: f"{d.month}/{d.day}/{d.year}",  # 3/3/1999
    "eu_dots": lambda d: f"{d:%d.%m.%Y}",  # 03.03.1999
    "abbrev": lambda d: f"{_mon(d)} {d.day} '{d:%y}",  # Mar 3 '99
    "abbrev_lower": lambda d: f"{d.day} {_mon(d).lower()} {d.year}",  # 3 mar 1999
    "iso_slash": lambda d: f"{d:%Y/%m/%d}",  # 1999/03/03
    "words": lambda d: (
        f"the {_ordinal_words(d.day)} of {_month(d).lower()} {_year_words(d.year)}"
    ),  # the third of march nineteen ninety-nine
}
FORMAT_NAMES = tuple(DATE_FORMATS)  #: format names, in the order of format ids


class DatePairs(NamedTuple):
    """Dates as strings: sources, ISO targets and which format wrote each source."""

    sources: list[str]
    targets: list[str]
    formats: list[int]  # index into FORMAT_NAMES


class EncodedPairs(NamedTuple):
    """A padded, time-major batch of source/target id sequences."""

    src: np.ndarray  # (S, B) int64 source ids, PAD after each source
    src_lengths: np.ndarray  # (B,) int64
    tgt: np.ndarray  # (T, B) int64 target ids, EOS closing each target, IGNORE_INDEX after
    tgt_lengths: np.ndarray  # (B,) int64, EOS included


def make_dates(n: int, *, rng: np.random.Generator, formats: Sequence[str] | None = None
               ) -> DatePairs:  # fmt: skip
    """``n`` dates, uniform over 1950-2049, each written in a uniformly drawn format.

    Args:
        n:       number of pairs
        rng:     np.random.Generator (the only source of randomness)
        formats: names from :data:`DATE_FORMATS` to draw from (default: all)

    Returns:
        DatePairs(sources, targets "YYYY-MM-DD", formats) with n entries each
    """
    where = "make_dates"
    n = check_int(where, "n", n)
    rng = check_rng(where, rng)
    names = FORMAT_NAMES if formats is None else tuple(formats)
    unknown = sorted(set(names) - set(FORMAT_NAMES))
    if unknown or not names:
        raise ValueError(f"{where}: unknown formats {unknown or names}; expected {FORMAT_NAMES}")
    span = (LAST_DAY - FIRST_DAY).days + 1
    days = rng.integers(0, span, size=n)
    picks = rng.integers(0, len(names), size=n)
    dates = [FIRST_DAY + dt.timedelta(days=int(k)) for k in days]
    ids = [FORMAT_NAMES.index(names[p]) for p in picks]
    sources = [DATE_FORMATS[FORMAT_NAMES[i]](d) for d, i in zip(dates, ids, strict=True)]
    return DatePairs(sources, [d.isoformat() for d in dates], ids)


def make_digit_copy(n: int, *, min_len: int, max_len: int, rng: np.random.Generator
                    ) -> tuple[list[str], list[str]]:  # fmt: skip
    """``n`` strings of L uniform digits, L uniform in [min_len, max_len]; targets = sources.

    Args:
        n:       number of pairs
        min_len: shortest string (>= 1)
        max_len: longest string (>= min_len)
        rng:     np.random.Generator

    Returns:
        (sources, targets): two lists of n equal strings of digits
    """
    where = "make_digit_copy"
    n = check_int(where, "n", n)
    lo = check_int(where, "min_len", min_len)
    hi = check_int(where, "max_len", max_len, minimum=lo)
    rng = check_rng(where, rng)
    lengths = rng.integers(lo, hi + 1, size=n)
    sources = ["".join(map(str, rng.integers(0, 10, size=L))) for L in lengths]
    return sources, list(sources)


def encode_source(text: str) -> list[int]:
    """Source string -> ids in [1, SOURCE_VOCAB); raises ValueError on an unknown character."""
    try:
        return [SOURCE_CHARS.index(ch) + 1 for ch in text]
    except ValueError:
        bad = sorted(set(text) - set(SOURCE_CHARS))
        raise ValueError(f"encode_source: characters {bad} are not in SOURCE_CHARS") from None


def encode_target(text: str) -> list[int]:
    """Target string -> ids in [0, EOS), followed by EOS."""
    bad = sorted(set(text) - set(TARGET_CHARS))
    if bad:
        raise ValueError(f"encode_target: characters {bad} are not in TARGET_CHARS")
    return [TARGET_CHARS.index(ch) for ch in text] + [EOS]


def decode_target(ids: Sequence[int]) -> str:
    """Target ids -> string, stopping at the first EOS (ids outside the alphabet give '?')."""
    out = []
    for i in ids:
        if int(i) == EOS:
            break
        out.append(TARGET_CHARS[int(i)] if 0 <= int(i) < EOS else "?")
    return "".join(out)


def encode_pairs(sources: Sequence[str], targets: Sequence[str]) -> EncodedPairs:
    """Pad source and target strings into time-major id arrays.

    Args:
        sources: B strings over SOURCE_CHARS
        targets: B strings over TARGET_CHARS

    Returns:
        EncodedPairs: src (S, B), src_lengths (B,), tgt (T, B) with EOS, tgt_lengths (B,)
    """
    if len(sources) != len(targets) or not sources:
        raise ValueError(
            f"encode_pairs: expected as many sources as targets (>= 1), got {len(sources)} and "
            f"{len(targets)}"
        )
    src, _, src_lengths = pad_sequences(
        [np.array(encode_source(s), dtype=np.int64) for s in sources], pad_value=PAD
    )
    tgt, _, tgt_lengths = pad_sequences(
        [np.array(encode_target(t), dtype=np.int64) for t in targets], pad_value=IGNORE_INDEX
    )
    return EncodedPairs(src, src_lengths, tgt, tgt_lengths)


def date_char_baseline(n: int = 20_000, *, rng: np.random.Generator) -> float:
    """Per-character accuracy of the best constant guess (the mode at each of the 10 positions).

    Args:
        n:   dates drawn to estimate it
        rng: np.random.Generator

    Returns:
        float in [0, 1]: mean over the 10 positions of the mode's frequency
    """
    targets = np.array([list(t) for t in make_dates(n, rng=rng).targets])  # (n, 10)
    modes = [np.unique(col, return_counts=True)[1].max() / n for col in targets.T]
    return float(np.mean(modes))
