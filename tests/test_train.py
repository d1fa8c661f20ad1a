"""course_rnn.train: the loop trains, clips, stops, measures, saves and loads as documented."""

import math
import sys
import time

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_rnn.train import (
    IGNORE_INDEX,
    Callback,
    CheckpointError,
    EarlyStopping,
    History,
    Output,
    accuracy,
    bits_per_char,
    cross_entropy,
    default_device,
    evaluate,
    fit,
    load_checkpoint,
    move_to,
    mse,
    perplexity,
    progress_enabled,
    save_checkpoint,
    seed_everything,
)
from course_rnn.training import progress

V, H, T, B = 6, 16, 7, 4


class Tagger(nn.Module):
    """A tiny model with the course interface: (T, B) ids -> Output((T, B, V) logits, loss)."""

    def __init__(self, hidden=H):
        super().__init__()
        self.emb = nn.Embedding(V, hidden)
        self.rnn = nn.LSTM(hidden, hidden)
        self.head = nn.Linear(hidden, V)

    def forward(self, inputs, targets=None):
        h, _ = self.rnn(self.emb(inputs))  # (T, B, H)
        logits = self.head(h)  # (T, B, V)
        if targets is None:
            return Output(logits)
        return Output(logits, F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1)))


class Regressor(nn.Module):
    """An ordinary module for loss_fn=: (T, B, 1) floats -> (T, B, 1) predictions."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(1, 8)
        self.head = nn.Linear(8, 1)

    def forward(self, x):
        return self.head(self.rnn(x)[0])  # (T, B, 1)


class BareTensor(Regressor):
    """Takes (inputs, targets) but forgets the loss: the loop must say so."""

    def forward(self, x, targets=None):
        return super().forward(x)


@pytest.fixture(autouse=True)
def _one_thread():
    """One thread makes float sums repeat exactly; restore the setting afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def train(model, batches, **options):
    """fit on the CPU with lr 1e-2 unless the test says otherwise."""
    return fit(model, batches, **{"lr": 1e-2, "device": "cpu", **options})


def make_batches(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        x = torch.randint(0, V, (T, B), generator=g)
        out.append((x, (x + 1) % V))  # a learnable tagging: next symbol id
    return out


def test_fit_overfits_one_batch_quickly():
    torch.manual_seed(0)
    model = Tagger()
    # The first optimizer of a process imports torch._dynamo (about 1 s): keep it out of the timing.
    opt = torch.optim.Adam(model.parameters(), lr=3e-2)
    start = time.perf_counter()
    history = fit(model, make_batches(1), steps=40, optimizer=opt, device="cpu")
    elapsed = time.perf_counter() - start
    assert history.num_steps == 40
    assert history.train_loss[-1] <= 0.5 * history.train_loss[0]
    assert elapsed < 2.0
    assert history.step == list(range(1, 41))
    assert history.wall_time == sorted(history.wall_time)


def test_fit_with_loss_fn_and_dict_batches_trains_a_plain_module():
    torch.manual_seed(0)
    x = torch.linspace(-1, 1, T * B).reshape(T, B, 1)
    batches = [{"inputs": x, "targets": 0.5 * x}]
    options = {"valid_batches": batches, "metrics": ("mse",), "eval_every": 20}
    history = train(Regressor(), batches, epochs=60, lr=2e-2, loss_fn=nn.MSELoss(), **options)
    assert history.eval_step == [20, 40, 60]
    assert history.valid["mse"][-1] < 0.5 * history.valid["mse"][0]
    assert history.valid["loss"] == pytest.approx(history.valid["mse"], rel=1e-6)


def test_clip_grad_norm_bounds_the_norm_and_history_records_the_preclip_norm():
    torch.manual_seed(0)
    model = Tagger()
    clip = 0.05
    after = []  # gradient norm the optimizer saw, read after each step

    def read_norm(history):
        after.append(torch.nn.utils.get_total_norm([p.grad for p in model.parameters()]).item())

    history = train(model, make_batches(3), epochs=2, clip_grad_norm=clip, callbacks=(read_norm,))
    assert len(after) == len(history.grad_norm) == 6
    assert max(after) <= clip * (1 + 1e-5)
    assert min(history.grad_norm) > clip  # every step needed clipping, and the record shows it
    for pre, post in zip(history.grad_norm, after, strict=True):
        assert post == pytest.approx(min(pre, clip), rel=1e-5)


def flipped(batches):
    return [(x, (y + 3) % V) for x, y in batches]


def test_early_stopping_stops_and_restores_the_best_weights():
    torch.manual_seed(0)
    model = Tagger()
    data = make_batches(2)
    snapshots = {}

    class Snap(Callback):
        def on_eval_end(self, history):
            snapshots[history.eval_step[-1]] = {k: v.clone() for k, v in model.state_dict().items()}

    es = EarlyStopping("loss", patience=2)
    options = {"valid_batches": flipped(data), "eval_every": 1, "early_stopping": es}
    history = train(model, data, epochs=50, lr=3e-2, callbacks=(Snap(),), **options)
    assert history.stop_reason.startswith("early stopping: valid loss did not improve")
    assert history.num_steps == history.best_step + 2 < 100
    assert history.valid["loss"][history.best_step - 1] == history.best_value
    assert history.restored_best
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, snapshots[history.best_step][k], rtol=0, atol=0)
    assert evaluate(model, flipped(data))["loss"] == pytest.approx(history.best_value)


