"""Hidden tests of the exercise "bptt" (instructors only: never published to students).

One Graded per task of course_rnn/grading/specs/bptt.py: the points of its public checks, the
points of its hidden cases, and the sizes of those cases (values drawn from the secret seed).
Every edge case the notebook names comes back with secret values: a non-contiguous x and an f
that returns a view (numerical_gradient), dout = 0 and dh_n = 0 (rnn_backward), padding, -100
targets, large logits and V = 1 (softmax_cross_entropy), repeated and unused tokens
(embedding_backward), T = 1 and B = 1 throughout.
"""

from course_rnn.grading.tasks import Graded

GRADED = [
    Graded(
        "numerical_gradient",
        public_points=1,
        hidden_points=2,
        hidden=(
            {"N": 3, "D": 2, "M": 2},
            {"N": 2, "D": 4, "M": 3, "layout": 1},
            {"N": 3, "D": 3, "M": 2, "layout": 2},
            {"N": 3, "D": 2, "M": 1, "view": 1},
            {"N": 2, "D": 2, "M": 1, "layout": 2, "view": 1},
        ),
    ),
    Graded(
        "rnn_step_backward",
        public_points=1,
        hidden_points=2,
        hidden=({"B": 4, "D": 5, "H": 3}, {"B": 2, "D": 1, "H": 6}, {"B": 1, "D": 2, "H": 1}),
    ),
    Graded(
        "rnn_backward",
        public_points=1,
        hidden_points=3,
        hidden=(
            {"T": 6, "B": 3, "D": 2, "H": 4},
            {"T": 2, "B": 1, "D": 4, "H": 3, "carried": 0.0},
            {"T": 5, "B": 2, "D": 3, "H": 2, "upstream": 0.0},
            {"T": 1, "B": 3, "D": 2, "H": 2},
        ),
    ),
    Graded(
        "temporal_affine_backward",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"T": 4, "B": 3, "H": 2, "V": 6},
            {"T": 1, "B": 1, "H": 5, "V": 3},
            {"T": 2, "B": 2, "H": 3, "V": 1},
        ),
    ),
    Graded(
        "softmax_cross_entropy",
        public_points=1,
        hidden_points=2,
        hidden=(
            {"T": 5, "B": 4, "V": 6},
            {"T": 3, "B": 2, "V": 7, "full": 1},
            {"T": 4, "B": 5, "V": 3, "pad": -100},
            {"T": 2, "B": 3, "V": 5, "scale": 800.0},
            {"T": 1, "B": 1, "V": 1},
        ),
    ),
    Graded(
        "embedding_backward",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"T": 5, "B": 3, "V": 4, "D": 3},
            {"T": 3, "B": 2, "V": 9, "D": 2},
            {"T": 4, "B": 2, "V": 3, "D": 2, "same": 1},
            {"T": 1, "B": 1, "V": 1, "D": 3},
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
            {"H": 2, "D": 2, "max_norm": 1.0, "scale": 0.0},
        ),
    ),
]
