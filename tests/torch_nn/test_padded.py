"""course_rnn.torch_nn.padded: masked recurrences equal pack_padded_sequence; masked means."""

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from course_rnn.shapes import ShapeError
from course_rnn.torch_nn.padded import (
    direction,
    masked_bidirectional,
    masked_mean,
    masked_recurrence,
)

T, B, D, H = 7, 4, 3, 5
LENGTHS = torch.tensor([7, 2, 5, 1])  # unsorted, with a length-1 and a full-length sequence
CLASSES = [nn.RNN, nn.GRU, nn.LSTM]


def _x(seed=0):
    return torch.randn(T, B, D, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))


def _module(cls, num_layers=1, bidirectional=True, seed=0):
    torch.manual_seed(seed)
    return cls(D, H, num_layers, bidirectional=bidirectional).double()


def _packed(module, x, lengths):
    out, h_n = module(pack_padded_sequence(x, lengths, enforce_sorted=False))
    out, _ = pad_packed_sequence(out, total_length=x.shape[0])
    return out, h_n


def _states(h_n):
    return h_n if isinstance(h_n, tuple) else (h_n,)


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("cls", CLASSES)
def test_masked_bidirectional_equals_pack_padded_sequence(cls, num_layers):
    module, x = _module(cls, num_layers), _x()
    out, h_n = masked_bidirectional(module, x, LENGTHS)
    ref_out, ref_h_n = _packed(module, x, LENGTHS)
    assert out.shape == (T, B, 2 * H)
    torch.testing.assert_close(out, ref_out, rtol=0, atol=1e-12)
    for mine, ref in zip(_states(h_n), _states(ref_h_n), strict=True):
        assert mine.shape == (2 * num_layers, B, H)
        torch.testing.assert_close(mine, ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls", CLASSES)
def test_reversing_the_padding_too_breaks_the_equality(cls):
    # the classic bug: flip(0) reverses the padding with the sequence; the check must see it
    module, x = _module(cls), _x()
    ref_out, _ = _packed(module, x, LENGTHS)
    back = direction(module, 0, True)
    wrong, _ = back(x.flip(0))
    wrong = wrong.flip(0)  # (T, B, H)
    real = torch.arange(T)[:, None] < LENGTHS  # (T, B)
    gap = (wrong - ref_out[:, :, H:]).abs()[real].max()
    assert gap > 1e-3
    # the full-length column has no padding: there the bug changes nothing
    torch.testing.assert_close(wrong[:, 0], ref_out[:, 0, H:], rtol=0, atol=1e-12)


@pytest.mark.parametrize("cls", CLASSES)
def test_masked_recurrence_equals_each_sequence_alone(cls):
    cell, x = _module(cls, bidirectional=False), _x(1)
    out, state = masked_recurrence(cell, x, LENGTHS)
    for b, n in enumerate(LENGTHS.tolist()):
        alone, alone_state = cell(x[:n, b : b + 1])
        torch.testing.assert_close(out[:n, b : b + 1], alone, rtol=0, atol=1e-12)
        assert torch.all(out[n:, b] == 0)
        for mine, ref in zip(_states(state), _states(alone_state), strict=True):
            torch.testing.assert_close(mine[:, b : b + 1], ref, rtol=0, atol=1e-12)


def test_direction_copies_one_layer_and_direction():
    module = _module(nn.GRU, num_layers=2)
    one = direction(module, 1, True)
    assert (one.input_size, one.num_layers, one.bidirectional) == (2 * H, 1, False)
    torch.testing.assert_close(one.weight_hh_l0, module.weight_hh_l1_reverse)
    assert one.weight_hh_l0.dtype == torch.float64


def test_masked_mean_counts_only_real_steps():
    values = torch.tensor([[1.0, 2.0], [3.0, float("nan")], [5.0, float("inf")]])  # (T=3, B=2)
    mask = torch.tensor([[True, True], [True, False], [True, False]])
    assert masked_mean(values, mask).item() == pytest.approx((1 + 3 + 5 + 2) / 4)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: masked_mean(torch.ones(3, 2), torch.ones(3, 2)), ShapeError, "bool mask"),
        (
            lambda: masked_mean(torch.ones(3, 2), torch.zeros(3, 2, dtype=torch.bool)),
            ValueError,
            "no True entry",
        ),
        (
            lambda: masked_recurrence(_module(nn.GRU), _x(), LENGTHS),
            TypeError,
            "one-layer, one-direction",
        ),
        (
            lambda: masked_recurrence(_module(nn.GRU, bidirectional=False), _x(), LENGTHS[:2]),
            ShapeError,
            r"lengths expected a \(B=4,\) integer tensor",
        ),
        (
            lambda: masked_bidirectional(_module(nn.GRU), _x(), torch.tensor([8, 1, 1, 1])),
            ValueError,
            r"lengths must lie in \[1, T=7\]",
        ),
        (
            lambda: masked_bidirectional(_module(nn.GRU, bidirectional=False), _x(), LENGTHS),
            TypeError,
            "bidirectional",
        ),
        (lambda: direction(_module(nn.GRU, bidirectional=False), 0, True), ValueError, "no layer"),
        (lambda: direction(nn.Linear(2, 2), 0, False), TypeError, "torch.nn.RNN, GRU or LSTM"),
    ],
)
def test_errors_name_the_problem(call, error, match):
    with pytest.raises(error, match=match):
        call()
