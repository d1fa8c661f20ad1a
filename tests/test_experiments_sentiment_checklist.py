"""experiments/sentiment_checklist.py: the stored results are the script's, and one configuration
reproduces (the embedding-mean bag of words, seed 0, the script's 800 updates: a few seconds)."""

import runpy
from pathlib import Path

import pytest

from course_rnn.data.checklist import PHENOMENA
from course_rnn.results import load
from course_rnn.studies.sentiment import MODELS, evaluation_sets, pool_overlap, run_checklist

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


@pytest.fixture(scope="module")
def stored():
    return load("sentiment_checklist")


def test_the_stored_results_come_from_the_script_as_it_is(stored, monkeypatch):
    monkeypatch.syspath_prepend(str(EXPERIMENTS))  # for the script's `from provenance import`
    script = runpy.run_path(str(EXPERIMENTS / "sentiment_checklist.py"), run_name="not_main")
    assert stored["provenance"]["args"] == {
        **script["SETTINGS"],
        "models": list(MODELS),
        "composition": script["COMPOSITION"],
    }
    assert stored["provenance"]["seeds"] == script["SEEDS"]
    results = stored["results"]
    assert results["models"] == list(MODELS)
    assert list(results["phenomena"]) == list(PHENOMENA)
    assert all(results["phenomena"][p.name]["in_training"] == p.in_training
               for p in PHENOMENA.values())  # fmt: skip
    assert [(r["model"], r["seed"]) for r in results["runs"]] == [
        (m, s) for m in MODELS for s in script["SEEDS"]
    ]
    assert all(("embedding" in r) == (r["model"] == "gru") for r in results["runs"])
    assert list(results["overlap"]) == ["mix", *PHENOMENA]
    trained = results["composition_trained"]
    assert [(r["model"], r["seed"]) for r in trained["runs"]] == [
        (script["COMPOSITION"]["model"], s) for s in script["COMPOSITION"]["seeds"]
    ]
    pool = script["composition_pool"]()
    assert len(pool) == 4_000
    assert pool.kinds.count("composition") == script["COMPOSITION"]["compositions"] == 200


def test_one_configuration_reproduces_the_stored_scores(stored):
    first = next(r for r in stored["results"]["runs"] if (r["model"], r["seed"]) == ("bow_mlp", 0))
    again = run_checklist("bow_mlp", seed=0, steps=stored["results"]["steps"])
    assert again["parameters"] == first["parameters"]
    for name, share in stored["results"]["overlap"].items():
        assert pool_overlap(evaluation_sets()[name]) == share, name
    # float32 on one thread: the same machine repeats bit for bit; allow one sentence in 400
    for name, value in first["scores"].items():
        assert again["scores"][name] == pytest.approx(value, abs=0.0026), name
