"""Source of the stand-in ``course_rnn`` package that the sandbox mounts instead of the real one.

``stub/course_rnn/`` is copied, together with the real (harmless) ``shapes.py`` and
``seeding.py``, into the sandbox's read-only library folder when a :class:`Sandbox` starts. It is
never imported in the grader's process (and does nothing there if it is).
"""
