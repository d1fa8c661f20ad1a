"""A generated sentiment data set whose labels depend on word order.

Every sentence is built from clauses ``the <subject> [<filler>] was [<negator>] [<intensifier>]
<adjective>``. A clause is positive when its adjective is, flipped by each negator. Four kinds of
sentence, each with an order-dependent rule (label 1 = positive, 0 = negative):

- ``simple``   (20 %): one clause. "the plot was not good" -> 0. Negation makes the label an XOR of
  two words, which no linear bag-of-words model can fit (at most 75 % on this kind).
- ``contrast`` (45 %): "c1 but c2" -> the clause after "but"; "although c1 , c2" and
  "c2 , although c1" -> the main clause c2. The two clauses have opposite polarities.
- ``emphasis`` (15 %): "c1 and c2" with opposite polarities, exactly one clause intensified
  ("really", "very", ...): the intensified clause wins.
- ``long``     (20 %): "i [do not] think that <clause with a long filler>": a negation far from its
  adjective; the label is the clause's polarity times (-1) per negator (double negation cancels).

Why a bag of words fails: in ``contrast`` and ``emphasis`` sentences, swapping the clauses (or
moving the intensifier) gives a sentence that is exactly as likely, has the same multiset of words
and the opposite label. So on those 60 % no bag-of-words classifier, however flexible, beats
chance (1/2), and its ceiling on the whole set is 1 - 0.6 / 2 = 70 % (:data:`BOW_CEILING`;
:func:`bag_of_words_ceiling` measures it on any sample). :func:`sentiment_label` reads the
sentence in order and gets every label right, so an order-aware model can reach 100 %.

:mod:`course_rnn.data.checklist` builds behavioural test sets from this grammar, one phenomenon per
set (negation near and far, contrast, intensifiers, comparisons), for the chapter below.

Book: chapter "Sentiment, phenomenon by phenomenon" (sentiment, with a bag-of-words baseline
that fails).
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from course_rnn.data._checks import check_fraction, check_int, check_rng
from course_rnn.data.batching import TaskBatch, pad_sequences
from course_rnn.data.text import Vocab

KINDS = ("simple", "contrast", "emphasis", "long")
#: The best accuracy of any bag-of-words classifier on the default mixture of kinds.
BOW_CEILING = 0.70
_CONNECTIVES = ("the", "was", "but", "although", ",", "and", "i", "do", "think", "that")


@dataclass(frozen=True)
class SentimentConfig:
    """Word lists and proportions of :func:`make_sentiment`; the defaults give 60 words."""

    subjects: tuple[str, ...] = ("movie", "film", "plot", "acting", "ending", "music", "story")
    positive: tuple[str, ...] = ("good", "great", "fun", "clever", "moving", "charming", "funny")
    negative: tuple[str, ...] = ("bad", "boring", "dull", "awful", "silly", "weak", "slow")
    intensifiers: tuple[str, ...] = ("very", "really", "truly", "quite")
    negators: tuple[str, ...] = ("not", "never")
    # relative clauses and extras that only add distance; no sentiment, negation or connective
    relatives: tuple[str, ...] = ("that i saw", "that we watched", "that my friend rented")
    extras: tuple[str, ...] = (
        "last week", "on sunday", "with my sister", "at the festival", "after dinner", "twice",
        "in the old cinema", "on a rainy evening",
    )  # fmt: skip
    weights: tuple[float, ...] = (0.2, 0.45, 0.15, 0.2)  # of KINDS, in order
    p_negate: float = 0.5  # a clause of a simple/contrast/long sentence is negated
    p_intensify: float = 0.3  # an intensifier where it does not decide the label
    p_filler: float = 0.2  # a short relative clause inside a simple/contrast clause
    long_extras: tuple[int, int] = (2, 5)  # extras in a long sentence's filler: low, high (incl.)

    def __post_init__(self):
        if len(self.weights) != len(KINDS) or min(self.weights) < 0 or sum(self.weights) <= 0:
            raise ValueError(
                f"SentimentConfig: weights expected {len(KINDS)} non-negative numbers for "
                f"{KINDS}, got {self.weights}"
            )
        low, high = self.long_extras
        if not 1 <= low <= high <= len(self.extras):
            raise ValueError(
                f"SentimentConfig: long_extras expected 1 <= low <= high <= len(extras) = "
                f"{len(self.extras)}, got {self.long_extras}"
            )
        for name in ("p_negate", "p_intensify", "p_filler"):
            check_fraction("SentimentConfig", name, getattr(self, name))
        for name in ("subjects", "positive", "negative", "intensifiers", "negators", "relatives"):
            if not getattr(self, name):
                raise ValueError(f"SentimentConfig: {name} must not be empty")

    def words(self) -> list[str]:
        """Every word the grammar can produce, sorted (the vocabulary without specials)."""
        phrases = [*self.subjects, *self.positive, *self.negative, *self.intensifiers]
        phrases += [*self.negators, *self.relatives, *self.extras, *_CONNECTIVES]
        return sorted({w for phrase in phrases for w in phrase.split()})


@dataclass(frozen=True)
class SentimentData:
    """A sample of :func:`make_sentiment`: sentences, labels, kinds and the word vocabulary."""

    sentences: tuple[str, ...]  # N sentences, words separated by single spaces
    labels: np.ndarray  # (N,) int64, 1 = positive, 0 = negative
    kinds: tuple[str, ...]  # N entries of KINDS
    vocab: Vocab  # <pad> = 0, <unk> = 1, then config.words(); the same for every seed

    def __len__(self) -> int:
        return len(self.sentences)

    def encode(self, index: int) -> np.ndarray:
        """Sentence ``index`` as ids: (T_i,) int64."""
        return self.vocab.encode(self.sentences[index].split())

    def batch(self, indices: Sequence[int] | np.ndarray | None = None) -> TaskBatch:
        """Padded, time-major batch of the given sentences (all of them when None).

        Returns:
            TaskBatch with
                inputs:  (T, B) int64 word ids, padded with ``vocab.pad_id`` (0)
                targets: (B,) int64 labels
                mask:    (T, B) bool, True on real (non-padding) words
        """
        indices = np.arange(len(self)) if indices is None else np.asarray(indices)
        ids, mask, _ = pad_sequences([self.encode(i) for i in indices], pad_value=0)
        return TaskBatch(ids.astype(np.int64), self.labels[indices], mask)


def make_sentiment(
    n: int, *, rng: np.random.Generator, config: SentimentConfig | None = None
) -> SentimentData:
    """Draw n labelled sentences from the grammar above.

    Args:
        n:      number of sentences
        rng:    np.random.Generator
        config: word lists and proportions; ``SentimentConfig()`` when None

    Returns:
        SentimentData(sentences, labels (N,) int64, kinds, vocab); ``.batch()`` pads it to (T, N).
    """
    n = check_int("make_sentiment", "n", n)
    rng = check_rng("make_sentiment", rng)
    cfg = SentimentConfig() if config is None else config
    weights = np.asarray(cfg.weights, dtype=np.float64) / sum(cfg.weights)
    kinds = [KINDS[k] for k in rng.choice(len(KINDS), size=n, p=weights)]
    sentences, labels = [], []
    for kind in kinds:
        words, label = _SENTENCE[kind](rng, cfg)
        sentences.append(" ".join(words))
        labels.append(label)
    vocab = Vocab(cfg.words(), unk="<unk>", pad="<pad>")
    return SentimentData(tuple(sentences), np.array(labels, dtype=np.int64), tuple(kinds), vocab)


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def _clause(rng, cfg, polarity, *, negate, intensify, filler_extras):
    """Words of one clause whose polarity (+1/-1) is ``polarity`` after its negation."""
    words = ["the", _pick(rng, cfg.subjects)]
    if filler_extras is not None:
        words += _pick(rng, cfg.relatives).split()
        for k in rng.permutation(len(cfg.extras))[:filler_extras]:  # distinct extras
            words += cfg.extras[k].split()
    words.append("was")
    if negate:
        words.append(_pick(rng, cfg.negators))
    if intensify:
        words.append(_pick(rng, cfg.intensifiers))
    adjective_positive = (polarity > 0) != negate  # a negated clause needs the opposite adjective
    words.append(_pick(rng, cfg.positive if adjective_positive else cfg.negative))
    return words


def _random_clause(rng, cfg, polarity):
    negate = bool(rng.random() < cfg.p_negate)
    intensify = bool(rng.random() < cfg.p_intensify)
    filler = 1 if rng.random() < cfg.p_filler else None
    return _clause(rng, cfg, polarity, negate=negate, intensify=intensify, filler_extras=filler)


def _simple(rng, cfg):
    polarity = _pick(rng, (-1, 1))
    return _random_clause(rng, cfg, polarity), int(polarity > 0)


def _contrast(rng, cfg):
    # c1 and c2 are drawn the same way (exchangeable), so "c2 but c1" is as likely as "c1 but c2".
    polarity = _pick(rng, (-1, 1))  # of the clause that decides, c2
    c1, c2 = _random_clause(rng, cfg, -polarity), _random_clause(rng, cfg, polarity)
    form = int(rng.integers(3))
    if form == 0:
        words = [*c1, "but", *c2]
    elif form == 1:
        words = ["although", *c1, ",", *c2]
    else:
        words = [*c2, ",", "although", *c1]
    return words, int(polarity > 0)


def _emphasis(rng, cfg):
    polarity = _pick(rng, (-1, 1))  # of the first clause
    strong = int(rng.integers(2))  # which clause carries the intensifier
    c1 = _clause(rng, cfg, polarity, negate=False, intensify=strong == 0, filler_extras=None)
    c2 = _clause(rng, cfg, -polarity, negate=False, intensify=strong == 1, filler_extras=None)
    return [*c1, "and", *c2], int((polarity if strong == 0 else -polarity) > 0)


def _long(rng, cfg):
    polarity = _pick(rng, (-1, 1))
    outer = bool(rng.random() < cfg.p_negate)  # "i do not think that ..."
    inner = bool(rng.random() < cfg.p_negate)
    low, high = cfg.long_extras
    extras = int(rng.integers(low, high + 1))
    # the outer negation flips the clause's polarity: choose it so that the label is `polarity`
    clause = _clause(
        rng, cfg, -polarity if outer else polarity, negate=inner, intensify=False,
        filler_extras=extras,
    )  # fmt: skip
    prefix = ["i", "do", cfg.negators[0], "think", "that"] if outer else ["i", "think", "that"]
    return [*prefix, *clause], int(polarity > 0)


_SENTENCE = {"simple": _simple, "contrast": _contrast, "emphasis": _emphasis, "long": _long}


def sentiment_label(sentence: str | Sequence[str], config: SentimentConfig | None = None) -> int:
    """The label of a grammatical sentence, computed by reading it in order (the rules above).

    Args:
        sentence: words separated by spaces, or a list of words
        config:   the word lists used to generate it; ``SentimentConfig()`` when None

    Returns:
        int, 1 = positive, 0 = negative.
    """
    cfg = SentimentConfig() if config is None else config
    words = sentence.split() if isinstance(sentence, str) else list(sentence)
    positive, negative, negators = set(cfg.positive), set(cfg.negative), set(cfg.negators)

    def polarity(segment):
        """+1 or -1: the adjective's sign, flipped by each negator in the segment."""
        adjectives = [w for w in segment if w in positive or w in negative]
        if len(adjectives) != 1:
            raise ValueError(f"sentiment_label: expected one adjective per clause in {segment}")
        sign = 1 if adjectives[0] in positive else -1
        return sign * (-1) ** sum(w in negators for w in segment)

    if "but" in words:  # "c1 but c2": the clause after "but"
        main = words[words.index("but") + 1 :]
    elif "although" in words:  # the clause without "although" is the main clause
        comma = words.index(",")
        main = words[comma + 1 :] if words[0] == "although" else words[:comma]
    elif "and" in words:  # "c1 and c2": the intensified clause
        i = words.index("and")
        first, second = words[:i], words[i + 1 :]
        main = first if any(w in cfg.intensifiers for w in first) else second
    else:
        main = words
    return int(polarity(main) > 0)


def bag_of_words_ceiling(sentences: Sequence[str], labels: Sequence[int] | np.ndarray) -> float:
    """The best accuracy any bag-of-words classifier can reach on this very sample.

    Sentences with the same multiset of words look identical to a bag-of-words model, so it can at
    best predict the majority label of each multiset. On a small sample most multisets occur once
    and the ceiling is near 1 (memorisation); use a sample in which multisets repeat (a small
    ``SentimentConfig``) to see the population value.

    Args:
        sentences: N sentences, words separated by spaces
        labels:    (N,) int labels

    Returns:
        float in [0.5, 1] for binary labels.
    """
    labels = np.asarray(labels)
    if len(sentences) != len(labels) or len(labels) == 0:
        raise ValueError(
            f"bag_of_words_ceiling: expected as many labels as sentences (> 0), got "
            f"{len(labels)} labels and {len(sentences)} sentences"
        )
    groups: dict[tuple[str, ...], Counter] = {}
    for sentence, label in zip(sentences, labels.tolist(), strict=True):
        groups.setdefault(tuple(sorted(sentence.split())), Counter())[label] += 1
    return sum(max(c.values()) for c in groups.values()) / len(labels)
