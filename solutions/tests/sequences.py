"""Hidden tests of the exercise "sequences" (instructors only: never published to students).

One Graded per task of course_rnn/grading/specs/sequences.py: the points of its public checks,
the points of its hidden cases, and the sizes of those cases (token ids, lengths and states
drawn from the secret seed). Every edge case the notebook names comes back with secret values:
T = 1, B = 1, V = 1, int32 ids, a stream of exactly B * T + 1 tokens, no padding, a sequence of
length 0 (pad_batch), pad = 0, float32 states, and every invalid input that must raise ValueError
(ids -1 and V, a stream too short, tokens and lengths that disagree either way, a negative length,
no sequence at all (B = 0) in pad_batch, lengths 0 and T + 1 in last_states).
"""

from course_rnn.grading.tasks import Graded

GRADED = [
    Graded(
        "one_hot",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"T": 6, "B": 3, "V": 9},
            {"T": 1, "B": 1, "V": 3},
            {"T": 2, "B": 4, "V": 1},
            {"T": 3, "B": 2, "V": 7, "int32": 1},
            {"T": 4, "B": 3, "V": 5, "bad": 1},
            {"T": 2, "B": 2, "V": 6, "bad": 2},
        ),
    ),
    Graded(
        "next_token_batch",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"T": 6, "B": 4, "extra": 5},
            {"T": 1, "B": 3},
            {"T": 7, "B": 1},
            {"T": 4, "B": 5, "extra": 0},
            {"T": 3, "B": 3, "int32": 1},
            {"T": 4, "B": 3, "short": 1},
        ),
    ),
    Graded(
        "pad_batch",
        public_points=1,
        hidden_points=2,
        hidden=(
            {"B": 5, "T": 6, "pad": -100},
            {"B": 1, "T": 4, "pad": 3},
            {"B": 4, "T": 1},
            {"B": 2, "T": 5, "full": 1},
            {"B": 5, "T": 4, "zero": 1, "pad": 0},
            {"B": 3, "T": 3, "int32": 1},
            {"B": 4, "T": 5, "bad": 1},
            {"B": 3, "T": 4, "bad": 2},
            {"B": 4, "T": 3, "bad": 3},
            {"B": 0, "T": 4, "bad": 4},
        ),
    ),
    Graded(
        "last_states",
        public_points=1,
        hidden_points=2,
        hidden=(
            {"T": 6, "B": 5, "H": 4},
            {"T": 1, "B": 2, "H": 3},
            {"T": 5, "B": 1, "H": 2},
            {"T": 4, "B": 3, "H": 3, "full": 1},
            {"T": 5, "B": 4, "H": 2, "f32": 1},
            {"T": 4, "B": 3, "H": 2, "bad": 1},
            {"T": 3, "B": 2, "H": 2, "bad": 2},
        ),
    ),
]
