"""Memory tasks on token ids: copy, selective copy and associative recall.

Each task writes some tokens, waits, and asks for them back, so it measures how much a model can
store and for how long. Token ids are small ints, time-major ``(T, B)`` int64; per-step targets come
with a ``(T, B)`` bool mask that is True only where an answer is scored.

Token layout of the copy tasks: 0 = blank, 1 = delimiter ("now repeat"), and the data symbols
2 … num_symbols + 1, so the vocabulary has V = num_symbols + 2 ids (:func:`copy_vocab_size`).
Unscored target steps hold the blank id 0.

Book: chapter "Long short-term memory" (copy, selective copy) and chapter "RNNs and
Transformers" (associative recall: attention looks the key up, a fixed-size state must store every
pair).

References: Arjovsky, Shah & Bengio (2016), "Unitary evolution recurrent neural networks" (copy);
Gu & Dao (2023), "Mamba" (selective copy); Ba et al. (2016), "Using fast weights to attend to the
recent past", and Arora et al. (2023), "Zoology" (associative recall).
"""

import numpy as np

from course_rnn.data._checks import check_int, check_rng
from course_rnn.data.batching import TaskBatch

BLANK = 0  #: token id of the blank (and of unscored targets) in the copy tasks
DELIMITER = 1  #: token id that tells the model to start answering
FIRST_SYMBOL = 2  #: the first data symbol's id in the copy tasks


def copy_vocab_size(num_symbols: int) -> int:
    """V of the copy tasks: the data symbols plus blank and delimiter."""
    return check_int("copy_vocab_size", "num_symbols", num_symbols) + FIRST_SYMBOL


def copy_task(
    length: int, delay: int, batch_size: int, *, rng: np.random.Generator, num_symbols: int = 8
) -> TaskBatch:
    """Copy task: read ``length`` symbols, wait ``delay`` steps, write the symbols back.

    Layout of one sequence (T = 2 · length + delay):
    ``s_1 … s_L | blank × (delay - 1) | delimiter | blank × L`` in; blanks, then ``s_1 … s_L`` out.
    Only the last ``length`` steps are scored; guessing scores 1 / num_symbols there.

    Args:
        length:      L, the number of symbols to copy, >= 1
        delay:       steps between the last symbol and the end of the delimiter, >= 1
        batch_size:  B
        rng:         np.random.Generator
        num_symbols: data symbols to draw from, >= 1; V = num_symbols + 2

    Returns:
        TaskBatch with
            inputs:  (T, B) int64 token ids in [0, V)
            targets: (T, B) int64 token ids; blank (0) where the mask is False
            mask:    (T, B) bool, True on the last L steps
    """
    where = "copy_task"
    L = check_int(where, "length", length)
    delay = check_int(where, "delay", delay)
    B = check_int(where, "batch_size", batch_size)
    num_symbols = check_int(where, "num_symbols", num_symbols)
    rng = check_rng(where, rng)
    T = 2 * L + delay
    data = rng.integers(FIRST_SYMBOL, FIRST_SYMBOL + num_symbols, size=(L, B))  # (L, B)
    inputs = np.full((T, B), BLANK, dtype=np.int64)  # (T, B)
    inputs[:L] = data
    inputs[L + delay - 1] = DELIMITER
    targets = np.full((T, B), BLANK, dtype=np.int64)  # (T, B)
    targets[T - L :] = data
    mask = np.zeros((T, B), dtype=bool)  # (T, B)
    mask[T - L :] = True
    return TaskBatch(inputs, targets, mask)


