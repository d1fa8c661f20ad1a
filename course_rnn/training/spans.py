"""Entity spans from BIO tags, and span-level precision, recall and F1 (the CoNLL-2003 score).

A tagger labels words; a named-entity system is judged on *entities*. ``bio_spans`` turns a tag
sequence into spans ``(type, start, end)`` (end exclusive), and ``span_scores`` compares the spans
of the predictions with those of the truth: a predicted entity counts only if an entity of the
same type with exactly the same first and last word is in the truth (Tjong Kim Sang & De Meulder,
2003). Half an entity ("New" of "New York") or the right words with the wrong type score nothing:
it is a false positive *and* a false negative.

Ill-formed tags. A tagger can output an ``I-X`` that does not continue an ``X`` entity (after
``O``, at the start, or after ``B-Y``/``I-Y``). The default, ``scheme="conlleval"``, does what the
shared task's script ``conlleval`` does: such an ``I-X`` *starts* a new ``X`` entity, as if it
were ``B-X``. (The CoNLL-2003 files themselves are written that way, in the IOB1 scheme: an entity
starts with ``I-`` and ``B-`` appears only between two adjacent entities of one type.)
``scheme="strict"`` drops such an entity instead: only a span that starts with ``B-`` counts.

Book: chapter "A named-entity tagger".
"""

from collections.abc import Sequence

SCHEMES = ("conlleval", "strict")

Span = tuple[str, int, int]  # (entity type, first word, one past the last word)


def _parse(tag: str, where: str) -> tuple[str, str]:
    if tag == "O":
        return "O", ""
    if not isinstance(tag, str) or len(tag) < 3 or tag[:2] not in ("B-", "I-"):
        raise ValueError(f"{where}: expected tags 'O', 'B-<type>' or 'I-<type>', got {tag!r}")
    return tag[0], tag[2:]


def bio_spans(tags: Sequence[str], *, scheme: str = "conlleval") -> list[Span]:
    """The entities of one tagged sentence.

    Args:
        tags:   T tag names, each "O", "B-<type>" or "I-<type>"
        scheme: "conlleval" (an I-X that continues nothing starts an X entity) or "strict"
                (such an entity is dropped)

    Returns:
        spans (type, start, end), end exclusive, in order: words[start:end] is the entity
    """
    if scheme not in SCHEMES:
        raise ValueError(f"bio_spans: unknown scheme {scheme!r}; expected one of {SCHEMES}")
    spans, start, kind, well_formed = [], None, "", True
    for t, tag in enumerate([*tags, "O"]):  # the extra "O" closes an entity at the end
        prefix, new_kind = _parse(tag, "bio_spans")
        continues = prefix == "I" and start is not None and new_kind == kind
        if start is not None and not continues:  # the current entity ends before t
            if well_formed or scheme == "conlleval":
                spans.append((kind, start, t))
            start = None
        if prefix != "O" and not continues:  # an entity starts at t
            start, kind, well_formed = t, new_kind, prefix == "B"
    return spans


def span_scores(
    true_tags: Sequence[Sequence[str]],
    pred_tags: Sequence[Sequence[str]],
    *,
    scheme: str = "conlleval",
) -> dict:
    """Span-level precision, recall and F1, overall (micro-averaged) and per entity type.

    Args:
        true_tags: N sentences, each a sequence of T_i tag names
        pred_tags: N sentences of predictions, the same lengths
        scheme:    how an ill-formed I- tag is read (see :func:`bio_spans`); the truth must be
                   well formed

    Returns:
        dict with "overall" and one key per type seen in either, each a dict of ``tp``, ``fp``,
        ``fn`` (ints), ``precision`` = tp / (tp + fp), ``recall`` = tp / (tp + fn) and ``f1`` =
        2PR / (P + R) (floats; 0.0 where a denominator is 0, as conlleval prints)
    """
    if len(true_tags) != len(pred_tags):
        raise ValueError(
            f"span_scores: {len(true_tags)} true sentences but {len(pred_tags)} predicted"
        )
    counts: dict[str, list[int]] = {}  # type -> [tp, fp, fn]
    for i, (truth, pred) in enumerate(zip(true_tags, pred_tags, strict=True)):
        if len(truth) != len(pred):
            raise ValueError(
                f"span_scores: sentence {i} has {len(truth)} true tags but {len(pred)} predicted"
            )
        gold = set(bio_spans(truth, scheme=scheme))
        found = set(bio_spans(pred, scheme=scheme))
        for kind, *_ in gold | found:
            counts.setdefault(kind, [0, 0, 0])
        for span in found:
            counts[span[0]][0 if span in gold else 1] += 1
        for span in gold - found:
            counts[span[0]][2] += 1
    total = [sum(c[k] for c in counts.values()) for k in range(3)]
    return {"overall": _prf(*total), **{k: _prf(*counts[k]) for k in sorted(counts)}}


def _prf(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": precision, "recall": recall, "f1": f1}
