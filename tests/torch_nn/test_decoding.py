import itertools

import pytest
import torch

from course_rnn.torch_nn.decoding import (
    beam_search,
    greedy_decode,
    sequence_log_prob,
    sequences,
)
from course_rnn.torch_nn.models import AttentionSeq2Seq
from course_rnn.training.batches import IGNORE_INDEX

V_SRC, V = 7, 4  # target ids 0, 1, 2 and EOS = 3
EOS = V - 1


def _model(attention="additive", seed=0):
    torch.manual_seed(seed)
    model = AttentionSeq2Seq(V_SRC, V, hidden_size=6, embed_dim=4, attention=attention).double()
    with torch.no_grad():  # sharpen the random model so that decodings differ between searches
        model.head.weight.mul_(6.0)
    return model


def _inputs(seed=1, B=5):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([6, 2, 4, 5, 3][:B])
    src = torch.randint(1, V_SRC, (6, B), generator=g)
    return src, lengths


def _as_targets(ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Decoded ids (T, B) as teacher-forcing targets: IGNORE_INDEX after each length."""
    out = ids.clone()
    out[torch.arange(ids.shape[0])[:, None] >= lengths] = IGNORE_INDEX
    return out


@pytest.mark.parametrize("attention", ["none", "additive", "general"])
def test_beam_of_one_is_greedy(attention):
    model = _model(attention)
    greedy = greedy_decode(model, _inputs(), max_len=6)
    beam = beam_search(model, _inputs(), beam_size=1, max_len=6)
    assert torch.equal(beam.lengths, greedy.lengths)
    assert sequences(beam.ids, EOS) == sequences(greedy.ids, EOS)
    torch.testing.assert_close(beam.log_prob, greedy.log_prob, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("search", "seed", "eos_shift"),
    [("greedy", 0, 0.0), ("greedy", 1, -1.0), ("beam", 0, 0.0), ("beam", 1, 0.0),
     ("beam", 2, 0.0), ("beam", 1, -1.0), ("beam", 2, -1.0)],
)  # fmt: skip
def test_reported_log_prob_is_that_of_the_returned_sequence(search, seed, eos_shift):
    model = _model(seed=seed)
    with torch.no_grad():  # a softer model, so that beams swap places from step to step,
        model.head.weight.div_(4.0)
        model.head.bias[EOS] += eos_shift  # and, shifted, one that runs to max_len
    if search == "greedy":
        out = greedy_decode(model, _inputs(), max_len=6)
    else:
        out = beam_search(model, _inputs(), beam_size=3, max_len=6)
    targets = _as_targets(out.ids, out.lengths)
    again = sequence_log_prob(model, _inputs(), targets)
    torch.testing.assert_close(out.log_prob, again, rtol=1e-10, atol=1e-10)
    for seq, n in zip(sequences(out.ids, EOS), out.lengths.tolist(), strict=True):
        assert len(seq) in (n - 1, n)  # EOS stripped, or no EOS within max_len


def test_a_full_beam_finds_the_most_probable_sequence():
    # with K = V and two steps, beam search is exact: compare with every sequence of length <= 2
    model, max_len = _model(seed=3), 2
    src, lengths = _inputs()
    beam = beam_search(model, (src, lengths), beam_size=V, max_len=max_len)
    greedy = greedy_decode(model, (src, lengths), max_len=max_len)
    candidates = [(EOS,)] + [(a, b) for a, b in itertools.product(range(EOS), range(V))]
    best = torch.full((src.shape[1],), float("-inf"), dtype=torch.float64)
    for seq in candidates:
        tgt = torch.full((max_len, src.shape[1]), IGNORE_INDEX)
        tgt[: len(seq)] = torch.tensor(seq)[:, None]
        best = torch.maximum(best, sequence_log_prob(model, (src, lengths), tgt))
    torch.testing.assert_close(beam.log_prob, best, rtol=1e-10, atol=1e-10)
    assert (beam.log_prob >= greedy.log_prob - 1e-12).all()
    assert (beam.log_prob > greedy.log_prob + 1e-6).any()  # the sharpened model has such a case


def test_greedy_stops_at_eos_and_pads_with_eos():
    model = _model(seed=4)
    out = greedy_decode(model, _inputs(), max_len=8)
    for b, n in enumerate(out.lengths.tolist()):
        column = out.ids[:, b].tolist()
        if n <= out.ids.shape[0] and EOS in column:
            assert column.index(EOS) == n - 1
            assert all(i == EOS for i in column[n - 1 :])
    assert out.logits.shape == (out.ids.shape[0], 5, V)


def test_length_penalty_prefers_longer_hypotheses():
    model = _model(seed=5)
    raw = beam_search(model, _inputs(), beam_size=4, max_len=6)
    long = beam_search(model, _inputs(), beam_size=4, max_len=6, length_penalty=3.0)
    assert (long.lengths >= raw.lengths).all()
    assert (long.log_prob <= raw.log_prob + 1e-12).all()  # the raw score is the best log p


def test_sequences_cuts_at_the_first_eos():
    ids = torch.tensor([[1, 2], [EOS, 1], [2, 1]])  # (T, B)
    assert sequences(ids, EOS) == [[1], [2, 1, 1]]


def test_errors():
    model = _model()
    with pytest.raises(ValueError, match=r"beam_search: beam_size must be an int in \[1, V=4\]"):
        beam_search(model, _inputs(), beam_size=5, max_len=3)
    with pytest.raises(ValueError, match="greedy_decode: max_len must be a positive int"):
        greedy_decode(model, _inputs(), max_len=0)
    with pytest.raises(ValueError, match="beam_search: length_penalty must be >= 0"):
        beam_search(model, _inputs(), beam_size=2, max_len=3, length_penalty=-1.0)
    with pytest.raises(TypeError, match=r"greedy_decode: model needs a \.encode"):
        greedy_decode(torch.nn.Linear(2, 2), _inputs(), max_len=3)
