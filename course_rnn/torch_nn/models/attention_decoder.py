"""A recurrent encoder–decoder whose decoder reads the source through a fixed vector or attention.

One class, three decoders that differ only in the context vector c_t they read at step t:

- ``attention="none"`` (Cho et al., 2014): c_t = c, the encoder's summary (its state at the last
  real source step; both directions), the same at every step: the fixed-vector bottleneck.
- ``attention="additive"`` (Bahdanau, Cho & Bengio, 2015, appendix A.1.2): scores from the
  *previous* decoder state, e_{t,s} = tanh(q_{t-1} W_a^T + h_s U_a^T + b_a) v_a^T (the paper's
  v_a^T tanh(W_a s_{i-1} + U_a h_j) in the book's row-vector notation, with U_a's bias b_a), then
  α_{t,s} = softmax over the real source steps s, c_t = Σ_s α_{t,s} h_s, and the new state
  q_t = GRU([E[y_{t-1}]; c_t], q_{t-1}).
- ``attention="general"`` (Luong, Pham & Manning, 2015, eq. 8 "general"): the *new* state
  q_t = GRU([E[y_{t-1}]; c_{t-1}], q_{t-1}) (the previous context fed back: a simplified "input
  feeding", with c_0 = 0), then e_{t,s} = q_t W_a h_s^T, α and c_t as above.

Every variant predicts o_t = [q_t; c_t] W_hy^T + b_y and starts from q_0 = tanh(c W_init^T +
b_init). The decoder state is written q_t (it is the attention's query); h_s (s = 1..S) are the
encoder outputs, (S, B, C) with C = 2H for the bidirectional encoder. Padded source steps get a
score of -inf, so their weights are exactly 0. Targets close with an EOS id; the decoder's first
input is BOS = V, an extra id that is never predicted. ``step`` is the interface of
``course_rnn.torch_nn.decoding`` (greedy and beam search).

Differences from Bahdanau et al.: a GRU decoder without the maxout output layer, and
o_t from [q_t; c_t] (theirs also reads y_{t-1}). From Luong et al.: input feeding of c_{t-1}
instead of the attentional vector tanh(W_c [c_t; q_t]).
Book: chapter "Encoder–decoders and attention".
"""

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_rnn.shapes import check_shape
from course_rnn.torch_nn.attention import padding_mask
from course_rnn.torch_nn.models.config import EncoderConfig
from course_rnn.torch_nn.models.encoder import SequenceEncoder, split_inputs
from course_rnn.training.batches import IGNORE_INDEX, Output

ATTENTION = ("none", "additive", "general")


def masked_attention_weights(scores: Tensor, mask: Tensor | None) -> Tensor:
    """α = softmax of the scores over the real source steps; padded steps get exactly 0.

    Args:
        scores: (B, S) float e_{t,s} for one decoder step
        mask:   (B, S) bool, True on real source steps (every row has at least one), or None

    Returns:
        (B, S) weights, each row summing to 1
    """
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))  # exp(-inf) = 0: no weight on padding
    return torch.softmax(scores, dim=-1)


