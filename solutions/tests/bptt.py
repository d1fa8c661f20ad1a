"""Hidden tests of the exercise "bptt" (instructors only: never published to students).

One Graded per task of course_rnn/grading/specs/bptt.py: the points of its public checks, the
points of its hidden cases, and the sizes of those cases (values drawn from the secret seed).
"""

from course_rnn.grading.tasks import Graded

GRADED = [
    Graded(
        "rnn_step_backward",
        public_points=1,
        hidden_points=2,
        hidden=({"B": 4, "D": 5, "H": 3}, {"B": 2, "D": 1, "H": 6}),
    ),
    Graded(
        "rnn_backward",
        public_points=1,
        hidden_points=3,
        hidden=(
            {"T": 6, "B": 3, "D": 2, "H": 4},
            {"T": 2, "B": 1, "D": 4, "H": 3, "carried": 0.0},
            {"T": 5, "B": 2, "D": 3, "H": 2, "upstream": 0.0},
        ),
    ),
    Graded(
        "clip_grad_norm",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"H": 4, "D": 3, "max_norm": 2.0, "scale": 3.0},
            {"H": 3, "D": 5, "max_norm": 50.0},
            {"H": 5, "D": 2, "max_norm": 0.5},
        ),
    ),
    Graded(
        "numerical_gradient",
        public_points=1,
        hidden_points=1,
        hidden=({"N": 3, "D": 2, "M": 2}, {"N": 1, "D": 4, "M": 5}),
    ),
]
