/* token_sparse.h: a seeded generator of attention inputs with realistic
   structure, and a straightforward C reference of Sieve's token-sparse
   attention (ZipVL; docs/token-sparse.md). Header-only, C99, libm.

   Generator (trained weights are not available here): per head,
   - a local band: 2 * kBandPairs dims carry (cos, sin)(w_m * position) in
     both Q and K, so q_i . k_j grows with sum_m cos(w_m (i - j));
   - attention sinks and heavy hitters: the first `sinks` keys and `heavy`
     seeded columns get a component along a direction u that every query
     also carries;
   - noise: N(0, noise^2) on every element.
   V is N(0, 1). Layout [H, L, D], f32.

   Reference: the op definitions of docs/token-sparse.md computed in double
   with a sort for the selection (equal scores: lower index first). */
#ifndef SIEVE_BENCH_TOKEN_SPARSE_H
#define SIEVE_BENCH_TOKEN_SPARSE_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  uint64_t state;
} ts_rng;

static inline uint64_t ts_next(ts_rng *r) { /* splitmix64 */
  uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static inline double ts_uniform(ts_rng *r) {
  return (double)(ts_next(r) >> 11) * (1.0 / 9007199254740992.0);
}
static inline double ts_normal(ts_rng *r) {
  double u = ts_uniform(r), v = ts_uniform(r);
  return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

typedef struct {
  int heads, length, depth;
  int sinks, heavy; /* sink keys, heavy-hitter columns */
  double band;      /* strength of the local band */
  double global;    /* strength of sinks and heavy hitters */
  double noise;     /* noise standard deviation */
  uint64_t seed;
} ts_gen;

enum { kBandPairs = 4 };

/* q, k, v: heads * length * depth floats each. */
static inline void ts_generate(const ts_gen *g, float *q, float *k, float *v) {
  ts_rng r = {g->seed};
  int H = g->heads, L = g->length, D = g->depth;
  char *heavy = (char *)calloc((size_t)L, 1);
  for (int x = 0; x < g->heavy; ++x)
    heavy[ts_next(&r) % (uint64_t)L] = 1;
  for (int h = 0; h < H; ++h) {
    /* u: a unit direction in the dims after the band. */
    int first = 2 * kBandPairs < D ? 2 * kBandPairs : 0;
    double *u = (double *)calloc((size_t)D, sizeof(double)), norm = 0;
    for (int d = first; d < D; ++d)
      norm += (u[d] = ts_normal(&r)) * u[d];
    for (int d = first; d < D; ++d)
      u[d] /= sqrt(norm);
    for (int i = 0; i < L; ++i) {
      size_t row = ((size_t)h * L + i) * D;
      for (int d = 0; d < D; ++d) {
        q[row + d] = (float)(g->noise * ts_normal(&r) + g->global * u[d]);
        k[row + d] =
            (float)(g->noise * ts_normal(&r) +
                    ((i < g->sinks || heavy[i]) ? g->global * u[d] : 0.0));
        v[row + d] = (float)ts_normal(&r);
      }
      for (int m = 0; m < kBandPairs && 2 * m + 1 < D; ++m) {
        double w = 0.5 / (1 << m); /* wavelengths of 12 .. 100 tokens */
        q[row + 2 * m] += (float)(g->band * cos(w * i));
        q[row + 2 * m + 1] += (float)(g->band * sin(w * i));
        k[row + 2 * m] += (float)(g->band * cos(w * i));
        k[row + 2 * m + 1] += (float)(g->band * sin(w * i));
      }
    }
    free(u);
  }
  free(heavy);
}

/* Options of the reference (those of sieve-attn-token-sparse). */
typedef struct {
  double tau;
  int probe, stride, sinks, recent, causal;
  float scale;
} ts_options;

/* Normalised scores[L] of one batch of [H, L, D] q and k (Lq = Lk = L). */
static inline void ts_scores(const ts_options *o, int H, int L, int D,
                             const float *q, const float *k, double *scores) {
  int strided = o->stride > 0 ? (L - o->probe + o->stride - 1) / o->stride : 0;
  int n = strided + o->probe;
  double *p = (double *)malloc(sizeof(double) * L);
  int *seeing = (int *)calloc((size_t)L, sizeof(int));
  memset(scores, 0, sizeof(double) * L);
  for (int t = 0; t < n; ++t) {
    int i = t < strided ? t * o->stride : L - o->probe + (t - strided);
    int last = o->causal ? i : L - 1;
    for (int j = 0; j <= last; ++j)
      seeing[j]++;
    for (int h = 0; h < H; ++h) {
      double m = -INFINITY, l = 0;
      for (int j = 0; j <= last; ++j) {
        double s = 0;
        for (int d = 0; d < D; ++d)
          s += (double)q[((size_t)h * L + i) * D + d] *
               k[((size_t)h * L + j) * D + d];
        p[j] = s * o->scale;
        if (p[j] > m)
          m = p[j];
      }
      for (int j = 0; j <= last; ++j)
        l += (p[j] = exp(p[j] - m));
      for (int j = 0; j <= last; ++j)
        scores[j] += p[j] / l;
    }
  }
  for (int j = 0; j < L; ++j)
    scores[j] = seeing[j] ? scores[j] / ((double)H * seeing[j]) : 0.0;
  free(p);
  free(seeing);
}

static const double *ts_sort_scores;
static inline int ts_by_score(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  double sx = ts_sort_scores[x], sy = ts_sort_scores[y];
  if (sx != sy)
    return sx > sy ? -1 : 1;
  return x - y;
}

/* keep[L]: 1 for kept tokens; returns their number. Scores are rounded to
   f32 first, as the compiled selection sees them. */
static inline int ts_select(const ts_options *o, int L, const double *scores,
                            char *keep) {
  double *s = (double *)malloc(sizeof(double) * L), total = 0, mass = 0;
  int *order = (int *)malloc(sizeof(int) * L), kept = 0, n = 0;
  for (int j = 0; j < L; ++j) {
    s[j] = (float)scores[j];
    total += s[j];
    keep[j] = j < o->sinks || j >= L - o->recent || o->tau >= 1.0;
    if (keep[j])
      mass += s[j], kept++;
    else
      order[n++] = j;
  }
  ts_sort_scores = s;
  qsort(order, (size_t)n, sizeof(int), ts_by_score);
  for (int x = 0; x < n && mass < o->tau * total; ++x) {
    keep[order[x]] = 1;
    mass += s[order[x]];
    kept++;
  }
  free(s);
  free(order);
  return kept;
}

/* out[H, L, D]: attention among the kept tokens (causal: kept keys at or
   before the query), zeros for the others. Dv = D. */
static inline void ts_attention(const ts_options *o, int H, int L, int D,
                                const float *q, const float *k, const float *v,
                                const char *keep, double *out) {
  double *p = (double *)malloc(sizeof(double) * L);
  memset(out, 0, sizeof(double) * (size_t)H * L * D);
  for (int h = 0; h < H; ++h)
    for (int i = 0; i < L; ++i) {
      if (!keep[i])
        continue;
      double m = -INFINITY, l = 0;
      int last = o->causal ? i : L - 1;
      for (int j = 0; j <= last; ++j) {
        if (!keep[j])
          continue;
        double s = 0;
        for (int d = 0; d < D; ++d)
          s += (double)q[((size_t)h * L + i) * D + d] *
               k[((size_t)h * L + j) * D + d];
        p[j] = s * o->scale;
        if (p[j] > m)
          m = p[j];
      }
      for (int j = 0; j <= last; ++j)
        if (keep[j])
          l += (p[j] = exp(p[j] - m));
      for (int j = 0; j <= last; ++j)
        if (keep[j])
          for (int d = 0; d < D; ++d)
            out[((size_t)h * L + i) * D + d] +=
                p[j] / l * v[((size_t)h * L + j) * D + d];
    }
  free(p);
}

/* Decode attention of one token over a list of tokens (the KV cache's
   contents): out[H, D] = softmax_j(scale q[h] . k[h, tok[j]]) v[h, tok[j]]
   for j < n, where q is [H, D] and k, v are [H, L, D]. Dv = D. */
static inline void ts_decode_attention(int H, int L, int D, double scale,
                                       const float *q, const float *k,
                                       const float *v, const int *tok, int n,
                                       double *out) {
  double *p = (double *)malloc(sizeof(double) * (n > 0 ? n : 1));
  memset(out, 0, sizeof(double) * (size_t)H * D);
  for (int h = 0; h < H; ++h) {
    double m = -INFINITY, l = 0;
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int d = 0; d < D; ++d)
        s += (double)q[(size_t)h * D + d] * k[((size_t)h * L + tok[j]) * D + d];
      p[j] = s * scale;
      if (p[j] > m)
        m = p[j];
    }
    for (int j = 0; j < n; ++j)
      l += (p[j] = exp(p[j] - m));
    for (int j = 0; j < n; ++j)
      for (int d = 0; d < D; ++d)
        out[(size_t)h * D + d] +=
            p[j] / l * v[((size_t)h * L + tok[j]) * D + d];
  }
  free(p);
}

#endif
