/*
 * Valley-filling kernels compiled ahead of time: the greedy-vertex oracle of
 * evgrid.charging._oracle, the Fujishige-Wolfe minimum-norm point of evgrid.charging._minnorm
 * and the per-session schedules, in C; their numba versions are the reference.
 *
 * Every floating-point operation is the one of the numba kernels, in the same order (sequential
 * sums from 0, min/max with Python's tie rules), and the module is built with
 * -ffp-contract=off (no fused multiply-add), so the results are bit-identical to theirs. Only
 * the bookkeeping differs where it saves time: the greedy vertex sweeps the slot order once
 * (see vertex), and dot products run four rows at a time (see dots).
 *
 * Arrays come in through the buffer protocol (float64 "d", int64 "l"/"q", C-contiguous); the
 * Python wrappers allocate them with numpy, so the module needs no numpy headers to build. The
 * loops run without the GIL.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* constants of evgrid.charging._minnorm (checked against the Python module by the tests) */
#define GAP_RTOL 1e-13
#define MAX_ORACLE_CALLS 8000
#define WEIGHT_EPS 1e-15
#define POOL_MAX 256
#define CHOL_RTOL 1e-12

/* Python's (and numba's) max(a, b) and min(a, b): b only when strictly beyond a */
#define PY_MAX(a, b) ((b) > (a) ? (b) : (a))
#define PY_MIN(a, b) ((b) < (a) ? (b) : (a))

/* ---------------------------------------------------------------- the oracle */

typedef struct {
    const double *phi;
    const int64_t *offset, *top, *first, *last, *starts, *start_row;
    int64_t n_classes, n_starts, n_phi;
} Tables;

/* For every first slot starts[r] (ascending), the slots t >= starts[r] in the order:
 * suffix[row[r]:][: n - starts[r]]. fill is scratch of n_starts entries. */
static void suffix_lists(const int64_t *order, int64_t n, const int64_t *starts, int64_t n_starts,
                         int64_t *suffix, int64_t *row, int64_t *fill) {
    int64_t acc = 0;
    for (int64_t r = 0; r < n_starts; r++) {
        row[r] = fill[r] = acc;
        acc += n - starts[r];
    }
    for (int64_t k = 0; k < n; k++) {
        int64_t t = order[k];
        for (int64_t r = 0; r < n_starts; r++) {
            if (starts[r] > t) break;
            suffix[fill[r]] = t;
            fill[r] += 1;
        }
    }
}

/* The greedy vertex as one sweep over the slot order. The numba kernel walks class by class,
 * each over the slots t >= first in the order, skipping those past its last slot, until the
 * class is full. Here the slots are taken in order once; each one goes to the classes that
 * hold it and are not yet full. Classes sharing a first slot form a group, ascending in their
 * last slot; a slot visits the groups whose span holds it (a list per slot, built once), and in
 * each a binary search finds the active classes whose last slot is >= t. A class leaves its
 * group once full. Each class adds the same table differences to the same slots, and each slot
 * sums them in ascending class order, as in the class walk: the sums are bit-identical, without
 * the skipped slots (most of the work of the walk). */
typedef struct {
    int64_t end, at, stop; /* last slot; phi index; phi index at which the class is full */
} Active;

typedef struct {
    int64_t *group_lo;       /* first class of each group (n_starts + 1) */
    int64_t *len;            /* active classes of each group (n_starts) */
    int64_t *cand_ptr, *cand; /* groups whose span [first, largest last] holds slot t (CSR) */
    Active *act;             /* active classes, by group (n_classes) */
} Sweep;

static void sweep_free(Sweep *sw) {
    free(sw->group_lo), free(sw->len), free(sw->cand_ptr), free(sw->cand), free(sw->act);
}

/* Scratch and slot lists of the sweep; classes sorted by (first, last) (checked in get_tables).
 * Classes with top 0 add nothing and stay out. */
static int sweep_alloc(Sweep *sw, const Tables *tb, int64_t n) {
    size_t g = (size_t)tb->n_starts + 1;
    sw->cand = NULL;
    sw->group_lo = malloc(g * sizeof(int64_t));
    sw->len = malloc(g * sizeof(int64_t));
    sw->cand_ptr = calloc((size_t)n + 1, sizeof(int64_t));
    sw->act = malloc(((size_t)tb->n_classes + 1) * sizeof(Active));
    if (!sw->group_lo || !sw->len || !sw->cand_ptr || !sw->act) return -1;
    int64_t c0 = 0;
    for (int64_t r = 0; r < tb->n_starts; r++) {
        sw->group_lo[r] = c0;
        int64_t reach = -1; /* largest last slot of the group's classes with top > 0 */
        for (; c0 < tb->n_classes && tb->start_row[c0] == r; c0++)
            if (tb->top[c0] > 0 && tb->last[c0] > reach) reach = tb->last[c0];
        sw->len[r] = reach; /* kept for the fill below */
        for (int64_t t = tb->starts[r]; t <= reach; t++) sw->cand_ptr[t + 1]++;
    }
    sw->group_lo[tb->n_starts] = c0;
    for (int64_t t = 0; t < n; t++) sw->cand_ptr[t + 1] += sw->cand_ptr[t];
    sw->cand = malloc(((size_t)sw->cand_ptr[n] + 1) * sizeof(int64_t));
    if (!sw->cand) return -1;
    for (int64_t r = 0; r < tb->n_starts; r++) /* fill back to front: ascending groups */
        for (int64_t t = tb->starts[r]; t <= sw->len[r]; t++) sw->cand[sw->cand_ptr[t]++] = r;
    for (int64_t t = n; t > 0; t--) sw->cand_ptr[t] = sw->cand_ptr[t - 1]; /* restore starts */
    sw->cand_ptr[0] = 0;
    return 0;
}

