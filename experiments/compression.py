"""The moonshot's model: a character LSTM trained to code the held-out pydoc text, and its coding.

``train_compressor`` with SETTINGS (two torch threads: the budget is two cores; a fixed step
count, not a time, so the run is deterministic) on the training text minus its last 5 % (the dev
slice). The weights are stored as float16 in ``course_rnn/results/compression_weights.npz``, and
every number below is measured with those stored weights, reloaded. The coding settings are
tuned on the dev slice only: the SGD learning rate of dynamic evaluation, and the step size of
the online mixer of the LSTM with the match model. The held-out text is then coded once with the
chosen settings: static, dynamic, and dynamic mixed with the match model.

    nice -n 5 .venv/bin/python experiments/compression.py   # writes compression.json and .npz
    .venv/bin/python experiments/compression.py --smoke       # a tiny model, to a temporary folder

Book: chapter "Out-compressing bzip2".
"""

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from provenance import RESULTS, provenance, save, setup

STARTED = setup()  # one thread before torch computes anything (training then uses two)

from course_rnn.data import char_corpus  # noqa: E402
from course_rnn.results import load, load_arrays  # noqa: E402
from course_rnn.studies.compression import (  # noqa: E402
    match_predictions,
    mix,
    probabilities,
    split_dev,
    to_model,
    train_compressor,
)

SETTINGS = {
    "hidden_size": 512,
    "embed_size": 64,
    "steps": 2800,
    "seq_len": 128,
    "batch_size": 32,
    "lr": 2e-3,
    "warmup": 50,
    "dropout": 0.2,
    "threads": 2,
    "eval_every": 100,
    "eval_chars": 5_000,
}
SEED = 0
SEGMENT = 50  # characters per dynamic-evaluation update
DYNAMIC_LRS = (0.0, 0.1, 0.3, 1.0)  # tried on the dev slice
MIX_LRS = (0.02, 0.05, 0.1, 0.2)  # tried on the dev slice
MIN_LENS = (4, 5, 6, 8)  # shortest context that starts a match, tried on the dev slice
PREFIX = 10  # training losses the test re-runs


def machine():
    """The CPU's name and the load average (how busy the machine was)."""
    name = (
        next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            "unknown",
        )
        if Path("/proc/cpuinfo").exists()
        else "unknown"
    )
    return {"cpu": name, "loadavg": list(os.getloadavg()), "cores": os.cpu_count()}


def code(model, history, start, dyn_lr, mix_lr, min_len):
    """Static, dynamic and mixed bits per character of history[start:] given history[:start]."""
    ids = history[start - 1 :]  # the last known character starts the stream
    targets = history[start:]
    guess, length = match_predictions(history, start, min_len=min_len)
    out = {}
    for name, lr in (("static", 0.0), ("dynamic", dyn_lr)):
        clock = time.process_time()
        probs = probabilities(model, ids, lr=lr, segment=SEGMENT)
        bits = -np.log2(probs[np.arange(len(targets)), targets])
        out[name] = {"bpc": float(bits.mean()), "cpu_seconds": time.process_time() - clock}
    mixed = mix(probs, targets, guess, length, lr=mix_lr)
    out["mixed"] = {"bpc": float(mixed["bits"].mean()), "q": mixed["q"]}
    return out, probs, guess, length


def main(settings=SETTINGS, out=RESULTS, train=True):
    if train:
        machine_before = machine()
        weights, run = train_compressor(seed=SEED, **settings)
        machine_after = machine()
        print(f"trained: {run['cpu_seconds']:.0f} s CPU, {run['wall_seconds']:.0f} s", flush=True)
        stored = {k: v.astype(np.float16) for k, v in weights.items()}
        np.savez_compressed(out / "compression_weights.npz", **stored)
    else:  # --code-only: the stored weights and training record, only the coding is redone
        previous = load("compression")["results"]
        run = previous["run"]
        machine_before = previous["machine"]["before_training"]
        machine_after = previous["machine"]["after_training"]
        stored = load_arrays("compression_weights")
    model = to_model(stored)  # every number from here on: the stored float16 weights

    corpus = char_corpus()
    fit, dev = split_dev(corpus.train)
    dev_history = corpus.train  # = fit followed by dev
    dev_ids = dev_history[len(fit) - 1 :]
    dev_targets = dev
    tuning = {"dynamic": {}, "mix": {}}
    best = {}
    for lr in DYNAMIC_LRS:
        probs = probabilities(model, dev_ids, lr=lr, segment=SEGMENT)
        bpc = float(-np.log2(probs[np.arange(len(dev)), dev_targets]).mean())
        tuning["dynamic"][str(lr)] = bpc
        print(f"dev dynamic lr={lr}: {bpc:.4f}", flush=True)
        if not best or bpc < best["bpc"]:
            best = {"lr": lr, "bpc": bpc, "probs": probs}
    for min_len in MIN_LENS:
        guess, length = match_predictions(dev_history, len(fit), min_len=min_len)
        for lr in MIX_LRS:
            bits = mix(best["probs"], dev, guess, length, lr=lr)["bits"]
            tuning["mix"][f"{min_len},{lr}"] = float(bits.mean())
    key = min(tuning["mix"], key=tuning["mix"].get)
    min_len, mix_lr = int(key.split(",")[0]), float(key.split(",")[1])
    print(
        f"dev: dynamic lr {best['lr']}, min_len {min_len}, mix lr {mix_lr}: "
        f"{tuning['mix'][key]:.4f}"
    )

    history = np.concatenate([corpus.train, corpus.val])
    held_out, probs, guess, length = code(
        model, history, len(corpus.train), best["lr"], mix_lr, min_len
    )
    print({k: round(v["bpc"], 4) for k, v in held_out.items()})

    results = {
        "run": run,
        "loss_prefix": run["losses"][:PREFIX],
        "segment": SEGMENT,
        "dynamic_lr": best["lr"],
        "mix_lr": mix_lr,
        "min_len": min_len,
        "machine": {"before_training": machine_before, "after_training": machine_after},
        "tuning_on_dev": tuning,
        "held_out": held_out,
        "weights_dtype": "float16",
    }
    args = {
        **settings,
        "segment": SEGMENT,
        "dynamic_lrs": DYNAMIC_LRS,
        "mix_lrs": MIX_LRS,
        "min_lens": MIN_LENS,
    }
    path = save("compression", results, provenance(__file__, args, [SEED], STARTED), out)
    print(f"wrote {path} and compression_weights.npz")


if __name__ == "__main__":
    if sys.argv[1:] == ["--smoke"]:  # a tiny model end to end, written to a temporary folder
        tiny = {**SETTINGS, "hidden_size": 16, "embed_size": 8, "steps": 3, "eval_every": 2}
        main(tiny, Path(tempfile.mkdtemp()))
    elif sys.argv[1:] == ["--code-only"]:  # keep the stored weights, redo tuning and coding
        main(train=False)
    else:
        main()
