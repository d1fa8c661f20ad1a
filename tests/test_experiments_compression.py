"""experiments/compression.py: the stored weights give the stored bpc; training reproduces."""

import inspect
from pathlib import Path

import numpy as np
import pytest

from course_rnn import results
from course_rnn.data import char_corpus
from course_rnn.results import load, load_arrays
from course_rnn.studies.compression import code_lengths, to_model, train_compressor

TRAINING_ARGUMENTS = set(inspect.signature(train_compressor).parameters) - {"seed", "stop_after"}


@pytest.fixture(scope="module")
def stored():
    return load("compression")["results"]


def test_the_stored_weights_give_the_stored_static_bpc(stored):
    corpus = char_corpus()
    model = to_model(load_arrays("compression_weights"))
    ids = np.concatenate([corpus.train[-1:], corpus.val])
    bits = code_lengths(model, ids)
    assert bits.mean() == pytest.approx(stored["held_out"]["static"]["bpc"], abs=1e-4)


def test_the_start_of_training_reproduces(stored):
    args = load("compression")["provenance"]["args"]  # the script's SETTINGS, and more
    settings = {k: v for k, v in args.items() if k in TRAINING_ARGUMENTS}
    prefix = stored["loss_prefix"]
    _, again = train_compressor(seed=stored["run"]["seed"], stop_after=len(prefix), **settings)
    np.testing.assert_allclose(again["losses"], prefix, rtol=1e-5, atol=0)


def test_the_settings_were_chosen_on_the_dev_slice_and_the_weights_are_small(stored):
    tuning = stored["tuning_on_dev"]
    assert min(tuning["dynamic"], key=tuning["dynamic"].get) == str(stored["dynamic_lr"])
    assert min(tuning["mix"], key=tuning["mix"].get) == f"{stored['min_len']},{stored['mix_lr']}"
    size = (Path(results.__file__).parent / "compression_weights.npz").stat().st_size
    assert size <= 5_000_000
