"""A character corpus that ships with Python, a vocabulary, and language-model batches.

The corpus is ``pydoc_data.topics``: the help texts behind ``help("assert")`` and friends, 464,970
characters of English prose and code, concatenated in sorted-key order. Python ships it, but its
text changes between Python releases (3.12's is 492 k characters, 3.13's 511 k), so the package
carries a frozen copy, the Python 3.11.7 text, xz-compressed in ``pydoc_topics.txt.xz`` (95 kB,
Python Software Foundation License, like the rest of Python's documentation). Every Python version
then trains on the same characters, and the numbers a chapter states hold on Colab's Python too.
Nothing is ever downloaded. The validation set is the held-out LAST 10 % of the text, never a
random sample, so no sentence is shared between the two halves.

A character language model reads ``x = ids[s : s + T]`` and predicts ``y = ids[s + 1 : s + T + 1]``:
the targets are the inputs shifted by one step. :func:`random_windows` draws such pairs at random
offsets (training); :func:`sequential_batches` walks the text in B parallel lanes, so the hidden
state can be carried from one chunk to the next (truncated BPTT, evaluation).

Book: chapter "Character language models" (bits per character on the held-out 10 %). For scale,
measured on Python 3.11: given the training part, zlib (level 9) codes the validation part in 1.95
bits per character and bz2 in 1.42; a uniform guess costs log2(V) ≈ 6.7.
"""

import functools
import hashlib
import lzma
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import resources

import numpy as np

from course_rnn.data._checks import check_fraction, check_int, check_rng
from course_rnn.shapes import ShapeError

#: The unknown-character symbol of character vocabularies (U+FFFD, absent from the corpus).
UNK_CHAR = "\N{REPLACEMENT CHARACTER}"


#: SHA-256 of the frozen corpus's UTF-8 bytes (Python 3.11.7's ``pydoc_data.topics``).
PYDOC_CORPUS_SHA256 = "37d06970fc926e60c16dff401e441b84752446a36b6b64516c229fdec77e992c"


@functools.cache
def pydoc_corpus() -> str:
    """Python 3.11.7's ``pydoc_data.topics``, values in sorted-key order (464,970 characters).

    Read from the frozen copy in the package, whichever Python runs; checked against its hash.
    """
    raw = lzma.decompress((resources.files(__package__) / "pydoc_topics.txt.xz").read_bytes())
    if hashlib.sha256(raw).hexdigest() != PYDOC_CORPUS_SHA256:
        raise RuntimeError("pydoc_corpus: pydoc_topics.txt.xz is damaged (hash mismatch)")
    return raw.decode("utf-8")


class Vocab:
    """A two-way map between symbols (characters or words) and int ids, with an unknown id.

    Ids are: ``pad`` first if given (id 0), then ``unk``, then the symbols in the order given
    (duplicates dropped). Encoding a symbol that is not in the vocabulary gives ``unk_id``;
    decoding ``unk_id`` gives the ``unk`` symbol, so ``decode(encode(s)) == s`` exactly when every
    symbol of ``s`` is known.

    Args:
        symbols: the known symbols, e.g. ``sorted(set(text))`` or a word list
        unk:     the symbol that stands for every unknown one
        pad:     a padding symbol (id 0), or None for no padding id
    """

    def __init__(self, symbols: Iterable[str], *, unk: str = "<unk>", pad: str | None = None):
        if pad == unk:
            raise ValueError(f"Vocab: pad and unk must differ, got pad={pad!r} and unk={unk!r}")
        specials = [unk] if pad is None else [pad, unk]
        ordered = list(dict.fromkeys([*specials, *symbols]))  # keeps order, drops duplicates
        self.itos: tuple[str, ...] = tuple(ordered)  # id -> symbol
        self.stoi: dict[str, int] = {s: i for i, s in enumerate(ordered)}  # symbol -> id
        self.unk, self.pad = unk, pad
        self.unk_id: int = self.stoi[unk]
        self.pad_id: int | None = None if pad is None else self.stoi[pad]

    @classmethod
    def from_text(cls, text: str, *, unk: str = UNK_CHAR) -> "Vocab":
        """A character vocabulary: ``unk`` is id 0, then the sorted distinct characters of text."""
        return cls(sorted(set(text) - {unk}), unk=unk)

    def __len__(self) -> int:
        """V, the number of ids (special symbols included)."""
        return len(self.itos)

    def __contains__(self, symbol: str) -> bool:
        return symbol in self.stoi

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocab):
            return NotImplemented
        return (self.itos, self.unk, self.pad) == (other.itos, other.unk, other.pad)

    def __hash__(self) -> int:
        return hash((self.itos, self.unk, self.pad))

    def __repr__(self) -> str:
        return f"Vocab(V={len(self)}, unk={self.unk!r}, pad={self.pad!r})"

    def encode(self, symbols: Iterable[str]) -> np.ndarray:
        """Symbols to ids; a string is read character by character.

        Args:
            symbols: a str (characters) or an iterable of symbols (e.g. a list of words)

        Returns:
            ids: (N,) int64 in [0, V); unknown symbols become ``unk_id``
        """
        get, unk_id = self.stoi.get, self.unk_id
        return np.fromiter((get(s, unk_id) for s in symbols), dtype=np.int64)

    def decode(self, ids: Iterable[int] | np.ndarray, *, sep: str = "") -> str:
        """Ids to text: the symbols joined with ``sep`` ("" for characters, " " for words).

        Args:
            ids: (N,) int in [0, V)
            sep: the separator between symbols

        Returns:
            str
        """
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and not np.issubdtype(ids.dtype, np.integer)):
            raise ShapeError(f"Vocab.decode: ids expected (N,) int, got {ids.shape} {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(
                f"Vocab.decode: ids must lie in [0, V={len(self)}), got range "
                f"[{ids.min()}, {ids.max()}]"
            )
        return sep.join(self.itos[i] for i in ids.tolist())


