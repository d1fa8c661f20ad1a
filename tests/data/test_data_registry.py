import subprocess
import sys

import numpy as np
import pytest

import course_rnn.data as data
from course_rnn.data import DATASETS, describe


def test_every_data_set_is_described():
    assert set(DATASETS) == {
        "adding", "parity", "counting", "copy", "selective_copy", "associative_recall",
        "noisy_sine", "multiscale", "pydoc_chars", "sentiment", "checklist", "tagging",
        "dates", "digit_copy",
        "formal_parity", "formal_modular_sum", "formal_dyck",
        "ner",
        "co2", "sunspots", "nile", "elnino",
    }  # fmt: skip
    text = describe()
    for name, info in DATASETS.items():
        assert ("\n" + text).count(f"\n{name}: ") == 1
        assert info.generator.__name__ in text
        assert info.size
        assert info.baseline
        assert info.chapter
    assert "seeds:" in text
    assert "1/6" in describe("adding")
    assert "1/C" in describe("associative_recall")


def test_described_sizes_match_the_generators():
    corpus = data.char_corpus()
    assert f"V ≈ {len(corpus.vocab)}" in DATASETS["pydoc_chars"].size
    sentiment = data.make_sentiment(10, rng=np.random.default_rng(0))
    assert f"V = {len(sentiment.vocab)}" in DATASETS["sentiment"].size
    assert "C = 4" in DATASETS["tagging"].size
    assert "4-30 words" in DATASETS["sentiment"].size  # checked in test_data_sentiment.py
    assert "2-21 words" in DATASETS["tagging"].size


def test_describe_unknown_name():
    with pytest.raises(ValueError, match="describe: unknown data set 'imdb'"):
        describe("imdb")


def test_public_names_are_exported():
    for name in data.__all__:
        assert hasattr(data, name)


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(m for m in ('torch',) if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_importing_the_data_package_does_not_import_torch():
    assert _modules_after("import course_rnn.data") == set()
    assert _modules_after("import course_rnn.data.torch_adapter") == {"torch"}  # the check can fail
