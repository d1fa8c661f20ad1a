"""Behavioural test sets for the sentiment grammar, one phenomenon per set (CheckList-style).

CheckList (Ribeiro et al., 2020) tests a classifier the way one tests software: not with one
accuracy on a mixed test set, but with one small test set per capability, so that a failure names
what is missing. This module builds such sets from the grammar of
:mod:`course_rnn.data.sentiment`, extended by one construction, the *comparison*:

    "this movie was better than the book"  -> 1      "the book was better than this movie" -> 0
    "this movie was worse than the book"   -> 0      "the book was worse than this movie"  -> 1

The review is about "this movie" or "this film"; the label is positive exactly when "better" and
"this ..." comes before "than", or "worse" and "this ..." comes after it. The two orders of one
comparison have the same words and opposite labels, so a bag of words is at chance on them.

The training distribution (:func:`make_training_mix`): 85 % sentences of
:func:`course_rnn.data.make_sentiment` with its default mixture (simple clauses with or without
"not"/"never" and an intensifier, "but"/"although" contrasts, "and" sentences decided by the
intensified clause, "i [do not] think that ..." with 2-5 filler phrases) and 15 % comparisons.

The test sets (:data:`PHENOMENA`; each label is exact under the grammar's rules, computed by
:func:`checklist_label`; some rules, such as "not weak" -> positive, are conventions a human
annotator might call neutral):

- ``control``:          "the plot was good": one clause, no negator, no intensifier.
- ``negation``:         "the plot was not good": the negator next to the adjective.
- ``negation_far``:     "i do not think that the plot that i saw last week twice was good":
  2-5 filler phrases between the negator and the adjective, as in training.
- ``negation_farther``: the same with 6-8 filler phrases (training has 2-5). Counted in words,
  only about half of these sentences put the adjective farther from "not" than any training
  sentence does (the filler phrases differ in length): a partial generalisation test.
- ``double_negation``:  "i do not think that the plot ... was not good" -> 1.
- ``contrast_but``:     "c1 but c2" -> c2.
- ``contrast_although``: "although c1 , c2" and "c2 , although c1" -> c2.
- ``intensifier``:      "c1 and c2" with opposite polarities, one clause intensified -> that one.
- ``comparison``:       the four comparison forms above.
- ``composition``:      a comparison inside a contrast, "the music was dull but this film was
  better than the book" -> 1: both constructions occur in training, never together
  (a generalisation test).

Two pair tests score *failure rates* (CheckList's INV and DIR):

- :func:`invariance_pairs`: a contrast sentence and the same sentence with every subject word
  ("movie", "plot", ...) replaced by another; the prediction should not change.
- :func:`directional_pairs`: a plain clause and the same clause with "not" before the adjective;
  the prediction should flip.

Every set uses :func:`checklist_vocab` (the grammar's words, the comparison's words and
``<pad>``, ``<unk>``), the same for every seed.

Book: chapter "Sentiment, phenomenon by phenomenon".
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from course_rnn.data._checks import check_int, check_rng
from course_rnn.data.sentiment import (
    SentimentConfig,
    SentimentData,
    _clause,
    _contrast,
    _emphasis,
    _pick,
    make_sentiment,
    sentiment_label,
)
from course_rnn.data.text import Vocab

#: The reviewed item of a comparison is "this <subject>"; the foils it is compared with.
FOILS = ("book", "trailer", "sequel", "original")
REVIEWED = ("movie", "film")  # "this movie", "this film"
COMPARATIVES = ("better", "worse")
#: The share of comparisons in the training mix; the rest is make_sentiment's default mixture.
P_COMPARISON = 0.15
#: make_sentiment's filler phrases in a long sentence are 2-5; the farther test uses 6-8.
FARTHER_EXTRAS = (6, 8)

_CFG = SentimentConfig()


@dataclass(frozen=True)
class Phenomenon:
    """One behavioural test set: what it tests and whether its construction occurs in training."""

    name: str
    description: str
    in_training: bool
    make: Callable  # (rng) -> (words, label)


def checklist_vocab() -> Vocab:
    """The words of the grammar and of the comparisons, sorted; ``<pad>`` = 0, ``<unk>`` = 1."""
    words = set(_CFG.words()) | {"this", "than", *FOILS, *COMPARATIVES}
    return Vocab(sorted(words), unk="<unk>", pad="<pad>")


def _comparison_clause(rng, polarity):
    """Words of a comparison whose label is ``polarity`` (+1/-1)."""
    better = bool(rng.integers(2))
    this_first = (polarity > 0) == better  # "this X was better than ..." is positive
    reviewed = ["this", _pick(rng, REVIEWED)]
    foil = ["the", _pick(rng, FOILS)]
    first, second = (reviewed, foil) if this_first else (foil, reviewed)
    return [*first, "was", "better" if better else "worse", "than", *second]


def _plain(rng, *, negate):
    polarity = _pick(rng, (-1, 1))
    words = _clause(rng, _CFG, polarity, negate=negate, intensify=False, filler_extras=None)
    return words, int(polarity > 0)


def _far(rng, *, extras, inner):
    """Words of "i do not think that <clause with `extras` fillers>", clause negated if inner."""
    polarity = _pick(rng, (-1, 1))
    low, high = extras
    n_extras = int(rng.integers(low, high + 1))
    clause = _clause(rng, _CFG, -polarity, negate=inner, intensify=False, filler_extras=n_extras)
    return ["i", "do", _CFG.negators[0], "think", "that", *clause], int(polarity > 0)


def _contrast_form(rng, *, although):
    while True:  # make_sentiment's contrast sentences, keeping the asked form
        words, label = _contrast(rng, _CFG)
        if ("although" in words) == although:
            return words, label


def _comparison(rng):
    polarity = _pick(rng, (-1, 1))
    return _comparison_clause(rng, polarity), int(polarity > 0)


def _composition(rng):
    polarity = _pick(rng, (-1, 1))  # of the clause after "but"
    if rng.integers(2):  # the comparison decides
        plain = _clause(rng, _CFG, -polarity, negate=False, intensify=False, filler_extras=None)
        return [*plain, "but", *_comparison_clause(rng, polarity)], int(polarity > 0)
    plain = _clause(rng, _CFG, polarity, negate=False, intensify=False, filler_extras=None)
    return [*_comparison_clause(rng, -polarity), "but", *plain], int(polarity > 0)


_SETS = (
    Phenomenon("control", "plain clause: the plot was good", True,
               lambda rng: _plain(rng, negate=False)),
    Phenomenon("negation", "negator next to the adjective: the plot was not good", True,
               lambda rng: _plain(rng, negate=True)),
    Phenomenon("negation_far", "i do not think that ... (2-5 filler phrases) ... was good", True,
               lambda rng: _far(rng, extras=_CFG.long_extras, inner=False)),
    Phenomenon("negation_farther", "the same with 6-8 filler phrases (training: 2-5)",
               False, lambda rng: _far(rng, extras=FARTHER_EXTRAS, inner=False)),
    Phenomenon("double_negation", "i do not think that ... was not good (positive)", True,
               lambda rng: _far(rng, extras=_CFG.long_extras, inner=True)),
    Phenomenon("contrast_but", "c1 but c2: the clause after but", True,
               lambda rng: _contrast_form(rng, although=False)),
    Phenomenon("contrast_although", "although c1 , c2 / c2 , although c1: the main clause",
               True, lambda rng: _contrast_form(rng, although=True)),
    Phenomenon("intensifier", "c1 and c2: the intensified clause", True,
               lambda rng: _emphasis(rng, _CFG)),
    Phenomenon("comparison", "this film was better / worse than the book, either order", True,
               _comparison),
    Phenomenon("composition", "a comparison inside a but-contrast (never seen together)",
               False, _composition),
)  # fmt: skip
#: The behavioural test sets by name, in the order of the chapter's table.
PHENOMENA: dict[str, Phenomenon] = {p.name: p for p in _SETS}


def checklist_label(sentence: str | Sequence[str]) -> int:
    """The label of a grammatical sentence of this module, read in order (the rules above).

    Args:
        sentence: words separated by spaces, or a list of words

    Returns:
        int, 1 = positive, 0 = negative.
    """
    words = sentence.split() if isinstance(sentence, str) else list(sentence)
    if "than" not in words:
        return sentiment_label(words)
    main = words[words.index("but") + 1 :] if "but" in words else words
    if "than" not in main:  # "<comparison> but <clause>": the plain clause decides
        return sentiment_label(main)
    better = "better" in main
    this_first = main.index("this") < main.index("than")
    return int(better == this_first)


def _data(sentences, labels, kinds) -> SentimentData:
    return SentimentData(
        tuple(sentences), np.asarray(labels, dtype=np.int64), tuple(kinds), checklist_vocab()
    )


def make_training_mix(n: int, *, rng: np.random.Generator) -> SentimentData:
    """n training sentences: make_sentiment's default mixture and 15 % comparisons, shuffled.

    Returns:
        SentimentData with kinds in make_sentiment's KINDS or "comparison", and the
        :func:`checklist_vocab` vocabulary.
    """
    n = check_int("make_training_mix", "n", n)
    rng = check_rng("make_training_mix", rng)
    is_comparison = rng.random(n) < P_COMPARISON  # (n,) bool
    base = make_sentiment(int((~is_comparison).sum()), rng=rng)
    sentences, labels, kinds = [], [], []
    k = 0
    for comparison in is_comparison:
        if comparison:
            words, label = _comparison(rng)
            sentences.append(" ".join(words))
            labels.append(label)
            kinds.append("comparison")
        else:
            sentences.append(base.sentences[k])
            labels.append(int(base.labels[k]))
            kinds.append(base.kinds[k])
            k += 1
    return _data(sentences, labels, kinds)


def make_test_set(name: str, n: int, *, rng: np.random.Generator) -> SentimentData:
    """n sentences of one phenomenon of :data:`PHENOMENA`, with exact labels.

    Raises:
        ValueError: an unknown phenomenon (the message lists the known ones).
    """
    if name not in PHENOMENA:
        raise ValueError(f"make_test_set: unknown phenomenon {name!r}; expected one of "
                         f"{list(PHENOMENA)}")  # fmt: skip
    n = check_int("make_test_set", "n", n)
    rng = check_rng("make_test_set", rng)
    pairs = [PHENOMENA[name].make(rng) for _ in range(n)]
    return _data([" ".join(w) for w, _ in pairs], [lab for _, lab in pairs], [name] * n)


def invariance_pairs(n: int, *, rng: np.random.Generator) -> tuple[SentimentData, SentimentData]:
    """INV: n "c1 but c2" sentences, and each with every subject word replaced by another one.

    Returns:
        (originals, variants): SentimentData of n sentences each; the labels are equal.
    """
    n = check_int("invariance_pairs", "n", n)
    rng = check_rng("invariance_pairs", rng)
    originals, variants, labels = [], [], []
    subjects = _CFG.subjects
    for _ in range(n):
        words, label = _contrast_form(rng, although=False)
        swapped = [
            subjects[(subjects.index(w) + 1 + int(rng.integers(len(subjects) - 1)))
                     % len(subjects)] if w in subjects else w
            for w in words
        ]  # fmt: skip
        originals.append(" ".join(words))
        variants.append(" ".join(swapped))
        labels.append(label)
    kinds = ["invariance"] * n
    return _data(originals, labels, kinds), _data(variants, labels, kinds)


def directional_pairs(n: int, *, rng: np.random.Generator) -> tuple[SentimentData, SentimentData]:
    """DIR: n plain clauses, and each with "not" inserted before its adjective (label flips).

    Returns:
        (originals, negated): SentimentData of n sentences each; negated labels = 1 - original.
    """
    n = check_int("directional_pairs", "n", n)
    rng = check_rng("directional_pairs", rng)
    originals, negated, labels = [], [], []
    for _ in range(n):
        words, label = _plain(rng, negate=False)
        originals.append(" ".join(words))
        negated.append(" ".join([*words[:-1], "not", words[-1]]))
        labels.append(label)
    kinds = ["directional"] * n
    flipped = [1 - label for label in labels]
    return _data(originals, labels, kinds), _data(negated, flipped, kinds)
