"""Known-wrong versions of the exercise "sequences" (see mutants.py for the Mutant type).

The classic mistakes of the data side: a one-hot array of integers (torch's ``one_hot`` returns
int64), an id out of range that wraps around or is not caught, a batch-major (B, T) array where
the course is time-major, chunks interleaved by a reshape in the wrong order, inputs and targets
shifted the wrong way, padding before the sequence, an inverted or float mask, lengths that
disagree with the tokens accepted silently, and a many-to-one read-out at step T - 1 (the
padding), one step too far, without the batch index, or in the wrong dtype.
"""

from mutants import Mutant

ONE_HOT = """def one_hot(tokens, V):
{check}    return {body}
"""
RANGE = (
    "    if tokens.size and (tokens.min() < 0 or tokens.max() >= V):\n"
    '        raise ValueError("one_hot: token id out of range")\n'
)
STREAM = """def next_token_batch(stream, T, B):
    if len(stream) < B * T + 1:
        raise ValueError("next_token_batch: stream too short")
    inputs = {inputs}
    targets = {targets}
    return inputs, targets
"""
STREAM_LOOP = """def next_token_batch(stream, T, B):
    inputs = np.zeros((T, B), dtype=np.int64)
    targets = np.zeros((T, B), dtype=np.int64)
    for b in range(B):
        for t in range(T):
            inputs[t, b] = stream[b * T + t]
            targets[t, b] = stream[b * T + t + 1]
    return inputs, targets
"""
PAD = """def pad_batch(flat, lengths, pad):
{check}    T, B = int(lengths.max()), len(lengths)
    tokens = np.full({shape}, pad, dtype=flat.dtype)
    start = 0
    for b, n in enumerate(lengths):
        tokens[{where}] = flat[start : start + n]
        start += n
    mask = {mask}
    return tokens, mask
"""
PAD_CHECK = (
    "    if np.any(lengths < 0) or lengths.sum() != len(flat):\n"
    '        raise ValueError("pad_batch: lengths disagree with flat")\n'
)
GOOD_PAD = {
    "check": PAD_CHECK,
    "shape": "(T, B)",
    "where": ":n, b",
    "mask": "np.arange(T)[:, None] < lengths[None, :]",
}
STATES = """def last_states(out, lengths):
    T, B, H = out.shape
{check}    return {body}
"""
STATES_CHECK = (
    "    if np.any(lengths < 1) or np.any(lengths > T):\n"
    '        raise ValueError("last_states: a length out of range")\n'
)
STATES_LOOP = """def last_states(out, lengths):
    T, B, H = out.shape
    if np.any(lengths < 1) or np.any(lengths > T):
        raise ValueError("last_states: a length out of range")
    h_last = np.zeros((B, H))
    for b in range(B):
        h_last[b] = out[lengths[b] - 1, b]
    return h_last
"""
GOOD_ONE_HOT = "(tokens[:, :, None] == np.arange(V)).astype(np.float64)"


def pad(**changes):
    return PAD.format(**{**GOOD_PAD, **changes})


