"""When a bidirectional RNN pays and when it is illegal: the training runs of the chapter.

Two studies, each deterministic given its ``seed`` (one torch thread while it runs):

- :func:`train_tagger`: a unidirectional or a bidirectional ``SequenceTagger`` on the right-context
  tagging set of :func:`course_rnn.data.make_tagging`, scored on a fixed test set: accuracy on
  every word and on the *right-context* words (the ambiguous names, whose tag only a later cue
  decides; no left-to-right tagger can beat :func:`course_rnn.data.left_context_ceiling`, 1/2).
  :func:`padding_bug` then measures what the classic bug costs a trained bidirectional tagger:
  the backward direction run over the padded batch reversed *with* its padding, so that it reads
  pad tokens before the sentence.
- :func:`leak_study`: a character language model on the pydoc corpus with a unidirectional and a
  bidirectional GRU. The bidirectional one reads the character it is asked to predict (its
  backward direction has passed it), so its training loss falls near zero; asked to generate,
  where the future is not there yet, it writes garbage. Both are measured in bits per character.

Book: "Bidirectional RNNs", sections "When it pays: tags decided by a later word",
"When it is illegal: a language model that reads the answer" and "Batches of unequal length".
References: Schuster & Paliwal (1997), Bidirectional recurrent neural networks; Graves &
Schmidhuber (2005), Framewise phoneme classification with bidirectional LSTM.
"""

from __future__ import annotations

import functools
import math
import re

import numpy as np
import torch
from torch import Tensor, nn

from course_rnn.data import TAGS, char_corpus, make_tagging, random_windows
from course_rnn.torch_nn.models import EncoderConfig, SequenceTagger

N_TRAIN = 2_000  #: sentences in the fixed training pool of the tagger
N_TEST = 1_000  #: sentences in the fixed test set of the tagger
_TRAIN_SEED, _TEST_SEED = 41_000, 42_000  # the tagging pool and test set, fixed forever
SHORT = 8  #: the padding study uses the test sentences of at most this many words
LM_VAL_CHARS = 400  #: held-out characters scored as a generator must use the model (prefix only)
LM_CONTEXT = 100  #: at most this many previous characters are read to predict the next one
CELLS = ("rnn", "lstm", "gru")


@functools.cache
def tagging_sets():
    """The fixed training pool and test set of :func:`train_tagger` (TaggingData each)."""
    train = make_tagging(N_TRAIN, rng=np.random.default_rng(_TRAIN_SEED))
    test = make_tagging(N_TEST, rng=np.random.default_rng(_TEST_SEED))
    return train, test


def _check(where: str, name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where}: {name} must be an int >= {minimum}, got {value!r}")
    return value


def _seeds(seed: int) -> tuple[int, np.random.Generator]:
    """The run's two streams: a torch seed for the weights, a NumPy generator for the batches."""
    init_seed, data_seed = np.random.SeedSequence(seed).spawn(2)
    return int(init_seed.generate_state(1)[0]), np.random.default_rng(data_seed)


def _tensors(batch) -> tuple[Tensor, Tensor, Tensor]:
    """A TaggingBatch as torch tensors: ids (T, B), targets (T, B), lengths (B,)."""
    lengths = torch.from_numpy(batch.mask.sum(axis=0))  # (B,) int64
    return torch.from_numpy(batch.inputs), torch.from_numpy(batch.targets), lengths


@torch.no_grad()
def predict_tags(model: SequenceTagger, inputs: Tensor, lengths: Tensor | None) -> np.ndarray:
    """The tagger's most likely tag at every step.

    Args:
        model:   a SequenceTagger
        inputs:  (T, B) int64 word ids, padded at the end
        lengths: (B,) int64 real lengths; None runs the model as if every column had length T
                 (a bidirectional model's backward direction then starts on the padding)

    Returns:
        (T, B) int64 tag ids (meaningless at padded steps)
    """
    was_training = model.training
    model.eval()
    logits = model(inputs if lengths is None else (inputs, lengths)).logits  # (T, B, C)
    model.train(was_training)
    return logits.argmax(dim=-1).numpy()