def split_train_val(data, *, val_fraction: float = 0.1):
    """Hold out the LAST ``val_fraction`` of a sequence (text or ids) for validation.

    Args:
        data:         a str or a (N,) array
        val_fraction: in (0, 1); the validation part has ``int(N · val_fraction)`` items

    Returns:
        train: data[: N - N_val]
        val:   data[N - N_val :]
    """
    val_fraction = check_fraction("split_train_val", "val_fraction", val_fraction)
    if not 0 < val_fraction < 1:
        raise ValueError(f"split_train_val: val_fraction must be in (0, 1), got {val_fraction}")
    N_val = int(len(data) * val_fraction)
    return data[: len(data) - N_val], data[len(data) - N_val :]


@dataclass(frozen=True)
class CharCorpus:
    """The encoded pydoc corpus, split; build it with :func:`char_corpus`."""

    text: str  # the whole corpus
    vocab: Vocab  # built from the training part only; unseen characters map to vocab.unk_id
    train: np.ndarray  # (N_train,) int64 ids, the first 90 %
    val: np.ndarray  # (N_val,) int64 ids, the last 10 %


def char_corpus(*, val_fraction: float = 0.1) -> CharCorpus:
    """The pydoc corpus as ids, its vocabulary and its train/validation split.

    Args:
        val_fraction: the held-out last part, in (0, 1)

    Returns:
        CharCorpus(text, vocab, train (N_train,) int64, val (N_val,) int64), V = len(vocab) ≈ 104
    """
    text = pydoc_corpus()
    train_text, val_text = split_train_val(text, val_fraction=val_fraction)
    vocab = Vocab.from_text(train_text)
    return CharCorpus(text, vocab, vocab.encode(train_text), vocab.encode(val_text))


def _check_ids(where: str, ids) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ShapeError(f"{where}: ids expected (N,) int, got shape {ids.shape} dtype {ids.dtype}")
    return ids


def random_windows(
    ids: np.ndarray, T: int, batch_size: int, *, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """B windows of T + 1 ids at random offsets, split into inputs and next-step targets.

    Args:
        ids:        (N,) int token ids, N >= T + 1
        T:          steps per window
        batch_size: B
        rng:        np.random.Generator

    Returns:
        x: (T, B) int64, ``x[t, b] = ids[s_b + t]``
        y: (T, B) int64, ``y[t, b] = ids[s_b + t + 1]`` (shifted by one)
    """
    where = "random_windows"
    ids = _check_ids(where, ids)
    T = check_int(where, "T", T)
    B = check_int(where, "batch_size", batch_size)
    rng = check_rng(where, rng)
    if len(ids) < T + 1:
        raise ValueError(f"{where}: ids has {len(ids)} items, fewer than T + 1 = {T + 1}")
    starts = rng.integers(0, len(ids) - T, size=B)  # (B,)
    steps = starts[None, :] + np.arange(T + 1)[:, None]  # (T + 1, B)
    window = ids[steps].astype(np.int64)  # (T + 1, B)
    return window[:-1], window[1:]


def sequential_batches(
    ids: np.ndarray, T: int, batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Walk the whole sequence in B parallel lanes, T steps at a time (for truncated BPTT).

    The ids are cut into B contiguous lanes of n = (N - 1) // B steps (the remainder is dropped);
    chunk k holds steps ``k·T … k·T + T - 1`` of every lane, the last chunk possibly shorter. Lane b
    of chunk k + 1 continues lane b of chunk k, so a model may carry its state across chunks.

    Args:
        ids:        (N,) int token ids, N >= B + 1
        T:          steps per chunk
        batch_size: B, lanes

    Yields:
        x: (T_k, B) int64 with T_k = T except maybe in the last chunk
        y: (T_k, B) int64, the next ids of each lane (shifted by one)
    """
    where = "sequential_batches"
    ids = _check_ids(where, ids)
    T = check_int(where, "T", T)
    B = check_int(where, "batch_size", batch_size)
    n = (len(ids) - 1) // B
    if n < 1:
        raise ValueError(f"{where}: ids has {len(ids)} items, fewer than batch_size + 1 = {B + 1}")
    x_lanes = ids[: n * B].reshape(B, n).T.astype(np.int64)  # (n, B), lane b = ids[b·n : (b+1)·n]
    y_lanes = ids[1 : n * B + 1].reshape(B, n).T.astype(np.int64)  # (n, B), one step later
    for start in range(0, n, T):
        yield x_lanes[start : start + T], y_lanes[start : start + T]
