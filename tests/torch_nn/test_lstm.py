"""torch_nn.lstm against torch.nn.LSTM and torch.nn.LSTMCell, in float64."""

import pytest
import torch

from course_rnn.shapes import ShapeError
from course_rnn.torch_nn import LSTM, LSTMCell, lstm_step

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
def test_lstm_matches_torch_lstm(T, B, D, H, num_layers, bidirectional):
    assert_sequence_matches_torch_nn("lstm", T, B, D, H, num_layers, bidirectional)


@pytest.mark.parametrize(("batched", "bias"), [(True, True), (False, True), (True, False)])
def test_lstm_cell_matches_torch_lstm_cell(batched, bias):
    assert_cell_matches_torch_nn("lstm", 3, 4, 5, batched=batched, bias=bias)


def test_lstm_unbatched_input_matches_torch():
    assert_unbatched_matches_torch_nn("lstm")


def test_lstm_default_state_is_zeros_like_torch():
    assert_default_state_is_zeros("lstm")


def test_lstm_float32_matches_torch():
    assert_float32_matches_torch_nn("lstm")


@pytest.mark.parametrize("cell", [False, True])
def test_lstm_init_equals_torch_for_the_same_seed(cell):
    assert_init_equals_torch_nn("lstm", cell=cell)


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_gradcheck(bias):
    gradcheck_sequence("lstm", bias=bias)


def test_lstm_step_gradcheck():
    g = torch.Generator().manual_seed(0)
    B, D, H = 2, 3, 2
    shapes = [(B, D), (B, H), (B, H), (4 * H, D), (4 * H, H), (4 * H,), (4 * H,)]
    inputs = [torch.randn(s, generator=g, dtype=torch.float64, requires_grad=True) for s in shapes]
    assert torch.autograd.gradcheck(lstm_step, inputs)


def test_lstm_bias_false_matches_torch():
    ours, ref = build("lstm", 3, 4, 2, True, bias=False)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert not any("bias" in k for k in ours.state_dict())
    x = torch.randn(5, 2, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(ours(x)[0], ref(x)[0], **TOL64)


def test_lstm_module_repr_and_attributes():
    lstm = LSTM(3, 4, 2, bidirectional=True)
    assert repr(lstm) == "LSTM(3, 4, num_layers=2, bidirectional=True)"
    assert (lstm.input_size, lstm.hidden_size, lstm.num_layers) == (3, 4, 2)
    assert repr(LSTMCell(3, 4, bias=False)) == "LSTMCell(3, 4, bias=False)"


def test_lstm_bad_inputs_raise_with_shapes():
    assert_bad_inputs_raise("lstm")


def test_lstm_state_must_be_a_pair():
    lstm = LSTM(3, 4, dtype=torch.float64)
    x = torch.zeros(2, 1, 3, dtype=torch.float64)
    with pytest.raises(TypeError, match=r"LSTM\.forward: expected None or a pair \(h0, c0\)"):
        lstm(x, torch.zeros(1, 1, 4, dtype=torch.float64))
    with pytest.raises(
        ShapeError, match=r"c0 expected \(layers·dirs=1, B=1, H=4\), got \(1, 1, 5\)"
    ):
        lstm(
            x,
            (torch.zeros(1, 1, 4, dtype=torch.float64), torch.zeros(1, 1, 5, dtype=torch.float64)),
        )
    cell = LSTMCell(3, 4)
    with pytest.raises(ShapeError, match=r"LSTMCell\.forward: h_prev expected \(B=2, H=4\)"):
        cell(torch.zeros(2, 3), (torch.zeros(4), torch.zeros(2, 4)))


@pytest.mark.gpu
def test_lstm_on_cuda_matches_cpu():
    assert_cuda_matches_cpu("lstm")
