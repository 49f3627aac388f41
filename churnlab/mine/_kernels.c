/* churnlab.mine._kernels: compiled per-line kernels of the miner.
 *
 * Each function returns exactly what its pure-Python reference returns (the reference is named in its
 * docstring; tests/mine/test_kernels.py checks parity on random inputs). Files are lists of line hashes:
 * Python ints that fit in a signed 64-bit integer (hash() values); anything else raises TypeError or
 * OverflowError. Selection between this module and the references: churnlab/mine/_accel.py.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Unanchored ranges larger than this (lines x lines) are left unaligned: churnlab.mine.align.ALIGN_MAX_CELLS */
#define ALIGN_MAX_CELLS 250000LL

/* ---- growable vectors ------------------------------------------------------------------------------ */

typedef struct { Py_ssize_t i, j, k; } Block;
typedef struct { Block *v; Py_ssize_t n, cap; } Blocks;
typedef struct { Py_ssize_t alo, ahi, blo, bhi; } Range;
typedef struct { Range *v; Py_ssize_t n, cap; } Ranges;

static int
grow(void **v, Py_ssize_t *cap, Py_ssize_t need, size_t item)
{
    if (need <= *cap)
        return 0;
    Py_ssize_t cap2 = *cap ? *cap : 16;
    while (cap2 < need)
        cap2 *= 2;
    void *p = PyMem_Realloc(*v, (size_t)cap2 * item);
    if (p == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *v = p;
    *cap = cap2;
    return 0;
}

static int
blocks_push(Blocks *bs, Py_ssize_t i, Py_ssize_t j, Py_ssize_t k)
{
    if (grow((void **)&bs->v, &bs->cap, bs->n + 1, sizeof(Block)) < 0)
        return -1;
    bs->v[bs->n].i = i;
    bs->v[bs->n].j = j;
    bs->v[bs->n].k = k;
    bs->n++;
    return 0;
}

static int
ranges_push(Ranges *rs, Py_ssize_t alo, Py_ssize_t ahi, Py_ssize_t blo, Py_ssize_t bhi)
{
    if (grow((void **)&rs->v, &rs->cap, rs->n + 1, sizeof(Range)) < 0)
        return -1;
    Range *r = &rs->v[rs->n++];
    r->alo = alo;
    r->ahi = ahi;
    r->blo = blo;
    r->bhi = bhi;
    return 0;
}

/* ---- conversions ----------------------------------------------------------------------------------- */

/* Whether a buffer holds 8-byte signed integers (array('q'), or 'l' where a long is 8 bytes). */
static int
holds_int64(const Py_buffer *view)
{
    return view->itemsize == 8 && view->format != NULL && view->format[1] == '\0'
           && (view->format[0] == 'q' || view->format[0] == 'l');
}

/* A new array of the int64 values of a sequence of ints (PyMem_Free it), or NULL with an exception set. */
static int64_t *
to_int64(PyObject *seq, Py_ssize_t *n, const char *what)
{
    if (!PyList_Check(seq) && !PyTuple_Check(seq) && PyObject_CheckBuffer(seq)) {
        /* array('q') and other 8-byte signed integer buffers: copied at memory speed */
        Py_buffer view;
        if (PyObject_GetBuffer(seq, &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0)
            return NULL;
        if (!holds_int64(&view)) {
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_TypeError, what);
            return NULL;
        }
        Py_ssize_t len = view.len / 8;
        int64_t *out = PyMem_Malloc((size_t)(len ? len : 1) * sizeof(int64_t));
        if (out == NULL) {
            PyBuffer_Release(&view);
            PyErr_NoMemory();
            return NULL;
        }
        memcpy(out, view.buf, (size_t)len * sizeof(int64_t));
        PyBuffer_Release(&view);
        *n = len;
        return out;
    }
    PyObject *fast = PySequence_Fast(seq, what);
    if (fast == NULL)
        return NULL;
    Py_ssize_t len = PySequence_Fast_GET_SIZE(fast);
    PyObject **items = PySequence_Fast_ITEMS(fast);
    int64_t *out = PyMem_Malloc((size_t)(len ? len : 1) * sizeof(int64_t));
    if (out == NULL) {
        Py_DECREF(fast);
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t x = 0; x < len; x++) {
        long long v = PyLong_AsLongLong(items[x]);
        if (v == -1 && PyErr_Occurred()) {
            PyMem_Free(out);
            Py_DECREF(fast);
            return NULL;
        }
        out[x] = (int64_t)v;
    }
    Py_DECREF(fast);
    *n = len;
    return out;
}

static PyObject *
blocks_to_list(const Blocks *bs)
{
    PyObject *out = PyList_New(bs->n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t x = 0; x < bs->n; x++) {
        PyObject *t = Py_BuildValue("(nnn)", bs->v[x].i, bs->v[x].j, bs->v[x].k);
        if (t == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, x, t);
    }
    return out;
}

static int
check_nargs(const char *name, Py_ssize_t nargs, Py_ssize_t want)
{
    if (nargs != want) {
        PyErr_Format(PyExc_TypeError, "%s() takes exactly %zd arguments (%zd given)", name, want, nargs);
        return -1;
    }
    return 0;
}

/* A TypeError "name(): what" unless ok; -1 then, else 0 (the arguments' type checks). */
static int
check_arg(int ok, const char *name, const char *what)
{
    if (!ok) {
        PyErr_Format(PyExc_TypeError, "%s(): %s", name, what);
        return -1;
    }
    return 0;
}

/* ---- common runs ----------------------------------------------------------------------------------- */

static Py_ssize_t
common64(const int64_t *a, Py_ssize_t alo, const int64_t *b, Py_ssize_t blo, Py_ssize_t n)
{
    Py_ssize_t k = 0;
    while (k < n && a[alo + k] == b[blo + k])
        k++;
    return k;
}

static Py_ssize_t
common_tail64(const int64_t *a, Py_ssize_t ahi, const int64_t *b, Py_ssize_t bhi, Py_ssize_t n)
{
    Py_ssize_t k = 0;
    while (k < n && a[ahi - 1 - k] == b[bhi - 1 - k])
        k++;
    return k;
}

/* common(a, alo, b, blo, n) and common_tail(a, ahi, b, bhi, n): items compared as Python compares list
 * items (identity, then ==), so any lists work; no conversion, the cost is the length of the run. */
/* The int64 items of an 8-byte signed integer buffer (array('q')), with view filled (release it), or NULL
 * with no exception when obj is not such a buffer. */
static const int64_t *
int64_view(PyObject *obj, Py_buffer *view)
{
    if (PyList_Check(obj) || PyTuple_Check(obj) || !PyObject_CheckBuffer(obj))
        return NULL;
    if (PyObject_GetBuffer(obj, view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
        PyErr_Clear();
        return NULL;
    }
    if (!holds_int64(view)) {
        PyBuffer_Release(view);
        return NULL;
    }
    return (const int64_t *)view->buf;
}

/* common/common_tail on two int64 buffers: no Python object touched. */
static PyObject *
run_length_buffers(const char *name, const int64_t *a, Py_ssize_t la, Py_ssize_t lo_a, const int64_t *b,
                   Py_ssize_t lb, Py_ssize_t lo_b, Py_ssize_t n, int tail)
{
    if (lo_a < 0 || lo_b < 0 || (tail && (lo_a > la || lo_b > lb))) {
        PyErr_Format(PyExc_ValueError, "%s(): index out of range", name);
        return NULL;
    }
    if (tail)
        n = Py_MIN(n, Py_MIN(lo_a, lo_b));
    else
        n = Py_MIN(n, Py_MIN(la - lo_a, lb - lo_b));
    if (n < 0)
        n = 0;
    return PyLong_FromSsize_t(tail ? common_tail64(a, lo_a, b, lo_b, n) : common64(a, lo_a, b, lo_b, n));
}

static PyObject *
run_length(const char *name, PyObject *const *args, Py_ssize_t nargs, int tail)
{
    if (check_nargs(name, nargs, 5) < 0)
        return NULL;
    Py_ssize_t lo_a = PyLong_AsSsize_t(args[1]);
    if (lo_a == -1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t lo_b = PyLong_AsSsize_t(args[3]);
    if (lo_b == -1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t n = PyLong_AsSsize_t(args[4]);
    if (n == -1 && PyErr_Occurred())
        return NULL;
    Py_buffer va, vb;
    const int64_t *pa = int64_view(args[0], &va);
    if (pa != NULL) {
        const int64_t *pb = int64_view(args[2], &vb);
        if (pb != NULL) {  /* the tracker's line state: array('q') on both sides */
            PyObject *res = run_length_buffers(name, pa, va.len / 8, lo_a, pb, vb.len / 8, lo_b, n, tail);
            PyBuffer_Release(&va);
            PyBuffer_Release(&vb);
            return res;
        }
        PyBuffer_Release(&va);
    }
    PyObject *fa = PySequence_Fast(args[0], "a must be a list");
    if (fa == NULL)
        return NULL;
    PyObject *fb = PySequence_Fast(args[2], "b must be a list");
    if (fb == NULL) {
        Py_DECREF(fa);
        return NULL;
    }
    Py_ssize_t la = PySequence_Fast_GET_SIZE(fa), lb = PySequence_Fast_GET_SIZE(fb);
    PyObject **ia = PySequence_Fast_ITEMS(fa), **ib = PySequence_Fast_ITEMS(fb);
    Py_ssize_t k = 0;
    if (lo_a < 0 || lo_b < 0 || (tail && (lo_a > la || lo_b > lb))) {
        PyErr_Format(PyExc_ValueError, "%s(): index out of range", name);
        k = -1;
        goto done;
    }
    /* the references' slices never reach past the ends: nor does this */
    if (tail) {
        n = Py_MIN(n, Py_MIN(lo_a, lo_b));
    }
    else {
        n = Py_MIN(n, Py_MIN(la - lo_a, lb - lo_b));
    }
    while (k < n) {
        PyObject *x = tail ? ia[lo_a - 1 - k] : ia[lo_a + k];
        PyObject *y = tail ? ib[lo_b - 1 - k] : ib[lo_b + k];
        int eq = (x == y) ? 1 : PyObject_RichCompareBool(x, y, Py_EQ);
        if (eq < 0) {
            k = -1;
            goto done;
        }
        if (!eq)
            break;
        k++;
    }
done:
    Py_DECREF(fa);
    Py_DECREF(fb);
    return k < 0 ? NULL : PyLong_FromSsize_t(k);
}

static PyObject *
kernels_common(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return run_length("common", args, nargs, 0);
}

static PyObject *
kernels_common_tail(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return run_length("common_tail", args, nargs, 1);
}

/* ---- unique anchors -------------------------------------------------------------------------------- */

/* Counts (0, 1, or 2 for more: only 1 matters) and last position in a (from alo) of the hashes of a range of a
 * and of b: an open-addressing table of 16-byte cells. */
typedef struct { int64_t h; uint32_t pos_a; uint8_t count_a, count_b; } Cell;

static inline size_t
mix(int64_t h)  /* splitmix64's finalizer: small ints (as in tests) spread over the table too */
{
    uint64_t x = (uint64_t)h;
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return (size_t)x;
}

static inline Cell *
cell_of(Cell *cells, size_t mask, int64_t h)
{
    size_t at = mix(h) & mask;
    while (cells[at].count_a | cells[at].count_b) {
        if (cells[at].h == h)
            return &cells[at];
        at = (at + 1) & mask;
    }
    cells[at].h = h;
    return &cells[at];
}

/* Lines occurring once in each range, as (i, j) pairs forming the longest run increasing in both, appended
 * to out as blocks (i, j, 1) in order. Returns the number of anchors, or -1 with an exception set. */
static Py_ssize_t
unique_anchors64(const int64_t *a, Py_ssize_t alo, Py_ssize_t ahi, const int64_t *b, Py_ssize_t blo,
                 Py_ssize_t bhi, Blocks *out)
{
    Py_ssize_t npairs = 0, found = -1;
    if (ahi - alo > (Py_ssize_t)UINT32_MAX) {
        PyErr_SetString(PyExc_OverflowError, "align(): a file of more than 2**32 lines");
        return -1;
    }
    size_t size = 16;
    while (size < 2 * (size_t)(ahi - alo + bhi - blo))
        size *= 2;
    Cell *cells = PyMem_Calloc(size, sizeof(Cell));
    Py_ssize_t *pair_i = NULL, *pair_j = NULL, *tails = NULL, *tail_idx = NULL, *back = NULL;
    if (cells == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = alo; i < ahi; i++) {
        Cell *c = cell_of(cells, size - 1, a[i]);
        c->count_a += c->count_a < 2;
        c->pos_a = (uint32_t)(i - alo);
    }
    for (Py_ssize_t j = blo; j < bhi; j++) {
        Cell *c = cell_of(cells, size - 1, b[j]);
        c->count_b += c->count_b < 2;
    }
    Py_ssize_t most = Py_MIN(ahi - alo, bhi - blo) + 1;
    pair_i = PyMem_Malloc((size_t)most * sizeof(Py_ssize_t));
    pair_j = PyMem_Malloc((size_t)most * sizeof(Py_ssize_t));
    if (pair_i == NULL || pair_j == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = blo; j < bhi; j++) {  /* the pairs in order of j, as the reference sorts them */
        Cell *c = cell_of(cells, size - 1, b[j]);
        if (c->count_a == 1 && c->count_b == 1) {
            pair_i[npairs] = alo + (Py_ssize_t)c->pos_a;
            pair_j[npairs] = j;
            npairs++;
        }
    }
    if (npairs == 0) {
        found = 0;
        goto done;
    }
    /* longest increasing subsequence of i over pairs sorted by j (patience sorting, as the reference) */
    tails = PyMem_Malloc((size_t)npairs * sizeof(Py_ssize_t));
    tail_idx = PyMem_Malloc((size_t)npairs * sizeof(Py_ssize_t));
    back = PyMem_Malloc((size_t)npairs * sizeof(Py_ssize_t));
    if (tails == NULL || tail_idx == NULL || back == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t len = 0;
    for (Py_ssize_t k = 0; k < npairs; k++) {
        Py_ssize_t i = pair_i[k], lo = 0, hi = len;
        while (lo < hi) {  /* bisect_left(tails, i) */
            Py_ssize_t mid = (lo + hi) / 2;
            if (tails[mid] < i)
                lo = mid + 1;
            else
                hi = mid;
        }
        tails[lo] = i;
        tail_idx[lo] = k;
        if (lo == len)
            len++;
        back[k] = lo ? tail_idx[lo - 1] : -1;
    }
    /* the chain from the last tail, written in order */
    Py_ssize_t start = out->n;
    if (grow((void **)&out->v, &out->cap, start + len, sizeof(Block)) < 0)
        goto done;
    Py_ssize_t at = start + len;
    for (Py_ssize_t k = tail_idx[len - 1]; k >= 0; k = back[k]) {
        at--;
        out->v[at].i = pair_i[k];
        out->v[at].j = pair_j[k];
        out->v[at].k = 1;
    }
    out->n = start + len;
    found = len;
done:
    PyMem_Free(cells);
    PyMem_Free(pair_i);
    PyMem_Free(pair_j);
    PyMem_Free(tails);
    PyMem_Free(tail_idx);
    PyMem_Free(back);
    return found;
}

/* ---- difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() ---------------------- */

typedef struct { int64_t h; Py_ssize_t pos; } Slot;

static int
slot_cmp(const void *x, const void *y)
{
    const Slot *p = x, *q = y;
    if (p->h != q->h)
        return p->h < q->h ? -1 : 1;
    return (p->pos > q->pos) - (p->pos < q->pos);
}

static int
block_cmp(const void *x, const void *y)
{
    const Block *p = x, *q = y;
    if (p->i != q->i)
        return p->i < q->i ? -1 : 1;
    if (p->j != q->j)
        return p->j < q->j ? -1 : 1;
    return (p->k > q->k) - (p->k < q->k);
}

typedef struct {
    const int64_t *a, *b;
    Py_ssize_t *pos;              /* b's indices sorted by (hash, index): b2j's lists laid end to end */
    Py_ssize_t *gstart, *gend;    /* per line of a: its b2j list, pos[gstart:gend] (empty when absent) */
    Py_ssize_t *len0, *len1;      /* j2len and newj2len, valid where their stamp is the row's */
    Py_ssize_t *stamp0, *stamp1;
    Py_ssize_t tick;
} Matcher;

/* difflib's find_longest_match with no junk: the longest match, lowest i then lowest j on ties. */
static void
longest_match(Matcher *m, Py_ssize_t alo, Py_ssize_t ahi, Py_ssize_t blo, Py_ssize_t bhi, Block *best)
{
    const int64_t *a = m->a, *b = m->b;
    Py_ssize_t besti = alo, bestj = blo, bestsize = 0;
    Py_ssize_t *prev_len = m->len0, *prev_stamp = m->stamp0, *cur_len = m->len1, *cur_stamp = m->stamp1;
    m->tick++;  /* a stamp no entry has: the first row sees an empty j2len */
    for (Py_ssize_t i = alo; i < ahi; i++) {
        Py_ssize_t t = ++m->tick, p = m->gstart[i], end = m->gend[i], hi = end;
        while (p < hi) {  /* skip j < blo */
            Py_ssize_t mid = (p + hi) / 2;
            if (m->pos[mid] < blo)
                p = mid + 1;
            else
                hi = mid;
        }
        for (; p < end; p++) {
            Py_ssize_t j = m->pos[p];
            if (j >= bhi)
                break;
            Py_ssize_t k = (j > 0 && prev_stamp[j - 1] == t - 1) ? prev_len[j - 1] + 1 : 1;
            cur_len[j] = k;
            cur_stamp[j] = t;
            if (k > bestsize) {
                besti = i - k + 1;
                bestj = j - k + 1;
                bestsize = k;
            }
        }
        Py_ssize_t *s = prev_len; prev_len = cur_len; cur_len = s;
        s = prev_stamp; prev_stamp = cur_stamp; cur_stamp = s;
    }
    m->len0 = prev_len; m->stamp0 = prev_stamp; m->len1 = cur_len; m->stamp1 = cur_stamp;
    while (besti > alo && bestj > blo && a[besti - 1] == b[bestj - 1]) {
        besti--;
        bestj--;
        bestsize++;
    }
    while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] == b[bestj + bestsize])
        bestsize++;
    best->i = besti;
    best->j = bestj;
    best->k = bestsize;
}

/* The matching blocks of a[0:na] and b[0:nb] (sizes > 0), shifted by (di, dj), appended to out. */
static int
matching_blocks(const int64_t *a, Py_ssize_t na, const int64_t *b, Py_ssize_t nb, Py_ssize_t di,
                Py_ssize_t dj, Blocks *out)
{
    int rc = -1;
    Matcher m = {a, b, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0};
    Slot *slots = PyMem_Malloc((size_t)(nb ? nb : 1) * sizeof(Slot));
    Blocks found = {NULL, 0, 0};
    Ranges queue = {NULL, 0, 0};
    size_t nb1 = (size_t)(nb ? nb : 1), na1 = (size_t)(na ? na : 1);
    m.pos = PyMem_Malloc(nb1 * sizeof(Py_ssize_t));
    m.gstart = PyMem_Malloc(na1 * sizeof(Py_ssize_t));
    m.gend = PyMem_Malloc(na1 * sizeof(Py_ssize_t));
    m.len0 = PyMem_Malloc(nb1 * sizeof(Py_ssize_t));
    m.len1 = PyMem_Malloc(nb1 * sizeof(Py_ssize_t));
    m.stamp0 = PyMem_Malloc(nb1 * sizeof(Py_ssize_t));
    m.stamp1 = PyMem_Malloc(nb1 * sizeof(Py_ssize_t));
    if (slots == NULL || m.pos == NULL || m.gstart == NULL || m.gend == NULL || m.len0 == NULL ||
        m.len1 == NULL || m.stamp0 == NULL || m.stamp1 == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = 0; j < nb; j++) {
        slots[j].h = b[j];
        slots[j].pos = j;
        m.stamp0[j] = m.stamp1[j] = -1;
    }
    qsort(slots, (size_t)nb, sizeof(Slot), slot_cmp);
    for (Py_ssize_t j = 0; j < nb; j++)
        m.pos[j] = slots[j].pos;
    for (Py_ssize_t i = 0; i < na; i++) {  /* b2j.get(a[i]): the run of slots with a[i]'s hash */
        Py_ssize_t lo = 0, hi = nb;
        while (lo < hi) {
            Py_ssize_t mid = (lo + hi) / 2;
            if (slots[mid].h < a[i])
                lo = mid + 1;
            else
                hi = mid;
        }
        Py_ssize_t end = lo;
        while (end < nb && slots[end].h == a[i])
            end++;
        m.gstart[i] = lo;
        m.gend[i] = end;
    }
    if (ranges_push(&queue, 0, na, 0, nb) < 0)
        goto done;
    while (queue.n) {
        Range r = queue.v[--queue.n];
        Block x;
        longest_match(&m, r.alo, r.ahi, r.blo, r.bhi, &x);
        if (x.k) {
            if (blocks_push(&found, x.i, x.j, x.k) < 0)
                goto done;
            if (r.alo < x.i && r.blo < x.j && ranges_push(&queue, r.alo, x.i, r.blo, x.j) < 0)
                goto done;
            if (x.i + x.k < r.ahi && x.j + x.k < r.bhi &&
                ranges_push(&queue, x.i + x.k, r.ahi, x.j + x.k, r.bhi) < 0)
                goto done;
        }
    }
    qsort(found.v, (size_t)found.n, sizeof(Block), block_cmp);
    Py_ssize_t i1 = 0, j1 = 0, k1 = 0;  /* adjacent blocks merged */
    for (Py_ssize_t x = 0; x < found.n; x++) {
        Block *blk = &found.v[x];
        if (i1 + k1 == blk->i && j1 + k1 == blk->j) {
            k1 += blk->k;
        }
        else {
            if (k1 && blocks_push(out, di + i1, dj + j1, k1) < 0)
                goto done;
            i1 = blk->i;
            j1 = blk->j;
            k1 = blk->k;
        }
    }
    if (k1 && blocks_push(out, di + i1, dj + j1, k1) < 0)
        goto done;
    rc = 0;
done:
    PyMem_Free(slots);
    PyMem_Free(m.pos);
    PyMem_Free(m.gstart);
    PyMem_Free(m.gend);
    PyMem_Free(m.len0);
    PyMem_Free(m.len1);
    PyMem_Free(m.stamp0);
    PyMem_Free(m.stamp1);
    PyMem_Free(found.v);
    PyMem_Free(queue.v);
    return rc;
}

/* ---- align ----------------------------------------------------------------------------------------- */

/* The reference's align, block for block, appended to out. */
static int
align64(const int64_t *a, Py_ssize_t la, const int64_t *b, Py_ssize_t lb, Blocks *out)
{
    int rc = -1;
    Ranges stack = {NULL, 0, 0};
    if (ranges_push(&stack, 0, la, 0, lb) < 0)
        goto done;
    while (stack.n) {
        Range r = stack.v[--stack.n];
        Py_ssize_t alo = r.alo, ahi = r.ahi, blo = r.blo, bhi = r.bhi;
        Py_ssize_t k = common64(a, alo, b, blo, Py_MIN(ahi - alo, bhi - blo));
        if (k) {
            if (blocks_push(out, alo, blo, k) < 0)
                goto done;
            alo += k;
            blo += k;
        }
        k = common_tail64(a, ahi, b, bhi, Py_MIN(ahi - alo, bhi - blo));
        if (k) {
            ahi -= k;
            bhi -= k;
            if (blocks_push(out, ahi, bhi, k) < 0)
                goto done;
        }
        if (alo >= ahi || blo >= bhi)
            continue;
        Py_ssize_t first = out->n;
        Py_ssize_t n = unique_anchors64(a, alo, ahi, b, blo, bhi, out);
        if (n < 0)
            goto done;
        if (n == 0) {
            if ((long long)(ahi - alo) * (long long)(bhi - blo) <= ALIGN_MAX_CELLS &&
                matching_blocks(a + alo, ahi - alo, b + blo, bhi - blo, alo, blo, out) < 0)
                goto done;
            continue;
        }
        Py_ssize_t prev_a = alo, prev_b = blo;
        for (Py_ssize_t x = first; x < first + n; x++) {  /* the anchors, already in out as (i, j, 1) */
            Py_ssize_t i = out->v[x].i, j = out->v[x].j;
            if (prev_a < i && prev_b < j && ranges_push(&stack, prev_a, i, prev_b, j) < 0)
                goto done;
            prev_a = i + 1;
            prev_b = j + 1;
        }
        if (ranges_push(&stack, prev_a, ahi, prev_b, bhi) < 0)
            goto done;
    }
    rc = 0;
done:
    PyMem_Free(stack.v);
    return rc;
}

/* The reference's _joined: blocks in order of i (their starts are distinct: blocks do not overlap), each joined
 * with the next where one continues the other on both sides. By bucketing the starts (i < la): linear, where
 * sorting would cost more than the alignment itself. */
static int
join_blocks(Blocks *bs, Py_ssize_t la)
{
    if (bs->n < 2)
        return 0;
    Py_ssize_t *at = PyMem_Malloc((size_t)la * sizeof(Py_ssize_t));
    Block *out = PyMem_Malloc((size_t)bs->n * sizeof(Block));
    if (at == NULL || out == NULL) {
        PyMem_Free(at);
        PyMem_Free(out);
        PyErr_NoMemory();
        return -1;
    }
    memset(at, 0xff, (size_t)la * sizeof(Py_ssize_t));  /* -1: no block starts here */
    for (Py_ssize_t x = 0; x < bs->n; x++)
        at[bs->v[x].i] = x;
    Py_ssize_t w = 0;
    for (Py_ssize_t i = 0; i < la;) {
        if (at[i] < 0) {
            i++;
            continue;
        }
        Block blk = bs->v[at[i]];
        if (w && out[w - 1].i + out[w - 1].k == blk.i && out[w - 1].j + out[w - 1].k == blk.j)
            out[w - 1].k += blk.k;
        else
            out[w++] = blk;
        i += blk.k;
    }
    PyMem_Free(at);
    PyMem_Free(bs->v);
    bs->v = out;
    bs->n = w;
    bs->cap = bs->n;
    return 0;
}

static PyObject *
kernels_align(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("align", nargs, 2) < 0)
        return NULL;
    Py_ssize_t la = 0, lb = 0;
    PyObject *res = NULL;
    Blocks out = {NULL, 0, 0};
    int64_t *a = to_int64(args[0], &la, "a must be a list of ints");
    int64_t *b = a ? to_int64(args[1], &lb, "b must be a list of ints") : NULL;
    if (b != NULL && align64(a, la, b, lb, &out) == 0 && join_blocks(&out, la) == 0)
        res = blocks_to_list(&out);
    PyMem_Free(a);
    PyMem_Free(b);
    PyMem_Free(out.v);
    return res;
}

/* unique_anchors(a, alo, ahi, b, blo, bhi): for parity tests of the step itself. */
static PyObject *
kernels_unique_anchors(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("unique_anchors", nargs, 6) < 0)
        return NULL;
    Py_ssize_t bounds[4];
    for (int x = 0; x < 4; x++) {
        bounds[x] = PyLong_AsSsize_t(args[x < 2 ? x + 1 : x + 2]);
        if (bounds[x] == -1 && PyErr_Occurred())
            return NULL;
    }
    Py_ssize_t la = 0, lb = 0;
    PyObject *res = NULL;
    Blocks out = {NULL, 0, 0};
    int64_t *a = to_int64(args[0], &la, "a must be a list of ints");
    int64_t *b = a ? to_int64(args[3], &lb, "b must be a list of ints") : NULL;
    if (b == NULL)
        goto done;
    if (bounds[0] < 0 || bounds[0] > bounds[1] || bounds[1] > la || bounds[2] < 0 || bounds[2] > bounds[3] ||
        bounds[3] > lb) {
        PyErr_SetString(PyExc_ValueError, "unique_anchors(): ranges out of bounds");
        goto done;
    }
    if (unique_anchors64(a, bounds[0], bounds[1], b, bounds[2], bounds[3], &out) < 0)
        goto done;
    res = PyList_New(out.n);
    if (res == NULL)
        goto done;
    for (Py_ssize_t x = 0; x < out.n; x++) {
        PyObject *t = Py_BuildValue("(nn)", out.v[x].i, out.v[x].j);
        if (t == NULL) {
            Py_CLEAR(res);
            goto done;
        }
        PyList_SET_ITEM(res, x, t);
    }
done:
    PyMem_Free(a);
    PyMem_Free(b);
    PyMem_Free(out.v);
    return res;
}

/* ---- credit ---------------------------------------------------------------------------------------- */

/* credit(recs, hashes, born_at, other): churnlab.mine.align.credit, recs (a list, or a writable array('q'))
 * changed in place. */
static PyObject *
kernels_credit(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("credit", nargs, 4) < 0)
        return NULL;
    PyObject *recs = args[0], *other = args[3];
    int is_list = PyList_Check(recs);
    Py_buffer view = {0};
    int have_view = 0;
    if (!is_list) {
        if (!PyObject_CheckBuffer(recs)
                || PyObject_GetBuffer(recs, &view, PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) {
            PyErr_Clear();
            PyErr_SetString(PyExc_TypeError, "credit(): recs must be a list or a writable array('q')");
            return NULL;
        }
        have_view = 1;
        if (!holds_int64(&view)) {
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_TypeError, "credit(): recs must be a list or a writable array('q')");
            return NULL;
        }
    }
    Py_ssize_t n_recs = is_list ? PyList_GET_SIZE(recs) : view.len / 8;
    PyObject *res = NULL, *o_recs_obj = NULL, *o_hashes = NULL, *born = NULL;
    int64_t *orecs = NULL, *oh = NULL, *h = NULL;
    Py_ssize_t n_orecs = 0, lo = 0, lh = 0;
    Blocks blocks = {NULL, 0, 0};
    int truth = PyObject_IsTrue(other);
    if (truth < 0)
        goto done;
    if (!truth) {
        res = Py_NewRef(Py_None);
        goto done;
    }
    if ((o_recs_obj = PySequence_GetItem(other, 0)) == NULL || (o_hashes = PySequence_GetItem(other, 1)) == NULL)
        goto done;
    if ((orecs = to_int64(o_recs_obj, &n_orecs, "credit(): other[0] must be a list of ints")) == NULL)
        goto done;
    if ((born = PySequence_Fast(args[2], "credit(): born_at must be a list")) == NULL)
        goto done;
    if ((oh = to_int64(o_hashes, &lo, "credit(): other[1] must be a list of ints")) == NULL)
        goto done;
    if ((h = to_int64(args[1], &lh, "credit(): hashes must be a list of ints")) == NULL)
        goto done;
    /* in order of i, so of j (blocks are monotone on both sides), joined: the same lines aligned */
    if (align64(oh, lo, h, lh, &blocks) < 0 || join_blocks(&blocks, lo) < 0)
        goto done;
    Py_ssize_t nborn = PySequence_Fast_GET_SIZE(born);
    PyObject **born_items = PySequence_Fast_ITEMS(born);
    for (Py_ssize_t x = 0; x < nborn; x++) {
        Py_ssize_t j = PyLong_AsSsize_t(born_items[x]);
        if (j == -1 && PyErr_Occurred())
            goto done;
        Py_ssize_t lo_k = 0, hi_k = blocks.n;
        while (lo_k < hi_k) {  /* bisect_right(starts, j) */
            Py_ssize_t mid = (lo_k + hi_k) / 2;
            if (j < blocks.v[mid].j)
                hi_k = mid;
            else
                lo_k = mid + 1;
        }
        if (lo_k == 0)
            continue;
        Block *blk = &blocks.v[lo_k - 1];
        if (j >= blk->j + blk->k)
            continue;
        Py_ssize_t oi = blk->i + j - blk->j;
        if (oi >= n_orecs || j < 0 || j >= n_recs) {
            PyErr_SetString(PyExc_IndexError, "credit(): list index out of range");
            goto done;
        }
        int64_t v = orecs[oi];
        if (v < 0)
            continue;  /* an unknown birth is not given */
        if (is_list) {
            PyObject *rec = PyLong_FromLongLong((long long)v);
            if (rec == NULL || PyList_SetItem(recs, j, rec) < 0)  /* steals the new reference, even on failure */
                goto done;
        } else {
            ((int64_t *)view.buf)[j] = v;
        }
    }
    res = Py_NewRef(Py_None);
done:
    if (have_view)
        PyBuffer_Release(&view);
    Py_XDECREF(o_recs_obj);
    Py_XDECREF(o_hashes);
    Py_XDECREF(born);
    PyMem_Free(orecs);
    PyMem_Free(oh);
    PyMem_Free(h);
    PyMem_Free(blocks.v);
    return res;
}

