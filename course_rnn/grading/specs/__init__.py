"""Public specs of the graded exercises: one module per exercise, named like its notebook.

Each module defines ``TASKS``, a tuple of :class:`course_rnn.grading.tasks.Task`. The grader joins
them with the points and hidden cases of ``solutions/tests/<exercise>.py``.
"""
