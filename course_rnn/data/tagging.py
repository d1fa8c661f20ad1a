"""A generated named-entity tagging set in which some tags are decided by a LATER word.

Each sentence has one or two entity clauses, ``[<left context>] <name> [<gap words>] <cue> ...``,
joined by "and". Every word is tagged ``O`` except the names, tagged ``PER``, ``LOC`` or ``ORG``.
Unambiguous names ("alice", "oslo", "nasa") have one type. Ambiguous names ("jordan",
"washington", "ford", ...) can be two types; which one is drawn uniformly, independently of
everything to the name's left, and is revealed only by the cue verb that follows the name (after
0-3 gap words): "jordan said" (PER), "jordan flooded" (LOC).

So at an ambiguous name, the best any left-to-right tagger can do is to guess the more likely type
given the name: 1/2 (:func:`left_context_ceiling`, exact from the generator's distribution), while a
tagger that also reads the right-hand side gets 100 % (the cue decides). ``right_context`` marks
these tokens, so a chapter can report a unidirectional and a bidirectional model on them.

Book: chapter "Bidirectional RNNs", section "When it pays: tags decided by a later word".
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from course_rnn.data._checks import check_int, check_rng
from course_rnn.data.batching import pad_sequences
from course_rnn.data.text import Vocab

TAGS = ("O", "PER", "LOC", "ORG")  #: tag names; tag id = index, C = 4
IGNORE_INDEX = -100  #: target id of padding steps (torch's cross-entropy ignore_index default)


@dataclass(frozen=True)
class TaggingConfig:
    """Word lists of :func:`make_tagging`; every word belongs to one role only."""

    names: tuple[tuple[str, str], ...] = (
        ("alice", "PER"), ("omar", "PER"), ("maria", "PER"), ("london", "LOC"), ("kenya", "LOC"),
        ("oslo", "LOC"), ("nasa", "ORG"), ("unicef", "ORG"), ("ikea", "ORG"),
    )  # fmt: skip
    ambiguous: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("jordan", ("PER", "LOC")), ("washington", ("PER", "LOC")), ("georgia", ("PER", "LOC")),
        ("paris", ("PER", "LOC")), ("ford", ("PER", "ORG")), ("mercedes", ("PER", "ORG")),
        ("amazon", ("LOC", "ORG")),
    )  # fmt: skip
    cues: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("PER", ("said", "smiled", "resigned", "laughed")),
        ("LOC", ("flooded", "borders", "thawed", "lies")),
        ("ORG", ("hired", "merged", "expanded", "profited")),
    )
    left: tuple[str, ...] = ("", "yesterday", "in the news", "this morning", "according to reports")
    gap: tuple[str, ...] = ("quietly", "finally", "again", "suddenly", "also")
    tail: tuple[str, ...] = ("", "today", "last year", "on monday")
    p_ambiguous: float = 0.5  # an entity uses an ambiguous name
    max_gap: int = 3  # gap words between a name and its cue: 0 ... max_gap
    max_clauses: int = 2  # entity clauses per sentence: 1 ... max_clauses

    def __post_init__(self):
        cue_types = {t for t, _ in self.cues}
        for name, types in self.ambiguous:
            if len(types) < 2 or not set(types) <= cue_types:
                raise ValueError(
                    f"TaggingConfig: ambiguous name {name!r} needs >= 2 types with cues "
                    f"{sorted(cue_types)}, got {types}"
                )
        if self.max_gap < 0 or self.max_clauses < 1:
            raise ValueError(
                f"TaggingConfig: expected max_gap >= 0 and max_clauses >= 1, got "
                f"{self.max_gap} and {self.max_clauses}"
            )

    def words(self) -> list[str]:
        """Every word the generator can produce, sorted (the vocabulary without specials)."""
        phrases = [n for n, _ in self.names] + [n for n, _ in self.ambiguous]
        phrases += [w for _, ws in self.cues for w in ws] + [*self.left, *self.gap, *self.tail]
        return sorted({w for phrase in [*phrases, "and"] for w in phrase.split()})


class TaggingBatch(NamedTuple):
    """A padded, time-major tagging batch."""

    inputs: np.ndarray  # (T, B) int64 word ids, 0 = <pad>
    targets: np.ndarray  # (T, B) int64 tag ids in [0, C), IGNORE_INDEX on padding
    mask: np.ndarray  # (T, B) bool, True on real words
    right_context: np.ndarray  # (T, B) bool, True on the ambiguous names (tag set by a later cue)


@dataclass(frozen=True)
class TaggingData:
    """A sample of :func:`make_tagging`."""

    sentences: tuple[tuple[str, ...], ...]  # N sentences as word tuples
    tags: tuple[np.ndarray, ...]  # N arrays (T_i,) int64 tag ids (index into TAGS)
    right_context: tuple[np.ndarray, ...]  # N arrays (T_i,) bool: ambiguous-name positions
    vocab: Vocab  # <pad> = 0, <unk> = 1, then config.words(); the same for every seed

    def __len__(self) -> int:
        return len(self.sentences)

    def batch(self, indices: Sequence[int] | np.ndarray | None = None) -> TaggingBatch:
        """Pad the given sentences (all when None) into a time-major :class:`TaggingBatch`.

        Returns:
            TaggingBatch(inputs (T, B) int64, targets (T, B) int64, mask (T, B) bool,
            right_context (T, B) bool)
        """
        indices = np.arange(len(self)) if indices is None else np.asarray(indices)
        ids, mask, _ = pad_sequences([self.vocab.encode(self.sentences[i]) for i in indices])
        tags, _, _ = pad_sequences([self.tags[i] for i in indices], pad_value=IGNORE_INDEX)
        right, _, _ = pad_sequences([self.right_context[i] for i in indices], pad_value=False)
        return TaggingBatch(ids.astype(np.int64), tags.astype(np.int64), mask, right)


def make_tagging(
    n: int, *, rng: np.random.Generator, config: TaggingConfig | None = None
) -> TaggingData:
    """Draw n tagged sentences (see the module docstring for the grammar).

    Args:
        n:      number of sentences
        rng:    np.random.Generator
        config: word lists and sizes; ``TaggingConfig()`` when None

    Returns:
        TaggingData(sentences, tags, right_context, vocab); ``.batch()`` pads it to (T, N).
    """
    n = check_int("make_tagging", "n", n)
    rng = check_rng("make_tagging", rng)
    cfg = TaggingConfig() if config is None else config
    cues = dict(cfg.cues)
    sentences, tags, right = [], [], []
    for _ in range(n):
        words, tag_names, ambiguous = [], [], []
        for c in range(int(rng.integers(1, cfg.max_clauses + 1))):
            # "and" joins clauses; it belongs to the left context of the next name
            left = (["and"] if c > 0 else []) + _pick(rng, cfg.left).split()
            if rng.random() < cfg.p_ambiguous:
                # the type is drawn AFTER the left context, independently of it: only the cue
                # that follows the name reveals it
                name, types = _pick(rng, cfg.ambiguous)
                entity_type, is_ambiguous = _pick(rng, types), True
            else:
                (name, entity_type), is_ambiguous = _pick(rng, cfg.names), False
            gap = [_pick(rng, cfg.gap) for _ in range(int(rng.integers(0, cfg.max_gap + 1)))]
            rest = [*gap, _pick(rng, cues[entity_type]), *_pick(rng, cfg.tail).split()]
            words += [*left, name, *rest]
            tag_names += ["O"] * len(left) + [entity_type] + ["O"] * len(rest)
            ambiguous += [False] * len(left) + [is_ambiguous] + [False] * len(rest)
        sentences.append(tuple(words))
        tags.append(np.array([TAGS.index(t) for t in tag_names], dtype=np.int64))
        right.append(np.array(ambiguous, dtype=bool))
    vocab = Vocab(cfg.words(), unk="<unk>", pad="<pad>")
    return TaggingData(tuple(sentences), tuple(tags), tuple(right), vocab)


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def left_context_ceiling(config: TaggingConfig | None = None) -> float:
    """Best accuracy of any left-to-right tagger on the right-context tokens, exactly.

    At an ambiguous name the type is independent of the words to its left, so the best guess is
    the most likely type given the name: ``max_y P(y | name) = 1 / len(types)``; names are drawn
    uniformly, so the ceiling is the mean of that over the ambiguous names (1/2 by default). A
    bidirectional tagger can reach 1 (the cue that follows decides).

    Args:
        config: the generator's configuration; ``TaggingConfig()`` when None

    Returns:
        float in (0, 1).
    """
    cfg = TaggingConfig() if config is None else config
    return float(np.mean([1.0 / len(types) for _, types in cfg.ambiguous]))
