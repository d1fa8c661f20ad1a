"""Bad input to the recurrent layers raises an error naming the function, argument, expectation
and what came (numpy_nn.rnn, lstm, gru, recurrent and _params)."""

import re

import numpy as np
import pytest
import torch

from course_rnn.numpy_nn.gru import gru_backward, gru_forward, init_gru_params
from course_rnn.numpy_nn.lstm import init_lstm_params, lstm_backward, lstm_forward
from course_rnn.numpy_nn.recurrent import truncated_bptt
from course_rnn.numpy_nn.rnn import init_rnn_params, rnn_backward, rnn_forward
from course_rnn.shapes import ShapeError


def raises(exception, message):
    """pytest.raises matching the message literally (it is full of brackets)."""
    return pytest.raises(exception, match=re.escape(message))


@pytest.fixture
def lstm_params(rng):
    """A one-layer LSTM with D=8, H=4."""
    return init_lstm_params(8, 4, rng=rng)


# --- x ----------------------------------------------------------------------------------------


_FLOAT = "lstm_forward: x expected a floating dtype (float32 or float64), got"


@pytest.mark.parametrize(
    ("x", "exception", "message"),
    [
        (np.zeros((5, 3, 7)), ShapeError, "lstm_forward: x expected (T, B, D=8), got (5, 3, 7)"),
        (np.zeros((5, 8)), ShapeError, "x expected (T, B, D=8), got (5, 8): rank 2 instead of 3"),
        (np.zeros((0, 3, 8)), ShapeError, "x expected at least one step and one sequence, got (0,"),
        (np.zeros((5, 0, 8)), ShapeError, "x expected at least one step and one sequence, got (5,"),
        ([[[0.0] * 8]], TypeError, "lstm_forward: x expected a NumPy array (T, B, D), got list"),
        (np.zeros((5, 3, 8), np.int64), TypeError, f"{_FLOAT} int64 (token ids need an embedding"),
        (np.zeros((5, 3, 8), bool), TypeError, f"{_FLOAT} bool"),
        (np.zeros((5, 3, 8), object), TypeError, f"{_FLOAT} object"),
        (np.zeros((5, 3, 8), np.complex128), TypeError, f"{_FLOAT} complex128"),
    ],
)
def test_bad_x_names_function_argument_expectation_and_what_came(
    lstm_params, x, exception, message
):
    with raises(exception, message):
        lstm_forward(x, lstm_params)


# --- params -------------------------------------------------------------------------------------


def test_params_that_is_not_a_dict(rng):
    with raises(
        TypeError, "gru_forward: params expected a dict keyed like torch's state_dict(), got list"
    ):
        gru_forward(rng.standard_normal((5, 3, 8)), [np.zeros((12, 8))])


def test_params_of_an_lstm_with_proj_size_are_rejected(rng):
    params = {k: v.numpy() for k, v in torch.nn.LSTM(8, 4, proj_size=2).state_dict().items()}
    message = (
        "lstm_forward: params expected keys like 'weight_ih_l0' or 'bias_hh_l1_reverse', "
        "got ['weight_hr_l0'] (proj_size and bias=False are not supported)"
    )
    with raises(ValueError, message):
        lstm_forward(rng.standard_normal((5, 3, 8)).astype(np.float32), params)


def test_empty_params(rng):
    with raises(
        ValueError,
        "rnn_forward: params expected keys like 'weight_ih_l0' or 'bias_hh_l1_reverse', "
        "got no keys",
    ):
        rnn_forward(rng.standard_normal((5, 3, 8)), {})


def test_params_with_a_missing_key(rng):
    params = init_rnn_params(8, 4, num_layers=2, rng=rng)
    del params["bias_hh_l1"]
    with raises(
        ValueError,
        "rnn_forward: params keys are inconsistent with 2 layer(s), unidirectional: "
        "missing ['bias_hh_l1']",
    ):
        rnn_forward(rng.standard_normal((5, 3, 8)), params)


def test_params_bidirectional_in_one_layer_only(rng):
    params = init_gru_params(8, 4, num_layers=2, bidirectional=True, rng=rng)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        del params[f"{name}_l1_reverse"]
    message = (
        "gru_forward: params keys are inconsistent with 2 layer(s), bidirectional: missing "
        "['weight_ih_l1_reverse', 'weight_hh_l1_reverse', 'bias_ih_l1_reverse', "
        "'bias_hh_l1_reverse']"
    )
    with raises(ValueError, message):
        gru_forward(rng.standard_normal((5, 3, 8)), params)


def test_params_with_an_unexpected_key_and_missing_ones(rng, lstm_params):
    lstm_params["weight_ih_l01"] = lstm_params["weight_ih_l0"]
    with raises(ValueError, "; unexpected ['weight_ih_l01']"):
        lstm_forward(rng.standard_normal((5, 3, 8)), lstm_params)