/* Greedy vertex for a slot order: aggregate energy per slot into out (n). */
static void vertex(const int64_t *order, int64_t n, const Tables *tb, Sweep *sw, double *out) {
    const double *phi = tb->phi;
    for (int64_t r = 0; r < tb->n_starts; r++) {
        int64_t base = sw->group_lo[r], size = 0;
        for (int64_t c = base; c < sw->group_lo[r + 1]; c++) {
            if (tb->top[c] > 0) {
                Active a = {tb->last[c], tb->offset[c], tb->offset[c] + 4 * tb->top[c]};
                sw->act[base + size++] = a;
            }
        }
        sw->len[r] = size;
    }
    for (int64_t k = 0; k < n; k++) {
        int64_t t = order[k];
        double acc = 0.0; /* out[t], summed in class order */
        for (int64_t q = sw->cand_ptr[t]; q < sw->cand_ptr[t + 1]; q++) {
            int64_t r = sw->cand[q], size = sw->len[r];
            Active *act = sw->act + sw->group_lo[r];
            if (size == 0 || act[size - 1].end < t) continue; /* none holds t */
            int64_t lo = 0; /* first active class with last slot >= t (branch-free search) */
            if (act[0].end < t) {
                for (int64_t m = size; m > 1; m -= m / 2) lo += (act[lo + m / 2 - 1].end < t) * (m / 2);
                lo += act[lo].end < t;
            }
            /* at = offset + 4 [interior slots taken] + 2 [first taken] + [last taken]: the first
             * slot adds 2 (before the last-slot test, as a one-slot window has first = last) */
            int64_t first_slot = t == tb->starts[r], w = lo;
            for (int64_t p = lo; p < size; p++) {
                Active a = act[p];
                int64_t next = a.at + (first_slot ? 2 : 4 - 3 * (t == a.end));
                acc += phi[next] - phi[a.at];
                a.at = next;
                act[w] = a; /* kept while not yet full (branch-free compaction) */
                w += next < a.stop;
            }
            sw->len[r] = w;
        }
        out[t] = acc;
    }
}

/* ----------------------------------------------------- the minimum-norm point */

/* 32-bit FNV-1a hash of a slot order (corral membership test) */
static uint64_t hash_order(const int64_t *order, int64_t n) {
    uint64_t h = 2166136261ULL;
    for (int64_t i = 0; i < n; i++) h = ((h ^ (uint64_t)order[i]) * 16777619ULL) & 0xFFFFFFFFULL;
    return h;
}

/* Stable argsort of x (n) into a; b is scratch (n). Bottom-up merge sort. */
static void argsort(const double *x, int64_t n, int64_t *a, int64_t *b) {
    int64_t *src = a, *dst = b;
    for (int64_t i = 0; i < n; i++) src[i] = i;
    for (int64_t width = 1; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n;
            int64_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t i = lo, j = mid;
            for (int64_t k = lo; k < hi; k++) {
                if (j >= hi || (i < mid && x[src[i]] <= x[src[j]])) {
                    dst[k] = src[i++];
                } else {
                    dst[k] = src[j++];
                }
            }
        }
        int64_t *tmp = src;
        src = dst;
        dst = tmp;
    }
    if (src != a) memcpy(a, src, (size_t)n * sizeof(int64_t));
}

static double dot(const double *a, const double *b, int64_t n) {
    double acc = 0.0;
    for (int64_t i = 0; i < n; i++) acc += a[i] * b[i];
    return acc;
}

/* out[j] = dot(rows + j n, v) for j < count: four rows at a time, each its own sequential sum
 * (the same bits as one dot per row, four independent chains in flight). */
static void dots(const double *rows, int64_t count, const double *v, int64_t n, double *out) {
    int64_t j = 0;
    for (; j + 4 <= count; j += 4) {
        const double *a0 = rows + j * n, *a1 = a0 + n, *a2 = a1 + n, *a3 = a2 + n;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        for (int64_t i = 0; i < n; i++) {
            s0 += a0[i] * v[i];
            s1 += a1[i] * v[i];
            s2 += a2[i] * v[i];
            s3 += a3[i] * v[i];
        }
        out[j] = s0, out[j + 1] = s1, out[j + 2] = s2, out[j + 3] = s3;
    }
    for (; j < count; j++) out[j] = dot(rows + j * n, v, n);
}

