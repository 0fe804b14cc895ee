/* Checks the contract of runtime/parallel's pool (see parallel-pool.test). */
#include "sieve_pool.h"

#include <stdatomic.h>
#include <stdio.h>

enum { kMaxTasks = 1000, kMaxWorkers = 8 };

struct check {
  int32_t max_workers;
  atomic_int calls[kMaxTasks];
  atomic_int busy[kMaxWorkers];
  atomic_int errors;
};

static void task(void *opaque, int32_t t, int32_t worker) {
  struct check *c = opaque;
  if (worker < 0 || worker >= c->max_workers) {
    atomic_fetch_add(&c->errors, 1);
    return;
  }
  if (atomic_exchange(&c->busy[worker], 1))
    atomic_fetch_add(&c->errors, 1); /* another task runs on this worker */
  atomic_fetch_add(&c->calls[t], 1);
  for (volatile int spin = 0; spin < 2000; ++spin)
    ;
  atomic_store(&c->busy[worker], 0);
}

static void run(sieve_parallel_for_fn hook, void *pool, const char *what,
                int32_t max_workers, int32_t num_tasks) {
  static struct check c;
  c.max_workers = max_workers;
  atomic_store(&c.errors, 0);
  for (int i = 0; i < kMaxTasks; ++i)
    atomic_store(&c.calls[i], 0);
  hook(pool, num_tasks, max_workers, task, &c);
  int bad = atomic_load(&c.errors);
  for (int i = 0; i < kMaxTasks; ++i)
    bad += atomic_load(&c.calls[i]) != (i < num_tasks);
  printf("%s tasks %d: %s\n", what, (int)num_tasks, bad ? "FAIL" : "ok");
}

int main(void) {
  static const int32_t cases[][3] = {
      {1, 4, 100}, {3, 2, 1000}, {4, 8, 1000}, {4, 4, 3}, {4, 4, 0}};
  for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
    sieve_pool *pool = sieve_pool_create(cases[i][0]);
    char what[64];
    snprintf(what, sizeof(what), "threads %d workers %d", (int)cases[i][0],
             (int)cases[i][1]);
    /* Twice: the pool is reused between calls. */
    run(sieve_pool_parallel_for, pool, what, cases[i][1], cases[i][2]);
    run(sieve_pool_parallel_for, pool, what, cases[i][1], cases[i][2]);
    sieve_pool_destroy(pool);
  }
  run(sieve_serial_parallel_for, NULL, "serial hook", 1, 10);
  return sieve_pool_create(0) != NULL;
}
