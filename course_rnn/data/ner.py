"""A generated named-entity set with real names, BIO tags and names held out of training.

Sentences come from about forty templates ("{PER} moved to {LOC} last year .", "Shares of {ORG}
fell 12 percent .") with optional parts, filled with real names from ``ner_lexicon.txt``:
people from the 1990 US census name lists (public domain, via the MIT-licensed PyPI package
``names``), places from the city names of the IANA time zone database (public domain), and
organisations from a hand-written list (nothing that ships with Python lists them). Every word
of an entity is tagged in the BIO scheme: ``B-PER`` on its first word, ``I-PER`` on the others,
``O`` outside entities (CoNLL-2003; Tjong Kim Sang & De Meulder, 2003). Titles ("Dr.") stay ``O``.

Held-out names: the names are split once, by a fixed seed, into a training part and a test part
(a quarter), in one draw over all the lists, so that a word that is both a first name and a
surname or a city, or a name inside a longer one ("Stanley", "Morgan Stanley"), is on one side
only; ``split="train"`` sentences use only the first part,
``split="test"`` only the second. A test name never occurs in a training sentence, so a
word-level model sees it as unknown and must rely on the context and the word's shape
(:func:`word_shape`).

Right context: a fifth of the sentences start with an *ambiguous* name, a city that is also a
first name ("Sydney", "Victoria"), followed by a verb that decides its type: "Sydney said ..."
(PER) or "Sydney flooded ..." (LOC). The type is drawn 50/50, and nothing lies to the left of the
name, so a left-to-right tagger is right on these tokens at most half of the time
(:data:`RIGHT_CONTEXT_CEILING`); ``right_context`` marks them.

Book: chapter "A named-entity tagger".
"""

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import NamedTuple

import numpy as np

from course_rnn.data._checks import check_fraction, check_int, check_rng
from course_rnn.data.batching import pad_sequences
from course_rnn.data.tagging import IGNORE_INDEX
from course_rnn.data.text import Vocab

TYPES = ("PER", "LOC", "ORG")  #: entity types
TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG")  #: tag id = index, C = 7
SHAPES = ("<unk>", "<Unk>", "<UNK>", "<num>")  #: what an unknown word becomes (word_shape)
SPLIT_SEED = 2003  #: the seed of the fixed train/test split of the name lists
TEST_FRACTION = 0.25  #: the share of every name list kept for the test sentences
P_RIGHT_CONTEXT = 0.2  #: the share of sentences that start with an ambiguous name and its cue
P_SECOND = 0.4  #: the chance that a second sentence follows on the same line (if <= MAX_LEN)
MAX_LEN = 30  #: the longest line, in words
RIGHT_CONTEXT_CEILING = 0.5  #: best left-to-right accuracy on the marked tokens (50/50 type)
#: the zone regions whose last part names a city or an island (no Antarctic research stations)
REGIONS = ("Africa", "America", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian",
           "Pacific")  # fmt: skip
#: zone parts that are not place names in running text: abbreviations, compass points, words
EXCLUDED = frozenset({
    "ACT", "LHI", "NSW", "North", "South", "West", "Center", "Knox IN", "ComodRivadavia",
    "Virgin", "Christmas", "Easter", "Wake", "Oral", "Resolute", "Canary", "Yancowinna",
})  # fmt: skip


def tz_cities(zones: Iterable[str]) -> list[str]:
    """City names from time-zone names: "America/New_York" -> "New York".

    Args:
        zones: IANA zone names, e.g. the ``zones`` file of the ``tzdata`` package

    Returns:
        sorted distinct names: the last part of each zone under :data:`REGIONS`, "_" read as a
        space, minus :data:`EXCLUDED`
    """
    parts = (z.split("/") for z in zones)
    names = {p[-1].replace("_", " ") for p in parts if len(p) > 1 and p[0] in REGIONS}
    return sorted(names - EXCLUDED)


@dataclass(frozen=True)
class Lexicon:
    """The word lists the sentences are filled from (one entry = one name, maybe several words)."""

    first: tuple[str, ...]  # first names
    last: tuple[str, ...]  # surnames
    city: tuple[str, ...]  # places
    ambiguous: tuple[str, ...]  # cities that are also first names
    org: tuple[str, ...]  # organisations


@functools.cache
def lexicon() -> Lexicon:
    """The frozen lists of ``ner_lexicon.txt`` (sources and licences in its header)."""
    text = resources.files("course_rnn.data").joinpath("ner_lexicon.txt").read_text("utf-8")
    sections: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
        elif line:
            current.append(line)
    return Lexicon(**{k: tuple(v) for k, v in sections.items()})


