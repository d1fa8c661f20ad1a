"""Many-to-one: a whole sequence in, one class out (sentiment, associative recall, parity).

``SequenceClassifier`` reads the sequence with any encoder and classifies one summary vector: the
state at the last real step (forward direction; the backward direction's state at step 0), or the
mean over the real steps. ``BagOfWordsClassifier`` is the baseline that ignores word order, so a
chapter can show what order is worth. Both follow the course interface
``model(inputs, targets=None) -> Output(logits, loss)``.
Book: chapter "Sentiment, phenomenon by phenomenon", section "Five classifiers".
"""

import torch.nn.functional as F
from torch import Tensor, nn

from course_rnn.torch_nn.models.config import EncoderConfig
from course_rnn.torch_nn.models.encoder import (
    InputLayer,
    SequenceEncoder,
    real_steps,
    split_inputs,
)
from course_rnn.training.batches import IGNORE_INDEX, Output

POOLING = ("last", "mean")


def _check_classes(num_classes, where: str) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"{where}: num_classes must be a positive int, got {num_classes!r}")
    return num_classes


def _classification_output(logits: Tensor, targets: Tensor | None) -> Output:
    """Output(logits (B, C), mean cross-entropy over targets (B,) that are not IGNORE_INDEX)."""
    if targets is None:
        return Output(logits, None)
    return Output(logits, F.cross_entropy(logits, targets, ignore_index=IGNORE_INDEX))


class SequenceClassifier(nn.Module):
    """Encoder, then one linear layer on a summary of the sequence.

    Args:
        num_classes: C
        vocab_size:  V for token inputs (T, B) int64; or None with input_size
        input_size:  D for float inputs (T, B, D); or None with vocab_size
        embed_dim:   token embedding width (default config.hidden_size)
        config:      EncoderConfig (default EncoderConfig(): a 1-layer LSTM with H = 64)
        pooling:     "last": the state at the last real step (what the recurrence has read);
                     "mean": the mean of the outputs over the real steps

    Inputs: x or (x, lengths) (see ``encoder.split_inputs``); targets (B,) int64 class ids.

    Book: chapter "Sentiment, phenomenon by phenomenon".
    """

    def __init__(
        self,
        num_classes: int,
        *,
        vocab_size: int | None = None,
        input_size: int | None = None,
        embed_dim: int | None = None,
        config: EncoderConfig | None = None,
        pooling: str = "last",
    ):
        super().__init__()
        where = "SequenceClassifier"
        self.config = EncoderConfig() if config is None else config
        if pooling not in POOLING:
            raise ValueError(f'{where}: unknown pooling {pooling!r}; expected "last" or "mean"')
        self.pooling = pooling
        self.inputs = InputLayer(
            where, vocab_size=vocab_size, input_size=input_size, embed_dim=embed_dim,
            default_dim=self.config.hidden_size,
        )  # fmt: skip
        self.encoder = SequenceEncoder(self.inputs.output_size, self.config)
        self.head = nn.Linear(self.encoder.output_size, _check_classes(num_classes, where))

    def forward(self, inputs, targets: Tensor | None = None) -> Output:
        """Class scores of each sequence.

        Args:
            inputs:  x (T, B) int64 / (T, B, D) float, or (x, lengths (B,))
            targets: (B,) int64 in [0, C), or None

        Returns:
            Output(logits (B, C), loss: mean cross-entropy or None)
        """
        x, lengths = split_inputs(inputs, "SequenceClassifier")
        out, _ = self.encoder(self.inputs(x), lengths)  # (T, B, H·dirs)
        if self.pooling == "last":
            pooled = self.encoder.summary(out, lengths)  # (B, H·dirs)
        else:
            pooled = _masked_mean(out, lengths)  # (B, H·dirs)
        return _classification_output(self.head(pooled), targets)  # (B, C)


def _masked_mean(out: Tensor, lengths: Tensor | None) -> Tensor:
    """Mean over the real steps: (T, B, F) -> (B, F)."""
    if lengths is None:
        return out.mean(dim=0)
    real = real_steps(lengths, out.shape[0]).to(out.dtype)  # (T, B)
    return (out * real[..., None]).sum(dim=0) / lengths[:, None].to(out.dtype)  # (B, F)


class BagOfWordsClassifier(nn.Module):
    """The order-blind baseline: mean of the word embeddings, then a small MLP.

    Any permutation of a sentence's words gives the same logits, so this model cannot beat the
    bag-of-words ceiling of a data set (``course_rnn.data.bag_of_words_ceiling``).

    Args:
        vocab_size:  V
        num_classes: C
        embed_dim:   E
        hidden_size: width of the MLP's hidden layer

    Inputs: x (T, B) int64 or (x, lengths); targets (B,) int64.

    Book: chapter "Sentiment, phenomenon by phenomenon" (the baseline).
    """

    def __init__(
        self, vocab_size: int, num_classes: int, *, embed_dim: int = 64, hidden_size: int = 64
    ):
        super().__init__()
        where = "BagOfWordsClassifier"
        self.inputs = InputLayer(
            where, vocab_size=vocab_size, input_size=None, embed_dim=embed_dim, default_dim=0
        )
        self.mlp = nn.Sequential(
            nn.Linear(embed_dim, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, _check_classes(num_classes, where)),
        )

    def forward(self, inputs, targets: Tensor | None = None) -> Output:
        """Args and Returns: as ``SequenceClassifier.forward`` (token inputs only)."""
        x, lengths = split_inputs(inputs, "BagOfWordsClassifier")
        bag = _masked_mean(self.inputs(x), lengths)  # (B, E): word order is gone
        return _classification_output(self.mlp(bag), targets)  # (B, C)
