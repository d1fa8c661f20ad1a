"""The studies the chapters and the experiment scripts run: one training or measurement per module.

A study is code a chapter needs live *and* an ``experiments/`` script sweeps over seeds and
configurations, so it lives here, in the package, where a notebook on Colab finds it too. Each
function is deterministic given its ``seed`` (one torch thread while it runs) and returns plain
Python types, ready for JSON.

- :mod:`course_rnn.studies.adding`: train a tanh RNN, an LSTM or a GRU on the adding problem.
- :mod:`course_rnn.studies.gradient_flow`: ‖∂L/∂h_{T−k}‖ and ‖∂L/∂c_{T−k}‖ against the lag k.
- :mod:`course_rnn.studies.char_lstm`: a character LSTM on the pydoc corpus, trained and stored.
- :mod:`course_rnn.studies.gates`: a character LSTM's gates and cells over a text, and the units
  that track quotes, parentheses, the position in the line and indentation.
- :mod:`course_rnn.studies.compare` and the other ``compare_*`` modules: the tanh RNN, the LSTM
  and the GRU compared on the same tasks, for the chapter on gated recurrent units.

Book: chapter "Long short-term memory"; chapter "Gated recurrent units".
"""