def fit_tagger(
    cell: str = "gru",
    *,
    bidirectional: bool,
    seed: int,
    steps: int = 300,
    hidden_size: int = 32,
    embed_dim: int = 16,
    batch_size: int = 32,
    lr: float = 1e-2,
) -> tuple[SequenceTagger, dict]:
    """Train one tagger on the fixed pool and score it on the fixed test set.

    Args:
        cell:          "rnn" (tanh), "lstm" or "gru"
        bidirectional: a second, right-to-left pass (the output at each word is [forward; backward])
        seed:          int >= 0; fixes the initial weights and the order of the batches
        steps:         Adam updates, each on ``batch_size`` sentences drawn with replacement
        hidden_size:   H per direction
        embed_dim:     width of the word embedding
        batch_size:    B
        lr:            Adam's learning rate (the gradient norm is clipped at 1)

    Returns:
        model: the trained SequenceTagger (float32, eval mode)
        result: dict with the settings and ``accuracy`` (every test word), ``right_context``
            (the ambiguous names), ``other`` (every other word), ``loss_curve`` (the training loss
            every 25 updates)
    """
    where = "fit_tagger"
    if cell not in CELLS:
        raise ValueError(f"{where}: cell must be one of {list(CELLS)}, got {cell!r}")
    if not isinstance(bidirectional, bool):
        raise ValueError(f"{where}: bidirectional must be True or False, got {bidirectional!r}")
    for name, value in (("steps", steps), ("hidden_size", hidden_size),
                        ("embed_dim", embed_dim), ("batch_size", batch_size)):  # fmt: skip
        _check(where, name, value)
    _check(where, "seed", seed, minimum=0)
    train, test = tagging_sets()
    init_seed, rng = _seeds(seed)
    config = EncoderConfig(cell=cell, hidden_size=hidden_size, bidirectional=bidirectional)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(init_seed)
        model = SequenceTagger(
            len(TAGS), vocab_size=len(train.vocab), embed_dim=embed_dim, config=config
        )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    curve = []
    try:
        for step in range(steps):
            inputs, targets, lengths = _tensors(
                train.batch(rng.integers(0, len(train), batch_size))
            )
            loss = model((inputs, lengths), targets).loss
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            if step % 25 == 0 or step == steps - 1:
                curve.append([step, round(loss.item(), 6)])
        batch = test.batch()
        inputs, _, lengths = _tensors(batch)
        correct = predict_tags(model, inputs, lengths) == batch.targets  # (T, B)
    finally:
        torch.set_num_threads(threads)
    other = batch.mask & ~batch.right_context
    result = {
        "cell": cell, "bidirectional": bidirectional, "seed": seed, "steps": steps,
        "hidden_size": hidden_size, "embed_dim": embed_dim, "batch_size": batch_size, "lr": lr,
        "accuracy": float(correct[batch.mask].mean()),
        "right_context": float(correct[batch.right_context].mean()),
        "other": float(correct[other].mean()),
        "n_right_context": int(batch.right_context.sum()),
        "loss_curve": curve,
    }  # fmt: skip
    return model.eval(), result


def train_tagger(cell: str = "gru", **kwargs) -> dict:
    """:func:`fit_tagger`'s result without the model (what the experiment script stores)."""
    return fit_tagger(cell, **kwargs)[1]


def padding_bug(model: SequenceTagger, *, pads=(0, 5, 10, 20, 40)) -> dict:
    """A trained tagger on short test sentences padded by k steps, with and without lengths.

    Each short sentence (at most ``SHORT`` words) is padded by exactly k pad tokens, as it would be
    in a batch with a sentence k words longer (the sentences of one length form one batch). With
    its lengths the model reverses each sentence within its length (the fix); without them a
    bidirectional model's backward direction reverses the whole padded column and reads k pad
    tokens before the sentence (the bug, and what ``torch.nn.GRU(bidirectional=True)`` does with a
    padded batch that is not packed). At k = 0 the two are the same computation.

    Args:
        model: a trained SequenceTagger
        pads:  the numbers of pad steps k, each an int >= 0

    Returns:
        dict with ``pads`` and, per k, the accuracy on the right-context words of the short
        sentences with lengths (``fixed``) and without (``bug``); ``n_sentences``, ``n_words``
    """
    _, test = tagging_sets()
    by_length: dict[int, list[int]] = {}
    for i, sentence in enumerate(test.sentences):
        if len(sentence) <= SHORT:
            by_length.setdefault(len(sentence), []).append(i)
    fixed, bug = [], []
    for k in pads:
        _check("padding_bug", "pads", k, minimum=0)
        hits = {"fixed": 0, "bug": 0}
        for n, indices in sorted(by_length.items()):
            batch = test.batch(indices)  # (n, B): every sentence has n words
            inputs = np.zeros((n + k, len(indices)), dtype=np.int64)  # 0 = <pad>
            inputs[:n] = batch.inputs
            inputs = torch.from_numpy(inputs)  # (n + k, B)
            lengths = torch.full((len(indices),), n, dtype=torch.int64)
            for name, lens in (("fixed", lengths), ("bug", None)):
                tags = predict_tags(model, inputs, lens)[:n]  # (n, B)
                hits[name] += int((tags == batch.targets)[batch.right_context].sum())
        n_words = sum(int(test.right_context[i].sum()) for g in by_length.values() for i in g)
        fixed.append(hits["fixed"] / n_words)
        bug.append(hits["bug"] / n_words)
    n_sentences = sum(len(g) for g in by_length.values())
    return {"pads": list(pads), "fixed": fixed, "bug": bug, "n_sentences": n_sentences,
            "n_words": n_words}  # fmt: skip