@functools.cache
def split_lexicon(split: str) -> Lexicon:
    """The part of every list that ``split`` ("train" or "test") may use; the two are disjoint.

    One draw over all the lists at once, by groups: a name that is also a word of a longer name
    ("Stanley", "Morgan Stanley"; "Juan", "San Juan") is in one group with it, and a name on two
    lists (a first name that is also a surname or a city) is one entry. So no one-word name of
    the test lines is ever a word of a name in the training lines.
    """
    lex = lexicon()
    entries = sorted({e for items in vars(lex).values() for e in items})
    group = {e: e for e in entries}  # union-find: entry -> a parent in its group

    def root(e):
        while group[e] != e:
            e = group[e]
        return e

    for entry in entries:
        for word in entry.split():
            if word != entry and word in group:  # a one-word name inside a longer one
                group[root(word)] = root(entry)
    roots = sorted({root(e) for e in entries})
    order = np.random.default_rng(SPLIT_SEED).permutation(len(roots))
    test_roots = {roots[i] for i in order[: round(TEST_FRACTION * len(roots))]}

    def side(items):
        return tuple(e for e in items if (root(e) in test_roots) == (split == "test"))

    return Lexicon(side(lex.first), side(lex.last), side(lex.city), side(lex.ambiguous),
                   side(lex.org))  # fmt: skip


# The grammar. A template is a list of tokens; "{X}" is a slot, "[ ... ]" an optional part (kept
# with probability 1/2, never nested). PER, LOC, ORG are entities; the others are plain words.
TEMPLATES = tuple(t.split() for t in (
    "{PER} moved to {LOC} [ {TIME} ] .",
    "{PER} , who works for {ORG} , visited {LOC} [ {TIME} ] .",
    "{ORG} opened a new office in {LOC} [ {TIME} ] .",
    "According to {PER} , {ORG} will hire {NUM} engineers in {LOC} .",
    "The mayor of {LOC} met {PER} [ and {PER} ] [ {TIME} ] .",
    "{PER} joined {ORG} as a {JOB} [ {TIME} ] .",
    "Shares of {ORG} fell {NUM} percent [ {TIME} ] .",
    "{PER} was born in {LOC} and studied in {LOC} .",
    "A spokesperson for {ORG} said the talks in {LOC} would resume [ {TIME} ] .",
    "Flights from {LOC} to {LOC} were cancelled [ {TIME} ] .",
    "{PER} and {PER} founded {ORG} [ in {LOC} ] .",
    "{ORG} signed a deal with {ORG} [ {TIME} ] .",
    "{PER} told reporters in {LOC} that {ORG} had [ not ] been informed .",
    "Police in {LOC} are looking for {PER} .",
    "[ {TIME} , ] {PER} will lead the team of {ORG} .",
    "In {LOC} , thousands of people greeted {PER} [ {TIME} ] .",
    "{ORG} and {ORG} agreed to share their research [ {TIME} ] .",
    "The {JOB} {PER} left {ORG} [ {TIME} ] .",
    "Officials from {ORG} arrived in {LOC} [ for talks with {PER} ] [ {TIME} ] .",
    "{PER} , a {JOB} from {LOC} , won the prize [ {TIME} ] .",
    "We met {PER} at the {ORG} conference in {LOC} .",
    "Thanks to {PER} , the {ORG} team finished the project [ {TIME} ] .",
    "{PER} wrote to {PER} about the plans of {ORG} .",
    "Heavy rain caused floods in {LOC} [ and {LOC} ] [ {TIME} ] .",
    "{ORG} moved its headquarters from {LOC} to {LOC} .",
    "The report by {ORG} names {PER} as its author .",
    "{PER} [ , the {JOB} , ] spent {NUM} years in {LOC} before joining {ORG} .",
    "Is {PER} still working for {ORG} in {LOC} ?",
    "{PER} said on {DAY} that {ORG} would close its factory in {LOC} .",
    "Train services between {LOC} and {LOC} resumed [ {TIME} ] .",
    "[ {TIME} , ] {ORG} named {PER} as its new {JOB} .",
    "Tourists in {LOC} [ {TIME} ] could not reach {LOC} .",
    "{PER} sold {NUM} shares of {ORG} [ {TIME} ] .",
    "Why did {PER} leave {LOC} ?",
))  # fmt: skip
#: sentence-initial ambiguous name ({AMB}) and the words right after it that decide its type
RIGHT_CONTEXT = {
    "PER": tuple(t.split() for t in (
        "{AMB} said [ on {DAY} ] that {ORG} would not {ACT} .",
        "{AMB} smiled and thanked {PER} [ {TIME} ] .",
        "{AMB} resigned from {ORG} [ {TIME} ] .",
        "{AMB} apologised to {PER} [ {TIME} ] .",
        "{AMB} laughed when {PER} arrived [ in {LOC} ] .",
    )),
    "LOC": tuple(t.split() for t in (
        "{AMB} flooded after heavy rain [ {TIME} ] .",
        "{AMB} lies {NUM} kilometres from {LOC} .",
        "{AMB} is a port city [ with {NUM} inhabitants ] .",
        "{AMB} is twinned with {LOC} [ and {LOC} ] .",
        "{AMB} has a population of {NUM} [ people ] .",
    )),
}  # fmt: skip
WORDS = {  # plain slots, one choice per slot ("_" joins the words of one choice)
    "TIME": ("today", "yesterday", "last_year", "this_morning", "two_weeks_ago", "in_March",
             "in_October", "on_Monday", "on_Friday", "in_1998", "in_2011", "last_week"),
    "DAY": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "NUM": ("two", "three", "five", "several", "12", "40", "300", "1,500", "20,000"),
    "JOB": ("engineer", "lawyer", "journalist", "doctor", "teacher", "physicist", "economist",
            "nurse", "pilot", "architect", "chief_executive", "coach"),
    "ACT": ("expand", "appeal", "cut_jobs", "sell_the_unit", "comment"),
    "TITLE": ("Dr.", "Mr.", "Ms.", "Mrs.", "Professor", "President", "Judge"),
}  # fmt: skip


