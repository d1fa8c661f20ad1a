"""numpy_nn.layers against nn.Linear, nn.Embedding and nn.LayerNorm; gradient checks; errors.

The temporal affine (output) layer and the embedding are the language model's two ends in the
book's notation (W_hy, b_y, o; E, tokens)."""

import numpy as np
import pytest
import torch

from course_rnn.gradcheck import check_gradients
from course_rnn.numpy_nn.layers import (
    embedding_backward,
    embedding_forward,
    layer_norm_backward,
    layer_norm_forward,
    linear_backward,
    linear_forward,
    temporal_affine_backward,
    temporal_affine_forward,
)
from course_rnn.shapes import ShapeError

TOL64 = {"rtol": 1e-9, "atol": 1e-11}


def _state(module):
    """A torch module's state_dict as float64 NumPy arrays."""
    return {k: v.detach().numpy().copy() for k, v in module.state_dict().items()}


# ---- linear --------------------------------------------------------------------------------


@pytest.mark.parametrize("x_shape", [(5, 3), (4, 2, 3), (1, 1, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch_linear(rng, x_shape, bias):
    layer = torch.nn.Linear(3, 6, bias=bias, dtype=torch.float64)
    p = _state(layer)
    x = rng.normal(size=x_shape)
    dout = rng.normal(size=(*x_shape[:-1], 6))
    out, cache = linear_forward(x, p["weight"], p.get("bias"))
    xt = torch.tensor(x, requires_grad=True)
    ref = layer(xt)
    ref.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, ref.detach(), **TOL64)
    dx, dweight, dbias = linear_backward(dout, cache)
    np.testing.assert_allclose(dx, xt.grad, **TOL64)
    np.testing.assert_allclose(dweight, layer.weight.grad, **TOL64)
    if bias:
        np.testing.assert_allclose(dbias, layer.bias.grad, **TOL64)
    else:
        assert dbias is None


def test_linear_backward_numerical_gradient(rng):
    inputs = {
        "x": rng.normal(size=(3, 2, 4)),
        "w": rng.normal(size=(5, 4)),
        "b": rng.normal(size=5),
    }
    dout = rng.normal(size=(3, 2, 5))
    _, cache = linear_forward(inputs["x"], inputs["w"], inputs["b"])
    dx, dw, db = linear_backward(dout, cache)
    check_gradients(
        lambda p: linear_forward(p["x"], p["w"], p["b"])[0],
        inputs,
        {"x": dx, "w": dw, "b": db},
        dout,
    )


def test_linear_keeps_float32(rng):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    w, b = np.ones((5, 4), np.float32), np.zeros(5, np.float32)
    out, cache = linear_forward(x, w, b)
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in linear_backward(out, cache))


@pytest.mark.parametrize(
    ("x", "w", "b", "error", "match"),
    [
        (np.zeros((2, 3, 4, 5)), np.zeros((6, 5)), None, ShapeError, r"x expected \(N, D=5\) or"),
        (np.zeros((2, 3, 4)), np.zeros((6, 5)), None, ShapeError, r"x expected \(T, B, D=5\)"),
        (np.zeros((2, 4)), np.zeros((6, 5)), None, ShapeError, r"x expected \(N, D=5\), got"),
        (np.zeros((2, 5)), np.zeros(5), None, ShapeError, r"weight expected \(H, D\)"),
        (np.zeros((2, 5)), np.zeros((6, 5)), np.zeros(5), ShapeError, r"bias expected \(H=6\)"),
        (np.zeros((2, 5), int), np.zeros((6, 5)), None, TypeError, "x must be a float NumPy"),
    ],
)
def test_linear_rejects_bad_input(x, w, b, error, match):
    with pytest.raises(error, match=rf"linear_forward: {match}"):
        linear_forward(x, w, b)


# ---- temporal affine (the output layer) ----------------------------------------------------


@pytest.mark.parametrize(("T", "B", "H", "V"), [(4, 3, 5, 7), (1, 1, 2, 3)])
def test_temporal_affine_matches_torch_linear(rng, T, B, H, V):
    head = torch.nn.Linear(H, V, dtype=torch.float64)
    W_hy, b_y = head.weight.detach().numpy(), head.bias.detach().numpy()
    h, do = rng.normal(size=(T, B, H)), rng.normal(size=(T, B, V))
    o, cache = temporal_affine_forward(h, W_hy, b_y)
    dh, dW_hy, db_y = temporal_affine_backward(do, cache)
    ht = torch.tensor(h, requires_grad=True)
    ref = head(ht)
    ref.backward(torch.from_numpy(do))
    np.testing.assert_allclose(o, ref.detach().numpy(), **TOL64)
    np.testing.assert_allclose(dh, ht.grad.numpy(), **TOL64)
    np.testing.assert_allclose(dW_hy, head.weight.grad.numpy(), **TOL64)
    np.testing.assert_allclose(db_y, head.bias.grad.numpy(), **TOL64)


def test_temporal_affine_numerical_gradient(rng):
    inputs = {"h": rng.normal(size=(3, 2, 4)), "W_hy": rng.normal(size=(5, 4))}
    inputs["b_y"] = rng.normal(size=5)
    do = rng.normal(size=(3, 2, 5))
    _, cache = temporal_affine_forward(**inputs)
    grads = dict(zip(inputs, temporal_affine_backward(do, cache), strict=True))
    check_gradients(lambda p: temporal_affine_forward(**p)[0], inputs, grads, do)


def test_temporal_affine_fixed_values():
    """Hand-checkable: h = [[1, 2]], W_hy = [[1, 0], [0, 1], [1, 1]], b_y = [0, 1, 2]."""
    h = np.array([[[1.0, 2.0]]])  # (T=1, B=1, H=2)
    W_hy = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # (V=3, H=2)
    o, cache = temporal_affine_forward(h, W_hy, np.array([0.0, 1.0, 2.0]))
    np.testing.assert_array_equal(o, [[[1.0, 3.0, 5.0]]])
    dh, dW_hy, db_y = temporal_affine_backward(np.array([[[1.0, 0.0, -1.0]]]), cache)
    np.testing.assert_array_equal(dh, [[[0.0, -1.0]]])  # row 0 of W_hy minus row 2
    np.testing.assert_array_equal(dW_hy, [[1.0, 2.0], [0.0, 0.0], [-1.0, -2.0]])
    np.testing.assert_array_equal(db_y, [1.0, 0.0, -1.0])


@pytest.mark.parametrize(
    ("h", "W_hy", "b_y", "error", "match"),
    [
        (np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(4), ShapeError, r"h expected \(T, B, H=3\)"),
        (
            np.zeros((2, 1, 3)),
            np.zeros((4, 2)),
            np.zeros(4),
            ShapeError,
            r"h expected \(T, B, H=2\)",
        ),
        (
            np.zeros((2, 1, 3)),
            np.zeros((4, 3)),
            np.zeros(3),
            ShapeError,
            r"b_y expected \(V=4\), got \(3,\)",
        ),
        (np.zeros((2, 1, 3), int), np.zeros((4, 3)), np.zeros(4), TypeError, "h must be a float"),
        (np.zeros((2, 1, 3)), np.zeros(4), np.zeros(4), ShapeError, r"W_hy expected \(V, H\)"),
    ],
)
def test_temporal_affine_rejects_bad_input(h, W_hy, b_y, error, match):
    with pytest.raises(error, match=rf"temporal_affine_forward: {match}"):
        temporal_affine_forward(h, W_hy, b_y)


def test_temporal_affine_backward_rejects_a_wrong_do(rng):
    _, cache = temporal_affine_forward(np.zeros((2, 1, 3)), np.zeros((4, 3)), np.zeros(4))
    with pytest.raises(
        ShapeError, match=r"temporal_affine_backward: do expected \(T=2, B=1, V=4\)"
    ):
        temporal_affine_backward(np.zeros((2, 1, 3)), cache)


# ---- embedding -----------------------------------------------------------------------------


def test_embedding_matches_torch_embedding_with_repeated_tokens(rng):
    T, B, V, D = 5, 3, 4, 6  # 15 tokens from a vocabulary of 4: repeats are certain
    emb = torch.nn.Embedding(V, D, dtype=torch.float64)
    tokens = rng.integers(0, V, size=(T, B))
    dx = rng.normal(size=(T, B, D))
    x, cache = embedding_forward(tokens, _state(emb)["weight"])
    ref = emb(torch.tensor(tokens))
    ref.backward(torch.tensor(dx))
    np.testing.assert_allclose(x, ref.detach(), **TOL64)
    np.testing.assert_allclose(embedding_backward(dx, cache), emb.weight.grad, **TOL64)
    # the same, called with the tokens and V (the cache is exactly that pair)
    np.testing.assert_allclose(embedding_backward(dx, tokens, V), emb.weight.grad, **TOL64)


def test_embedding_backward_scatter_adds_repeated_tokens():
    tokens = np.array([[2, 2], [2, 0]])  # token 2 three times, token 1 never
    dx = np.arange(12.0).reshape(2, 2, 3)  # (T, B, D)
    dE = embedding_backward(dx, tokens, 3)
    np.testing.assert_array_equal(dE[2], dx[0, 0] + dx[0, 1] + dx[1, 0])  # all three, summed
    np.testing.assert_array_equal(dE[0], dx[1, 1])
    np.testing.assert_array_equal(dE[1], 0.0)


def test_embedding_backward_numerical_gradient(rng):
    tokens = np.array([[0, 2], [2, 2], [1, 0]])  # token 2 three times, token 3 never
    E, dx = rng.normal(size=(4, 3)), rng.normal(size=(3, 2, 3))
    _, cache = embedding_forward(tokens, E)
    dE = embedding_backward(dx, cache)
    check_gradients(lambda p: embedding_forward(tokens, p["E"])[0], {"E": E}, {"E": dE}, dx)
    np.testing.assert_array_equal(dE[3], 0.0)


def test_embedding_keeps_float32():
    x, cache = embedding_forward(np.array([[1, 0]]), np.ones((2, 3), np.float32))
    assert x.dtype == np.float32
    assert embedding_backward(x, cache).dtype == np.float32


@pytest.mark.parametrize(
    ("tokens", "E", "error", "match"),
    [
        (
            np.array([[0, 4]]),
            np.zeros((4, 2)),
            ValueError,
            r"tokens must lie in \[0, V=4\), got values 0 \.\. 4",
        ),
        (
            np.array([[-1, 2]]),
            np.zeros((4, 2)),
            ValueError,
            r"tokens must lie in \[0, V=4\), got values -1",
        ),
        (
            np.array([[0.0, 1.0]]),
            np.zeros((4, 2)),
            TypeError,
            "tokens must be integer token ids, got dtype float64",
        ),
        (
            np.array([[True]]),
            np.zeros((4, 2)),
            TypeError,
            "tokens must be integer token ids, got dtype bool",
        ),
        (np.array([0]), np.zeros(4), ShapeError, r"E expected \(V, D\), got \(4,\)"),
        (np.array([0]), np.zeros((4, 2), int), TypeError, "E must be a float NumPy array"),
    ],
)
def test_embedding_rejects_bad_input(tokens, E, error, match):
    with pytest.raises(error, match=rf"embedding_forward: {match}"):
        embedding_forward(tokens, E)


def test_embedding_backward_rejects_bad_input():
    tokens = np.array([[0, 1]])
    with pytest.raises(ShapeError, match=r"embedding_backward: dx expected tokens' shape \(1, 2\)"):
        embedding_backward(np.zeros((2, 1, 3)), tokens, 4)
    with pytest.raises(TypeError, match="embedding_backward: expected \\(dx, cache\\) or"):
        embedding_backward(np.zeros((1, 2, 3)), tokens)
    with pytest.raises(TypeError, match="embedding_backward: dx must be a float"):
        embedding_backward(np.zeros((1, 2, 3), int), tokens, 4)


# ---- layer norm ----------------------------------------------------------------------------


@pytest.mark.parametrize("x_shape", [(4, 3, 5), (2, 5), (1, 1, 5)])
def test_layer_norm_matches_torch_layer_norm(rng, x_shape):
    ln = torch.nn.LayerNorm(5, eps=1e-5, dtype=torch.float64)
    with torch.no_grad():  # non-trivial gain and shift
        ln.weight.copy_(torch.tensor(rng.normal(size=5)))
        ln.bias.copy_(torch.tensor(rng.normal(size=5)))
    p = _state(ln)
    x = rng.normal(size=x_shape) * 3 + 1
    dout = rng.normal(size=x_shape)
    out, cache = layer_norm_forward(x, p["weight"], p["bias"])
    xt = torch.tensor(x, requires_grad=True)
    ref = ln(xt)
    ref.backward(torch.tensor(dout))
    np.testing.assert_allclose(out, ref.detach(), **TOL64)
    dx, dweight, dbias = layer_norm_backward(dout, cache)
    np.testing.assert_allclose(dx, xt.grad, **TOL64)
    np.testing.assert_allclose(dweight, ln.weight.grad, **TOL64)
    np.testing.assert_allclose(dbias, ln.bias.grad, **TOL64)


def test_layer_norm_uses_biased_variance_with_eps_inside_sqrt():
    """Large eps makes the convention visible: (x - mean) / sqrt(var_biased + eps)."""
    x = np.array([[1.0, 2.0, 3.0, 6.0]])
    out, _ = layer_norm_forward(x, np.ones(4), np.zeros(4), eps=0.5)
    expected = (x - 3.0) / np.sqrt(3.5 + 0.5)  # biased var = mean((x-3)^2) = 14/4 = 3.5
    np.testing.assert_allclose(out, expected, **TOL64)
    ref = torch.nn.functional.layer_norm(torch.tensor(x), (4,), eps=0.5)
    np.testing.assert_allclose(out, ref, **TOL64)


def test_layer_norm_backward_numerical_gradient(rng):
    inputs = {"x": rng.normal(size=(3, 2, 4)), "w": rng.normal(size=4), "b": rng.normal(size=4)}
    dout = rng.normal(size=(3, 2, 4))
    _, cache = layer_norm_forward(inputs["x"], inputs["w"], inputs["b"])
    dx, dw, db = layer_norm_backward(dout, cache)
    check_gradients(
        lambda p: layer_norm_forward(p["x"], p["w"], p["b"])[0],
        inputs,
        {"x": dx, "w": dw, "b": db},
        dout,
    )


def test_layer_norm_keeps_float32(rng):
    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    out, cache = layer_norm_forward(x, np.ones(4, np.float32), np.zeros(4, np.float32))
    assert out.dtype == np.float32
    assert all(g.dtype == np.float32 for g in layer_norm_backward(out, cache))


@pytest.mark.parametrize(
    ("x", "w", "b", "error", "match"),
    [
        (
            np.zeros((2, 4)),
            np.ones(3),
            np.zeros(4),
            ShapeError,
            r"weight expected \(E=4\), got \(3,\)",
        ),
        (np.zeros((2, 4)), np.ones(4), np.zeros((1, 4)), ShapeError, r"bias expected \(E=4\)"),
        (np.zeros((2, 4), int), np.ones(4), np.zeros(4), TypeError, "x must be a float NumPy"),
        (np.float64(1.0), np.ones(1), np.zeros(1), TypeError, "x must be a float NumPy"),
        (np.array(1.0), np.ones(1), np.zeros(1), ShapeError, r"x expected \(\.\.\., E\)"),
    ],
)
def test_layer_norm_rejects_bad_input(x, w, b, error, match):
    with pytest.raises(error, match=rf"layer_norm_forward: {match}"):
        layer_norm_forward(x, w, b)
