/* sieve_pool.c: see sieve_pool.h and docs/parallel.md ("How the pool
   waits").

   A model calls the hook once per marked loop, often for a few hundred
   microseconds of work (a GEMV layer from L3: 32 tasks of 5-8 us), so what
   matters is how fast the helpers start. Sleeping in pthread_cond_wait costs
   a futex wake-up and a reschedule per helper and job, tens of microseconds
   on a VM: the old mutex + condvar pool gained nothing at that grain. Here
   there is no lock on the hot path:

   - A job is published by one atomic store of `job` (generation and helpers
     wanted); helpers spin on it (a pause instruction, then sched_yield) for
     a bounded time after each job and only then sleep on a condvar.
   - Helpers *join* a job through `claim` (one CAS); the worker index is the
     order of joining. When the caller has run out of tasks it closes the
     claim and waits only for the helpers that joined, so a helper that is
     still asleep or descheduled costs the caller nothing: it finds the job
     closed when it wakes.
   - The caller waits for the joined helpers on an atomic count, spinning,
     then sleeping on a second condvar.

   Sleeping never loses a wake-up: a sleeper announces itself (an atomic
   counter or flag, seq_cst) before re-checking its condition under the
   mutex, and the waker changes the condition (seq_cst) before reading the
   announcement; one of the two sees the other (Dekker), and a waker that
   sees a sleeper takes the mutex before it broadcasts, so the sleeper is
   either still checking (and sees the change) or already in
   pthread_cond_wait (and gets the broadcast). */
#include "sieve_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How a waiting thread spins before it sleeps: with a pause instruction
   for SIEVE_POOL_PAUSE_NS, then calling sched_yield until
   SIEVE_POOL_SPIN_NS. The total covers the serial code between two parallel
   loops of a model and is short enough that an idle pool gives its cores
   back quickly. The yields matter when threads outnumber the free cores (a
   shared machine): a waiter on the same core as the thread it waits for
   would otherwise take half of that thread's time. */
#ifndef SIEVE_POOL_PAUSE_NS
#define SIEVE_POOL_PAUSE_NS 20000
#endif
#ifndef SIEVE_POOL_SPIN_NS
#define SIEVE_POOL_SPIN_NS 200000
#endif

#define CLAIM_CLOSED (UINT64_C(1) << 31)
#define CLAIM_JOINED (CLAIM_CLOSED - 1)

struct sieve_pool {
  /* Written by the caller before it publishes a job, read by the helpers
     that joined it (after the acquire of their CAS on claim). */
  _Alignas(64) atomic_uint_least64_t job; /* generation << 32 | wanted */
  sieve_task_fn fn;
  void *ctx;
  int32_t num_tasks;
  atomic_int stop;

  _Alignas(64) atomic_int next; /* the next task to hand out */

  /* generation << 32 | CLAIM_CLOSED | helpers joined */
  _Alignas(64) atomic_uint_least64_t claim;
  atomic_int finished; /* joined helpers done with the job */

  /* The slow path. */
  _Alignas(64) pthread_mutex_t lock;
  pthread_cond_t wake;      /* a new job or stop */
  pthread_cond_t done;      /* a joined helper finished */
  atomic_int sleepers;      /* helpers asleep (or about to be) on wake */
  atomic_int caller_asleep; /* the caller is (about to be) asleep on done */
  uint32_t generation;      /* the caller's count of jobs */
  int32_t num_threads;
  pthread_t *helpers; /* [1, num_threads) */
};

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Spins until ready(pool, arg) or SIEVE_POOL_SPIN_NS have passed (the
   clock is read every 64 iterations); returns whether it became ready. */
static int spin_until(int (*ready)(sieve_pool *, uint64_t), sieve_pool *pool,
                      uint64_t arg) {
  uint64_t start = 0, t = 0;
  for (uint32_t i = 1;; ++i) {
    if (ready(pool, arg))
      return 1;
    if (start && t - start > SIEVE_POOL_PAUSE_NS)
      sched_yield();
    else
      cpu_relax();
    if (i % 64 == 0) {
      t = now_ns();
      if (!start)
        start = t;
      else if (t - start > SIEVE_POOL_SPIN_NS)
        return 0;
    }
  }
}

/* The conditions waited for. Their loads are seq_cst (plain loads on x86,
   ldar on AArch64) because the sleeping path's Dekker argument needs them
   ordered after the sleeper's announcement. */

/* A helper's wait: a job other than `seen`, or stop. */
static int job_changed(sieve_pool *pool, uint64_t seen) {
  return atomic_load(&pool->job) != seen || atomic_load(&pool->stop);
}

/* The caller's wait: all `joined` helpers finished. */
static int helpers_finished(sieve_pool *pool, uint64_t joined) {
  return (uint64_t)atomic_load(&pool->finished) == joined;
}

static void run_tasks(sieve_pool *pool, int32_t worker) {
  for (;;) {
    int32_t task =
        atomic_fetch_add_explicit(&pool->next, 1, memory_order_relaxed);
    if (task >= pool->num_tasks)
      return;
    pool->fn(pool->ctx, task, worker);
  }
}

/* Joins job `job` if it is still open and wants another helper; returns
   the worker index (1 .. wanted) or 0. */
