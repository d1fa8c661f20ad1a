"""Encoder–decoder: read a source sequence, write a target of a different length.

Recurrent (Sutskever et al., 2014; Cho et al., 2014): the encoder's summary c (its state at the
last real source step, both directions when bidirectional) sets the decoder's initial state,
h_0 = tanh(W c), and is fed again at every decoder step next to the previous target token, as in
Cho et al. Transformer (Vaswani et al., 2017): the decoder's blocks cross-attend to every encoder
output. Training uses teacher forcing: the decoder reads the true previous token,
``[BOS, y_0, …, y_{T-2}]``, and predicts ``y_0 … y_{T-1}``. ``generate`` decodes greedily, feeding
back its own choices. BOS is an extra decoder-input id (``tgt_vocab_size``), never predicted.
Book: chapter "Encoder–decoders and attention", section "The encoder–decoder"; chapter "RNNs and
Transformers".
"""

from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_rnn.shapes import check_shape
from course_rnn.torch_nn.attention import padding_mask
from course_rnn.torch_nn.models.config import EncoderConfig, check_unidirectional
from course_rnn.torch_nn.models.encoder import InputLayer, SequenceEncoder, split_inputs
from course_rnn.training.batches import IGNORE_INDEX, Output


class Seq2Seq(nn.Module):
    """Encoder–decoder for token sequences of unequal lengths.

    Args:
        src_vocab_size: V_src, source token ids
        tgt_vocab_size: V, target token ids (the decoder also reads BOS = V)
        embed_dim:      embedding width of both sides (default: each side's hidden_size)
        config:         the encoder's EncoderConfig (bidirectional allowed: the source is given)
        decoder:        the decoder's EncoderConfig; None: ``config`` without bidirectional. A
                        bidirectional decoder raises ValueError (it would read the future), as
                        does mixing a Transformer with a recurrent side.
        max_decode_len: steps decoded by ``forward`` when no targets are given

    Inputs: src (S, B) int64 or (src, lengths); targets (T, B) int64, IGNORE_INDEX on padding.

    Book: chapter "Encoder–decoders and attention", section "The encoder–decoder".
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        *,
        embed_dim: int | None = None,
        config: EncoderConfig | None = None,
        decoder: EncoderConfig | None = None,
        max_decode_len: int = 32,
    ):
        super().__init__()
        where = "Seq2Seq"
        enc = EncoderConfig() if config is None else config
        dec = replace(enc, bidirectional=False) if decoder is None else decoder
        check_unidirectional(dec, "Seq2Seq decoder")
        if enc.is_transformer != dec.is_transformer:
            raise ValueError(
                f"{where}: encoder cell {enc.cell!r} and decoder cell {dec.cell!r} must both be "
                "'transformer' or both recurrent"
            )
        self.config, self.decoder_config = enc, dec
        self.src = InputLayer(
            where, vocab_size=src_vocab_size, input_size=None, embed_dim=embed_dim,
            default_dim=enc.hidden_size,
        )  # fmt: skip
        self.tgt = InputLayer(
            where, vocab_size=tgt_vocab_size + 1, input_size=None, embed_dim=embed_dim,
            default_dim=dec.hidden_size,
        )  # fmt: skip
        self.bos_id, self.max_decode_len = tgt_vocab_size, max_decode_len
        self.encoder = SequenceEncoder(self.src.output_size, enc)
        C = self.encoder.output_size  # width of the encoder's outputs and summary
        if dec.is_transformer:  # cross-attention reads encoder outputs of the decoder's width
            self.decoder = SequenceEncoder(self.tgt.output_size, dec, cross_attention=True)
            self.bridge = nn.Linear(C, dec.hidden_size) if C != dec.hidden_size else nn.Identity()
        else:  # the summary c starts the decoder and is fed at every step
            self.decoder = SequenceEncoder(self.tgt.output_size + C, dec)
            self.bridge = nn.Linear(C, dec.num_layers * dec.hidden_size)
        self.head = nn.Linear(self.decoder.output_size, tgt_vocab_size)

    def encode(self, inputs) -> tuple[Tensor, Tensor | None]:
        """Read the source.

        Args:
            inputs: src (S, B) int64, or (src, lengths (B,))

        Returns:
            Transformer: memory (S, B, E_dec) and its key mask (B, S) bool or None;
            recurrent:   the summary c (B, H·dirs) and None
        """
        x, lengths = split_inputs(inputs, "Seq2Seq")
        out, _ = self.encoder(self.src(x), lengths)  # (S, B, H·dirs or E)
        if self.decoder_config.is_transformer:
            mask = None if lengths is None else padding_mask(lengths, x.shape[0])  # (B, S)
            return self.bridge(out), mask  # (S, B, E_dec)
        return self.encoder.summary(out, lengths), None  # (B, H·dirs)

    def _decode(self, prev: Tensor, memory: Tensor, mask: Tensor | None, state):
        """Decoder logits for the previous tokens ``prev`` (T, B); returns (T, B, V), state."""
        e = self.tgt(prev)  # (T, B, E)
        if self.decoder_config.is_transformer:
            out, _ = self.decoder(e, memory=memory, memory_mask=mask)  # (T, B, E)
            return self.head(out), None
        if state is None:  # h_0 = tanh(W c) for every layer; the LSTM's c_0 = 0
            L, H = self.decoder_config.num_layers, self.decoder_config.hidden_size
            h0 = torch.tanh(self.bridge(memory)).reshape(-1, L, H).transpose(0, 1)  # (L, B, H)
            lstm = self.decoder_config.cell == "lstm"
            state = [(h[None], torch.zeros_like(h[None])) if lstm else h[None] for h in h0]
        c = memory[None].expand(prev.shape[0], -1, -1)  # (T, B, C): c at every step
        out, state = self.decoder(torch.cat([e, c], dim=-1), state=state)  # (T, B, H)
        return self.head(out), state

    def forward(self, inputs, targets: Tensor | None = None) -> Output:
        """Teacher-forced logits and loss (with targets), or a greedy decoding (without).

        Args:
            inputs:  src (S, B) int64, or (src, lengths (B,))
            targets: (T, B) int64 in [0, V) or IGNORE_INDEX, or None

        Returns:
            Output(logits (T, B, V), loss: mean cross-entropy or None); without targets
            T = max_decode_len and the logits are those of the greedy path.
        """
        memory, mask = self.encode(inputs)
        if targets is None:
            return Output(self._greedy(memory, mask, self.max_decode_len)[1], None)
        B = memory.shape[-2]  # memory is (B, C) or (S, B, E)
        check_shape(targets, "T B", name="targets", where="Seq2Seq", B=B)
        bos = targets.new_full((1, B), self.bos_id)  # (1, B)
        shifted = torch.where(targets[:-1] == IGNORE_INDEX, 0, targets[:-1])  # (T - 1, B)
        logits, _ = self._decode(torch.cat([bos, shifted]), memory, mask, None)  # (T, B, V)
        loss = F.cross_entropy(
            logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX
        )  # (T·B, V) against (T·B,)
        return Output(logits, loss)

    @torch.no_grad()
    def generate(self, inputs, steps: int) -> Tensor:
        """Greedy decoding: at each step the most likely token, fed back as the next input.

        Args:
            inputs: src (S, B) int64, or (src, lengths (B,))
            steps:  target tokens to produce

        Returns:
            (steps, B) int64 token ids in [0, V)
        """
        was_training = self.training
        self.eval()
        ids, _ = self._greedy(*self.encode(inputs), steps)
        self.train(was_training)
        return ids

    def _greedy(self, memory: Tensor, mask: Tensor | None, steps: int) -> tuple[Tensor, Tensor]:
        """Greedy decoding; returns ids (steps, B) and their logits (steps, B, V)."""
        B = memory.shape[-2]
        prev = torch.full((1, B), self.bos_id, dtype=torch.int64, device=memory.device)
        state, all_logits = None, []
        for _ in range(steps):
            if self.decoder_config.is_transformer:  # re-read every token so far
                logits, _ = self._decode(prev, memory, mask, None)
            else:  # one step, carrying the state
                logits, state = self._decode(prev[-1:], memory, mask, state)
            all_logits.append(logits[-1])  # (B, V)
            prev = torch.cat([prev, logits[-1].argmax(dim=-1)[None]])  # (t + 2, B)
        return prev[1:], torch.stack(all_logits)  # (steps, B), (steps, B, V)
