"""course_rnn.studies.length_generalisation: models, parameter counts, determinism, errors."""

import pytest
import torch

from course_rnn.studies.length_generalisation import (
    KINDS,
    RecallMinGRU,
    make_model,
    parameters,
    train_copy,
    train_formal,
    train_recall_mingru,
)


@pytest.mark.parametrize("kind", KINDS)
def test_models_are_causal_and_time_major(kind):
    model = make_model(kind, 5, 3, seed=0)
    tokens = torch.randint(0, 5, (12, 2), generator=torch.Generator().manual_seed(0))
    logits = model(tokens)
    assert logits.shape == (12, 2, 3)
    changed = tokens.clone()
    changed[8] = (changed[8] + 1) % 5
    # steps before the change see the same prefix, so their logits do not move
    torch.testing.assert_close(model(changed)[:8], logits[:8], rtol=0, atol=1e-6)


def test_parameter_counts_are_similar():
    counts = [parameters(make_model(kind, 2, 2, seed=0)) for kind in KINDS]
    assert max(counts) / min(counts) < 1.2


def test_the_seed_decides_the_weights_and_leaves_torch_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = make_model("lstm", 2, 2, seed=4)
    after = torch.rand(1)
    b = make_model("lstm", 2, 2, seed=4)
    assert torch.equal(before, after)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)


def test_train_formal_is_deterministic_and_reports_every_length():
    runs = [
        train_formal("dyck", "lstm", seed=1, steps=20, test_lengths=(4, 8), eval_size=32)
        for _ in range(2)
    ]
    assert runs[0]["accuracy"] == runs[1]["accuracy"]
    assert sorted(runs[0]["accuracy"]) == ["4", "8"]


def test_train_copy_returns_a_fraction():
    run = train_copy("mingru", 3, seed=0, steps=5, eval_size=16)
    assert 0 <= run["accuracy"] <= 1
    assert run["length"] == 3


def test_errors():
    with pytest.raises(ValueError, match="TokenModel: kind must be one of"):
        make_model("gru", 2, 2, seed=0)
    with pytest.raises(ValueError, match="train_formal: task must be one of"):
        train_formal("copy", "lstm", seed=0)


def test_train_recall_mingru_is_deterministic():
    runs = [train_recall_mingru(8, seed=3, steps=4, n_test=16, eval_every=2) for _ in range(2)]
    assert runs[0]["curve"] == runs[1]["curve"]
    assert [step for step, _ in runs[0]["curve"]] == [0, 2, 4]
    assert runs[0]["parameters"] == parameters(RecallMinGRU(65, 32, 8))