def test_early_stopping_without_restore_keeps_the_last_weights():
    torch.manual_seed(0)
    model = Tagger()
    data = make_batches(2)
    es = EarlyStopping("accuracy", patience=1, mode="max", restore_best=False)
    options = {"valid_batches": flipped(data), "eval_every": 1, "early_stopping": es}
    history = train(model, data, epochs=50, lr=3e-2, metrics=("accuracy",), **options)
    assert history.stopped
    assert not history.restored_best
    assert evaluate(model, flipped(data))["loss"] == pytest.approx(history.valid["loss"][-1])


def test_early_stopping_errors():
    with pytest.raises(ValueError, match="early_stopping watches 'bpc', which is not evaluated"):
        train(Tagger(), make_batches(1), epochs=1, valid_batches=make_batches(1),
              early_stopping=EarlyStopping("bpc"))  # fmt: skip
    with pytest.raises(ValueError, match="EarlyStopping: patience must be >= 1; got 0"):
        EarlyStopping(patience=0)


def test_metrics_of_a_uniform_model_match_the_formulas():
    logits = torch.zeros(T, B, V)  # uniform over V symbols
    targets = torch.randint(0, V, (T, B), generator=torch.Generator().manual_seed(0))
    assert bits_per_char(logits, targets) == pytest.approx(math.log2(V))
    assert perplexity(logits, targets) == pytest.approx(V)
    assert cross_entropy(logits, targets) == pytest.approx(math.log(V))


def test_perplexity_and_bpc_equal_exp_and_log2_of_cross_entropy():
    g = torch.Generator().manual_seed(1)
    logits, targets = torch.randn(T, B, V, generator=g), torch.randint(0, V, (T, B), generator=g)
    ce = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1)).item()
    assert perplexity(logits, targets) == pytest.approx(math.exp(ce))
    assert bits_per_char(logits, targets) == pytest.approx(ce / math.log(2))


def test_accuracy_and_mse_with_a_mask_equal_hand_computations():
    logits = torch.tensor([[[2.0, 0.0], [0.0, 1.0]], [[0.0, 3.0], [1.0, 0.0]]])  # (T=2, B=2, C=2)
    targets = torch.tensor([[0, 0], [1, 1]])  # right, wrong, right, wrong
    mask = torch.tensor([[True, False], [True, True]])
    assert accuracy(logits, targets) == 0.5
    assert accuracy(logits, targets, mask) == pytest.approx(2 / 3)
    assert accuracy(logits, torch.tensor([[0, IGNORE_INDEX], [1, 1]])) == pytest.approx(2 / 3)
    pred, y = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 0.0], [0.0, 4.0]])
    assert mse(pred, y) == pytest.approx((4 + 9) / 4)
    assert mse(pred, y, mask) == pytest.approx(9 / 3)
    assert mse(pred.unsqueeze(-1), y) == pytest.approx(13 / 4)  # (T, B, 1) against (T, B)


