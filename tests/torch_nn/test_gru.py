"""torch_nn.gru against torch.nn.GRU and torch.nn.GRUCell, in float64."""

import pytest
import torch

from course_rnn.torch_nn import GRU, GRUCell, gru_step

from ._twins import (
    CONFIGS,
    TOL64,
    assert_bad_inputs_raise,
    assert_cell_matches_torch_nn,
    assert_cuda_matches_cpu,
    assert_default_state_is_zeros,
    assert_float32_matches_torch_nn,
    assert_init_equals_torch_nn,
    assert_sequence_matches_torch_nn,
    assert_unbatched_matches_torch_nn,
    build,
    gradcheck_sequence,
)


@pytest.mark.parametrize(("T", "B", "D", "H", "num_layers", "bidirectional"), CONFIGS)
def test_gru_matches_torch_gru(T, B, D, H, num_layers, bidirectional):
    assert_sequence_matches_torch_nn("gru", T, B, D, H, num_layers, bidirectional)


@pytest.mark.parametrize(("batched", "bias"), [(True, True), (False, True), (True, False)])
def test_gru_cell_matches_torch_gru_cell(batched, bias):
    assert_cell_matches_torch_nn("gru", 3, 4, 5, batched=batched, bias=bias)


def test_gru_unbatched_input_matches_torch():
    assert_unbatched_matches_torch_nn("gru")


def test_gru_default_state_is_zeros_like_torch():
    assert_default_state_is_zeros("gru")


def test_gru_float32_matches_torch():
    assert_float32_matches_torch_nn("gru")


@pytest.mark.parametrize("cell", [False, True])
def test_gru_init_equals_torch_for_the_same_seed(cell):
    assert_init_equals_torch_nn("gru", cell=cell)


def test_gru_gradcheck():
    gradcheck_sequence("gru")


def test_gru_step_gradcheck():
    g = torch.Generator().manual_seed(0)
    B, D, H = 2, 3, 2
    shapes = [(B, D), (B, H), (3 * H, D), (3 * H, H), (3 * H,), (3 * H,)]
    inputs = [torch.randn(s, generator=g, dtype=torch.float64, requires_grad=True) for s in shapes]
    assert torch.autograd.gradcheck(gru_step, inputs)


def test_gru_reset_gate_scales_the_recurrent_bias_like_torch():
    """torch's variant: r multiplies W_hn h + b_hn, so b_hn ≠ b_in changes the result."""
    ours, ref = build("gru", 2, 3, bias=True)
    with torch.no_grad():
        for module in (ours, ref):
            module.bias_hh_l0[6:] += 1.0  # shift only b_hn
    x = torch.randn(4, 2, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(ours(x)[0], ref(x)[0], **TOL64)


def test_gru_repr():
    assert repr(GRU(3, 4, bidirectional=True)) == "GRU(3, 4, bidirectional=True)"
    assert repr(GRUCell(3, 4)) == "GRUCell(3, 4)"


def test_gru_bad_inputs_raise_with_shapes():
    assert_bad_inputs_raise("gru")


@pytest.mark.gpu
def test_gru_on_cuda_matches_cpu():
    assert_cuda_matches_cpu("gru")
