"""The pieces of the training loop; import them from ``course_rnn.train``, which the book uses.

batches.py (model interface, batch conventions, devices) · metrics.py · history.py (History,
callbacks, early stopping) · progress.py (when the tqdm bar shows) · loop.py (fit, evaluate) ·
checkpoint.py (atomic save, checked load).
"""
