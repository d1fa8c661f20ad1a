"""course_rnn.studies.compare_sweep: the five models of a task and the sweep over seeds."""

import copy

import pytest

from course_rnn.studies.compare_sweep import comparison_configs, size_sweep, sweep


def fake_count(cell, H):
    return {"rnn": 1, "lstm": 4, "gru": 3}[cell] * (H * H + 10 * H)


def test_the_five_models_and_their_sizes():
    configs = comparison_configs(20, fake_count)
    assert [(c["cell"], c["sizing"]) for c in configs] == [
        ("rnn", "equal hidden size"),
        ("lstm", "reference"),
        ("gru", "equal hidden size"),
        ("rnn", "equal parameters"),
        ("gru", "equal parameters"),
    ]
    assert [c["hidden_size"] for c in configs[:3]] == [20, 20, 20]
    target = fake_count("lstm", 20)
    for config in configs[3:]:
        H, cell = config["hidden_size"], config["cell"]
        gap = abs(fake_count(cell, H) - target)
        assert gap <= abs(fake_count(cell, H - 1) - target)
        assert gap <= abs(fake_count(cell, H + 1) - target)
        assert config["parameters"] == fake_count(cell, H)
    assert configs[3]["hidden_size"] > configs[4]["hidden_size"] > 20


def test_the_sweep_runs_every_seed_and_summarises():
    configs = comparison_configs(4, fake_count)
    kept = copy.deepcopy(configs)
    calls, lines = [], []

    def train(cell, *, hidden_size, seed):
        calls.append((cell, hidden_size, seed))
        return {"final": float(seed), "steps_to_threshold": None if seed == 2 else 10}

    results = sweep(configs, [0, 1, 2], train, lambda c, h: lambda: None, report=lines.append,
                    rounds=1, steps=1)  # fmt: skip
    assert configs == kept  # not modified
    assert len(calls) == len(lines) == 15
    assert calls[:3] == [("rnn", 4, 0), ("rnn", 4, 1), ("rnn", 4, 2)]
    for result in results:
        assert [r["final"] for r in result["runs"]] == [0.0, 1.0, 2.0]
        assert result["final"]["mean"] == pytest.approx(1.0)
        assert result["final"]["std"] == pytest.approx(1.0)
        assert result["reached"] == 2
        assert result["seconds_per_step"] >= 0
    assert "seed 2: final 2.0000, threshold at None" in lines[2]


def test_the_size_sweep_runs_every_size_cell_and_seed():
    calls, lines = [], []

    def train(cell, *, seed, n_train):
        calls.append((n_train, cell, seed))
        return {"final": n_train + seed, "best": n_train - seed, "parameters": len(cell)}

    results = size_sweep([10, 20], ["lstm", "gru"], [0, 2], train, "n_train", report=lines.append)
    assert calls == [(n, c, s) for n in (10, 20) for c in ("lstm", "gru") for s in (0, 2)]
    assert [(r["n_train"], r["cell"]) for r in results] == [
        (10, "lstm"), (10, "gru"), (20, "lstm"), (20, "gru"),
    ]  # fmt: skip
    first = results[0]
    assert first["final"]["mean"] == 11
    assert first["best"]["min"] == 8
    assert first["parameters"] == 4
    assert len(first["runs"]) == 2
    assert len(lines) == 4
    assert lines[0].startswith("lstm n_train 10: final 11.0000")
