"""A smoothed n-gram language model over token ids: the count-based baseline of a neural LM.

An n-gram model makes the Markov assumption p(x_t | x_<t) ≈ p(x_t | x_{t-n+1} … x_{t-1}) and
estimates that conditional from counts in the training text. Raw counts give probability 0 to every
continuation never seen, so the counts are *smoothed*: interpolated Kneser–Ney (Kneser & Ney 1995;
Chen & Goodman 1999) subtracts a discount d_k from every count of order k and hands the freed mass
to the next shorter context, down to a uniform distribution over the V ids:

    p_k(w | c) = max(N_k(c w) - d_k, 0) / N_k(c ·)  +  d_k · types_k(c) / N_k(c ·) · p_{k-1}(w | c')

where c' drops the oldest id of c, N_k(c ·) sums the counts of context c and types_k(c) counts the
distinct ids seen after it. The highest order uses raw counts; lower orders use *continuation*
counts (in how many distinct contexts a shorter n-gram appears), which is what distinguishes
Kneser–Ney from plain absolute discounting. A context never seen falls back to p_{k-1} entirely.
Every distribution sums to 1 over the V ids (a test checks it), so the model can be evaluated in
bits like any other language model. The discounts are d_k = n1 / (n1 + 2 n2), from the numbers of
n-grams counted once and twice (Ney, Essen & Kneser 1994): nothing is tuned on held-out data.

Lookups are vectorised: an n-gram of ids is one int64 key (base V, :func:`ngram_keys`), and counts
are sorted key arrays searched with ``np.searchsorted``. Fitting the pydoc corpus (418 k ids) at
order 5 takes well under a second. NumPy only; no torch.

Book: chapter "Character language models", section "Baselines: n-grams and zlib".
"""

from dataclasses import dataclass

import numpy as np

from course_rnn.shapes import ShapeError

MAX_KEY = 2**62  # V ** order must stay below this for the int64 keys


@dataclass(frozen=True)
class _Order:
    """The tables of one order k (n-grams of k ids, contexts of k - 1 ids), sorted by key."""

    grams: np.ndarray  # (G,) int64 keys of the k-grams seen
    counts: np.ndarray  # (G,) float64 their (raw or continuation) counts
    contexts: np.ndarray  # (C,) int64 keys of the contexts seen (one key, 0, at k = 1)
    totals: np.ndarray  # (C,) float64 N_k(c ·), the summed counts of each context
    types: np.ndarray  # (C,) float64 types_k(c), the distinct ids seen after each context
    discount: float  # d_k in (0, 1)


@dataclass(frozen=True)
class NGramLM:
    """A fitted interpolated Kneser–Ney model; build it with :func:`fit_ngram`."""

    order: int  # n: the model conditions on the previous n - 1 ids
    vocab_size: int  # V: ids lie in [0, V)
    tables: tuple[_Order, ...]  # tables[k - 1] holds order k = 1 … n


def _check_ids(ids, V: int, where: str, name: str = "ids") -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
        raise ShapeError(f"{where}: {name} expected (N,) int, got shape {ids.shape} {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(
            f"{where}: {name} must lie in [0, V={V}), got range [{ids.min()}, {ids.max()}]"
        )
    return ids.astype(np.int64)


def ngram_keys(ids: np.ndarray, k: int, V: int) -> np.ndarray:
    """One int64 key per window of k consecutive ids: the window read as a base-V number.

    Args:
        ids: (N,) int ids in [0, V), N >= k - 1
        k:   window length, 0 <= k and V ** k < 2 ** 62
        V:   vocabulary size

    Returns:
        (N - k + 1,) int64; entry s encodes ids[s : s + k] (all 0 when k = 0). Equal windows give
        equal keys, so ``np.unique`` counts distinct n-grams.
    """
    keys = np.zeros(len(ids) - k + 1, dtype=np.int64)
    for j in range(k):
        keys = keys * V + ids[j : len(ids) - k + 1 + j]
    return keys


def _discount(counts: np.ndarray) -> float:
    """D = n1 / (n1 + 2 n2), kept inside (0, 1) for degenerate count profiles."""
    n1, n2 = np.sum(counts == 1), np.sum(counts == 2)
    discount = n1 / (n1 + 2 * n2) if n1 + n2 else 0.5
    return float(np.clip(discount, 0.05, 0.95))


