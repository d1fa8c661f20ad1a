"""minGRU and the linear recurrence it runs on, computed by a Python loop or by a parallel scan.

A linear recurrence h_t = a_t ⊙ h_{t-1} + b_t (entrywise, a_t and b_t given for every t in
advance) composes associatively: the step (a, b) followed by (a', b') is the single step
(a' ⊙ a, a' ⊙ b + b'). So every prefix can be computed by a scan in O(log T) dependent rounds
instead of T. :func:`linear_recurrence_scan` is the Hillis–Steele scan (Hillis & Steele 1986;
Blelloch 1990 for scans in general): round k combines each step with the one 2^k earlier, ⌈log2 T⌉
rounds of whole-tensor operations, O(T log T) work in all; :func:`linear_recurrence_loop` is the
plain loop, T rounds, O(T) work. Autograd differentiates both.

minGRU (Feng et al. 2024, "Were RNNs all we needed?", section 3.1) is a GRU whose gate and
candidate see only the input: z_t = σ(x_t W_z^T + b_z), h̃_t = x_t W_h^T + b_h,
h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t, i.e. a linear recurrence with a_t = 1 - z_t and
b_t = z_t ⊙ h̃_t. (The paper writes Linear_dh(x_t) for both; it also gives a log-space version
with a positive candidate g(h̃_t) for long sequences, which this module does not use: the
Hillis–Steele scan multiplies only numbers in (0, 1) and needs no logarithms.)

Time-major at every boundary: x (T, B, D), outputs (T, B, H).
Book: chapter "Length generalisation and the recurrent comeback", section "The recurrent
comeback".
"""

import torch
from torch import Tensor, nn

from course_rnn.shapes import ShapeError

MODES = ("scan", "loop")


def _check(a: Tensor, b: Tensor, h0: Tensor | None, where: str) -> None:
    if a.dim() != 3 or a.shape != b.shape:
        raise ShapeError(
            f"{where}: a and b must both have shape (T, B, H), got {tuple(a.shape)} and "
            f"{tuple(b.shape)}"
        )
    if h0 is not None and h0.shape != a.shape[1:]:
        raise ShapeError(
            f"{where}: h0 must have shape (B, H) = {tuple(a.shape[1:])}, got {tuple(h0.shape)}"
        )


def combine(first: tuple[Tensor, Tensor], second: tuple[Tensor, Tensor]):
    """The step ``first`` followed by the step ``second``, as one step (a, b).

    h ↦ a2 ⊙ (a1 ⊙ h + b1) + b2 = (a2 ⊙ a1) ⊙ h + (a2 ⊙ b1 + b2).

    Args:
        first:  (a1, b1), tensors of one shape
        second: (a2, b2), the same shape

    Returns:
        (a2 * a1, a2 * b1 + b2)
    """
    (a1, b1), (a2, b2) = first, second
    return a2 * a1, a2 * b1 + b2


def linear_recurrence_loop(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """h_t = a_t ⊙ h_{t-1} + b_t for t = 1 … T, one Python step at a time.

    Args:
        a:  (T, B, H) float  the multipliers (a[0] is a_1)
        b:  (T, B, H) float  the additions
        h0: (B, H) float initial state, or None for zeros

    Returns:
        (T, B, H): row t - 1 is h_t.
    """
    _check(a, b, h0, "linear_recurrence_loop")
    h = torch.zeros_like(b[0]) if h0 is None else h0  # (B, H)
    states = []
    for a_t, b_t in zip(a.unbind(0), b.unbind(0), strict=True):  # unbind: one backward node
        h = a_t * h + b_t  # (B, H)
        states.append(h)
    return torch.stack(states)  # (T, B, H)


def linear_recurrence_scan(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """The same states as :func:`linear_recurrence_loop`, by a Hillis–Steele scan.

    h0 is folded into the first step (b_1 ← a_1 ⊙ h0 + b_1). Then, for d = 1, 2, 4, …, < T,
    each step t >= d is combined with the running result of step t - d: after the round with
    offset d, (a[t], b[t]) covers steps max(0, t - 2d + 1) … t, so after ⌈log2 T⌉ rounds b[t]
    is h_{t+1}. No tensor is written in place, so autograd differentiates it.

    Args, Returns: as :func:`linear_recurrence_loop`.
    """
    _check(a, b, h0, "linear_recurrence_scan")
    T = a.shape[0]
    if h0 is not None:
        b = torch.cat([(a[0] * h0 + b[0])[None], b[1:]])  # (T, B, H)
    d = 1
    while d < T:
        new_a, new_b = combine((a[:-d], b[:-d]), (a[d:], b[d:]))  # (T - d, B, H) each
        a = torch.cat([a[:d], new_a])  # (T, B, H)
        b = torch.cat([b[:d], new_b])  # (T, B, H)
        d *= 2
    return b  # (T, B, H)


class MinGRU(nn.Module):
    """One minGRU layer (Feng et al. 2024): (T, B, D) -> (T, B, H).

    Args:
        input_size:  D
        hidden_size: H

    Parameters: ``linear_z`` (W_z (H, D), b_z (H,)) and ``linear_h`` (W_h (H, D), b_h (H,)),
    torch.nn.Linear's default initialisation. 2H(D + 1) parameters, against 3H(D + H + 2) for
    ``nn.GRU``: no hidden-to-hidden weights at all.

    Differences from torch.nn.GRU: the gate and the candidate do not see h_{t-1}, there is no
    reset gate and no tanh, and z_t lets the candidate in (torch's z keeps the old state);
    ``forward`` takes ``mode`` ("scan" or "loop", the same numbers).

    Book: chapter "Length generalisation and the recurrent comeback", section "The recurrent
    comeback".
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.linear_z = nn.Linear(input_size, hidden_size)
        self.linear_h = nn.Linear(input_size, hidden_size)
        self.input_size, self.hidden_size = input_size, hidden_size

    def coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """a_t = 1 - z_t and b_t = z_t ⊙ h̃_t for every step at once.

        Args:
            x: (T, B, D) float

        Returns:
            a, b: (T, B, H) each
        """
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ShapeError(
                f"MinGRU: x must have shape (T, B, D) with D = {self.input_size}, "
                f"got {tuple(x.shape)}"
            )
        z = torch.sigmoid(self.linear_z(x))  # (T, B, H)
        h_tilde = self.linear_h(x)  # (T, B, H)
        return 1 - z, z * h_tilde

    def forward(self, x: Tensor, h0: Tensor | None = None, *, mode: str = "scan"):
        """Run the layer over a sequence.

        Args:
            x:    (T, B, D) float
            h0:   (B, H) initial state, or None for zeros
            mode: "scan" (O(log T) rounds) or "loop" (T rounds)

        Returns:
            output: (T, B, H), output[t - 1] = h_t
            h_n:    (B, H), the last state
        """
        if mode not in MODES:
            raise ValueError(f'MinGRU: mode must be "scan" or "loop", got {mode!r}')
        a, b = self.coefficients(x)  # (T, B, H) each
        run = linear_recurrence_scan if mode == "scan" else linear_recurrence_loop
        output = run(a, b, h0)  # (T, B, H)
        return output, output[-1]