/* Solve low low^T z = rhs in place; rhs (k, 2) row-major, low with leading dimension ld. */
static void solve_chol(const double *low, int64_t ld, double *z, int64_t k) {
    for (int64_t i = 0; i < k; i++) {
        for (int64_t j = 0; j < i; j++) {
            double f = low[i * ld + j];
            for (int c = 0; c < 2; c++) z[i * 2 + c] -= f * z[j * 2 + c];
        }
        for (int c = 0; c < 2; c++) z[i * 2 + c] /= low[i * ld + i];
    }
    for (int64_t j = k - 1; j >= 0; j--) {
        for (int c = 0; c < 2; c++) z[j * 2 + c] /= low[j * ld + j];
        for (int64_t i = 0; i < j; i++) {
            double f = low[j * ld + i];
            for (int c = 0; c < 2; c++) z[i * 2 + c] -= f * z[j * 2 + c];
        }
    }
}

/* Cholesky factor of gram[:m, :m] + rho into chol[:m, :m]; 0 when a pivot is not positive. */
static int factor(const double *gram, int64_t ldg, double rho, double *chol, int64_t ldc,
                  int64_t m) {
    for (int64_t i = 0; i < m; i++) {
        for (int64_t j = 0; j <= i; j++) {
            double acc = gram[i * ldg + j] + rho;
            for (int64_t col = 0; col < j; col++) acc -= chol[i * ldc + col] * chol[j * ldc + col];
            if (i == j) {
                if (!(acc > 0.0)) return 0;
                chol[i * ldc + i] = sqrt(acc);
            } else {
                chol[i * ldc + j] = acc / chol[j * ldc + j];
            }
        }
    }
    return 1;
}

/* Row k of the Cholesky factor of gram + rho; 0 when its pivot is at round-off level. */
static int append_factor_row(const double *gram, double rho, double *chol, int64_t ld, int64_t k) {
    for (int64_t i = 0; i < k; i++) {
        double acc = gram[k * ld + i] + rho;
        for (int64_t col = 0; col < i; col++) acc -= chol[i * ld + col] * chol[k * ld + col];
        chol[k * ld + i] = acc / chol[i * ld + i];
    }
    double diag = gram[k * ld + k] + rho;
    double pivot = diag - dot(chol + k * ld, chol + k * ld, k);
    chol[k * ld + k] = sqrt(PY_MAX(pivot, 0.0));
    return pivot > CHOL_RTOL * diag;
}

/* Delete row and column j of M from its k x k Cholesky factor, in place; v is scratch (k). */
static void delete_factor_row(double *chol, int64_t ld, int64_t j, int64_t k, double *v) {
    for (int64_t i = 0; i < k - j - 1; i++) v[i] = chol[(j + 1 + i) * ld + j];
    for (int64_t r = j; r < k - 1; r++) {
        for (int64_t c = 0; c < j; c++) chol[r * ld + c] = chol[(r + 1) * ld + c];
        for (int64_t c = j; c < r + 1; c++) chol[r * ld + c] = chol[(r + 1) * ld + c + 1];
    }
    for (int64_t i = 0; i < k - 1 - j; i++) {
        double d = chol[(j + i) * ld + j + i];
        double r = sqrt(d * d + v[i] * v[i]);
        double c = r / d, s = v[i] / d;
        chol[(j + i) * ld + j + i] = r;
        for (int64_t t = i + 1; t < k - 1 - j; t++) {
            chol[(j + t) * ld + j + i] = (chol[(j + t) * ld + j + i] + s * v[t]) / c;
            v[t] = c * v[t] - s * chol[(j + t) * ld + j + i];
        }
    }
}

static int find_order(const int64_t *orders, const uint64_t *hashes, int64_t k, int64_t n,
                      const int64_t *order, uint64_t h) {
    for (int64_t r = 0; r < k; r++) {
        if (hashes[r] == h && memcmp(orders + r * n, order, (size_t)n * sizeof(int64_t)) == 0)
            return 1;
    }
    return 0;
}

typedef struct {
    double *ridged, *ridge, *rhs;
} AffineScratch;