/* ---- duplicate-block windows ----------------------------------------------------------------------- */

/* CPython's tuple hash (Objects/tupleobject.c, xxHash-based since 3.8): hash(tuple(items)) from the items'
 * hashes, so a window's hash is the reference's hash(keys[s:s + size]) exactly. */
#if SIZEOF_PY_UHASH_T > 4
#define TUPLE_PRIME_1 ((Py_uhash_t)11400714785074694791ULL)
#define TUPLE_PRIME_2 ((Py_uhash_t)14029467366897019727ULL)
#define TUPLE_PRIME_5 ((Py_uhash_t)2870177450012600261ULL)
#define TUPLE_ROTATE(x) (((x) << 31) | ((x) >> 33))
#else
#define TUPLE_PRIME_1 ((Py_uhash_t)2654435761UL)
#define TUPLE_PRIME_2 ((Py_uhash_t)2246822519UL)
#define TUPLE_PRIME_5 ((Py_uhash_t)374761393UL)
#define TUPLE_ROTATE(x) (((x) << 13) | ((x) >> 19))
#endif

static Py_hash_t
tuple_hash(const Py_uhash_t *lanes, Py_ssize_t len)
{
    Py_uhash_t acc = TUPLE_PRIME_5;
    for (Py_ssize_t i = 0; i < len; i++) {
        acc += lanes[i] * TUPLE_PRIME_2;
        acc = TUPLE_ROTATE(acc);
        acc *= TUPLE_PRIME_1;
    }
    acc += (Py_uhash_t)len ^ (TUPLE_PRIME_5 ^ 3527539UL);
    if (acc == (Py_uhash_t)-1)
        return 1546275796;
    return (Py_hash_t)acc;
}

