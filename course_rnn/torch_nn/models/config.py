"""The one configuration of every task model's sequence encoder: which cell, how big, which way.

``cell`` picks the encoder: a recurrent stack (``"rnn"``, ``"lstm"``, ``"gru"``) or a Transformer
stack (``"transformer"``). ``bidirectional`` means the same thing for all four: *each position may
use the whole sequence*. For a recurrent stack that is a second, right-to-left pass (Schuster &
Paliwal, 1997); for a Transformer it is full instead of causal self-attention. Models that predict
the future (language models, decoders) refuse it; see ``check_unidirectional``.

The recurrent layers run on ``torch.nn.RNN/LSTM/GRU`` by default (``backend="torch"``, fused and
fast; the course's own twins are tested equal to them). ``backend="course"`` builds the course's
``course_rnn.torch_nn`` twins instead, the same equations in readable Python loops (slower).
Book: chapters "Sentiment, phenomenon by phenomenon" and "RNNs and Transformers".
"""

from dataclasses import dataclass

CELLS = ("rnn", "lstm", "gru", "transformer")
BACKENDS = ("torch", "course")


@dataclass(frozen=True)
class EncoderConfig:
    """Sizes and kind of a sequence encoder (the part a task model puts under its head)."""

    cell: str = "lstm"  # "rnn" | "lstm" | "gru" | "transformer"
    hidden_size: int = 64  # H per direction (recurrent), or the model width E (transformer)
    num_layers: int = 1  # stacked recurrent layers, or Transformer blocks
    bidirectional: bool = False  # each step sees the whole sequence (see the module docstring)
    num_heads: int = 4  # NH (transformer only); must divide hidden_size
    ff_size: int | None = None  # feed-forward width (transformer only); None means 4E
    max_len: int = 512  # longest sequence (transformer only: positional encoding)
    positional: str = "sinusoidal"  # "sinusoidal" | "learned" (transformer only)
    nonlinearity: str = "tanh"  # "tanh" | "relu" (rnn only)
    dropout: float = 0.0  # between recurrent layers / on the Transformer's residual branches
    backend: str = "torch"  # recurrent layers: "torch" (torch.nn, fused) | "course" (the twins)

    def __post_init__(self):
        where = "EncoderConfig"
        if self.cell not in CELLS:
            raise ValueError(
                f'{where}: unknown cell {self.cell!r}; expected "rnn", "lstm", "gru" or '
                '"transformer"'
            )
        for name in ("hidden_size", "num_layers", "num_heads", "max_len"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{where}: {name} must be a positive int (> 0), got {value!r}")
        if self.cell == "transformer" and self.hidden_size % self.num_heads != 0:
            raise ValueError(
                f"{where}: hidden_size (E={self.hidden_size}) must be divisible by num_heads "
                f"(NH={self.num_heads}), E % NH == 0"
            )
        if self.ff_size is not None and (not isinstance(self.ff_size, int) or self.ff_size <= 0):
            raise ValueError(
                f"{where}: ff_size must be a positive int or None, got {self.ff_size!r}"
            )
        if not isinstance(self.bidirectional, bool):
            raise ValueError(
                f"{where}: bidirectional must be True or False, got {self.bidirectional!r}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"{where}: dropout must lie in [0, 1), got {self.dropout!r}")
        for name, allowed in (
            ("positional", ("sinusoidal", "learned")),
            ("nonlinearity", ("tanh", "relu")),
            ("backend", BACKENDS),
        ):
            if getattr(self, name) not in allowed:
                raise ValueError(
                    f"{where}: unknown {name} {getattr(self, name)!r}; expected one of {allowed}"
                )

    @property
    def is_transformer(self) -> bool:
        """True for the Transformer stack, False for the recurrent cells."""
        return self.cell == "transformer"


def check_unidirectional(config: EncoderConfig, model: str) -> None:
    """Refuse a bidirectional encoder in a model that predicts what comes next.

    Args:
        config: the encoder's configuration
        model:  the model's name, for the message (e.g. "CharLM", "Seq2Seq decoder")

    Raises:
        ValueError: explaining the leak of the future.
    """
    if config.bidirectional:
        how = (
            "full (non-causal) attention lets step t attend to steps t+1, t+2, ..."
            if config.is_transformer
            else "the backward direction reads the sequence from its end"
        )
        raise ValueError(
            f"{model}: bidirectional=True is not allowed for a model that predicts the next "
            f"token: {how}, so it reads the future tokens it is asked to predict (the target at "
            "step t is the input at step t+1). The loss would fall by copying that leak, and at "
            "generation time there is no future to read. Use bidirectional=False."
        )
