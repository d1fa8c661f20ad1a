"""course_rnn.training.spans: BIO spans and span-level scores, against conlleval's chunk rules."""

import numpy as np
import pytest

from course_rnn.training.spans import bio_spans, span_scores


def _conlleval_chunks(tags):
    """Chunks as the CoNLL script conlleval finds them: its startOfChunk/endOfChunk rules
    (written out again here, independently of the module, as the trusted reference)."""

    def split(tag):
        return ("O", "") if tag == "O" else (tag[0], tag[2:])

    def end_of_chunk(prev_tag, tag, prev_type, kind):
        end = (prev_tag, tag) in {("B", "B"), ("B", "O"), ("I", "B"), ("I", "O")}
        return end or (prev_tag != "O" and prev_type != kind)

    def start_of_chunk(prev_tag, tag, prev_type, kind):
        start = (prev_tag, tag) in {("B", "B"), ("I", "B"), ("O", "B"), ("O", "I")}
        return start or (tag != "O" and prev_type != kind)

    chunks, start, (prev_tag, prev_type) = [], None, ("O", "")
    for t, tag in enumerate([*tags, "O"]):
        tag_, kind = split(tag)
        if start is not None and end_of_chunk(prev_tag, tag_, prev_type, kind):
            chunks.append((prev_type, start, t))
            start = None
        if start_of_chunk(prev_tag, tag_, prev_type, kind):
            start = t
        prev_tag, prev_type = tag_, kind
    return chunks


def test_well_formed_spans():
    tags = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "O", "B-ORG"]
    assert bio_spans(tags) == [("PER", 0, 2), ("LOC", 3, 4), ("LOC", 4, 6), ("ORG", 7, 8)]
    assert bio_spans(tags, scheme="strict") == bio_spans(tags)
    assert bio_spans([]) == []
    assert bio_spans(["O", "O"]) == []


def test_an_i_tag_that_continues_nothing():
    # conlleval: it starts an entity of its type; strict: that entity is dropped
    assert bio_spans(["O", "I-PER", "I-PER", "O"]) == [("PER", 1, 3)]
    assert bio_spans(["O", "I-PER", "I-PER", "O"], scheme="strict") == []
    assert bio_spans(["I-LOC"]) == [("LOC", 0, 1)]
    assert bio_spans(["B-PER", "I-LOC", "I-LOC"]) == [("PER", 0, 1), ("LOC", 1, 3)]
    assert bio_spans(["B-PER", "I-LOC", "I-LOC"], scheme="strict") == [("PER", 0, 1)]


def test_bio_spans_follow_conlleval_on_random_tag_sequences():
    rng = np.random.default_rng(0)
    names = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]
    for _ in range(3_000):
        tags = [names[k] for k in rng.integers(len(names), size=rng.integers(0, 12))]
        assert bio_spans(tags) == _conlleval_chunks(tags), tags


def test_an_entity_counts_only_with_its_type_and_both_boundaries():
    truth = [["B-PER", "I-PER", "O", "B-LOC", "I-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "O", "O", "B-ORG", "I-ORG"], ["B-ORG", "O"]]
    scores = span_scores(truth, pred)
    # found: PER(0,1) wrong end, ORG(3,5) wrong type, ORG(0,1) right -> tp 1, fp 2, fn 2
    assert scores["overall"] == pytest.approx(
        {"tp": 1, "fp": 2, "fn": 2, "precision": 1 / 3, "recall": 1 / 3, "f1": 1 / 3}
    )
    assert scores["PER"]["tp"] == 0
    assert scores["PER"]["fp"] == 1
    assert scores["PER"]["fn"] == 1
    assert scores["LOC"] == {"tp": 0, "fp": 0, "fn": 1, "precision": 0.0, "recall": 0.0,
                             "f1": 0.0}  # fmt: skip
    assert scores["ORG"]["tp"] == 1
    assert scores["ORG"]["fp"] == 1
    assert list(scores) == ["overall", "LOC", "ORG", "PER"]


def test_perfect_and_empty_predictions():
    truth = [["B-PER", "I-PER", "O"], ["O", "B-LOC"]]
    assert span_scores(truth, truth)["overall"]["f1"] == 1.0
    nothing = span_scores(truth, [["O"] * 3, ["O"] * 2])["overall"]
    assert (nothing["precision"], nothing["recall"], nothing["f1"]) == (0.0, 0.0, 0.0)
    assert nothing["fn"] == 2


def test_the_scheme_changes_the_score_of_ill_formed_predictions():
    truth, pred = [["O", "B-PER", "I-PER"]], [["O", "I-PER", "I-PER"]]
    assert span_scores(truth, pred)["overall"]["f1"] == 1.0  # conlleval reads it as B-PER I-PER
    assert span_scores(truth, pred, scheme="strict")["overall"]["f1"] == 0.0


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="bio_spans: expected tags 'O', 'B-<type>' or 'I-<type>'"):
        bio_spans(["B-PER", "PER"])
    with pytest.raises(ValueError, match="bio_spans: unknown scheme 'iobes'"):
        bio_spans(["O"], scheme="iobes")
    with pytest.raises(ValueError, match="span_scores: 2 true sentences but 1 predicted"):
        span_scores([["O"], ["O"]], [["O"]])
    with pytest.raises(ValueError, match="span_scores: sentence 0 has 2 true tags but 1 predicted"):
        span_scores([["O", "O"]], [["O"]])