/* windows(keys, size): churnlab.mine.duplicates' reference, [hash(tuple(keys[s:s + size])) for every s]. */
static PyObject *
kernels_windows(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("windows", nargs, 2) < 0)
        return NULL;
    Py_ssize_t size = PyLong_AsSsize_t(args[1]);
    if (size == -1 && PyErr_Occurred())
        return NULL;
    if (size < 1) {
        PyErr_SetString(PyExc_ValueError, "windows(): size must be at least 1");
        return NULL;
    }
    PyObject *fast = PySequence_Fast(args[0], "windows(): keys must be a list");
    if (fast == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast), count = n >= size ? n - size + 1 : 0;
    PyObject **items = PySequence_Fast_ITEMS(fast);
    PyObject *out = NULL;
    Py_uhash_t *lanes = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Py_uhash_t));
    if (lanes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_hash_t h = PyObject_Hash(items[i]);
        if (h == -1)
            goto done;
        lanes[i] = (Py_uhash_t)h;
    }
    if ((out = PyList_New(count)) == NULL)
        goto done;
    for (Py_ssize_t s = 0; s < count; s++) {
        PyObject *h = PyLong_FromSsize_t(tuple_hash(lanes + s, size));
        if (h == NULL) {
            Py_CLEAR(out);
            goto done;
        }
        PyList_SET_ITEM(out, s, h);
    }
done:
    PyMem_Free(lanes);
    Py_DECREF(fast);
    return out;
}

/* ---- window counts: duplicates._WindowCountsReference ------------------------------------------------ */

/* An int64 -> int64 table (open addressing, linear probes) whose entries are inline: counting a window costs one
 * probe of contiguous memory, where a dict of Python ints also reads a key object and a count object. Entries
 * whose count returns to 0 stay until the table is rebuilt (when it fills), so memory follows the live windows.
 * 16 bytes an entry: a count is the occurrences of one window in one tree, far below 2**31 (checked). */
typedef struct { int64_t key; int32_t count; uint32_t used; } Tally;

typedef struct {
    PyObject_HEAD
    Tally *slots;
    Py_ssize_t size, used, live;  /* slots (a power of 2), entries held, entries with a count other than 0 */
} WindowCounts;

static Tally *
tally_find(Tally *slots, Py_ssize_t size, int64_t key)
{
    size_t at = mix(key) & (size_t)(size - 1);
    while (slots[at].used && slots[at].key != key)
        at = (at + 1) & (size_t)(size - 1);
    return &slots[at];
}

/* Rebuild the table with room for twice its live entries (entries counting 0 are dropped). */
static int
tally_rebuild(WindowCounts *t)
{
    Py_ssize_t size = 16;
    while (size < 4 * (t->live + 1))
        size *= 2;
    Tally *slots = PyMem_Calloc((size_t)size, sizeof(Tally));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t x = 0; x < t->size; x++) {
        if (t->slots[x].used && t->slots[x].count != 0)
            *tally_find(slots, size, t->slots[x].key) = t->slots[x];
    }
    PyMem_Free(t->slots);
    t->slots = slots;
    t->size = size;
    t->used = t->live;
    return 0;
}

static PyObject *
window_counts_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    if (PyTuple_GET_SIZE(args) || (kwargs != NULL && PyDict_GET_SIZE(kwargs))) {
        PyErr_SetString(PyExc_TypeError, "WindowCounts() takes no arguments");
        return NULL;
    }
    WindowCounts *t = (WindowCounts *)type->tp_alloc(type, 0);
    if (t == NULL)
        return NULL;
    t->size = 16;
    if ((t->slots = PyMem_Calloc((size_t)t->size, sizeof(Tally))) == NULL) {
        Py_DECREF(t);
        return PyErr_NoMemory();
    }
    return (PyObject *)t;
}

static void
window_counts_dealloc(WindowCounts *t)
{
    PyMem_Free(t->slots);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

static int
window_key(PyObject *obj, int64_t *key)
{
#if LONG_MAX == INT64_MAX
    long v = PyLong_AsLong(obj);  /* a loop over the digits: AsLongLong goes through a byte array */
#else
    long long v = PyLong_AsLongLong(obj);
#endif
    if (v == -1 && PyErr_Occurred())
        return -1;
    *key = (int64_t)v;
    return 0;
}

/* add(windows, sign): the count of each window (an int, repeats counted) moves by sign. */
static PyObject *
window_counts_add(WindowCounts *t, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("add", nargs, 2) < 0)
        return NULL;
    long long sign = PyLong_AsLongLong(args[1]);
    if (sign == -1 && PyErr_Occurred())
        return NULL;
    PyObject *fast = PySequence_Fast(args[0], "WindowCounts.add(): windows must be a sequence of ints");
    if (fast == NULL)
        return NULL;
    PyObject **items = PySequence_Fast_ITEMS(fast);
    for (Py_ssize_t x = 0; x < PySequence_Fast_GET_SIZE(fast); x++) {
        int64_t key;
        if (window_key(items[x], &key) < 0 || (2 * (t->used + 1) > t->size && tally_rebuild(t) < 0)) {
            Py_DECREF(fast);
            return NULL;
        }
        Tally *e = tally_find(t->slots, t->size, key);
        long long count = (long long)e->count + sign;
        if (count > INT32_MAX || count < INT32_MIN) {
            Py_DECREF(fast);
            PyErr_SetString(PyExc_OverflowError, "WindowCounts.add(): a window's count does not fit in 32 bits");
            return NULL;
        }
        if (!e->used) {
            e->used = 1;
            e->key = key;
            t->used++;
        }
        t->live += (e->count == 0) - (count == 0);
        e->count = (int32_t)count;
    }
    Py_DECREF(fast);
    Py_RETURN_NONE;
}

/* get(window): its count (0 when not held). */
static PyObject *
window_counts_get(WindowCounts *t, PyObject *window)
{
    int64_t key;
    if (window_key(window, &key) < 0)
        return NULL;
    Tally *e = tally_find(t->slots, t->size, key);
    return PyLong_FromLongLong(e->used ? e->count : 0);
}

/* items(): (window, count) of every window whose count is not 0, in no set order. */
static PyObject *
window_counts_items(WindowCounts *t, PyObject *Py_UNUSED(ignored))
{
    PyObject *out = PyList_New(0);
    for (Py_ssize_t x = 0; out != NULL && x < t->size; x++) {
        if (!t->slots[x].used || t->slots[x].count == 0)
            continue;
        PyObject *item = Py_BuildValue("(LL)", (long long)t->slots[x].key, (long long)t->slots[x].count);
        if (item == NULL || PyList_Append(out, item) < 0)
            Py_CLEAR(out);
        Py_XDECREF(item);
    }
    return out;
}

static int
window_counts_contains(WindowCounts *t, PyObject *window)
{
    int64_t key;
    if (window_key(window, &key) < 0)
        return -1;
    Tally *e = tally_find(t->slots, t->size, key);
    return e->used && e->count != 0;
}

static Py_ssize_t
window_counts_len(WindowCounts *t)
{
    return t->live;
}

static PyMethodDef window_counts_methods[] = {
    {"add", (PyCFunction)(void (*)(void))window_counts_add, METH_FASTCALL,
     "add(windows, sign)\n--\n\nMove the count of each window by sign."},
    {"get", (PyCFunction)window_counts_get, METH_O, "get(window) -> int\n--\n\nThe count of a window (0: not held)."},
    {"items", (PyCFunction)window_counts_items, METH_NOARGS,
     "items() -> list[tuple[int, int]]\n--\n\nEvery window whose count is not 0, and its count."},
    {NULL, NULL, 0, NULL}};

static PySequenceMethods window_counts_as_sequence = {
    .sq_length = (lenfunc)window_counts_len,
    .sq_contains = (objobjproc)window_counts_contains,
};

static PyTypeObject WindowCountsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "churnlab.mine._kernels.WindowCounts",
    .tp_doc = PyDoc_STR("WindowCounts()\n--\n\nWindow -> count, counts other than 0 held: "
                        "churnlab.mine.duplicates' reference, inline in C."),
    .tp_basicsize = sizeof(WindowCounts),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = window_counts_new,
    .tp_dealloc = (destructor)window_counts_dealloc,
    .tp_methods = window_counts_methods,
    .tp_as_sequence = &window_counts_as_sequence,
};

/* ---- line keys ------------------------------------------------------------------------------------ */

static inline int is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }  /* bytes.split() */
static inline int is_alnum(unsigned char c) { return (unsigned)((c | 32) - 'a') < 26u || (unsigned)(c - '0') < 10u; }
static inline int is_word(unsigned char c) { return is_alnum(c) || c == '_'; }

/* ascii_key(raw, keywords): churnlab.mine.normalize's reference. The line with ASCII whitespace stripped and
 * runs of it collapsed to one space, as a str, when it has an ASCII alphanumeric and a word (a run of
 * [A-Za-z0-9_]) whose lower case is not in keywords (a set of lower-case bytes); else None. NotImplemented
 * when the line is not ASCII (the caller's Unicode rules apply). */
static PyObject *ascii_key_of(const unsigned char *raw, Py_ssize_t n, PyObject *keywords);

static PyObject *
kernels_ascii_key(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("ascii_key", nargs, 2) < 0)
        return NULL;
    if (check_arg(PyBytes_Check(args[0]), "ascii_key", "raw must be bytes") < 0)
        return NULL;
    if (check_arg(PyAnySet_Check(args[1]), "ascii_key", "keywords must be a set of lower-case bytes") < 0)
        return NULL;
    return ascii_key_of((const unsigned char *)PyBytes_AS_STRING(args[0]), PyBytes_GET_SIZE(args[0]), args[1]);
}

/* The lower-case keywords of one frozenset, held in C by length (ascii_key_of's keyword test then makes no bytes
 * object and does no set lookup). The miner passes one frozenset, normalize._LOWER_KEYWORDS: the table is built
 * at its first use and kept with a reference to it (a frozenset cannot change). */
#define KW_MAX_LEN 16
#define KW_MAX 256
static struct {
    PyObject *set;  /* the frozenset held, or NULL */
    Py_ssize_t at[KW_MAX_LEN + 2];  /* the words of length n are word[at[n]:at[n + 1]] */
    uint64_t word[KW_MAX][2];  /* each word's bytes, zero-padded: compared as two integers */
} kw_table;

/* Hold keywords (a frozenset) in kw_table: 1 done, 0 when it does not fit (a word too long, not bytes, too
 * many: the set is asked instead), -1 on error. */
static int
kw_hold(PyObject *keywords)
{
    Py_ssize_t count[KW_MAX_LEN + 1] = {0}, fill[KW_MAX_LEN + 1];
    PyObject *words = PySequence_List(keywords), *item;
    if (words == NULL)
        return -1;
    int fits = PyList_GET_SIZE(words) <= KW_MAX;
    for (Py_ssize_t i = 0; fits && i < PyList_GET_SIZE(words); i++) {
        item = PyList_GET_ITEM(words, i);
        fits = PyBytes_Check(item) && PyBytes_GET_SIZE(item) <= KW_MAX_LEN;
        if (fits)
            count[PyBytes_GET_SIZE(item)]++;
    }
    if (fits) {
        kw_table.at[0] = 0;
        for (Py_ssize_t len = 0; len <= KW_MAX_LEN; len++)
            kw_table.at[len + 1] = kw_table.at[len] + count[len];
        memcpy(fill, kw_table.at, sizeof(fill));
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(words); i++) {
            item = PyList_GET_ITEM(words, i);
            Py_ssize_t len = PyBytes_GET_SIZE(item);
            char padded[KW_MAX_LEN] = {0};
            memcpy(padded, PyBytes_AS_STRING(item), (size_t)len);
            memcpy(kw_table.word[fill[len]++], padded, KW_MAX_LEN);
        }
        PyObject *old = kw_table.set;
        kw_table.set = Py_NewRef(keywords);
        Py_XDECREF(old);
    }
    Py_DECREF(words);
    return fits;
}

/* Whether the lower case of word[0:len] is in keywords: 1, 0, or -1 on error. */
static int
is_keyword(const char *word, Py_ssize_t len, PyObject *keywords)
{
    char lower[KW_MAX_LEN] = {0};
    int held = kw_table.set == keywords;
    if (!held && PyFrozenSet_CheckExact(keywords) && (held = kw_hold(keywords)) < 0)
        return -1;
    if (held) {
        if (len > KW_MAX_LEN)
            return 0;
        for (Py_ssize_t y = 0; y < len; y++)
            lower[y] = (char)((word[y] >= 'A' && word[y] <= 'Z') ? word[y] | 32 : word[y]);
        uint64_t w[2];
        memcpy(w, lower, KW_MAX_LEN);
        for (Py_ssize_t i = kw_table.at[len]; i < kw_table.at[len + 1]; i++) {
            if (kw_table.word[i][0] == w[0] && kw_table.word[i][1] == w[1])
                return 1;
        }
        return 0;
    }
    PyObject *bytes = PyBytes_FromStringAndSize(NULL, len);
    if (bytes == NULL)
        return -1;
    char *out = PyBytes_AS_STRING(bytes);
    for (Py_ssize_t y = 0; y < len; y++)
        out[y] = (char)((word[y] >= 'A' && word[y] <= 'Z') ? word[y] | 32 : word[y]);
    int found = PySet_Contains(keywords, bytes);
    Py_DECREF(bytes);
    return found;
}

/* ascii_key() of raw[0:n] (keywords: a set of lower-case bytes, checked by the caller). */
static PyObject *
ascii_key_of(const unsigned char *raw, Py_ssize_t n, PyObject *keywords)
{
    char stack[512], *out = n <= (Py_ssize_t)sizeof(stack) ? stack : PyMem_Malloc((size_t)n);  /* the key */
    PyObject *key = NULL;
    if (out == NULL)
        return PyErr_NoMemory();
    Py_ssize_t len = 0;
    int has_alnum = 0, other_word = 0;
    for (Py_ssize_t x = 0; x < n;) {
        if (is_space(raw[x])) {
            x++;
            continue;
        }
        if (len)
            out[len++] = ' ';
        while (x < n && !is_space(raw[x])) {
            if (raw[x] >= 0x80)
                goto not_ascii;
            if (!is_word(raw[x])) {
                out[len++] = raw[x++];
                continue;
            }
            Py_ssize_t w = len;  /* a word: copy it, then ask whether it is a keyword */
            while (x < n && is_word(raw[x])) {
                has_alnum |= is_alnum(raw[x]);
                out[len++] = raw[x++];
            }
            if (other_word)
                continue;
            int found = is_keyword(out + w, len - w, keywords);
            if (found < 0)
                goto done;
            other_word = !found;
        }
    }
    if (!(has_alnum && other_word)) {
        key = Py_NewRef(Py_None);
    }
    else if ((key = PyUnicode_New(len, 127)) != NULL) {  /* ASCII already checked: no second pass to decode */
        memcpy(PyUnicode_1BYTE_DATA(key), out, (size_t)len);
    }
    goto done;
not_ascii:
    key = Py_NewRef(Py_NotImplemented);
done:
    if (out != stack)
        PyMem_Free(out);
    return key;
}

