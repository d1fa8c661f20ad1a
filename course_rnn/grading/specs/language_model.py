"""Public spec of the exercise "language_model": a character model, from loss to samples.

Six tasks: softmax with a temperature and inverse-CDF sampling from given uniforms (so the same
uniforms always pick the same tokens); the smoothed bigram baseline, in bits per character; the
loss and all gradients of the whole character model (embedding → RNN → output layer → masked
cross-entropy); sampling a sequence from the model; and an end-to-end task, training the model.

The end-to-end task is judged by what it achieves, not by equality: the grader trains nothing
itself, it evaluates the parameters the student's ``train_char_model`` returns on held-out text
of a made-up language that the function never saw (hidden cases draw new languages from the
secret seed), and passes them when their bits per character lie at least :data:`MARGIN` bits
below the smoothed bigram baseline on the same text: the model must remember more than the
previous character.

Book: "Character language models" (sampling, temperature, the n-gram baseline, training).
References: the package's NumPy layers, called in the trusted process.
"""

import math

import numpy as np

from course_rnn.grading.harness import (
    char_rnn_loss_harness,
    sample_sequence_harness,
    train_char_model_harness,
)
from course_rnn.grading.specs.bptt import padding_mask
from course_rnn.grading.specs.hidden_state import tokens_from, torch_keys
from course_rnn.grading.tasks import Edge, Judge, Output, Task, Withheld

#: The character model's parameters, in the order the harnesses pass them.
KEYS = ("E", "W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_y")
N_TRAIN, N_TEST = 16_000, 4_000  # characters of training and held-out text per case
WINDOW = 32  # the held-out text is read in windows of WINDOW + 1 characters, each from h0 = 0
MARGIN = 0.5  # bits per character below the bigram baseline needed to pass
STEPS = 300  # the training steps the grader asks for
MAX_SIZE = 256  # the largest H and D accepted (bounds the grader's evaluation)
ALPHA = 0.1  # the bigram baseline's smoothing


# --- softmax with a temperature, sampling -------------------------------------------------------


def _softmax_inputs(fill, B, V, temperature, scale=1.0):
    return fill((B, V), -2.0, 1.5) * scale, float(temperature)


def _softmax_reference(logits, temperature):
    from course_rnn.numpy_nn.functional import softmax

    return (softmax(logits / temperature, axis=-1),)


def _sample_inputs(fill, B, V, temperature, scale=1.0, top=0):
    """(logits, temperature, u); ``top`` = 1: equal logits in every row and u = 1 - 2**-53 in
    every other row, so the cumulative sum ends a hair below u (for V = 19, 23, 27, 37, ...)."""
    logits, temperature = _softmax_inputs(fill, B, V, temperature, scale)
    u = fill((B,), 0.03, 0.97)
    if top:
        logits = np.zeros((B, V)) + fill((B, 1), -1.0, 1.0)  # one value per row
        u[::2] = np.nextafter(1.0, 0.0)
    return logits, temperature, u


def _sample_reference(logits, temperature, u):
    (probs,) = _softmax_reference(logits, temperature)
    cdf = np.cumsum(probs, axis=-1)  # (B, V)
    ids = (cdf <= u[:, None]).sum(axis=-1)  # (B,) the smallest i with u < cdf[i]
    return (np.minimum(ids, cdf.shape[-1] - 1).astype(np.int64),)  # rounding: cdf[-1] may be < u


# --- the bigram baseline -------------------------------------------------------------------------


def _bigram_inputs(fill, N, M, V, alpha, same=0):
    """(train (N,), test (M,), V, alpha): linspace gives runs of one id in training, so many
    repeated pairs, and a reversed test text, so pairs never seen in training."""
    ids = tokens_from(fill, (N,), V)
    train = np.concatenate([ids[::2], ids[1::2]])  # linspace: rows and columns differ in counts
    if same:
        train[:] = V - 1
    else:  # first and last ids differ, so counts of pairs by row and by column differ
        train[-1] = (train[0] + 1) % V
    test = tokens_from(fill, (M,), V)[::-1].copy()
    return train, test, int(V), float(alpha)


