"""experiments/ner_tagger.py: the stored results are the script's, and one configuration
reproduces (the unidirectional tagger, seed 0, about ten seconds)."""

import runpy
from pathlib import Path

import pytest

from course_rnn.results import load
from course_rnn.studies.ner import baselines, train_tagger

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


@pytest.fixture(scope="module")
def stored():
    return load("ner_tagger")


@pytest.fixture(scope="module")
def script():
    import sys

    sys.path.insert(0, str(EXPERIMENTS))  # for the script's `from provenance import`
    try:
        return runpy.run_path(str(EXPERIMENTS / "ner_tagger.py"), run_name="not_main")
    finally:
        sys.path.remove(str(EXPERIMENTS))


def test_the_stored_results_come_from_the_script_as_it_is(stored, script):
    args = stored["provenance"]["args"]
    assert args == {**script["SETTINGS"], "directions": script["DIRECTIONS"]}
    assert stored["provenance"]["seeds"] == script["SEEDS"]
    runs = stored["results"]["runs"]
    assert [(r["bidirectional"], r["seed"]) for r in runs] == [
        (d, s) for d in script["DIRECTIONS"] for s in script["SEEDS"]
    ]
    assert stored["results"]["data"] == script["data_summary"]()


def test_the_baselines_are_recomputed_exactly(stored):
    assert stored["results"]["baselines"] == baselines()


def test_one_configuration_reproduces(stored):
    settings = {k: stored["results"][k] for k in ("epochs", "hidden_size")}
    again = train_tagger(bidirectional=False, seed=0, **settings)
    first = stored["results"]["runs"][0]
    assert (first["bidirectional"], first["seed"]) == (False, 0)
    assert again["parameters"] == first["parameters"]
    for key in ("word_accuracy", "right_context_accuracy"):
        assert again[key] == pytest.approx(first[key], abs=2e-3)
    for kind, scores in first["spans"].items():
        assert again["spans"][kind]["f1"] == pytest.approx(scores["f1"], abs=5e-3)
