"""Task models behind one interface: ``model(inputs, targets=None) -> Output(logits, loss)``.

Each model puts a head on one ``SequenceEncoder`` chosen by an ``EncoderConfig``
(``cell="rnn" | "lstm" | "gru" | "transformer"``, ``bidirectional`` where legal), so one training
loop (``course_rnn.train.fit``) trains them all and a chapter can swap the cell in one word.

=====================  ==========================  ===================  ========================
model                  inputs                      logits               loss (given targets)
=====================  ==========================  ===================  ========================
SequenceClassifier     (T, B) ids / (T, B, D)      (B, C)               cross-entropy, (B,)
BagOfWordsClassifier   (T, B) ids                  (B, C)               cross-entropy, (B,)
SequenceTagger         (T, B) ids / (T, B, D)      (T, B, C)            cross-entropy, (T, B)
CharLM                 (T, B) ids                  (T, B, V)            cross-entropy, (T, B)
Forecaster             (W, B, D)                   (H_out, B, O)        MSE, (H_out, B, O)
Seq2Seq                (S, B) ids                  (T, B, V)            cross-entropy, (T, B)
AttentionSeq2Seq       (S, B) ids                  (T, B, V)            cross-entropy, (T, B)
=====================  ==========================  ===================  ========================

Padded batches: pass ``inputs=(x, lengths)``; targets on padding hold IGNORE_INDEX (-100).
Book: chapter "Sentiment, phenomenon by phenomenon"; chapter "RNNs and Transformers".
"""

from course_rnn.torch_nn.models.attention_decoder import AttentionSeq2Seq
from course_rnn.torch_nn.models.classifier import BagOfWordsClassifier, SequenceClassifier
from course_rnn.torch_nn.models.config import CELLS, EncoderConfig, check_unidirectional
from course_rnn.torch_nn.models.encoder import (
    InputLayer,
    SequenceEncoder,
    reverse_padded,
    split_inputs,
)
from course_rnn.torch_nn.models.forecaster import Forecaster
from course_rnn.torch_nn.models.language_model import CharLM
from course_rnn.torch_nn.models.seq2seq import Seq2Seq
from course_rnn.torch_nn.models.tagger import SequenceTagger

__all__ = [
    "CELLS",
    "AttentionSeq2Seq",
    "BagOfWordsClassifier",
    "CharLM",
    "EncoderConfig",
    "Forecaster",
    "InputLayer",
    "Seq2Seq",
    "SequenceClassifier",
    "SequenceEncoder",
    "SequenceTagger",
    "check_unidirectional",
    "reverse_padded",
    "split_inputs",
]