def bigram_bits(train, test, V, alpha):
    """Bits per character of the add-alpha smoothed bigram model of ``train`` on ``test``."""
    counts = np.full((V, V), float(alpha))  # (V, V) counts[a, b]: pair a then b
    np.add.at(counts, (train[:-1], train[1:]), 1.0)
    probs = counts / counts.sum(axis=1, keepdims=True)  # each row a distribution over next ids
    return float(-np.mean(np.log2(probs[test[:-1], test[1:]])))


def _bigram_reference(train, test, V, alpha):
    return (bigram_bits(train, test, V, alpha),)


# --- the whole model: loss and gradients, sampling -----------------------------------------------


def _model_params(fill, V, D, H, scale=1.0, memory=1.0):
    """The seven parameters, in the order of KEYS; ``scale`` multiplies W_hy, ``memory`` W_hh."""
    return (
        fill((V, D), -1.0, 1.0),
        fill((H, D), -0.5, 0.6),
        fill((H, H), -0.4, 0.5) * memory,
        fill((H,), -0.2, 0.2),
        fill((H,), 0.1, -0.3),
        fill((V, H), -0.8, 0.7) * scale,
        fill((V,), -0.3, 0.3),
    )


def _loss_inputs(fill, T, B, V, D, H, full=0, same=0):
    """(tokens, targets, mask, h0, *params) for char_rnn_loss_harness."""
    tokens = tokens_from(fill, (T, B), V)
    if same:
        tokens[:] = V - 1
    targets = tokens_from(fill, (T, B), V)[::-1].copy()
    mask = np.ones((T, B), bool) if full else padding_mask(T, B)
    h0 = fill((B, H), -0.5, 0.5)
    return (tokens, targets, mask, h0, *_model_params(fill, V, D, H))


def model_loss(params, tokens, targets, mask, h0, *, backward=True):
    """The character model's loss, its gradients (dict keyed like params) and h_n (trusted)."""
    from course_rnn.numpy_nn.functional import softmax_cross_entropy
    from course_rnn.numpy_nn.layers import (
        embedding_backward,
        embedding_forward,
        temporal_affine_backward,
        temporal_affine_forward,
    )
    from course_rnn.numpy_nn.rnn import rnn_backward, rnn_forward

    E, W_ih, W_hh, b_ih, b_hh, W_hy, b_y = (params[k] for k in KEYS)
    x, _ = embedding_forward(tokens, E)  # (T, B, D)
    h, h_n, rnn_cache = rnn_forward(x, torch_keys(W_ih, W_hh, b_ih, b_hh), h0[None])
    o, affine_cache = temporal_affine_forward(h, W_hy, b_y)  # (T, B, V)
    L, do = softmax_cross_entropy(o, targets, mask)
    if not backward:
        return L, None, h_n[0]
    dout, dW_hy, db_y = temporal_affine_backward(do, affine_cache)  # dout (T, B, H)
    dx, _, d = rnn_backward(dout, None, rnn_cache)
    dE = embedding_backward(dx, tokens, E.shape[0])
    grads = {
        "E": dE,
        "W_ih": d["weight_ih_l0"],
        "W_hh": d["weight_hh_l0"],
        "b_ih": d["bias_ih_l0"],
        "b_hh": d["bias_hh_l0"],
        "W_hy": dW_hy,
        "b_y": db_y,
    }
    return L, grads, h_n[0]


def _loss_reference(tokens, targets, mask, h0, *params):
    L, grads, h_n = model_loss(dict(zip(KEYS, params, strict=True)), tokens, targets, mask, h0)
    return (L, h_n, *(grads[k] for k in KEYS))


def _sequence_inputs(fill, N, B, V, D, H, temperature):
    """(first, u, temperature, *params) for sample_sequence_harness."""
    first = tokens_from(fill, (B,), V)
    u = fill((N, B), 0.05, 0.95)
    # a strong W_hy and W_hh: every sampled token depends on the whole state carried so far
    return (first, u, float(temperature), *_model_params(fill, V, D, H, scale=3.0, memory=3.0))


def _sequence_reference(first, u, temperature, *params):
    from course_rnn.numpy_nn.rnn import rnn_step_forward

    E, W_ih, W_hh, b_ih, b_hh, W_hy, b_y = params
    N, B = u.shape
    h = np.zeros((B, W_hh.shape[0]))  # (B, H) h_0
    token = first
    ids = np.empty((N, B), dtype=np.int64)
    for t in range(N):
        h, _ = rnn_step_forward(E[token], h, W_ih, W_hh, b_ih, b_hh)  # read token, then predict
        (token,) = _sample_reference(h @ W_hy.T + b_y, temperature, u[t])
        ids[t] = token
    return (ids,)


