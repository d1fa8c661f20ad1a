"""``python -m course_rnn`` runs the ``course-rnn`` command line."""

import sys

from course_rnn.cli import main

sys.exit(main())