SEQUENCES = (
    Mutant(
        "one_hot_of_integers",
        "sequences",
        "one_hot",
        ONE_HOT.format(check=RANGE, body="(tokens[:, :, None] == np.arange(V)).astype(np.int64)"),
        "shapes",
        "the output has dtype int64; expected float64",
    ),
    Mutant(
        "one_hot_batch_major",
        "sequences",
        "one_hot",
        ONE_HOT.format(check=RANGE, body="np.eye(V)[tokens.T]"),
        "shapes",
        "x has shape (3, 4, 5); expected (T, B, V) = (4, 3, 5) (the right sizes in another order",
    ),
    Mutant(
        "one_hot_negative_id_wraps",
        "sequences",
        "one_hot",
        ONE_HOT.format(check="", body="np.eye(V)[tokens]"),
        "edge cases",
        "token id -1 at [1, 1] with V = 4 must raise ValueError, but one_hot returned normally",
    ),
    Mutant(
        "one_hot_upper_bound_only",
        "sequences",
        "one_hot",
        ONE_HOT.format(
            check="    if tokens.max() >= V:\n        raise ValueError('id too large')\n",
            body=GOOD_ONE_HOT,
        ),
        "edge cases",
        "with an id out of range (must raise ValueError): -1: token id -1 at [1, 1] with V = 4 "
        "must raise ValueError, but one_hot returned normally",
    ),
    Mutant(
        "stream_chunks_interleaved",
        "sequences",
        "next_token_batch",
        STREAM.format(
            inputs="stream[: B * T].reshape(T, B)", targets="stream[1 : B * T + 1].reshape(T, B)"
        ),
        "values",
        "wrong: inputs, targets (right: none). inputs is wrong at",
    ),
    Mutant(
        "stream_batch_major",
        "sequences",
        "next_token_batch",
        STREAM.format(
            inputs="stream[: B * T].reshape(B, T)", targets="stream[1 : B * T + 1].reshape(B, T)"
        ),
        "shapes",
        "inputs has shape (3, 4); expected (T, B) = (4, 3) (the right sizes in another order",
    ),
    Mutant(
        "stream_shifted_the_wrong_way",
        "sequences",
        "next_token_batch",
        STREAM.format(
            inputs="stream[1 : B * T + 1].reshape(B, T).T",
            targets="stream[: B * T].reshape(B, T).T",
        ),
        "values",
        "it holds what targets should be: are the outputs in the right order?",
    ),
    Mutant(
        "stream_too_short_not_caught",
        "sequences",
        "next_token_batch",
        STREAM_LOOP,
        "edge cases",
        "(too short) must raise ValueError, but next_token_batch raised IndexError",
    ),
    Mutant(
        "pad_before_the_sequence",
        "sequences",
        "pad_batch",
        pad(
            where="T - n :, b",
            mask="np.arange(T)[:, None] >= (T - lengths)[None, :]",
        ),
        "values",
        "wrong: tokens, mask (right: none). tokens is wrong at",
    ),
    Mutant(
        "pad_mask_inverted",
        "sequences",
        "pad_batch",
        pad(mask="np.arange(T)[:, None] >= lengths[None, :]"),
        "values",
        "wrong: mask (right: tokens). mask is wrong at",
    ),
    Mutant(
        "pad_batch_major",
        "sequences",
        "pad_batch",
        pad(shape="(B, T)", where="b, :n", mask="np.arange(T)[None, :] < lengths[:, None]"),
        "shapes",
        "tokens has shape (4, 5); expected (T, B) = (5, 4) (the right sizes in another order",
    ),
    Mutant(
        "pad_mask_of_floats",
        "sequences",
        "pad_batch",
        pad(mask="(np.arange(T)[:, None] < lengths[None, :]).astype(float)"),
        "shapes",
        "output 2 has dtype float64; expected bool",
    ),
    Mutant(
        "pad_extra_token_ignored",
        "sequences",
        "pad_batch",
        pad(check=""),
        "edge cases",
        "10 tokens but lengths that add up to 9 must raise ValueError, but pad_batch returned",
    ),
    Mutant(
        "last_state_at_step_T",
        "sequences",
        "last_states",
        STATES.format(check=STATES_CHECK, body="out[-1]"),
        "values",
        "h_last is wrong at",
    ),
    Mutant(
        "last_state_one_step_late",
        "sequences",
        "last_states",
        STATES.format(check=STATES_CHECK, body="out[lengths, np.arange(B)]"),
        "shapes",
        "out of range on axis 0",
    ),
    Mutant(
        "last_state_without_batch_index",
        "sequences",
        "last_states",
        STATES.format(check=STATES_CHECK, body="out[lengths - 1]"),
        "shapes",
        "h_last has shape (4, 4, 3); expected (B, H) = (4, 3) (one axis too many",
    ),
    Mutant(
        "last_state_length_0_wraps",
        "sequences",
        "last_states",
        STATES.format(check="", body="out[lengths - 1, np.arange(B)]"),
        "edge cases",
        "lengths[0] = 0 with T = 4 must raise ValueError, but last_states returned normally",
    ),
    Mutant(
        "last_state_in_float64",
        "sequences",
        "last_states",
        STATES_LOOP,
        "edge cases",
        "with float32 states (keep the dtype): last_states: the output has dtype float64; "
        "expected float32",
    ),
)

SEQUENCES += (
    Mutant(
        "stream_reshape_without_check",
        "sequences",
        "next_token_batch",
        "def next_token_batch(stream, T, B):\n"
        "    chunks = stream[: B * T + 1]\n"
        "    return chunks[:-1].reshape(B, T).T, chunks[1:].reshape(B, T).T\n",
        "edge cases",
        "must raise a ValueError whose message says what is wrong; the message of "
        "next_token_batch's ValueError ('cannot reshape",
    ),
    Mutant(
        "stream_parameters_swapped",
        "sequences",
        "next_token_batch",
        STREAM.format(
            inputs="stream[: B * T].reshape(B, T).T",
            targets="stream[1 : B * T + 1].reshape(B, T).T",
        ).replace("(stream, T, B)", "(stream, B, T)"),
        "signature",
        "next_token_batch has the parameters (stream, B, T); the template's are (stream, T, B)",
    ),
    Mutant(
        "pad_batch_of_no_sequence_accepted",
        "sequences",
        "pad_batch",
        pad(),
        "edge cases",
        "with no sequence, B = 0 (must raise ValueError): no sequence (lengths of size 0) must "
        "raise a ValueError whose message says what is wrong",
    ),
    Mutant(
        "last_state_upper_bound_unchecked",
        "sequences",
        "last_states",
        STATES.format(
            check="    if np.any(lengths < 1):\n        raise ValueError('a length below 1')\n",
            body="out[lengths - 1, np.arange(B)]",
        ),
        "edge cases",
        "with a length of T + 1 (must raise ValueError): lengths[0] = 4 with T = 3 must raise "
        "ValueError, but last_states raised IndexError",
    ),
)
