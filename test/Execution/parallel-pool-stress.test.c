/* Stresses the waits of runtime/parallel's pool (see
   parallel-pool-stress.test). Usage: pool-stress [SCALE], SCALE in percent
   of the full number of jobs (default 100). */
#include "sieve_pool.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum { kMaxTasks = 64, kMaxWorkers = 8 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void sleep_us(long us) {
  struct timespec t = {us / 1000000, us % 1000000 * 1000};
  nanosleep(&t, NULL);
}

/* Sleeps around the pool's spin window (200 us), so that the helpers are
   spinning, going to sleep or asleep when the next job comes. */
static const long kGaps[] = {0, 0, 50, 150, 190, 210, 250, 400, 1000, 3000};
enum { kNumGaps = sizeof(kGaps) / sizeof(kGaps[0]) };

/* Every task of a job waits for all of them to have started: the caller
   runs one and waits in it, so the job completes only if every helper
   woke up and joined. A lost wake-up shows as a timeout here (or, in the
   caller's own wait, as the alarm of main). Then the helpers may sleep
   for a while, so that the caller, done, has to sleep until they finish. */
struct barrier {
  int32_t tasks;
  long helper_us;
  atomic_int arrived;
  atomic_int busy[kMaxWorkers];
  atomic_int errors;
};

static void barrier_task(void *opaque, int32_t t, int32_t worker) {
  struct barrier *b = opaque;
  (void)t;
  if (worker < 0 || worker >= b->tasks ||
      atomic_exchange(&b->busy[worker], 1)) {
    atomic_fetch_add(&b->errors, 1);
    return;
  }
  atomic_fetch_add(&b->arrived, 1);
  double start = now();
  while (atomic_load(&b->arrived) < b->tasks) {
    sched_yield(); /* the machine may have fewer cores than threads */
    if (now() - start > 10) {
      atomic_fetch_add(&b->errors, 1000); /* a helper never came */
      break;
    }
  }
  if (worker)
    sleep_us(b->helper_us);
  atomic_store(&b->busy[worker], 0);
}

static void barriers(int32_t threads, int jobs) {
  sieve_pool *pool = sieve_pool_create(threads);
  static struct barrier b;
  int bad = 0;
  for (int j = 0; j < jobs && !bad; ++j) {
    if (j % 4 == 0)
      sleep_us(kGaps[(j / 4) % kNumGaps]);
    b.tasks = threads;
    b.helper_us = j % 4 == 2 ? kGaps[(j / 4) % kNumGaps] : 0;
    atomic_store(&b.arrived, 0);
    atomic_store(&b.errors, 0);
    sieve_pool_parallel_for(pool, threads, threads, barrier_task, &b);
    bad = atomic_load(&b.errors) || atomic_load(&b.arrived) != threads;
  }
  sieve_pool_destroy(pool);
  printf("barrier threads %d jobs %d: %s\n", (int)threads, jobs,
         bad ? "FAIL" : "ok");
}

/* Short jobs back to back with every task count and worker limit: every
   task exactly once, workers in range and never shared. */
struct check {
  int32_t max_workers;
  atomic_int calls[kMaxTasks];
  atomic_int busy[kMaxWorkers];
  atomic_int errors;
};

static void check_task(void *opaque, int32_t t, int32_t worker) {
  struct check *c = opaque;
  if (worker < 0 || worker >= c->max_workers ||
      atomic_exchange(&c->busy[worker], 1)) {
    atomic_fetch_add(&c->errors, 1);
    return;
  }
  atomic_fetch_add(&c->calls[t], 1);
  atomic_store(&c->busy[worker], 0);
}

static void contract(int32_t threads, int jobs) {
  sieve_pool *pool = sieve_pool_create(threads);
  static struct check c;
  int bad = 0;
  for (int j = 0; j < jobs && !bad; ++j) {
    int32_t tasks = j % (kMaxTasks + 1);
    c.max_workers = 1 + j % kMaxWorkers;
    atomic_store(&c.errors, 0);
    for (int t = 0; t < kMaxTasks; ++t)
      atomic_store(&c.calls[t], 0);
    if (j % 512 == 511)
      sleep_us(kGaps[(j / 512) % kNumGaps]);
    sieve_pool_parallel_for(pool, tasks, c.max_workers, check_task, &c);
    bad = atomic_load(&c.errors);
    for (int t = 0; t < kMaxTasks; ++t)
      bad += atomic_load(&c.calls[t]) != (t < tasks);
  }
  sieve_pool_destroy(pool);
  printf("contract threads %d jobs %d: %s\n", (int)threads, jobs,
         bad ? "FAIL" : "ok");
}

/* Pools destroyed while their helpers start, spin, fall asleep or sleep:
   a helper that misses the stop hangs destroy (the alarm). */
static void stops(int pools) {
  static struct check c;
  for (int p = 0; p < pools; ++p) {
    sieve_pool *pool = sieve_pool_create(1 + p % 4);
    if (p % 3)
      sieve_pool_parallel_for(pool, 8, kMaxWorkers, check_task, &c);
    sleep_us(kGaps[p % kNumGaps]);
    sieve_pool_destroy(pool);
  }
  printf("stop pools %d: ok\n", pools);
}

int main(int argc, char **argv) {
  int scale = argc > 1 ? atoi(argv[1]) : 100;
  alarm(50); /* a lost wake-up hangs: fail rather than wait for lit */
  barriers(2, 30 * scale);
  barriers(3, 10 * scale);
  barriers(4, 10 * scale);
  contract(3, 200 * scale);
  stops(3 * scale);
  return 0;
}
