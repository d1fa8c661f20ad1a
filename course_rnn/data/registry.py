"""One line per data set: what generates it, how big it is, the baseline to beat, its seed.

``describe()`` returns the table as text (a chapter prints it); ``DATASETS[name]`` holds the
entries. Baselines are the numbers a model must beat before it has learnt anything; each one is
checked by a test in ``tests/data``. Each entry names the chapters that use it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from course_rnn.data import (
    checklist,
    dates,
    formal,
    memory,
    ner,
    real_series,
    sentiment,
    series,
    tagging,
    text,
    toy,
)

#: How every generator is seeded: the library never seeds anything global.
SEED_CONVENTION = (
    "pass rng=np.random.default_rng(seed); the book draws training data with seed 0, "
    "validation with seed 1 and test with seed 2, so the three never share a generator state. "
    "The text corpus needs no seed: it is fixed by the Python version."
)


@dataclass(frozen=True)
class DatasetInfo:
    """A short description of one data set."""

    name: str  # the key in DATASETS
    generator: Callable  # the function that makes it
    size: str  # shapes and sizes, in glossary letters
    baseline: str  # what a model must beat, with its number
    chapter: str  # the book chapter that uses it


_ENTRIES = (
    DatasetInfo(
        "adding", toy.adding_problem,
        "inputs (T, B, 2) float32, targets (B,) float32; any T >= 2, fresh batches",
        "always predicting 1 gives MSE 1/6 ≈ 0.167 (variance of a sum of two U(0,1))",
        "Backpropagation through time; Long short-term memory; Gated recurrent units",
    ),
    DatasetInfo(
        "parity", toy.parity,
        "inputs (T, B, 1) float32 bits, targets (B,) or (T, B) int64 in {0, 1}",
        "chance accuracy 1/2", "Sequences and recurrent models",
    ),
    DatasetInfo(
        "counting", toy.counting,
        "inputs (T, B, 1) float32 bits, targets (B,) int64 count in [0, T] (C = T + 1)",
        "majority count: max_k Binom(T, p) (0.18 at T = 20, p = 1/2)",
        "The hidden state",
    ),
    DatasetInfo(
        "copy", memory.copy_task,
        "inputs/targets (2L + delay, B) int64, V = num_symbols + 2, mask on the last L steps",
        "guessing scores 1 / num_symbols on the scored steps",
        "RNNs and Transformers",
    ),
    DatasetInfo(
        "selective_copy", memory.selective_copy,
        "inputs/targets (context + 1 + L, B) int64, mask on the last L steps",
        "guessing scores 1 / num_symbols on the scored steps",
        "RNNs and Transformers",
    ),
    DatasetInfo(
        "associative_recall", memory.associative_recall,
        "inputs (2n + 2, B) int64, V = K + C + 1; targets (B,) int64 value class in [0, C)",
        "chance 1/C (1/32 ≈ 3.1 % by default); a value seen in the context: about 1/n",
        "RNNs and Transformers",
    ),
    DatasetInfo(
        "formal_parity", formal.parity_task,
        "inputs/targets (T, B) int64 bits and running parity, any T >= 1; mask all True",
        "chance 1/2 at every length", "Length generalisation and the recurrent comeback",
    ),
    DatasetInfo(
        "formal_modular_sum", formal.modular_sum,
        "inputs/targets (T, B) int64 digits in [0, m) and running sum mod m (m = 5); mask all True",
        "chance 1/m (1/5)", "Length generalisation and the recurrent comeback",
    ),
    DatasetInfo(
        "formal_dyck", formal.dyck,
        "inputs (T, B) int64 brackets, T even; target on the last row: 1 = balanced (half are)",
        "chance 1/2 (balanced classes)", "Length generalisation and the recurrent comeback",
    ),
    DatasetInfo(
        "noisy_sine", series.noisy_sine,
        "series (T, B) float32; make_windows -> inputs (W, N, 1), targets (H, N, 1)",
        "noise floor MSE noise_std²; persistence (repeat the last value): persistence_mse",
        "Sequences and recurrent models",
    ),
    DatasetInfo(
        "multiscale", series.multiscale_signal,
        "series (T, B) float32, periods 100, 20, 5; windows as for noisy_sine",
        "noise floor MSE noise_std²; persistence: persistence_mse",
        "Forecasting real series",
    ),
    DatasetInfo(
        "co2", real_series.load_series,
        "T = 526 months (1958-03 to 2001-12), m = 12; Mauna Loa CO₂ in ppm, weekly values of "
        "statsmodels' wheel averaged by month, 5 empty months interpolated; public domain",
        "last 24 months held out: naive MASE 1.86, seasonal naive 1.45 (multi-step)",
        "Forecasting real series",
    ),
    DatasetInfo(
        "sunspots", real_series.load_series,
        "T = 309 years (1700-2008), no fixed season (m = 1, cycle ≈ 11 years); yearly sunspot "
        "number, NOAA NGDC, from statsmodels' wheel; public domain",
        "last 20 years held out: naive MASE 2.90 (multi-step)",
        "Forecasting real series",
    ),
    DatasetInfo(
        "nile", real_series.load_series,
        "T = 100 years (1871-1970), m = 1; yearly Nile flow at Aswan (Cobb 1978), from "
        "statsmodels' wheel; public domain",
        "naive forecast (repeat the last value); not used in the book's table",
        "Forecasting real series",
    ),
    DatasetInfo(
        "elnino", real_series.load_series,
        "T = 732 months (1950-2010), m = 12; Niño 1+2 sea-surface temperature in °C (NOAA "
        "ERSST.V3B), 61 years × 12 months of statsmodels' wheel flattened; public domain",
        "last 24 months held out: naive MASE 1.69, seasonal naive 0.62 (multi-step)",
        "Forecasting real series",
    ),
    DatasetInfo(
        "pydoc_chars", text.char_corpus,
        "≈ 465 k characters of pydoc_data.topics, V ≈ 104; validation = the last 10 %",
        "uniform guess log2(V) ≈ 6.7 bits/char; validation given training: zlib 1.95, bz2 1.42",
        "Character language models; Gated recurrent units",
    ),
    DatasetInfo(
        "sentiment", sentiment.make_sentiment,
        "N sentences of 4-30 words, V = 62 with <pad>, <unk>; labels (N,) int64 in {0, 1}",
        "any bag-of-words classifier ≤ 70 % (chance on the 60 % contrast/emphasis sentences); "
        "a trained linear bag of words measured ≈ 50 %",
        "Gated recurrent units; Sentiment, phenomenon by phenomenon",
    ),
    DatasetInfo(
        "checklist", checklist.make_test_set,
        "10 behavioural sets of the sentiment grammar plus comparisons (negation, contrast, "
        "intensifier, comparison, ...), N sentences each; make_training_mix, INV/DIR pairs; "
        "V = 70 with <pad>, <unk>; labels (N,) int64 in {0, 1}",
        "chance 1/2 on every set; any bag of words 1/2 in expectation on comparisons "
        "(each has a twin with the same words and the other label)",
        "Sentiment, phenomenon by phenomenon",
    ),
    DatasetInfo(
        "tagging", tagging.make_tagging,
        "N sentences of 2-21 words, C = 4 tags (O, PER, LOC, ORG); right_context marks "
        "ambiguous names",
        "left-to-right ceiling on right-context tags 1/2; full context 1",
        "Bidirectional RNNs",
    ),
    DatasetInfo(
        "ner", ner.make_ner,
        "N lines of 5-30 words, C = 7 BIO tags (PER, LOC, ORG); fixed train/test split of the "
        "names (test names never in training); right_context marks ambiguous initial names",
        "majority tag (O) span F1 0; dictionary of training words 0.015 on held-out names "
        "(0.79 on training names); left-to-right ceiling on right-context words 1/2",
        "A named-entity tagger",
    ),
    DatasetInfo(
        "dates", dates.make_dates,
        "N (source, target) strings: a date of 1950-2049 in one of 12 formats, 8-54 characters "
        "(V_src = 50 with padding) -> ISO 'YYYY-MM-DD' + EOS (V = 12)",
        "exact match by chance ≈ 1/36,525; best constant character per position 0.46",
        "Encoder–decoders and attention",
    ),
    DatasetInfo(
        "digit_copy", dates.make_digit_copy,
        "N strings of L uniform digits, L in [min_len, max_len] (5-40 in the book) = targets",
        "chance exact match 10^-L; per digit 1/10",
        "Encoder–decoders and attention",
    ),
)  # fmt: skip

#: name -> DatasetInfo for every data set of the course (read-only).
DATASETS: Mapping[str, DatasetInfo] = MappingProxyType({e.name: e for e in _ENTRIES})


def describe(name: str | None = None) -> str:
    """A short text description of one data set, or of all of them (name None).

    Args:
        name: a key of :data:`DATASETS`, or None for all

    Returns:
        str, one block per data set: name, generator, size, baseline, chapter; then the seeds.
    """
    if name is not None and name not in DATASETS:
        raise ValueError(f"describe: unknown data set {name!r}; expected one of {sorted(DATASETS)}")
    entries = _ENTRIES if name is None else (DATASETS[name],)
    blocks = [
        f"{e.name}: {e.generator.__module__}.{e.generator.__name__}\n"
        f"  size:     {e.size}\n  baseline: {e.baseline}\n  chapter:  {e.chapter}"
        for e in entries
    ]
    return "\n".join([*blocks, f"seeds: {SEED_CONVENTION}"])
