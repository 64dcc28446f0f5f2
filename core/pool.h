/* core/pool.h - a small fixed thread pool with a bounded queue. */
#ifndef FW_CORE_POOL_H
#define FW_CORE_POOL_H

typedef struct fw_pool fw_pool;

/* nthreads <= 0: the number of online cores (FW_THREADS overrides). */
int fw_pool_new(fw_pool **out, int nthreads, int max_queue);
/* Waits for every job, then stops the threads. NULL is fine. */
void fw_pool_free(fw_pool *p);
/* Queues fn(arg); blocks while max_queue jobs wait. */
int fw_pool_submit(fw_pool *p, void (*fn)(void *arg), void *arg);
/* Queues fn(arg) ahead of every waiting job (what the submitter will wait
 * for soon); may go past max_queue by 64 before it blocks. */
int fw_pool_submit_first(fw_pool *p, void (*fn)(void *arg), void *arg);
/* Waits until every submitted job has run. */
void fw_pool_wait(fw_pool *p);
int fw_pool_threads(const fw_pool *p);
/* The number of threads a pool of size <= 0 gets. */
int fw_pool_default_threads(void);

#endif