class NerBatch(NamedTuple):
    """A padded, time-major batch of the named-entity set."""

    inputs: np.ndarray  # (T, B) int64 word ids, 0 = <pad>
    targets: np.ndarray  # (T, B) int64 tag ids (index into TAGS), IGNORE_INDEX on padding
    mask: np.ndarray  # (T, B) bool, True on real words
    lengths: np.ndarray  # (B,) int64 real lengths
    right_context: np.ndarray  # (T, B) bool, True on the ambiguous sentence-initial names


@dataclass(frozen=True)
class NerData:
    """A sample of :func:`make_ner`."""

    sentences: tuple[tuple[str, ...], ...]  # N sentences as word tuples (cased, tokenised)
    tags: tuple[tuple[str, ...], ...]  # N tuples of BIO tag names, one per word
    right_context: tuple[np.ndarray, ...]  # N arrays (T_i,) bool: the marked tokens
    split: str  # "train" or "test": which part of the name lists filled the slots

    def __len__(self) -> int:
        return len(self.sentences)

    def batch(
        self,
        vocab: Vocab,
        indices: Sequence[int] | np.ndarray | None = None,
        *,
        unk_rate: float = 0.0,
        rng: np.random.Generator | None = None,
    ) -> NerBatch:
        """Encode and pad the given sentences (all when None) into a time-major batch.

        Args:
            vocab:    from :func:`build_vocab` (unknown words become their shape, word_shape)
            indices:  which sentences, in order
            unk_rate: word dropout: each word is replaced by its shape with this probability
                      (training only; needs rng)
            rng:      np.random.Generator for the word dropout

        Returns:
            NerBatch(inputs (T, B), targets (T, B), mask (T, B), lengths (B,), right_context (T, B))
        """
        unk_rate = check_fraction("NerData.batch", "unk_rate", unk_rate)
        if unk_rate > 0:
            rng = check_rng("NerData.batch", rng)
        indices = np.arange(len(self)) if indices is None else np.asarray(indices)
        ids = []
        for i in indices:
            words = self.sentences[i]
            if unk_rate > 0:  # hide each word behind its shape with probability unk_rate
                hidden = rng.random(len(words)) < unk_rate  # (T_i,) bool
                words = [word_shape(w) if h else w for w, h in zip(words, hidden, strict=True)]
            ids.append(encode(words, vocab))
        inputs, mask, lengths = pad_sequences(ids)
        tags = [np.array([TAGS.index(t) for t in self.tags[i]]) for i in indices]
        targets, _, _ = pad_sequences(tags, pad_value=IGNORE_INDEX)
        right, _, _ = pad_sequences([self.right_context[i] for i in indices], pad_value=False)
        return NerBatch(inputs.astype(np.int64), targets.astype(np.int64), mask,
                        np.asarray(lengths, dtype=np.int64), right)  # fmt: skip


