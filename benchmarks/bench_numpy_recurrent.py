"""NumPy RNN / LSTM / GRU forward + backward against torch.nn on the CPU, side by side.

Both run in this one process, one thread each (torch.set_num_threads(1); OpenBLAS/OpenMP/MKL
limited to one thread through the environment before NumPy is imported), float32, time-major
(T, B, D). Runs are interleaved (NumPy, torch, NumPy, ...) so that a busy machine slows both
alike; the script prints the median time of each and the median of the per-pair ratios.

Usage: python benchmarks/bench_numpy_recurrent.py [--repeats 30] [--T 100 --B 32 --D 64 --H 128]
Target (issue 3): the NumPy LSTM within 1.5x of torch.nn.LSTM.

Two things decide the LSTM ratio more than the Python code does. torch runs its LSTM on the CPU
as one fused oneDNN kernel (the last row turns that off for comparison; GRU and RNN have no such
kernel). And NumPy's matrix products are OpenBLAS's, whose kernels follow the CPU or the
OPENBLAS_CORETYPE variable (printed): on an AVX-512 machine forced to ``Haswell`` (AVX2) the
float32 products run at about half the speed they reach with ``SkylakeX``.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy and torch load their BLAS

import argparse  # noqa: E402 (the thread settings must come first)
import contextlib  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from course_rnn.numpy_nn.gru import gru_backward, gru_forward, init_gru_params  # noqa: E402
from course_rnn.numpy_nn.lstm import init_lstm_params, lstm_backward, lstm_forward  # noqa: E402
from course_rnn.numpy_nn.rnn import init_rnn_params, rnn_backward, rnn_forward  # noqa: E402

MODELS = {
    "LSTM": (torch.nn.LSTM, init_lstm_params, lstm_forward, lstm_backward),
    "GRU": (torch.nn.GRU, init_gru_params, gru_forward, gru_backward),
    "RNN": (torch.nn.RNN, init_rnn_params, rnn_forward, rnn_backward),
}


@contextlib.contextmanager
def _without_onednn():
    """torch's per-operation CPU path instead of its fused oneDNN LSTM kernel."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about TF32 on Intel GPUs when toggling
        with torch.backends.mkldnn.flags(enabled=False):
            yield


def bench(name, T, B, D, H, repeats, rng, torch_context=contextlib.nullcontext):
    """Median seconds of NumPy and torch forward + backward, and the median ratio."""
    module_cls, init, forward, backward = MODELS[name]
    params = init(D, H, rng=rng, dtype=np.float32)
    module = module_cls(D, H)  # float32, like params
    module.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()})
    x = rng.standard_normal((T, B, D), dtype=np.float32)
    dout = rng.standard_normal((T, B, H), dtype=np.float32)
    xt, doutt = torch.from_numpy(x).requires_grad_(), torch.from_numpy(dout)

    def run_numpy():
        _, _, cache = forward(x, params)
        backward(dout, None, cache)

    def run_torch():
        with torch_context():
            output, _ = module(xt)
            output.backward(doutt)
        xt.grad = None  # fresh gradients every run, as the NumPy backward returns
        module.zero_grad(set_to_none=True)

    times = {"numpy": [], "torch": []}
    for i in range(repeats + 2):  # the first two pairs warm up caches and allocators
        for label, run in (("numpy", run_numpy), ("torch", run_torch)):
            start = time.perf_counter()
            run()
            if i >= 2:
                times[label].append(time.perf_counter() - start)
    t_np, t_torch = np.array(times["numpy"]), np.array(times["torch"])
    return np.median(t_np), np.median(t_torch), np.median(t_np / t_torch)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--T", type=int, default=100)
    parser.add_argument("--B", type=int, default=32)
    parser.add_argument("--D", type=int, default=64)
    parser.add_argument("--H", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        f"threads: torch {torch.get_num_threads()}, "
        f"OMP/OPENBLAS/MKL_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}; "
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(auto)')}; "
        f"numpy {np.__version__}, torch {torch.__version__}, "
        f"oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}"
    )
    print(
        f"float32, T={args.T} B={args.B} D={args.D} H={args.H}, forward + backward, "
        f"median of {args.repeats} interleaved runs"
    )
    rng = np.random.default_rng(0)
    rows = [(name, name, contextlib.nullcontext) for name in MODELS]
    rows.append(("LSTM, torch without oneDNN", "LSTM", _without_onednn))
    for label, name, context in rows:
        sizes = (args.T, args.B, args.D, args.H)
        t_np, t_torch, ratio = bench(name, *sizes, args.repeats, rng, context)
        print(
            f"{label:26s} numpy {t_np * 1e3:7.2f} ms   torch {t_torch * 1e3:7.2f} ms   "
            f"numpy/torch {ratio:.2f}x"
        )


if __name__ == "__main__":
    main()
