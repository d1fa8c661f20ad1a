import numpy as np
import pytest
import torch

from course_rnn.data.checklist import PHENOMENA, checklist_vocab, make_test_set
from course_rnn.data.sentiment import make_sentiment
from course_rnn.studies.sentiment import (
    MODELS,
    TEST_SIZE,
    CountLogisticRegression,
    adjective_split,
    build_model,
    embedding_projection,
    evaluate_checklist,
    evaluation_sets,
    pool_overlap,
    predict,
    run_checklist,
    train_checklist_model,
    training_pool,
)


def test_every_model_reads_a_padded_batch_and_the_sizes_are_comparable():
    sizes = {}
    for name in MODELS:
        model = build_model(name)
        inputs = evaluation_sets()["comparison"]
        assert predict(model.eval(), inputs).shape == (TEST_SIZE,)
        sizes[name] = sum(p.numel() for p in model.parameters())
    # the Transformer is sized to about the LSTM's parameter count
    assert abs(sizes["transformer"] / sizes["lstm"] - 1) < 0.1
    with pytest.raises(ValueError, match="unknown model 'rnn2'"):
        build_model("rnn2")


def test_fixed_data_are_the_same_for_every_call():
    assert training_pool() is training_pool()
    sets = evaluation_sets()
    assert list(sets) == ["mix", *PHENOMENA, "inv", "dir"]
    assert all(len(sets[name]) == TEST_SIZE for name in PHENOMENA)


def test_a_short_run_is_deterministic_and_reports_every_score():
    a = run_checklist("gru", seed=3, steps=5)
    b = run_checklist("gru", seed=3, steps=5)
    assert a == b
    assert set(a["scores"]) == {"mix", *PHENOMENA, "inv_failure", "dir_failure"}
    assert all(0 <= v <= 1 for v in a["scores"].values())
    c = run_checklist("gru", seed=4, steps=5)
    assert c["scores"] != a["scores"]  # the seed matters


@pytest.mark.parametrize("name", ["logreg", "bow_mlp"])
def test_the_bags_of_words_give_every_word_order_the_same_prediction(name):
    model = train_checklist_model(name, seed=0, steps=30)
    scores = evaluate_checklist(model)
    assert scores["inv_failure"] >= 0  # runs
    vocab = checklist_vocab()
    a = torch.tensor(vocab.encode("this movie was better than the book".split()))[:, None]
    b = torch.tensor(vocab.encode("the book was better than this movie".split()))[:, None]
    with torch.no_grad():
        torch.testing.assert_close(model(a).logits, model(b).logits)


def test_the_logistic_regression_is_linear_in_the_word_counts_and_ignores_padding():
    model = build_model("logreg")
    assert isinstance(model, CountLogisticRegression)
    assert sum(p.numel() for p in model.parameters()) == 2 * len(checklist_vocab()) + 2
    vocab = checklist_vocab()
    ids = [vocab.encode(s.split()) for s in ("the plot was not not good", "the plot was good")]
    x = torch.zeros(6, 2, dtype=torch.int64)  # (T, B), padded with <pad> = 0
    x[:6, 0], x[:4, 1] = torch.tensor(ids[0]), torch.tensor(ids[1])
    with torch.no_grad():
        logits = model((x, torch.tensor([6, 4]))).logits  # (2, C)
        W = model.linear.weight  # (C, V)
        expected = W[:, ids[1]].sum(dim=1) + model.linear.bias
        torch.testing.assert_close(logits[1], expected)
        # one more "not" adds its column once more: a count, not a mean
        torch.testing.assert_close(logits[0] - logits[1], 2 * W[:, vocab.stoi["not"]])


def test_pool_overlap_counts_verbatim_repeats():
    sets = evaluation_sets()
    assert pool_overlap(sets["comparison"]) == 1.0  # only 32 distinct comparisons exist
    assert pool_overlap(sets["negation_farther"]) < 0.05
    assert pool_overlap(sets["control"], sets["control"]) == 1.0


def test_a_custom_pool_is_used_and_checked():
    pool = make_test_set("composition", 50, rng=np.random.default_rng(0))
    a = run_checklist("gru", seed=3, steps=5, pool=pool)
    b = run_checklist("gru", seed=3, steps=5)
    assert a["scores"] != b["scores"]  # the pool matters
    with pytest.raises(ValueError, match="pool must be a SentimentData over checklist_vocab"):
        train_checklist_model(
            "gru", seed=0, steps=1, pool=make_sentiment(10, rng=np.random.default_rng(0))
        )
    with pytest.raises(ValueError, match="pool must be"):
        train_checklist_model("gru", seed=0, steps=1, pool=["the plot was good"])


def test_adjective_split_reads_the_sign_of_the_first_principal_coordinate():
    model = build_model("gru")
    E = model.inputs.embedding.weight
    vocab = checklist_vocab()
    with torch.no_grad():  # put the adjectives far apart along one direction
        for w in ("good", "great", "fun", "clever", "moving", "charming", "funny"):
            E[vocab.stoi[w], 0] += 50
        for w in ("bad", "boring", "dull", "awful", "silly", "weak", "slow"):
            E[vocab.stoi[w], 0] -= 50
    split = adjective_split(model)
    assert split["separates"]
    assert split["explained"][0] > 0.5
    assert split["side"]["good"] == 1
    assert split["side"]["bad"] == -1
    with torch.no_grad():
        E[vocab.stoi["good"], 0] -= 200  # now on the negative side
    assert not adjective_split(model)["separates"]


def test_training_leaves_torch_global_generator_and_threads_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    threads = torch.get_num_threads()
    train_checklist_model("lstm", seed=0, steps=2)
    torch.testing.assert_close(torch.rand(3), expected)
    assert torch.get_num_threads() == threads
    with pytest.raises(ValueError, match="train_checklist_model: steps"):
        train_checklist_model("lstm", seed=0, steps=0)


def test_embedding_projection_is_pca_of_the_centred_rows():
    model = build_model("gru")
    words = ["good", "bad", "not", "very", "great", "dull"]
    coords, explained = embedding_projection(model, words)
    assert coords.shape == (6, 2)
    np.testing.assert_allclose(coords.mean(axis=0), 0, atol=1e-12)
    assert explained[0] >= explained[1] > 0
    assert explained.sum() <= 1 + 1e-12
    # the first axis carries the largest variance of any unit direction: compare with a few
    E = model.inputs.embedding.weight.detach().double().numpy()
    rows = E[[checklist_vocab().stoi[w] for w in words]]
    centred = rows - rows.mean(axis=0)
    rng = np.random.default_rng(0)
    for _ in range(20):
        u = rng.normal(size=centred.shape[1])
        u /= np.linalg.norm(u)
        assert (centred @ u).var() <= coords[:, 0].var() + 1e-12
