/* The token-sparse decode form against the C reference of
   bench/token_sparse.h. Two models compiled by sieve-compile:
     pf (prefill): q, k, v [1, H, L, D] -> key cache, value cache
                   [1, H, C, D] and count [1] (the kept tokens, compacted)
     dc (decode):  q, k, v [1, H, 1, D], caches, count -> out [1, H, 1, D],
                   caches and count with the token appended
   with C = L + STEPS. Checks: the prefill count is the reference's kept
   count and the cache rows are the kept tokens' K/V in order (exactly);
   STEPS decode steps (caches passed back in, ping-pong) equal attention
   over the kept tokens plus the appended ones within 1e-5; the same steps
   in place (each cache and count passed as both input and output,
   docs/abi.md) give the same outputs and cache rows, bit for bit; a decode
   call on a full cache returns a non-zero status, keeps the count and
   writes nothing past the capacity, separate or in place. Configuration by
   -D: CH CHK CL CD STEPS TAU PROBE STRIDE SINKS RECENT CAUSAL
   FROM_ATTENTION.
   With FROM_ATTENTION the prefill model is a plain attention compiled with
   --kv-cache: pf: q, k, v -> out [1, H, L, D] (token-sparse attention),
   then the caches and the count; out is checked against ts_attention
   within 1e-5. */
#include "dc.h"
#include "pf.h"
#include "token_sparse.h"

#include <stdio.h>

#define CAP (CL + STEPS)
#ifndef CHK
#define CHK CH /* KV heads: CH / CHK query heads share one (grouped-query) */
#endif
#define GROUP (CH / CHK)
#define CANARY 12345.0f

static void *arena(size_t size, size_t align) {
  return size ? aligned_alloc(align, (size + align - 1) / align * align) : 0;
}

