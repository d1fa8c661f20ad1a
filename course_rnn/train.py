"""One training loop for every torch model of the course: ``fit``, ``evaluate`` and their helpers.

The model interface (details in ``course_rnn.training.batches``):
    ``model(inputs, targets=None) -> Output(logits, loss)`` with a scalar ``loss`` when targets are
    given. An ordinary ``nn.Module`` that returns one tensor works with ``loss_fn=``.
Batches: ``(inputs, targets)``, ``(inputs, targets, mask)`` or a dict with those keys, time-major
(``(T, B, ...)``), from any iterable, a ``DataLoader`` included.

Example::

    import torch
    from course_rnn.train import EarlyStopping, fit, seed_everything

    seed_everything(0)
    torch.set_num_threads(1)
    history = fit(model, train, epochs=5, lr=3e-3, clip_grad_norm=1.0, valid_batches=valid,
                  metrics=("bpc",), early_stopping=EarlyStopping("bpc", patience=2))
    assert history.valid["bpc"][-1] < 2.5

Book: chapter "The hidden state" introduces it; every later chapter that trains a model
uses it. The implementation lives in ``course_rnn/training/`` (one file per job).
"""

from course_rnn.seeding import seed_everything
from course_rnn.training.batches import (
    IGNORE_INDEX,
    Output,
    default_device,
    move_to,
    split_batch,
)
from course_rnn.training.checkpoint import (
    Checkpoint,
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from course_rnn.training.history import Callback, EarlyStopping, History
from course_rnn.training.loop import evaluate, fit
from course_rnn.training.metrics import (
    METRICS,
    Metric,
    accuracy,
    bits_per_char,
    cross_entropy,
    mse,
    perplexity,
)
from course_rnn.training.progress import progress_enabled

__all__ = [
    "IGNORE_INDEX",
    "METRICS",
    "Callback",
    "Checkpoint",
    "CheckpointError",
    "EarlyStopping",
    "History",
    "Metric",
    "Output",
    "accuracy",
    "bits_per_char",
    "cross_entropy",
    "default_device",
    "evaluate",
    "fit",
    "load_checkpoint",
    "move_to",
    "mse",
    "perplexity",
    "progress_enabled",
    "save_checkpoint",
    "seed_everything",
    "split_batch",
]
