"""course_rnn.studies.compare_sizing: parameter counts equal torch's, equal-parameter sizes."""

import functools

import numpy as np
import pytest
from torch import nn

from course_rnn.studies.adding import make_adding_model
from course_rnn.studies.compare_sizing import (
    CELLS,
    hidden_size_for,
    model_parameters,
    recurrent_parameters,
)
from course_rnn.torch_nn.models import CharLM, EncoderConfig, SequenceClassifier

TORCH = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def count(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(("D", "H"), [(1, 1), (3, 5), (32, 128), (104, 7)])
def test_recurrent_parameters_equal_torch(cell, D, H):
    assert recurrent_parameters(cell, D, H) == count(TORCH[cell](D, H))


def test_the_gru_has_three_quarters_of_the_lstm_parameters():
    for D, H in [(2, 64), (32, 128), (7, 3)]:
        assert 4 * recurrent_parameters("gru", D, H) == 3 * recurrent_parameters("lstm", D, H)


@pytest.mark.parametrize("cell", CELLS)
def test_model_parameters_equal_the_task_models(cell):
    config = EncoderConfig(cell=cell, hidden_size=9)
    lm = CharLM(11, embed_dim=5, config=config)
    assert model_parameters(cell, 9, input_size=5, outputs=11, vocab_size=11) == count(lm)
    classifier = SequenceClassifier(2, vocab_size=13, embed_dim=5, config=config)
    assert model_parameters(cell, 9, input_size=5, outputs=2, vocab_size=13) == count(classifier)
    adding = make_adding_model(cell, 9, rng=np.random.default_rng(0))
    assert model_parameters(cell, 9, input_size=2, outputs=1) == count(adding)


@pytest.mark.parametrize("cell", ["rnn", "gru"])
@pytest.mark.parametrize("reference", [16, 64, 128])
def test_equal_parameters_is_the_closest_hidden_size(cell, reference):
    counter = functools.partial(model_parameters, cell, input_size=32, outputs=104, vocab_size=104)
    target = model_parameters("lstm", reference, input_size=32, outputs=104, vocab_size=104)
    H = hidden_size_for(target, counter)
    gaps = {h: abs(counter(h) - target) for h in range(1, 1000)}  # every candidate, by brute force
    assert gaps[H] == min(gaps.values())
    assert H == min(h for h, gap in gaps.items() if gap == gaps[H])  # the smaller one on a tie


def test_the_lstm_sized_to_itself_keeps_its_size():
    counter = functools.partial(model_parameters, "lstm", input_size=2, outputs=1)
    assert hidden_size_for(counter(64), counter) == 64


def test_a_tie_goes_to_the_smaller_size():
    assert hidden_size_for(15, lambda h: 10 * h) in (1, 2)
    assert hidden_size_for(15, lambda h: 10 * h) == 1
    assert hidden_size_for(16, lambda h: 10 * h) == 2
    assert hidden_size_for(3, lambda h: 10 * h) == 1  # below count(1): the smallest size


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: hidden_size_for(10**9, lambda h: h * h), "exceeds count"),
        (lambda: hidden_size_for(0, lambda h: h), "target must be a positive int"),
        (lambda: recurrent_parameters("transformer", 2, 3), "cell must be one of"),
        (lambda: recurrent_parameters("gru", 0, 3), "input_size must be a positive int"),
        (lambda: model_parameters("gru", 3, input_size=2, outputs=0), "outputs must be"),
        (lambda: model_parameters("gru", 3.5, input_size=2, outputs=1), "hidden_size must be"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
