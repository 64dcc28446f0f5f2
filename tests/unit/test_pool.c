/* core/pool.c: every job runs once, fw_pool_wait and fw_pool_free wait for
 * them, and fw_pool_submit_first puts a job ahead of those queued (what the
 * commit's prefetch relies on: the leaf it needs next is read first). */
#include "harness.h"
#include "pool.h"
#include "fw/error.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

static _Atomic int runs[1000];

static void
count(void *arg)
{
	runs[(intptr_t)arg]++;
}

void
test_pool_runs_all(void)
{
	for (int threads = 1; threads <= 4; threads *= 2) {
		fw_pool *p;
		for (int i = 0; i < 1000; i++)
			runs[i] = 0;
		CHECK_OK(fw_pool_new(&p, threads, 8));
		CHECK_INT(fw_pool_threads(p), threads);
		for (int i = 0; i < 1000; i++)
			fw_pool_submit(p, count, (void *)(intptr_t)i);
		fw_pool_wait(p);
		int once = 0;
		for (int i = 0; i < 1000; i++)
			once += runs[i] == 1;
		CHECK_INT(once, 1000);
		/* fw_pool_free runs what is still queued before it stops */
		for (int i = 0; i < 100; i++)
			fw_pool_submit(p, count, (void *)(intptr_t)i);
		fw_pool_free(p);
		once = 0;
		for (int i = 0; i < 100; i++)
			once += runs[i] == 2;
		CHECK_INT(once, 100);
	}
}

/* A one-thread pool held by a job that waits at a gate, so that the order
 * of what is queued behind it shows. */
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open, gate_reached;
static int order[16], norder;

static void
gate(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&gate_mu);
	gate_reached = 1;
	pthread_cond_broadcast(&gate_cv);
	while (!gate_open)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
}

static void
record(void *arg)
{
	order[norder++] = (int)(intptr_t)arg;	/* one thread: no race */
}

void
test_pool_submit_first(void)
{
	fw_pool *p;

	gate_open = gate_reached = norder = 0;
	CHECK_OK(fw_pool_new(&p, 1, 2));
	fw_pool_submit(p, gate, NULL);
	pthread_mutex_lock(&gate_mu);
	while (!gate_reached)
		pthread_cond_wait(&gate_cv, &gate_mu);
	pthread_mutex_unlock(&gate_mu);
	/* the worker is inside gate(): these wait, in this order */
	fw_pool_submit(p, record, (void *)(intptr_t)1);
	fw_pool_submit(p, record, (void *)(intptr_t)2);
	/* past max_queue (2): submit_first may exceed it */
	fw_pool_submit_first(p, record, (void *)(intptr_t)3);
	fw_pool_submit_first(p, record, (void *)(intptr_t)4);
	pthread_mutex_lock(&gate_mu);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_mu);
	fw_pool_wait(p);
	fw_pool_free(p);
	CHECK_INT(norder, 4);
	/* the last put first runs first, then the rest in submission order */
	CHECK_INT(order[0], 4);
	CHECK_INT(order[1], 3);
	CHECK_INT(order[2], 1);
	CHECK_INT(order[3], 2);
}
