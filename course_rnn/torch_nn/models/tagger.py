"""Aligned many-to-many: one label per input step (part-of-speech, named entities).

The tagger scores every step from the encoder's output there. A unidirectional encoder has read
only the left context at step t; a bidirectional one (Schuster & Paliwal, 1997) has read the whole
sentence, which is what a tag decided by a later word needs (``course_rnn.data.make_tagging``).
Book: chapter "Bidirectional RNNs", section "When it pays: tags decided by a later word"; chapter
"A named-entity tagger".
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_rnn.shapes import check_shape
from course_rnn.torch_nn.models.config import EncoderConfig
from course_rnn.torch_nn.models.encoder import (
    InputLayer,
    SequenceEncoder,
    real_steps,
    split_inputs,
)
from course_rnn.training.batches import IGNORE_INDEX, Output


class SequenceTagger(nn.Module):
    """Encoder, then a linear layer at every step.

    Args:
        num_tags:   C
        vocab_size: V for token inputs (T, B) int64; or None with input_size
        input_size: D for float inputs (T, B, D); or None with vocab_size
        embed_dim:  token embedding width (default config.hidden_size)
        config:     EncoderConfig (bidirectional=True reads both sides of every step)

    Inputs: x or (x, lengths); targets (T, B) int64, IGNORE_INDEX (-100) on padding. Steps at or
    after ``lengths[b]`` never count in the loss, whatever their target.

    Book: chapter "A named-entity tagger", section "The tagger, one direction or two".
    """

    def __init__(
        self,
        num_tags: int,
        *,
        vocab_size: int | None = None,
        input_size: int | None = None,
        embed_dim: int | None = None,
        config: EncoderConfig | None = None,
    ):
        super().__init__()
        where = "SequenceTagger"
        if isinstance(num_tags, bool) or not isinstance(num_tags, int) or num_tags < 1:
            raise ValueError(f"{where}: num_tags must be a positive int, got {num_tags!r}")
        self.config = EncoderConfig() if config is None else config
        self.inputs = InputLayer(
            where, vocab_size=vocab_size, input_size=input_size, embed_dim=embed_dim,
            default_dim=self.config.hidden_size,
        )  # fmt: skip
        self.encoder = SequenceEncoder(self.inputs.output_size, self.config)
        self.head = nn.Linear(self.encoder.output_size, num_tags)

    def forward(self, inputs, targets: Tensor | None = None) -> Output:
        """Tag scores at every step.

        Args:
            inputs:  x (T, B) int64 / (T, B, D) float, or (x, lengths (B,))
            targets: (T, B) int64 in [0, C) or IGNORE_INDEX, or None

        Returns:
            Output(logits (T, B, C), loss: mean cross-entropy over the counted steps, or None)
        """
        x, lengths = split_inputs(inputs, "SequenceTagger")
        out, _ = self.encoder(self.inputs(x), lengths)  # (T, B, H·dirs)
        logits = self.head(out)  # (T, B, C)
        if targets is None:
            return Output(logits, None)
        T, B = x.shape[:2]
        check_shape(targets, "T B", name="targets", where="SequenceTagger", T=T, B=B)
        if lengths is not None:  # padding never counts, even with a real-looking target
            targets = torch.where(real_steps(lengths, T), targets, IGNORE_INDEX)  # (T, B)
        loss = F.cross_entropy(
            logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX
        )  # (T·B, C) against (T·B,)
        return Output(logits, loss)
