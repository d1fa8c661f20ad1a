"""Hand-written answers for ``bench_similarity.py``: several genuinely different correct bodies
per graded task, and per task a body copied from the package's own source.

Template language (expanded by ``bench_similarity.expand``):

- ``$name``: a local variable; each student names it their own way (consistently);
- ``⟨a¦b¦c⟩``: one of the alternatives, drawn per student (independent choices multiply:
  two students of one style rarely make every choice alike);
- lines starting with ``~`` (after the indentation): consecutive ones are independent
  statements, written in a random order.

The parameters keep the names of the task's signature (the stub fixes them). PACKAGE holds, per
task, the package function's lines as a student would paste them into the stub (its checks and
cache dropped where the exercise's signature has no place for them).
"""

# ruff: noqa: E501  (a template is one line per statement, as a student would write it)

STYLES = {
    # --- hidden_state ----------------------------------------------------------------------------
    "rnn_step_forward": [
        """
$a = ⟨x_t @ W_ih.T¦np.dot(x_t, W_ih.T)¦x_t.dot(W_ih.T)⟩ + ⟨b_ih + h_prev @ W_hh.T + b_hh¦h_prev @ W_hh.T + b_ih + b_hh¦b_ih + b_hh + np.dot(h_prev, W_hh.T)⟩
⟨return np.tanh($a)¦$h = np.tanh($a)
return $h⟩
""",
        """
~$xi = ⟨x_t @ W_ih.T¦np.dot(x_t, W_ih.T)¦np.matmul(x_t, W_ih.T)⟩ + b_ih
~$hh = ⟨h_prev @ W_hh.T¦np.dot(h_prev, W_hh.T)¦(W_hh @ h_prev.T).T⟩ + b_hh
$h = np.tanh($xi + $hh)
return $h
""",
        """
$a = np.einsum(⟨"bd,hd->bh"¦"ij,kj->ik"⟩, x_t, W_ih) + np.einsum(⟨"bk,hk->bh"¦"ij,kj->ik"⟩, h_prev, W_hh)
return np.tanh($a + ⟨b_ih + b_hh¦(b_ih + b_hh)[None, :]⟩)
""",
        """
~$W = np.concatenate([W_ih, W_hh], axis=1)
~$xh = np.concatenate([x_t, h_prev], axis=⟨1¦-1⟩)
~$b = b_ih + b_hh
return np.tanh(⟨$xh @ $W.T¦np.dot($xh, $W.T)⟩ + $b)
""",
    ],
    "rnn_forward": [
        """
$T⟨, $B, _ = x.shape¦ = x.shape[0]¦ = len(x)⟩
$out = ⟨np.zeros¦np.empty⟩(($T, x.shape[1], ⟨h0.shape[1]¦W_hh.shape[0]¦h0.shape[-1]⟩))
$state = ⟨h0¦h0.copy()⟩
for $t in range($T):
    $state = rnn_step_forward(x[$t], $state, W_ih, W_hh, b_ih, b_hh)
    $out[$t⟨¦, :, :⟩] = $state
return $out, ⟨$state¦$out[-1]¦$out[$T - 1]⟩
""",
        """
~$hs = []
~$state = h0
for $xt in x:
    $state = np.tanh(⟨$xt @ W_ih.T + b_ih + $state @ W_hh.T + b_hh¦$state @ W_hh.T + $xt @ W_ih.T + b_ih + b_hh¦np.dot($xt, W_ih.T) + np.dot($state, W_hh.T) + b_ih + b_hh⟩)
    $hs.append($state)
⟨return np.stack($hs), $state¦return np.array($hs), $hs[-1]¦$hs = np.stack($hs, axis=0)
return $hs, $hs[-1]⟩
""",
        """
$xw = ⟨x @ W_ih.T¦np.matmul(x, W_ih.T)¦np.einsum("tbd,hd->tbh", x, W_ih)⟩ + ⟨b_ih + b_hh¦(b_ih + b_hh)⟩
~$h = ⟨np.zeros($xw.shape)¦np.zeros_like($xw)¦np.empty_like($xw)⟩
~$prev = h0
for $t in range(⟨len(x)¦x.shape[0]⟩):
    $prev = np.tanh($xw[$t] + ⟨$prev @ W_hh.T¦np.dot($prev, W_hh.T)⟩)
    $h[$t] = $prev
return $h, ⟨$h[-1]¦$prev⟩
""",
        """
$h = []
$t = 0
while $t < ⟨x.shape[0]¦len(x)⟩:
    $prev = h0 if $t == 0 else $h[-1]
    $h.append(rnn_step_forward(x[$t], $prev, W_ih, W_hh, b_ih, b_hh))
    $t += 1
$h = np.stack($h⟨¦, axis=0⟩)
return $h, $h[⟨$h.shape[0] - 1¦-1⟩]
""",
    ],
    "embedding_forward": [
        "return E[tokens]",
        "return np.take(E, tokens, axis=0)",
        """
$T, $B = tokens.shape
$x = ⟨np.zeros¦np.empty⟩(($T, $B, E.shape[1]))
for $t in range($T):
    for $b in range($B):
        $x[$t, $b⟨¦, :⟩] = E[tokens[$t, $b]]
return $x
""",
        """
$oh = np.eye(⟨E.shape[0]¦len(E)⟩)[tokens]
return ⟨$oh @ E¦np.matmul($oh, E)¦np.dot($oh, E)⟩
""",
        "return E[tokens.⟨reshape(-1)¦ravel()¦flatten()⟩].reshape(*tokens.shape, ⟨E.shape[1]¦-1⟩)",
    ],
    "temporal_affine_forward": [
        "return ⟨h @ W_hy.T¦np.dot(h, W_hy.T)¦np.matmul(h, W_hy.T)⟩ + b_y",
        """
$T, $B, $H = h.shape
$o = ⟨h.reshape($T * $B, $H) @ W_hy.T¦np.dot(h.reshape(-1, $H), W_hy.T)⟩ + b_y
return $o.reshape($T, $B, ⟨-1¦W_hy.shape[0]⟩)
""",
        'return np.einsum(⟨"tbh,vh->tbv"¦"ijk,lk->ijl"⟩, h, W_hy) + b_y',
        """
$o = ⟨np.zeros¦np.empty⟩((h.shape[0], h.shape[1], W_hy.shape[0]))
for $t in range(⟨h.shape[0]¦len(h)⟩):
    $o[$t] = h[$t] @ W_hy.T + b_y
return $o
""",
    ],
    # --- bptt ------------------------------------------------------------------------------------
    "numerical_gradient": [
        """
$grad = ⟨np.zeros(x.shape)¦np.zeros_like(x, dtype=float)¦np.zeros_like(x)⟩
for $i in np.ndindex(x.shape):
    $old = ⟨x[$i]¦float(x[$i])⟩
    x[$i] = $old + h
    $plus = ⟨np.sum(f(x) * dout)¦float(np.sum(f(x) * dout))¦(f(x) * dout).sum()⟩
    x[$i] = $old - h
    $minus = ⟨np.sum(f(x) * dout)¦float(np.sum(f(x) * dout))¦(f(x) * dout).sum()⟩
    x[$i] = $old
    $grad[$i] = ($plus - $minus) / ⟨(2 * h)¦(2.0 * h)¦(h / 0.5)⟩
return $grad
""",
        """
$grad = ⟨np.zeros_like(x)¦np.zeros(x.shape)⟩
$it = np.nditer(x, flags=["multi_index"]⟨¦, op_flags=["readwrite"]⟩)
while not $it.finished:
    $i = $it.multi_index
    $old = x[$i]
    x[$i] = $old + h
    $fp = ⟨np.sum(f(x) * dout)¦np.sum(dout * f(x))⟩
    x[$i] = $old - h
    $fm = ⟨np.sum(f(x) * dout)¦np.sum(dout * f(x))⟩
    x[$i] = $old
    $grad[$i] = ($fp - $fm) / (2 * h)
    $it.iternext()
return $grad
""",
        """
$grad = np.zeros(x.shape)
for $r in range(⟨x.shape[0]¦len(x)⟩):
    for $c in range(x.shape[1]):
        $keep = x[$r, $c]
        x[$r, $c] = $keep + h
        $up = float((f(x) * dout).sum())
        x[$r, $c] = $keep - h
        $down = float((f(x) * dout).sum())
        x[$r, $c] = $keep
        $grad[$r, $c] = ⟨($up - $down) / (2 * h)¦0.5 * ($up - $down) / h⟩
return $grad
""",
        """
$grad = ⟨np.zeros(x.shape)¦np.zeros_like(x)⟩
for $k in range(x.size):
    $idx = np.unravel_index($k, x.shape)
    $v = x[$idx]
    x[$idx] = $v + h
    $a = ⟨np.sum(dout * f(x))¦(dout * f(x)).sum()⟩
    x[$idx] = $v - h
    $b = ⟨np.sum(dout * f(x))¦(dout * f(x)).sum()⟩
    x[$idx] = $v
    $grad[$idx] = ($a - $b) / (2 * h)
return $grad
""",
    ],
    "rnn_step_backward": [
        """
$da = dh_t * ⟨(1 - h_t * h_t)¦(1 - h_t ** 2)¦(1.0 - np.square(h_t))⟩
$db = ⟨$da.sum(axis=0)¦np.sum($da, axis=0)⟩
return ⟨$da @ W_ih¦np.dot($da, W_ih)⟩, ⟨$da @ W_hh¦np.dot($da, W_hh)⟩, ⟨$da.T @ x_t¦np.dot($da.T, x_t)⟩, ⟨$da.T @ h_prev¦np.dot($da.T, h_prev)⟩, $db, $db.copy()
""",
        """
$da = dh_t * ⟨(1 - h_t * h_t)¦(1 - h_t ** 2)¦(1.0 - np.square(h_t))⟩
~$dx = ⟨$da @ W_ih¦np.dot($da, W_ih)⟩
~$dh = ⟨$da @ W_hh¦np.dot($da, W_hh)⟩
~$dWi = ⟨$da.T @ x_t¦np.dot($da.T, x_t)⟩
~$dWh = ⟨$da.T @ h_prev¦np.dot($da.T, h_prev)⟩
~$dbi = ⟨$da.sum(axis=0)¦np.sum($da, axis=0)⟩
~$dbh = ⟨np.sum($da, axis=0)¦$da.sum(0)⟩
return $dx, $dh, $dWi, $dWh, $dbi, $dbh
""",
        """
$g = dh_t * ⟨(1 - h_t ** 2)¦(1 - h_t * h_t)⟩
~$dWi = np.einsum("bh,bd->hd", $g, x_t)
~$dWh = np.einsum("bh,bk->hk", $g, h_prev)
~$dx = np.einsum("bh,hd->bd", $g, W_ih)
~$dh = np.einsum("bh,hk->bk", $g, W_hh)
return $dx, $dh, $dWi, $dWh, $g.sum(axis=0), ⟨$g.sum(axis=0)¦np.sum($g, axis=0)⟩
""",
        """
$da = dh_t * (1 - h_t * h_t)
~$dWi = ⟨np.zeros_like(W_ih)¦np.zeros(W_ih.shape)⟩
~$dWh = ⟨np.zeros_like(W_hh)¦np.zeros(W_hh.shape)⟩
for $b in range(x_t.shape[0]):
    ~$dWi += np.outer($da[$b], x_t[$b])
    ~$dWh += np.outer($da[$b], h_prev[$b])
$db = $da.sum(⟨0¦axis=0⟩)
return $da @ W_ih, $da @ W_hh, $dWi, $dWh, $db, $db.copy()
""",
    ],
    "rnn_backward": [
        """
~$dx = ⟨np.zeros_like(x)¦np.zeros(x.shape)⟩
~$dWi, $dWh = ⟨np.zeros_like(W_ih), np.zeros_like(W_hh)¦np.zeros(W_ih.shape), np.zeros(W_hh.shape)⟩
~$dbi, $dbh = np.zeros(W_hh.shape[0]), np.zeros(W_hh.shape[0])
$dnext = dh_n
for $t in ⟨reversed(range(x.shape[0]))¦range(x.shape[0] - 1, -1, -1)¦reversed(range(len(x)))⟩:
    $prev = ⟨h0 if $t == 0 else h[$t - 1]¦h[$t - 1] if $t > 0 else h0⟩
    $dx[$t], $dnext, $gi, $gh, $gbi, $gbh = rnn_step_backward(⟨dout[$t] + $dnext¦$dnext + dout[$t]⟩, x[$t], $prev, h[$t], W_ih, W_hh)
    ~$dWi += $gi
    ~$dWh += $gh
    ~$dbi += $gbi
    ~$dbh += $gbh
return $dx, $dnext, $dWi, $dWh, $dbi, $dbh
""",
        """
~$dx = ⟨np.zeros_like(x)¦np.zeros(x.shape)⟩
~$dWi = ⟨np.zeros_like(W_ih)¦np.zeros(W_ih.shape)⟩
~$dWh = ⟨np.zeros_like(W_hh)¦np.zeros(W_hh.shape)⟩
~$db = np.zeros(⟨W_hh.shape[0]¦len(W_hh)¦h0.shape[1]⟩)
$carry = dh_n
for $t in reversed(range(⟨len(x)¦x.shape[0]⟩)):
    $da = ⟨(dout[$t] + $carry) * (1 - h[$t] ** 2)¦(1 - h[$t] * h[$t]) * (dout[$t] + $carry)⟩
    $prev = ⟨h[$t - 1] if $t > 0 else h0¦h0 if $t == 0 else h[$t - 1]⟩
    ~$dx[$t] = $da @ W_ih
    ~$dWi += ⟨$da.T @ x[$t]¦np.dot($da.T, x[$t])⟩
    ~$dWh += ⟨$da.T @ $prev¦np.dot($da.T, $prev)⟩
    ~$db += ⟨$da.sum(axis=0)¦np.sum($da, axis=0)⟩
    $carry = $da @ W_hh
return $dx, $carry, $dWi, $dWh, $db, ⟨$db.copy()¦np.copy($db)⟩
""",
        """
$T = ⟨x.shape[0]¦len(x)⟩
$das = ⟨np.zeros_like(h)¦np.empty_like(h)⟩
$carry = dh_n
for $t in range($T - 1, -1, -1):
    $das[$t] = (dout[$t] + $carry) * ⟨(1 - h[$t] * h[$t])¦(1 - h[$t] ** 2)⟩
    $carry = $das[$t] @ W_hh
$hprev = np.concatenate([h0⟨[None]¦[np.newaxis]⟩, h[:-1]], axis=0)
~$dWi = np.einsum("tbh,tbd->hd", $das, x)
~$dWh = np.einsum("tbh,tbk->hk", $das, $hprev)
~$db = $das.sum(axis=(0, 1))
return ⟨$das @ W_ih¦np.matmul($das, W_ih)⟩, $carry, $dWi, $dWh, $db, $db.copy()
""",
        """
$T = x.shape[0]
$dx = ⟨np.empty_like(x)¦np.zeros_like(x)⟩
$dWi, $dWh, $db = np.zeros(W_ih.shape), np.zeros(W_hh.shape), np.zeros(W_hh.shape[0])
$carry = ⟨dh_n.copy()¦np.array(dh_n)⟩
$t = $T - 1
while $t >= 0:
    $prev = h[$t - 1] if $t > 0 else h0
    $da = ($carry + dout[$t]) * ⟨(1 - h[$t] ** 2)¦(1.0 - h[$t] * h[$t])⟩
    ~$dWi += np.tensordot($da, x[$t], axes=(0, 0))
    ~$dWh += np.tensordot($da, $prev, axes=(0, 0))
    ~$db += $da.sum(axis=0)
    ~$dx[$t] = $da @ W_ih
    $carry = $da @ W_hh
    $t -= 1
return $dx, $carry, $dWi, $dWh, $db, $db.copy()
""",
    ],
    "temporal_affine_backward": [
        """
$V, $H = W_hy.shape
~$dh = ⟨do @ W_hy¦np.dot(do, W_hy)⟩
~$dW = ⟨do.reshape(-1, $V).T @ h.reshape(-1, $H)¦np.dot(do.reshape(-1, $V).T, h.reshape(-1, $H))⟩
~$db = ⟨do.sum(axis=(0, 1))¦do.reshape(-1, $V).sum(axis=0)⟩
return $dh, $dW, $db
""",
        """
~$dW = np.einsum(⟨"tbv,tbh->vh"¦"ijk,ijl->kl"⟩, do, h)
~$db = ⟨do.sum(axis=(0, 1))¦np.sum(do, axis=(0, 1))¦do.sum(0).sum(0)⟩
~$dh = ⟨do @ W_hy¦np.matmul(do, W_hy)⟩
return $dh, $dW, $db
""",
        """
~$dW = ⟨np.zeros_like(W_hy)¦np.zeros(W_hy.shape)⟩
~$db = np.zeros(W_hy.shape[0])
~$dh = ⟨np.zeros_like(h)¦np.zeros(h.shape)⟩
for $t in range(⟨h.shape[0]¦len(h)⟩):
    ~$dh[$t] = do[$t] @ W_hy
    ~$dW += ⟨do[$t].T @ h[$t]¦np.dot(do[$t].T, h[$t])⟩
    ~$db += do[$t].sum(axis=0)
return $dh, $dW, $db
""",
        """
~$dW = np.tensordot(do, h, axes=⟨([0, 1], [0, 1])¦[[0, 1], [0, 1]]⟩)
~$db = ⟨np.sum(do, axis=(0, 1))¦do.sum(axis=(0, 1))⟩
return np.matmul(do, W_hy), $dW, $db
""",
    ],
    "softmax_cross_entropy": [
        """
$N = ⟨mask.sum()¦np.sum(mask)¦np.count_nonzero(mask)⟩
$ys = np.where(mask, y, 0)
$z = o - o.max(axis=-1, keepdims=True)
$logp = $z - np.log(np.exp($z).sum(axis=-1, keepdims=True))
$L = -np.sum(np.take_along_axis($logp, $ys[..., None], axis=-1)⟨[..., 0]¦.squeeze(-1)⟩ * mask) / $N
$do = np.exp($logp)
np.put_along_axis($do, $ys[..., None], np.take_along_axis($do, $ys[..., None], -1) - 1, -1)
⟨return float($L), $do * mask[..., None] / $N¦$do *= mask[..., None] / $N
return float($L), $do⟩
""",
        """
$N = ⟨np.sum(mask)¦mask.sum()⟩
$z = o - np.max(o, axis=⟨-1¦2⟩, keepdims=True)
$e = np.exp($z)
~$p = $e / $e.sum(axis=⟨-1¦2⟩, keepdims=True)
~$onehot = np.eye(o.shape[-1])[np.where(mask, y, 0)]
~$logp = $z - np.log($e.sum(axis=-1, keepdims=True))
$L = -np.sum($onehot * $logp * mask[..., None]) / $N
return float($L), ⟨($p - $onehot) * mask[..., None] / $N¦mask[..., None] * ($p - $onehot) / $N⟩
""",
        """
$T, $B, $V = o.shape
~$flat = o.reshape(-1, $V)
~$m = mask.reshape(-1)
$tg = np.where($m, y.reshape(-1), 0)
$shift = $flat - $flat.max(axis=1, keepdims=True)
$logp = $shift - np.log(np.exp($shift).sum(axis=1, keepdims=True))
~$rows = np.arange($flat.shape[0])
~$n = $m.sum()
$L = -($logp[$rows, $tg] * $m).sum() / $n
$d = np.exp($logp)
$d[$rows, $tg] -= 1
$d = $d * $m[:, None] / $n
return float($L), $d.reshape($T, $B, $V)
""",
        """
$N = mask.sum()
~$loss = 0.0
~$do = ⟨np.zeros_like(o)¦np.zeros(o.shape)⟩
for $t in range(o.shape[0]):
    for $b in range(o.shape[1]):
        if not mask[$t, $b]:
            continue
        $s = o[$t, $b] - ⟨o[$t, $b].max()¦np.max(o[$t, $b])⟩
        $lse = np.log(np.exp($s).sum())
        $loss -= $s[y[$t, $b]] - $lse
        $p = np.exp($s - $lse)
        $p[y[$t, $b]] -= 1
        $do[$t, $b] = $p / $N
return float($loss / $N), $do
""",
    ],
    "embedding_backward": [
        """
$dE = np.zeros((V, dx.shape[-1]))
np.add.at($dE, tokens.⟨reshape(-1)¦ravel()⟩, dx.reshape(-1, dx.shape[-1]))
return $dE
""",
        """
$dE = np.zeros((V, dx.shape[⟨2¦-1⟩])⟨¦, dtype=dx.dtype⟩)
np.add.at($dE, tokens, dx)
return $dE
""",
        """
$T, $B, $D = dx.shape
$dE = np.zeros((V, $D))
for $t in range($T):
    for $b in range($B):
        $dE[tokens[$t, $b]] += dx[$t, $b]
return $dE
""",
        """
$oh = np.eye(V)[tokens.⟨reshape(-1)¦ravel()⟩]
return ⟨$oh.T @ dx.reshape(-1, dx.shape[-1])¦np.dot($oh.T, dx.reshape(-1, dx.shape[-1]))⟩
""",
        """
$flat = dx.reshape(-1, dx.shape[-1])
$ids = tokens.ravel()
return np.stack([np.bincount($ids, weights=$flat[:, $d], minlength=V) for $d in range($flat.shape[1])], axis=1)
""",
    ],
    "clip_grad_norm": [
        """
$total = float(np.sqrt(sum(⟨np.sum($g * $g)¦np.sum($g ** 2)¦($g ** 2).sum()⟩ for $g in grads.values())))
$factor = max_norm / ($total + 1e-6)
if $factor < 1:
    for $g in grads.values():
        $g *= $factor
return $total
""",
        """
$total = float(np.linalg.norm(np.concatenate([$g.⟨ravel()¦reshape(-1)¦flatten()⟩ for $g in grads.values()])))
if $total > max_norm:
    $scale = max_norm / ($total + 1e-6)
    for $k in grads:
        grads[$k] *= $scale
return $total
""",
        """
$sq = 0.0
for $g in grads.values():
    $sq += ⟨np.sum($g ** 2)¦np.sum($g * $g)¦float(($g * $g).sum())⟩
$total = np.sqrt($sq)
$coef = min(1.0, max_norm / ($total + 1e-6))
for $name in grads:
    grads[$name] *= $coef
return float($total)
""",
        """
import math
$total = math.sqrt(sum(float(np.vdot($g, $g)) for $g in grads.values()))
if $total + 1e-6 > max_norm:
    for $g in grads.values():
        np.multiply($g, max_norm / ($total + 1e-6), out=$g)
return $total
""",
    ],
    # --- language_model --------------------------------------------------------------------------
    "softmax_with_temperature": [
        """
$z = logits / temperature
$z = $z - $z.max(axis=⟨-1¦1⟩, keepdims=True)
$e = np.exp($z)
return $e / ⟨$e.sum(axis=-1, keepdims=True)¦np.sum($e, axis=-1, keepdims=True)⟩
""",
        """
$s = (logits - logits.max(axis=1, keepdims=True)) / temperature
$e = np.exp($s)
return $e / ⟨$e.sum(axis=1, keepdims=True)¦np.sum($e, axis=1)[:, None]⟩
""",
        """
$z = logits / temperature
$m = np.max($z, axis=-1, keepdims=True)
return np.exp($z - $m - np.log(np.sum(np.exp($z - $m), axis=-1, keepdims=True)))
""",
        """
$out = ⟨np.empty_like(logits, dtype=float)¦np.zeros(logits.shape)⟩
for $b in range(⟨logits.shape[0]¦len(logits)⟩):
    $row = logits[$b] / temperature
    $row = np.exp($row - $row.max())
    $out[$b] = $row / $row.sum()
return $out
""",
    ],
    "sample_tokens": [
        """
$probs = softmax_with_temperature(logits, temperature)
$cdf = np.cumsum($probs, axis=⟨-1¦1⟩)
$ids = ⟨($cdf <= u[:, None]).sum(axis=-1)¦np.sum($cdf <= u[:, None], axis=1)¦(u[:, None] >= $cdf).sum(axis=-1)⟩
return np.minimum($ids, ⟨logits.shape[-1]¦$probs.shape[1]⟩ - 1)
""",
        """
$c = np.cumsum(softmax_with_temperature(logits, temperature), axis=1)
$out = np.array([np.searchsorted($c[$b], u[$b], side="right") for $b in range(⟨len(u)¦u.shape[0]⟩)])
return ⟨np.clip($out, 0, logits.shape[1] - 1)¦np.minimum($out, logits.shape[1] - 1)⟩
""",
        """
$c = np.cumsum(softmax_with_temperature(logits, temperature), axis=-1)
$above = ⟨$c > u[:, None]¦u[:, None] < $c⟩
return np.where($above.any(axis=-1), np.argmax($above, axis=-1), logits.shape[-1] - 1)
""",
        """
$p = softmax_with_temperature(logits, temperature)
$ids = np.zeros(len(u), dtype=⟨int¦np.int64⟩)
for $b in range(len(u)):
    $acc = 0.0
    $ids[$b] = $p.shape[1] - 1
    for $i in range($p.shape[1]):
        $acc += $p[$b, $i]
        if u[$b] < $acc:
            $ids[$b] = $i
            break
return $ids
""",
    ],
    "bigram_bits": [
        """
$counts = ⟨np.full((V, V), float(alpha))¦np.zeros((V, V)) + alpha¦alpha * np.ones((V, V))⟩
np.add.at($counts, (train[:-1], train[1:]), 1⟨¦.0⟩)
$probs = $counts / $counts.sum(axis=1, keepdims=True)
return float(-np.mean(np.log2($probs[test[:-1], test[1:]])))
""",
        """
$C = ⟨np.zeros((V, V)) + alpha¦np.full((V, V), alpha, dtype=float)⟩
for $a, $b in zip(train[:-1], train[1:]):
    $C[$a, $b] += 1
$P = $C / ⟨$C.sum(axis=1)[:, None]¦$C.sum(axis=1, keepdims=True)⟩
$bits = 0.0
for $a, $b in zip(test[:-1], test[1:]):
    $bits -= ⟨np.log2($P[$a, $b])¦np.log($P[$a, $b]) / np.log(2)⟩
return $bits / (len(test) - 1)
""",
        """
$pairs = train[:-1] * V + train[1:]
$C = np.bincount($pairs, minlength=V * V).reshape(V, V) + alpha
$logp = np.log($C) - np.log($C.sum(axis=1, keepdims=True))
return float(-$logp[test[:-1], test[1:]].mean() / np.log(2))
""",
        """
import math
from collections import Counter
~$cnt = Counter(zip(train[:-1].tolist(), train[1:].tolist()))
~$row = Counter(train[:-1].tolist())
$total = 0.0
for $a, $b in zip(test[:-1].tolist(), test[1:].tolist()):
    $total += math.log2(($cnt[($a, $b)] + alpha) / ($row[$a] + alpha * V))
return -$total / (len(test) - 1)
""",
    ],
    "char_rnn_loss": [
        """
~$E = params["E"]
~$Wi = params["W_ih"]
~$Wh = params["W_hh"]
$x = embedding_forward(tokens, $E)
$h, $hn = rnn_forward($x, h0, $Wi, $Wh, params["b_ih"], params["b_hh"])
$o = temporal_affine_forward($h, params["W_hy"], params["b_y"])
$L, $do = softmax_cross_entropy($o, targets, mask)
$dout, $dWy, $dby = temporal_affine_backward($do, $h, params["W_hy"])
$dx, _, $dWi, $dWh, $dbi, $dbh = rnn_backward($dout, ⟨np.zeros_like(h0)¦np.zeros(h0.shape)¦0 * h0⟩, $x, h0, $h, $Wi, $Wh)
$dE = embedding_backward($dx, tokens, ⟨$E.shape[0]¦len($E)⟩)
⟨$grads = {"E": $dE, "W_ih": $dWi, "W_hh": $dWh, "b_ih": $dbi, "b_hh": $dbh}
$grads.update({"W_hy": $dWy, "b_y": $dby})¦$grads = {"E": $dE, "W_ih": $dWi, "W_hh": $dWh, "b_ih": $dbi, "b_hh": $dbh, "W_hy": $dWy, "b_y": $dby}¦$grads = dict(E=$dE, W_ih=$dWi, W_hh=$dWh, b_ih=$dbi, b_hh=$dbh, W_hy=$dWy, b_y=$dby)⟩
return $L, $grads, $hn
""",
        """
$keys = ⟨("E", "W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_y")¦["E", "W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_y"]⟩
$E, $Wi, $Wh, $bi, $bh, $Wy, $by = ⟨(params[$k] for $k in $keys)¦[params[$k] for $k in $keys]⟩
$x = embedding_forward(tokens, $E)
$h, $last = rnn_forward($x, h0, $Wi, $Wh, $bi, $bh)
⟨$L, $do = softmax_cross_entropy(temporal_affine_forward($h, $Wy, $by), targets, mask)¦$o = temporal_affine_forward($h, $Wy, $by)
$L, $do = softmax_cross_entropy($o, targets, mask)⟩
$dh, $dWy, $dby = temporal_affine_backward($do, $h, $Wy)
$dx, $dh0, $dWi, $dWh, $dbi, $dbh = rnn_backward($dh, ⟨0 * h0¦np.zeros_like(h0)⟩, $x, h0, $h, $Wi, $Wh)
$values = (embedding_backward($dx, tokens, ⟨len($E)¦$E.shape[0]⟩), $dWi, $dWh, $dbi, $dbh, $dWy, $dby)
return $L, ⟨dict(zip($keys, $values))¦{$k: $v for $k, $v in zip($keys, $values)}⟩, $last
""",
        """
$x = params["E"][tokens]
~$hs = []
~$state = h0
for $t in range(⟨tokens.shape[0]¦len(tokens)⟩):
    $state = np.tanh($x[$t] @ params["W_ih"].T + params["b_ih"] + $state @ params["W_hh"].T + params["b_hh"])
    $hs.append($state)
$h = ⟨np.stack($hs)¦np.array($hs)⟩
$o = $h @ params["W_hy"].T + params["b_y"]
$L, $do = softmax_cross_entropy($o, targets, mask)
$dh, $dWy, $dby = temporal_affine_backward($do, $h, params["W_hy"])
$dx, _, $dWi, $dWh, $dbi, $dbh = rnn_backward($dh, np.zeros_like(h0), $x, h0, $h, params["W_ih"], params["W_hh"])
$dE = embedding_backward($dx, tokens, params["E"].shape[0])
return $L, {"E": $dE, "W_ih": $dWi, "W_hh": $dWh, "b_ih": $dbi, "b_hh": $dbh, "W_hy": $dWy, "b_y": $dby}, $state
""",
    ],
    "sample_sequence": [
        """
$N, $B = u.shape
$h = np.zeros(($B, ⟨params["W_hh"].shape[0]¦len(params["b_hh"])⟩))
$token = first
$ids = ⟨np.empty(($N, $B), dtype=np.int64)¦np.zeros(($N, $B), dtype=int)⟩
for $t in range($N):
    $x = ⟨embedding_forward($token, params["E"])¦params["E"][$token]⟩
    $h = rnn_step_forward($x, $h, params["W_ih"], params["W_hh"], params["b_ih"], params["b_hh"])
    $o = ⟨$h @ params["W_hy"].T + params["b_y"]¦np.dot($h, params["W_hy"].T) + params["b_y"]⟩
    $token = sample_tokens($o, temperature, u[$t])
    $ids[$t] = $token
return $ids
""",
        """
~$E = params["E"]
~$Wi = params["W_ih"]
~$Wh = params["W_hh"]
$state = np.zeros((⟨first.shape[0]¦len(first)⟩, $Wh.shape[0]))
~$tok = first
~$out = []
for $t in range(⟨u.shape[0]¦len(u)⟩):
    $state = np.tanh(⟨$E[$tok] @ $Wi.T + params["b_ih"] + $state @ $Wh.T + params["b_hh"]¦$state @ $Wh.T + $E[$tok] @ $Wi.T + params["b_ih"] + params["b_hh"]⟩)
    $logits = $state @ params["W_hy"].T + params["b_y"]
    $tok = sample_tokens($logits, temperature, u[$t])
    $out.append($tok)
return ⟨np.array($out)¦np.stack($out)⟩
""",
        """
~$rows = []
~$h = np.zeros((len(first), len(params["b_hh"])))
~$current = first
$t = 0
while $t < ⟨len(u)¦u.shape[0]⟩:
    $h = rnn_step_forward(params["E"][$current], $h, params["W_ih"], params["W_hh"], params["b_ih"], params["b_hh"])
    $current = sample_tokens(temporal_affine_forward($h[None], params["W_hy"], params["b_y"])[0], temperature, u[$t])
    $rows.append($current)
    $t += 1
return ⟨np.vstack($rows)¦np.array($rows)⟩
""",
    ],
    "train_char_model": [
        """
$H, $D, $T, $B, $lr = ⟨64, 16, 32, 32, 1e-2¦64, 16, 32, 32, 0.01¦96, 24, 32, 32, 1e-2⟩
$rng = np.random.default_rng(seed)
$bound = 1 / np.sqrt($H)
$params = {
    "E": $rng.normal(size=(V, $D)),
    "W_ih": $rng.uniform(-$bound, $bound, ($H, $D)),
    "W_hh": $rng.uniform(-$bound, $bound, ($H, $H)),
    "b_ih": np.zeros($H),
    "b_hh": np.zeros($H),
    "W_hy": $rng.uniform(-$bound, $bound, (V, $H)),
    "b_y": np.zeros(V),
}
~$m = {$k: np.zeros_like($p) for $k, $p in $params.items()}
~$v = {$k: np.zeros_like($p) for $k, $p in $params.items()}
~$mask, $h0 = np.ones(($T, $B), ⟨bool¦dtype=bool⟩), np.zeros(($B, $H))
for $step in range(1, steps + 1):
    $starts = $rng.integers(0, len(tokens) - $T, size=$B)
    $window = tokens[$starts[:, None] + np.arange($T + 1)].T
    _, $grads, _ = char_rnn_loss($params, $window[:-1], $window[1:], $mask, $h0)
    clip_grad_norm($grads, ⟨5.0¦5⟩)
    for $k, $p in $params.items():
        ~$m[$k] = 0.9 * $m[$k] + 0.1 * $grads[$k]
        ~$v[$k] = 0.999 * $v[$k] + 0.001 * $grads[$k] ** 2
        $p -= $lr * ($m[$k] / (1 - 0.9 ** $step)) / (np.sqrt($v[$k] / (1 - 0.999 ** $step)) + 1e-8)
return $params
""",
        """
$rng = np.random.default_rng(seed)
$hidden, $emb = ⟨48, 12¦64, 16⟩
$shapes = {"E": (V, $emb), "W_ih": ($hidden, $emb), "W_hh": ($hidden, $hidden), "b_ih": ($hidden,), "b_hh": ($hidden,), "W_hy": (V, $hidden), "b_y": (V,)}
$params = {$k: 0.1 * $rng.standard_normal($s) for $k, $s in $shapes.items()}
$state = {$k: [np.zeros($s), np.zeros($s)] for $k, $s in $shapes.items()}
$length, $batch = ⟨24, 48¦32, 32⟩
for $i in range(steps):
    $pos = $rng.integers(0, tokens.size - $length - 1, $batch)
    $chunk = np.stack([tokens[$q : $q + $length + 1] for $q in $pos], axis=1)
    $loss, $g, _ = char_rnn_loss($params, $chunk[:-1], $chunk[1:], np.ones(($length, $batch), dtype=bool), np.zeros(($batch, $hidden)))
    clip_grad_norm($g, ⟨1.0¦2.0⟩)
    for $k in $params:
        ~$state[$k][0] = 0.9 * $state[$k][0] + 0.1 * $g[$k]
        ~$state[$k][1] = 0.999 * $state[$k][1] + 0.001 * $g[$k] * $g[$k]
        $mhat = $state[$k][0] / (1 - 0.9 ** ($i + 1))
        $vhat = $state[$k][1] / (1 - 0.999 ** ($i + 1))
        $params[$k] = $params[$k] - 0.02 * $mhat / (np.sqrt($vhat) + 1e-8)
return $params
""",
        """
$gen = np.random.default_rng(seed)
$nh, $nd, $steps_back, $nb = 64, 16, 32, 32
$scale = 1.0 / np.sqrt($nh)
$params = {"E": $gen.normal(0, 1, (V, $nd)), "W_ih": $gen.uniform(-$scale, $scale, ($nh, $nd)), "W_hh": $gen.uniform(-$scale, $scale, ($nh, $nh)), "b_ih": np.zeros($nh), "b_hh": np.zeros($nh), "W_hy": $gen.uniform(-$scale, $scale, (V, $nh)), "b_y": np.zeros(V)}
$velocity = {$k: np.zeros_like($w) for $k, $w in $params.items()}
for _ in range(steps):
    $begin = $gen.integers(0, len(tokens) - $steps_back - 1, $nb)
    $cols = ⟨np.array([tokens[$s0 : $s0 + $steps_back + 1] for $s0 in $begin]).T¦np.stack([tokens[$s0 : $s0 + $steps_back + 1] for $s0 in $begin], axis=1)⟩
    _, $grads, _ = char_rnn_loss($params, $cols[:-1], $cols[1:], np.ones(($steps_back, $nb), bool), np.zeros(($nb, $nh)))
    clip_grad_norm($grads, 5.0)
    for $k, $w in $params.items():
        $velocity[$k] = ⟨0.9 * $velocity[$k] - 0.5 * $grads[$k]¦0.9 * $velocity[$k] - $grads[$k] * 0.5⟩
        $w += $velocity[$k]
return $params
""",
    ],
}