def selective_copy(
    length: int,
    context: int,
    batch_size: int,
    *,
    rng: np.random.Generator,
    num_symbols: int = 8,
) -> TaskBatch:
    """Selective copy: symbols sit at random steps among blanks; write them back in order.

    Unlike :func:`copy_task` the positions change from sequence to sequence, so a model must decide
    from the content which inputs to keep (the "selection" that gated and attention models do and
    a time-invariant linear filter cannot). Layout (T = context + 1 + length): ``context`` steps
    holding ``length`` symbols at random, increasing steps (blanks elsewhere), one delimiter, then
    ``length`` blanks; the targets are the symbols in order on the last ``length`` steps.

    Args:
        length:      L, the number of symbols to copy, >= 1
        context:     steps in which the symbols are scattered, >= length
        batch_size:  B
        rng:         np.random.Generator
        num_symbols: data symbols, >= 1; V = num_symbols + 2

    Returns:
        TaskBatch with
            inputs:  (T, B) int64 token ids in [0, V)
            targets: (T, B) int64; blank (0) where the mask is False
            mask:    (T, B) bool, True on the last L steps
    """
    where = "selective_copy"
    L = check_int(where, "length", length)
    context = check_int(where, "context", context)
    if context < L:
        raise ValueError(
            f"{where}: context must be >= length={L} to hold the symbols, got {context}"
        )
    B = check_int(where, "batch_size", batch_size)
    num_symbols = check_int(where, "num_symbols", num_symbols)
    rng = check_rng(where, rng)
    T = context + 1 + L
    data = rng.integers(FIRST_SYMBOL, FIRST_SYMBOL + num_symbols, size=(L, B))  # (L, B)
    # L distinct steps per sequence, sorted so the symbols keep their order: argsort of noise
    # gives a random permutation of the context steps; take its first L and sort them.
    steps = np.sort(np.argsort(rng.random((context, B)), axis=0)[:L], axis=0)  # (L, B)
    inputs = np.full((T, B), BLANK, dtype=np.int64)  # (T, B)
    inputs[steps, np.arange(B)] = data
    inputs[context] = DELIMITER
    targets = np.full((T, B), BLANK, dtype=np.int64)  # (T, B)
    targets[T - L :] = data
    mask = np.zeros((T, B), dtype=bool)  # (T, B)
    mask[T - L :] = True
    return TaskBatch(inputs, targets, mask)


def recall_vocab_size(num_keys: int, num_values: int) -> int:
    """V of :func:`associative_recall`: keys, values and the query marker."""
    K = check_int("recall_vocab_size", "num_keys", num_keys)
    return K + check_int("recall_vocab_size", "num_values", num_values) + 1


def associative_recall(
    num_pairs: int,
    batch_size: int,
    *,
    rng: np.random.Generator,
    num_keys: int = 32,
    num_values: int = 32,
) -> TaskBatch:
    """Associative recall: read key–value pairs, then a query key; answer the key's value.

    Sequence (T = 2 · num_pairs + 2): ``k_1 v_1 k_2 v_2 … k_n v_n ? q`` where the keys of one
    sequence are distinct, the values are drawn with replacement, ``?`` is the query marker and
    ``q`` is one of the n keys. Token ids: keys 0 … K - 1, values K … K + C - 1 (C = num_values),
    the marker K + C. The target is the value's class index in [0, C).

    Baselines: the answer is uniform over the C values, so any guess that ignores the sequence
    scores 1 / C ("chance", 3.1 % for C = 32); guessing one of the n values present scores about
    1 / n. Only a model that binds each value to its key does better.

    Args:
        num_pairs:  n, key–value pairs per sequence, in [1, num_keys]
        batch_size: B
        rng:        np.random.Generator
        num_keys:   K, the key alphabet
        num_values: C, the value alphabet (= the classes of the answer)

    Returns:
        TaskBatch with
            inputs:  (T, B) int64 token ids in [0, K + C + 1)
            targets: (B,) int64 value class in [0, C); its token id is K + target
            mask:    None (one answer per sequence, read after the last step)
    """
    where = "associative_recall"
    n = check_int(where, "num_pairs", num_pairs)
    B = check_int(where, "batch_size", batch_size)
    K = check_int(where, "num_keys", num_keys)
    C = check_int(where, "num_values", num_values)
    if n > K:
        raise ValueError(f"{where}: num_pairs={n} needs num_keys >= {n} distinct keys, got {K}")
    rng = check_rng(where, rng)
    keys = np.argsort(rng.random((K, B)), axis=0)[:n]  # (n, B) distinct keys per sequence
    values = rng.integers(0, C, size=(n, B))  # (n, B) value classes
    which = rng.integers(0, n, size=B)  # (B,) the queried pair
    cols = np.arange(B)
    T = 2 * n + 2
    inputs = np.empty((T, B), dtype=np.int64)  # (T, B)
    inputs[0 : 2 * n : 2] = keys
    inputs[1 : 2 * n : 2] = K + values
    inputs[-2] = K + C  # the query marker
    inputs[-1] = keys[which, cols]
    return TaskBatch(inputs, values[which, cols].astype(np.int64), None)
