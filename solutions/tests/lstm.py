"""Hidden tests of the exercise "lstm" (instructors only: never published to students).

One Graded per task of course_rnn/grading/specs/lstm.py: the points of its public checks, the
points of its hidden cases, and the sizes of those cases (values drawn from the secret seed;
``sizes`` adds G = 4H). Every edge case the notebook names comes back with secret values: B = 1
and H = 1, saturating pre-activations (no overflow), float32 inputs (dtype kept), T = 1, a zero
initial state beside given ones, a loss through dc_n alone, nothing carried in; D differs from H
in every case, so a missing transpose cannot hide.
"""

from course_rnn.grading.specs.lstm import sizes
from course_rnn.grading.tasks import Graded

GRADED = [
    Graded(
        "lstm_step_forward",
        public_points=1,
        hidden_points=1,
        hidden=(
            sizes(B=4, D=3, H=5),
            sizes(B=1, D=6, H=1),
            sizes(B=2, D=3, H=2, scale=3000.0),
            sizes(B=3, D=2, H=4, f32=1),
        ),
    ),
    Graded(
        "lstm_step_backward",
        public_points=1,
        hidden_points=2,
        hidden=(
            sizes(B=4, D=5, H=3),
            sizes(B=1, D=2, H=1),
            sizes(B=3, D=1, H=4),
            sizes(B=2, D=3, H=2, f32=1),
        ),
    ),
    Graded(
        "lstm_forward",
        public_points=1,
        hidden_points=1,
        hidden=(
            sizes(T=6, B=3, D=2, H=4),
            sizes(T=1, B=2, D=3, H=5),
            sizes(T=3, B=1, D=1, H=2, zero=1),
            sizes(T=4, B=2, D=3, H=2, scale=3000.0),
            sizes(T=3, B=2, D=2, H=3, f32=1),
        ),
    ),
    Graded(
        "lstm_backward",
        public_points=1,
        hidden_points=3,
        hidden=(
            sizes(T=5, B=3, D=2, H=4),
            sizes(T=1, B=2, D=3, H=2),
            sizes(T=4, B=2, D=2, H=3, upstream=0.0, carried=0.0),
            sizes(T=3, B=1, D=2, H=3, carried=0.0, cell=0.0),
            sizes(T=3, B=2, D=4, H=2, f32=1),
        ),
    ),
]
