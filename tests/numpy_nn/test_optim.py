"""numpy_nn.optim against torch.optim and torch.nn.utils.clip_grad_norm_, step for step."""

import math

import numpy as np
import pytest
import torch

from course_rnn.numpy_nn.optim import SGD, Adam, clip_grad_norm

TOL64 = {"rtol": 1e-9, "atol": 1e-11}
STEPS = 6


def _run_both(rng, make_ours, make_torch):
    """Apply the same gradient sequence to our optimiser and torch's; compare after every step."""
    shapes = {"weight": (4, 3), "bias": (4,)}
    params = {k: rng.normal(size=s) for k, s in shapes.items()}
    tparams = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in params.items()}
    ours, theirs = make_ours(params), make_torch(list(tparams.values()))
    for step in range(STEPS):
        grads = {k: rng.normal(size=s) * (step + 1) for k, s in shapes.items()}
        for k, t in tparams.items():
            t.grad = torch.tensor(grads[k].copy())
        ours.step(grads)
        theirs.step()
        for k, t in tparams.items():
            np.testing.assert_allclose(params[k], t.detach(), **TOL64, err_msg=f"{k}, step {step}")


@pytest.mark.parametrize(
    "options",
    [
        {"lr": 0.1},
        {"lr": 0.1, "weight_decay": 0.01},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.02},
        {"lr": 0.05, "momentum": 0.8, "nesterov": True},
    ],
)
def test_sgd_matches_torch_sgd(rng, options):
    _run_both(
        rng, lambda p: SGD(p, **options), lambda tp: torch.optim.SGD(tp, foreach=False, **options)
    )


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6},
        {"lr": 0.02, "weight_decay": 0.1},
    ],
)
def test_adam_matches_torch_adam(rng, options):
    _run_both(
        rng, lambda p: Adam(p, **options), lambda tp: torch.optim.Adam(tp, foreach=False, **options)
    )


def test_optimisers_update_in_place_and_keep_float32(rng):
    w = rng.normal(size=3).astype(np.float32)
    params = {"w": w}
    for opt in (SGD(params, lr=0.1, momentum=0.9), Adam(params)):
        before = w.copy()
        opt.step({"w": np.ones(3, np.float32)})
        opt.step({"w": np.ones(3, np.float32)})
        assert params["w"] is w
        assert w.dtype == np.float32
        assert np.all(w < before)


@pytest.mark.parametrize(
    ("grads", "match"),
    [
        ({}, r"SGD.step: grads must be keyed like params; missing \['w'\], unknown \[\]"),
        ({"w": np.ones(2), "b": np.ones(1)}, r"missing \[\], unknown \['b'\]"),
        ({"w": np.ones(3)}, r"grads\['w'\] expected shape \(2,\) like the parameter, got \(3,\)"),
    ],
)
def test_step_rejects_grads_not_keyed_like_params(grads, match):
    """Differences from torch.optim: a missing gradient is an error, not a silent skip."""
    with pytest.raises(ValueError, match=match):
        SGD({"w": np.zeros(2)}, lr=0.1).step(grads)
    with pytest.raises(ValueError, match=match.replace("SGD", "Adam")):
        Adam({"w": np.zeros(2)}).step(grads)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: SGD(p, lr=-1.0), "SGD: lr, momentum and weight_decay must be >= 0"),
        (lambda p: SGD(p, lr=0.1, momentum=-0.5), "got lr=0.1, momentum=-0.5"),
        (lambda p: SGD(p, lr=0.1, nesterov=True), "SGD: nesterov=True needs momentum > 0"),
        (lambda p: SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening=0.1"),
        (lambda p: Adam(p, betas=(0.9, 1.0)), r"Adam: need .* betas in \[0, 1\)"),
        (lambda p: Adam(p, eps=-1e-8), "eps=-1e-08"),
    ],
)
def test_optimisers_reject_bad_hyperparameters(make, match):
    with pytest.raises(ValueError, match=match):
        make({"w": np.zeros(2)})


@pytest.mark.parametrize("max_norm", [0.5, 3.0, 100.0])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_clip_grad_norm_matches_torch(rng, max_norm, norm_type):
    grads = {"a": rng.normal(size=(3, 4)), "b": rng.normal(size=5), "c": rng.normal(size=(2, 2, 2))}
    tensors = []
    for g in grads.values():
        t = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        t.grad = torch.tensor(g.copy())
        tensors.append(t)
    ref_total = torch.nn.utils.clip_grad_norm_(tensors, max_norm, norm_type=norm_type)
    arrays = list(grads.values())
    total = clip_grad_norm(grads, max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    np.testing.assert_allclose(total, ref_total, **TOL64)
    for g, a, t in zip(grads.values(), arrays, tensors, strict=True):
        assert g is a  # scaled in place, like torch
        np.testing.assert_allclose(g, t.grad, **TOL64)


def test_clip_grad_norm_leaves_small_gradients_and_scales_large_ones():
    small = {"g": np.array([0.3, 0.4])}  # norm 0.5
    assert clip_grad_norm(small, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(small["g"], [0.3, 0.4])
    big = {"g": np.array([3.0, 4.0]), "h": np.zeros(2)}  # norm 5
    assert clip_grad_norm(big, 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(
        big["g"], np.array([3.0, 4.0]) / (5.0 + 1e-6), **TOL64
    )  # torch's eps


def test_clip_grad_norm_edge_cases():
    assert clip_grad_norm({}, 1.0) == 0.0
    g = {"g": np.ones(2, np.float32)}
    clip_grad_norm(g, 0.1)
    assert g["g"].dtype == np.float32
    with pytest.raises(ValueError, match="clip_grad_norm: max_norm must be >= 0, got -1"):
        clip_grad_norm(g, -1)
