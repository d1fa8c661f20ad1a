"""What the timing studies measure: per-thread CPU time and the depth of autograd's graph.

Timings use per-thread CPU time (``time.thread_time_ns``) rather than wall time, so other programs
on a busy machine slow them as little as possible; the studies repeat them and keep the minimum.
The depth of the graph counts *dependent* operations: every node on the longest path must wait for
the one before it, so the depth bounds from below the time of any schedule, however many cores.

Book: chapter "RNNs and Transformers", section "Sequential operations"; chapter "Length
generalisation and the recurrent comeback", section "Work and depth, measured".
"""

import time

import torch


def cpu_seconds(fn, number: int) -> float:
    """Mean per-thread CPU seconds of ``fn()`` over ``number`` calls in a row."""
    started = time.thread_time_ns()
    for _ in range(number):
        fn()
    return (time.thread_time_ns() - started) / 1e9 / number


def graph_depth(output: torch.Tensor) -> int:
    """The longest chain of dependent autograd operations from the inputs to ``output``.

    Args:
        output: a tensor with a ``grad_fn`` (the result of a differentiable computation)

    Returns:
        int, the number of autograd nodes on the longest path (0 for a leaf).
    """
    depth: dict = {}
    stack = [(output.grad_fn, False)]
    while stack:  # iterative post-order: the longest path to a leaf from every node
        node, expanded = stack.pop()
        if node is None or node in depth:
            continue
        children = [f for f, _ in node.next_functions if f is not None]
        if expanded:
            depth[node] = 1 + max((depth[c] for c in children), default=0)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if c not in depth)
    return depth.get(output.grad_fn, 0)