/* Weights (sum 1) of the min-norm point of the corral's affine hull into alpha (k). */
static void affine_minimiser(const double *gram, const double *cross, const double *chol, int chol_ok,
                             double rho, int64_t k, int64_t ld, AffineScratch *sc, double *alpha) {
    if (k == 1) {
        alpha[0] = 1.0;
        return;
    }
    const double *low = chol;
    int64_t ldl = ld;
    if (!chol_ok) { /* affinely dependent at round-off: factor a slightly ridged M instead */
        for (int64_t i = 0; i < k; i++)
            for (int64_t j = 0; j < k; j++) sc->ridged[i * k + j] = gram[i * ld + j];
        for (int64_t i = 0; i < k; i++) sc->ridged[i * k + i] += CHOL_RTOL * (gram[i * ld + i] + rho);
        memset(sc->ridge, 0, (size_t)(k * k) * sizeof(double));
        factor(sc->ridged, k, rho, sc->ridge, k, k);
        low = sc->ridge;
        ldl = k;
    }
    double *z = sc->rhs;
    for (int64_t i = 0; i < k; i++) {
        z[i * 2] = -cross[i];
        z[i * 2 + 1] = 1.0;
    }
    solve_chol(low, ldl, z, k);
    double sa = 0.0, sb = 0.0;
    for (int64_t i = 0; i < k; i++) sa += z[i * 2];
    for (int64_t i = 0; i < k; i++) sb += z[i * 2 + 1];
    double beta = (1.0 - sa) / sb;
    for (int64_t i = 0; i < k; i++) alpha[i] = z[i * 2] + beta * z[i * 2 + 1];
}

typedef struct {
    int64_t k, status, calls;
} WolfeResult;

/* The Wolfe iteration of _minnorm._wolfe. orders (cap, n) and weights (cap) receive the corral,
 * y (n) the aggregate; returns -1 when memory runs out. */