int main(void) {
  const int T = CL + STEPS; /* tokens generated: prefill, then decode */
  size_t all = (size_t)CH * T * CD, pre = (size_t)CH * CL * CD;
  size_t cache = (size_t)CHK * CAP * CD, kvPre = (size_t)CHK * CL * CD;
  float *q = malloc(all * 4), *k = malloc(all * 4), *v = malloc(all * 4);
  ts_gen g = {CH, T, CD, 4, T / 32 + 1, 3.0, 3.0, 1.0, 1};
  ts_generate(&g, q, k, v);
  /* Grouped-query: query head h reads KV head h / GROUP. The reference
     runs on K, V expanded to CH heads (head h a copy of head h / GROUP,
     descending so that every source is still unchanged); the models read
     the CHK distinct heads (heads 0, GROUP, 2 GROUP, ... of the expansion). */
  for (int h = CH - 1; h >= 0; --h) {
    memmove(k + (size_t)h * T * CD, k + (size_t)(h / GROUP) * T * CD,
            (size_t)T * CD * 4);
    memmove(v + (size_t)h * T * CD, v + (size_t)(h / GROUP) * T * CD,
            (size_t)T * CD * 4);
  }
  /* Prefill inputs: the first CL tokens of every head (pkx, pvx: all CH
     heads, for the reference). */
  float *pq = malloc(pre * 4), *pkx = malloc(pre * 4), *pvx = malloc(pre * 4);
  float *pk = malloc(kvPre * 4), *pv = malloc(kvPre * 4);
  for (int h = 0; h < CH; ++h) {
    memcpy(pq + (size_t)h * CL * CD, q + (size_t)h * T * CD, CL * CD * 4);
    memcpy(pkx + (size_t)h * CL * CD, k + (size_t)h * T * CD, CL * CD * 4);
    memcpy(pvx + (size_t)h * CL * CD, v + (size_t)h * T * CD, CL * CD * 4);
  }
  for (int h = 0; h < CHK; ++h) {
    memcpy(pk + (size_t)h * CL * CD, pkx + (size_t)h * GROUP * CL * CD,
           CL * CD * 4);
    memcpy(pv + (size_t)h * CL * CD, pvx + (size_t)h * GROUP * CL * CD,
           CL * CD * 4);
  }
  /* Two caches (inputs and outputs must not overlap), one spare row of
     canaries after each to catch a write past the capacity. */
  float *kc[2], *vc[2];
  for (int x = 0; x < 2; ++x) {
    kc[x] = malloc((cache + CD) * 4);
    vc[x] = malloc((cache + CD) * 4);
    for (size_t e = 0; e < cache + CD; ++e)
      kc[x][e] = vc[x][e] = CANARY;
  }
  int32_t count[2] = {0, 0};
  void *pfArena = arena(PF_ARENA_SIZE, PF_ARENA_ALIGN);
  void *dcArena = arena(DC_ARENA_SIZE, DC_ARENA_ALIGN);
  int fail = 0;

#if FROM_ATTENTION
  float *pout = malloc(pre * 4);
  int status = pf_run(pq, pk, pv, pout, kc[0], vc[0], &count[0], pfArena);
#else
  int status = pf_run(pq, pk, pv, kc[0], vc[0], &count[0], pfArena);
#endif
  ts_options o = {(double)(float)TAU,
                  PROBE,
                  STRIDE,
                  SINKS,
                  RECENT,
                  CAUSAL,
                  (float)(1.0 / sqrt((double)CD))};
  double *scores = malloc(sizeof(double) * CL);
  char *keep = malloc(CL);
  ts_scores(&o, CH, CL, CD, pq, pkx, scores);
  int kept = ts_select(&o, CL, scores, keep);
  int *tok = malloc(sizeof(int) * T), n = 0;
  for (int j = 0; j < CL; ++j)
    if (keep[j])
      tok[n++] = j;
  int rowsDiffer = 0;
  for (int h = 0; h < CHK; ++h)
    for (int r = 0; r < kept && r < count[0]; ++r)
      for (int d = 0; d < CD; ++d) {
        size_t c = ((size_t)h * CAP + r) * CD + d;
        size_t s = ((size_t)h * GROUP * T + tok[r]) * CD + d;
        rowsDiffer += kc[0][c] != k[s] || vc[0][c] != v[s];
      }
  static const long tokenBytes[] = DC_KV_CACHE_TOKEN_BYTES;
  static const long capacity[] = DC_KV_CACHE_CAPACITY;
  int ok =
      status == 0 && count[0] == kept && capacity[0] == CAP && rowsDiffer == 0;
  printf("prefill tau=%g: status %d, kept %d/%d (%.1f%%), reference %d, "
         "cache holds %zu of %zu bytes, %d cache values differ: %s\n",
         (double)TAU, status, count[0], CL, 100.0 * count[0] / CL, kept,
         (size_t)count[0] * tokenBytes[0], (size_t)capacity[0] * tokenBytes[0],
         rowsDiffer, ok ? "PASS" : "FAIL");
  fail |= !ok;
#if FROM_ATTENTION
  {
    /* The prefill's own output: attention among the kept tokens, zeros for
       the dropped queries. */
    double *pref = malloc(sizeof(double) * pre);
    ts_attention(&o, CH, CL, CD, pq, pkx, pvx, keep, pref);
    int outside = 0;
    for (size_t e = 0; e < pre; ++e)
      outside += fabs(pout[e] - pref[e]) > 1e-5 * (fabs(pref[e]) + 1.0);
    static const long capShape[] = PF_OUTPUT1_SHAPE;
    ok = outside == 0 && PF_NUM_OUTPUTS == 4 && capShape[2] == CAP &&
         sizeof(pf_output3_t) == 4;
    printf("prefill output: %d outside 1e-5, %d outputs, cache capacity "
           "%ld: %s\n",
           outside, PF_NUM_OUTPUTS, capShape[2], ok ? "PASS" : "FAIL");
    fail |= !ok;
  }
#endif

  /* Decode: token CL + t appended, then attention over the cache. */
  float *q1 = malloc(CH * CD * 4), *k1 = malloc(CHK * CD * 4),
        *v1 = malloc(CHK * CD * 4), *out = malloc(CH * CD * 4);
  double *ref = malloc(sizeof(double) * CH * CD);
  float *outs = malloc((size_t)STEPS * CH * CD * 4);
  int bad = 0, statuses = 0, counts = 0;
  double worst = 0;
  for (int t = 0; t < STEPS; ++t) {
    int in = t % 2, res = 1 - in, token = CL + t;
    for (int h = 0; h < CH; ++h)
      memcpy(q1 + h * CD, q + ((size_t)h * T + token) * CD, CD * 4);
    for (int h = 0; h < CHK; ++h) {
      memcpy(k1 + h * CD, k + ((size_t)h * GROUP * T + token) * CD, CD * 4);
      memcpy(v1 + h * CD, v + ((size_t)h * GROUP * T + token) * CD, CD * 4);
    }
    statuses |= dc_run(q1, k1, v1, kc[in], vc[in], &count[in], out, kc[res],
                       vc[res], &count[res], dcArena);
    memcpy(outs + (size_t)t * CH * CD, out, CH * CD * 4);
    tok[n++] = token;
    counts += count[res] != n;
    ts_decode_attention(CH, T, CD, o.scale, q1, k, v, tok, n, ref);
    for (int e = 0; e < CH * CD; ++e) {
      double diff = fabs(out[e] - ref[e]);
      if (diff > 1e-5 * (fabs(ref[e]) + 1.0)) /* V ~ N(0, 1) */
        bad++;
      if (diff / (fabs(ref[e]) + 1e-6) > worst)
        worst = diff / (fabs(ref[e]) + 1e-6);
    }
  }
  int last = STEPS % 2;
  ok = statuses == 0 && counts == 0 && bad == 0;
  printf("decode %d steps: status %d, count %d, %d wrong counts, %d outside "
         "1e-5 (worst %.1e): %s\n",
         STEPS, statuses, count[last], counts, bad, worst,
         ok ? "PASS" : "FAIL");
  fail |= !ok;

  /* In place: the prefill again into a third cache, then the same steps
     with each cache and the count as both input and output. */
  float *kp = malloc((cache + CD) * 4), *vp = malloc((cache + CD) * 4);
  for (size_t e = 0; e < cache + CD; ++e)
    kp[e] = vp[e] = CANARY;
  int32_t np = 0;
#if FROM_ATTENTION
  statuses = pf_run(pq, pk, pv, pout, kp, vp, &np, pfArena);
#else
  statuses = pf_run(pq, pk, pv, kp, vp, &np, pfArena);
#endif
  int differ = 0;
  for (int t = 0; t < STEPS; ++t) {
    int token = CL + t;
    for (int h = 0; h < CH; ++h)
      memcpy(q1 + h * CD, q + ((size_t)h * T + token) * CD, CD * 4);
    for (int h = 0; h < CHK; ++h) {
      memcpy(k1 + h * CD, k + ((size_t)h * GROUP * T + token) * CD, CD * 4);
      memcpy(v1 + h * CD, v + ((size_t)h * GROUP * T + token) * CD, CD * 4);
    }
    statuses |= dc_run(q1, k1, v1, kp, vp, &np, out, kp, vp, &np, dcArena);
    differ += memcmp(out, outs + (size_t)t * CH * CD, CH * CD * 4) != 0;
  }
  int rowsChanged = 0;
  for (int h = 0; h < CHK; ++h)
    for (int r = 0; r < np && r < count[last]; ++r)
      rowsChanged +=
          memcmp(kp + ((size_t)h * CAP + r) * CD,
                 kc[last] + ((size_t)h * CAP + r) * CD, CD * 4) != 0 ||
          memcmp(vp + ((size_t)h * CAP + r) * CD,
                 vc[last] + ((size_t)h * CAP + r) * CD, CD * 4) != 0;
  ok = statuses == 0 && np == count[last] && differ == 0 && rowsChanged == 0;
  printf("in place %d steps: status %d, count %d, %d outputs differ, %d cache "
         "rows differ: %s\n",
         STEPS, statuses, np, differ, rowsChanged, ok ? "PASS" : "FAIL");
  fail |= !ok;

  /* A full cache: a non-zero status, the count kept, no write past it. */
  int32_t full = CAP, after = -1;
  int in = last, res = 1 - last;
  for (size_t e = 0; e < cache + CD; ++e)
    kc[res][e] = vc[res][e] = CANARY;
  status = dc_run(q1, k1, v1, kc[in], vc[in], &full, out, kc[res], vc[res],
                  &after, dcArena);
  int spill = 0, changed = 0;
  for (int d = 0; d < CD; ++d)
    spill += kc[res][cache + d] != CANARY || vc[res][cache + d] != CANARY;
  /* Rows below the capacity are the input's (stale beyond count, but
     copied): the new token went nowhere. */
  for (int h = 0; h < CHK; ++h)
    for (int r = 0; r < CAP; ++r)
      changed += memcmp(kc[res] + ((size_t)h * CAP + r) * CD,
                        kc[in] + ((size_t)h * CAP + r) * CD, CD * 4) != 0;
  ok = status != 0 && after == CAP && spill == 0 && changed == 0;
  printf("full cache: status %d, count %d -> %d, %d values past the "
         "capacity, %d rows changed: %s\n",
         status, full, after, spill, changed, ok ? "PASS" : "FAIL");
  fail |= !ok;

  /* A full cache in place: the same status, nothing written. */
  memcpy(kp, kc[in], (cache + CD) * 4);
  memcpy(vp, vc[in], (cache + CD) * 4);
  np = CAP;
  status = dc_run(q1, k1, v1, kp, vp, &np, out, kp, vp, &np, dcArena);
  changed = memcmp(kp, kc[in], (cache + CD) * 4) != 0 ||
            memcmp(vp, vc[in], (cache + CD) * 4) != 0;
  ok = status != 0 && np == CAP && changed == 0;
  printf("full cache in place: status %d, count %d, %d buffers changed: %s\n",
         status, np, changed, ok ? "PASS" : "FAIL");
  fail |= !ok;
  return fail;
}