/* The key of one line of a hunk: keyed here when it is ASCII bytes (ascii_key_of, what key() gives it), else
 * key(raw). A new reference (the key or None), NULL on error. */
static PyObject *
line_key_of(PyObject *raw, PyObject *key, PyObject *keywords)
{
    if (PyBytes_Check(raw)) {
        PyObject *k = ascii_key_of((const unsigned char *)PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw), keywords);
        if (k != Py_NotImplemented)
            return k;
        Py_DECREF(k);
    }
    return PyObject_CallOneArg(key, raw);
}

/* ---- hunk pairing --------------------------------------------------------------------------------- */

/* churnlab.mine.lines' constants (tests/mine/test_kernels.py checks they agree) */
#define PAIR_WINDOW 2
#define PAIR_MIN_RATIO 0.5
#define UPDATE_MAX_TOKENS 3
#define REALIGN_MAX_TOKENS 16  /* _compare realigns middles of at most this many removed tokens */

/* str.isspace() and the regex \s of an ASCII character: bytes.split()'s six plus the separators 0x1c-0x1f */
static inline int is_uspace(unsigned char c) { return is_space(c) || (c >= 0x1c && c <= 0x1f); }

typedef struct { Py_ssize_t start, len; } Span;

/* One line of the hunk: its ASCII key and the spans of its tokens (normalize.tokens: \w+|[^\w\s]). */
typedef struct {
    PyObject *key;
    const char *s;
    Py_ssize_t len, ntok;  /* ntok -1: not tokenised yet (tokens_ready) */
    Span *tok;
} TokLine;

typedef struct { const TokLine *line; Py_ssize_t i; } TokRef;  /* a token: its line and index */

static Py_ssize_t
count_tokens(const char *s, Py_ssize_t n, Span *out)
{
    Py_ssize_t count = 0;
    for (Py_ssize_t x = 0; x < n;) {
        unsigned char c = (unsigned char)s[x];
        if (is_uspace(c)) {
            x++;
            continue;
        }
        Py_ssize_t start = x++;
        if (is_word(c)) {
            while (x < n && is_word((unsigned char)s[x]))
                x++;
        }
        if (out != NULL) {
            out[count].start = start;
            out[count].len = x - start;
        }
        count++;
    }
    return count;
}

static inline int
tok_eq(const TokLine *a, Py_ssize_t i, const TokLine *b, Py_ssize_t j)
{
    const Span *x = &a->tok[i], *y = &b->tok[j];
    return x->len == y->len && memcmp(a->s + x->start, b->s + y->start, (size_t)x->len) == 0;
}

/* tuple(tokens(key)[lo:hi]) as str objects equal to the reference's (the key is ASCII: bytes are characters) */
static PyObject *
tok_tuple(const TokLine *t, Py_ssize_t lo, Py_ssize_t hi)
{
    PyObject *out = PyTuple_New(hi - lo);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t x = lo; x < hi; x++) {
        PyObject *s = PyUnicode_Substring(t->key, t->tok[x].start, t->tok[x].start + t->tok[x].len);
        if (s == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, x - lo, s);
    }
    return out;
}

/* Append (tuple(a[alo:ahi]), tuple(b[blo:bhi])) to list. */
static int
append_subst(PyObject *list, const TokLine *a, Py_ssize_t alo, Py_ssize_t ahi, const TokLine *b, Py_ssize_t blo,
             Py_ssize_t bhi)
{
    PyObject *old = tok_tuple(a, alo, ahi), *new = old ? tok_tuple(b, blo, bhi) : NULL, *pair = NULL;
    if (new != NULL)
        pair = PyTuple_Pack(2, old, new);
    Py_XDECREF(old);
    Py_XDECREF(new);
    if (pair == NULL)
        return -1;
    int rc = PyList_Append(list, pair);
    Py_DECREF(pair);
    return rc;
}

/* lines._realign of the middles a[alo:ahi], b[blo:bhi] (both non-empty): difflib's opcodes without junk, from
 * matching_blocks over per-call token ids (equal ids exactly when the tokens are equal). *subst gets the
 * substitution tuple when subst is not NULL. Returns the tokens equal, or -1 with an exception set. */
static Py_ssize_t
realign(const TokLine *a, Py_ssize_t alo, Py_ssize_t ahi, const TokLine *b, Py_ssize_t blo, Py_ssize_t bhi,
        Py_ssize_t *ntok, PyObject **subst)
{
    Py_ssize_t na = ahi - alo, nb = bhi - blo, nuniq = 0, equal = -1;
    int64_t *ids = PyMem_Malloc((size_t)(na + nb) * sizeof(int64_t));
    TokRef *uniq = PyMem_Malloc((size_t)(na + nb) * sizeof(TokRef));  /* the first of each distinct token */
    Blocks blocks = {NULL, 0, 0};
    PyObject *list = NULL;
    if (ids == NULL || uniq == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t x = 0; x < na + nb; x++) {
        const TokLine *t = x < na ? a : b;
        Py_ssize_t i = x < na ? alo + x : blo + x - na, id = 0;
        while (id < nuniq && !tok_eq(t, i, uniq[id].line, uniq[id].i))
            id++;
        if (id == nuniq) {
            uniq[nuniq].line = t;
            uniq[nuniq].i = i;
            nuniq++;
        }
        ids[x] = id;
    }
    if (matching_blocks(ids, na, ids + na, nb, 0, 0, &blocks) < 0)
        goto done;
    if (subst != NULL && (list = PyList_New(0)) == NULL)
        goto done;
    Py_ssize_t i = 0, j = 0, same = 0, changed = 0;
    for (Py_ssize_t x = 0; x <= blocks.n; x++) {  /* get_opcodes: the gaps before each block and the sentinel */
        Py_ssize_t ai = x < blocks.n ? blocks.v[x].i : na, bj = x < blocks.n ? blocks.v[x].j : nb;
        Py_ssize_t size = x < blocks.n ? blocks.v[x].k : 0;
        if (i < ai || j < bj) {
            changed += Py_MAX(ai - i, bj - j);
            if (list != NULL && append_subst(list, a, alo + i, alo + ai, b, blo + j, blo + bj) < 0)
                goto done;
        }
        same += size;
        i = ai + size;
        j = bj + size;
    }
    if (list != NULL && (*subst = PyList_AsTuple(list)) == NULL)
        goto done;
    *ntok = changed;
    equal = same;
done:
    Py_XDECREF(list);
    PyMem_Free(ids);
    PyMem_Free(uniq);
    PyMem_Free(blocks.v);
    return equal;
}

/* lines._compare of two lines whose first or last tokens are equal: the similarity, and the tokens changed in
 * *ntok; the substitution in *subst when subst is not NULL. Returns -1.0 with an exception set on failure. */
static double
compare_lines(const TokLine *a, const TokLine *b, Py_ssize_t *ntok, PyObject **subst)
{
    Py_ssize_t la = a->ntok, lb = b->ntok, n = Py_MIN(la, lb), p = 0, q = 0;
    while (p < n && tok_eq(a, p, b, p))
        p++;
    while (q < n - p && tok_eq(a, la - 1 - q, b, lb - 1 - q))
        q++;
    Py_ssize_t lam = la - q - p, lbm = lb - q - p, common = p + q, total = la + lb;
    if (!p && !q) {  /* not reached from pair_ascii, which skips such pairs first */
        *ntok = Py_MAX(la, lb);
        if (subst != NULL)
            *subst = PyTuple_New(0);
        return (subst != NULL && *subst == NULL) ? -1.0 : 0.0;
    }
    if (lam && lbm && Py_MAX(lam, lbm) > UPDATE_MAX_TOKENS && Py_ABS(lam - lbm) <= UPDATE_MAX_TOKENS
            && lam <= REALIGN_MAX_TOKENS && 2.0 * (double)(common + Py_MIN(lam, lbm)) >= PAIR_MIN_RATIO * (double)total) {
        Py_ssize_t equal = realign(a, p, la - q, b, p, lb - q, ntok, subst);
        if (equal < 0)
            return -1.0;
        return (double)(2 * (common + equal)) / (double)total;  /* as Python's int / int: correctly rounded */
    }
    *ntok = Py_MAX(lam, lbm);
    if (subst != NULL) {
        if (lam || lbm) {
            PyObject *list = PyList_New(0);
            if (list == NULL || append_subst(list, a, p, la - q, b, p, lb - q) < 0) {
                Py_XDECREF(list);
                return -1.0;
            }
            *subst = PyList_AsTuple(list);
            Py_DECREF(list);
        }
        else {
            *subst = PyTuple_New(0);
        }
        if (*subst == NULL)
            return -1.0;
    }
    return (double)(2 * common) / (double)total;
}

/* Append (j, k, subst, ntok) of the pair of lines a (removed line j) and b (added line k) to out. */
static int
append_pair(PyObject *out, PyObject *j, PyObject *k, const TokLine *a, const TokLine *b)
{
    Py_ssize_t ntok = 0;
    PyObject *subst = NULL;
    if (compare_lines(a, b, &ntok, &subst) < 0)
        return -1;
    PyObject *t = Py_BuildValue("(OONn)", j, k, subst, ntok);  /* N: the tuple takes subst's reference */
    if (t == NULL)
        return -1;
    int rc = PyList_Append(out, t);
    Py_DECREF(t);
    return rc;
}

static inline int
share_an_end(const TokLine *a, const TokLine *b)  /* the first tokens or the last tokens are equal */
{
    return tok_eq(a, 0, b, 0) || tok_eq(a, a->ntok - 1, b, b->ntok - 1);
}

/* The lines (keys[j] for j in idx) of one side, each with room for its tokens in one buffer (a line has at most
 * as many tokens as characters) and tokenised when first compared (tokens_ready): many never are. 1 if a key is
 * not an ASCII str (the caller returns NotImplemented), -1 with an exception set. */
static int
tokenise_side(PyObject *idx, PyObject *keys, TokLine **lines, Py_ssize_t *n, Span **buf)
{
    Py_ssize_t nk = PySequence_Fast_GET_SIZE(keys), total = 0;
    PyObject **items = PySequence_Fast_ITEMS(keys), **at = PySequence_Fast_ITEMS(idx);
    *n = PySequence_Fast_GET_SIZE(idx);
    *lines = PyMem_Calloc((size_t)(*n ? *n : 1), sizeof(TokLine));
    if (*lines == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t x = 0; x < *n; x++) {
        Py_ssize_t j = PyLong_AsSsize_t(at[x]);
        if (j == -1 && PyErr_Occurred())
            return -1;
        if (j < 0 || j >= nk) {
            PyErr_SetString(PyExc_IndexError, "pair_ascii(): a line index is out of range of its keys");
            return -1;
        }
        PyObject *key = items[j];
        if (!PyUnicode_Check(key) || !PyUnicode_IS_ASCII(key))
            return 1;
        TokLine *t = &(*lines)[x];
        t->key = key;
        t->s = (const char *)PyUnicode_1BYTE_DATA(key);
        t->len = PyUnicode_GET_LENGTH(key);
        t->ntok = -1;
        Py_ssize_t c = 0;
        while (c < t->len && is_uspace((unsigned char)t->s[c]))  /* a token starts at the first other character */
            c++;
        if (c == t->len) {
            PyErr_SetString(PyExc_ValueError, "pair_ascii(): a key without tokens (keys are meaningful lines)");
            return -1;
        }
        total += t->len;
    }
    *buf = PyMem_Malloc((size_t)(total ? total : 1) * sizeof(Span));
    if (*buf == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Span *next = *buf;
    for (Py_ssize_t x = 0; x < *n; x++) {
        (*lines)[x].tok = next;
        next += (*lines)[x].len;
    }
    return 0;
}

static inline void
tokens_ready(TokLine *t)
{
    if (t->ntok < 0)
        t->ntok = count_tokens(t->s, t->len, t->tok);
}

/* lines._may_share_an_end, then share_an_end: the characters at the ends first (the first token starts at the
 * first character unless it is whitespace, and likewise the last), tokenising only lines that pass. */
static int
may_pair(TokLine *a, TokLine *b)
{
    const unsigned char *x = (const unsigned char *)a->s, *y = (const unsigned char *)b->s;
    if (!(x[0] == y[0] || x[a->len - 1] == y[b->len - 1] || is_uspace(x[0]) || is_uspace(y[0])
          || is_uspace(x[a->len - 1]) || is_uspace(y[b->len - 1])))
        return 0;
    tokens_ready(a);
    tokens_ready(b);
    return share_an_end(a, b);
}

/* pair_ascii(rj, aj, rkeys, akeys): churnlab.mine.lines' reference, list(_pair_hunk(rj, aj, rkeys, akeys)) when
 * the keys of the lines rj (removed) and aj (added) are all ASCII, else NotImplemented (Unicode tokens are left to
 * the reference). */
static PyObject *
kernels_pair_ascii(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("pair_ascii", nargs, 4) < 0)
        return NULL;
    PyObject *fast[4] = {NULL, NULL, NULL, NULL}, *out = NULL;
    TokLine *rl = NULL, *al = NULL;
    Span *rbuf = NULL, *abuf = NULL;
    Py_ssize_t n_r = 0, n_a = 0;
    static const char *what[4] = {"pair_ascii(): rj must be a list", "pair_ascii(): aj must be a list",
                                  "pair_ascii(): rkeys must be a list", "pair_ascii(): akeys must be a list"};
    for (int x = 0; x < 4; x++) {
        if ((fast[x] = PySequence_Fast(args[x], what[x])) == NULL)
            goto done;
    }
    int rc = tokenise_side(fast[0], fast[2], &rl, &n_r, &rbuf);
    if (rc == 0)
        rc = tokenise_side(fast[1], fast[3], &al, &n_a, &abuf);
    if (rc != 0) {
        if (rc > 0)
            out = Py_NewRef(Py_NotImplemented);
        goto done;
    }
    PyObject **rj = PySequence_Fast_ITEMS(fast[0]), **aj = PySequence_Fast_ITEMS(fast[1]);
    if ((out = PyList_New(0)) == NULL)
        goto done;
    Py_ssize_t ntok;
    if (n_r == n_a) {  /* each removed line is compared with the added line at its position only */
        for (Py_ssize_t x = 0; x < n_r; x++) {
            if (!may_pair(&rl[x], &al[x]))
                continue;
            double ratio = compare_lines(&rl[x], &al[x], &ntok, NULL);
            if (ratio < 0 || (ratio >= PAIR_MIN_RATIO && append_pair(out, rj[x], aj[x], &rl[x], &al[x]) < 0)) {
                Py_CLEAR(out);
                goto done;
            }
        }
        goto done;
    }
    Py_ssize_t last = -1;
    for (Py_ssize_t idx = 0; idx < n_r; idx++) {  /* the added lines near the removed line's proportional position */
        Py_ssize_t centre = idx * n_a / n_r, best = -1;
        double best_ratio = 0.0;
        for (Py_ssize_t pos = Py_MAX(0, centre - PAIR_WINDOW); pos < Py_MIN(n_a, centre + PAIR_WINDOW + 1); pos++) {
            Py_ssize_t k = PyLong_AsSsize_t(aj[pos]);  /* checked by tokenise_side */
            if (k <= last || !may_pair(&rl[idx], &al[pos]))
                continue;
            double ratio = compare_lines(&rl[idx], &al[pos], &ntok, NULL);
            if (ratio < 0) {
                Py_CLEAR(out);
                goto done;
            }
            if (ratio >= PAIR_MIN_RATIO && (best < 0 || ratio > best_ratio)) {
                best = pos;
                best_ratio = ratio;
            }
        }
        if (best < 0)
            continue;
        last = PyLong_AsSsize_t(aj[best]);
        if (append_pair(out, rj[idx], aj[best], &rl[idx], &al[best]) < 0) {
            Py_CLEAR(out);
            goto done;
        }
    }
done:
    for (int x = 0; x < 4; x++)
        Py_XDECREF(fast[x]);
    PyMem_Free(rl);
    PyMem_Free(al);
    PyMem_Free(rbuf);
    PyMem_Free(abuf);
    return out;
}

