"""The pieces of the training loop; import them from ``course_rnn.train``, which the book uses.

batches.py (model interface, batch conventions, devices) · metrics.py · history.py (History,
callbacks, early stopping) · progress.py (when the tqdm bar shows) · loop.py (fit, evaluate) ·
checkpoint.py (atomic save, checked load) · forecasting.py (forecast baselines, sMAPE, MASE,
recursive rollout; NumPy only, imported here).
"""

from course_rnn.training.forecasting import (
    mase,
    naive_forecast,
    recursive_forecast,
    seasonal_naive_forecast,
    smape,
)

__all__ = ["mase", "naive_forecast", "recursive_forecast", "seasonal_naive_forecast", "smape"]