def test_metric_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"accuracy: logits expected \(\.\.\., V\) with targets"):
        accuracy(torch.zeros(3, 4, V), torch.zeros(3, 5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"mse: predictions and targets must have one shape"):
        mse(torch.zeros(3, 4), torch.zeros(4, 3))
    with pytest.raises(ValueError, match="unknown metric 'bleu'"):
        evaluate(Tagger(), make_batches(1), metrics=("bleu",))


def test_evaluate_weights_every_token_equally_across_uneven_batches():
    torch.manual_seed(0)
    model = Tagger()
    x, y = make_batches(1)[0]
    split = [(x[:, :1], y[:, :1]), (x[:, 1:], y[:, 1:])]  # batches of 1 and 3 sequences
    logits = model(x).logits.detach()
    result = evaluate(model, split, metrics=("bpc", "accuracy"))
    assert result["bpc"] == pytest.approx(bits_per_char(logits, y))
    assert result["accuracy"] == pytest.approx(accuracy(logits, y))
    assert result["loss"] == pytest.approx(cross_entropy(logits, y))
    assert model.training  # evaluate restored the mode


def test_callbacks_are_called_and_can_stop_training():
    calls = {"fn": 0, "step": 0, "eval": 0, "end": 0}

    class Counter(Callback):
        def on_step_end(self, history):
            calls["step"] += 1
            if history.num_steps == 3:
                history.request_stop("seen enough")

        def on_eval_end(self, history):
            calls["eval"] += 1

        def on_fit_end(self, history):
            calls["end"] += 1

    def fn(history):
        calls["fn"] += 1

    valid = make_batches(1)
    history = train(
        Tagger(), make_batches(2), epochs=10, valid_batches=valid, callbacks=(Counter(), fn)
    )
    assert history.num_steps == 3
    assert history.stop_reason == "seen enough"
    assert calls == {"fn": 3, "step": 3, "eval": 2, "end": 1}  # evals: end of pass 1, final
    assert history.eval_step == [2, 3]


def test_a_non_finite_loss_stops_without_touching_the_weights():
    model = Regressor()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.ones(T, B, 1)
    history = train(model, [(x, x)], steps=5, loss_fn=lambda p, y: (p - y).sum() * math.nan)
    assert history.num_steps == 1
    assert "non-finite loss" in history.stop_reason
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)


def test_checkpoint_round_trip_restores_identical_outputs(tmp_path):
    torch.manual_seed(0)
    model = Tagger()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    history = fit(model, make_batches(2), epochs=1, optimizer=opt, device="cpu")
    path = save_checkpoint(tmp_path / "lm.pt", model, opt, history, extra={"vocab": list("abc")})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lm.pt"]  # no temporary file left
    torch.manual_seed(1)
    other = Tagger()
    other_opt = torch.optim.Adam(other.parameters(), lr=1e-2)
    loaded = load_checkpoint(path, other, other_opt)
    x = make_batches(1, seed=5)[0][0]
    torch.testing.assert_close(other(x).logits, model(x).logits, rtol=0, atol=0)
    assert loaded.history == history
    assert loaded.extra == {"vocab": ["a", "b", "c"]}
    assert other_opt.state_dict()["state"][0]["step"] == opt.state_dict()["state"][0]["step"]


def test_loading_into_a_mismatched_model_names_keys_and_shapes(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", Tagger())
    with pytest.raises(
        CheckpointError, match=r"shape mismatches: emb\.weight: checkpoint \(6, 16\)"
    ):
        load_checkpoint(path, Tagger(hidden=8))
    bigger = Tagger()
    bigger.extra = nn.Linear(2, 2)
    with pytest.raises(CheckpointError, match=r"missing keys .*: extra\.weight, extra\.bias"):
        load_checkpoint(path, bigger)
    with pytest.raises(CheckpointError, match=r"unexpected keys .*: weight, bias"):
        load_checkpoint(save_checkpoint(tmp_path / "l.pt", nn.Linear(2, 2)), Tagger())


def test_corrupt_and_foreign_files_are_refused_clearly(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="is not a readable course_rnn checkpoint"):
        load_checkpoint(junk, Tagger())
    good = save_checkpoint(tmp_path / "good.pt", Tagger())
    cut = tmp_path / "cut.pt"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="is not a readable course_rnn checkpoint"):
        load_checkpoint(cut, Tagger())
    bare = tmp_path / "bare.pt"
    torch.save(Tagger().state_dict(), bare)
    with pytest.raises(CheckpointError, match="looks like a bare state_dict"):
        load_checkpoint(bare, Tagger())
    with pytest.raises(FileNotFoundError, match="load_checkpoint: no checkpoint file"):
        load_checkpoint(tmp_path / "absent.pt", Tagger())
    with pytest.raises(TypeError, match=r"extra\['f'\] must be plain data"):
        save_checkpoint(tmp_path / "x.pt", Tagger(), extra={"f": print})


