"""course_rnn: the companion package of the RNN course.

The chapters import it; the exercises and the grader build on it. Importing this package is cheap:
it does not import torch or matplotlib (a test checks this). Reach the heavy parts through their
subpackages, e.g. ``from course_rnn.torch_nn import LSTM``.
"""

from course_rnn.seeding import seed_everything
from course_rnn.shapes import AXES, ShapeError, check_shape

__version__ = "0.1.0"

__all__ = ["AXES", "ShapeError", "__version__", "check_shape", "seed_everything"]
