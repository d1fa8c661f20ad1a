"""experiments/transformers_*.py: the stored results are complete, and pieces of them reproduce.

Timings cannot be re-checked (they depend on the machine and its load); everything else can: the
graph depths, gradient norms and saved bytes of Table 1, the first updates of a recall run, and
the parameter counts, bytes and operation counts of the inference study.
"""

import numpy as np
import pytest

from course_rnn.results import load
from course_rnn.studies import inference, recall, table1


@pytest.fixture(scope="module")
def table():
    return load("transformers_table1")


def test_table1_is_complete(table):
    args, res = table["provenance"]["args"], table["results"]
    configs = {(r["layer"], r["d"], r["n"]) for r in res["timing"]}
    assert configs == {
        (kind, d, n) for kind in table1.LAYERS for d in args["widths"] for n in args["lengths"]
    }
    assert all(len(r["all"]) == args["rounds"] >= 5 for r in res["timing"])
    assert max(args["lengths"]) >= 2048
    assert set(res["crossover"]) == {str(d) for d in args["widths"]}


def test_table1_counts_reproduce(table):
    res = table["results"]
    assert [table1.graph_depth("lstm", n) for n in res["depth"]["lengths"][:2]] == res["depth"][
        "lstm"
    ][:2]
    d, lengths = res["saved_bytes"]["d"], res["saved_bytes"]["lengths"]
    for kind in table1.LAYERS:
        assert table1.saved_bytes(kind, lengths[2], d) == res["saved_bytes"][kind][2]
    n, d = res["path"]["n"], res["path"]["d"]
    again = table1.path_gradients("lstm", n, d, seed=0)
    np.testing.assert_allclose(again, res["path"]["lstm"][0], rtol=1e-4, atol=1e-12)


def test_recall_is_complete_and_a_run_reproduces():
    stored = load("transformers_recall")
    args, runs = stored["provenance"]["args"], stored["results"]["runs"]
    assert sorted((r["seed"], r["cell"]) for r in runs) == sorted(
        (s, c) for s in stored["provenance"]["seeds"] for c in recall.RECALL_CELLS
    )
    run = next(r for r in runs if r["seed"] == 0 and r["cell"] == "lstm")
    steps = 2 * args["eval_every"]
    again = recall.train_recall(
        "lstm", args["hidden_sizes"]["lstm"], seed=0, steps=steps, num_pairs=args["num_pairs"],
        batch_size=args["batch_size"], lr=args["lr"], eval_every=args["eval_every"],
    )  # fmt: skip
    assert again["parameters"] == run["parameters"]
    n = len(again["curve"])
    # float32 on one thread repeats exactly on one machine; allow a few test sequences elsewhere
    np.testing.assert_allclose(again["curve"], run["curve"][:n], rtol=0, atol=3e-3)


def test_inference_is_complete_and_its_counts_reproduce():
    stored = load("transformers_inference")
    args, res = stored["provenance"]["args"], stored["results"]
    assert {(r["mode"], r["n"]) for r in res["rows"]} == {
        (m, n) for m in inference.MODES for n in args["positions"]
    }
    sizes = {k: args[k] for k in ("vocab_size", "width", "num_layers", "max_len")}
    again = inference.per_token_costs(args["positions"][:2], rounds=1, budget=0.001, **sizes)
    assert again["parameters"] == res["parameters"]
    stored_rows = {(r["mode"], r["n"]): r for r in res["rows"]}
    for r in again["rows"]:
        assert r["state_bytes"] == stored_rows[r["mode"], r["n"]]["state_bytes"]
        assert r["flops"] == stored_rows[r["mode"], r["n"]]["flops"]
