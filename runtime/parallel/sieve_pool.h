/* sieve_pool.h: a small pthread pool that implements Sieve's parallel-for
   hook (docs/parallel.md). It is an example for applications and what the
   tests link; it is not part of a compiled model, which calls whatever hook
   the application passes to <name>_run_parallel.

     sieve_pool *pool = sieve_pool_create(4);
     model_run_parallel(in, out, arena, sieve_pool_parallel_for, pool);
     sieve_pool_destroy(pool);

   One parallel_for runs at a time per pool: a pool is not meant to be shared
   by threads that run models concurrently (give each its own pool and
   arena). */
#ifndef SIEVE_POOL_H
#define SIEVE_POOL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SIEVE_PARALLEL_FOR_DEFINED
#define SIEVE_PARALLEL_FOR_DEFINED
typedef void (*sieve_task_fn)(void *ctx, int32_t task, int32_t worker);
typedef void (*sieve_parallel_for_fn)(void *pool, int32_t num_tasks,
                                      int32_t max_workers, sieve_task_fn fn,
                                      void *ctx);
#endif

typedef struct sieve_pool sieve_pool;

/* A pool of num_threads workers: the calling thread and num_threads - 1
   helper threads. NULL if num_threads < 1 or the threads cannot start. */
sieve_pool *sieve_pool_create(int32_t num_threads);
void sieve_pool_destroy(sieve_pool *pool);

/* The hook: runs the tasks on at most min(num_threads, max_workers,
   num_tasks) workers, the caller being worker 0 and the helpers that join
   before the tasks run out the others (docs/parallel.md, "How the pool
   waits"); pool is a sieve_pool *. */
void sieve_pool_parallel_for(void *pool, int32_t num_tasks, int32_t max_workers,
                             sieve_task_fn fn, void *ctx);

/* The simplest hook: every task in order on worker 0 (pool is unused). */
void sieve_serial_parallel_for(void *pool, int32_t num_tasks,
                               int32_t max_workers, sieve_task_fn fn,
                               void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* SIEVE_POOL_H */
