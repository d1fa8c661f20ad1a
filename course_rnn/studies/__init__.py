"""The studies the chapters and the experiment scripts run: one training or measurement per module.

A study is code a chapter needs live *and* an ``experiments/`` script sweeps over seeds and
configurations, so it lives here, in the package, where a notebook on Colab finds it too. Each
function is deterministic given its ``seed`` (one torch thread while it runs) and returns plain
Python types, ready for JSON.

- :mod:`course_rnn.studies.adding`: train a tanh RNN, an LSTM or a GRU on the adding problem.
- :mod:`course_rnn.studies.gradient_flow`: ‖∂L/∂h_{T−k}‖ and ‖∂L/∂c_{T−k}‖ against the lag k.
- :mod:`course_rnn.studies.char_lstm`: a character LSTM on the pydoc corpus, trained and stored.
- :mod:`course_rnn.studies.char_numpy`: the same model trained from scratch in NumPy (truncated
  BPTT over lanes), its torch twin, held-out bits per character and samples.
- :mod:`course_rnn.studies.gates`: a character LSTM's gates and cells over a text, and the units
  that track quotes, parentheses, the position in the line and indentation.
- :mod:`course_rnn.studies.compare` and the other ``compare_*`` modules: the tanh RNN, the LSTM
  and the GRU compared on the same tasks, for the chapter on gated recurrent units.
- :mod:`course_rnn.studies.bidirectional`: unidirectional against bidirectional taggers, the
  bidirectional language model that reads the answer, and the padding bug.
- :mod:`course_rnn.studies.ner`: the named-entity tagger, its baselines and span F1.
- :mod:`course_rnn.studies.seq2seq`: encoder–decoders with a fixed vector or attention, on dates
  and on digit copying.
- :mod:`course_rnn.studies.table1`, :mod:`course_rnn.studies.recall` and
  :mod:`course_rnn.studies.inference`: an LSTM and self-attention measured side by side (time,
  depth, path length, memory), associative recall at equal parameters, cost per generated token.
- :mod:`course_rnn.studies.length_generalisation` and :mod:`course_rnn.studies.scan`: training on
  short inputs and testing on long ones; a minGRU run by a loop and by a parallel scan, timed.
- :mod:`course_rnn.studies.measure`: per-thread CPU time and the depth of autograd's graph.
- :mod:`course_rnn.studies.compression` and :mod:`course_rnn.studies.arithmetic_coding`: a
  character LSTM as a compressor (dynamic evaluation, a match model mixed in) and the coder.
- :mod:`course_rnn.studies.sentiment`: sentiment classifiers scored on behavioural test sets,
  phenomenon by phenomenon.
- :mod:`course_rnn.studies.forecasting`: naive, seasonal naive, ARIMA and a GRU (one-step,
  recursive, direct) on real series, scored with MASE and sMAPE.

Book: chapter "Long short-term memory"; chapter "Gated recurrent units"; chapter "Bidirectional
RNNs"; chapter "A named-entity tagger"; chapter "Encoder–decoders and attention"; chapter "RNNs and
Transformers"; chapter "Length generalisation and the recurrent comeback"; chapter "A character
model in NumPy"; chapter "Sentiment, phenomenon by phenomenon"; chapter "Out-compressing bzip2";
chapter "Forecasting real series".
"""
