"""Reference implementation of fqt's quantizers and of its Philox stream.

Two layers:

* ``philox4x32_10`` and ``uniform``: the counter-based generator that
  ``--fqt-lower-quantize`` emits in ``arith`` (include/fqt/Conversion/Philox.h
  documents the key and counter layout). ``selftest()`` checks the generator
  against Random123's known-answer vectors and checks the same round function
  at 64-bit words against ``numpy.random.Philox`` (Philox-4x64-10).

* ``quantize(kind, x, ...)``: each quantizer written in float32 with exactly
  the operations, in the same order, that the lowering emits, so that codes,
  scales and offsets can be compared bit for bit with the compiled code.
  ``textbook_params(kind, x, ...)`` computes the scales and offsets in float64
  from the formulas of docs/quantizers.md (§3.2-§3.5, §4.2), to check that
  the float32 formulation computes the documented quantity.

Run directly (``python3 quantizers_ref.py``) for the self test.
"""

import math

import numpy as np

F32 = np.float32
EPS = F32(1e-8)

# ---------------------------------------------------------------------------
# Philox
# ---------------------------------------------------------------------------

# Philox-4x32 constants (Salmon et al., SC'11; Random123 philox.h).
PHILOX_M4x32 = (0xD2511F53, 0xCD9E8D57)
PHILOX_W32 = (0x9E3779B9, 0xBB67AE85)
# Philox-4x64 constants (Random123 philox.h; numpy's Philox).
PHILOX_M4x64 = (0xD2E7470EE14C6C93, 0xCA5A826395121157)
PHILOX_W64 = (0x9E3779B97F4A7C15, 0xBB67AE8584CAA73B)


def philox4_generic(ctr, key, bits, mults, weyl, rounds=10):
    """Philox-4xW with Python integers (one counter): the textbook algorithm.

    Round: (hi0, lo0) = M0 * c0, (hi1, lo1) = M1 * c2,
           c = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
    the key is bumped by the Weyl constants before rounds 2..R.
    """
    mask = (1 << bits) - 1
    c = [x & mask for x in ctr]
    k = [x & mask for x in key]
    for r in range(rounds):
        if r:
            k = [(k[0] + weyl[0]) & mask, (k[1] + weyl[1]) & mask]
        p0 = mults[0] * c[0]
        p1 = mults[1] * c[2]
        hi0, lo0 = p0 >> bits, p0 & mask
        hi1, lo1 = p1 >> bits, p1 & mask
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
    return c