class CharGRU(nn.Module):
    """Embedding, a one-layer GRU (one or two directions), a linear head: next-character scores.

    Unlike ``course_rnn.torch_nn.models.CharLM`` it accepts ``bidirectional=True``, so that the
    chapter can show what goes wrong.

    Args:
        vocab_size:    V
        bidirectional: add a right-to-left pass (its output at step t has read x_t ... x_T)
        embed_dim:     D, the width of the embedding
        hidden_size:   H per direction

    Inputs (T, B) int64 ids; returns logits (T, B, V).
    """

    def __init__(self, vocab_size: int, *, bidirectional: bool, embed_dim: int, hidden_size: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim)
        self.rnn = nn.GRU(embed_dim, hidden_size, bidirectional=bidirectional)
        self.head = nn.Linear(hidden_size * (2 if bidirectional else 1), vocab_size)

    def forward(self, ids: Tensor) -> Tensor:
        out, _ = self.rnn(self.embedding(ids))  # (T, B, H·dirs)
        return self.head(out)  # (T, B, V)


def _bits(logits: Tensor, targets: Tensor) -> float:
    """Mean cross-entropy in bits per character. logits (N, V), targets (N,)."""
    return float(nn.functional.cross_entropy(logits, targets)) / math.log(2)


@torch.no_grad()
def prefix_bits(model: CharGRU, ids: np.ndarray, *, context: int = LM_CONTEXT) -> float:
    """Bits per character when each symbol is predicted from the ones before it only.

    This is how a generator has to use the model: the next character is not there yet. Symbol
    ``ids[i]`` is scored from ``ids[max(0, i - context) : i]``, for every i >= 1.

    Args:
        model:   a CharGRU
        ids:     (N,) int64 a text
        context: the most previous symbols read

    Returns:
        float, mean bits per character over the N - 1 predicted symbols
    """
    model.eval()
    logits = [model(torch.from_numpy(ids[max(0, i - context) : i])[:, None])[-1, 0]
              for i in range(1, len(ids))]  # fmt: skip
    return _bits(torch.stack(logits), torch.from_numpy(ids[1:]))


@torch.no_grad()
def generate(model: CharGRU, prompt: np.ndarray, steps: int, *, seed: int) -> np.ndarray:
    """Sample ``steps`` characters after ``prompt``, each from the model's scores at the last step.

    The whole recent text (at most ``LM_CONTEXT`` symbols) is read again before every choice, so a
    bidirectional model's backward direction starts at the newest symbol: the future it was
    trained to read does not exist yet.

    Returns:
        (len(prompt) + steps,) int64
    """
    model.eval()
    generator = torch.Generator().manual_seed(seed)
    ids = [int(i) for i in prompt]
    for _ in range(steps):
        logits = model(torch.tensor(ids[-LM_CONTEXT:])[:, None])[-1, 0]  # (V,)
        ids.append(int(torch.multinomial(torch.softmax(logits, -1), 1, generator=generator)))
    return np.array(ids, dtype=np.int64)


def _known_words(text: str, words: frozenset) -> float:
    """The share of the runs of letters in ``text`` (2 or more) that are words of the corpus."""
    found = re.findall(r"[A-Za-z]{2,}", text)
    return float(np.mean([w in words for w in found])) if found else 0.0


