"""Offline, seeded data sets of the course: toy tasks, series, text, sentiment and tagging.

Nothing is ever downloaded: every set is generated from a ``np.random.Generator`` passed as
``rng=`` or read from ``pydoc_data.topics``, which ships with Python, or from the CSV files
that ship inside statsmodels' wheel (``real_series``). Everything is time-major,
``(T, B, ...)``. ``describe()`` lists every set with its size, baseline and seed convention.
Importing this package does not import torch; the DataLoader adapter lives in
``course_rnn.data.torch_adapter``.
"""

from course_rnn.data.batching import TaskBatch, lengths_to_mask, pad_sequences
from course_rnn.data.dates import make_dates, make_digit_copy
from course_rnn.data.formal import FORMAL_TASKS, dyck, is_balanced, modular_sum, parity_task
from course_rnn.data.memory import (
    associative_recall,
    copy_task,
    copy_vocab_size,
    recall_vocab_size,
    selective_copy,
)
from course_rnn.data.ner import NerBatch, NerData, make_ner
from course_rnn.data.real_series import RealSeries, load_series, split_tail
from course_rnn.data.registry import DATASETS, SEED_CONVENTION, DatasetInfo, describe
from course_rnn.data.sentiment import (
    SentimentConfig,
    SentimentData,
    bag_of_words_ceiling,
    make_sentiment,
    sentiment_label,
)
from course_rnn.data.series import (
    forecast_batch,
    make_windows,
    multiscale_signal,
    noisy_sine,
    persistence_mse,
)
from course_rnn.data.tagging import (
    TAGS,
    TaggingBatch,
    TaggingConfig,
    TaggingData,
    left_context_ceiling,
    make_tagging,
)
from course_rnn.data.text import (
    CharCorpus,
    Vocab,
    char_corpus,
    pydoc_corpus,
    random_windows,
    sequential_batches,
    split_train_val,
)
from course_rnn.data.toy import (
    ADDING_BASELINE_MSE,
    adding_problem,
    counting,
    counting_baseline,
    parity,
)

__all__ = [
    "ADDING_BASELINE_MSE",
    "DATASETS",
    "FORMAL_TASKS",
    "SEED_CONVENTION",
    "TAGS",
    "CharCorpus",
    "DatasetInfo",
    "NerBatch",
    "NerData",
    "RealSeries",
    "SentimentConfig",
    "SentimentData",
    "TaggingBatch",
    "TaggingConfig",
    "TaggingData",
    "TaskBatch",
    "Vocab",
    "adding_problem",
    "associative_recall",
    "bag_of_words_ceiling",
    "char_corpus",
    "copy_task",
    "copy_vocab_size",
    "counting",
    "counting_baseline",
    "describe",
    "dyck",
    "forecast_batch",
    "is_balanced",
    "left_context_ceiling",
    "lengths_to_mask",
    "load_series",
    "make_dates",
    "make_digit_copy",
    "make_ner",
    "make_sentiment",
    "make_tagging",
    "make_windows",
    "modular_sum",
    "multiscale_signal",
    "noisy_sine",
    "pad_sequences",
    "parity",
    "parity_task",
    "persistence_mse",
    "pydoc_corpus",
    "random_windows",
    "recall_vocab_size",
    "selective_copy",
    "sentiment_label",
    "sequential_batches",
    "split_tail",
    "split_train_val",
]