def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Vectorised Philox-4x32-10 on uint32 arrays (broadcasting)."""
    c = [np.asarray(v, np.uint64) & np.uint64(0xFFFFFFFF)
         for v in (c0, c1, c2, c3)]
    k = [np.asarray(v, np.uint64) & np.uint64(0xFFFFFFFF) for v in (k0, k1)]
    m0, m1 = np.uint64(PHILOX_M4x32[0]), np.uint64(PHILOX_M4x32[1])
    w0, w1 = np.uint64(PHILOX_W32[0]), np.uint64(PHILOX_W32[1])
    lo = np.uint64(0xFFFFFFFF)
    s32 = np.uint64(32)
    for r in range(10):
        if r:
            k = [(k[0] + w0) & lo, (k[1] + w1) & lo]
        p0 = m0 * c[0]  # < 2^64: exact in uint64
        p1 = m1 * c[2]
        c = [(p1 >> s32) ^ c[1] ^ k[0], p1 & lo, (p0 >> s32) ^ c[3] ^ k[1],
             p0 & lo]
    return [v.astype(np.uint32) for v in c]


def split64(v):
    v = np.asarray(v, np.int64).astype(np.uint64)
    return ((v & np.uint64(0xFFFFFFFF)).astype(np.uint32),
            (v >> np.uint64(32)).astype(np.uint32))


def philox_key_counter(seed, step, stream, block):
    """fqt's layout: key = (lo32(seed), hi32(seed)),
    counter = (lo32(block), hi32(block), lo32(step), lo32(stream))."""
    k0, k1 = split64(seed)
    i0, i1 = split64(block)
    s0, _ = split64(step)
    t0, _ = split64(stream)
    return (i0, i1, s0, t0), (k0, k1)


def uniform(seed, step, stream, index):
    """Uniform float32 in [0, 1) of element ``index``: the top 24 bits of word
    index % 4 of the Philox block at counter index // 4, times 2^-24 (exact
    in float32)."""
    index = np.asarray(index, np.int64)
    ctr, key = philox_key_counter(seed, step, stream, index >> 2)
    words = np.stack(np.broadcast_arrays(*philox4x32_10(*ctr, *key)))
    x = np.take_along_axis(words, (index & 3)[None, ...], 0)[0]
    return (x >> np.uint32(8)).astype(F32) * F32(2.0**-24)


def selftest():
    kat = [  # Random123 tests/kat_vectors, philox4x32 10
        ((0, 0, 0, 0), (0, 0), (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
        ((0xffffffff,) * 4, (0xffffffff,) * 2,
         (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
        ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344),
         (0xa4093822, 0x299f31d0),
         (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1)),
    ]
    for ctr, key, want in kat:
        got = [int(v) for v in philox4x32_10(*ctr, *key)]
        assert got == list(want), (ctr, key, [hex(v) for v in got])
        assert philox4_generic(ctr, key, 32, PHILOX_M4x32,
                               PHILOX_W32) == list(want)
    # The same round function at 64-bit words is numpy's Philox-4x64-10.
    # numpy increments the counter before each block, so a generator at
    # counter c produces block(c + 1) first.
    rng = np.random.default_rng(7)
    for _ in range(4):
        ctr = [int(v) for v in rng.integers(0, 2**63, 4, dtype=np.uint64)]
        key = [int(v) for v in rng.integers(0, 2**63, 2, dtype=np.uint64)]
        bg = np.random.Philox(counter=np.array(ctr, np.uint64),
                              key=np.array(key, np.uint64))
        raw = [int(v) for v in bg.random_raw(8)]
        for block in range(2):
            c = [ctr[0] + 1 + block] + ctr[1:]
            want = philox4_generic(c, key, 64, PHILOX_M4x64, PHILOX_W64)
            assert raw[4 * block:4 * block + 4] == want, (ctr, key)
    # Vectorised 4x32 agrees with the integer version on random inputs.
    words = rng.integers(0, 2**32, (6, 64), dtype=np.uint64)
    vec = philox4x32_10(*words)
    for j in range(words.shape[1]):
        ref = philox4_generic([int(w) for w in words[:4, j]],
                              [int(w) for w in words[4:, j]], 32,
                              PHILOX_M4x32, PHILOX_W32)
        assert [int(v[j]) for v in vec] == ref
    u = uniform(1, 2, 3, np.arange(1 << 16))
    assert u.dtype == F32 and u.min() >= 0 and u.max() < 1
    return True


# ---------------------------------------------------------------------------
# Quantizers, float32, in the order of operations of the lowering
# ---------------------------------------------------------------------------

KINDS = ("act", "weight", "ptq", "psq", "psqz", "percol", "percolz", "lbt",
         "bhq")
STOCHASTIC_DEFAULT = {"act": False, "weight": False, "ptq": True,
                      "psq": True, "psqz": True, "percol": True,
                      "percolz": True, "lbt": True, "bhq": True}
# psqz and percolz: psq and percol with the zero point snapped per group
# (#fqt.psq<..., zero = snapped>).
SNAPPED = ("weight", "ptq", "psqz", "percolz")
ROWS = ("psq", "psqz", "bhq")
COLUMNS = ("percol", "percolz")


def _reduce_axes(kind, rank):
    if kind in ("act", "weight", "ptq", "lbt"):
        return tuple(range(rank)), ()
    if kind in ROWS:
        return tuple(range(1, rank)), (0,)
    if kind in COLUMNS:
        return (0,), tuple(range(1, rank))
    raise ValueError(kind)


def _minmax(x, axes):
    if not axes:
        return x.copy(), x.copy()
    return x.min(axis=axes), x.max(axis=axes)


def range_params(mn_x, mx_x, bits):
    """act / psq / percol / bhq rows: min/max -+ 1e-8, no zero snapping."""
    B = F32(2**bits - 1)
    mn = (mn_x - EPS).astype(F32)
    mx = (mx_x + EPS).astype(F32)
    rng = (mx - mn).astype(F32)
    rng = np.where(rng > 0, rng, F32(1)).astype(F32)
    mul = (B / rng).astype(F32)
    scale = (rng / B).astype(F32)
    return dict(mul=mul, lo=mn, zc=None, scale=scale, offset=mn)


def snapped_params(mn_x, mx_x, bits):
    """weight / ptq: range widened to contain 0, zero point snapped to an
    integer code zc (docs/quantizers.md §3.2: zc = iq). Where iq == 0 the range
    is set by the maximum: zc = 0 without negative elements, zc = 1 with
    some; with one bit the latter is impossible and min/max is used."""
    B = F32(2**bits - 1)
    zero, one = F32(0), F32(1)
    mn = np.minimum((mn_x - EPS).astype(F32), zero)
    mx = np.maximum((mx_x + EPS).astype(F32), zero)
    rng = (mx - mn).astype(F32)
    rng = np.where(rng > 0, rng, one).astype(F32)
    s0 = (B / rng).astype(F32)
    iq = np.floor((-mn * s0).astype(F32)).astype(F32)
    zc_max = np.where(mn_x < zero, one, zero).astype(F32)
    above = (B - zc_max).astype(F32)
    by_min = iq >= one
    by_max = above >= one
    snapped = by_min | by_max
    with np.errstate(divide="ignore", invalid="ignore"):
        zc = np.where(by_min, iq, zc_max).astype(F32)
        mul = np.where(by_min, (iq / -mn).astype(F32),
                       (above / mx).astype(F32)).astype(F32)
        scale = np.where(by_min, (-mn / iq).astype(F32),
                         (mx / above).astype(F32)).astype(F32)
        offset = (zero - (zc * scale).astype(F32)).astype(F32)
    return dict(mul=np.where(snapped, mul, s0).astype(F32),
                lo=np.where(snapped, zero, mn).astype(F32),
                zc=np.where(snapped, zc, zero).astype(F32),
                scale=np.where(snapped, scale, (rng / B).astype(F32)).astype(F32),
                offset=np.where(snapped, offset, mn).astype(F32))


def lbt_params(amax, bits, gamma):
    M = F32(2**(bits - 1) - 1)
    c = (F32(gamma) * amax).astype(F32)
    c = np.where(c == 0, EPS, c).astype(F32)
    return dict(mul=(M / c).astype(F32), lo=None, zc=None,
                scale=(c / M).astype(F32), offset=None)


def _bcast(p, kind, rank):
    """Reshape a per-group parameter to broadcast against the input."""
    if p is None:
        return None
    p = np.asarray(p, F32)
    if kind in ROWS:
        return p.reshape((-1,) + (1,) * (rank - 1))
    if kind in COLUMNS:
        return p.reshape((1,) + p.shape)
    return p


def round_codes(y, qlo, qhi, stochastic, u):
    yc = np.maximum(np.minimum(y, F32(qhi)), F32(qlo)).astype(F32)
    if not stochastic:
        return np.rint(yc).astype(F32)  # half to even, as math.roundeven
    fl = np.floor(yc).astype(F32)
    frac = (yc - fl).astype(F32)
    return (fl + np.where(u < frac, F32(1), F32(0))).astype(F32)


def linear_index(shape):
    return np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)


def apply_affine(x, p, kind, qlo, qhi, stochastic, u):
    """y = (x - lo) * mul + zc, then clamp and round."""
    rank = x.ndim
    y = x
    if p["lo"] is not None:
        y = (y - _bcast(p["lo"], kind, rank)).astype(F32)
    y = (y * _bcast(p["mul"], kind, rank)).astype(F32)
    if p["zc"] is not None:
        y = (y + _bcast(p["zc"], kind, rank)).astype(F32)
    return round_codes(y, qlo, qhi, stochastic, u), y


# -- BHQ transform construction (docs/quantizers.md §3.5) ------------------

INV_CBRT_MAGIC = 0x54A2FA8C


def inv_cbrt(w):
    """w^(-1/3) for w > 0 with float32 +-*/ only (bit-trick start, four
    Newton steps y <- y (4 - w y^3) / 3), as the lowering computes it."""
    w = np.asarray(w, F32)
    i = w.view(np.uint32)
    y = (np.uint32(INV_CBRT_MAGIC) - i // np.uint32(3)).astype(np.uint32).view(F32)
    for _ in range(4):
        t = (y * y).astype(F32)
        t = (t * y).astype(F32)
        t = (w * t).astype(F32)
        y = ((y * (F32(4) - t).astype(F32)).astype(F32) / F32(3)).astype(F32)
    return y


def householder_entry(p, q, n):
    """Entry (p, q) of H_n = I - 2 v v^T, H_n e1 = 1/sqrt(n) 1, float32."""
    n = F32(n)
    sq = np.sqrt(n).astype(F32)
    a = (F32(1) / (n - sq).astype(F32)).astype(F32)
    if p == 0 or q == 0:
        return (F32(1) / sq).astype(F32)
    if p == q:
        return (F32(1) - a).astype(F32)
    return (-a).astype(F32)


def bhq_qmax(n):
    n = F32(n)
    sq = np.sqrt(n).astype(F32)
    a = (F32(1) / (n - sq).astype(F32)).astype(F32)
    m = max((F32(1) / sq).astype(F32), abs((F32(1) - a).astype(F32)))
    if n >= 3:
        m = max(m, a)
    return F32(m)


def round_half_away(v):
    """roundf / math.round: ties away from zero (exact in float64)."""
    v = float(v)
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def bhq_transform(x):
    """Grouping, scales and the per-row layout of the BHQ transform.

    Returns dict(pos, start, size, s, perm, groups) with, per original row r:
    its position in its group (0 = leader), the group's start in group order,
    the group size and the row scale; perm lists the rows in group order.
    """
    n_rows = x.shape[0]
    axes = tuple(range(1, x.ndim))
    mn, mx = _minmax(x, axes)
    lam = ((mx - mn).astype(F32) + EPS).astype(F32)
    # Descending order, ties by row index (deterministic).
    rank = np.array([np.sum(lam > lam[r]) + np.sum(lam[:r] == lam[r])
                     for r in range(n_rows)])
    order = np.empty(n_rows, np.int64)
    order[rank] = np.arange(n_rows)
    v = lam[order]
    total = F32(0)
    for t in range(n_rows):
        total = F32(total + v[t])
    k = 0
    while k < n_rows - 1:
        k += 1
        total = F32(total - v[n_rows - k])
        num = F32(F32(F32(k) * v[n_rows - k - 1]) / total)
        if num > 1:
            break
    L = n_rows - k
    pos = np.zeros(n_rows, np.int64)
    start = np.zeros(n_rows, np.int64)
    size = np.zeros(n_rows, np.int64)
    s = np.zeros(n_rows, F32)
    perm = np.zeros(n_rows, np.int64)
    cum = F32(0)
    prev = 0
    groups = []
    for i in range(L):
        cum = F32(cum + F32(F32(F32(k) * v[i]) / total))
        # roundf: half away from zero.
        nums = k if i == L - 1 else round_half_away(cum)
        nums = min(max(nums, prev), k)
        sz = 1 + nums - prev
        st = i + prev
        members = [order[i]] + [order[L + prev + q - 1] for q in range(1, sz)]
        if sz == 1:
            s1 = s2 = F32(1)
        else:
            nf = F32(sz)
            sq = np.sqrt(nf).astype(F32)
            w1 = F32(v[i] / sq)
            w2 = F32(v[L + prev] * bhq_qmax(sz))
            s1 = inv_cbrt(w1)
            s2 = inv_cbrt(F32(w2 / F32(nf - F32(1))))
            norm = np.sqrt(F32(F32(F32(1) / F32(s1 * s1)) +
                               F32(F32(1) / F32(s2 * s2)))).astype(F32)
            s1 = F32(s1 * norm)
            s2 = F32(s2 * norm)
        for q, r in enumerate(members):
            pos[r] = q
            start[r] = st
            size[r] = sz
            s[r] = s1 if q == 0 else s2
            perm[st + q] = r
        groups.append(members)
        prev = nums
    return dict(pos=pos, start=start, size=size, s=s, perm=perm, groups=groups,
                L=L, k=k)


def bhq_apply(x, t):
    """Y = T x, one group at a time, accumulating in group order."""
    n_rows = x.shape[0]
    y = np.zeros_like(x, dtype=F32)
    for r in range(n_rows):
        acc = np.zeros(x.shape[1:], F32)
        for q in range(t["size"][r]):
            c = t["perm"][t["start"][r] + q]
            h = householder_entry(t["pos"][r], q, t["size"][r])
            acc = (acc + (F32(h * t["s"][c]) * x[c]).astype(F32)).astype(F32)
        y[r] = acc
    return y


def bhq_inverse(t):
    n_rows = len(t["pos"])
    tinv = np.zeros((n_rows, n_rows), F32)
    for r in range(n_rows):
        for c in range(n_rows):
            if t["start"][r] == t["start"][c]:
                h = householder_entry(t["pos"][r], t["pos"][c], t["size"][r])
                tinv[r, c] = F32(h / t["s"][r])
    return tinv


def quantize(kind, x, bits, seed=0, step=0, stream=0, gamma=1.0,
             stochastic=None):
    """Returns dict(codes (int64), scale, offset (or None), transform (or
    None), y (the scaled values before rounding), u (noise or None))."""
    x = np.asarray(x, F32)
    if stochastic is None:
        stochastic = STOCHASTIC_DEFAULT[kind]
    rank = x.ndim
    u = None
    if stochastic:
        u = uniform(seed, step, stream, linear_index(x.shape))
    transform = None
    src = x
    if kind == "bhq":
        t = bhq_transform(x)
        src = bhq_apply(x, t)
        transform = bhq_inverse(t)
    axes, _ = _reduce_axes(kind, rank)
    B = 2**bits - 1
    qlo, qhi = 0, B
    if kind == "lbt":
        amax = np.abs(src).max() if src.size else F32(0)
        p = lbt_params(F32(amax), bits, F32(gamma))
        M = 2**(bits - 1) - 1
        qlo, qhi = -M, M
    elif kind in SNAPPED:
        p = snapped_params(*_minmax(src, axes), bits)
    else:
        p = range_params(*_minmax(src, axes), bits)
    q, y = apply_affine(src, p, kind, qlo, qhi, stochastic, u)
    return dict(codes=q.astype(np.int64), scale=p["scale"], offset=p["offset"],
                transform=transform, y=y, u=u, params=p, src=src)


def dequantize(kind, res):
    """code * scale + offset (float32), then T^-1 on the rows for BHQ
    (float32, accumulated in column order as linalg.matmul's loops do)."""
    q = res["codes"].astype(F32)
    rank = q.ndim
    v = (q * _bcast(res["scale"], kind, rank)).astype(F32)
    if res["offset"] is not None:
        v = (v + _bcast(res["offset"], kind, rank)).astype(F32)
    if res["transform"] is not None:
        v = matmul_f32(res["transform"], v)
    return v


def matmul_f32(a, x):
    """a (N x N) times x (N x ...) in float32, summing k = 0..N-1 in order."""
    n = a.shape[0]
    flat = x.reshape(n, -1)
    out = np.zeros_like(flat, dtype=F32)
    for k in range(n):
        out = (out + (a[:, k:k + 1] * flat[k:k + 1, :]).astype(F32)).astype(F32)
    return out.reshape(x.shape)


# ---------------------------------------------------------------------------
# Float64 textbook formulas (docs/quantizers.md), for the scales and offsets
# ---------------------------------------------------------------------------


def _textbook_snapped(x_min, x_max, B):
    """(scale, offset) of one group whose range is widened to contain 0 and
    whose zero point is snapped to an integer code, in float64."""
    mn = min(x_min - 1e-8, 0.0)
    mx = max(x_max + 1e-8, 0.0)
    s0 = B / (mx - mn)
    iq = np.floor(-mn * s0)
    if iq == 0:
        # fqt's guard (the reference code divides by zero here).
        if x_min >= 0:
            return mx / B, 0.0
        if B >= 2:
            return mx / (B - 1), -mx / (B - 1)
        return (mx - mn) / B, mn
    mx2 = (iq - B) * mn / iq
    s = B / (mx2 - mn)
    return 1 / s, mn


def textbook_params(kind, x, bits, gamma=1.0):
    """(scale = 1/s, offset = zero point) in float64 from the formulas of
    docs/quantizers.md, plus the transform for BHQ."""
    x = np.asarray(x, np.float64)
    B = 2**bits - 1
    axes, _ = _reduce_axes(kind, x.ndim)
    if kind == "lbt":
        M = 2**(bits - 1) - 1
        c = gamma * np.abs(x).max()
        c = c if c != 0 else 1e-8
        return c / M, None
    if kind in SNAPPED:
        mins, maxs = _minmax(x, axes)
        pairs = [_textbook_snapped(lo, hi, B)
                 for lo, hi in zip(np.ravel(mins), np.ravel(maxs))]
        scale = np.array([p[0] for p in pairs]).reshape(np.shape(mins))
        offset = np.array([p[1] for p in pairs]).reshape(np.shape(mins))
        return scale, offset
    mn, mx = _minmax(x, axes)
    mn = mn - 1e-8
    mx = mx + 1e-8
    return (mx - mn) / B, mn


def textbook_bhq_transform(x, groups):
    """T and T^-1 in float64 for the given grouping (leader first)."""
    n_rows = x.shape[0]
    flat = np.asarray(x, np.float64).reshape(n_rows, -1)
    lam = flat.max(1) - flat.min(1) + 1e-8
    T = np.zeros((n_rows, n_rows))
    Tinv = np.zeros((n_rows, n_rows))
    for g in groups:
        n = len(g)
        if n == 1:
            T[g[0], g[0]] = Tinv[g[0], g[0]] = 1
            continue
        e1 = np.zeros(n)
        e1[0] = 1
        u = np.ones(n) / np.sqrt(n) - e1
        v = u / np.linalg.norm(u)
        H = np.eye(n) - 2 * np.outer(v, v)
        qmax = np.abs(H).max()
        w1 = lam[g[0]] / np.sqrt(n)
        w2 = lam[g[1]] * qmax
        s1 = w1**(-1 / 3)
        s2 = (w2 / (n - 1))**(-1 / 3)
        norm = np.sqrt(1 / s1**2 + 1 / s2**2)
        s = np.array([s1] + [s2] * (n - 1)) * norm
        for a, ra in enumerate(g):
            for b, rb in enumerate(g):
                T[ra, rb] = H[a, b] * s[b]
                Tinv[ra, rb] = H[a, b] / s[a]
    return T, Tinv


if __name__ == "__main__":
    selftest()
    print("philox self test passed")


# ---------------------------------------------------------------------------
# Reading the runner's printMemref output
# ---------------------------------------------------------------------------


def parse_memrefs(text):
    """Every `printMemref*` block of `text` as a numpy array (float64 or
    int64, shaped by the printed sizes), in print order."""
    import re
    arrays = []
    pattern = re.compile(
        r"rank = (\d+) offset = \d+ sizes = \[([^\]]*)\] strides = "
        r"\[[^\]]*\] data =\s*(.*?)(?=Unranked Memref|\Z)", re.S)
    for m in pattern.finditer(text):
        sizes = [int(v) for v in m.group(2).split(",") if v.strip()]
        body = m.group(3)
        tokens = re.findall(r"-?(?:nan|inf|\d+(?:\.\d*)?(?:e[-+]?\d+)?)", body)
        is_int = all(re.fullmatch(r"-?\d+", t) for t in tokens)
        values = np.array([int(t) for t in tokens] if is_int else
                          [float(t) for t in tokens])
        arrays.append(values.reshape(sizes))
    return arrays


def mismatched_bits(got_bits, want):
    """Positions where the printed IEEE bits `got_bits` differ from the
    float32 values `want` (both flattened)."""
    want_bits = bits_of_f32(np.asarray(want, F32).ravel()) & 0xFFFFFFFF
    got_bits = np.asarray(got_bits).ravel() & 0xFFFFFFFF
    return np.flatnonzero(got_bits != want_bits)


class CaseChecks:
    """The failures a checker collects, each named by its case."""

    def __init__(self):
        self.failures = []

    def fail(self, case, msg):
        self.failures.append(f"{case['name']}: {msg}")

    def same_bits(self, case, what, got_bits, want):
        """Whether the printed bits `got_bits` are those of the float32
        values `want`; a failure naming the first differences if not."""
        bad = mismatched_bits(got_bits, want)
        if bad.size:
            got_bits = np.asarray(got_bits).ravel()
            self.fail(case, f"{what} differs from the reference at {bad[:8]}: "
                      f"{f32_from_bits(got_bits)[bad[:4]]} vs "
                      f"{np.asarray(want, F32).ravel()[bad[:4]]}")
            return False
        return True

    def passed(self, case):
        return not any(f.startswith(case["name"] + ":") for f in self.failures)


def f32_from_bits(bits):
    return np.asarray(bits, np.int64).astype(np.uint32).view(F32)


def bits_of_f32(values):
    return np.asarray(values, F32).view(np.uint32).astype(np.int64)


# ---------------------------------------------------------------------------
# Block quantizers (#fqt.blk, #fqt.rht; docs/quantizers.md §5.2, §5.3)
# ---------------------------------------------------------------------------


def random_signs(seed, step, stream, size):
    """The rht signs: -1 where the Philox uniform of index j is below 1/2."""
    u = uniform(seed, step, stream, np.arange(size, dtype=np.int64))
    return np.where(u < F32(0.5), F32(-1), F32(1)).astype(F32)


def split_blocks(x, axis, size):
    """x padded with zeros along `axis` to a multiple of `size`, that axis
    split into [blocks, size]."""
    n = x.shape[axis]
    nb = -(-n // size)
    pad = [(0, 0)] * x.ndim
    pad[axis] = (0, nb * size - n)
    xp = np.pad(x, pad)
    return xp.reshape(x.shape[:axis] + (nb, size) + x.shape[axis + 1:])


def merge_blocks(view, axis, shape):
    merged = view.reshape(view.shape[:axis] +
                          (view.shape[axis] * view.shape[axis + 1],) +
                          view.shape[axis + 2:])
    return merged[tuple(slice(0, d) for d in shape)]


def hadamard(view, vdim, signs, inverse):
    """T v = H (D v) / sqrt(S) on every block (values at dimension vdim), or
    T^T v = D (H v) / sqrt(S), in the lowering's float32 order."""
    size = view.shape[vdim]
    factor = F32(1.0 / np.sqrt(size))
    bshape = [1] * view.ndim
    bshape[vdim] = size
    sg = signs.reshape(bshape)
    x = np.asarray(view, F32)
    if not inverse:
        x = (x * sg).astype(F32)
    h = 1
    while h < size:
        pairs = x.reshape(view.shape[:vdim] + (size // (2 * h), 2, h) +
                          view.shape[vdim + 1:])
        a = np.take(pairs, 0, axis=vdim + 1)
        b = np.take(pairs, 1, axis=vdim + 1)
        x = np.stack([(a + b).astype(F32), (a - b).astype(F32)],
                     axis=vdim + 1).reshape(view.shape)
        h *= 2
    if inverse:
        return ((x * sg).astype(F32) * factor).astype(F32)
    return (x * factor).astype(F32)


def block_quantize(x, bits, size, axis, seed=0, step=0, stream=0,
                   signs_stream=None, stochastic=True):
    """#fqt.blk (signs_stream None) or #fqt.rht: dict(codes, scale, signs,
    src (the transformed blocks, merged), view_scale)."""
    x = np.asarray(x, F32)
    view = split_blocks(x, axis, size)
    vdim = axis + 1
    signs = None
    if signs_stream is not None:
        signs = random_signs(seed, step, signs_stream, size)
        view = hadamard(view, vdim, signs, inverse=False)
    amax = np.abs(view).max(axis=vdim).astype(F32)
    M = F32(2**(bits - 1) - 1)
    c = np.where(amax == 0, EPS, amax).astype(F32)
    mul = (M / c).astype(F32)
    scale = (c / M).astype(F32)
    y = (view * np.expand_dims(mul, vdim)).astype(F32)
    u = None
    if stochastic:
        coords = list(np.indices(view.shape))
        orig = coords[:axis] + [coords[axis] * size + coords[vdim]] + \
            coords[vdim + 1:]
        strides = np.cumprod((x.shape[1:] + (1,))[::-1])[::-1]
        linear = sum(o.astype(np.int64) * int(s) for o, s in zip(orig, strides))
        u = uniform(seed, step, stream, linear)
    q = round_codes(y, -M, M, stochastic, u)
    return dict(codes=merge_blocks(q, axis, x.shape).astype(np.int64),
                scale=scale, signs=signs,
                src=merge_blocks(view, axis, x.shape))


def block_dequantize(res, size, axis):
    """codes * scale (the block's scale), then T^T for rht."""
    q = np.asarray(res["codes"], F32)
    scale = np.repeat(res["scale"], size, axis=axis)
    scale = scale[tuple(slice(0, d) for d in q.shape)]
    v = (q * scale).astype(F32)
    if res["signs"] is not None:
        view = split_blocks(v, axis, size)
        v = merge_blocks(hadamard(view, axis + 1, res["signs"], inverse=True),
                         axis, q.shape)
    return v
