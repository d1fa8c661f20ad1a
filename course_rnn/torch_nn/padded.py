"""Padded batches without PackedSequence: masked recurrences, masked means, one direction at a time.

A padded batch holds B sequences of lengths ``lengths[b]``, each padded after its end to T steps
(time-major, ``(T, B, D)``). ``torch.nn.utils.rnn.pack_padded_sequence`` is torch's way to run a
``torch.nn.RNN/GRU/LSTM`` over it; this module does the same with nothing but a mask, so that the
chapter can show that the two agree and what each step of the masked version is for:

- :func:`masked_recurrence` runs a one-direction, one-layer module step by step and *freezes the
  state* at padded steps (``h_t = h_{t-1}`` where the mask is False), so the state after the last
  step is the state at each sequence's last real step; outputs are 0 at padded steps.
- :func:`masked_bidirectional` runs every layer and direction of a bidirectional module that way,
  the backward direction on the batch reversed *within* each length
  (``course_rnn.torch_nn.models.encoder.reverse_padded``), and returns torch's
  ``(out, h_n)`` layout: ``h_n[2l]`` layer l's forward state at step ``lengths - 1``,
  ``h_n[2l + 1]`` its backward state after reading back to step 0.
- :func:`masked_mean` is the mean over the real steps only (a masked loss).

Book: "Bidirectional RNNs", section "Batches of unequal length".
"""

import torch
from torch import Tensor, nn

from course_rnn.shapes import ShapeError
from course_rnn.torch_nn.models.encoder import real_steps, reverse_padded

MODULES = (nn.RNN, nn.GRU, nn.LSTM)


def _check_lengths(lengths, T: int, B: int, where: str) -> Tensor:
    if not isinstance(lengths, Tensor) or lengths.shape != (B,) or lengths.is_floating_point():
        got = f"{lengths.dtype} {tuple(lengths.shape)}" if isinstance(lengths, Tensor) else lengths
        raise ShapeError(f"{where}: lengths expected a (B={B},) integer tensor, got {got}")
    if B and (lengths.min() < 1 or lengths.max() > T):
        raise ValueError(f"{where}: lengths must lie in [1, T={T}], got {lengths.tolist()}")
    return lengths.to(torch.int64)


def masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """The mean of ``values`` over the positions where ``mask`` is True.

    Args:
        values: (T, B) float, e.g. the loss at every step
        mask:   (T, B) bool, True on real steps

    Returns:
        () float: sum(values[mask]) / mask.sum(); the padded values never count, whatever they are
    """
    if values.shape != mask.shape or mask.dtype != torch.bool:
        raise ShapeError(
            f"masked_mean: expected values and a bool mask of one shape, got values "
            f"{tuple(values.shape)} and mask {mask.dtype} {tuple(mask.shape)}"
        )
    if not mask.any():
        raise ValueError("masked_mean: mask has no True entry; the mean of nothing is undefined")
    return torch.where(mask, values, 0).sum() / mask.sum()  # where(), not *: a NaN pad stays out


def masked_recurrence(cell: nn.Module, x: Tensor, lengths: Tensor, state=None):
    """Run a one-layer, one-direction torch.nn.RNN/GRU/LSTM over a padded batch, masking the state.

    Args:
        cell:    torch.nn.RNN, GRU or LSTM with num_layers=1, bidirectional=False
        x:       (T, B, D) float, sequence b real for t < lengths[b]
        lengths: (B,) int64 in [1, T]
        state:   the initial state as the module takes it ((1, B, H), or a pair for the LSTM), or
                 None for zeros

    Returns:
        out:   (T, B, H), 0 at padded steps
        state: the state at each sequence's last real step, shaped like ``state`` (a pair for the
               LSTM), since padded steps leave it unchanged
    """
    where = "masked_recurrence"
    if not isinstance(cell, MODULES) or cell.num_layers != 1 or cell.bidirectional:
        raise TypeError(
            f"{where}: cell expected a one-layer, one-direction torch.nn.RNN, GRU or LSTM, got "
            f"{cell!r}"
        )
    T, B = x.shape[:2]
    real = real_steps(_check_lengths(lengths, T, B, where), T)[:, None, :, None]  # (T, 1, B, 1)
    outs = []
    for t in range(T):
        out, new = cell(x[t : t + 1], state)  # (1, B, H), the state after step t
        if state is not None:  # keep the old state where step t is padding
            keep = real[t]  # (1, B, 1)
            if isinstance(new, tuple):  # the LSTM's (h, c)
                new = tuple(torch.where(keep, n, o) for n, o in zip(new, state, strict=True))
            else:
                new = torch.where(keep, new, state)
        state = new
        outs.append(out * real[t])  # (1, B, H), 0 at padding
    return torch.cat(outs), state