class AttentionSeq2Seq(nn.Module):
    """Bidirectional recurrent encoder, GRU decoder with a fixed or an attended context.

    Args:
        src_vocab_size: V_src (id 0 may be padding)
        tgt_vocab_size: V, target ids (EOS included); the decoder also reads BOS = V
        hidden_size:    H of each encoder direction and of the decoder
        embed_dim:      embedding width of both sides
        attention:      "none" | "additive" | "general" (module docstring)
        cell:           the encoder's cell ("rnn", "lstm" or "gru"); the decoder is a GRU

    Inputs: src (S, B) int64 or (src, lengths (B,)); targets (T, B) int64, IGNORE_INDEX on padding.

    Book: chapter "Encoder–decoders and attention".
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        *,
        hidden_size: int = 64,
        embed_dim: int = 32,
        attention: str = "additive",
        cell: str = "gru",
    ):
        super().__init__()
        where = "AttentionSeq2Seq"
        if attention not in ATTENTION:
            raise ValueError(
                f"{where}: unknown attention {attention!r}; expected one of {ATTENTION}"
            )
        for name, value in (("src_vocab_size", src_vocab_size), ("tgt_vocab_size", tgt_vocab_size),
                            ("hidden_size", hidden_size), ("embed_dim", embed_dim)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{where}: {name} must be a positive int, got {value!r}")
        if cell == "transformer":
            raise ValueError(f"{where}: cell must be recurrent ('rnn', 'lstm' or 'gru')")
        H = hidden_size
        self.attention, self.bos_id, self.tgt_vocab_size = attention, tgt_vocab_size, tgt_vocab_size
        self.src_embedding = nn.Embedding(src_vocab_size, embed_dim)
        self.encoder = SequenceEncoder(embed_dim, EncoderConfig(cell, H, bidirectional=True))
        C = self.context_size = self.encoder.output_size  # 2H
        self.tgt_embedding = nn.Embedding(tgt_vocab_size + 1, embed_dim)  # + BOS
        self.init = nn.Linear(C, H)  # q_0 = tanh(W_init c)
        self.cell = nn.GRUCell(embed_dim + C, H)  # reads [E y_{t-1}; context]
        if attention == "additive":
            self.W_a = nn.Linear(H, H, bias=False)  # the query q_{t-1}
            self.U_a = nn.Linear(C, H)  # the keys h_s (computed once per source)
            self.v_a = nn.Linear(H, 1, bias=False)
        elif attention == "general":
            self.W_a = nn.Linear(C, H, bias=False)  # e_{t,s} = q_t W_a h_s^T
        self.head = nn.Linear(H + C, tgt_vocab_size)  # o_t = W_hy [q_t; c_t] + b_y

    def encode(self, inputs) -> tuple[Tensor, Tensor | None, Tensor]:
        """Read the source once.

        Args:
            inputs: src (S, B) int64, or (src, lengths (B,))

        Returns:
            memory (S, B, C) encoder outputs h_s; mask (B, S) bool True on real steps, or None;
            summary (B, C), the fixed vector c
        """
        src, lengths = split_inputs(inputs, "AttentionSeq2Seq")
        check_shape(src, "S B", name="src", where="AttentionSeq2Seq")
        memory, _ = self.encoder(self.src_embedding(src), lengths)  # (S, B, C)
        mask = None if lengths is None else padding_mask(lengths, src.shape[0])  # (B, S)
        return memory, mask, self.encoder.summary(memory, lengths)  # (B, C)

    def start(self, memory: Tensor, mask: Tensor | None, summary: Tensor) -> dict:
        """The decoder's state before step 1, a dict of batch-first tensors.

        Keys: "q" q_0 (B, H); "summary" c (B, C); "context" the previous context (B, C): c for
        attention="none", else 0; with attention also "keys" (B, S, H), the source side of the
        scores (U_a h_s + b or W_a h_s, computed once per source), and "values" (B, S, C), the h_s.
        """
        B = summary.shape[0]
        state = {"q": torch.tanh(self.init(summary)), "summary": summary}  # q_0 (B, H)
        state["context"] = (
            summary if self.attention == "none" else summary.new_zeros(B, self.context_size)
        )
        if self.attention != "none":  # batch-first copies for the per-step products
            values = memory.transpose(0, 1)  # (B, S, C): the h_s
            keys = self.U_a(values) if self.attention == "additive" else self.W_a(values)
            state["keys"], state["values"] = keys, values  # keys (B, S, H), once per source
        return state

    def _attend(self, query: Tensor, state: dict, memory: Tensor, mask: Tensor | None):
        """Scores (B, S) -> weights (B, S) -> context (B, C) for one step."""
        keys = state["keys"]  # (B, S, H)
        if self.attention == "additive":  # tanh(q W_a^T + h_s U_a^T + b_a) v_a^T
            scores = self.v_a(torch.tanh(self.W_a(query)[:, None] + keys))[..., 0]  # (B, S)
        else:  # "general": q_t W_a h_s^T
            scores = torch.bmm(keys, query[:, :, None])[..., 0]  # (B, S)
        weights = masked_attention_weights(scores, mask)  # (B, S)
        context = torch.bmm(weights[:, None], state["values"])[:, 0]  # (B, C) Σ_s α_{t,s} h_s
        return weights, context

    def step(self, prev: Tensor, state: dict, memory: Tensor, mask: Tensor | None):
        """One decoder step.

        Args:
            prev:   (B,) int64 the previous target id (BOS at the first step)
            state:  dict from ``start`` or the previous ``step``
            memory: (S, B, C) encoder outputs; mask (B, S) bool or None

        Returns:
            logits (B, V); the new state; weights (B, S) α_{t,·} (None for attention="none")
        """
        e = self.tgt_embedding(prev)  # (B, E)
        q_prev, weights = state["q"], None
        if self.attention == "none":
            context = state["summary"]  # (B, C), the same at every step
            q = self.cell(torch.cat([e, context], -1), q_prev)  # (B, H)
        elif self.attention == "additive":  # attend with q_{t-1}, then update
            weights, context = self._attend(q_prev, state, memory, mask)
            q = self.cell(torch.cat([e, context], -1), q_prev)  # (B, H)
        else:  # "general": update with c_{t-1}, then attend with q_t
            q = self.cell(torch.cat([e, state["context"]], -1), q_prev)  # (B, H)
            weights, context = self._attend(q, state, memory, mask)
        logits = self.head(torch.cat([q, context], -1))  # (B, V)
        return logits, {**state, "q": q, "context": context}, weights

    def reorder(self, state: dict, index: Tensor) -> dict:
        """The state of the batch rows ``index`` (B',) (beam search keeps the best rows)."""
        return {k: v.index_select(0, index) for k, v in state.items()}

    def teacher_forced(self, inputs, targets: Tensor) -> tuple[Tensor, Tensor | None]:
        """Logits and attention weights when the decoder reads the true previous targets.

        Args:
            inputs:  src (S, B) int64, or (src, lengths)
            targets: (T, B) int64 in [0, V) or IGNORE_INDEX

        Returns:
            logits (T, B, V); weights (T, B, S) (None for attention="none")
        """
        memory, mask, summary = self.encode(inputs)
        B = summary.shape[0]
        check_shape(targets, "T B", name="targets", where="AttentionSeq2Seq", B=B)
        bos = targets.new_full((1, B), self.bos_id)  # (1, B)
        shifted = torch.where(targets[:-1] == IGNORE_INDEX, 0, targets[:-1])  # (T - 1, B)
        prev = torch.cat([bos, shifted])  # (T, B): BOS, y_1, ..., y_{T-1}
        state, all_logits, all_weights = self.start(memory, mask, summary), [], []
        for t in range(prev.shape[0]):
            logits, state, weights = self.step(prev[t], state, memory, mask)
            all_logits.append(logits)
            all_weights.append(weights)
        weights = None if self.attention == "none" else torch.stack(all_weights)  # (T, B, S)
        return torch.stack(all_logits), weights  # (T, B, V)

    def forward(self, inputs, targets: Tensor | None = None, *, steps: int = 12) -> Output:
        """Teacher-forced logits and mean cross-entropy (targets given), else a greedy decoding.

        Args:
            inputs:  src (S, B) int64, or (src, lengths (B,))
            targets: (T, B) int64 or None
            steps:   decoded steps without targets

        Returns:
            Output(logits (T, B, V), loss or None)
        """
        if targets is None:
            from course_rnn.torch_nn.decoding import greedy_decode

            return Output(greedy_decode(self, inputs, max_len=steps).logits, None)
        logits, _ = self.teacher_forced(inputs, targets)
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX)
        return Output(logits, loss)
