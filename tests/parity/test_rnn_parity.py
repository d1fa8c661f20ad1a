"""numpy_nn.rnn (explicit backward) against torch_nn.rnn (autograd), tanh and relu, in float64."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ._parity import assert_module_runs_in_numpy, assert_sequence_parity, assert_step_parity

KINDS = ["rnn_tanh", "rnn_relu"]
CONFIGS = [
    (5, 3, 4, 6, 1, False),
    (1, 1, 3, 2, 1, True),
    (4, 2, 5, 3, 2, True),
    (3, 2, 2, 2, 3, True),
]


@pytest.mark.parametrize(("B", "D", "H"), [(3, 4, 5), (1, 2, 2)])
def test_rnn_step_parity(B, D, H):
    assert_step_parity("rnn_tanh", B, D, H)  # the readable step is tanh only


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("T", "B", "D", "H", "num_layers", "bidirectional"), CONFIGS)
def test_rnn_sequence_parity(kind, T, B, D, H, num_layers, bidirectional):
    assert_sequence_parity(kind, T, B, D, H, num_layers, bidirectional)


@settings(max_examples=15, deadline=None, derandomize=True)
@given(
    kind=st.sampled_from(KINDS),
    T=st.integers(1, 4),
    B=st.integers(1, 3),
    D=st.integers(1, 4),
    H=st.integers(1, 4),
    num_layers=st.integers(1, 2),
    bidirectional=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_rnn_sequence_parity_for_any_shape(kind, T, B, D, H, num_layers, bidirectional, seed):
    assert_sequence_parity(kind, T, B, D, H, num_layers, bidirectional, seed)


@pytest.mark.parametrize("kind", KINDS)
def test_rnn_module_runs_in_numpy(kind):
    assert_module_runs_in_numpy(kind)