def _order_tables(gram_keys: np.ndarray, counts: np.ndarray, V: int) -> _Order:
    """The context sums and type counts of one order, from its k-gram keys and counts."""
    contexts, inverse = np.unique(gram_keys // V, return_inverse=True)
    totals = np.bincount(inverse, weights=counts, minlength=len(contexts))
    types = np.bincount(inverse, minlength=len(contexts)).astype(np.float64)
    return _Order(gram_keys, counts, contexts, totals, types, _discount(counts))


def fit_ngram(ids, order: int, vocab_size: int) -> NGramLM:
    """Count the n-grams of a training sequence and return the smoothed model.

    Args:
        ids:        (N,) int token ids in [0, V), the training text, N >= order
        order:      n >= 1; the model conditions on the previous n - 1 ids
        vocab_size: V; ids never seen in training still get probability > 0

    Returns:
        NGramLM
    """
    where = "fit_ngram"
    if isinstance(order, bool) or not isinstance(order, int | np.integer) or order < 1:
        raise ValueError(f"{where}: order must be an int >= 1, got {order!r}")
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int | np.integer):
        raise ValueError(f"{where}: vocab_size must be an int >= 1, got {vocab_size!r}")
    V, n = int(vocab_size), int(order)
    if V < 1:
        raise ValueError(f"{where}: vocab_size must be an int >= 1, got {V}")
    if V**n >= MAX_KEY:
        raise ValueError(f"{where}: V ** order = {V}**{n} does not fit the int64 keys; lower order")
    ids = _check_ids(ids, V, where)
    if len(ids) < n:
        raise ValueError(f"{where}: ids has {len(ids)} items, fewer than order = {n}")

    grams, counts = np.unique(
        ngram_keys(ids, n, V), return_counts=True
    )  # highest order: raw counts
    tables = [_order_tables(grams, counts.astype(np.float64), V)]
    for k in range(n - 1, 0, -1):
        # continuation count of a k-gram: the distinct (k+1)-grams it ends (one per left neighbour)
        grams, counts = np.unique(tables[-1].grams % V**k, return_counts=True)
        tables.append(_order_tables(grams, counts.astype(np.float64), V))
    return NGramLM(n, V, tuple(reversed(tables)))


def _lookup(sorted_keys: np.ndarray, values: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """values[key] for each query, 0 where the key is absent."""
    idx = np.searchsorted(sorted_keys, queries)
    idx_clipped = np.minimum(idx, len(sorted_keys) - 1)
    found = (idx < len(sorted_keys)) & (sorted_keys[idx_clipped] == queries)
    return np.where(found, values[idx_clipped], 0.0)


def _probabilities(model: NGramLM, context_keys: list[np.ndarray], targets: np.ndarray):
    """p_n(target | context) for a batch; context_keys[k - 1] holds the order-k context keys."""
    V = model.vocab_size
    p = np.full(targets.shape, 1.0 / V)  # p_0: uniform over the V ids
    for table, ctx in zip(model.tables, context_keys, strict=True):
        total = _lookup(table.contexts, table.totals, ctx)
        types = _lookup(table.contexts, table.types, ctx)
        count = _lookup(table.grams, table.counts, ctx * V + targets)
        seen = total > 0
        safe = np.where(seen, total, 1.0)
        interpolated = (np.maximum(count - table.discount, 0.0) + table.discount * types * p) / safe
        p = np.where(seen, interpolated, p)  # an unseen context hands everything to p_{k-1}
    return p


def next_token_probs(model: NGramLM, context) -> np.ndarray:
    """The model's distribution of the next id after a context.

    Args:
        model:   NGramLM
        context: (M,) int ids, M >= 0; only the last n - 1 are used

    Returns:
        (V,) float64, summing to 1
    """
    V = model.vocab_size
    context = _check_ids(context, V, "next_token_probs", "context")
    context = context[len(context) - min(model.order - 1, len(context)) :]  # the last n - 1 ids
    targets = np.arange(V)  # (V,) every candidate
    context_keys = []
    for k in range(1, model.order + 1):
        if k - 1 > len(context):  # too short a context for this order: -1 is no key, skipped
            key = -1
        else:
            key = ngram_keys(context[len(context) - (k - 1) :], k - 1, V)[0]
        context_keys.append(np.full(V, key, dtype=np.int64))
    return _probabilities(model, context_keys, targets)


def ngram_log2_probs(model: NGramLM, ids) -> np.ndarray:
    """log2 p(ids[t] | up to n - 1 previous ids) for every t >= 1 of a sequence.

    Position t uses the ids[max(0, t - n + 1) : t] before it, so the first n - 2 positions use
    shorter contexts; ids[0] has no context and is not scored (as in an RNN that reads it first).

    Args:
        model: NGramLM
        ids:   (N,) int ids in [0, V), N >= 2

    Returns:
        (N - 1,) float64, the log2-probability of ids[1], …, ids[N - 1]
    """
    V = model.vocab_size
    ids = _check_ids(ids, V, "ngram_log2_probs")
    if len(ids) < 2:
        raise ValueError(f"ngram_log2_probs: ids has {len(ids)} items, need at least 2")
    t = np.arange(1, len(ids))  # (N - 1,) scored positions
    context_keys = []
    for k in range(1, model.order + 1):
        ctx = np.full(len(t), -1, dtype=np.int64)  # -1 is no key: the order is skipped
        if k == 1:
            ctx[:] = 0
        else:
            keys = ngram_keys(ids[:-1], k - 1, V)  # keys[s] covers ids[s : s + k - 1]
            ok = t >= k - 1
            ctx[ok] = keys[t[ok] - (k - 1)]
        context_keys.append(ctx)
    return np.log2(_probabilities(model, context_keys, ids[1:]))


def ngram_bits_per_char(model: NGramLM, ids) -> float:
    """Mean bits per scored position, -mean(log2 p), over ids[1:] (see :func:`ngram_log2_probs`)."""
    return float(-np.mean(ngram_log2_probs(model, ids)))
