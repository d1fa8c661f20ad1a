"""Hidden tests of the exercise "forecasting" (instructors only: never published to students).

One Graded per task of course_rnn/grading/specs/forecasting.py: the points of its public checks,
the points of its hidden cases, and the sizes of those cases (values drawn by the grader from the
secret seed). Every edge case the notebook names comes back here with secret values: period 1, a
period longer than the horizon, a horizon that is not a multiple of the period and one that is,
a history of one period, zeros in sMAPE (0/0 and y = 0 alone), values of both signs, a constant
history and an exactly periodic one in MASE (both must raise), a window of 1, H = 1, one pair
only, float32 inputs.
"""

from course_rnn.grading.tasks import Graded

GRADED = [
    Graded(
        "seasonal_naive_forecast",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"n": 15, "H": 9, "m": 4},
            {"n": 9, "H": 5, "m": 1},
            {"n": 7, "H": 2, "m": 7},
            {"n": 20, "H": 12, "m": 6, "f32": 1},
            {"n": 5, "H": 11, "m": 5},
        ),
    ),
    Graded(
        "smape",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"H": 8},
            {"H": 9, "zeros": 1},
            {"H": 6, "neg": 1},
            {"H": 1},
            {"H": 5, "f32": 1},
        ),
    ),
    Graded(
        "mase",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"n": 30, "H": 8, "m": 12},
            {"n": 12, "H": 3, "m": 1},
            {"n": 16, "H": 2, "m": 6},
            {"n": 10, "H": 4, "m": 3, "refuse": 1},
            {"n": 15, "H": 3, "m": 5, "refuse": 2},
            {"n": 18, "H": 6, "m": 4, "f32": 1},
        ),
    ),
    Graded(
        "recursive_forecast",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"W": 5, "H": 8},
            {"W": 1, "H": 4},
            {"W": 3, "H": 1},
            {"W": 7, "H": 2},
            {"W": 6, "H": 5, "f32": 1},
        ),
    ),
    Graded(
        "direct_targets",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"T": 15, "W": 5, "H": 4, "N": 7},
            {"T": 5, "W": 2, "H": 3, "N": 1},
            {"T": 9, "W": 1, "H": 2, "N": 7},
            {"T": 6, "W": 3, "H": 1, "N": 3},
            {"T": 10, "W": 3, "H": 2, "N": 6, "f32": 1},
        ),
    ),
]
