import pytest
import torch

from course_rnn.torch_nn.models import AttentionSeq2Seq
from course_rnn.torch_nn.models.attention_decoder import masked_attention_weights
from course_rnn.training.batches import IGNORE_INDEX

V_SRC, V = 9, 6
KINDS = ["none", "additive", "general"]


def _model(attention, seed=0):
    torch.manual_seed(seed)
    return AttentionSeq2Seq(V_SRC, V, hidden_size=8, embed_dim=5, attention=attention).double()


def _batch(seed=1):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([7, 3, 5])
    src = torch.randint(1, V_SRC, (7, 3), generator=g)
    src[torch.arange(7)[:, None] >= lengths] = 0  # padding after each source
    tgt = torch.randint(0, V, (4, 3), generator=g)
    return src, lengths, tgt


@pytest.mark.parametrize("attention", KINDS)
def test_shapes_and_weights_on_padding_are_exactly_zero(attention):
    model = _model(attention)
    src, lengths, tgt = _batch()
    logits, weights = model.teacher_forced((src, lengths), tgt)
    assert logits.shape == (4, 3, V)
    if attention == "none":
        assert weights is None
        return
    assert weights.shape == (4, 3, 7)  # (T, B, S)
    pad = torch.arange(7)[None, None, :] >= lengths[None, :, None]  # (1, B, S)
    assert (weights.masked_select(pad.expand_as(weights)) == 0).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(4, 3, dtype=torch.float64))


@pytest.mark.parametrize("attention", KINDS)
def test_each_column_equals_its_unpadded_run(attention):
    model = _model(attention)
    src, lengths, tgt = _batch()
    logits, _ = model.teacher_forced((src, lengths), tgt)
    for b, n in enumerate(lengths.tolist()):
        alone, _ = model.teacher_forced(src[:n, b : b + 1], tgt[:, b : b + 1])
        torch.testing.assert_close(logits[:, b : b + 1], alone, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("attention", KINDS)
def test_step_loop_equals_teacher_forcing_and_loss_skips_padding(attention):
    model = _model(attention)
    src, lengths, tgt = _batch()
    memory, mask, summary = model.encode((src, lengths))
    state, prev, logits = model.start(memory, mask, summary), torch.full((3,), V), []
    for t in range(4):
        step_logits, state, _ = model.step(prev, state, memory, mask)
        logits.append(step_logits)
        prev = tgt[t]
    forced, _ = model.teacher_forced((src, lengths), tgt)
    torch.testing.assert_close(torch.stack(logits), forced, rtol=1e-12, atol=1e-12)
    cut = tgt.clone()
    cut[3, 0] = IGNORE_INDEX
    loss = model((src, lengths), cut).loss
    real = torch.nn.functional.cross_entropy(forced[:, 1:].flatten(0, 1), tgt[:, 1:].flatten(),
                                             reduction="sum")  # fmt: skip
    real += torch.nn.functional.cross_entropy(forced[:3, 0], tgt[:3, 0], reduction="sum")
    torch.testing.assert_close(loss, real / 11)


def test_additive_scores_use_the_previous_state_general_the_new_one():
    # Bahdanau et al.: e_{t,s} from q_{t-1}, so the weights of a step do not depend on the token
    # read at that step; Luong et al.: from q_t, which has read it.
    src, lengths, _ = _batch()
    for attention, depends in (("additive", False), ("general", True)):
        model = _model(attention)
        memory, mask, summary = model.encode((src, lengths))
        state = model.start(memory, mask, summary)
        _, _, w_a = model.step(torch.zeros(3, dtype=torch.int64), state, memory, mask)
        _, _, w_b = model.step(torch.full((3,), 4), state, memory, mask)
        assert (not torch.allclose(w_a, w_b)) == depends, attention


def test_fixed_vector_decoder_reads_only_the_summary():
    model = _model("none")
    src, lengths, tgt = _batch()
    memory, mask, summary = model.encode((src, lengths))
    state = model.start(memory, mask, summary)
    a, _, _ = model.step(tgt[0], state, memory, mask)
    b, _, _ = model.step(tgt[0], state, torch.zeros_like(memory), mask)
    torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_masked_attention_weights():
    scores = torch.tensor([[1.0, 2.0, 3.0], [0.5, 9.0, -1.0]])
    mask = torch.tensor([[True, True, False], [True, False, False]])
    w = masked_attention_weights(scores, mask)
    assert w[0, 2] == 0
    assert w[1, 1] == 0
    assert w[1, 2] == 0
    torch.testing.assert_close(w[0, :2], torch.softmax(scores[0, :2], -1))
    assert w[1, 0] == 1
    torch.testing.assert_close(masked_attention_weights(scores, None), torch.softmax(scores, -1))


def test_parameter_counts_differ_only_by_the_attention_weights():
    H, E, C = 8, 5, 16
    counts = {k: sum(p.numel() for p in _model(k).parameters()) for k in KINDS}
    assert counts["additive"] - counts["none"] == H * H + (C * H + H) + H  # W_a, U_a, v_a
    assert counts["general"] - counts["none"] == C * H  # W_a
    del E


def test_errors():
    with pytest.raises(ValueError, match="AttentionSeq2Seq: unknown attention 'dot'"):
        AttentionSeq2Seq(V_SRC, V, attention="dot")
    with pytest.raises(ValueError, match="AttentionSeq2Seq: hidden_size must be a positive int"):
        AttentionSeq2Seq(V_SRC, V, hidden_size=0)
    with pytest.raises(ValueError, match="AttentionSeq2Seq: cell must be recurrent"):
        AttentionSeq2Seq(V_SRC, V, cell="transformer")
    model = _model("additive")
    src, lengths, tgt = _batch()
    with pytest.raises(ValueError, match="AttentionSeq2Seq: targets expected"):
        model((src, lengths), tgt[:, :2])
