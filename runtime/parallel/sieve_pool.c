/* sieve_pool.c: see sieve_pool.h. Tasks are handed out through one atomic
   counter, so that workers that finish early take more of them. */
#include "sieve_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct helper {
  sieve_pool *pool;
  int32_t id; /* its worker index, 1 .. num_threads - 1 */
  pthread_t thread;
};

struct sieve_pool {
  pthread_mutex_t lock;
  pthread_cond_t wake; /* a new job or stop */
  pthread_cond_t done; /* the last helper of a job finished */
  int32_t num_threads;
  struct helper *helpers;
  /* The current job, written under lock before generation changes. */
  uint64_t generation;
  int32_t workers; /* workers 0 .. workers - 1 take part */
  int32_t running; /* helpers of the job still running */
  sieve_task_fn fn;
  void *ctx;
  int32_t num_tasks;
  atomic_int next;
  int stop;
};

static void run_tasks(sieve_pool *pool, int32_t worker) {
  for (;;) {
    int32_t task =
        atomic_fetch_add_explicit(&pool->next, 1, memory_order_relaxed);
    if (task >= pool->num_tasks)
      return;
    pool->fn(pool->ctx, task, worker);
  }
}

static void *helper_main(void *arg) {
  struct helper *self = arg;
  sieve_pool *pool = self->pool;
  uint64_t seen = 0;
  pthread_mutex_lock(&pool->lock);
  for (;;) {
    while (!pool->stop && pool->generation == seen)
      pthread_cond_wait(&pool->wake, &pool->lock);
    if (pool->stop)
      break;
    seen = pool->generation;
    if (self->id >= pool->workers)
      continue; /* not needed for this job */
    pthread_mutex_unlock(&pool->lock);
    run_tasks(pool, self->id);
    pthread_mutex_lock(&pool->lock);
    if (--pool->running == 0)
      pthread_cond_signal(&pool->done);
  }
  pthread_mutex_unlock(&pool->lock);
  return NULL;
}

sieve_pool *sieve_pool_create(int32_t num_threads) {
  if (num_threads < 1)
    return NULL;
  sieve_pool *pool = calloc(1, sizeof(*pool));
  if (!pool)
    return NULL;
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
    pool->helpers[i].pool = pool;
    pool->helpers[i].id = i;
    if (pthread_create(&pool->helpers[i].thread, NULL, helper_main,
                       &pool->helpers[i])) {
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
  pthread_mutex_lock(&pool->lock);
  pool->stop = 1;
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  for (int32_t i = 1; i < pool->num_threads; ++i)
    pthread_join(pool->helpers[i].thread, NULL);
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
  pthread_mutex_lock(&pool->lock);
  pool->fn = fn;
  pool->ctx = ctx;
  pool->num_tasks = num_tasks;
  atomic_store_explicit(&pool->next, 0, memory_order_relaxed);
  pool->workers = workers;
  pool->running = workers - 1;
  ++pool->generation;
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);

  run_tasks(pool, 0);

  pthread_mutex_lock(&pool->lock);
  while (pool->running)
    pthread_cond_wait(&pool->done, &pool->lock);
  pthread_mutex_unlock(&pool->lock);
}

void sieve_serial_parallel_for(void *pool, int32_t num_tasks,
                               int32_t max_workers, sieve_task_fn fn,
                               void *ctx) {
  (void)pool;
  (void)max_workers;
  for (int32_t task = 0; task < num_tasks; ++task)
    fn(ctx, task, 0);
}