#: Per task, the package's own lines (from course_rnn's source) pasted into the stub.
PACKAGE = {
    "rnn_step_forward": """
a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh  # (B, H) pre-activation a_t
h_t = np.tanh(a)  # (B, H)
return h_t
""",
    "rnn_forward": """
T, B, D = x.shape
GH, H = W_hh.shape
bias = b_ih + b_hh
a_ih = (x.reshape(T * B, D) @ W_ih.T + bias).reshape(T, B, GH)  # (T, B, G·H)
weight_hh_T = np.ascontiguousarray(W_hh.T)  # (H, G·H), contiguous for the loop's product
a_hh = np.empty((B, GH), dtype=x.dtype)  # (B, G·H), one buffer reused at every step
h = np.empty((T, B, H), dtype=x.dtype)
state = h0
for t in range(T):
    np.matmul(state, weight_hh_T, out=a_hh)
    state = np.tanh(a_ih[t] + a_hh)
    h[t] = state
return h, state
""",
    "embedding_forward": """
where = "embedding_forward"
V = E.shape[0]
tokens = np.asarray(tokens)
if not np.issubdtype(tokens.dtype, np.integer):
    raise TypeError(f"{where}: tokens must be integer token ids, got dtype {tokens.dtype}")
if tokens.size and (tokens.min() < 0 or tokens.max() >= V):
    raise ValueError(
        f"{where}: tokens must lie in [0, V={V}), got values {tokens.min()} .. {tokens.max()}"
    )
return E[tokens]  # (T, B, D)
""",
    "temporal_affine_forward": """
o = h @ W_hy.T + b_y  # (T, B, V)
return o
""",
    "numerical_gradient": """
x = np.array(x, copy=True)
grad = np.zeros_like(x)

def objective(z):
    y = f(z.copy())
    return float(np.sum(y)) if dout is None else float(np.sum(np.asarray(y) * dout))

for ix in np.ndindex(x.shape):
    old = x[ix]
    x[ix] = old + h
    plus = objective(x)
    x[ix] = old - h
    minus = objective(x)
    x[ix] = old
    grad[ix] = (plus - minus) / (2 * h)
return grad
""",
    "rnn_step_backward": """
da = dh_t * (1 - h_t * h_t)  # (B, H) dL/da_t, since tanh'(a) = 1 - tanh(a)^2
dx_t = da @ W_ih  # (B, D)
dh_prev = da @ W_hh  # (B, H)
dW_ih = da.T @ x_t  # (H, D)
dW_hh = da.T @ h_prev  # (H, H)
db_ih = da.sum(axis=0)  # (H,)
db_hh = db_ih.copy()  # (H,)
return dx_t, dh_prev, dW_ih, dW_hh, db_ih, db_hh
""",
    "rnn_backward": """
T, B, D = x.shape
GH, H = W_hh.shape
da_ih = np.empty((T, B, GH), dtype=x.dtype)
dstate = dh_n
for t in reversed(range(T)):
    # The loss reaches h_t twice: from the output at step t and from step t + 1.
    dstate = dstate + dout[t]
    da_ih[t] = dstate * (1 - h[t] * h[t])
    dstate = da_ih[t] @ W_hh  # (B, H)
h_prev = np.concatenate([h0[None], h[:-1]]).reshape(T * B, H)  # (T·B, H): h_{t-1} at each t
da_ih = da_ih.reshape(T * B, GH)  # (T·B, G·H)
dbias_ih = da_ih.sum(axis=0)  # (G·H,)
dW_ih = da_ih.T @ x.reshape(T * B, D)  # (G·H, D) summed over steps and batch
dW_hh = da_ih.T @ h_prev  # (G·H, H)
dx = (da_ih @ W_ih).reshape(T, B, D)  # (T, B, D)
return dx, dstate, dW_ih, dW_hh, dbias_ih, dbias_ih.copy()
""",
    "temporal_affine_backward": """
T, B, H = h.shape
V = W_hy.shape[0]
dh = do @ W_hy  # (T, B, H)
dW_hy = do.reshape(T * B, V).T @ h.reshape(T * B, H)  # (V, T·B) @ (T·B, H) -> (V, H)
db_y = do.sum(axis=(0, 1))  # (V,)
return dh, dW_hy, db_y
""",
    "softmax_cross_entropy": """
N = int(mask.sum())
y_safe = np.where(mask, y, 0)[..., None]  # (T, B, 1): any valid id where masked
shifted = o - np.max(o, axis=-1, keepdims=True)
logp = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))  # (T, B, V)
nll = -np.take_along_axis(logp, y_safe, axis=-1)[..., 0]  # (T, B) -log p_t[y_t]
L = float(np.sum(nll, where=mask) / N)
do = np.exp(logp)  # (T, B, V) p_t
p_y = np.take_along_axis(do, y_safe, axis=-1)
np.put_along_axis(do, y_safe, p_y - 1, axis=-1)  # p_t - one_hot(y_t)
do *= mask[..., None] / N  # masked positions get no gradient; 1/N from the mean
return L, do
""",
    "embedding_backward": """
tokens = np.asarray(tokens)
D = dx.shape[-1]
dE = np.zeros((V, D), dtype=dx.dtype)
# Scatter-add: a token that occurs twice must collect both gradients; dE[tokens] += dx
# would keep only one of them.
np.add.at(dE, tokens.reshape(-1), dx.reshape(-1, D))  # (T·B,) ids, (T·B, D) rows
return dE
""",
    "clip_grad_norm": """
if max_norm < 0:
    raise ValueError(f"clip_grad_norm: max_norm must be >= 0, got {max_norm}")
if not grads:
    return 0.0
arrays = list(grads.values())
total = float(sum(np.sum(np.abs(g) ** 2.0) for g in arrays) ** (1.0 / 2.0))
coef = min(max_norm / (total + 1e-6), 1.0)
for g in arrays:
    g *= coef
return total
""",
    "softmax_with_temperature": """
x = logits / temperature
e = np.exp(x - np.max(x, axis=-1, keepdims=True))
return e / np.sum(e, axis=-1, keepdims=True)
""",
    "sample_tokens": """
probs = softmax_with_temperature(logits, temperature)
cdf = np.cumsum(probs, axis=-1)  # (B, V)
ids = (cdf <= u[:, None]).sum(axis=-1)  # (B,) the smallest i with u < cdf[i]
return np.minimum(ids, cdf.shape[-1] - 1).astype(np.int64)  # rounding: cdf[-1] may be < u
""",
    "bigram_bits": """
counts = np.full((V, V), float(alpha))  # (V, V) counts[a, b]: pair a then b
np.add.at(counts, (train[:-1], train[1:]), 1.0)
probs = counts / counts.sum(axis=1, keepdims=True)  # each row a distribution over next ids
return float(-np.mean(np.log2(probs[test[:-1], test[1:]])))
""",
    "char_rnn_loss": """
E, W_ih, W_hh, b_ih, b_hh, W_hy, b_y = (params[k] for k in ("E", "W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_y"))
x = embedding_forward(tokens, E)  # (T, B, D)
h, h_n = rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
o = temporal_affine_forward(h, W_hy, b_y)  # (T, B, V)
L, do = softmax_cross_entropy(o, targets, mask)
dout, dW_hy, db_y = temporal_affine_backward(do, h, W_hy)  # dout (T, B, H)
dx, _, dW_ih, dW_hh, db_ih, db_hh = rnn_backward(dout, np.zeros_like(h0), x, h0, h, W_ih, W_hh)
dE = embedding_backward(dx, tokens, E.shape[0])
grads = {
    "E": dE,
    "W_ih": dW_ih,
    "W_hh": dW_hh,
    "b_ih": db_ih,
    "b_hh": db_hh,
    "W_hy": dW_hy,
    "b_y": db_y,
}
return L, grads, h_n
""",
    "sample_sequence": """
E, W_ih, W_hh, b_ih, b_hh, W_hy, b_y = (params[k] for k in ("E", "W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_y"))
N, B = u.shape
h = np.zeros((B, W_hh.shape[0]))  # (B, H) h_0
token = first
ids = np.empty((N, B), dtype=np.int64)
for t in range(N):
    h = rnn_step_forward(E[token], h, W_ih, W_hh, b_ih, b_hh)  # read token, then predict
    token = sample_tokens(h @ W_hy.T + b_y, temperature, u[t])
    ids[t] = token
return ids
""",
    "train_char_model": """
import math
H, D, T, B, lr, max_norm = 64, 16, 32, 32, 1e-2, 5.0
rng = np.random.default_rng(seed)
bound = 1 / math.sqrt(H)  # torch's U(-1/sqrt(H), 1/sqrt(H))
params = {
    "E": rng.normal(size=(V, D)),
    "W_ih": rng.uniform(-bound, bound, (H, D)),
    "W_hh": rng.uniform(-bound, bound, (H, H)),
    "b_ih": np.zeros(H),
    "b_hh": np.zeros(H),
    "W_hy": rng.uniform(-bound, bound, (V, H)),
    "b_y": np.zeros(V),
}
state = {}
mask, h0 = np.ones((T, B), bool), np.zeros((B, H))
for step in range(1, steps + 1):
    starts = rng.integers(0, len(tokens) - T, size=B)  # (B,)
    window = tokens[starts[:, None] + np.arange(T + 1)].T  # (T + 1, B)
    _, grads, _ = char_rnn_loss(params, window[:-1], window[1:], mask, h0)
    clip_grad_norm(grads, max_norm)
    step_size = lr / (1 - 0.9**step)
    bias_correction2_sqrt = math.sqrt(1 - 0.999**step)
    for name, p in params.items():
        g = grads[name]
        if name not in state:
            state[name] = (np.zeros_like(p), np.zeros_like(p))
        m, v = state[name]
        m *= 0.9
        m += (1 - 0.9) * g
        v *= 0.999
        v += (1 - 0.999) * g * g
        p -= step_size * m / (np.sqrt(v) / bias_correction2_sqrt + 1e-8)
return params
""",
}
