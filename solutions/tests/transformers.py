"""Hidden tests of the exercise "transformers" (instructors only: never published to students).

One Graded per task of course_rnn/grading/specs/transformers.py: the points of its public checks,
the points of its hidden cases, and the sizes of those cases (values drawn from the secret seed;
``sizes`` adds E = NH · HS). Every edge case the notebook names comes back with secret values:
T = 1, one head, head size 1, a batch of 1, large scores (no overflow), float32 inputs; for the
scan T = 1, T not a power of two, a = 0 at one step (a reset), b = 0 with h0 ≠ 0, |a| > 1, a batch
of 1, float32, and T = 65,536 with the no-loop check.
"""

from course_rnn.grading.specs.transformers import LONG, sizes
from course_rnn.grading.tasks import Graded

GRADED = [
    Graded(
        "split_heads",
        public_points=1,
        hidden_points=1,
        hidden=(
            sizes(T=5, B=3, NH=2, HS=3),
            sizes(T=2, B=2, NH=1, HS=5),
            sizes(T=3, B=2, NH=4, HS=1),
            sizes(T=1, B=1, NH=3, HS=2),
            sizes(T=4, B=2, NH=3, HS=2, f32=1),
        ),
    ),
    Graded(
        "causal_softmax",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"B": 3, "NH": 2, "T": 6},
            {"B": 1, "NH": 1, "T": 1},
            {"B": 2, "NH": 3, "T": 5, "scale": 1e3},
            {"B": 2, "NH": 2, "T": 4, "f32": 1},
        ),
    ),
    Graded(
        "causal_self_attention",
        public_points=2,
        hidden_points=2,
        hidden=(
            sizes(T=6, B=3, NH=2, HS=4),
            sizes(T=1, B=2, NH=3, HS=2),
            sizes(T=5, B=2, NH=1, HS=3),
            sizes(T=4, B=2, NH=4, HS=1),
            sizes(T=5, B=1, NH=2, HS=3),
            sizes(T=4, B=2, NH=2, HS=3, scale=30),
            sizes(T=4, B=2, NH=3, HS=2, f32=1),
        ),
    ),
    Graded(
        "linear_recurrence_scan",
        public_points=2,
        hidden_points=2,
        hidden=(
            {"T": 11, "B": 3, "H": 2},
            {"T": 1, "B": 2, "H": 4},
            {"T": 37, "B": 2, "H": 3},
            {"T": 16, "B": 2, "H": 2, "reset": 9},
            {"T": 9, "B": 3, "H": 2, "zero_b": 1},
            {"T": 10, "B": 2, "H": 3, "grow": 1},
            {"T": 7, "B": 1, "H": 2},
            {"T": 21, "B": 2, "H": 2, "f32": 1},
            {"T": LONG, "B": 1, "H": 2, "probe": 1},
        ),
    ),
]
