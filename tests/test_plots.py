"""course_rnn.plots: every function returns a Figure that holds the data it was given."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")  # before pyplot: no window, no display needed

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from course_rnn import plots
from course_rnn.shapes import ShapeError
from course_rnn.training.history import History


@pytest.fixture(autouse=True)
def _close_figures(monkeypatch):
    """No test may show a figure, and every figure is closed afterwards."""

    def no_show(*args, **kwargs):
        raise AssertionError("plots must never call plt.show()")

    monkeypatch.setattr(plt, "show", no_show)
    yield
    plt.close("all")
    assert plt.get_fignums() == []


def make_history():
    """A History as fit returns it (course_rnn.training.history is plain Python: no torch)."""
    return History(
        step=[1, 2, 3, 4],
        train_loss=[2.0, 1.5, 1.0, 0.8],
        eval_step=[2, 4],
        valid={"loss": [1.6, 1.1], "bpc": [2.3, 1.6]},
    )


def line_data(line):
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def test_loss_curves_from_a_history_draws_train_and_valid():
    history = make_history()
    fig = plots.loss_curves(history, logy=True)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    train, valid = ax.get_lines()
    np.testing.assert_array_equal(line_data(train)[1], history.train_loss)
    np.testing.assert_array_equal(line_data(valid)[0], history.eval_step)
    np.testing.assert_array_equal(line_data(valid)[1], history.valid["loss"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "valid"]
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "step"
    fig = plots.loss_curves(history, valid_metric="bpc")
    assert fig.axes[0].get_legend().get_texts()[1].get_text() == "valid bpc"


def test_loss_curves_from_arrays_draws_on_the_given_axes():
    fig, ax = plt.subplots()
    out = plots.loss_curves(train_loss=np.array([3.0, 2.0, 1.0]), ax=ax)
    assert out is fig
    (train,) = ax.get_lines()
    np.testing.assert_array_equal(line_data(train)[0], [1, 2, 3])
    assert ax.get_yscale() == "linear"


def test_loss_curves_errors_name_the_argument():
    with pytest.raises(ShapeError, match=r"loss_curves: train_steps expected \(N=3\), got \(2,\)"):
        plots.loss_curves(train_loss=[3.0, 2.0, 1.0], train_steps=[1, 2])
    with pytest.raises(ValueError, match="valid_loss needs valid_steps"):
        plots.loss_curves(train_loss=[1.0], valid_loss=[1.0])
    with pytest.raises(ValueError, match="train_loss holds NaN"):
        plots.loss_curves(train_loss=[1.0, np.nan])


def test_grad_norm_vs_lag_draws_one_log_curve_per_series():
    lags = np.arange(6)
    norms = {"tanh RNN": 0.5**lags, "LSTM": 0.95**lags, "exploding": 1.5**lags}
    fig = plots.grad_norm_vs_lag(norms)
    (ax,) = fig.axes
    lines = ax.get_lines()
    assert len(lines) == 3
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(norms)
    np.testing.assert_allclose(line_data(lines[2])[1], 1.5**lags)
    np.testing.assert_array_equal(line_data(lines[0])[0], lags)
    assert ax.get_xlabel() == "time lag k"


def test_grad_norm_vs_lag_takes_an_array_and_checks_it():
    fig = plots.grad_norm_vs_lag(np.ones((2, 4)), labels=["a", "b"], lags=[1, 2, 3, 4], logy=False)
    assert len(fig.axes[0].get_lines()) == 2
    with pytest.raises(ValueError, match="norms must be >= 0"):
        plots.grad_norm_vs_lag(-np.ones((1, 3)))
    with pytest.raises(ShapeError, match="labels expected 2 labels, got 1"):
        plots.grad_norm_vs_lag(np.ones((2, 4)), labels=["a"])
    with pytest.raises(ShapeError, match=r"norms expected \(K, L\), got \(4,\): rank 1"):
        plots.grad_norm_vs_lag(np.ones(4))
    with pytest.raises(ShapeError, match="norms expected a numeric array"):
        plots.grad_norm_vs_lag([np.ones(3), np.ones(4)])  # ragged curves


def test_hidden_heatmap_shows_h_transposed_with_token_labels():
    h = np.linspace(-1, 1, 5 * 3).reshape(5, 3)  # (T=5, H=3)
    fig = plots.hidden_heatmap(h, tokens=list("hello"))
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), h.T)  # (H, T): time runs along x
    assert ax.images[0].get_clim() == (-1.0, 1.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == list("hello")
    assert len(fig.axes) == 2  # the heatmap and its colourbar
    with pytest.raises(ShapeError, match=r"hidden_heatmap: h expected \(T, H\), got \(2, 3, 4\)"):
        plots.hidden_heatmap(np.zeros((2, 3, 4)))
    with pytest.raises(ShapeError, match="tokens expected 5 labels, got 2"):
        plots.hidden_heatmap(h, tokens=["a", "b"])


def test_gate_heatmaps_puts_the_gates_side_by_side():
    T, H = 4, 3
    gates = {name: np.full((T, H), k / 4) for k, name in enumerate("ifgo")}
    gates["g"] = np.linspace(-1, 1, T * H).reshape(T, H)  # tanh candidate: leaves [0, 1]
    fig = plots.gate_heatmaps(gates)
    assert [ax.get_title() for ax in fig.axes] == list("ifgo")
    for ax, arr in zip(fig.axes, gates.values(), strict=True):
        np.testing.assert_array_equal(ax.images[0].get_array(), arr.T)
    assert fig.axes[0].images[0].get_clim() == (0.0, 1.0)
    assert fig.axes[2].images[0].get_clim() == (-1.0, 1.0)
    with pytest.raises(ShapeError, match=r"gates\['f'\] expected \(T=4, H=3\), got \(4, 2\)"):
        plots.gate_heatmaps({"i": np.zeros((T, H)), "f": np.zeros((T, 2))})
    _, axes = plt.subplots(1, 2)
    with pytest.raises(ValueError, match="axes expected 4 Axes"):
        plots.gate_heatmaps(gates, axes=axes)


def test_attention_map_shows_weights_with_token_labels():
    w = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0]])  # (T=2, S=3)
    fig = plots.attention_map(w, query_labels=["le", "chat"], key_labels=["the", "cat", "<eos>"])
    ax = fig.axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), w)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["the", "cat", "<eos>"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["le", "chat"]
    with pytest.raises(ShapeError, match="key_labels expected 3 labels, got 2"):
        plots.attention_map(w, key_labels=["a", "b"])


def test_scaling_plot_is_log_log_with_the_fitted_slope_in_the_legend():
    T = np.array([16, 32, 64, 128, 256])
    fig = plots.scaling_plot(T, {"attention": 1e-6 * T**2.0, "RNN": 3e-5 * T})
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["attention (slope 2.00)", "RNN (slope 1.00)"]
    np.testing.assert_allclose(line_data(ax.get_lines()[0])[1], 1e-6 * T**2.0)  # measured points
    np.testing.assert_allclose(line_data(ax.get_lines()[1])[1], 1e-6 * T**2.0)  # fitted line
    assert plots.fit_loglog_slope(T, 5 * T**1.5) == pytest.approx(1.5)
    one = plots.scaling_plot(T, 2e-5 * T, label="LSTM")
    assert one.axes[0].get_legend().get_texts()[0].get_text() == "LSTM (slope 1.00)"
    with pytest.raises(ValueError, match="at least 2 points with x > 0 and y > 0"):
        plots.fit_loglog_slope([1, 2], [0, 1])


def test_torch_tensors_are_refused_with_the_conversion_to_use():
    class TensorLike:
        shape = (3,)

        def detach(self):
            return self

    with pytest.raises(TypeError, match=r"train_loss must be a NumPy array; .*\.cpu\(\)\.numpy"):
        plots.loss_curves(train_loss=TensorLike())


def test_importing_plots_does_not_import_torch():
    code = "import sys, course_rnn.plots; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
