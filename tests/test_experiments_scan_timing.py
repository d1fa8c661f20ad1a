"""experiments/scan_timing.py: the stored timings are complete; a small re-run has the same rows.

Timings are never compared in absolute terms: only the grid, and that every number is a
positive minimum no larger than its median.
"""

from course_rnn.results import load
from course_rnn.studies.scan import METHODS, time_layers


def test_the_stored_grid_is_complete():
    stored = load("scan_timing")
    args = stored["provenance"]["args"]
    rows = stored["results"]["rows"]
    expected = [(b, T, m) for b in args["batch_sizes"] for T in args["lengths"] for m in METHODS]
    assert [(r["batch_size"], r["T"], r["method"]) for r in rows] == expected
    assert all(0 < r["min_seconds"] <= r["median_seconds"] for r in rows)
    assert all(r["repeats"] == args["repeats"] for r in rows)


def test_one_point_reruns():
    stored = load("scan_timing")["provenance"]["args"]
    rows = time_layers(
        (16,), batch_size=1, input_size=stored["input_size"], hidden_size=stored["hidden_size"],
        repeats=2,
    )  # fmt: skip
    assert [r["method"] for r in rows] == list(METHODS)