/* ---- windows that a change replaces ---------------------------------------------------------------- */

#define WINDOW_LINES 5      /* churnlab.mine.duplicates.BLOCK */
#define NO_KEY (-1)         /* churnlab.mine.duplicates.NO_KEY: a line that is not meaningful */

typedef struct { int64_t *v; Py_ssize_t n, cap; } Int64s;

static int
int64s_push(Int64s *xs, int64_t x)
{
    if (grow((void **)&xs->v, &xs->cap, xs->n + 1, sizeof(int64_t)) < 0)
        return -1;
    xs->v[xs->n++] = x;
    return 0;
}

/* hash() of a Python int that fits in 64 bits (Objects/longobject.c: the value modulo 2**61 - 1, signed). */
static inline Py_uhash_t
int_hash(int64_t v)
{
    uint64_t x = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    Py_hash_t h = (Py_hash_t)(x % (uint64_t)_PyHASH_MODULUS);
    if (v < 0)
        h = -h;
    return (Py_uhash_t)(h == -1 ? -2 : h);
}

/* Appends to out hash(tuple(run)) of every run of WINDOW_LINES consecutive items of seq. */
static int
push_windows(const Int64s *seq, PyObject *out)
{
    Py_uhash_t lanes[WINDOW_LINES];
    for (Py_ssize_t s = 0; s + WINDOW_LINES <= seq->n; s++) {
        for (int x = 0; x < WINDOW_LINES; x++)
            lanes[x] = int_hash(seq->v[s + x]);
        PyObject *h = PyLong_FromSsize_t(tuple_hash(lanes, WINDOW_LINES));
        if (h == NULL || PyList_Append(out, h) < 0) {
            Py_XDECREF(h);
            return -1;
        }
        Py_DECREF(h);
    }
    return 0;
}

/* The meaningful keys of keys[lo:hi], appended to out. */
static int
push_meaningful(const int64_t *keys, Py_ssize_t lo, Py_ssize_t hi, Int64s *out)
{
    for (Py_ssize_t x = lo; x < hi; x++)
        if (keys[x] != NO_KEY && int64s_push(out, keys[x]) < 0)
            return -1;
    return 0;
}

/* changed_windows(before, after, regions): churnlab.mine.duplicates' reference, the windows (gone, come) when
 * before becomes after at regions (old from, old to, new from, new to), regions within the files, in order. */
static PyObject *
kernels_changed_windows(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("changed_windows", nargs, 3) < 0)
        return NULL;
    Py_ssize_t la = 0, lb = 0, nreg = 0;
    PyObject *res = NULL, *gone = NULL, *come = NULL, *regs = NULL;
    Range *rs = NULL;
    Int64s left = {NULL, 0, 0}, seq = {NULL, 0, 0}, mid = {NULL, 0, 0};
    Py_buffer va, vb;
    int64_t *copy_a = NULL, *copy_b = NULL;  /* lists are copied; array('q') is read in place */
    const int64_t *a = int64_view(args[0], &va), *b = NULL;
    if (a != NULL)
        la = va.len / 8;
    else if ((a = copy_a = to_int64(args[0], &la, "changed_windows(): before must be a list of ints")) == NULL)
        goto done;
    if ((b = int64_view(args[1], &vb)) != NULL)
        lb = vb.len / 8;
    else if ((b = copy_b = to_int64(args[1], &lb, "changed_windows(): after must be a list of ints")) == NULL)
        goto done;
    if ((regs = PySequence_Fast(args[2], "changed_windows(): regions must be a list")) == NULL)
        goto done;
    nreg = PySequence_Fast_GET_SIZE(regs);
    if ((rs = PyMem_Malloc((size_t)(nreg ? nreg : 1) * sizeof(Range))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t r = 0; r < nreg; r++) {
        PyObject *t = PySequence_Fast(PySequence_Fast_GET_ITEM(regs, r), "changed_windows(): a region is 4 ints");
        if (t == NULL)
            goto done;
        Py_ssize_t v[4] = {0, 0, 0, 0};
        int bad = PySequence_Fast_GET_SIZE(t) != 4;
        for (int x = 0; !bad && x < 4; x++) {
            v[x] = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(t, x));
            bad = v[x] == -1 && PyErr_Occurred();
        }
        Py_DECREF(t);
        if (!bad && !(0 <= v[0] && v[0] <= v[1] && v[1] <= la && 0 <= v[2] && v[2] <= v[3] && v[3] <= lb)) {
            PyErr_SetString(PyExc_ValueError, "changed_windows(): a region lies outside the files");
            bad = 1;
        }
        if (bad) {
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_TypeError, "changed_windows(): a region is 4 ints");
            goto done;
        }
        rs[r] = (Range){v[0], v[1], v[2], v[3]};
    }
    if ((gone = PyList_New(0)) == NULL || (come = PyList_New(0)) == NULL)
        goto done;
    for (Py_ssize_t r = 0; r < nreg;) {
        Py_ssize_t a0 = rs[r].alo, a1 = rs[r].ahi, b0 = rs[r].blo, b1 = rs[r].bhi;
        r++;
        while (r < nreg) {  /* windows could span this region and the next: one region */
            int meaningful = 0;
            for (Py_ssize_t x = a1; x < rs[r].alo && meaningful < WINDOW_LINES - 1; x++)
                meaningful += a[x] != NO_KEY;
            if (meaningful >= WINDOW_LINES - 1)
                break;
            a1 = rs[r].ahi;
            b1 = rs[r].bhi;
            r++;
        }
        left.n = 0;  /* the context: up to WINDOW_LINES - 1 meaningful unchanged lines each way, reversed here */
        for (Py_ssize_t x = a0 - 1; x >= 0 && left.n < WINDOW_LINES - 1; x--)
            if (a[x] != NO_KEY && int64s_push(&left, a[x]) < 0)
                goto done;
        mid.n = 0;
        if (push_meaningful(a, a0, a1, &mid) < 0)
            goto done;
        Py_ssize_t old_n = mid.n;
        if (push_meaningful(b, b0, b1, &mid) < 0)
            goto done;
        if (mid.n == 2 * old_n && memcmp(mid.v, mid.v + old_n, (size_t)old_n * sizeof(int64_t)) == 0)
            continue;  /* the same meaningful lines */
        for (int side = 0; side < 2; side++) {
            seq.n = 0;
            for (Py_ssize_t x = left.n - 1; x >= 0; x--)
                if (int64s_push(&seq, left.v[x]) < 0)
                    goto done;
            Py_ssize_t lo = side ? old_n : 0, hi = side ? mid.n : old_n;
            for (Py_ssize_t x = lo; x < hi; x++)
                if (int64s_push(&seq, mid.v[x]) < 0)
                    goto done;
            int right = 0;
            for (Py_ssize_t x = a1; x < la && right < WINDOW_LINES - 1; x++)
                if (a[x] != NO_KEY) {
                    if (int64s_push(&seq, a[x]) < 0)
                        goto done;
                    right++;
                }
            if (push_windows(&seq, side ? come : gone) < 0)
                goto done;
        }
    }
    res = PyTuple_Pack(2, gone, come);
done:
    Py_XDECREF(gone);
    Py_XDECREF(come);
    Py_XDECREF(regs);
    PyMem_Free(rs);
    if (a != NULL && copy_a == NULL)
        PyBuffer_Release(&va);
    if (b != NULL && copy_b == NULL)
        PyBuffer_Release(&vb);
    PyMem_Free(copy_a);
    PyMem_Free(copy_b);
    PyMem_Free(left.v);
    PyMem_Free(seq.v);
    PyMem_Free(mid.v);
    return res;
}

/* ---- a merge's lines by birth -------------------------------------------------------------------- */

/* One line (birth record without bit 1, content hash) of a merge and how often each side holds it (a cell
 * with all counts 0 is free). */
typedef struct { int64_t rec, h; uint32_t n[4]; } LineCell;
/* One birth and its lines: arrived minus left, dead. */
typedef struct { int64_t rec; long long net, died; } BirthCell;

typedef struct {
    LineCell *cells;
    size_t mask;
    Py_ssize_t *used, nused;  /* the cells taken, in the order taken */
} LineTable;

static int
birth_cmp(const void *x, const void *y)
{
    const BirthCell *p = x, *q = y;
    return (p->rec > q->rec) - (p->rec < q->rec);
}

/* Adds every line of one side's runs, a list of (records, hashes) pairs, to the table. */
static int
count_side(PyObject *run, int side, LineTable *t)
{
    PyObject *fast = PySequence_Fast(run, "merge_lines(): runs[k] must be a list of (records, hashes)");
    if (fast == NULL)
        return -1;
    int rc = -1;
    for (Py_ssize_t x = 0; x < PySequence_Fast_GET_SIZE(fast); x++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(fast, x), *ro = NULL, *ho = NULL;
        int64_t *recs = NULL, *hs = NULL;
        Py_ssize_t nr = 0, nh = 0;
        int ok = (ro = PySequence_GetItem(pair, 0)) != NULL && (ho = PySequence_GetItem(pair, 1)) != NULL
                 && (recs = to_int64(ro, &nr, "merge_lines(): records must be a list of ints")) != NULL
                 && (hs = to_int64(ho, &nh, "merge_lines(): hashes must be a list of ints")) != NULL;
        if (ok && nr != nh) {
            PyErr_SetString(PyExc_ValueError, "merge_lines(): records and hashes differ in length");
            ok = 0;
        }
        for (Py_ssize_t i = 0; ok && i < nr; i++) {
            int64_t rec = recs[i] & ~(int64_t)2, h = hs[i];
            size_t at = mix(h ^ (int64_t)((uint64_t)rec * 0x9e3779b97f4a7c15ULL)) & t->mask;
            LineCell *c;
            for (;; at = (at + 1) & t->mask) {
                c = &t->cells[at];
                if (!(c->n[0] | c->n[1] | c->n[2] | c->n[3])) {  /* free: the line's cell from now on */
                    c->rec = rec;
                    c->h = h;
                    t->used[t->nused++] = (Py_ssize_t)at;
                    break;
                }
                if (c->rec == rec && c->h == h)
                    break;
            }
            c->n[side]++;
        }
        Py_XDECREF(ro);
        Py_XDECREF(ho);
        PyMem_Free(recs);
        PyMem_Free(hs);
        if (!ok)
            goto done;
    }
    rc = 0;
done:
    Py_DECREF(fast);
    return rc;
}

static Py_ssize_t
side_lines(PyObject *run)
{
    PyObject *fast = PySequence_Fast(run, "merge_lines(): runs[k] must be a list of (records, hashes)");
    if (fast == NULL)
        return -1;
    Py_ssize_t total = 0;
    for (Py_ssize_t x = 0; x < PySequence_Fast_GET_SIZE(fast); x++) {
        PyObject *recs = PySequence_GetItem(PySequence_Fast_GET_ITEM(fast, x), 0);
        Py_ssize_t n = recs == NULL ? -1 : PyObject_Length(recs);
        Py_XDECREF(recs);
        if (n < 0) {
            Py_DECREF(fast);
            return -1;
        }
        total += n;
    }
    Py_DECREF(fast);
    return total;
}

/* merge_lines(runs): churnlab.mine.provenance's reference, by hashing where it sorts: the lines of the four
 * sides counted per (record, hash), then per record (births kept in order of the lines' first sight, then
 * sorted by record). */