def direction(module: nn.Module, layer: int, reverse: bool) -> nn.Module:
    """One layer and direction of a torch.nn.RNN/GRU/LSTM as a one-layer, one-direction module.

    The new module holds copies of the weights ``weight_ih_l{layer}[_reverse]`` etc., renamed
    ``weight_ih_l0`` etc.

    Args:
        module:  torch.nn.RNN, GRU or LSTM (any num_layers, bidirectional or not)
        layer:   which layer, 0 <= layer < num_layers
        reverse: the right-to-left direction (needs bidirectional=True)

    Returns:
        a module of the same class, num_layers=1, bidirectional=False, the same dtype
    """
    if not isinstance(module, MODULES):
        raise TypeError(f"direction: module expected torch.nn.RNN, GRU or LSTM, got {module!r}")
    if not 0 <= layer < module.num_layers or (reverse and not module.bidirectional):
        raise ValueError(
            f"direction: no layer {layer}{' reverse' if reverse else ''} in {module!r}"
        )
    dirs = 2 if module.bidirectional else 1
    D = module.input_size if layer == 0 else dirs * module.hidden_size
    extra = {"nonlinearity": module.nonlinearity} if isinstance(module, nn.RNN) else {}
    one = type(module)(D, module.hidden_size, 1, bias=module.bias, **extra)
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    state = module.state_dict()
    one.load_state_dict({k: state[k.replace("_l0", suffix)] for k in one.state_dict()})
    return one.to(next(module.parameters()).dtype)


def masked_bidirectional(module: nn.Module, x: Tensor, lengths: Tensor):
    """A bidirectional torch.nn.RNN/GRU/LSTM over a padded batch, with masks instead of packing.

    Equal to ``module(pack_padded_sequence(x, lengths, enforce_sorted=False))`` unpacked by
    ``pad_packed_sequence(..., total_length=T)`` (the chapter asserts it to 1e-12 in float64).

    Args:
        module:  torch.nn.RNN, GRU or LSTM with bidirectional=True, any num_layers, zero
                 initial states
        x:       (T, B, D) float, sequence b real for t < lengths[b]
        lengths: (B,) int64 in [1, T]

    Returns:
        out: (T, B, 2H), 0 at padded steps
        h_n: (2·num_layers, B, H), torch's layout: h_n[2l] layer l's forward state at step
             lengths - 1, h_n[2l + 1] its backward state at step 0; a pair (h_n, c_n) for the LSTM
    """
    if not isinstance(module, MODULES) or not module.bidirectional:
        raise TypeError(
            f"masked_bidirectional: module expected a bidirectional torch.nn.RNN, GRU or LSTM, "
            f"got {module!r}"
        )
    T, B = x.shape[:2]
    lengths = _check_lengths(lengths, T, B, "masked_bidirectional")
    finals = []
    for layer in range(module.num_layers):
        fwd, fwd_state = masked_recurrence(direction(module, layer, False), x, lengths)
        rev, bwd_state = masked_recurrence(
            direction(module, layer, True), reverse_padded(x, lengths), lengths
        )  # (T, B, H) in reversed time: the backward direction starts at the last real step
        x = torch.cat([fwd, reverse_padded(rev, lengths)], dim=-1)  # (T, B, 2H)
        finals += [fwd_state, bwd_state]
    if isinstance(module, nn.LSTM):
        return x, (torch.cat([h for h, _ in finals]), torch.cat([c for _, c in finals]))
    return x, torch.cat(finals)  # (2·num_layers, B, H)
