"""Time and memory per generated token as the context grows: LSTM, KV cache, no cache.

A 2-block Transformer LM (E = 128, 4 heads, sinusoidal positions, V = 64) and an LSTM LM with the
same number of parameters (within 1 %), one sequence: per-thread CPU time of the token at
position n (minimum of 7 interleaved rounds), its analytic FLOPs, and the bytes carried from
token to token. See ``course_rnn.studies.inference``. About 1 minute on one idle core.

    .venv/bin/python experiments/transformers_inference.py   # writes transformers_inference.json

Book: chapter "RNNs and Transformers", section "Inference".
"""

from provenance import provenance, save, setup

STARTED = setup()  # one thread before torch computes anything

from course_rnn.studies.inference import per_token_costs  # noqa: E402

POSITIONS = [1, 16, 64, 128, 256, 512, 1024, 1536, 2047]
SIZES = {"vocab_size": 64, "width": 128, "num_layers": 2, "max_len": 2048}
ROUNDS = 7
SEEDS = [0]


def main():
    results = per_token_costs(POSITIONS, rounds=ROUNDS, seed=SEEDS[0], **SIZES)
    for row in results["rows"]:
        print(f"{row['mode']:8s} n = {row['n']:5d}: {row['seconds'] * 1e3:8.3f} ms, "
              f"{row['state_bytes']:,} bytes", flush=True)  # fmt: skip
    args = {**SIZES, "positions": POSITIONS, "rounds": ROUNDS, "batch_size": 1}
    path = save("transformers_inference", results, provenance(__file__, args, SEEDS, STARTED))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
