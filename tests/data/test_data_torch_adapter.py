import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from course_rnn.data import adding_problem, copy_task, make_sentiment, make_tagging
from course_rnn.data.torch_adapter import Padded, SequenceDataset, TimeMajorCollate
from course_rnn.shapes import ShapeError
from course_rnn.train import split_batch


def test_dataloader_over_variable_length_sentences():
    data = make_sentiment(50, rng=np.random.default_rng(0))
    dataset = SequenceDataset([data.encode(i) for i in range(len(data))], data.labels)
    loader = DataLoader(dataset, batch_size=8, shuffle=False, collate_fn=TimeMajorCollate())
    batches = list(loader)
    assert len(batches) == 7
    assert set(batches[0]) == {"inputs", "targets", "mask"}
    (x, lengths), y, mask = split_batch(batches[0])  # what fit() sees
    assert isinstance(batches[0]["inputs"], Padded)
    assert x.dtype == torch.int64
    assert lengths.dtype == torch.int64
    assert x.shape == (int(lengths.max()), 8)
    assert y.shape == (8,)
    assert mask is None  # one target per sequence: nothing to mask
    expected = data.batch(np.arange(8))  # the NumPy padding gives the same batch
    np.testing.assert_array_equal(x.numpy(), expected.inputs)
    np.testing.assert_array_equal(lengths.numpy(), expected.mask.sum(0))
    assert batches[-1]["inputs"].x.shape[1] == 2


def test_dataloader_pads_per_step_targets_with_ignore_index():
    data = make_tagging(20, rng=np.random.default_rng(0))
    dataset = SequenceDataset([data.vocab.encode(s) for s in data.sentences], list(data.tags))
    collate = TimeMajorCollate(per_step_targets=True)
    batch = next(iter(DataLoader(dataset, batch_size=5, collate_fn=collate)))
    (x, lengths), y, mask = split_batch(batch)
    assert y.shape == x.shape
    assert mask.shape == y.shape  # the targets' mask, as fit's metrics expect
    torch.testing.assert_close(mask.sum(0), lengths)
    assert (y[~mask] == -100).all()
    assert (y[mask] != -100).all()
    loss = torch.nn.functional.cross_entropy(torch.zeros(*y.shape, 4).flatten(0, 1), y.flatten())
    torch.testing.assert_close(loss, torch.tensor(np.log(4.0), dtype=torch.float32))


def test_from_time_major_round_trips_a_task_batch():
    x, y, _ = adding_problem(6, 10, rng=np.random.default_rng(0))
    dataset = SequenceDataset.from_time_major(x, y, per_step_targets=False)
    assert len(dataset) == 10
    loader = DataLoader(dataset, batch_size=10, collate_fn=TimeMajorCollate())
    batch = next(iter(loader))
    (xb, lengths), yb, mask = batch["inputs"], batch["targets"], batch["mask"]
    assert xb.shape == (6, 10, 2)
    assert xb.dtype == torch.float32
    np.testing.assert_array_equal(xb.numpy(), x)
    np.testing.assert_array_equal(yb.numpy(), y)
    assert mask is None
    assert (lengths == 6).all()


def test_from_time_major_with_per_step_targets():
    x, y, _ = copy_task(2, 3, 4, rng=np.random.default_rng(0))
    dataset = SequenceDataset.from_time_major(x, y, per_step_targets=True)
    loader = DataLoader(dataset, batch_size=4, collate_fn=TimeMajorCollate(per_step_targets=True))
    batch = next(iter(loader))
    xb, yb = batch["inputs"].x, batch["targets"]
    np.testing.assert_array_equal(xb.numpy(), x)
    np.testing.assert_array_equal(yb.numpy(), y)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: SequenceDataset([np.ones(2)], [0, 1]), ValueError, "as many targets as inputs"),
        (
            lambda: SequenceDataset.from_time_major(
                np.ones((3, 4)), np.ones(5), per_step_targets=False
            ),
            ShapeError,
            r"targets expected \(N, ...\) with N=4",
        ),
        (
            lambda: SequenceDataset.from_time_major(np.ones(3), np.ones(3), per_step_targets=False),
            ShapeError,
            r"inputs expected \(T, N, ...\)",
        ),
        (lambda: TimeMajorCollate()([]), ValueError, "empty batch"),
    ],
)
def test_adapter_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