def test_params_holding_torch_tensors(rng):
    params = {k: v.double() for k, v in torch.nn.RNN(8, 4).state_dict().items()}
    with raises(
        TypeError, "rnn_forward: params['weight_ih_l0'] expected a NumPy array, got Tensor"
    ):
        rnn_forward(rng.standard_normal((5, 3, 8)), params)


def test_params_of_another_dtype_than_x_are_not_upcast(rng, lstm_params):
    message = (
        "lstm_forward: params['weight_ih_l0'] expected dtype float32 like x, got float64 "
        "(convert with .astype(np.float32))"
    )
    with raises(TypeError, message):
        lstm_forward(rng.standard_normal((5, 3, 8)).astype(np.float32), lstm_params)


def test_params_weight_hh_l0_of_the_wrong_rank(rng, lstm_params):
    lstm_params["weight_hh_l0"] = lstm_params["weight_hh_l0"].ravel()
    with raises(ShapeError, "lstm_forward: params['weight_hh_l0'] expected a 2-D array, got (64,)"):
        lstm_forward(rng.standard_normal((5, 3, 8)), lstm_params)


def test_gru_params_given_to_the_lstm(rng):
    params = init_gru_params(8, 4, rng=rng)
    with raises(
        ShapeError, "lstm_forward: params['weight_ih_l0'] expected (4H=16, D=8), got (12, 8)"
    ):
        lstm_forward(rng.standard_normal((5, 3, 8)), params)


def test_params_misshapen_in_a_later_layer(rng):
    params = init_lstm_params(8, 4, num_layers=2, bidirectional=True, rng=rng)
    params["weight_ih_l1_reverse"] = params["weight_ih_l1_reverse"][:, :4]
    with raises(
        ShapeError,
        "lstm_forward: params['weight_ih_l1_reverse'] expected (4H=16, 2H=8), got (16, 4)",
    ):
        lstm_forward(rng.standard_normal((5, 3, 8)), params)


def test_params_with_a_misshapen_bias(rng, lstm_params):
    lstm_params["bias_hh_l0"] = lstm_params["bias_hh_l0"][:15]
    with raises(ShapeError, "lstm_forward: params['bias_hh_l0'] expected (4H=16), got (15,)"):
        lstm_forward(rng.standard_normal((5, 3, 8)), lstm_params)


# --- initial states ---------------------------------------------------------------------------


def test_h0_of_the_wrong_shape(rng):
    params = init_rnn_params(8, 4, num_layers=2, rng=rng)
    with raises(ShapeError, "rnn_forward: h0 expected (2, B=3, H=4), got (1, 3, 4)"):
        rnn_forward(rng.standard_normal((5, 3, 8)), params, np.zeros((1, 3, 4)))


def test_h0_of_another_dtype(rng):
    params = init_gru_params(8, 4, rng=rng)
    with raises(TypeError, "gru_forward: h0 expected dtype float64 like x, got float32"):
        gru_forward(rng.standard_normal((5, 3, 8)), params, np.zeros((1, 3, 4), np.float32))


def test_h0_that_is_not_an_array(rng):
    params = init_gru_params(8, 4, rng=rng)
    with raises(TypeError, "gru_forward: h0 expected a NumPy array, got float"):
        gru_forward(rng.standard_normal((5, 3, 8)), params, 0.0)


def test_lstm_state0_that_is_not_a_pair(rng, lstm_params):
    with raises(TypeError, "lstm_forward: state0 expected None or a pair (h0, c0), got ndarray"):
        lstm_forward(rng.standard_normal((5, 3, 8)), lstm_params, np.zeros((1, 3, 4)))


def test_lstm_c0_of_the_wrong_shape(rng, lstm_params):
    with raises(ShapeError, "lstm_forward: c0 expected (1, B=3, H=4), got (1, 3, 5)"):
        lstm_forward(
            rng.standard_normal((5, 3, 8)), lstm_params, (np.zeros((1, 3, 4)), np.zeros((1, 3, 5)))
        )


# --- backward -----------------------------------------------------------------------------------


def test_doutput_of_the_wrong_shape(rng):
    params = init_gru_params(8, 4, bidirectional=True, rng=rng)
    _, _, cache = gru_forward(rng.standard_normal((5, 3, 8)), params)
    with raises(ShapeError, "gru_backward: doutput expected (T=5, B=3, 2H=8), got (5, 3, 4)"):
        gru_backward(np.zeros((5, 3, 4)), None, cache)


def test_doutput_of_another_dtype(rng, lstm_params):
    _, _, cache = lstm_forward(rng.standard_normal((5, 3, 8)), lstm_params)
    with raises(TypeError, "lstm_backward: doutput expected dtype float64 like x, got float32"):
        lstm_backward(np.zeros((5, 3, 4), np.float32), None, cache)


