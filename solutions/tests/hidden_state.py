"""Hidden tests of the exercise "hidden_state" (instructors only: never published to students).

One Graded per task of course_rnn/grading/specs/hidden_state.py: the points of its public checks,
the points of its hidden cases, and the sizes of those cases. Their values are drawn by the grader
from the secret seed (tests/secret_seed.txt, or ``course-rnn grade --seed``). Sizes differ from the
public fixture's, so code that only works for the example's shapes loses the hidden points.
"""

from course_rnn.grading.tasks import Graded

GRADED = [
    Graded(
        "rnn_step_forward",
        public_points=1,
        hidden_points=1,
        hidden=({"B": 4, "D": 3, "H": 5}, {"B": 2, "D": 6, "H": 1}),
    ),
    Graded(
        "rnn_forward",
        public_points=1,
        hidden_points=2,
        hidden=({"T": 7, "B": 3, "D": 2, "H": 4}, {"T": 2, "B": 1, "D": 5, "H": 3}),
    ),
    Graded(
        "softmax_with_temperature",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"B": 3, "V": 7, "temperature": 0.3},
            {"B": 2, "V": 4, "temperature": 2.5},
            {"B": 4, "V": 5, "temperature": 0.9, "scale": 800},
        ),
    ),
    Graded(
        "sample_tokens",
        public_points=1,
        hidden_points=1,
        hidden=({"B": 16, "V": 9, "temperature": 0.6}, {"B": 8, "V": 3, "temperature": 1.7}),
    ),
]