static int wolfe(const double *shift, int64_t n, const Tables *tb, double lazy_share, double *y, int64_t *orders, double *weights, WolfeResult *res) {
    int64_t cap = n + 2;
    int64_t pool_rows = 2 * n < POOL_MAX ? 2 * n : POOL_MAX;
    int ok = -1;
    double *offsets = calloc((size_t)(cap * n), sizeof(double));
    double *gram = calloc((size_t)(cap * cap), sizeof(double));
    double *chol = calloc((size_t)(cap * cap), sizeof(double));
    double *cross = calloc((size_t)cap, sizeof(double));
    double *alpha = malloc((size_t)cap * sizeof(double));
    double *vscratch = malloc((size_t)cap * sizeof(double));
    uint64_t *hashes = malloc((size_t)cap * sizeof(uint64_t));
    int64_t *kept = malloc((size_t)cap * sizeof(int64_t));
    double *pool = malloc((size_t)(pool_rows * n + 1) * sizeof(double));
    double *pool_dot = malloc((size_t)(pool_rows + 1) * sizeof(double));
    int64_t *pool_orders = malloc((size_t)(pool_rows * n + 1) * sizeof(int64_t));
    double *point = malloc((size_t)n * sizeof(double));
    double *x = malloc((size_t)n * sizeof(double));
    double *ref = malloc((size_t)n * sizeof(double));
    int64_t *order = malloc((size_t)n * sizeof(int64_t));
    int64_t *sort_tmp = malloc((size_t)n * sizeof(int64_t));
    Sweep sw;
    int sweep_rc = sweep_alloc(&sw, tb, n);
    AffineScratch sc = {NULL, NULL, malloc((size_t)cap * 2 * sizeof(double))};
    if (!offsets || !gram || !chol || !cross || !alpha || !vscratch || !hashes || !kept || !pool || !pool_dot ||
        !pool_orders || !point || !x || !ref || !order || !sort_tmp || sweep_rc < 0 || !sc.rhs)
        goto done;

    int64_t n_pool = 0;
    argsort(shift, n, order, sort_tmp);
    vertex(order, n, tb, &sw, point);
    for (int64_t i = 0; i < n; i++) ref[i] = point[i] + shift[i];
    double rho = dot(ref, ref, n) / (double)n;
    if (rho == 0.0) rho = 1.0;
    memcpy(orders, order, (size_t)n * sizeof(int64_t));
    hashes[0] = hash_order(order, n);
    weights[0] = 1.0;
    chol[0] = sqrt(rho);
    int chol_ok = 1;
    int64_t k = 1;
    memcpy(x, ref, (size_t)n * sizeof(double));
    double gap = INFINITY;
    int64_t calls = 0, steps = 0, status = 0;
    uint64_t h = 0;
    for (;;) {
        if (calls >= MAX_ORACLE_CALLS || steps >= 4 * MAX_ORACLE_CALLS) {
            status = 1;
            break;
        }
        steps += 1;
        double xx = dot(x, x, n);
        double floor_ = GAP_RTOL * PY_MAX(xx, 1.0);
        int lazy = 0;
        if (n_pool > 0 && k < cap) { /* lazy step: the best pooled point, if it improves enough */
            int64_t j = 0;
            double best = -INFINITY;
            dots(pool, n_pool, x, n, pool_dot);
            for (int64_t r = 0; r < n_pool; r++) {
                double g = xx - pool_dot[r];
                if (g > best) {
                    j = r;
                    best = g;
                }
            }
            if (best > PY_MAX(lazy_share * gap, 100.0 * floor_)) {
                memcpy(point, pool + j * n, (size_t)n * sizeof(double));
                memcpy(order, pool_orders + j * n, (size_t)n * sizeof(int64_t));
                n_pool -= 1;
                memmove(pool + j * n, pool + n_pool * n, (size_t)n * sizeof(double));
                memmove(pool_orders + j * n, pool_orders + n_pool * n, (size_t)n * sizeof(int64_t));
                h = hash_order(order, n);
                lazy = !find_order(orders, hashes, k, n, order, h);
            }
        }
        if (!lazy) {
            calls += 1;
            argsort(x, n, order, sort_tmp);
            vertex(order, n, tb, &sw, point);
            for (int64_t i = 0; i < n; i++) point[i] += shift[i];
            gap = xx - dot(x, point, n);
            if (gap <= floor_) break;
            h = hash_order(order, n);
            if (k >= cap || find_order(orders, hashes, k, n, order, h)) break;
        }
        /* add the point to the corral: one Gram row, one row of the factor */
        for (int64_t i = 0; i < n; i++) offsets[k * n + i] = point[i] - ref[i];
        dots(offsets, k + 1, offsets + k * n, n, gram + k * cap);
        for (int64_t r = 0; r < k + 1; r++) gram[r * cap + k] = gram[k * cap + r];
        cross[k] = dot(offsets + k * n, ref, n);
        weights[k] = 0.0;
        memcpy(orders + k * n, order, (size_t)n * sizeof(int64_t));
        hashes[k] = h;
        if (chol_ok) chol_ok = append_factor_row(gram, rho, chol, cap, k);
        k += 1;
        for (;;) { /* minor cycles */
            if (!chol_ok && k > 1 && sc.ridged == NULL) {
                sc.ridged = malloc((size_t)(cap * cap) * sizeof(double));
                sc.ridge = malloc((size_t)(cap * cap) * sizeof(double));
                if (!sc.ridged || !sc.ridge) goto done;
            }
            affine_minimiser(gram, cross, chol, chol_ok, rho, k, cap, &sc, alpha);
            int above = 1; /* alpha.min() > WEIGHT_EPS (a NaN counts as not above) */
            for (int64_t i = 0; i < k; i++)
                if (!(alpha[i] > WEIGHT_EPS)) above = 0;
            if (above) {
                memcpy(weights, alpha, (size_t)k * sizeof(double));
                break;
            }
            double theta = INFINITY;
            for (int64_t i = 0; i < k; i++) {
                if (alpha[i] <= WEIGHT_EPS) {
                    double v = weights[i] / (weights[i] - alpha[i]);
                    theta = PY_MIN(theta, v);
                }
            }
            /* move towards the affine minimiser; pool the points whose weight vanished and
             * compact the rest in place (kept[r] >= r ascending: forward copies are safe) */
            int64_t m = 0;
            for (int64_t i = 0; i < k; i++) {
                weights[i] = theta * alpha[i] + (1.0 - theta) * weights[i];
                if (weights[i] > WEIGHT_EPS) {
                    kept[m++] = i;
                } else {
                    int64_t slot = n_pool < pool_rows ? n_pool : n_pool - 1; /* full: newest goes */
                    for (int64_t col = 0; col < n; col++)
                        pool[slot * n + col] = ref[col] + offsets[i * n + col];
                    memcpy(pool_orders + slot * n, orders + i * n, (size_t)n * sizeof(int64_t));
                    n_pool = slot + 1;
                }
            }
            if (chol_ok) { /* delete from the last dropped point back, so the indices stay valid */
                int64_t size = k;
                for (int64_t i = k - 1; i >= 0; i--) {
                    if (!(weights[i] > WEIGHT_EPS)) {
                        delete_factor_row(chol, cap, i, size, vscratch);
                        size -= 1;
                    }
                }
            }
            double total = 0.0;
            for (int64_t r = 0; r < m; r++) {
                int64_t i = kept[r];
                total += weights[i];
                if (i != r) {
                    memcpy(offsets + r * n, offsets + i * n, (size_t)n * sizeof(double));
                    memmove(gram + r * cap, gram + i * cap, (size_t)k * sizeof(double));
                    cross[r] = cross[i];
                    weights[r] = weights[i];
                    memcpy(orders + r * n, orders + i * n, (size_t)n * sizeof(int64_t));
                    hashes[r] = hashes[i];
                }
            }
            for (int64_t r = 0; r < m; r++) {
                weights[r] /= total;
                for (int64_t col = 0; col < m; col++) gram[r * cap + col] = gram[r * cap + kept[col]];
            }
            k = m;
            if (!chol_ok) chol_ok = factor(gram, cap, rho, chol, cap, k); /* refactor from scratch */
        }
        memcpy(x, ref, (size_t)n * sizeof(double)); /* x = ref + sum_r w_r offsets_r */
        for (int64_t r = 0; r < k; r++) {
            double w = weights[r];
            for (int64_t i = 0; i < n; i++) x[i] += w * offsets[r * n + i];
        }
    }
    for (int64_t i = 0; i < n; i++) y[i] = x[i] - shift[i];
    res->k = k;
    res->status = status;
    res->calls = calls;
    ok = 0;
done:
    free(offsets), free(gram), free(chol), free(cross), free(alpha), free(vscratch), free(hashes);
    free(kept), free(pool), free(pool_dot), free(pool_orders), free(point), free(x), free(ref), free(order);
    free(sort_tmp), sweep_free(&sw), free(sc.ridged), free(sc.ridge), free(sc.rhs);
    return ok;
}

