"""experiments/lstm_gates.py: the stored model gives the stored bpc; the short run reproduces."""

from pathlib import Path

import numpy as np
import pytest
import torch

from course_rnn import results
from course_rnn.data import char_corpus
from course_rnn.results import load
from course_rnn.studies.char_lstm import (
    VALID_CHARS,
    held_out_bpc,
    load_weights,
    to_model,
    train_char_lstm,
)


@pytest.fixture(scope="module")
def stored():
    return load("lstm_gates")


def test_the_stored_weights_give_the_stored_bpc(stored):
    weights, vocab = load_weights()
    corpus = char_corpus()
    assert vocab == corpus.vocab  # the same Python version's corpus as the stored run's
    valid = torch.from_numpy(corpus.val[: VALID_CHARS + 1])
    bpc = held_out_bpc(to_model(weights), valid)
    assert bpc == pytest.approx(stored["results"]["run"]["final_bpc"], rel=1e-6)


def test_the_short_run_reproduces(stored):
    short = stored["results"]["short_run"]
    args = {k: short[k] for k in ("hidden_size", "embed_size", "steps", "seed", "lr")}
    _, again = train_char_lstm(eval_every=25, **args)
    np.testing.assert_allclose(again["curve"], short["curve"], rtol=1e-5, atol=0)


def test_the_stored_model_is_small():
    size = (Path(results.__file__).parent / "lstm_gates.npz").stat().st_size
    assert size <= 1_000_000
