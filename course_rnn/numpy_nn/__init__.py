"""NumPy twins of the course's models: explicit forward and backward passes. Never imports torch."""

from course_rnn.numpy_nn.functional import sigmoid

__all__ = ["sigmoid"]