def test_dh_n_of_the_wrong_shape(rng):
    params = init_rnn_params(8, 4, rng=rng)
    _, _, cache = rnn_forward(rng.standard_normal((5, 3, 8)), params)
    with raises(ShapeError, "rnn_backward: dh_n expected (1, B=3, H=4), got (3, 4)"):
        rnn_backward(None, np.zeros((3, 4)), cache)


def test_lstm_dstate_n_that_is_not_a_pair(rng, lstm_params):
    _, _, cache = lstm_forward(rng.standard_normal((5, 3, 8)), lstm_params)
    with raises(
        TypeError, "lstm_backward: dstate_n expected None or a pair (dh_n, dc_n), got ndarray"
    ):
        lstm_backward(None, np.zeros((1, 3, 4)), cache)


def test_backward_with_a_cache_from_elsewhere(rng, lstm_params):
    with raises(
        TypeError, "lstm_backward: cache expected the cache returned by lstm_forward, got a tuple"
    ):
        lstm_backward(None, None, (1, 2))


def test_backward_with_the_cache_of_another_cell(rng):
    _, _, cache = rnn_forward(rng.standard_normal((5, 3, 8)), init_rnn_params(8, 4, rng=rng))
    with raises(
        TypeError,
        "gru_backward: cache expected the cache returned by gru_forward, "
        "got rnn_forward's StackCache",
    ):
        gru_backward(None, None, cache)


# --- options and initialisation -----------------------------------------------------------------


def test_unknown_nonlinearity(rng):
    params = init_rnn_params(8, 4, rng=rng)
    with raises(ValueError, "rnn_forward: nonlinearity expected 'tanh' or 'relu', got 'sigmoid'"):
        rnn_forward(rng.standard_normal((5, 3, 8)), params, nonlinearity="sigmoid")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hidden_size": 0}, "init_lstm_params: hidden_size expected a positive int, got 0"),
        ({"input_size": 2.0}, "init_lstm_params: input_size expected a positive int, got 2.0"),
        ({"num_layers": True}, "init_lstm_params: num_layers expected a positive int, got True"),
    ],
)
def test_init_with_bad_sizes(rng, kwargs, message):
    with raises(ValueError, message):
        init_lstm_params(**{"input_size": 3, "hidden_size": 4, **kwargs}, rng=rng)


def test_init_without_a_generator():
    message = (
        "init_gru_params: rng expected a np.random.Generator (np.random.default_rng(seed)), got int"
    )
    with raises(TypeError, message):
        init_gru_params(3, 4, rng=0)


def test_init_with_an_integer_dtype(rng):
    with raises(TypeError, "init_rnn_params: dtype expected a floating dtype, got int32"):
        init_rnn_params(3, 4, rng=rng, dtype=np.int32)


# --- truncated BPTT -----------------------------------------------------------------------------


@pytest.mark.parametrize("window", [0, True, 2.0])
def test_truncated_bptt_with_a_bad_window(rng, lstm_params, window):
    x = rng.standard_normal((5, 3, 8))
    with raises(
        ValueError,
        f"truncated_bptt: window expected a positive int (steps per window), got {window!r}",
    ):
        truncated_bptt(
            lstm_forward, lstm_backward, x, lstm_params, np.zeros((5, 3, 4)), window=window
        )


def test_truncated_bptt_of_a_bidirectional_model(rng):
    params = init_lstm_params(8, 4, bidirectional=True, rng=rng)
    x = rng.standard_normal((5, 3, 8))
    with raises(
        ValueError,
        "truncated_bptt: params expected a unidirectional model, got keys ending in '_reverse'",
    ):
        truncated_bptt(lstm_forward, lstm_backward, x, params, np.zeros((5, 3, 8)), window=2)


@pytest.mark.parametrize(
    ("x", "exception", "message"),
    [
        ([0.0], TypeError, "truncated_bptt: x expected a NumPy array (T, B, D), got list"),
        (np.zeros((5, 8)), ShapeError, "truncated_bptt: x expected (T, B, D), got (5, 8)"),
        (
            np.zeros((0, 3, 8)),
            ShapeError,
            "truncated_bptt: x expected at least one time step, got (0, 3, 8)",
        ),
    ],
)
def test_truncated_bptt_with_bad_x(lstm_params, x, exception, message):
    with raises(exception, message):
        truncated_bptt(lstm_forward, lstm_backward, x, lstm_params, np.zeros((5, 3, 4)), window=2)


def test_truncated_bptt_with_doutput_of_another_length(rng, lstm_params):
    x = rng.standard_normal((5, 3, 8))
    with raises(
        ValueError,
        "truncated_bptt: doutput expected (T=5, B, H) or a function of (start, output_window), "
        "got (4, 3, 4)",
    ):
        truncated_bptt(lstm_forward, lstm_backward, x, lstm_params, np.zeros((4, 3, 4)), window=2)
