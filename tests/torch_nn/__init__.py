"""Tests of course_rnn.torch_nn (package, so that the test modules share helpers)."""