static int32_t join(sieve_pool *pool, uint64_t job) {
  uint64_t generation = job >> 32, wanted = job & 0xffffffffu;
  uint64_t claim = atomic_load_explicit(&pool->claim, memory_order_relaxed);
  for (;;) {
    if (claim >> 32 != generation || (claim & CLAIM_CLOSED) ||
        (claim & CLAIM_JOINED) >= wanted)
      return 0;
    if (atomic_compare_exchange_weak_explicit(&pool->claim, &claim, claim + 1,
                                              memory_order_acquire,
                                              memory_order_relaxed))
      return (int32_t)(claim & CLAIM_JOINED) + 1;
  }
}

/* Waits until ready(pool, arg): spinning first, then asleep on `cond`,
   counted in `asleep` before the last check under the lock, so that whoever
   makes it ready (and then reads `asleep`) wakes it (docs/parallel.md). */
static void wait_until(int (*ready)(sieve_pool *, uint64_t), sieve_pool *pool,
                       uint64_t arg, pthread_cond_t *cond, atomic_int *asleep) {
  if (spin_until(ready, pool, arg))
    return;
  pthread_mutex_lock(&pool->lock);
  atomic_fetch_add(asleep, 1);
  while (!ready(pool, arg))
    pthread_cond_wait(cond, &pool->lock);
  atomic_fetch_sub(asleep, 1);
  pthread_mutex_unlock(&pool->lock);
}

static void *helper_main(void *arg) {
  sieve_pool *pool = arg;
  uint64_t seen = 0; /* generation 0 is never published */
  for (;;) {
    wait_until(job_changed, pool, seen, &pool->wake, &pool->sleepers);
    if (atomic_load_explicit(&pool->stop, memory_order_acquire))
      return NULL;
    seen = atomic_load_explicit(&pool->job, memory_order_acquire);
    int32_t worker = join(pool, seen);
    if (!worker)
      continue; /* closed, or enough helpers: wait for the next job */
    run_tasks(pool, worker);
    atomic_fetch_add(&pool->finished, 1); /* seq_cst, see the top */
    if (atomic_load(&pool->caller_asleep)) {
      pthread_mutex_lock(&pool->lock);
      pthread_cond_signal(&pool->done);
      pthread_mutex_unlock(&pool->lock);
    }
  }
}

sieve_pool *sieve_pool_create(int32_t num_threads) {
  if (num_threads < 1)
    return NULL;
  sieve_pool *pool = aligned_alloc(64, sizeof(sieve_pool));
  if (!pool)
    return NULL;
  memset(pool, 0, sizeof(*pool)); /* atomics included: all zero */
  pool->num_threads = num_threads;
  pool->helpers = calloc((size_t)num_threads, sizeof(*pool->helpers));
  if (!pool->helpers) {
    free(pool);
    return NULL;
  }
  pthread_mutex_init(&pool->lock, NULL);
  pthread_cond_init(&pool->wake, NULL);
  pthread_cond_init(&pool->done, NULL);
  for (int32_t i = 1; i < num_threads; ++i) {
    if (pthread_create(&pool->helpers[i], NULL, helper_main, pool)) {
      pool->num_threads = i; /* destroy joins the ones that started */
      sieve_pool_destroy(pool);
      return NULL;
    }
  }
  return pool;
}

void sieve_pool_destroy(sieve_pool *pool) {
  if (!pool)
    return;
  atomic_store(&pool->stop, 1);
  pthread_mutex_lock(&pool->lock);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  for (int32_t i = 1; i < pool->num_threads; ++i)
    pthread_join(pool->helpers[i], NULL);
  pthread_cond_destroy(&pool->done);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->lock);
  free(pool->helpers);
  free(pool);
}

void sieve_pool_parallel_for(void *opaque, int32_t num_tasks,
                             int32_t max_workers, sieve_task_fn fn, void *ctx) {
  sieve_pool *pool = opaque;
  int32_t workers = pool->num_threads;
  if (workers > max_workers)
    workers = max_workers;
  if (workers > num_tasks)
    workers = num_tasks;
  if (workers <= 1) {
    sieve_serial_parallel_for(NULL, num_tasks, max_workers, fn, ctx);
    return;
  }
  /* The previous job's helpers have all finished (we waited for them), so
     nobody reads these fields now. */
  uint64_t generation = ++pool->generation;
  if (!generation) /* 0 is the helpers' initial `seen` */
    generation = ++pool->generation;
  pool->fn = fn;
  pool->ctx = ctx;
  pool->num_tasks = num_tasks;
  atomic_store_explicit(&pool->next, 0, memory_order_relaxed);
  atomic_store_explicit(&pool->finished, 0, memory_order_relaxed);
  atomic_store_explicit(&pool->claim, generation << 32, memory_order_release);
  atomic_store(&pool->job, generation << 32 | (uint64_t)(workers - 1));
  if (atomic_load(&pool->sleepers)) {
    pthread_mutex_lock(&pool->lock);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
  }

  run_tasks(pool, 0);

  /* No task is left: close the claim, so that helpers that have not joined
     yet never will, and wait for those that did. */
  uint64_t joined = atomic_fetch_or_explicit(&pool->claim, CLAIM_CLOSED,
                                             memory_order_acq_rel) &
                    CLAIM_JOINED;
  wait_until(helpers_finished, pool, joined, &pool->done, &pool->caller_asleep);
}

void sieve_serial_parallel_for(void *pool, int32_t num_tasks,
                               int32_t max_workers, sieve_task_fn fn,
                               void *ctx) {
  (void)pool;
  (void)max_workers;
  for (int32_t task = 0; task < num_tasks; ++task)
    fn(ctx, task, 0);
}
