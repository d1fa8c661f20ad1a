"""Public spec of the exercise "sequences": token ids and padded batches, time-major.

Four tasks on the data side of a recurrent model, before any layer:

- ``one_hot(tokens, V) -> x``: (T, B) token ids to (T, B, V) float64 one-hot vectors;
- ``next_token_batch(stream, T, B) -> (inputs, targets)``: a token stream cut into B consecutive
  chunks of T + 1 tokens, time-major, the targets the inputs shifted by one step;
- ``pad_batch(flat, lengths, pad) -> (tokens, mask)``: B sequences stored one after another in
  ``flat`` padded after their ends into a (T, B) array with T = max(lengths), and a bool mask;
- ``last_states(out, lengths) -> h_last``: the hidden state after each sequence's last real step,
  read from a padded (T, B, H) output (what a many-to-one model reads, and torch's ``h_n`` for a
  packed batch).

Every task runs through :func:`~course_rnn.grading.harness_sequences.sequences_harness`: each
output's dtype is checked, and an invalid input (an id out of range, a stream too short, lengths
that disagree with the tokens, a length out of range) must raise ``ValueError``. The references
are written here in a few lines of NumPy: the package has no function for these steps alone.

Book: "Sequences and recurrent models" (sections "What makes data a sequence", "Five input–output
patterns" and "Notation used in this book").
"""

import numpy as np

from course_rnn.grading.harness_sequences import sequences_harness
from course_rnn.grading.specs.hidden_state import tokens_from
from course_rnn.grading.tasks import Edge, Output, Task

#: The largest token id + 1 of the streams and padded batches (the ids' range does not matter).
VOCAB = 50


def _rule(error, *outputs, words=()):
    """The harness's ``rule``: the error expected ("" for none), (dtype, shape) per output, and
    the words of which the ValueError's message must contain one (none: any message)."""
    shapes = tuple((dtype, tuple(int(n) for n in shape)) for dtype, shape in outputs)
    return (error, shapes, tuple(words))


def _zeros_if_invalid(rule):
    """The expected outputs of an invalid case: zeros of the expected shapes (as the harness)."""
    kinds = {"f8": np.float64, "same": np.float64, "bool": np.bool_}
    return tuple(np.zeros(shape, kinds.get(dtype, np.int64)) for dtype, shape in rule[1])


# --- one_hot --------------------------------------------------------------------------------------


def _one_hot_inputs(fill, T, B, V, int32=0, bad=0):
    """(rule, tokens, V); ``bad`` = 1 puts the id -1 in, 2 the id V (both out of range)."""
    T, B, V = int(T), int(B), int(V)
    tokens = tokens_from(fill, (T, B), V)
    tokens = tokens[::-1] if T > 1 else tokens  # not sorted along time
    tokens = np.ascontiguousarray(tokens)
    error = ""
    if bad:
        t, b = T // 2, B - 1
        tokens[t, b] = -1 if bad == 1 else V
        error = f"token id {tokens[t, b]} at [{t}, {b}] with V = {V}"
    tokens = tokens.astype(np.int32) if int32 else tokens
    return (_rule(error, ("f8", (T, B, V))), tokens, V)


def _one_hot_reference(rule, tokens, V):
    if rule[0]:
        return _zeros_if_invalid(rule)
    return ((tokens[:, :, None] == np.arange(V)).astype(np.float64),)


# --- next_token_batch -----------------------------------------------------------------------------


def _stream_inputs(fill, T, B, extra=3, short=0, int32=0):
    """(rule, stream, T, B): a stream of B * T + 1 + extra ids; ``short`` = 1: B * T ids only."""
    T, B = int(T), int(B)
    N = B * T if short else B * T + 1 + int(extra)
    stream = tokens_from(fill, (N,), VOCAB)
    stream = np.ascontiguousarray(stream[:: -1 if N % 2 else 1])
    stream = stream.astype(np.int32) if int32 else stream
    error = f"a stream of {N} tokens with T = {T}, B = {B} (too short)" if short else ""
    words = ("stream", "token", "short", "need", "enough", "few", "long")
    return (_rule(error, ("int", (T, B)), ("int", (T, B)), words=words), stream, T, B)


def _stream_reference(rule, stream, T, B):
    if rule[0]:
        return _zeros_if_invalid(rule)
    chunks = stream[: B * T + 1].astype(np.int64)
    inputs = chunks[:-1].reshape(B, T).T  # (T, B): column b is chunk b
    targets = chunks[1:].reshape(B, T).T  # (T, B): one step later
    return inputs, targets