def test_progress_bar_is_off_under_pytest_and_can_be_forced(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_RNN_PROGRESS", raising=False)
    assert progress_enabled() is False
    train(Tagger(), make_batches(2), epochs=1)
    assert capsys.readouterr().err == ""
    train(Tagger(), make_batches(2), epochs=1, progress=True)
    assert "2/2" in capsys.readouterr().err
    monkeypatch.setenv("COURSE_RNN_PROGRESS", "1")
    assert progress_enabled() is True
    assert progress_enabled(False) is False  # the argument wins over the variable


class Stream:
    def __init__(self, tty):
        self.tty = tty

    def isatty(self):
        return self.tty


@pytest.mark.parametrize("tty", [True, False])
def test_progress_outside_pytest_follows_the_terminal(monkeypatch, tty):
    monkeypatch.delenv("COURSE_RNN_PROGRESS", raising=False)
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.setattr(sys, "stderr", Stream(tty))
    assert progress_enabled() is tty


@pytest.mark.parametrize("session", ["chapter.ipynb", None])
def test_progress_in_jupyter_needs_a_server_session(monkeypatch, session):
    """JupyterLab sets JPY_SESSION_NAME for its kernels; nbval and nbclient do not."""
    monkeypatch.delenv("COURSE_RNN_PROGRESS", raising=False)
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    monkeypatch.setattr(progress, "_in_jupyter_kernel", lambda: True)
    monkeypatch.setattr(sys, "stderr", Stream(True))  # a kernel's stream: the terminal rule is off
    if session is None:
        monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    else:
        monkeypatch.setenv("JPY_SESSION_NAME", session)
    assert progress_enabled() is (session is not None)


def test_two_runs_with_one_seed_give_identical_losses():
    def run():
        seed_everything(0)
        data = [x for x, _ in make_batches(4)]
        loader = torch.utils.data.DataLoader(
            [(x[:, b], (x[:, b] + 1) % V) for x in data for b in range(B)],
            batch_size=B,
            shuffle=True,
            generator=torch.Generator().manual_seed(0),
            collate_fn=lambda items: tuple(torch.stack(z, dim=1) for z in zip(*items, strict=True)),
        )
        return train(Tagger(), loader, epochs=2).train_loss

    first, second = run(), run()
    assert len(first) == 8
    assert first == second


def test_fit_argument_errors_are_clear():
    data = make_batches(1)
    with pytest.raises(ValueError, match="fit: give epochs=, steps= or both"):
        fit(Tagger(), data, lr=1e-3)
    with pytest.raises(ValueError, match="fit: give exactly one of optimizer= and lr="):
        fit(Tagger(), data, epochs=1)
    with pytest.raises(TypeError, match=r"each batch must be \(inputs, targets\).*got Tensor"):
        train(Tagger(), [data[0][0]], epochs=1)
    with pytest.raises(ValueError, match="one-shot iterator"):
        train(Tagger(), (b for b in data), epochs=2)
    ones = [(torch.ones(T, B, 1),) * 2]
    with pytest.raises(TypeError, match="positional argument") as err:
        train(Regressor(), ones, epochs=1)
    assert "pass loss_fn=" in err.value.__notes__[0]
    with pytest.raises(TypeError, match="the model returned a bare tensor"):
        train(BareTensor(), ones, epochs=1)
    with pytest.raises(TypeError, match="callback must be a function or have one of"):
        fit(Tagger(), data, epochs=1, lr=1e-3, callbacks=(42,), device="cpu")


def test_history_round_trips_through_a_dict():
    h = History(step=[1, 2], train_loss=[2.0, 1.0], valid={"loss": [1.5]}, eval_step=[2])
    assert History.from_dict(h.to_dict()) == h
    assert h.last("train_loss") == 1.0
    assert h.last("loss") == 1.5
    with pytest.raises(KeyError, match=r"History\.last: unknown name 'bpc'"):
        h.last("bpc")


def test_default_device_and_move_to():
    assert default_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    batch = {"inputs": (torch.ones(2), [torch.zeros(1)]), "targets": torch.ones(1), "n": 3}
    moved = move_to(batch, "cpu")
    assert moved["n"] == 3
    assert isinstance(moved["inputs"][1], list)


@pytest.mark.gpu
def test_fit_on_cuda_moves_model_and_batches():
    model = Tagger()
    history = train(model, make_batches(2), epochs=2, device="cuda", valid_batches=make_batches(1))
    assert next(model.parameters()).device.type == "cuda"
    assert history.num_steps == 4
    assert math.isfinite(history.valid["loss"][-1])


def test_a_step_budget_cycles_the_batches_and_evaluates_the_final_weights():
    history = train(Tagger(), make_batches(2), steps=5, valid_batches=make_batches(1), eval_every=4)
    assert history.epoch == [0, 0, 1, 1, 2]
    assert history.eval_step == [4, 5]
    assert history.stop_reason is None
    with pytest.raises(ValueError, match="evaluate: batches yielded no batch"):
        evaluate(Tagger(), [])
