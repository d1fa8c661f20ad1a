"""Hidden tests of the exercise "bidirectional" (instructors only: never published to students).

One Graded per task of course_rnn/grading/specs/bidirectional.py: the points of its public
checks, the points of its hidden cases, and the sizes of those cases (values and lengths drawn
from the secret seed, in an order that is not sorted). Every edge case the notebook names comes
back with secret values: sequences of length 1, every length equal to T (no padding), a batch of
one sequence, unsorted lengths (every case), float32 inputs, a key length of 1, and large scores
whose largest are on padded keys.
"""

from course_rnn.grading.specs.bidirectional import sizes
from course_rnn.grading.tasks import Graded

SEQUENCES = (
    sizes(T=7, B=5, D=3, H=4),
    sizes(T=6, B=3, D=2, H=3),
    sizes(T=4, B=3, D=2, H=2, ones=1),
    sizes(T=5, B=2, D=4, H=3, full=1),
    sizes(T=6, B=1, D=2, H=3, top=4),
    sizes(T=5, B=4, D=3, H=2, f32=1),
)
KEYS = (
    {"B": 4, "T": 3, "S": 6, "HS": 5},
    {"B": 3, "T": 4, "S": 3, "HS": 2},
    {"B": 3, "T": 2, "S": 5, "HS": 3, "ones": 1},
    {"B": 2, "T": 3, "S": 4, "HS": 3, "full": 1},
    {"B": 1, "T": 3, "S": 6, "HS": 2, "top": 4},
    {"B": 3, "T": 2, "S": 5, "HS": 4, "f32": 1},
)

GRADED = [
    Graded("reverse_padded", public_points=1, hidden_points=1, hidden=SEQUENCES),
    Graded("bidirectional_rnn_forward", public_points=1, hidden_points=2, hidden=SEQUENCES),
    Graded(
        "masked_attention_forward",
        public_points=1,
        hidden_points=2,
        hidden=(*KEYS, {"B": 3, "T": 2, "S": 5, "HS": 3, "big": 1}),
    ),
    Graded("masked_attention_backward", public_points=1, hidden_points=2, hidden=KEYS),
]
