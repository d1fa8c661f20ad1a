"""course_rnn.studies.scan: the work and depth counts, and the timing rows."""

import math

import pytest
import torch

from course_rnn.studies.scan import METHODS, graph_depth, scan_rounds, scan_work, time_layers
from course_rnn.torch_nn import MinGRU


@pytest.mark.parametrize("T", [1, 2, 3, 8, 100, 4096])
def test_rounds_and_work_by_brute_force(T):
    rounds, work, d = 0, 0, 1
    while d < T:
        rounds += 1
        work += T - d
        d *= 2
    assert scan_rounds(T) == rounds
    assert scan_work(T) == work
    if T > 1:
        assert rounds == math.ceil(math.log2(T))
        assert work <= T * rounds


def test_time_layers_rows():
    rows = time_layers((4, 8), batch_size=2, input_size=3, hidden_size=5, repeats=2)
    assert [(r["T"], r["method"]) for r in rows] == [(T, m) for T in (4, 8) for m in METHODS]
    assert all(0 < r["min_seconds"] <= r["median_seconds"] for r in rows)


def test_graph_depth_counts_the_longest_chain():
    x = torch.ones(3, requires_grad=True)
    y = torch.ones(3, requires_grad=True)
    # sum <- add <- mul <- x (AccumulateGrad); the branch through y is shorter
    assert graph_depth(((x * 2) + y).sum()) == 4
    assert graph_depth(x) == 0


def test_graph_depth_of_the_scan_grows_with_log_t_and_the_loop_with_t():
    torch.manual_seed(0)
    layer = MinGRU(2, 2)
    depth = {
        (mode, n): graph_depth(
            layer(torch.randn(n, 1, 2, requires_grad=True), mode=mode)[0][-1].sum()
        )
        for mode in ("loop", "scan")
        for n in (16, 32, 64)
    }
    assert depth["scan", 64] - depth["scan", 32] == depth["scan", 32] - depth["scan", 16] == 4
    assert depth["loop", 64] - depth["loop", 32] == 2 * 32
