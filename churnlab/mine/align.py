"""Line alignment for merges: the pure-Python reference of the compiled kernels (:mod:`churnlab.mine._accel`).

Files are lists of line hashes. :func:`align` is a patience diff; :func:`credit` gives a merge's new lines the
births of the lines they align with in another parent. ``churnlab/mine/_kernels.c`` implements the same
functions with identical results (tests/mine/test_kernels.py checks parity); this module is what runs when the
extension is not built or ``CHURNLAB_PURE_PYTHON=1``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from difflib import SequenceMatcher

__all__ = ["ALIGN_MAX_CELLS", "align", "common", "common_tail", "credit", "unique_anchors"]

ALIGN_MAX_CELLS = 250_000  # unanchored ranges larger than this (lines x lines) are left unaligned


def common(a: list[int], alo: int, b: list[int], blo: int, n: int) -> int:
    """Length of the common run of ``a[alo:]`` and ``b[blo:]`` (at most ``n``), by slice comparisons."""
    lo, hi = 0, n
    while lo < hi:  # largest k with a[alo:alo+k] == b[blo:blo+k]
        mid = (lo + hi + 1) // 2
        if a[alo:alo + mid] == b[blo:blo + mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def common_tail(a: list[int], ahi: int, b: list[int], bhi: int, n: int) -> int:
    """Length of the common run ending at ``a[ahi - 1]`` and ``b[bhi - 1]`` (at most ``n``)."""
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[ahi - mid:ahi] == b[bhi - mid:bhi]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def align(a: list[int], b: list[int]) -> list[tuple[int, int, int]]:
    """Matched blocks ``(i, j, size)`` of two files given as line hashes (a patience diff), in order, adjacent
    blocks joined (so a merge's unchanged stretch is one block, not one per anchor line).

    Common prefix and suffix; then lines unique in both ranges, kept in order (longest increasing run), as
    anchors to split the rest; small unanchored ranges are aligned by difflib. Close to linear in the file
    for the usual merge, where the two sides differ in a few places.
    """
    blocks: list[tuple[int, int, int]] = []
    stack = [(0, len(a), 0, len(b))]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        k = common(a, alo, b, blo, min(ahi - alo, bhi - blo))
        if k:
            blocks.append((alo, blo, k))
            alo, blo = alo + k, blo + k
        k = common_tail(a, ahi, b, bhi, min(ahi - alo, bhi - blo))
        if k:
            ahi, bhi = ahi - k, bhi - k
            blocks.append((ahi, bhi, k))
        if alo >= ahi or blo >= bhi:
            continue
        anchors = unique_anchors(a, alo, ahi, b, blo, bhi)
        if not anchors:
            if (ahi - alo) * (bhi - blo) <= ALIGN_MAX_CELLS:
                sm = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
                blocks.extend((alo + i, blo + j, size) for i, j, size in sm.get_matching_blocks() if size)
            continue
        prev_a, prev_b = alo, blo
        for i, j in anchors:
            blocks.append((i, j, 1))
            if prev_a < i and prev_b < j:  # a gap with lines on one side only matches nothing
                stack.append((prev_a, i, prev_b, j))
            prev_a, prev_b = i + 1, j + 1
        stack.append((prev_a, ahi, prev_b, bhi))
    return _joined(blocks)


def _joined(blocks: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """``blocks`` in order, each joined with the next where one continues the other on both sides."""
    out: list[tuple[int, int, int]] = []
    for i, j, size in sorted(blocks):
        if out and out[-1][0] + out[-1][2] == i and out[-1][1] + out[-1][2] == j:
            out[-1] = (out[-1][0], out[-1][1], out[-1][2] + size)
        else:
            out.append((i, j, size))
    return out


def unique_anchors(a, alo, ahi, b, blo, bhi) -> list[tuple[int, int]]:
    """Lines occurring once in each range, as (i, j) pairs forming the longest run increasing in both."""
    sa, sb = a[alo:ahi], b[blo:bhi]
    count_a, count_b = Counter(sa), Counter(sb)  # counting and indexing run in C
    unique = [h for h, n in count_b.items() if n == 1 and count_a.get(h) == 1]
    if not unique:
        return []
    at_a, at_b = dict(zip(sa, range(alo, ahi))), dict(zip(sb, range(blo, bhi)))
    pairs = sorted((at_b[h], at_a[h]) for h in unique)
    # longest increasing subsequence of i over pairs sorted by j (patience sorting)
    tails: list[int] = []
    tail_idx: list[int] = []
    back = [-1] * len(pairs)
    for k, (_, i) in enumerate(pairs):
        pos = bisect_left(tails, i)
        if pos == len(tails):
            tails.append(i)
            tail_idx.append(k)
        else:
            tails[pos] = i
            tail_idx[pos] = k
        back[k] = tail_idx[pos - 1] if pos else -1
    out = []
    k = tail_idx[-1] if tail_idx else -1
    while k >= 0:
        out.append((pairs[k][1], pairs[k][0]))
        k = back[k]
    out.reverse()
    return out


def credit(recs: list[int], hashes: list[int], born_at, other) -> None:
    """Give a merge's new lines the births of the same lines in another parent, aligned as git blame does.

    The other parent's file ``other`` (births, hashes, ...) and the merge's file are aligned by :func:`align`;
    a line ``j`` of ``born_at`` aligned with a line of the other parent takes that line's birth in ``recs``
    (unless the birth is unknown: negative).
    """
    if not other:
        return
    o_recs, o_hashes = other[0], other[1]
    blocks = sorted(align(o_hashes, hashes), key=lambda blk: blk[1])
    starts = [blk[1] for blk in blocks]
    for j in born_at:
        k = bisect_right(starts, j) - 1
        if k < 0:
            continue
        i0, j0, size = blocks[k]
        if j < j0 + size:
            rec = o_recs[i0 + j - j0]
            if rec >= 0:
                recs[j] = rec