/* ------------------------------------------------------ per-session schedules */

static void session_schedules(const int64_t *orders, const double *weights, int64_t n_vertices,
                              int64_t n_slots, const int64_t *first, const int64_t *last,
                              const double *frac_first, const double *frac_last,
                              const double *unit_kwh, const double *energy, int64_t n_sessions,
                              const int64_t *starts, int64_t n_starts, const int64_t *start_row,
                              int64_t *suffix, int64_t *row, int64_t *fill, double *out) {
    for (int64_t v = 0; v < n_vertices; v++) {
        suffix_lists(orders + v * n_slots, n_slots, starts, n_starts, suffix, row, fill);
        double w = weights[v];
        for (int64_t i = 0; i < n_sessions; i++) {
            int64_t s = first[i], d = last[i];
            int64_t begin = row[start_row[i]];
            double left = energy[i];
            for (int64_t j = begin; j < begin + n_slots - s; j++) {
                if (left <= 0.0) break;
                int64_t t = suffix[j];
                if (t > d) continue;
                double room = unit_kwh[i] * (t == s ? frac_first[i] : t == d ? frac_last[i] : 1.0);
                double take = PY_MIN(room, left);
                out[i * n_slots + t] += w * take;
                left -= take;
            }
        }
    }
}

/* ------------------------------------------------------------ Python layer */

/* One argument array: its buffer, element count, and whether it was acquired. */
typedef struct {
    Py_buffer view;
    int held;
} Arg;

static int is_format(const Py_buffer *b, char kind) {
    const char *f = b->format ? b->format : "B";
    if (*f == '@' || *f == '=' || *f == '<') f++;
    if (b->itemsize != 8 || f[1] != '\0') return 0;
    return kind == 'd' ? f[0] == 'd' : (f[0] == 'l' || f[0] == 'q');
}

/* Acquire argument `name` as a C-contiguous float64 ('d') or int64 ('i') array of at least
 * `at_least` elements (exactly `exact` elements when exact >= 0). */
static int get_array(PyObject *obj, Arg *arg, char kind, int writable, Py_ssize_t exact,
                     const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, &arg->view, flags) < 0) return -1;
    arg->held = 1;
    if (!is_format(&arg->view, kind)) {
        PyErr_Format(PyExc_TypeError, "%s: expected a contiguous %s array", name,
                     kind == 'd' ? "float64" : "int64");
        return -1;
    }
    Py_ssize_t count = arg->view.len / 8;
    if (exact >= 0 && count != exact) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd entries, got %zd", name, exact, count);
        return -1;
    }
    return 0;
}

static void release(Arg *args, int n) {
    for (int i = 0; i < n; i++)
        if (args[i].held) PyBuffer_Release(&args[i].view);
}

static Py_ssize_t count(const Arg *a) { return a->view.len / 8; }

/* The class tables (phi, offset, top, first, last, starts, start_row) of args[0..6], checked so
 * that every index the kernels form stays in bounds. */
static int get_tables(PyObject *const *objs, Arg *args, int64_t n_slots, Tables *tb) {
    static const char *names[] = {"phi", "offset", "top", "first", "last", "starts", "start_row"};
    if (get_array(objs[0], &args[0], 'd', 0, -1, names[0]) < 0) return -1;
    if (get_array(objs[1], &args[1], 'i', 0, -1, names[1]) < 0) return -1;
    Py_ssize_t n_classes = count(&args[1]);
    for (int i = 2; i < 7; i++) {
        Py_ssize_t exact = (i == 5) ? -1 : n_classes;
        if (get_array(objs[i], &args[i], 'i', 0, exact, names[i]) < 0) return -1;
    }
    tb->phi = args[0].view.buf;
    tb->offset = args[1].view.buf;
    tb->top = args[2].view.buf;
    tb->first = args[3].view.buf;
    tb->last = args[4].view.buf;
    tb->starts = args[5].view.buf;
    tb->start_row = args[6].view.buf;
    tb->n_classes = n_classes;
    tb->n_starts = count(&args[5]);
    tb->n_phi = count(&args[0]);
    for (int64_t r = 0; r < tb->n_starts; r++) {
        if (tb->starts[r] < 0 || tb->starts[r] >= n_slots || (r && tb->starts[r] <= tb->starts[r - 1])) {
            PyErr_SetString(PyExc_ValueError, "starts: expected ascending slots");
            return -1;
        }
    }
    for (int64_t c = 0; c < n_classes; c++) {
        int64_t s = tb->first[c], d = tb->last[c], row = tb->start_row[c];
        if (c && (s < tb->first[c - 1] || (s == tb->first[c - 1] && d <= tb->last[c - 1]))) {
            PyErr_SetString(PyExc_ValueError, "classes: expected ascending (first, last) windows");
            return -1;
        }
        if (row < 0 || row >= tb->n_starts || tb->starts[row] != s || d < s || d >= n_slots ||
            tb->top[c] < 0 || tb->offset[c] < 0 || tb->offset[c] + 4 * (tb->top[c] + 1) > tb->n_phi) {
            PyErr_Format(PyExc_ValueError, "class %lld: inconsistent window tables", (long long)c);
            return -1;
        }
    }
    return 0;
}