def word_shape(word: str) -> str:
    """The unknown-word symbol of a word, by its shape: "<UNK>" for "NASA", "<Unk>" for "Oslo",
    "<num>" for "1,500", "<unk>" otherwise (parsers and taggers use richer signatures)."""
    if any(c.isdigit() for c in word):
        return "<num>"
    if len(word) > 1 and word.isupper():
        return "<UNK>"
    return "<Unk>" if word[:1].isupper() else "<unk>"


def build_vocab(data: NerData) -> Vocab:
    """<pad> = 0, the shapes of :data:`SHAPES` (<unk> = 1), then every training word, sorted."""
    words = sorted({w for s in data.sentences for w in s} - set(SHAPES))
    return Vocab([*SHAPES[1:], *words], unk=SHAPES[0], pad="<pad>")


def encode(words: Iterable[str], vocab: Vocab) -> np.ndarray:
    """Word ids; an unknown word gets the id of its shape. Returns (T,) int64."""
    stoi = vocab.stoi
    return np.array([stoi[w] if w in stoi else stoi[word_shape(w)] for w in words], np.int64)


def make_ner(n: int, *, rng: np.random.Generator, split: str = "train") -> NerData:
    """Draw n tagged sentences whose names come from one side of the fixed split.

    Args:
        n:     number of sentences
        rng:   np.random.Generator
        split: "train" or "test" (held-out names)

    Returns:
        NerData(sentences, tags, right_context, split)
    """
    n = check_int("make_ner", "n", n)
    rng = check_rng("make_ner", rng)
    if split not in ("train", "test"):
        raise ValueError(f'make_ner: split must be "train" or "test", got {split!r}')
    lex = split_lexicon(split)
    sentences, tags, right = [], [], []
    for _ in range(n):
        marked_type = None
        if rng.random() < P_RIGHT_CONTEXT:
            marked_type = _pick(rng, ("PER", "LOC"))  # 50/50, drawn before anything is seen
            template = _pick(rng, RIGHT_CONTEXT[marked_type])
        else:
            template = _pick(rng, TEMPLATES)
        words, labels = _fill(template, lex, rng, marked_type)
        if rng.random() < P_SECOND:  # a second sentence on the same line, if it fits
            more, more_labels = _fill(_pick(rng, TEMPLATES), lex, rng, None)
            if len(words) + len(more) <= MAX_LEN:
                words, labels = words + _capital(more), labels + more_labels
        words = _capital(words)
        sentences.append(tuple(words))
        tags.append(tuple(labels))
        right.append(np.arange(len(words)) == 0 if marked_type else np.zeros(len(words), bool))
    return NerData(tuple(sentences), tuple(tags), tuple(right), split)


def _fill(template, lex: Lexicon, rng, marked_type) -> tuple[list[str], list[str]]:
    words, labels, keep = [], [], True
    for token in template:
        if token in "[]":  # an optional part starts (drawn) or ends
            keep = token == "]" or rng.random() < 0.5
            continue
        if not keep:
            continue
        slot = token[1:-1] if token.startswith("{") else None
        if slot is None:
            new, kind = [token], None
        elif slot == "AMB":
            new, kind = [_pick(rng, lex.ambiguous)], marked_type
        elif slot == "PER":
            title, new = _person(rng, lex)
            words += title
            labels += ["O"] * len(title)
            kind = "PER"
        elif slot in ("LOC", "ORG"):
            new, kind = _pick(rng, lex.city if slot == "LOC" else lex.org).split(), slot
        else:
            new, kind = _pick(rng, WORDS[slot]).split("_"), None
        words += new
        labels += ["O"] * len(new) if kind is None else [f"B-{kind}"] + [f"I-{kind}"] * (
            len(new) - 1)  # fmt: skip
    return words, labels


def _person(rng, lex: Lexicon) -> tuple[list[str], list[str]]:
    """(title words, name words): "Mary Smith", "Mary Ann Smith", "Mary", "Dr. Smith"."""
    form = rng.choice(4, p=[0.45, 0.15, 0.15, 0.25])
    first, last = _pick(rng, lex.first), _pick(rng, lex.last)
    if form == 0:
        return [], [first, last]
    if form == 1:
        return [], [first, _pick(rng, lex.first), last]
    if form == 2:
        return [], [first]
    return [_pick(rng, WORDS["TITLE"])], [last]


def _capital(words: list[str]) -> list[str]:
    return [words[0][:1].upper() + words[0][1:], *words[1:]]


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


def type_counts(data: NerData) -> dict[str, int]:
    """Entities per type (a ``B-`` tag starts each one), in the order of :data:`TYPES`."""
    counts = Counter(t[2:] for tags in data.tags for t in tags if t.startswith("B-"))
    return {t: counts[t] for t in TYPES}
