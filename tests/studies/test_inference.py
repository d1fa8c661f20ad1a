"""course_rnn.studies.inference: equal parameters, operation counts, bytes carried per token."""

import pytest

from course_rnn.studies import inference

SIZES = {"vocab_size": 12, "width": 16, "num_layers": 1, "max_len": 16}


def test_models_have_equal_parameters():
    transformer, lstm = inference.language_models(**SIZES)
    counts = [sum(p.numel() for p in m.parameters()) for m in (transformer, lstm)]
    assert abs(counts[1] / counts[0] - 1) < 0.05


def test_token_flops():
    transformer, lstm = inference.language_models(**SIZES)
    H, E, V = lstm.config.hidden_size, 16, 12
    assert inference.token_flops("lstm", 7, transformer, lstm) == 2 * (8 * H * H + H * V)
    kv = [inference.token_flops("kv_cache", n, transformer, lstm) for n in (0, 1, 2)]
    assert kv[2] - kv[1] == kv[1] - kv[0] == 4 * E  # 2 N E more per key read, N = 1
    with pytest.raises(ValueError, match="mode must be one of"):
        inference.token_flops("gru", 1, transformer, lstm)


def test_per_token_costs_carry_constant_state_or_a_growing_cache():
    out = inference.per_token_costs([1, 5], rounds=1, budget=0.001, **SIZES)
    rows = {(r["mode"], r["n"]): r for r in out["rows"]}
    H = out["hidden_size"]
    assert rows["lstm", 1]["state_bytes"] == rows["lstm", 5]["state_bytes"] == 2 * H * 4
    for n in (1, 5):  # keys and values of n + 1 tokens, N = 1 block, E = 16, float32
        assert rows["kv_cache", n]["state_bytes"] == 2 * (n + 1) * 16 * 4
    assert all(r["seconds"] > 0 for r in out["rows"])
