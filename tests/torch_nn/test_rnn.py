"""torch_nn.rnn against torch.nn.RNN and torch.nn.RNNCell (tanh and relu), in float64."""

import pytest
import torch

from course_rnn.torch_nn import RNN, RNNCell, rnn_step

from ._twins import (
    CONFIGS,
    assert_bad_inputs_raise,
    assert_cell_matches_torch_nn,
    assert_cuda_matches_cpu,
    assert_default_state_is_zeros,
    assert_float32_matches_torch_nn,
    assert_init_equals_torch_nn,
    assert_sequence_matches_torch_nn,
    assert_unbatched_matches_torch_nn,
    gradcheck_sequence,
)

KINDS = ["rnn_tanh", "rnn_relu"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("T", "B", "D", "H", "num_layers", "bidirectional"), CONFIGS)
def test_rnn_matches_torch_rnn(kind, T, B, D, H, num_layers, bidirectional):
    assert_sequence_matches_torch_nn(kind, T, B, D, H, num_layers, bidirectional)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("batched", "bias"), [(True, True), (False, True), (True, False)])
def test_rnn_cell_matches_torch_rnn_cell(kind, batched, bias):
    assert_cell_matches_torch_nn(kind, 3, 4, 5, batched=batched, bias=bias)


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_unbatched_input_matches_torch(kind):
    assert_unbatched_matches_torch_nn(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_default_state_is_zeros_like_torch(kind):
    assert_default_state_is_zeros(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_float32_matches_torch(kind):
    assert_float32_matches_torch_nn(kind)


@pytest.mark.parametrize("cell", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_rnn_init_equals_torch_for_the_same_seed(kind, cell):
    assert_init_equals_torch_nn(kind, cell=cell)


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_gradcheck(kind):
    gradcheck_sequence(kind)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_step_gradcheck(nonlinearity):
    g = torch.Generator().manual_seed(0)
    B, D, H = 2, 3, 4
    shapes = [(B, D), (B, H), (H, D), (H, H), (H,), (H,)]
    inputs = [torch.randn(s, generator=g, dtype=torch.float64, requires_grad=True) for s in shapes]
    assert torch.autograd.gradcheck(
        lambda *args: rnn_step(*args, nonlinearity=nonlinearity), inputs
    )


def test_rnn_relu_gradient_at_zero_is_zero_like_torch():
    """At a = 0 exactly, relu's slope is taken as 0, as torch.nn.RNN and the NumPy twin do."""
    x_t, h_prev = (
        torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in [(1, 2), (1, 3)]
    )
    weights = [torch.ones(s, dtype=torch.float64) for s in [(3, 2), (3, 3)]]
    biases = [torch.zeros(3, dtype=torch.float64) for _ in range(2)]  # so a = 0 exactly
    rnn_step(x_t, h_prev, *weights, *biases, nonlinearity="relu").sum().backward()
    ref = torch.nn.RNNCell(2, 3, nonlinearity="relu").double()
    torch.nn.init.ones_(ref.weight_ih), torch.nn.init.ones_(ref.weight_hh)
    torch.nn.init.zeros_(ref.bias_ih), torch.nn.init.zeros_(ref.bias_hh)
    h_prev_ref = h_prev.detach().clone().requires_grad_()
    ref(x_t.detach(), h_prev_ref).sum().backward()
    assert h_prev.grad.abs().sum() == h_prev_ref.grad.abs().sum() == 0


def test_rnn_repr():
    assert repr(RNN(3, 4)) == "RNN(3, 4)"
    assert repr(RNN(3, 4, 2, nonlinearity="relu", bias=False, bidirectional=True)) == (
        "RNN(3, 4, num_layers=2, nonlinearity='relu', bias=False, bidirectional=True)"
    )
    assert repr(RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity='relu')"


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_bad_inputs_raise_with_shapes(kind):
    assert_bad_inputs_raise(kind)


def test_rnn_bad_nonlinearity_raises():
    message = r"nonlinearity expected 'tanh' or 'relu', got 'sigmoid'"
    with pytest.raises(ValueError, match=rf"^RNN: {message}"):
        RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=rf"^RNNCell: {message}"):
        RNNCell(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=rf"^rnn_step: {message}"):
        rnn_step(*(torch.zeros(1, 1) for _ in range(6)), nonlinearity="sigmoid")


@pytest.mark.gpu
@pytest.mark.parametrize("kind", KINDS)
def test_rnn_on_cuda_matches_cpu(kind):
    assert_cuda_matches_cpu(kind)