static PyObject *
kernels_merge_lines(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("merge_lines", nargs, 1) < 0)
        return NULL;
    PyObject *runs = PySequence_Fast(args[0], "merge_lines(): runs must be four lists"), *out = NULL;
    if (runs == NULL)
        return NULL;
    LineTable t = {NULL, 0, NULL, 0};
    BirthCell *births = NULL;
    Py_ssize_t *birth_at = NULL;
    if (PySequence_Fast_GET_SIZE(runs) != 4) {
        PyErr_SetString(PyExc_ValueError, "merge_lines(): runs must be four lists");
        goto done;
    }
    Py_ssize_t sizes[4], total = 0;
    for (int side = 0; side < 4; side++) {
        if ((sizes[side] = side_lines(PySequence_Fast_GET_ITEM(runs, side))) < 0)
            goto done;
        total += sizes[side];
    }
    if (sizes[0] + sizes[1] == 0) {
        out = PyList_New(0);
        goto done;
    }
    size_t size = 16;
    while (size < (size_t)total + (size_t)total / 2)
        size *= 2;
    t.mask = size - 1;
    if ((t.cells = PyMem_Calloc(size, sizeof(LineCell))) == NULL
            || (t.used = PyMem_Malloc((size_t)total * sizeof(Py_ssize_t))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (int side = 0; side < 4; side++)
        if (count_side(PySequence_Fast_GET_ITEM(runs, side), side, &t) < 0)
            goto done;
    /* births: a table of indexes into the packed births, sized for the distinct lines (births are fewer) */
    size_t bsize = 16;
    while (bsize < 2 * (size_t)t.nused)
        bsize *= 2;
    if ((births = PyMem_Malloc((size_t)t.nused * sizeof(BirthCell))) == NULL
            || (birth_at = PyMem_Malloc(bsize * sizeof(Py_ssize_t))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    memset(birth_at, 0xff, bsize * sizeof(Py_ssize_t));  /* -1: free */
    Py_ssize_t nbirths = 0;
    for (Py_ssize_t x = 0; x < t.nused; x++) {
        const LineCell *c = &t.cells[t.used[x]];
        long long died = c->n[0] > c->n[1] ? (long long)c->n[0] - c->n[1] : 0;  /* left and did not arrive */
        long long moved = c->n[3] > c->n[2] ? (long long)c->n[3] - c->n[2] : 0;  /* into excluded files: not dead */
        died -= died < moved ? died : moved;
        size_t at = mix(c->rec) & (bsize - 1);
        while (birth_at[at] >= 0 && births[birth_at[at]].rec != c->rec)
            at = (at + 1) & (bsize - 1);
        if (birth_at[at] < 0) {
            birth_at[at] = nbirths;
            births[nbirths++] = (BirthCell){c->rec, 0, 0};
        }
        BirthCell *b = &births[birth_at[at]];
        b->net += (long long)c->n[1] - (long long)c->n[0];
        b->died += died;
    }
    qsort(births, (size_t)nbirths, sizeof(BirthCell), birth_cmp);
    if ((out = PyList_New(0)) == NULL)
        goto done;
    for (Py_ssize_t x = 0; x < nbirths; x++) {
        if (births[x].net == 0 && births[x].died == 0)  /* most births: their lines all stayed */
            continue;
        PyObject *rec = PyLong_FromLongLong(births[x].rec), *net = PyLong_FromLongLong(births[x].net);
        PyObject *died = PyLong_FromLongLong(births[x].died), *item = NULL;
        if (rec != NULL && net != NULL && died != NULL)
            item = PyTuple_Pack(3, rec, net, died);
        Py_XDECREF(rec);
        Py_XDECREF(net);
        Py_XDECREF(died);
        int rc = item != NULL ? PyList_Append(out, item) : -1;
        Py_XDECREF(item);
        if (rc < 0) {
            Py_CLEAR(out);
            goto done;
        }
    }
done:
    Py_DECREF(runs);
    PyMem_Free(t.cells);
    PyMem_Free(t.used);
    PyMem_Free(births);
    PyMem_Free(birth_at);
    return out;
}

/* ---- a blob's lines -------------------------------------------------------------------------------- */

#if PY_VERSION_HEX >= 0x030E0000
#define HASH_BYTES(p, n) Py_HashBuffer((p), (n))
#else
#define HASH_BYTES(p, n) _Py_HashBytes((p), (n))  /* what hash() of a bytes object computes */
#endif

/* key_hashes(content, start, end, key, keywords): churnlab.mine.provenance's reference. The key hash of each
 * line of content[start:end] (split at newlines, no trailing empty line): NO_KEY (-1) for a line whose key is
 * None, else hash(key). An ASCII line is keyed here (ascii_key, what key gives it); key is called, with the
 * line's bytes, for the other lines only. */
static PyObject *
kernels_key_hashes(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("key_hashes", nargs, 5) < 0)
        return NULL;
    if (check_arg(PyBytes_Check(args[0]), "key_hashes", "content must be bytes") < 0)
        return NULL;
    if (check_arg(PyAnySet_Check(args[4]), "key_hashes", "keywords must be a set of lower-case bytes") < 0)
        return NULL;
    Py_ssize_t len = PyBytes_GET_SIZE(args[0]);
    Py_ssize_t start = PyLong_AsSsize_t(args[1]), end = PyLong_AsSsize_t(args[2]);
    if ((start == -1 || end == -1) && PyErr_Occurred())
        return NULL;
    if (start < 0 || end < 0) {
        PyErr_SetString(PyExc_ValueError, "key_hashes(): start and end are offsets from the start of content");
        return NULL;
    }
    start = start > len ? len : start;  /* as a slice would */
    end = end < start ? start : end > len ? len : end;
    const unsigned char *text = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t pos = start; pos < end;) {
        const unsigned char *nl = memchr(text + pos, '\n', (size_t)(end - pos));
        Py_ssize_t stop = nl != NULL ? nl - text : end;
        PyObject *k = ascii_key_of(text + pos, stop - pos, args[4]);
        if (k == Py_NotImplemented) {
            Py_DECREF(k);
            PyObject *raw = PyBytes_FromStringAndSize((const char *)text + pos, stop - pos);
            if (raw == NULL)
                goto fail;
            k = PyObject_CallOneArg(args[3], raw);
            Py_DECREF(raw);
            if (k != NULL && k != Py_None && !PyUnicode_Check(k)) {
                Py_DECREF(k);
                PyErr_SetString(PyExc_TypeError, "key_hashes(): key() must return a str or None");
                goto fail;
            }
        }
        if (k == NULL)
            goto fail;
        Py_hash_t h = k == Py_None ? -1 : PyObject_Hash(k);
        Py_DECREF(k);
        if (h == -1 && PyErr_Occurred())
            goto fail;
        PyObject *item = PyLong_FromSsize_t(h);
        if (item == NULL)
            goto fail;
        int rc = PyList_Append(out, item);
        Py_DECREF(item);
        if (rc < 0)
            goto fail;
        pos = stop + 1;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* line_hashes(content): churnlab.mine.provenance's reference, (hash of every line, where each line starts)
 * as the bytes of int64 arrays, without making a bytes object per line. */
static PyObject *
kernels_line_hashes(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("line_hashes", nargs, 1) < 0)
        return NULL;
    if (check_arg(PyBytes_Check(args[0]), "line_hashes", "content must be bytes") < 0)
        return NULL;
    const char *text = PyBytes_AS_STRING(args[0]);
    Py_ssize_t len = PyBytes_GET_SIZE(args[0]), n = 0;
    for (const char *p = text; (p = memchr(p, '\n', (size_t)(text + len - p))) != NULL; p++)
        n++;
    if (len && text[len - 1] != '\n')
        n++;  /* a last line without its newline */
    PyObject *hashes = PyBytes_FromStringAndSize(NULL, n * 8), *starts = PyBytes_FromStringAndSize(NULL, (n + 1) * 8);
    if (hashes == NULL || starts == NULL) {
        Py_XDECREF(hashes);
        Py_XDECREF(starts);
        return NULL;
    }
    int64_t *h = (int64_t *)PyBytes_AS_STRING(hashes), *at = (int64_t *)PyBytes_AS_STRING(starts);
    Py_ssize_t pos = 0;
    for (Py_ssize_t j = 0; j < n; j++) {
        const char *nl = memchr(text + pos, '\n', (size_t)(len - pos));
        Py_ssize_t end = nl != NULL ? nl - text : len;
        at[j] = pos;
        h[j] = HASH_BYTES(text + pos, end - pos);
        pos = end + 1;
    }
    at[n] = pos;
    PyObject *out = PyTuple_Pack(2, hashes, starts);
    Py_DECREF(hashes);
    Py_DECREF(starts);
    return out;
}

/* ---- the first labels of a file's hunks (lines._first_labels_reference) -------------------------------- */

/* Labels: lines.ADDED, lines.DELETED, lines.NO_OP (tests check they are the same numbers) */
#define LABEL_ADDED 0
#define LABEL_DELETED 1
#define LABEL_NO_OP 6

/* list(map(key, lines)), counting the keys that are None in *none; every key must be a str or None. An ASCII
 * line is keyed here, as ascii_key(line, keywords), which is what key gives it (normalize.line_key): key is
 * called for the other lines only. */
static PyObject *
keys_of(PyObject *lines, PyObject *key, PyObject *keywords, Py_ssize_t *none)
{
    PyObject *fast = PySequence_Fast(lines, "first_labels(): a hunk's lines must be a list");
    if (fast == NULL)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject **items = PySequence_Fast_ITEMS(fast);
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        Py_DECREF(fast);
        return NULL;
    }
    *none = 0;
    for (Py_ssize_t x = 0; x < n; x++) {
        PyObject *k = line_key_of(items[x], key, keywords);
        if (k == NULL)
            goto fail;
        PyList_SET_ITEM(out, x, k);  /* the list owns it, also on failure below */
        if (k == Py_None) {
            (*none)++;
        }
        else if (!PyUnicode_Check(k)) {
            PyErr_SetString(PyExc_TypeError, "first_labels(): key() must return a str or None");
            goto fail;
        }
    }
    Py_DECREF(fast);
    return out;
fail:
    Py_DECREF(out);
    Py_DECREF(fast);
    return NULL;
}

/* [NO_OP if k is None else free for k in keys] */
static PyObject *
start_labels(PyObject *keys, long free)
{
    Py_ssize_t n = PyList_GET_SIZE(keys);
    PyObject *out = PyList_New(n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t x = 0; x < n; x++) {
        PyObject *lab = PyLong_FromLong(PyList_GET_ITEM(keys, x) == Py_None ? LABEL_NO_OP : free);
        if (lab == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, x, lab);
    }
    return out;
}

/* [None if k is None else k.replace(" ", "") for k in keys] */
static PyObject *
unspaced(PyObject *keys, PyObject *space, PyObject *empty)
{
    Py_ssize_t n = PyList_GET_SIZE(keys);
    PyObject *out = PyList_New(n);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t x = 0; x < n; x++) {
        PyObject *k = PyList_GET_ITEM(keys, x);
        PyObject *bare = k == Py_None ? Py_NewRef(Py_None) : PyUnicode_Replace(k, space, empty, -1);
        if (bare == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, x, bare);
    }
    return out;
}

/* The set of the items of a list that are not None. */
static PyObject *
set_of(PyObject *items)
{
    PyObject *out = PySet_New(NULL);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t x = 0; x < PyList_GET_SIZE(items); x++) {
        PyObject *k = PyList_GET_ITEM(items, x);
        if (k != Py_None && PySet_Add(out, k) < 0) {
            Py_DECREF(out);
            return NULL;
        }
    }
    return out;
}

/* FNV-1a over the code points of a key other than spaces: equal keys once spaces are removed hash alike. */
static uint64_t
bare_hash(PyObject *key)
{
    int kind = PyUnicode_KIND(key);
    const void *data = PyUnicode_DATA(key);
    uint64_t h = 14695981039346656037ULL;
    for (Py_ssize_t x = 0, n = PyUnicode_GET_LENGTH(key); x < n; x++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, x);
        if (c != ' ')
            h = (h ^ c) * 1099511628211ULL;
    }
    return h | 1;  /* never 0: an empty slot */
}

/* Whether some key of rkeys and some key of akeys (str or None, both lists non-empty) may be equal once spaces
 * are removed: 0 when surely not (the usual case, found without a string or set per key), 1 when they may
 * (hashes meet: whitespace_edits compares the keys themselves), -1 on error. */
static int
may_share_bare(PyObject *rkeys, PyObject *akeys)
{
    Py_ssize_t nr = PyList_GET_SIZE(rkeys), size = 8;
    while (size < 2 * nr)
        size *= 2;
    uint64_t *slots = PyMem_Calloc((size_t)size, sizeof(uint64_t));  /* open addressing, linear probes */
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t j = 0; j < nr; j++) {
        PyObject *k = PyList_GET_ITEM(rkeys, j);
        if (k == Py_None)
            continue;
        uint64_t h = bare_hash(k);
        size_t at = (size_t)(h >> 7) & (size_t)(size - 1);
        while (slots[at] != 0 && slots[at] != h)
            at = (at + 1) & (size_t)(size - 1);
        slots[at] = h;
    }
    int met = 0;
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(akeys) && !met; j++) {
        PyObject *k = PyList_GET_ITEM(akeys, j);
        if (k == Py_None)
            continue;
        uint64_t h = bare_hash(k);
        size_t at = (size_t)(h >> 7) & (size_t)(size - 1);
        while (slots[at] != 0 && slots[at] != h)
            at = (at + 1) & (size_t)(size - 1);
        met = slots[at] == h;
    }
    PyMem_Free(slots);
    return met;
}

/* lines._whitespace_edits: 1 when some line is only re-spaced (its pairs set to no_op), 0 when none, -1 on error. */
static int
whitespace_edits(PyObject *rkeys, PyObject *akeys, PyObject *rlab, PyObject *alab, PyObject *space, PyObject *empty)
{
    int found = may_share_bare(rkeys, akeys);
    if (found <= 0)
        return found;
    found = -1;
    PyObject *rbare = NULL, *abare = NULL, *rset = NULL, *aset = NULL, *spots = NULL, *no_op = NULL;
    if ((rbare = unspaced(rkeys, space, empty)) == NULL || (abare = unspaced(akeys, space, empty)) == NULL
            || (rset = set_of(rbare)) == NULL || (aset = set_of(abare)) == NULL)
        goto done;
    found = 0;
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(abare) && !found; j++) {  /* a key on both sides? */
        PyObject *k = PyList_GET_ITEM(abare, j);
        if (k != Py_None && (found = PySet_Contains(rset, k)) < 0)
            goto done;
    }
    if (!found)
        goto done;
    found = -1;
    /* bare key -> the removed lines with it, in order; each added line with it takes the first left */
    if ((spots = PyDict_New()) == NULL || (no_op = PyLong_FromLong(LABEL_NO_OP)) == NULL)
        goto done;
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(rbare); j++) {
        PyObject *k = PyList_GET_ITEM(rbare, j);
        if (k == Py_None)
            continue;
        int both = PySet_Contains(aset, k);
        if (both < 0)
            goto done;
        if (!both)
            continue;
        PyObject *at = PyDict_GetItemWithError(spots, k);  /* borrowed */
        if (at == NULL) {
            if (PyErr_Occurred() || (at = PyList_New(0)) == NULL)
                goto done;
            int rc = PyDict_SetItem(spots, k, at);
            Py_DECREF(at);  /* the dict holds it */
            if (rc < 0)
                goto done;
        }
        PyObject *pos = PyLong_FromSsize_t(j);
        if (pos == NULL)
            goto done;
        int rc = PyList_Append(at, pos);
        Py_DECREF(pos);
        if (rc < 0)
            goto done;
    }
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(abare); j++) {
        PyObject *k = PyList_GET_ITEM(abare, j);
        if (k == Py_None)
            continue;
        PyObject *at = PyDict_GetItemWithError(spots, k);  /* present exactly when k is on both sides */
        if (at == NULL) {
            if (PyErr_Occurred())
                goto done;
            continue;
        }
        if (PyList_GET_SIZE(at) == 0)
            continue;
        Py_ssize_t r = PyLong_AsSsize_t(PyList_GET_ITEM(at, 0));
        if ((r == -1 && PyErr_Occurred()) || PyList_SetSlice(at, 0, 1, NULL) < 0)
            goto done;
        if (PyList_SetItem(rlab, r, Py_NewRef(no_op)) < 0 || PyList_SetItem(alab, j, Py_NewRef(no_op)) < 0)
            goto done;
    }
    found = 1;
done:
    Py_XDECREF(rbare);
    Py_XDECREF(abare);
    Py_XDECREF(rset);
    Py_XDECREF(aset);
    Py_XDECREF(spots);
    Py_XDECREF(no_op);
    return found;
}

/* Append to free the keys whose label is still free (all of them when every label is). */
static int
extend_free(PyObject *free, PyObject *keys, PyObject *labels, long label, int all)
{
    if (all)
        return PyList_SetSlice(free, PY_SSIZE_T_MAX, PY_SSIZE_T_MAX, keys);
    for (Py_ssize_t x = 0; x < PyList_GET_SIZE(keys); x++) {
        long lab = PyLong_AsLong(PyList_GET_ITEM(labels, x));
        if (lab == -1 && PyErr_Occurred())
            return -1;
        if (lab == label && PyList_Append(free, PyList_GET_ITEM(keys, x)) < 0)
            return -1;
    }
    return 0;
}

/* first_labels(hunks, key, keywords): lines._first_labels_reference (ASCII lines keyed here: keys_of). */
static PyObject *
kernels_first_labels(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("first_labels", nargs, 3) < 0)
        return NULL;
    if (check_arg(PyAnySet_Check(args[2]), "first_labels", "keywords must be a set of lower-case bytes") < 0)
        return NULL;
    PyObject *key = args[1], *keywords = args[2], *result = NULL, *space = NULL, *empty = NULL;
    PyObject *lists[6] = {NULL, NULL, NULL, NULL, NULL, NULL};  /* rl, al, rk, ak, free removed, free added */
    PyObject *hunks = PySequence_Fast(args[0], "first_labels(): hunks must be a list");
    if (hunks == NULL)
        return NULL;
    Py_ssize_t meaningful = 0;
    for (int x = 0; x < 6; x++) {
        if ((lists[x] = PyList_New(0)) == NULL)
            goto done;
    }
    if ((space = PyUnicode_FromString(" ")) == NULL || (empty = PyUnicode_FromString("")) == NULL)
        goto done;
    for (Py_ssize_t hi = 0; hi < PySequence_Fast_GET_SIZE(hunks); hi++) {
        PyObject *h = PySequence_Fast_GET_ITEM(hunks, hi);
        PyObject *removed = PySequence_GetItem(h, 4), *added = removed ? PySequence_GetItem(h, 5) : NULL;
        PyObject *rkeys = NULL, *akeys = NULL, *rlab = NULL, *alab = NULL;
        Py_ssize_t r_none = 0, a_none = 0;
        int ok = 0;
        if (added == NULL || (rkeys = keys_of(removed, key, keywords, &r_none)) == NULL
                || (akeys = keys_of(added, key, keywords, &a_none)) == NULL
                || (rlab = start_labels(rkeys, LABEL_DELETED)) == NULL
                || (alab = start_labels(akeys, LABEL_ADDED)) == NULL)
            goto hunk_done;
        Py_ssize_t nr = PyList_GET_SIZE(rkeys), na = PyList_GET_SIZE(akeys);
        meaningful += nr - r_none + na - a_none;
        int ws = 0;
        if (nr && na && (ws = whitespace_edits(rkeys, akeys, rlab, alab, space, empty)) < 0)
            goto hunk_done;
        int all = !ws && !r_none && !a_none;  /* every line still free */
        if (extend_free(lists[4], rkeys, rlab, LABEL_DELETED, all) < 0
                || extend_free(lists[5], akeys, alab, LABEL_ADDED, all) < 0
                || PyList_Append(lists[0], rlab) < 0 || PyList_Append(lists[1], alab) < 0
                || PyList_Append(lists[2], rkeys) < 0 || PyList_Append(lists[3], akeys) < 0)
            goto hunk_done;
        ok = 1;
hunk_done:
        Py_XDECREF(removed);
        Py_XDECREF(added);
        Py_XDECREF(rkeys);
        Py_XDECREF(akeys);
        Py_XDECREF(rlab);
        Py_XDECREF(alab);
        if (!ok)
            goto done;
    }
    result = Py_BuildValue("(OOOOnOO)", lists[0], lists[1], lists[2], lists[3], meaningful, lists[4], lists[5]);
done:
    for (int x = 0; x < 6; x++)
        Py_XDECREF(lists[x]);
    Py_XDECREF(space);
    Py_XDECREF(empty);
    Py_DECREF(hunks);
    return result;
}

/* ---- parsing one commit of the patch stream (lines._parse_record_reference) ---------------------------- */

/* The record's lines as record.split(b"\n") has them: line k is buf[start[k], start[k + 1] - 1). */
typedef struct {
    const char *buf;
    Py_ssize_t n, *start;
} Lines;

static inline const char *line_at(const Lines *ls, Py_ssize_t k) { return ls->buf + ls->start[k]; }
static inline Py_ssize_t line_len(const Lines *ls, Py_ssize_t k) { return ls->start[k + 1] - 1 - ls->start[k]; }

static inline int
starts_with(const char *s, Py_ssize_t n, const char *prefix)
{
    size_t p = strlen(prefix);
    return (size_t)n >= p && memcmp(s, prefix, p) == 0;
}

