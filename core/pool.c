#include "pool.h"
#include "fw/error.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct job {
	void (*fn)(void *);
	void *arg;
};

/* Jobs submitted first may go past cap by this many (the ring holds cap +
 * FIRST_EXTRA). */
#define FIRST_EXTRA 64

struct fw_pool {
	pthread_mutex_t mu;
	pthread_cond_t can_take, can_put, idle;
	struct job *q;
	int cap, size, head, len, running, stop, nthreads;
	pthread_t *threads;
};

int
fw_pool_default_threads(void)
{
	const char *env = getenv("FW_THREADS");
	long n = env && *env ? atol(env) : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

static void *
worker(void *arg)
{
	fw_pool *p = arg;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->len == 0 && !p->stop)
			pthread_cond_wait(&p->can_take, &p->mu);
		if (p->len == 0 && p->stop)
			break;
		struct job j = p->q[p->head];
		p->head = (p->head + 1) % p->size;
		p->len--;
		p->running++;
		pthread_cond_signal(&p->can_put);
		pthread_mutex_unlock(&p->mu);
		j.fn(j.arg);
		pthread_mutex_lock(&p->mu);
		p->running--;
		if (p->len == 0 && p->running == 0)
			pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
fw_pool_new(fw_pool **out, int nthreads, int max_queue)
{
	fw_pool *p;

	*out = NULL;
	if (nthreads <= 0)
		nthreads = fw_pool_default_threads();
	if (max_queue < 1)
		max_queue = 1;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->q = calloc((size_t)max_queue + FIRST_EXTRA, sizeof(*p->q))) == NULL ||
	    (p->threads = calloc((size_t)nthreads, sizeof(*p->threads))) == NULL) {
		if (p)
			free(p->q);
		free(p);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	p->cap = max_queue;
	p->size = max_queue + FIRST_EXTRA;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->can_take, NULL);
	pthread_cond_init(&p->can_put, NULL);
	pthread_cond_init(&p->idle, NULL);
	for (int i = 0; i < nthreads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
			break;
		p->nthreads++;
	}
	if (p->nthreads == 0) {
		fw_pool_free(p);
		return fw_error_set(FW_EIO, "cannot start threads");
	}
	*out = p;
	return 0;
}

int
fw_pool_submit(fw_pool *p, void (*fn)(void *), void *arg)
{
	pthread_mutex_lock(&p->mu);
	while (p->len >= p->cap)
		pthread_cond_wait(&p->can_put, &p->mu);
	p->q[(p->head + p->len) % p->size] = (struct job){ fn, arg };
	p->len++;
	pthread_cond_signal(&p->can_take);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

int
fw_pool_submit_first(fw_pool *p, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&p->mu);
	while (p->len >= p->size)
		pthread_cond_wait(&p->can_put, &p->mu);
	p->head = (p->head + p->size - 1) % p->size;
	p->q[p->head] = (struct job){ fn, arg };
	p->len++;
	pthread_cond_signal(&p->can_take);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

void
fw_pool_wait(fw_pool *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->len > 0 || p->running > 0)
		pthread_cond_wait(&p->idle, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

int
fw_pool_threads(const fw_pool *p)
{
	return p->nthreads;
}

void
fw_pool_free(fw_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->can_take);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->can_take);
	pthread_cond_destroy(&p->can_put);
	pthread_cond_destroy(&p->idle);
	free(p->q);
	free(p->threads);
	free(p);
}
