"""NumPy RNN / LSTM / GRU forward + backward against torch.nn on the CPU, in two BLAS settings.

NumPy's matrix products are OpenBLAS's, and OpenBLAS picks its kernels for the CPU when it loads,
unless the variable OPENBLAS_CORETYPE names a core. So the script measures twice, each time in a
subprocess of its own: (a) with the environment as given, and (b) with OPENBLAS_CORETYPE removed,
OpenBLAS's own choice for this CPU. Each subprocess runs NumPy and torch side by side, one thread
each (torch.set_num_threads(1); OpenBLAS/OpenMP/MKL limited to one thread through the environment
before NumPy is imported), float32, time-major (T, B, D). Runs are interleaved (NumPy,
torch, products, NumPy, ...) so that a busy machine slows all alike; the script prints medians,
the median of the per-pair ratios and its quartiles.

"products" is the floor: the matrix products the NumPy model makes (same shapes and calls), and
nothing else. The row "LSTM, torch without oneDNN" turns off torch's fused LSTM kernel.

Usage: python benchmarks/bench_numpy_recurrent.py [--repeats 30] [--T 100 --B 32 --D 64 --H 128]
Target (issue 3): the NumPy LSTM within 1.5x of torch.nn.LSTM.
"""

import os

THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
os.environ.update(THREADS)  # before NumPy and torch load their BLAS

import argparse  # noqa: E402 (the thread settings must come first)
import contextlib  # noqa: E402
import ctypes  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

from course_rnn.numpy_nn.gru import gru_backward, gru_forward, init_gru_params  # noqa: E402
from course_rnn.numpy_nn.lstm import init_lstm_params, lstm_backward, lstm_forward  # noqa: E402
from course_rnn.numpy_nn.rnn import init_rnn_params, rnn_backward, rnn_forward  # noqa: E402

CORETYPE = "OPENBLAS_CORETYPE"
#: name -> (torch module class, init, forward, backward, gate blocks G)
MODELS = {
    "LSTM": (torch.nn.LSTM, init_lstm_params, lstm_forward, lstm_backward, 4),
    "GRU": (torch.nn.GRU, init_gru_params, gru_forward, gru_backward, 3),
    "RNN": (torch.nn.RNN, init_rnn_params, rnn_forward, rnn_backward, 1),
}


@contextlib.contextmanager
def _without_onednn():
    """torch's per-operation CPU path instead of its fused oneDNN LSTM kernel."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about TF32 on Intel GPUs when toggling
        with torch.backends.mkldnn.flags(enabled=False):
            yield


def openblas_core():
    """The kernels OpenBLAS chose when it loaded (e.g. Haswell, SkylakeX), or '?'."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return "?"
    prefixes = ("scipy_openblas", "openblas")
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        for name in (f"{p}_get_corename{s}" for p in prefixes for s in ("64_", "")):
            if hasattr(lib, name):
                getattr(lib, name).restype = ctypes.c_char_p
                return getattr(lib, name)().decode()
    return "?"


def products_only(G, T, B, D, H, rng):
    """A run of the matrix products alone that the NumPy model makes, with the same shapes."""
    f32 = np.float32
    x, h = rng.standard_normal((T * B, D), dtype=f32), rng.standard_normal((T, B, H), dtype=f32)
    da = rng.standard_normal((T, B, G * H), dtype=f32)
    weight_ih = rng.standard_normal((G * H, D), dtype=f32)
    weight_hh = rng.standard_normal((G * H, H), dtype=f32)
    weight_hh_T = np.ascontiguousarray(weight_hh.T)
    a_hh, dh = np.empty((B, G * H), f32), np.empty((B, H), f32)

    def run():
        _ = x @ weight_ih.T  # (T·B, G·H) the input products of all steps
        for t in range(T):
            np.matmul(h[t], weight_hh_T, out=a_hh)  # forward, one per step
        for t in range(T):
            np.matmul(da[t], weight_hh, out=dh)  # backward, one per step
        flat = da.reshape(T * B, G * H)
        _ = flat.T @ x, flat.T @ h.reshape(T * B, H), flat @ weight_ih  # dW_ih, dW_hh, dx

    return run


def bench(name, T, B, D, H, repeats, rng, torch_context=contextlib.nullcontext):
    """Medians (s) of NumPy, torch and products-only forward + backward, and of the ratios."""
    module_cls, init, forward, backward, G = MODELS[name]
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

    runs = {"numpy": run_numpy, "torch": run_torch, "products": products_only(G, T, B, D, H, rng)}
    times = {label: [] for label in runs}
    for i in range(repeats + 2):  # the first two rounds warm up caches and allocators
        for label, run in runs.items():
            start = time.perf_counter()
            run()
            if i >= 2:
                times[label].append(time.perf_counter() - start)
    t = {label: np.array(v) for label, v in times.items()}
    ratio = t["numpy"] / t["torch"]
    return {
        **{label: float(np.median(v)) for label, v in t.items()},
        "ratio": float(np.median(ratio)),
        "quartiles": [float(q) for q in np.percentile(ratio, [25, 75])],
        "floor": float(np.median(t["products"] / t["torch"])),
    }


