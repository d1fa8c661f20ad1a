"""What a character LSTM's units do: its gates and cells over a text, and the units that track
the text's structure.

:func:`lstm_activations` runs a CharLSTM (weights as :mod:`course_rnn.studies.char_lstm` stores
them) over one stream of characters with the NumPy twin and returns every gate and state at every
step. :func:`text_features` describes the same text character by character: whether the reader is
inside double quotes or parentheses, how far into the line it is, how deep the line is indented.
:func:`unit_correlations` measures, for every unit and every feature, the Pearson correlation over
the stream, and :func:`best_units` picks the unit that tracks each feature best. Run the same on an
untrained network and you have the control: what correlation a unit reaches by chance.
This is the measurement of Karpathy, Johnson & Fei-Fei (2015), Visualizing and understanding
recurrent networks, made quantitative on the pydoc corpus.

Book: chapter "Long short-term memory".
"""

from __future__ import annotations

import numpy as np

from course_rnn.numpy_nn import lstm_forward, sigmoid

#: the features of :func:`text_features`, in order
FEATURES = ("inside quotes", "inside parentheses", "position in line", "indentation")


def lstm_activations(weights: dict, ids) -> dict[str, np.ndarray]:
    """Every gate and state of a CharLSTM reading ``ids`` as one stream from a zero state.

    Args:
        weights: dict keyed like CharLSTM.state_dict() (float arrays), e.g. from load_weights
        ids:     (N,) int character ids

    Returns:
        dict with "i", "f", "g", "o", "c", "h", each (N, H) float64: row t is the value after
        reading ids[t] (the input, forget and output gates, the candidate, the cell and the
        hidden state of that step)
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer) or len(ids) == 0:
        raise ValueError(f"lstm_activations: ids expected a non-empty (N,) int array, got {ids!r}")
    w = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items() if k != "vocab"}
    params = {k.removeprefix("lstm."): v for k, v in w.items() if k.startswith("lstm.")}
    H = params["weight_hh_l0"].shape[1]
    x = w["embed.weight"][ids][:, None]  # (N, 1, D)
    h, _, _ = lstm_forward(x, params)  # (N, 1, H)
    h = h[:, 0]  # (N, H)
    h_prev = np.concatenate([np.zeros((1, H)), h[:-1]])  # (N, H) h_{t-1}
    a = x[:, 0] @ params["weight_ih_l0"].T + params["bias_ih_l0"]  # (N, 4H)
    a += h_prev @ params["weight_hh_l0"].T + params["bias_hh_l0"]  # blocks i, f, g, o
    i, f, o = (sigmoid(a[:, k * H : (k + 1) * H]) for k in (0, 1, 3))  # (N, H) each
    g = np.tanh(a[:, 2 * H : 3 * H])  # (N, H)
    c = np.empty_like(g)  # (N, H): c_t = f ⊙ c_{t-1} + i ⊙ g, from c_0 = 0
    c_prev = np.zeros(H)
    for t in range(len(ids)):
        c_prev = c[t] = f[t] * c_prev + i[t] * g[t]
    return {"i": i, "f": f, "g": g, "o": o, "c": c, "h": h}


def text_features(text: str) -> dict[str, np.ndarray]:
    """What a reader knows about the structure of ``text`` after each character.

    Args:
        text: N characters

    Returns:
        dict (keys as FEATURES) of (N,) float64 arrays; entry t describes the text up to and
        including character t:
            inside quotes:      1 between an opening and a closing double quote ("), else 0;
                                the count restarts at every blank line
            inside parentheses: 1 while more "(" than ")" have been read since the last blank
                                line, else 0
            position in line:   characters read since the last newline (0 right after it)
            indentation:        spaces read at the start of the current line so far
    """
    if not isinstance(text, str) or not text:
        raise ValueError(f"text_features: text expected a non-empty str, got {text!r}")
    quotes, parens, position, indent = (np.zeros(len(text)) for _ in FEATURES)
    inside, depth, column, spaces, leading = False, 0, 0, 0, True
    previous = ""
    for t, char in enumerate(text):
        if char == "\n":
            if previous == "\n":  # a blank line ends a paragraph: forget what is open
                inside, depth = False, 0
            column, spaces, leading = 0, 0, True
        else:
            column += 1
            if leading and char == " ":
                spaces += 1
            else:
                leading = False
        if char == '"':
            inside = not inside
        elif char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        quotes[t], parens[t], position[t], indent[t] = inside, depth > 0, column, spaces
        previous = char
    return dict(zip(FEATURES, (quotes, parens, position, indent), strict=True))


def unit_correlations(activations, features: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Pearson correlation of every unit with every feature over the stream.

    Args:
        activations: (N, H) float, e.g. ``lstm_activations(...)["c"]``
        features:    name -> (N,) float, e.g. ``text_features(text)``

    Returns:
        name -> (H,) float64 correlations in [−1, 1]; 0 for a unit or feature that is constant
    """
    acts = np.asarray(activations, dtype=np.float64)
    if acts.ndim != 2:
        raise ValueError(f"unit_correlations: activations expected (N, H), got {acts.shape}")
    centred = acts - acts.mean(axis=0)  # (N, H)
    scale = np.linalg.norm(centred, axis=0)  # (H,)
    result = {}
    for name, feature in features.items():
        feature = np.asarray(feature, dtype=np.float64)
        if feature.shape != (len(acts),):
            raise ValueError(
                f"unit_correlations: feature {name!r} expected shape ({len(acts)},), "
                f"got {feature.shape}"
            )
        y = feature - feature.mean()
        denominator = scale * np.linalg.norm(y)  # (H,)
        r = centred.T @ y  # (H,)
        result[name] = np.divide(r, denominator, out=np.zeros_like(r), where=denominator > 0)
    return result


def best_units(correlations: dict[str, np.ndarray]) -> dict[str, tuple[int, float]]:
    """For each feature, the unit with the largest |correlation| and that correlation (signed)."""
    best = {}
    for name, r in correlations.items():
        unit = int(np.argmax(np.abs(r)))
        best[name] = (unit, float(r[unit]))
    return best
