"""torch_nn.reference: NumPy params ↔ our modules ↔ torch.nn, and state_dict round trips."""

import numpy as np
import pytest
import torch

from course_rnn.numpy_nn import init_gru_params, init_lstm_params, init_rnn_params
from course_rnn.shapes import ShapeError
from course_rnn.torch_nn import (
    GRU,
    LSTM,
    RNN,
    GRUCell,
    LSTMCell,
    RNNCell,
    from_numpy_params,
    from_torch_nn,
    to_numpy_params,
    to_torch_nn,
)

from ._twins import KINDS, TOL64, build

#: (kind, cell, bias): every class, with and without biases
CASES = [(kind, cell, bias) for kind in KINDS for cell in (False, True) for bias in (True, False)]


def _x(cell, dtype=torch.float64):
    shape = (2, 3) if cell else (4, 2, 3)
    return torch.randn(shape, dtype=dtype, generator=torch.Generator().manual_seed(5))


def _output(module, x):
    out = module(x)
    return out[0] if isinstance(out, tuple) else out


@pytest.mark.parametrize(("kind", "cell", "bias"), CASES)
def test_load_state_dict_works_both_ways_with_torch_nn(kind, cell, bias):
    ours, ref = build(kind, 3, 4, 2, True, cell=cell, bias=bias)  # ours loaded ref's state_dict
    assert list(ours.state_dict()) == list(ref.state_dict())
    ref.load_state_dict(ours.state_dict())  # strict: the same keys and shapes
    torch.testing.assert_close(_output(ours, _x(cell)), _output(ref, _x(cell)), **TOL64)


@pytest.mark.parametrize(("kind", "cell", "bias"), CASES)
def test_to_torch_nn_and_back_keep_weights_and_function(kind, cell, bias):
    ours, _ = build(kind, 3, 4, 2, True, cell=cell, bias=bias)
    before = torch.random.get_rng_state()
    ref = to_torch_nn(ours)
    again = from_torch_nn(ref)
    assert torch.equal(torch.random.get_rng_state(), before)  # no draws from the global generator
    assert type(ref) is KINDS[kind][3 if cell else 1]
    assert type(again) is type(ours)
    assert repr(again) == repr(ours)
    for module in (ref, again):
        for (key, p), q in zip(
            module.state_dict().items(), ours.state_dict().values(), strict=True
        ):
            assert p.dtype == torch.float64, key
            torch.testing.assert_close(p, q, rtol=0, atol=0, msg=key)
    torch.testing.assert_close(_output(ref, _x(cell)), _output(ours, _x(cell)), **TOL64)
    torch.testing.assert_close(_output(again, _x(cell)), _output(ours, _x(cell)), **TOL64)


@pytest.mark.parametrize(("kind", "cell"), [(kind, cell) for kind in KINDS for cell in (0, 1)])
def test_numpy_params_round_trip(kind, cell):
    ours, _ = build(kind, 3, 4, 2, True, cell=cell)
    params = to_numpy_params(ours)
    assert list(params) == list(ours.state_dict())
    assert all(isinstance(v, np.ndarray) and v.dtype == np.float64 for v in params.values())
    key = "weight_ih" if cell else "weight_ih_l0"
    params[key][0, 0] += 1.0  # a copy, not a view of the parameter
    assert params[key][0, 0] != getattr(ours, key)[0, 0]
    params = to_numpy_params(ours.state_dict())  # a state_dict works too
    options = {"nonlinearity": kind[4:]} if kind.startswith("rnn") else {}
    again = type(ours).from_params(params, **options)
    assert repr(again) == repr(ours)
    torch.testing.assert_close(_output(again, _x(cell)), _output(ours, _x(cell)), **TOL64)


