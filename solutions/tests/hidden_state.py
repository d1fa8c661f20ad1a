"""Hidden tests of the exercise "hidden_state" (instructors only: never published to students).

One Graded per task of course_rnn/grading/specs/hidden_state.py: the points of its public checks,
the points of its hidden cases, and the sizes of those cases. Their values are drawn by the grader
from the secret seed (tests/secret_seed.txt, or ``--seed-file``). Sizes differ from the
public fixture's, so code that only works for the example's shapes loses the hidden points; every
edge case the notebook names (B = 1, T = 1, H = 1, V = 1, saturation, repeated tokens, int32 ids)
comes back here with secret values.
"""

from course_rnn.grading.tasks import Graded

GRADED = [
    Graded(
        "rnn_step_forward",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"B": 4, "D": 3, "H": 5},
            {"B": 2, "D": 6, "H": 1},
            {"B": 1, "D": 2, "H": 3, "scale": 50.0},
        ),
    ),
    Graded(
        "rnn_forward",
        public_points=1,
        hidden_points=2,
        hidden=(
            {"T": 7, "B": 3, "D": 2, "H": 4},
            {"T": 2, "B": 1, "D": 5, "H": 3},
            {"T": 1, "B": 4, "D": 1, "H": 2},
        ),
    ),
    Graded(
        "embedding_forward",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"T": 5, "B": 2, "V": 7, "D": 3},
            {"T": 3, "B": 4, "V": 2, "D": 5, "same": 1},
            {"T": 2, "B": 1, "V": 1, "D": 2, "int32": 1},
        ),
    ),
    Graded(
        "temporal_affine_forward",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"T": 5, "B": 3, "H": 2, "V": 7},
            {"T": 1, "B": 4, "H": 6, "V": 1},
            {"T": 3, "B": 1, "H": 4, "V": 4},
        ),
    ),
]