def worker(args):
    """One configuration, in this process: every row, as one line of JSON on stdout."""
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    rows = [(name, name, contextlib.nullcontext) for name in MODELS]
    rows.append(("LSTM, torch without oneDNN", "LSTM", _without_onednn))
    sizes = (args.T, args.B, args.D, args.H)
    result = {
        "coretype": os.environ.get(CORETYPE, "(unset)"),
        "core": openblas_core(),
        "versions": f"numpy {np.__version__}, torch {torch.__version__} "
        f"(oneDNN {'on' if torch.backends.mkldnn.is_available() else 'off'}, "
        f"{torch.get_num_threads()} thread)",
        "rows": {label: bench(name, *sizes, args.repeats, rng, ctx) for label, name, ctx in rows},
    }
    print(json.dumps(result))


def run_configuration(env, argv):
    """Run this script with --worker under env; return its JSON result."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", *argv]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"worker failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def explain(a, b):
    """The paragraph printed under the table, with this run's numbers."""
    la, lb = a["rows"]["LSTM"], b["rows"]["LSTM"]
    reach = ", more than the 1.5x target before any element-wise work" if la["floor"] > 1.5 else ""
    rest = [(r["numpy"] - r["products"]) * 1e3 for r in (la, lb)]
    gru, rnn = ([r["rows"][m]["ratio"] for r in (a, b)] for m in ("GRU", "RNN"))
    return textwrap.fill(
        "Why two settings: NumPy's matrix products are OpenBLAS's, whose kernels follow "
        f"{CORETYPE} when it is set; (a) runs OpenBLAS's {a['core']} kernels, (b) its "
        f"{b['core']} kernels. torch's CPU LSTM is one fused oneDNN kernel that chooses its own "
        "instructions, so the setting changes NumPy's side only. 'products' is the floor: the "
        "matrix products the NumPy model makes and nothing else. For the LSTM the floor alone "
        f"is {la['floor']:.2f}x torch's whole forward + backward in (a){reach}, and "
        f"{lb['floor']:.2f}x in (b); the rest of NumPy's time ({rest[0]:.1f} ms in (a), "
        f"{rest[1]:.1f} ms in (b)) is the element-wise gate maths and the Python loop over the "
        "steps. GRU and RNN have no fused torch kernel: NumPy/torch is "
        f"{gru[0]:.2f}x and {gru[1]:.2f}x for the GRU, {rnn[0]:.2f}x and {rnn[1]:.2f}x for the "
        "RNN, in (a) and (b).",
        width=100,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--T", type=int, default=100)
    parser.add_argument("--B", type=int, default=32)
    parser.add_argument("--D", type=int, default=64)
    parser.add_argument("--H", type=int, default=128)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    argv = [f"--{k}={getattr(args, k)}" for k in ("repeats", "T", "B", "D", "H")]
    given = {**os.environ, **THREADS}
    unset = {k: v for k, v in given.items() if k != CORETYPE}
    a, b = run_configuration(given, argv), run_configuration(unset, argv)
    print(f"{a['versions']}; OMP/OPENBLAS/MKL_NUM_THREADS=1")
    print(
        f"float32, T={args.T} B={args.B} D={args.D} H={args.H}, forward + backward, medians of "
        f"{args.repeats} interleaved runs, ratio quartiles in brackets"
    )
    print(f"(a) environment as given: {CORETYPE}={a['coretype']} -> OpenBLAS kernels {a['core']}")
    print(f"(b) OpenBLAS's own choice: {CORETYPE} unset -> OpenBLAS kernels {b['core']}")
    print(
        f"\n{'':27s}{'':4s}{'numpy':>9s}{'torch':>9s}  {'numpy/torch':18s}"
        f"{'products':>9s}  products/torch"
    )
    for label in a["rows"]:
        for tag, result in (("(a)", a), ("(b)", b)):
            r = result["rows"][label]
            q25, q75 = r["quartiles"]
            print(
                f"{label if tag == '(a)' else '':27s}{tag:4s}{r['numpy'] * 1e3:6.2f} ms"
                f"{r['torch'] * 1e3:6.2f} ms  {r['ratio']:.2f}x [{q25:.2f}, {q75:.2f}]  "
                f"{r['products'] * 1e3:6.2f} ms  {r['floor']:.2f}x"
            )
    print()
    print(explain(a, b))


if __name__ == "__main__":
    main()