# --- pad_batch ------------------------------------------------------------------------------------


def _lengths(fill, B, T, zero=0, full=0):
    """(B,) int64 lengths in [1, T] (one of them T, not the first), or [0, T] with ``zero``."""
    if full:
        return np.full(B, T, dtype=np.int64)
    low = 0 if zero else 1
    drawn = np.floor(fill((B,), low, T + 0.999)).astype(np.int64)[::-1]
    lengths = np.clip(drawn, low, T)
    lengths[B // 2] = T  # the longest sets T
    if zero and B > 1:
        lengths[B - 1 if B // 2 != B - 1 else 0] = 0
    return np.ascontiguousarray(lengths)


def _pad_inputs(fill, B, T, pad=-1, zero=0, full=0, int32=0, bad=0):
    """(rule, flat, lengths, pad); ``bad`` = 1: one token more than the lengths add up to,
    2: one token fewer, 3: the last length -1 (B >= 2; the first is raised to keep the sum),
    4: no sequence at all (B = 0: empty ``lengths`` and ``flat``)."""
    B, T = int(B), int(T)
    if bad == 4:
        empty = np.zeros(0, dtype=np.int32 if int32 else np.int64)
        words = ("length", "sequence", "empty", "at least", "B = 0", "B=0")
        rule = _rule(
            "no sequence (lengths of size 0)", ("int", (T, 0)), ("bool", (T, 0)), words=words
        )
        return (rule, empty.copy(), np.zeros(0, dtype=np.int64), int(pad))
    lengths = _lengths(fill, B, T, zero, full)
    N = int(lengths.sum())
    flat = tokens_from(fill, (N + (bad == 1),), VOCAB)
    flat = flat[: N - 1] if bad == 2 else flat
    flat = flat.astype(np.int32) if int32 else flat
    error = f"{len(flat)} tokens but lengths that add up to {N}" if bad in (1, 2) else ""
    if bad == 3:
        lengths[0] += lengths[-1] + 1
        lengths[-1] = -1
        error = f"lengths[{B - 1}] = -1"
    return (_rule(error, ("int", (T, B)), ("bool", (T, B))), flat, lengths, int(pad))


def _pad_reference(rule, flat, lengths, pad):
    if rule[0]:
        return _zeros_if_invalid(rule)
    T, B = int(lengths.max()), len(lengths)
    mask = np.arange(T)[:, None] < lengths[None, :]  # (T, B)
    tokens = np.full((T, B), pad, dtype=np.int64)
    tokens.T[mask.T] = flat  # row-major over (B, T): sequence after sequence
    return tokens, mask


# --- last_states ----------------------------------------------------------------------------------


def _states_inputs(fill, T, B, H, full=0, f32=0, bad=0):
    """(rule, out, lengths); padded steps hold large values, so reading them shows.

    ``bad`` = 1 gives one sequence the length 0, 2 the length T + 1 (both out of range).
    """
    T, B, H = int(T), int(B), int(H)
    lengths = _lengths(fill, B, T, full=full)
    out = fill((T, B, H), -0.9, 0.8)
    is_pad = np.arange(T)[:, None] >= lengths[None, :]  # (T, B)
    out = np.where(is_pad[:, :, None], 7.0 + out, out)
    error = ""
    if bad:
        lengths[0] = 0 if bad == 1 else T + 1
        error = f"lengths[0] = {lengths[0]} with T = {T}"
    dtype = np.float32 if f32 else np.float64
    return (_rule(error, ("same", (B, H))), out.astype(dtype), lengths)


def _states_reference(rule, out, lengths):
    if rule[0]:
        return _zeros_if_invalid(rule)
    B = out.shape[1]
    return (out[lengths - 1, np.arange(B)].astype(np.float64),)


def sequences_task(**fields):
    """A Task of this exercise: through the harness of dtypes and invalid inputs."""
    return Task(**fields, harness=sequences_harness)


BAD_ID = "an id out of range (must raise ValueError)"

TASKS = (
    sequences_task(
        name="one_hot",
        params=("tokens", "V"),
        outputs=(
            Output(
                "x",
                "T B V",
                hint="x[t, b] has a single 1, at the position given by the id; question 2 of "
                "the task names two ways to build all of them at once (see NumPy's "
                "broadcasting, or indexing with an integer array).",
            ),
        ),
        build=_one_hot_inputs,
        reference=_one_hot_reference,
        public={"T": 4, "B": 3, "V": 5},
        edges=(
            Edge("T = 1 and B = 1", {"T": 1, "B": 1, "V": 4}),
            Edge("V = 1 (a single token)", {"T": 3, "B": 2, "V": 1}),
            Edge("tokens of dtype int32", {"T": 2, "B": 3, "V": 6, "int32": 1}),
            Edge(f"{BAD_ID}: -1", {"T": 3, "B": 2, "V": 4, "bad": 1}),
            Edge(f"{BAD_ID}: V", {"T": 3, "B": 2, "V": 4, "bad": 2}),
        ),
    ),
    sequences_task(
        name="next_token_batch",
        params=("stream", "T", "B"),
        outputs=(
            Output(
                "inputs",
                "T B",
                kind="index",
                hint="each column of inputs is one chunk of the stream, read along the time "
                "axis; answer question 2 of the task (which axis a reshape fills first).",
            ),
            Output(
                "targets",
                "T B",
                kind="index",
                hint="a target is what the model should predict next: compare each target "
                "with its input's position in the stream.",
            ),
        ),
        build=_stream_inputs,
        reference=_stream_reference,
        public={"T": 4, "B": 3},
        edges=(
            Edge("T = 1 (one step per chunk)", {"T": 1, "B": 4}),
            Edge("B = 1 (a single chunk)", {"T": 5, "B": 1}),
            Edge("exactly B * T + 1 tokens", {"T": 3, "B": 2, "extra": 0}),
            Edge("a stream of dtype int32", {"T": 2, "B": 3, "int32": 1}),
            Edge("a stream of B * T tokens (must raise ValueError)", {"T": 3, "B": 2, "short": 1}),
        ),
    ),
    sequences_task(
        name="pad_batch",
        params=("flat", "lengths", "pad"),
        outputs=(
            Output(
                "tokens",
                "T B",
                kind="index",
                hint="each sequence starts where the ones before it end in flat (question 1 of "
                "the task); it fills the top of its own column, padding the rest.",
            ),
            Output(
                "mask",
                "T B",
                kind="index",
                hint="the mask depends on the lengths alone, not on the tokens (question 2 "
                "of the task); it is True at the real steps.",
            ),
        ),
        build=_pad_inputs,
        reference=_pad_reference,
        public={"B": 4, "T": 5},
        edges=(
            Edge("B = 1 (a single sequence)", {"B": 1, "T": 3}),
            Edge("T = 1 (sequences of length 1)", {"B": 3, "T": 1}),
            Edge("every length equal (no padding)", {"B": 3, "T": 4, "full": 1}),
            Edge("a sequence of length 0", {"B": 4, "T": 3, "zero": 1}),
            Edge("pad = 0", {"B": 3, "T": 4, "pad": 0}),
            Edge("ids of dtype int32", {"B": 2, "T": 3, "int32": 1}),
            Edge(
                "one token more than the lengths add up to (must raise ValueError)",
                {"B": 3, "T": 4, "bad": 1},
            ),
            Edge("a negative length (must raise ValueError)", {"B": 3, "T": 4, "bad": 3}),
            Edge("no sequence, B = 0 (must raise ValueError)", {"B": 0, "T": 3, "bad": 4}),
        ),
    ),
    sequences_task(
        name="last_states",
        params=("out", "lengths"),
        outputs=(
            Output(
                "h_last",
                "B H",
                hint="the maths counts steps from 1, the array from 0 (question 1 of the task); "
                "read up on NumPy's indexing with integer arrays for question 2.",
            ),
        ),
        build=_states_inputs,
        reference=_states_reference,
        public={"T": 5, "B": 4, "H": 3},
        edges=(
            Edge("T = 1", {"T": 1, "B": 3, "H": 2}),
            Edge("B = 1 (a single sequence)", {"T": 4, "B": 1, "H": 3}),
            Edge("every length equal to T (no padding)", {"T": 3, "B": 3, "H": 2, "full": 1}),
            Edge("float32 states (keep the dtype)", {"T": 4, "B": 3, "H": 2, "f32": 1}),
            Edge("a length of 0 (must raise ValueError)", {"T": 4, "B": 3, "H": 2, "bad": 1}),
            Edge("a length of T + 1 (must raise ValueError)", {"T": 3, "B": 2, "H": 2, "bad": 2}),
        ),
    ),
)