static int check_order(const int64_t *order, int64_t n, int64_t *seen) {
    memset(seen, 0, (size_t)n * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++) {
        if (order[i] < 0 || order[i] >= n || seen[order[i]]++) {
            PyErr_SetString(PyExc_ValueError, "order: expected a permutation of the slots");
            return -1;
        }
    }
    return 0;
}

static int64_t suffix_entries(const int64_t *starts, int64_t n_starts, int64_t n) {
    int64_t size = 0;
    for (int64_t r = 0; r < n_starts; r++) size += n - starts[r];
    return size;
}

PyDoc_STRVAR(vertex_doc,
             "vertex(order, phi, offset, top, first, last, starts, start_row, out)\n--\n\n"
             "Greedy vertex of the window-class tables for a slot order, into out (n_slots,).");

static PyObject *py_vertex(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "vertex: expected 9 arguments");
        return NULL;
    }
    Arg a[9] = {0};
    Tables tb;
    Sweep sw = {0};
    PyObject *result = NULL;
    int64_t *seen = NULL;
    if (get_array(args[0], &a[0], 'i', 0, -1, "order") < 0) goto done;
    int64_t n = count(&a[0]);
    if (get_tables(args + 1, a + 1, n, &tb) < 0) goto done;
    if (get_array(args[8], &a[8], 'd', 1, n, "out") < 0) goto done;
    seen = malloc((size_t)(n + 1) * sizeof(int64_t));
    if (!seen || sweep_alloc(&sw, &tb, n) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if (check_order(a[0].view.buf, n, seen) < 0) goto done;
    Py_BEGIN_ALLOW_THREADS
    vertex(a[0].view.buf, n, &tb, &sw, a[8].view.buf);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    free(seen);
    sweep_free(&sw);
    release(a, 9);
    return result;
}

PyDoc_STRVAR(wolfe_doc,
             "wolfe(shift, phi, offset, top, first, last, starts, start_row, lazy_share, y, "
             "orders, weights)\n--\n\n"
             "Fujishige-Wolfe minimum-norm point of B(f) + shift. Fills y (n_slots,), the corral's\n"
             "slot orders into the first k rows of orders (n_slots + 2, n_slots) and their weights\n"
             "into weights (n_slots + 2,); returns (k, status, oracle calls), status 1 when the\n"
             "call cap stopped it.");

static PyObject *py_wolfe(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 12) {
        PyErr_SetString(PyExc_TypeError, "wolfe: expected 12 arguments");
        return NULL;
    }
    Arg a[12] = {0};
    Tables tb;
    PyObject *result = NULL;
    if (get_array(args[0], &a[0], 'd', 0, -1, "shift") < 0) goto done;
    int64_t n = count(&a[0]);
    if (n < 1) {
        PyErr_SetString(PyExc_ValueError, "shift: expected at least one slot");
        goto done;
    }
    if (get_tables(args + 1, a + 1, n, &tb) < 0) goto done;
    double lazy_share = PyFloat_AsDouble(args[8]);
    if (lazy_share == -1.0 && PyErr_Occurred()) goto done;
    if (get_array(args[9], &a[9], 'd', 1, n, "y") < 0) goto done;
    if (get_array(args[10], &a[10], 'i', 1, (n + 2) * n, "orders") < 0) goto done;
    if (get_array(args[11], &a[11], 'd', 1, n + 2, "weights") < 0) goto done;
    WolfeResult res = {0, 0, 0};
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = wolfe(a[0].view.buf, n, &tb, lazy_share, a[9].view.buf, a[10].view.buf,
               a[11].view.buf, &res);
    Py_END_ALLOW_THREADS
    if (rc < 0) {
        PyErr_NoMemory();
        goto done;
    }
    result = Py_BuildValue("(LLL)", (long long)res.k, (long long)res.status, (long long)res.calls);
done:
    release(a, 12);
    return result;
}