static inline int
ends_with(const char *s, Py_ssize_t n, const char *suffix)
{
    size_t p = strlen(suffix);
    return (size_t)n >= p && memcmp(s + n - p, suffix, p) == 0;
}

/* s[lo:hi] as bytes, with Python's slice rules for lo and hi (negative: from the end; clamped) */
static PyObject *
bytes_slice(const char *s, Py_ssize_t n, Py_ssize_t lo, Py_ssize_t hi)
{
    if (lo < 0)
        lo = Py_MAX(lo + n, 0);
    if (hi < 0)
        hi = Py_MAX(hi + n, 0);
    lo = Py_MIN(lo, n);
    hi = Py_MIN(hi, n);
    return PyBytes_FromStringAndSize(s + lo, hi > lo ? hi - lo : 0);
}

/* Digits of a hunk header at s[*x] (\d+): their value as an int in *value and, clamped, in *count. */
static int
header_number(const char *s, Py_ssize_t n, Py_ssize_t *x, PyObject **value, Py_ssize_t *count)
{
    Py_ssize_t from = *x;
    while (*x < n && s[*x] >= '0' && s[*x] <= '9')
        (*x)++;
    if (*x == from)
        return 0;
    if (*x - from <= 18) {  /* the usual case: fits in 63 bits */
        Py_ssize_t v = 0;
        for (Py_ssize_t y = from; y < *x; y++)
            v = v * 10 + (s[y] - '0');
        *count = v;
        return (*value = PyLong_FromSsize_t(v)) == NULL ? -1 : 1;
    }
    char digits[64];
    if (*x - from >= (Py_ssize_t)sizeof(digits)) {  /* no patch has such line numbers: left to the reference */
        *value = NULL;
        return -2;
    }
    memcpy(digits, s + from, (size_t)(*x - from));
    digits[*x - from] = '\0';
    if ((*value = PyLong_FromString(digits, NULL, 10)) == NULL)
        return -1;
    *count = PY_SSIZE_T_MAX;  /* more lines than any record has: all that are left */
    return 1;
}

/* _HUNK.match(line): ^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ; 1 with the four numbers (absent counts: 1),
 * 0 when the line does not match, -1 with an exception set, -2 to leave the record to the reference. */
static int
hunk_header(const char *s, Py_ssize_t n, PyObject **num, Py_ssize_t *oc, Py_ssize_t *nc)
{
    Py_ssize_t x = 0, skip;
    int rc;
    if (!starts_with(s, n, "@@ -"))
        return 0;
    x = 4;
    if ((rc = header_number(s, n, &x, &num[0], &skip)) != 1)
        return rc;
    *oc = 1;
    if (x + 1 < n && s[x] == ',' && s[x + 1] >= '0' && s[x + 1] <= '9') {
        x++;
        if ((rc = header_number(s, n, &x, &num[1], oc)) != 1)
            return rc;
    }
    if (!(x + 1 < n && s[x] == ' ' && s[x + 1] == '+'))
        return 0;
    x += 2;
    if ((rc = header_number(s, n, &x, &num[2], &skip)) != 1)
        return rc;
    *nc = 1;
    if (x + 1 < n && s[x] == ',' && s[x + 1] >= '0' && s[x + 1] <= '9') {
        x++;
        if ((rc = header_number(s, n, &x, &num[3], nc)) != 1)
            return rc;
    }
    return starts_with(s + x, n - x, " @@");
}

/* [line[1:] for line in lines[i:i + count]] */
static PyObject *
contents(const Lines *ls, Py_ssize_t i, Py_ssize_t count)
{
    Py_ssize_t take = Py_MAX(Py_MIN(count, ls->n - i), 0);
    PyObject *out = PyList_New(take);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t x = 0; x < take; x++) {
        Py_ssize_t len = line_len(ls, i + x);
        PyObject *b = PyBytes_FromStringAndSize(line_at(ls, i + x) + (len > 0), len > 0 ? len - 1 : 0);
        if (b == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, x, b);
    }
    return out;
}

static PyObject *S_old_path, *S_new_path, *S_binary, *S_submodule, *S_copy, *S_hunks, *S_old_blob, *S_new_blob,
    *S_old_mode, *S_new_mode;

static int
intern_names(void)
{
    if (S_new_mode != NULL)
        return 0;
    const char *names[10] = {"old_path", "new_path", "binary", "submodule", "copy", "hunks", "old_blob", "new_blob",
                             "old_mode", "new_mode"};
    PyObject **slots[10] = {&S_old_path, &S_new_path, &S_binary, &S_submodule, &S_copy, &S_hunks, &S_old_blob,
                            &S_new_blob, &S_old_mode, &S_new_mode};
    for (int x = 0; x < 10; x++) {
        if (*slots[x] == NULL && (*slots[x] = PyUnicode_InternFromString(names[x])) == NULL)
            return -1;
    }
    return 0;
}

/* fd.<name> = value, value's reference taken (NULL: an error already set). */
static int
set_new(PyObject *fd, PyObject *name, PyObject *value)
{
    if (value == NULL)
        return -1;
    int rc = PyObject_SetAttr(fd, name, value);
    Py_DECREF(value);
    return rc;
}

/* One header line of a file diff (not a hunk, fd not NULL): 0 done, -1 error, -2 left to the reference. */
static int
file_header(PyObject *fd, const char *s, Py_ssize_t n)
{
    if (starts_with(s, n, "new file mode ")) {
        if (PyObject_SetAttr(fd, S_old_path, Py_None) < 0 || set_new(fd, S_new_mode, bytes_slice(s, n, 14, n)) < 0)
            return -1;
        return ends_with(s, n, "160000") ? PyObject_SetAttr(fd, S_submodule, Py_True) : 0;
    }
    if (starts_with(s, n, "deleted file mode ")) {
        if (PyObject_SetAttr(fd, S_new_path, Py_None) < 0 || set_new(fd, S_old_mode, bytes_slice(s, n, 18, n)) < 0)
            return -1;
        return ends_with(s, n, "160000") ? PyObject_SetAttr(fd, S_submodule, Py_True) : 0;
    }
    if (starts_with(s, n, "index ")) {  /* ln[6:].split(b" ", 1)[0].partition(b"..") */
        const char *ids = s + 6, *sp = memchr(ids, ' ', (size_t)(n - 6));
        Py_ssize_t len = sp ? sp - ids : n - 6, dots = -1;
        for (Py_ssize_t x = 0; x + 1 < len; x++) {
            if (ids[x] == '.' && ids[x + 1] == '.') {
                dots = x;
                break;
            }
        }
        PyObject *old = dots < 0 ? PyBytes_FromStringAndSize(ids, len) : PyBytes_FromStringAndSize(ids, dots);
        PyObject *new = dots < 0 ? PyBytes_FromStringAndSize("", 0) : PyBytes_FromStringAndSize(ids + dots + 2, len - dots - 2);
        if (new == NULL) {
            Py_XDECREF(old);
            return -1;
        }
        if (set_new(fd, S_old_blob, old) < 0) {
            Py_DECREF(new);
            return -1;
        }
        if (set_new(fd, S_new_blob, new) < 0)
            return -1;
        return ends_with(s, n, " 160000") ? PyObject_SetAttr(fd, S_submodule, Py_True) : 0;
    }
    int rename_from = starts_with(s, n, "rename from "), copy_from = starts_with(s, n, "copy from ");
    if (rename_from || copy_from) {  /* _unquote(ln.split(b" from ", 1)[1]) */
        Py_ssize_t at = rename_from ? 12 : 10;
        if (at < n && s[at] == '"')
            return -2;  /* a quoted path */
        if (set_new(fd, S_old_path, bytes_slice(s, n, at, n)) < 0)
            return -1;
        return PyObject_SetAttr(fd, S_copy, copy_from ? Py_True : Py_False);
    }
    int rename_to = starts_with(s, n, "rename to "), copy_to = starts_with(s, n, "copy to ");
    if (rename_to || copy_to) {
        Py_ssize_t at = rename_to ? 10 : 8;
        if (at < n && s[at] == '"')
            return -2;
        return set_new(fd, S_new_path, bytes_slice(s, n, at, n));
    }
    if (starts_with(s, n, "Binary files "))
        return PyObject_SetAttr(fd, S_binary, Py_True);
    int old_mode = starts_with(s, n, "old mode "), new_mode = starts_with(s, n, "new mode ");
    if (old_mode || new_mode) {
        if (set_new(fd, old_mode ? S_old_mode : S_new_mode, bytes_slice(s, n, 9, n)) < 0)
            return -1;
        return ends_with(s, n, "160000") ? PyObject_SetAttr(fd, S_submodule, Py_True) : 0;
    }
    return 0;
}

/* The two paths of ``diff --git a/X b/Y`` (lines._header_paths) set on fd; -2 for quoted paths (the reference). */
static int
header_paths(PyObject *fd, const char *s, Py_ssize_t n)
{
    const char *rest = s + 11;
    Py_ssize_t len = n - 11;
    if (len > 0 && rest[0] == '"')
        return -2;
    Py_ssize_t half = (len - 1) >= 0 ? (len - 1) / 2 : -1;  /* Python's floor division: (-1) // 2 == -1 */
    if (set_new(fd, S_old_path, bytes_slice(rest, len, 2, half)) < 0)
        return -1;
    return set_new(fd, S_new_path, bytes_slice(rest, len, half + 3, len));
}

/* parse_record(record, new_file): lines._parse_record_reference(record, new_file), or NotImplemented for a record
 * the reference is left to (a quoted path, a line number of 64 digits or more). */
static PyObject *
kernels_parse_record(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("parse_record", nargs, 2) < 0)
        return NULL;
    if (check_arg(PyBytes_Check(args[0]), "parse_record", "record must be bytes") < 0)
        return NULL;
    if (intern_names() < 0)
        return NULL;
    PyObject *new_file = args[1], *files = NULL, *fd = NULL, *hunks = NULL, *sha = NULL, *result = NULL;
    int rc = 0;
    Lines ls = {PyBytes_AS_STRING(args[0]), 1, NULL};
    Py_ssize_t size = PyBytes_GET_SIZE(args[0]);
    for (const char *p = ls.buf; (p = memchr(p, '\n', (size_t)(ls.buf + size - p))) != NULL; p++)
        ls.n++;
    if ((ls.start = PyMem_Malloc((size_t)(ls.n + 1) * sizeof(Py_ssize_t))) == NULL)
        return PyErr_NoMemory();
    ls.start[0] = 0;
    Py_ssize_t k = 1;
    for (const char *p = ls.buf; (p = memchr(p, '\n', (size_t)(ls.buf + size - p))) != NULL; p++)
        ls.start[k++] = p - ls.buf + 1;
    ls.start[ls.n] = size + 1;
    /* lines[0].strip().decode() */
    const char *first = line_at(&ls, 0);
    Py_ssize_t lo = 0, hi = line_len(&ls, 0);
    while (lo < hi && Py_ISSPACE(first[lo]))
        lo++;
    while (hi > lo && Py_ISSPACE(first[hi - 1]))
        hi--;
    if ((sha = PyUnicode_DecodeUTF8(first + lo, hi - lo, NULL)) == NULL || (files = PyList_New(0)) == NULL)
        goto done;
    Py_ssize_t i = 1;
    while (i < ls.n) {
        const char *s = line_at(&ls, i);
        Py_ssize_t n = line_len(&ls, i);
        i++;
        char c = n ? s[0] : '\0';
        if (c == '@' && fd != NULL) {
            PyObject *num[4] = {NULL, NULL, NULL, NULL};
            Py_ssize_t oc = 1, nc = 1;
            rc = hunk_header(s, n, num, &oc, &nc);
            PyObject *removed = NULL, *added = NULL, *hunk = NULL;
            if (rc == 1) {
                removed = oc ? contents(&ls, i, oc) : PyList_New(0);
                i = (oc > ls.n - i) ? ls.n : i + oc;
                if (i < ls.n && line_len(&ls, i) > 0 && line_at(&ls, i)[0] == '\\')
                    i++;
                added = removed ? (nc ? contents(&ls, i, nc) : PyList_New(0)) : NULL;
                i = (nc > ls.n - i) ? ls.n : i + nc;
                if (i < ls.n && line_len(&ls, i) > 0 && line_at(&ls, i)[0] == '\\')
                    i++;
                if (added != NULL) {  /* counts absent from the header are 1 */
                    PyObject *o_count = num[1] ? Py_NewRef(num[1]) : PyLong_FromLong(1);
                    PyObject *n_count = num[3] ? Py_NewRef(num[3]) : PyLong_FromLong(1);
                    if (o_count != NULL && n_count != NULL)
                        hunk = PyTuple_Pack(6, num[0], o_count, num[2], n_count, removed, added);
                    Py_XDECREF(o_count);
                    Py_XDECREF(n_count);
                }
                rc = (hunk != NULL && PyList_Append(hunks, hunk) == 0) ? 0 : -1;
            }
            Py_XDECREF(hunk);
            Py_XDECREF(removed);
            Py_XDECREF(added);
            for (int x = 0; x < 4; x++)
                Py_XDECREF(num[x]);
            if (rc < 0)
                goto done;
            continue;
        }
        if (c == '-' || c == '+' || c == 's')  /* ---/+++ paths, similarity index: nothing to read */
            continue;
        if (starts_with(s, n, "diff --git ")) {
            Py_CLEAR(fd);
            Py_CLEAR(hunks);
            if ((fd = PyObject_CallNoArgs(new_file)) == NULL || PyList_Append(files, fd) < 0
                    || (rc = header_paths(fd, s, n)) < 0 || (hunks = PyObject_GetAttr(fd, S_hunks)) == NULL)
                goto done;
            continue;
        }
        if (fd == NULL)
            continue;
        if ((rc = file_header(fd, s, n)) < 0)
            goto done;
    }
    result = PyTuple_Pack(2, sha, files);
done:
    if (rc == -2) {  /* left to the reference */
        PyErr_Clear();
        result = Py_NewRef(Py_NotImplemented);
    }
    PyMem_Free(ls.start);
    Py_XDECREF(sha);
    Py_XDECREF(files);
    Py_XDECREF(fd);
    Py_XDECREF(hunks);
    return result;
}

/* ---- one file's line state after its hunks (provenance._splice_hunks_reference) ------------------------- */

#define LABEL_MOVED 3
#define UNKNOWN_BIRTH (-4)  /* provenance._UNKNOWN */

static int
int64s_extend(Int64s *a, const int64_t *values, Py_ssize_t count)
{
    if (count <= 0)
        return 0;
    if (grow((void **)&a->v, &a->cap, a->n + count, sizeof(int64_t)) < 0)
        return -1;
    memcpy(a->v + a->n, values, (size_t)count * sizeof(int64_t));
    a->n += count;
    return 0;
}

static int
int64s_fill(Int64s *a, int64_t value, Py_ssize_t count)
{
    if (count <= 0)
        return 0;
    if (grow((void **)&a->v, &a->cap, a->n + count, sizeof(int64_t)) < 0)
        return -1;
    for (Py_ssize_t x = 0; x < count; x++)
        a->v[a->n + x] = value;
    a->n += count;
    return 0;
}

/* array.array, imported once (a borrowed reference) */
static PyObject *
array_type_of(void)
{
    static PyObject *array_type = NULL;
    if (array_type == NULL) {
        PyObject *module = PyImport_ImportModule("array");
        if (module == NULL)
            return NULL;
        array_type = PyObject_GetAttrString(module, "array");
        Py_DECREF(module);
    }
    return array_type;
}

/* array('q', the values), from the array type given */
static PyObject *
to_array(PyObject *array_type, const Int64s *a)
{
    PyObject *raw = PyBytes_FromStringAndSize((const char *)a->v, a->n * (Py_ssize_t)sizeof(int64_t));
    if (raw == NULL)
        return NULL;
    PyObject *out = PyObject_CallFunction(array_type, "sO", "q", raw);
    Py_DECREF(raw);
    return out;
}