# --- the end-to-end task: train a character model -------------------------------------------------


def made_up_tokens(rng, n, V, K):
    """Token ids of a made-up language: K random words over V - 1 letters, drawn with Zipf
    frequencies (the k-th most common word with probability proportional to 1/k), separated by
    the space, id 0. Words are 2 to 6 letters long, so the next letter depends on the word
    begun, not only on the previous letter.

    Args:
        rng: the generator (the secret seed's, for hidden cases)
        n:   number of ids
        V:   alphabet size, space included (2 to 27)
        K:   number of words in the lexicon

    Returns:
        (n,) int64 ids in [0, V)
    """
    lengths = rng.integers(2, 7, size=K)
    words = [rng.integers(1, V, size=length) for length in lengths]
    zipf = 1.0 / np.arange(1, K + 1)
    picks = rng.choice(K, size=n // 2 + 1, p=zipf / zipf.sum())  # enough words for n ids
    text = np.concatenate([np.append(words[k], 0) for k in picks])
    return text[:n].astype(np.int64)


def made_up_text(n, seed, V=16, K=30):
    """The made-up language as a string: ``" "`` for id 0, then ``"a"``, ``"b"``, ... (V <= 27).

    Returns:
        (text, alphabet): ``alphabet[i]`` is the character of id i.
    """
    if not 2 <= V <= 27:
        raise ValueError(f"made_up_text: V must lie in [2, 27], got {V}")
    alphabet = " " + "".join(chr(ord("a") + i) for i in range(V - 1))
    ids = made_up_tokens(np.random.default_rng(seed), n, V, K)
    return "".join(alphabet[i] for i in ids), alphabet


def heldout_bits(params, test):
    """Bits per character on ``test``, read in windows of WINDOW + 1 ids, each from h0 = 0."""
    n = (len(test) - 1) // WINDOW
    tokens = test[: n * WINDOW].reshape(n, WINDOW).T  # (T, n) window k in column k
    targets = test[1 : n * WINDOW + 1].reshape(n, WINDOW).T  # (T, n) the next ids
    H = params["W_hh"].shape[0]
    L, _, _ = model_loss(
        params, tokens, targets, np.ones(tokens.shape, bool), np.zeros((n, H)), backward=False
    )
    return L / math.log(2)


def train_reference(tokens, V, steps, seed, *, H=64, D=16, T=32, B=32, lr=1e-2, max_norm=5.0):
    """A trusted solution of the end-to-end task: random windows from h0 = 0, clipping, Adam."""
    from course_rnn.numpy_nn.optim import Adam, clip_grad_norm

    rng = np.random.default_rng(seed)
    bound = 1 / math.sqrt(H)  # torch's U(-1/sqrt(H), 1/sqrt(H))
    params = {
        "E": rng.normal(size=(V, D)),
        "W_ih": rng.uniform(-bound, bound, (H, D)),
        "W_hh": rng.uniform(-bound, bound, (H, H)),
        "b_ih": np.zeros(H),
        "b_hh": np.zeros(H),
        "W_hy": rng.uniform(-bound, bound, (V, H)),
        "b_y": np.zeros(V),
    }
    optimizer = Adam(params, lr=lr)
    mask, h0 = np.ones((T, B), bool), np.zeros((B, H))
    for _ in range(steps):
        starts = rng.integers(0, len(tokens) - T, size=B)  # (B,)
        window = tokens[starts[:, None] + np.arange(T + 1)].T  # (T + 1, B)
        _, grads, _ = model_loss(params, window[:-1], window[1:], mask, h0)
        clip_grad_norm(grads, max_norm)
        optimizer.step(grads)
    return params


def _train_inputs(fill, V, K, steps=STEPS):
    """Withheld((train ids, V, steps, seed), (held-out ids, threshold, bigram, unigram))."""
    data_seed, model_seed = (int(s) for s in fill((2,), 0.0, 2.0**31 - 1))
    ids = made_up_tokens(np.random.default_rng(data_seed), N_TRAIN + N_TEST, int(V), int(K))
    train, test = ids[:N_TRAIN], ids[N_TRAIN:]
    bigram = bigram_bits(train, test, int(V), ALPHA)
    counts = np.bincount(train, minlength=int(V)) + ALPHA
    unigram = float(-np.mean(np.log2(counts[test] / counts.sum())))
    args = (train, int(V), int(steps), model_seed % 2**16)
    return Withheld(args, (test, bigram - MARGIN, bigram, unigram))


def _train_reference(tokens, V, steps, seed):
    """The Task's reference: never called to grade (a judged task's build returns Withheld)."""
    return (train_reference(tokens, V, steps, seed),)


def _model_form(value, dims):
    """(params as float64 arrays, None), or (None, what is wrong with the returned params)."""
    if not isinstance(value, dict):
        return None, f"params is a {type(value).__name__}; expected a dict of arrays"
    V = int(dims["V"])
    params = {}
    for k in KEYS:
        a = value.get(k)
        if not (isinstance(a, np.ndarray) and a.dtype.kind == "f"):
            return None, f'params["{k}"] is not a float NumPy array'
        if not np.isfinite(a).all():
            return None, f'params["{k}"] has NaN or infinite entries'
        params[k] = a.astype(np.float64)
    if params["E"].ndim != 2 or params["W_hh"].ndim != 2:
        return None, 'params["E"] must be (V, D) and params["W_hh"] (H, H)'
    D, H = params["E"].shape[1], params["W_hh"].shape[0]
    shapes = {"E": (V, D), "W_ih": (H, D), "W_hh": (H, H), "b_ih": (H,), "b_hh": (H,)}
    shapes |= {"W_hy": (V, H), "b_y": (V,)}
    for k, shape in shapes.items():
        if params[k].shape != shape:
            return None, (
                f'params["{k}"] has shape {params[k].shape}; expected {shape} '
                f"(V = {V}, D = {D} from E, H = {H} from W_hh)"
            )
    if max(H, D) > MAX_SIZE:
        return None, f"H = {H} and D = {D}: at most {MAX_SIZE} each"
    return params, None


def _model_grade(params, withheld):
    """(passed, what the model achieved against what was needed)."""
    test, threshold, bigram, unigram = withheld
    bits = heldout_bits(params, test)
    text = (
        f"{bits:.2f} bits per character on held-out text; at most {threshold:.2f} needed, "
        f"the bigram baseline {bigram:.2f} minus {MARGIN} (unigram: {unigram:.2f})"
    )
    return bits <= threshold, text


TASKS = (
    Task(
        name="softmax_with_temperature",
        params=("logits", "temperature"),
        outputs=(
            Output(
                "probs",
                "B V",
                hint="softmax(logits / temperature) over the last axis (the vocabulary); "
                "subtract each row's maximum before np.exp so large logits cannot overflow.",
            ),
        ),
        build=_softmax_inputs,
        reference=_softmax_reference,
        public={"B": 2, "V": 5, "temperature": 0.5},
        edges=(
            Edge("temperature = 1 (the plain softmax)", {"B": 3, "V": 4, "temperature": 1.0}),
            Edge("logits near ±1000", {"B": 2, "V": 6, "temperature": 0.7, "scale": 600}),
            Edge("V = 1 (a single token)", {"B": 3, "V": 1, "temperature": 0.8}),
        ),
    ),
    Task(
        name="sample_tokens",
        params=("logits", "temperature", "u"),
        outputs=(
            Output(
                "ids",
                "B",
                kind="index",
                hint="ids[b] is the smallest i with u[b] < cumsum(probs[b])[i], where probs is "
                "softmax_with_temperature(logits, temperature), and V - 1 when no such i exists; "
                "return integers.",
            ),
        ),
        build=_sample_inputs,
        reference=_sample_reference,
        public={"B": 5, "V": 6, "temperature": 0.8},
        edges=(
            Edge(
                "a low temperature (0.01) picks the argmax", {"B": 4, "V": 5, "temperature": 0.01}
            ),
            Edge("a high temperature (100)", {"B": 6, "V": 3, "temperature": 100.0}),
            Edge(
                "the cumulative sum ending a hair below u (27 equal logits, u = 1 - 2**-53)",
                {"B": 4, "V": 27, "temperature": 1.0, "top": 1},
            ),
            Edge("V = 1 (a single token)", {"B": 3, "V": 1, "temperature": 1.0}),
        ),
    ),
    Task(
        name="bigram_bits",
        params=("train", "test", "V", "alpha"),
        outputs=(
            Output(
                "bits",
                "",
                hint="count every pair (train[i], train[i + 1]) with np.add.at on a (V, V) array "
                "that starts at alpha, divide each row by its sum, and average -log2 of the "
                "probabilities of test's pairs (test[i], test[i + 1]).",
            ),
        ),
        build=_bigram_inputs,
        reference=_bigram_reference,
        public={"N": 10, "M": 6, "V": 3, "alpha": 0.5},
        edges=(
            Edge("V = 1 (a single token: 0 bits)", {"N": 5, "M": 4, "V": 1, "alpha": 0.5}),
            Edge("a small alpha (0.01)", {"N": 12, "M": 8, "V": 4, "alpha": 0.01}),
            Edge(
                "one repeated token in training",
                {"N": 8, "M": 6, "V": 3, "alpha": 1.0, "same": 1},
            ),
        ),
    ),
    Task(
        name="char_rnn_loss",
        params=("params", "tokens", "targets", "mask", "h0"),
        outputs=(
            Output("L", "", hint="L is the masked mean cross-entropy of the logits o."),
            Output("h_n", "B H", hint="h_n is the state after the last step, h[T - 1]."),
            *(
                Output(
                    f'grads["{k}"]',
                    shape,
                    "gradient",
                    "backward in the reverse order of the forward: softmax_cross_entropy gives "
                    "do, temporal_affine_backward gives dout (and dW_hy, db_y), rnn_backward "
                    "gives dx (dh_n = 0: no loss after the window), embedding_backward gives dE.",
                )
                for k, shape in zip(KEYS, ("V D", "H D", "H H", "H", "H", "V H", "V"), strict=True)
            ),
        ),
        build=_loss_inputs,
        reference=_loss_reference,
        public={"T": 4, "B": 3, "V": 5, "D": 2, "H": 3},
        edges=(
            Edge("no padding (mask all True)", {"T": 3, "B": 2, "V": 4, "D": 3, "H": 2, "full": 1}),
            Edge("T = 1", {"T": 1, "B": 2, "V": 3, "D": 2, "H": 4}),
            Edge(
                "B = 1 and one token at every step",
                {"T": 4, "B": 1, "V": 4, "D": 2, "H": 3, "same": 1},
            ),
        ),
        harness=char_rnn_loss_harness,
    ),
    Task(
        name="sample_sequence",
        params=("params", "first", "u", "temperature"),
        outputs=(
            Output(
                "ids",
                "N B",
                kind="index",
                hint="at each step read the current token (first, then the token just drawn) "
                "with one RNN step from the carried state, then draw the next token from that "
                "step's logits with sample_tokens(o, temperature, u[t]).",
            ),
        ),
        build=_sequence_inputs,
        reference=_sequence_reference,
        public={"N": 6, "B": 3, "V": 5, "D": 2, "H": 4, "temperature": 1.0},
        edges=(
            Edge("N = 1", {"N": 1, "B": 2, "V": 4, "D": 3, "H": 2, "temperature": 1.0}),
            Edge("B = 1", {"N": 5, "B": 1, "V": 6, "D": 2, "H": 3, "temperature": 0.7}),
            Edge(
                "a low temperature (0.01): the likeliest token at each step",
                {"N": 4, "B": 3, "V": 5, "D": 2, "H": 3, "temperature": 0.01},
            ),
        ),
        harness=sample_sequence_harness,
    ),
    Task(
        name="train_char_model",
        params=("tokens", "V", "steps", "seed"),
        outputs=(
            Output(
                "params",
                "",
                kind="judged",
                hint="train on random windows of T + 1 tokens read from h0 = 0 with your "
                "char_rnn_loss; clip the gradient norm (e.g. at 5) and update with Adam (lr "
                "about 1e-2) or SGD (lr about 1); H = 64, D = 16, T = 32, B = 32 reach about "
                "0.9 bits per character in 300 steps.",
                judge=Judge(form=_model_form, grade=_model_grade),
            ),
        ),
        build=_train_inputs,
        reference=_train_reference,
        public={"V": 16, "K": 30},
        harness=train_char_model_harness,
        timeout=15.0,
    ),
)