PyDoc_STRVAR(sessions_doc,
             "session_schedules(orders, weights, first, last, frac_first, frac_last, unit_kwh, "
             "energy, starts, start_row, out)\n--\n\n"
             "Per-session energy per slot of a convex combination of greedy vertices, added into\n"
             "out (n_sessions, n_slots).");

static PyObject *py_session_schedules(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    static const char *names[] = {"orders", "weights", "first", "last", "frac_first",
                                  "frac_last", "unit_kwh", "energy", "starts", "start_row", "out"};
    static const char kinds[] = {'i', 'd', 'i', 'i', 'd', 'd', 'd', 'd', 'i', 'i', 'd'};
    if (nargs != 11) {
        PyErr_SetString(PyExc_TypeError, "session_schedules: expected 11 arguments");
        return NULL;
    }
    Arg a[11] = {0};
    PyObject *result = NULL;
    int64_t *scratch = NULL;
    if (get_array(args[1], &a[1], 'd', 0, -1, names[1]) < 0) goto done;
    int64_t n_vertices = count(&a[1]);
    if (get_array(args[2], &a[2], 'i', 0, -1, names[2]) < 0) goto done;
    int64_t n_sessions = count(&a[2]);
    if (get_array(args[8], &a[8], 'i', 0, -1, names[8]) < 0) goto done;
    int64_t n_starts = count(&a[8]);
    if (get_array(args[0], &a[0], 'i', 0, -1, names[0]) < 0) goto done;
    if (n_vertices < 1 || count(&a[0]) % n_vertices) {
        PyErr_SetString(PyExc_ValueError, "orders: expected one row per weight");
        goto done;
    }
    int64_t n_slots = count(&a[0]) / n_vertices;
    for (int i = 3; i < 11; i++) {
        if (i == 8) continue;
        Py_ssize_t exact = i == 10 ? n_sessions * n_slots : n_sessions;
        if (get_array(args[i], &a[i], kinds[i], i == 10, exact, names[i]) < 0) goto done;
    }
    const int64_t *starts = a[8].view.buf, *start_row = a[9].view.buf, *orders = a[0].view.buf;
    const int64_t *first = a[2].view.buf, *last = a[3].view.buf;
    for (int64_t r = 0; r < n_starts; r++) {
        if (starts[r] < 0 || starts[r] >= n_slots || (r && starts[r] <= starts[r - 1])) {
            PyErr_SetString(PyExc_ValueError, "starts: expected ascending slots");
            goto done;
        }
    }
    for (int64_t i = 0; i < n_sessions; i++) {
        int64_t row = start_row[i];
        if (row < 0 || row >= n_starts || starts[row] != first[i] || last[i] < first[i] ||
            last[i] >= n_slots) {
            PyErr_Format(PyExc_ValueError, "session %lld: inconsistent window", (long long)i);
            goto done;
        }
    }
    int64_t size = suffix_entries(starts, n_starts, n_slots);
    scratch = malloc((size_t)(size + n_slots + 2 * n_starts + 1) * sizeof(int64_t));
    if (!scratch) {
        PyErr_NoMemory();
        goto done;
    }
    for (int64_t v = 0; v < n_vertices; v++)
        if (check_order(orders + v * n_slots, n_slots, scratch) < 0) goto done;
    Py_BEGIN_ALLOW_THREADS
    session_schedules(orders, a[1].view.buf, n_vertices, n_slots, first, last, a[4].view.buf,
                      a[5].view.buf, a[6].view.buf, a[7].view.buf, n_sessions, starts, n_starts,
                      start_row, scratch, scratch + size, scratch + size + n_starts, a[10].view.buf);
    Py_END_ALLOW_THREADS
    result = Py_NewRef(Py_None);
done:
    free(scratch);
    release(a, 11);
    return result;
}

static PyMethodDef methods[] = {
    {"vertex", (PyCFunction)(void (*)(void))py_vertex, METH_FASTCALL, vertex_doc},
    {"wolfe", (PyCFunction)(void (*)(void))py_wolfe, METH_FASTCALL, wolfe_doc},
    {"session_schedules", (PyCFunction)(void (*)(void))py_session_schedules, METH_FASTCALL,
     sessions_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_valleyc",
    "Valley-filling kernels (greedy oracle, Fujishige-Wolfe loop, per-session schedules) in C.",
    0, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__valleyc(void) {
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    if (PyModule_AddIntConstant(m, "MAX_ORACLE_CALLS", MAX_ORACLE_CALLS) < 0 ||
        PyModule_AddIntConstant(m, "POOL_MAX", POOL_MAX) < 0 ||
        PyModule_AddObject(m, "GAP_RTOL", PyFloat_FromDouble(GAP_RTOL)) < 0 ||
        PyModule_AddObject(m, "WEIGHT_EPS", PyFloat_FromDouble(WEIGHT_EPS)) < 0 ||
        PyModule_AddObject(m, "CHOL_RTOL", PyFloat_FromDouble(CHOL_RTOL)) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
