"""Shifted many-to-many: a character language model that predicts the next symbol, and samples.

At step t the model has read x_0 … x_t and scores x_{t+1}; the targets are the inputs shifted by
one (``course_rnn.data.random_windows``). Its loss in bits per character is the chapter's
yardstick. ``bidirectional`` is refused: a right-to-left pass (or full attention) would read the
very symbol it is asked to predict (``config.check_unidirectional``).
Book: chapter "Character language models"; chapter "RNNs and Transformers" (the same model
with ``cell="transformer"``).
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_rnn.shapes import check_shape
from course_rnn.torch_nn.models.config import EncoderConfig, check_unidirectional
from course_rnn.torch_nn.models.encoder import (
    InputLayer,
    SequenceEncoder,
    real_steps,
    split_inputs,
)
from course_rnn.torch_nn.sampling import sample_next
from course_rnn.training.batches import IGNORE_INDEX, Output


class CharLM(nn.Module):
    """Embedding, a causal encoder (left-to-right recurrence or causal attention), a linear head.

    Args:
        vocab_size: V
        embed_dim:  embedding width (default config.hidden_size)
        config:     EncoderConfig; bidirectional=True raises ValueError (the leak of the future)

    Book: chapters "Character language models" and "Gated recurrent units".
    """

    def __init__(
        self, vocab_size: int, *, embed_dim: int | None = None, config: EncoderConfig | None = None
    ):
        super().__init__()
        self.config = EncoderConfig() if config is None else config
        check_unidirectional(self.config, "CharLM")
        self.inputs = InputLayer(
            "CharLM", vocab_size=vocab_size, input_size=None, embed_dim=embed_dim,
            default_dim=self.config.hidden_size,
        )  # fmt: skip
        self.encoder = SequenceEncoder(self.inputs.output_size, self.config)
        self.head = nn.Linear(self.encoder.output_size, vocab_size)
        self.vocab_size = vocab_size

    def forward(self, inputs, targets: Tensor | None = None) -> Output:
        """Next-symbol scores at every step.

        Args:
            inputs:  x (T, B) int64 ids, or (x, lengths (B,))
            targets: (T, B) int64 next ids (IGNORE_INDEX is skipped), or None

        Returns:
            Output(logits (T, B, V), loss: mean cross-entropy in nats, or None)
        """
        x, lengths = split_inputs(inputs, "CharLM")
        out, _ = self.encoder(self.inputs(x), lengths)  # (T, B, H)
        logits = self.head(out)  # (T, B, V)
        if targets is None:
            return Output(logits, None)
        T, B = x.shape
        check_shape(targets, "T B", name="targets", where="CharLM", T=T, B=B)
        if lengths is not None:
            targets = torch.where(real_steps(lengths, T), targets, IGNORE_INDEX)  # (T, B)
        loss = F.cross_entropy(
            logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX
        )  # (T·B, V) against (T·B,)
        return Output(logits, loss)

    @torch.no_grad()
    def sample(
        self,
        prompt: Tensor,
        steps: int,
        *,
        temperature: float = 1.0,
        top_k: int | None = None,
        greedy: bool = False,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Continue ``prompt`` by ``steps`` symbols, feeding each choice back in.

        A recurrent model reads the prompt once and then one symbol per step, carrying its state;
        a Transformer re-reads its last ``max_len`` symbols at every step.

        Args:
            prompt:      (T0, B) int64 ids, T0 >= 1 (one prompt per column)
            steps:       number of symbols to add, >= 0
            temperature: > 0, divides the logits (see ``sample_next``)
            top_k:       sample among the k most likely symbols only, or None
            greedy:      always take the most likely symbol (deterministic)
            generator:   torch.Generator for reproducible samples

        Returns:
            (T0 + steps, B) int64: the prompt, then the sampled symbols.
        """
        check_shape(prompt, "T B", name="prompt", where="CharLM.sample")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"CharLM.sample: steps must be an int >= 0, got {steps!r}")
        was_training = self.training
        self.eval()
        window = self.config.max_len if self.config.is_transformer else None
        ids = prompt
        out, state = self.encoder(self.inputs(prompt[-window:] if window else prompt))  # (T0, B, H)
        for _ in range(steps):
            logits = self.head(out[-1])  # (B, V) scores of the next symbol
            nxt = sample_next(
                logits, temperature=temperature, top_k=top_k, greedy=greedy, generator=generator
            )  # (B,)
            ids = torch.cat([ids, nxt[None]])  # (T + 1, B)
            if self.config.is_transformer:  # no state: re-read the window
                out, _ = self.encoder(self.inputs(ids[-window:]))  # (≤ max_len, B, E)
            else:  # one step, carrying the state
                out, state = self.encoder(self.inputs(nxt[None]), state=state)  # (1, B, H)
        self.train(was_training)
        return ids
