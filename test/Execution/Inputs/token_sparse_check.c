/* Runs a token-sparse attention compiled by sieve-compile (name `ts`, one
   [H, L, D] f32 attention q, k, v -> out) on seeded inputs and checks it
   against the C reference of bench/token_sparse.h: the same kept set (a
   token is kept iff its output rows are not all zero) and the same output
   within 1e-5 (relative, and absolute on the output scale of 1: V ~ N(0, 1)).
   Also prints the kept ratio and the error against
   dense attention on the kept rows. Configuration by -D: CH CL CD TAU PROBE
   STRIDE SINKS RECENT CAUSAL (heads, length, depth, options); argv[1] is the
   input mode: gen       the structured generator (argv[2] = noise, argv[3] =
   seed) equal     q = 0: every score is equal dominant  noise, and key 17
   aligned with every query */
#include "token_sparse.h"
#include "ts.h"

#include <stdio.h>

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "gen";
  size_t n = (size_t)CH * CL * CD;
  float *q = malloc(n * 4), *k = malloc(n * 4), *v = malloc(n * 4),
        *out = malloc(n * 4);
  ts_gen g = {CH, CL, CD, 4, CL / 32 + 1, 3.0, 3.0, 1.0, 1};
  if (argc > 2)
    g.noise = atof(argv[2]);
  if (argc > 3)
    g.seed = strtoull(argv[3], 0, 10);
  ts_generate(&g, q, k, v);
  if (!strcmp(mode, "equal")) {
    memset(q, 0, n * 4);
  } else if (!strcmp(mode, "dominant")) {
    for (int h = 0; h < CH; ++h)
      for (int d = 0; d < CD; ++d) {
        float x = d % 2 ? 1.0f : -1.0f;
        for (int i = 0; i < CL; ++i)
          q[((size_t)h * CL + i) * CD + d] =
              0.1f * q[((size_t)h * CL + i) * CD + d] + x;
        if (CL > 17)
          k[((size_t)h * CL + 17) * CD + d] = 4.0f * x;
      }
  }
  void *arena =
      TS_ARENA_SIZE
          ? aligned_alloc(TS_ARENA_ALIGN, (TS_ARENA_SIZE + TS_ARENA_ALIGN - 1) /
                                              TS_ARENA_ALIGN * TS_ARENA_ALIGN)
          : 0;
  int status = ts_run(q, k, v, out, arena);

  /* tau as the op holds it, an f32 attribute */
  ts_options o = {(double)(float)TAU,
                  PROBE,
                  STRIDE,
                  SINKS,
                  RECENT,
                  CAUSAL,
                  (float)(1.0 / sqrt((double)CD))};
  double *scores = malloc(sizeof(double) * CL),
         *ref = malloc(sizeof(double) * n), *dense = malloc(sizeof(double) * n);
  char *keep = malloc(CL), *all = malloc(CL);
  ts_scores(&o, CH, CL, CD, q, k, scores);
  int kept = ts_select(&o, CL, scores, keep);
  ts_attention(&o, CH, CL, CD, q, k, v, keep, ref);
  memset(all, 1, CL);
  ts_attention(&o, CH, CL, CD, q, k, v, all, dense);

  int sameSet = 1, bad = 0;
  double worst = 0, maxAbs = 0, errNum = 0, errDen = 0;
  for (int i = 0; i < CL; ++i) {
    int nonzero = 0;
    for (int h = 0; h < CH; ++h)
      for (int d = 0; d < CD; ++d)
        nonzero |= out[((size_t)h * CL + i) * CD + d] != 0.0f;
    sameSet &= nonzero == keep[i];
  }
  for (size_t x = 0; x < n; ++x) {
    double diff = fabs(out[x] - ref[x]);
    if (diff > maxAbs)
      maxAbs = diff;
    if (diff > 1e-5 * (fabs(ref[x]) + 1.0)) /* V ~ N(0, 1): output scale 1 */
      bad++;
    if (diff / (fabs(ref[x]) + 1e-6) > worst)
      worst = diff / (fabs(ref[x]) + 1e-6);
    size_t i = x / CD % CL;
    if (keep[i]) {
      errNum += (ref[x] - dense[x]) * (ref[x] - dense[x]);
      errDen += dense[x] * dense[x];
    }
  }
  printf("%s tau=%g: status %d, kept %d/%d (%.1f%%), %s kept set, "
         "%d outside 1e-5 (worst %.1e, max |err| %.1e), error vs dense on kept "
         "rows %.2e: %s\n",
         mode, (double)TAU, status, kept, CL, 100.0 * kept / CL,
         sameSet ? "same" : "DIFFERENT", bad, worst, maxAbs,
         errDen > 0 ? sqrt(errNum / errDen) : 0.0,
         status == 0 && sameSet && bad == 0 ? "PASS" : "FAIL");
  return !(status == 0 && sameSet && bad == 0);
}