@pytest.mark.parametrize(
    ("cls", "init", "options"),
    [
        (RNN, init_rnn_params, {"nonlinearity": "relu"}),
        (LSTM, init_lstm_params, {}),
        (GRU, init_gru_params, {}),
    ],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_from_params_takes_the_numpy_initialisation(cls, init, options, dtype, rng):
    """The one source of initialisation (numpy_nn.init_*_params) builds the torch twin."""
    params = init(3, 5, 2, True, rng=rng, dtype=dtype)
    before = torch.random.get_rng_state()
    module = cls.from_params(params, **options)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert (module.input_size, module.hidden_size, module.num_layers) == (3, 5, 2)
    assert module.bidirectional
    assert module.bias
    assert getattr(module, "nonlinearity", "relu") == "relu"
    for key, value in module.state_dict().items():
        assert value.dtype == torch.from_numpy(params[key]).dtype
        np.testing.assert_array_equal(value.numpy(), params[key])


def test_from_params_puts_parameters_on_the_device(rng):
    lstm = LSTM.from_params(init_lstm_params(2, 3, rng=rng), device="meta")
    assert lstm.weight_ih_l0.device.type == "meta"


def test_from_numpy_params_of_a_bias_free_cell():
    cell = GRUCell(3, 4, bias=False, generator=torch.Generator().manual_seed(0))
    again = from_numpy_params(to_numpy_params(cell), GRUCell)
    assert not again.bias
    torch.testing.assert_close(again(_x(True, torch.float32)), cell(_x(True, torch.float32)))


def test_from_numpy_params_errors(rng):
    params = init_lstm_params(3, 4, rng=rng)
    with pytest.raises(TypeError, match=r"^from_numpy_params: cls expected RNN, LSTM, GRU"):
        from_numpy_params(params, torch.nn.LSTM)
    with pytest.raises(TypeError, match=r"params\['bias_hh_l0'\] expected a float ndarray"):
        from_numpy_params({**params, "bias_hh_l0": torch.zeros(16)}, LSTM)
    with pytest.raises(
        TypeError, match=r"expected one dtype for all arrays \(float64\), got float32"
    ):
        from_numpy_params({**params, "bias_hh_l0": params["bias_hh_l0"].astype(np.float32)}, LSTM)
    with pytest.raises(ShapeError, match=r"params\['weight_ih_l0'\] expected a 2-D array for LSTM"):
        from_numpy_params({k: v for k, v in params.items() if k != "weight_ih_l0"}, LSTM)
    with pytest.raises(ShapeError, match=r"params\['weight_ih_l0'\] expected \(12, 3\) for GRU"):
        from_numpy_params(params, GRU)  # LSTM parameters (4H rows) given to a GRU (3H)
    with pytest.raises(ValueError, match=r"missing \['bias_hh_l0'\], unexpected \[\]"):
        from_numpy_params({k: v for k, v in params.items() if k != "bias_hh_l0"}, LSTM)
    with pytest.raises(ValueError, match=r"missing \[\], unexpected \['extra'\]"):
        from_numpy_params({**params, "extra": params["bias_hh_l0"]}, LSTM)
    with pytest.raises(TypeError, match=r"params expected a non-empty dict of NumPy arrays"):
        from_numpy_params({}, LSTM)


def test_to_numpy_params_errors():
    with pytest.raises(TypeError, match=r"^to_numpy_params: source expected an nn.Module"):
        to_numpy_params([1, 2])
    with pytest.raises(TypeError, match=r"source\['w'\] expected a tensor, got list"):
        to_numpy_params({"w": [1.0]})
    with pytest.raises(TypeError, match=r"NumPy has no torch.bfloat16"):
        to_numpy_params(LSTMCell(2, 3, dtype=torch.bfloat16))


def test_conversions_to_and_from_torch_nn_errors():
    with pytest.raises(TypeError, match=r"^to_torch_nn: module expected RNN, LSTM, GRU .* Linear"):
        to_torch_nn(torch.nn.Linear(2, 3))
    with pytest.raises(TypeError, match=r"^from_torch_nn: module expected torch.nn.RNN"):
        from_torch_nn(LSTM(2, 3))
    for options, name in [
        ({"batch_first": True}, "batch_first=True"),
        ({"dropout": 0.5, "num_layers": 2}, "dropout=0.5"),
        ({"proj_size": 2}, "proj_size=2"),
    ]:
        with pytest.raises(ValueError, match=rf"^from_torch_nn: LSTM has {name}, which our LSTM"):
            from_torch_nn(torch.nn.LSTM(2, 3, **options))


@pytest.mark.parametrize("cls", [RNN, RNNCell])
def test_from_params_keeps_the_nonlinearity(cls):
    module = cls(3, 4, nonlinearity="relu", generator=torch.Generator().manual_seed(0))
    again = cls.from_params(to_numpy_params(module), nonlinearity="relu")
    assert again.nonlinearity == "relu"
    assert from_torch_nn(to_torch_nn(module)).nonlinearity == "relu"
