"""Tests of course_rnn.numpy_nn (a package so that its tests can share private helper modules)."""