@functools.cache
def _corpus():
    corpus = char_corpus()
    words = frozenset(re.findall(r"[A-Za-z]{2,}", corpus.text))
    return corpus, words


def leak_study(
    *,
    seed: int,
    steps: int = 400,
    hidden_size: int = 64,
    embed_dim: int = 32,
    T: int = 64,
    batch_size: int = 32,
    lr: float = 3e-3,
    sample_chars: int = 300,
) -> dict:
    """Train an honest (left-to-right) and a bidirectional character GRU, the same way, and compare.

    Both read random windows of the pydoc corpus's training part and predict the next character
    at every step (Adam, gradient norm clipped at 1). Measured for each, in bits per character:
    ``train_bits`` (mean loss of the last 50 updates), ``window_bits`` (the held-out text in
    windows of T, every step scored as in training: the bidirectional model sees the answer here
    too), ``prefix_bits`` (the first ``LM_VAL_CHARS`` held-out characters predicted from their
    past only, as generation must) and, for a sample of ``sample_chars`` characters generated after
    the prompt "The ", ``sample_bits`` (its bits per character under the honest model) and
    ``known_words`` (the share of its letter runs that are words of the corpus); the real
    held-out text's values are under ``reference``.

    Returns:
        dict with the settings, ``honest`` and ``bidirectional`` (the measures above and the
        ``sample`` text) and ``reference``
    """
    where = "leak_study"
    _check(where, "seed", seed, minimum=0)
    sizes = {"steps": steps, "hidden_size": hidden_size, "embed_dim": embed_dim, "T": T,
             "batch_size": batch_size, "sample_chars": sample_chars}  # fmt: skip
    for name, value in sizes.items():
        _check(where, name, value)
    corpus, words = _corpus()
    V = len(corpus.vocab)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    models, result = {}, {"seed": seed, **sizes, "lr": lr}
    try:
        for name, bidirectional in (("honest", False), ("bidirectional", True)):
            init_seed, rng = _seeds(seed)  # the same weights' seed and batches for both
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(init_seed)
                model = CharGRU(
                    V, bidirectional=bidirectional, embed_dim=embed_dim, hidden_size=hidden_size
                )
            optimizer = torch.optim.Adam(model.parameters(), lr=lr)
            losses = []
            for _ in range(steps):
                x, y = (
                    torch.from_numpy(a)
                    for a in random_windows(corpus.train, T, batch_size, rng=rng)
                )
                loss = nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                losses.append(loss.item() / math.log(2))
            models[name] = model.eval()
            n = (len(corpus.val) - 1) // T * T  # whole windows of the held-out text
            with torch.no_grad():
                x = torch.from_numpy(corpus.val[:n].reshape(-1, T).T.copy())  # (T, n / T)
                y = torch.from_numpy(corpus.val[1 : n + 1].reshape(-1, T).T.copy())
                window = _bits(model(x).flatten(0, 1), y.flatten())
            result[name] = {
                "train_bits": float(np.mean(losses[-50:])),
                "window_bits": window,
                "prefix_bits": prefix_bits(model, corpus.val[:LM_VAL_CHARS]),
            }
        prompt = corpus.vocab.encode("The ")
        for name, model in models.items():
            ids = generate(model, prompt, sample_chars, seed=seed)
            result[name]["sample"] = corpus.vocab.decode(ids)
            result[name]["sample_bits"] = _honest_bits(models["honest"], ids)
            result[name]["known_words"] = _known_words(
                corpus.vocab.decode(ids[len(prompt) :]), words
            )
        real = corpus.val[: len(prompt) + sample_chars]
        result["reference"] = {
            "sample_bits": _honest_bits(models["honest"], real),
            "known_words": _known_words(corpus.vocab.decode(real), words),
            "uniform_bits": math.log2(V),
        }
    finally:
        torch.set_num_threads(threads)
    return result


@torch.no_grad()
def _honest_bits(model: CharGRU, ids: np.ndarray) -> float:
    """Bits per character of a text under a left-to-right model, read in one pass."""
    x = torch.from_numpy(ids[:-1])[:, None]  # (N - 1, 1)
    return _bits(model(x)[:, 0], torch.from_numpy(ids[1:]))