/* arr.frombytes(the values), for an array('q') (nothing when there are none) */
static int
extend_array(PyObject *arr, const Int64s *a)
{
    if (a->n == 0)
        return 0;
    PyObject *r = PyObject_CallMethod(arr, "frombytes", "y#", (const char *)a->v, a->n * (Py_ssize_t)sizeof(int64_t));
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/* item x of a hunk tuple as a Py_ssize_t; -1 with an exception set on failure (hunks' numbers are >= 0) */
static Py_ssize_t
hunk_number(PyObject *hunk, Py_ssize_t x)
{
    PyObject *item = PySequence_GetItem(hunk, x);
    if (item == NULL)
        return -1;
    Py_ssize_t v = PyLong_AsSsize_t(item);
    Py_DECREF(item);
    if (v < 0 && !PyErr_Occurred())
        PyErr_SetString(PyExc_ValueError, "splice_hunks(): a hunk's line numbers are >= 0");
    return v;
}

/* splice_hunks(recs, hashes, hunks, base, labels, key, churning, dying, revising): the reference's result, or
 * NotImplemented for hunks out of order or starting before line 1 (left to the reference, nothing changed). */
static PyObject *
kernels_splice_hunks(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_nargs("splice_hunks", nargs, 10) < 0)
        return NULL;
    PyObject *hunks = NULL, *labels = args[4], *key = args[5], *churning = args[6], *dying = args[7];
    PyObject *revising = args[8], *keywords = args[9], *result = NULL, *array_type = NULL, *out_r = NULL;
    PyObject *out_h = NULL;
    PyObject *label_lists[3] = {NULL, NULL, NULL};
    Py_buffer vr, vh;
    int have_r = 0, have_h = 0;
    Int64s o_r = {NULL, 0, 0}, o_h = {NULL, 0, 0}, dead = {NULL, 0, 0}, rev = {NULL, 0, 0};
    Py_ssize_t born_lines = 0, born_meaningful = 0, padded = 0;
    long long base = PyLong_AsLongLong(args[3]);
    if (base == -1 && PyErr_Occurred())
        return NULL;
    const int64_t *recs = int64_view(args[0], &vr);
    if (recs == NULL) {
        PyErr_SetString(PyExc_TypeError, "splice_hunks(): recs must be an array('q')");
        goto done;
    }
    have_r = 1;
    const int64_t *hashes = int64_view(args[1], &vh);
    if (hashes == NULL) {
        PyErr_SetString(PyExc_TypeError, "splice_hunks(): hashes must be an array('q')");
        goto done;
    }
    have_h = 1;
    Py_ssize_t nrecs = vr.len / 8;
    if (vh.len / 8 != nrecs) {
        PyErr_SetString(PyExc_ValueError, "splice_hunks(): recs and hashes differ in length");
        goto done;
    }
    if ((hunks = PySequence_Fast(args[2], "splice_hunks(): hunks must be a list")) == NULL)
        goto done;
    Py_ssize_t nh = PySequence_Fast_GET_SIZE(hunks);
    if (labels != Py_None) {
        for (int x = 0; x < 3; x++) {
            PyObject *item = PySequence_GetItem(labels, x);
            if (item == NULL)
                goto done;
            label_lists[x] = PySequence_Fast(item, "splice_hunks(): labels must hold lists");
            Py_DECREF(item);
            if (label_lists[x] == NULL)
                goto done;
            if (PySequence_Fast_GET_SIZE(label_lists[x]) < nh) {
                PyErr_SetString(PyExc_IndexError, "splice_hunks(): fewer labelled hunks than hunks");
                goto done;
            }
        }
    }
    /* hunks in order, from line 1: else nothing is done here */
    Py_ssize_t pos = 0;
    for (Py_ssize_t hi = 0; hi < nh; hi++) {
        PyObject *h = PySequence_Fast_GET_ITEM(hunks, hi);
        Py_ssize_t o_start = hunk_number(h, 0), o_count = o_start < 0 ? -1 : hunk_number(h, 1);
        if (o_count < 0)
            goto done;
        Py_ssize_t start = o_count ? o_start - 1 : o_start;
        if (start < pos || o_count > PY_SSIZE_T_MAX / 2 - start) {
            result = Py_NewRef(Py_NotImplemented);
            goto done;
        }
        pos = start + o_count;
    }
    pos = 0;
    Py_ssize_t len = nrecs;  /* with the padding (unknown births past the end) */
    for (Py_ssize_t hi = 0; hi < nh; hi++) {
        PyObject *h = PySequence_Fast_GET_ITEM(hunks, hi);
        Py_ssize_t o_start = hunk_number(h, 0), o_count = hunk_number(h, 1), n_count = o_count < 0 ? -1 : hunk_number(h, 3);
        if (o_start < 0 || o_count < 0 || n_count < 0)
            goto done;
        Py_ssize_t start = o_count ? o_start - 1 : o_start;
        if (start + o_count > len) {
            len = start + o_count;
            padded++;
        }
        /* unchanged lines before the hunk, then its removed lines: from the state or the padding */
        Py_ssize_t kept = Py_MIN(start, nrecs) - Py_MIN(pos, nrecs);
        if (int64s_extend(&o_r, recs + Py_MIN(pos, nrecs), kept) < 0 || int64s_extend(&o_h, hashes + Py_MIN(pos, nrecs), kept) < 0
                || int64s_fill(&o_r, UNKNOWN_BIRTH, (start - pos) - Py_MAX(kept, 0)) < 0
                || int64s_fill(&o_h, 0, (start - pos) - Py_MAX(kept, 0)) < 0)
            goto done;
        pos = start + o_count;
        if (o_count) {
            PyObject *rlab = label_lists[0] ? PySequence_Fast(PySequence_Fast_GET_ITEM(label_lists[0], hi),
                                                              "splice_hunks(): labels must be lists") : NULL;
            if (label_lists[0] && rlab == NULL)
                goto done;
            Py_ssize_t nl = rlab ? PySequence_Fast_GET_SIZE(rlab) : 0;
            for (Py_ssize_t j = 0; j < o_count; j++) {
                int64_t rec = start + j < nrecs ? recs[start + j] : UNKNOWN_BIRTH;
                if (dying != Py_None && int64s_extend(&dead, &rec, 1) < 0) {
                    Py_XDECREF(rlab);
                    goto done;
                }
                if (rlab != NULL && j < nl) {
                    int churns = PySet_Contains(churning, PySequence_Fast_GET_ITEM(rlab, j));
                    if (churns < 0 || (churns && int64s_extend(&rev, &rec, 1) < 0)) {
                        Py_XDECREF(rlab);
                        goto done;
                    }
                }
            }
            Py_XDECREF(rlab);
        }
        if (!n_count)
            continue;
        PyObject *added = PySequence_GetItem(h, 5), *fadded = NULL, *alab = NULL, *akeys = NULL;
        int ok = 0;
        if (added == NULL || (fadded = PySequence_Fast(added, "splice_hunks(): added lines must be a list")) == NULL)
            goto hunk_done;
        Py_ssize_t na = PySequence_Fast_GET_SIZE(fadded);
        if (label_lists[1] != NULL) {
            if ((alab = PySequence_Fast(PySequence_Fast_GET_ITEM(label_lists[1], hi), "splice_hunks(): labels must be lists")) == NULL
                    || (akeys = PySequence_Fast(PySequence_Fast_GET_ITEM(label_lists[2], hi), "splice_hunks(): keys must be lists")) == NULL)
                goto hunk_done;
            Py_ssize_t nb = Py_MIN(PySequence_Fast_GET_SIZE(alab), PySequence_Fast_GET_SIZE(akeys));
            for (Py_ssize_t j = 0; j < nb; j++) {
                int64_t rec = (int64_t)base;
                if (PySequence_Fast_GET_ITEM(akeys, j) != Py_None) {
                    long lab = PyLong_AsLong(PySequence_Fast_GET_ITEM(alab, j));
                    if (lab == -1 && PyErr_Occurred())
                        goto hunk_done;
                    rec += (lab == LABEL_MOVED || lab == LABEL_NO_OP) ? 1 : 3;
                    born_meaningful++;
                }
                if (int64s_extend(&o_r, &rec, 1) < 0)
                    goto hunk_done;
            }
            born_lines += nb;
        }
        else {
            for (Py_ssize_t j = 0; j < na; j++) {
                PyObject *k = line_key_of(PySequence_Fast_GET_ITEM(fadded, j), key, keywords);
                if (k == NULL)
                    goto hunk_done;
                int64_t rec = (int64_t)base + (k != Py_None);
                born_meaningful += k != Py_None;
                Py_DECREF(k);
                if (int64s_extend(&o_r, &rec, 1) < 0)
                    goto hunk_done;
            }
            born_lines += na;
        }
        for (Py_ssize_t j = 0; j < na; j++) {
            Py_hash_t hv = PyObject_Hash(PySequence_Fast_GET_ITEM(fadded, j));
            int64_t v = (int64_t)hv;
            if ((hv == -1 && PyErr_Occurred()) || int64s_extend(&o_h, &v, 1) < 0)
                goto hunk_done;
        }
        ok = 1;
hunk_done:
        Py_XDECREF(added);
        Py_XDECREF(fadded);
        Py_XDECREF(alab);
        Py_XDECREF(akeys);
        if (!ok)
            goto done;
    }
    /* the lines after the last hunk (padding only reaches the end of a hunk: none past it) */
    if (pos < nrecs && (int64s_extend(&o_r, recs + pos, nrecs - pos) < 0 || int64s_extend(&o_h, hashes + pos, nrecs - pos) < 0))
        goto done;
    if ((array_type = array_type_of()) == NULL || (out_r = to_array(array_type, &o_r)) == NULL || (out_h = to_array(array_type, &o_h)) == NULL)
        goto done;
    if ((dying != Py_None && extend_array(dying, &dead) < 0) || extend_array(revising, &rev) < 0)
        goto done;
    result = Py_BuildValue("(OOnnn)", out_r, out_h, born_lines, born_meaningful, padded);
done:
    if (have_r)
        PyBuffer_Release(&vr);
    if (have_h)
        PyBuffer_Release(&vh);
    Py_XDECREF(hunks);
    for (int x = 0; x < 3; x++)
        Py_XDECREF(label_lists[x]);
    Py_XDECREF(out_r);
    Py_XDECREF(out_h);
    PyMem_Free(o_r.v);
    PyMem_Free(o_h.v);
    PyMem_Free(dead.v);
    PyMem_Free(rev.v);
    return result;
}

/* ---- module ---------------------------------------------------------------------------------------- */

static PyMethodDef kernels_methods[] = {
    {"common", (PyCFunction)(void (*)(void))kernels_common, METH_FASTCALL,
     "common(a, alo, b, blo, n) -> int\n--\n\nLength of the common run of a[alo:] and b[blo:] (at most n): "
     "churnlab.mine.align.common."},
    {"common_tail", (PyCFunction)(void (*)(void))kernels_common_tail, METH_FASTCALL,
     "common_tail(a, ahi, b, bhi, n) -> int\n--\n\nLength of the common run ending at a[ahi - 1] and "
     "b[bhi - 1] (at most n): churnlab.mine.align.common_tail."},
    {"align", (PyCFunction)(void (*)(void))kernels_align, METH_FASTCALL,
     "align(a, b) -> list[tuple[int, int, int]]\n--\n\nMatched blocks (i, j, size) of two lists of line "
     "hashes, in order, adjacent ones joined: churnlab.mine.align.align."},
    {"unique_anchors", (PyCFunction)(void (*)(void))kernels_unique_anchors, METH_FASTCALL,
     "unique_anchors(a, alo, ahi, b, blo, bhi) -> list[tuple[int, int]]\n--\n\n"
     "churnlab.mine.align.unique_anchors."},
    {"credit", (PyCFunction)(void (*)(void))kernels_credit, METH_FASTCALL,
     "credit(recs, hashes, born_at, other) -> None\n--\n\nchurnlab.mine.align.credit: recs changed in place."},
    {"windows", (PyCFunction)(void (*)(void))kernels_windows, METH_FASTCALL,
     "windows(keys, size) -> list[int]\n--\n\nhash(tuple(keys[s:s + size])) for every s: "
     "churnlab.mine.duplicates' reference."},
    {"ascii_key", (PyCFunction)(void (*)(void))kernels_ascii_key, METH_FASTCALL,
     "ascii_key(raw, keywords) -> str | None | NotImplemented\n--\n\n"
     "The key of an ASCII line (NotImplemented if not ASCII): churnlab.mine.normalize's reference."},
    {"pair_ascii", (PyCFunction)(void (*)(void))kernels_pair_ascii, METH_FASTCALL,
     "pair_ascii(rj, aj, rkeys, akeys) -> list[tuple[int, int, tuple, int]] | NotImplemented\n--\n\n"
     "The similar removed/added lines of one hunk (NotImplemented if a key is not ASCII): "
     "churnlab.mine.lines' reference."},
    {"changed_windows", (PyCFunction)(void (*)(void))kernels_changed_windows, METH_FASTCALL,
     "changed_windows(before, after, regions) -> tuple[list[int], list[int]]\n--\n\nThe windows that leave "
     "and come where before becomes after: churnlab.mine.duplicates' reference."},
    {"key_hashes", (PyCFunction)(void (*)(void))kernels_key_hashes, METH_FASTCALL,
     "key_hashes(content, start, end, key, keywords) -> list[int]\n--\n\nThe key hash of each line of "
     "content[start:end], ASCII lines keyed in C: churnlab.mine.provenance's reference."},
    {"line_hashes", (PyCFunction)(void (*)(void))kernels_line_hashes, METH_FASTCALL,
     "line_hashes(content) -> tuple[bytes, bytes]\n--\n\nThe hash of every line of a blob and where each line "
     "starts, as int64 arrays' bytes: churnlab.mine.provenance's reference."},
    {"merge_lines", (PyCFunction)(void (*)(void))kernels_merge_lines, METH_FASTCALL,
     "merge_lines(runs) -> list[tuple[int, int, int]]\n--\n\n(birth record without bit 1, lines arrived minus "
     "left, lines dead) of a merge, by birth: churnlab.mine.provenance's reference."},
    {"first_labels", (PyCFunction)(void (*)(void))kernels_first_labels, METH_FASTCALL,
     "first_labels(hunks, key, keywords) -> tuple\n--\n\nKeys and starting labels of one file's hunks, the "
     "meaningful lines and the keys still free: churnlab.mine.lines' reference (ASCII lines keyed in C)."},
    {"parse_record", (PyCFunction)(void (*)(void))kernels_parse_record, METH_FASTCALL,
     "parse_record(record, new_file) -> tuple[str, list] | NotImplemented\n--\n\nOne commit of the patch stream: "
     "its sha and file diffs (NotImplemented for a quoted path): churnlab.mine.lines' reference."},
    {"splice_hunks", (PyCFunction)(void (*)(void))kernels_splice_hunks, METH_FASTCALL,
     "splice_hunks(recs, hashes, hunks, base, labels, key, churning, dying, revising) -> tuple | NotImplemented\n--\n\n"
     "One file's line state after its hunks (NotImplemented for hunks out of order): "
     "churnlab.mine.provenance's reference."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef kernels_module = {
    PyModuleDef_HEAD_INIT, "churnlab.mine._kernels",
    "Compiled per-line kernels of the miner; each mirrors a pure-Python reference exactly.", -1, kernels_methods,
    NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC
PyInit__kernels(void)
{
    PyObject *m = PyModule_Create(&kernels_module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddIntConstant(m, "ALIGN_MAX_CELLS", (long)ALIGN_MAX_CELLS) < 0
            || PyModule_AddIntConstant(m, "PAIR_WINDOW", PAIR_WINDOW) < 0
            || PyModule_AddIntConstant(m, "WINDOW_LINES", WINDOW_LINES) < 0
            || PyModule_AddObject(m, "PAIR_MIN_RATIO", PyFloat_FromDouble(PAIR_MIN_RATIO)) < 0
            || PyModule_AddIntConstant(m, "UPDATE_MAX_TOKENS", UPDATE_MAX_TOKENS) < 0
            || PyModule_AddIntConstant(m, "REALIGN_MAX_TOKENS", REALIGN_MAX_TOKENS) < 0
            || PyModule_AddIntConstant(m, "LABEL_ADDED", LABEL_ADDED) < 0
            || PyModule_AddIntConstant(m, "LABEL_DELETED", LABEL_DELETED) < 0
            || PyModule_AddIntConstant(m, "LABEL_NO_OP", LABEL_NO_OP) < 0
            || PyModule_AddIntConstant(m, "LABEL_MOVED", LABEL_MOVED) < 0
            || PyModule_AddIntConstant(m, "UNKNOWN_BIRTH", UNKNOWN_BIRTH) < 0
            || PyType_Ready(&WindowCountsType) < 0
            || PyModule_AddObject(m, "WindowCounts", Py_NewRef((PyObject *)&WindowCountsType)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
