"""course_rnn.studies.recall: models at equal parameters, one deterministic training run."""

import pytest

from course_rnn.studies import recall


def test_recurrent_cells_match_the_transformers_parameters():
    target = recall.parameter_count(recall.recall_model("transformer", 32))
    for cell in ("lstm", "gru"):
        H = recall.matched_hidden_size(cell, target)
        count = recall.parameter_count(recall.recall_model(cell, H))
        assert abs(count / target - 1) < 0.02
        assert abs(recall.parameter_count(recall.recall_model(cell, H + 1)) - target) >= abs(
            count - target
        )


@pytest.mark.parametrize("cell", recall.RECALL_CELLS)
def test_a_run_repeats_exactly(cell):
    runs = [
        recall.train_recall(cell, 16, seed=3, steps=4, eval_every=2, n_test=50, num_pairs=3)
        for _ in range(2)
    ]
    assert runs[0]["curve"] == runs[1]["curve"]
    assert [s for s, _ in runs[0]["curve"]] == [0, 2, 4]
    assert runs[0]["tokens_per_second"] > 0
    assert runs[0]["chance"] == 1 / 32


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="recall_model: cell must be one of"):
        recall.recall_model("rnn", 8)
    with pytest.raises(ValueError, match="train_recall: steps"):
        recall.train_recall("lstm", 8, steps=0)
