import pytest
import torch

from course_rnn.data.dates import FORMAT_NAMES
from course_rnn.studies.seq2seq import (
    LENGTH_BINS,
    evaluate,
    make_model,
    make_test_set,
    train_seq2seq,
)

SMALL = {"steps": 6, "hidden_size": 8, "embed_dim": 4, "batch_size": 8, "eval_every": 3}


def test_a_copy_run_is_deterministic_and_complete():
    state = torch.random.get_rng_state()
    a = train_seq2seq("copy", "general", seed=3, per_length=2, **SMALL)
    assert torch.equal(torch.random.get_rng_state(), state)  # the caller's generator untouched
    b = train_seq2seq("copy", "general", seed=3, per_length=2, **SMALL)
    c = train_seq2seq("copy", "general", seed=4, per_length=2, **SMALL)
    assert a["loss_curve"] == b["loss_curve"] != c["loss_curve"]
    assert [s for s, _ in a["loss_curve"]] == [3, 6]
    assert list(a["by_length"]) == [f"{lo}-{hi}" for lo, hi in LENGTH_BINS]
    for key in ("exact_match", "tf_char_accuracy", "free_char_accuracy", "tf_exact"):
        assert 0 <= a[key] <= 1
    assert a["parameters"] == sum(p.numel() for p in make_model(
        "copy", "general", seed=0, hidden_size=8, embed_dim=4).parameters())  # fmt: skip


def test_a_dates_run_reports_every_format():
    model, result = train_seq2seq("dates", "none", seed=0, n_dates=24, return_model=True, **SMALL)
    assert list(result["by_format"]) == list(FORMAT_NAMES)
    assert model.training  # evaluation puts the model back in training mode


def test_evaluate_counts_exact_matches_on_the_test_set():
    sources, targets = make_test_set("copy", per_length=1, min_len=5, max_len=7)
    assert sources == targets
    assert [len(s) for s in sources] == [5, 6, 7]
    model = make_model("copy", "none", seed=0, hidden_size=8, embed_dim=4)
    measured = evaluate(model, sources, targets)
    assert len(measured["exact"]) == 3
    assert measured["exact_match"] == sum(measured["exact"]) / 3
    assert all(p == t for p, t, e in zip(measured["predictions"], targets, measured["exact"],
                                         strict=True) if e)  # fmt: skip


def test_unknown_task():
    with pytest.raises(ValueError, match="train_seq2seq: unknown task 'sort'"):
        train_seq2seq("sort", "none", seed=0, steps=1)
