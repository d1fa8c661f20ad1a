"""Hidden tests of the exercise "language_model" (instructors only: never published to students).

One Graded per task of course_rnn/grading/specs/language_model.py. Every edge case the notebook
names comes back with secret values: large logits and V = 1 (softmax), a cumulative sum that ends
below u for other vocabulary sizes (sample_tokens), repeated pairs and V = 1 (bigram_bits),
padding, T = 1 and B = 1 (char_rnn_loss). The end-to-end task trains on two made-up languages
drawn from the secret seed, of other sizes than the public one, and is judged on held-out text
of each.
"""

from course_rnn.grading.tasks import Graded

GRADED = [
    Graded(
        "softmax_with_temperature",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"B": 3, "V": 7, "temperature": 0.3},
            {"B": 2, "V": 4, "temperature": 2.5},
            {"B": 4, "V": 5, "temperature": 0.9, "scale": 2000.0},
            {"B": 2, "V": 1, "temperature": 1.3},
        ),
    ),
    Graded(
        "sample_tokens",
        public_points=1,
        hidden_points=2,
        hidden=(
            {"B": 16, "V": 9, "temperature": 0.6},
            {"B": 8, "V": 3, "temperature": 1.7},
            {"B": 6, "V": 19, "temperature": 1.0, "top": 1},
            {"B": 4, "V": 37, "temperature": 0.5, "top": 1},
        ),
    ),
    Graded(
        "bigram_bits",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"N": 40, "M": 20, "V": 5, "alpha": 0.1},
            {"N": 30, "M": 15, "V": 3, "alpha": 1.0},
            {"N": 9, "M": 7, "V": 4, "alpha": 0.2, "same": 1},
            {"N": 6, "M": 5, "V": 1, "alpha": 0.3},
        ),
    ),
    Graded(
        "char_rnn_loss",
        public_points=1,
        hidden_points=3,
        hidden=(
            {"T": 5, "B": 3, "V": 6, "D": 3, "H": 4},
            {"T": 3, "B": 4, "V": 3, "D": 2, "H": 5, "full": 1},
            {"T": 2, "B": 1, "V": 4, "D": 2, "H": 2, "same": 1},
            {"T": 1, "B": 2, "V": 5, "D": 1, "H": 3},
        ),
    ),
    Graded(
        "sample_sequence",
        public_points=1,
        hidden_points=1,
        hidden=(
            {"N": 8, "B": 4, "V": 6, "D": 3, "H": 5, "temperature": 0.8},
            {"N": 6, "B": 3, "V": 3, "D": 2, "H": 2, "temperature": 1.5},
            {"N": 1, "B": 1, "V": 4, "D": 2, "H": 3, "temperature": 1.0},
        ),
    ),
    Graded(
        "train_char_model",
        public_points=2,
        hidden_points=3,
        hidden=({"V": 12, "K": 20}, {"V": 20, "K": 40}),
    ),
]
