/*
 * fw diff: two data trees walked together in key order (DESIGN.md section 5).
 *
 * Each side is a stack of subtrees still to visit (its top the leftmost) and
 * at most one row group being read. While neither side is part-way through a
 * row group, both have consumed exactly the keys up to the same point, so two
 * subtrees on top with the same object id hold the same rows and are skipped
 * whole. Otherwise the taller one is opened, and two row groups are merged row
 * by row; a row group left part-way stays loaded until its rows are used up.
 * Two row groups with the same row-key object hold the same keys: a column
 * with the same object id in both is then equal for every row and is never
 * decoded. Such pairs are independent, so they are compared on a thread pool
 * while the main thread walks on; their records are passed to the caller in
 * order, before any record found after them. Rows are matched by row key,
 * which a record keeps across versions of its corpus; for two corpora they
 * are matched by id (both read whole).
 */
#include "internal.h"
#include "pool.h"
#include "fw/diff.h"
#include "fw/error.h"
#include "fw/json.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct item {
	fw_ptree_child c;
	int height;
};

struct side {
	fw_ptree t;
	struct item *st;
	size_t n, cap;
	fw_rg rg;
	int loaded;
	uint32_t pos;
	fw_column **cols;	/* decoded columns of rg (NULL until needed) */
	fw_column *ids;		/* decoded when a row is emitted */
	int have_ids;
	/* Or, for the few changed rows of an aligned pair, the ids of those
	 * rows only (fw_rg_column_rows): sparse_rows[i]'s id is row i of
	 * sparse, looked up in emission order from sparse_at. */
	fw_column *sparse;
	uint32_t *sparse_rows, nsparse, sparse_at;
};

struct ajob;

struct dctx {
	fw_store *s;
	fw_diff_opts *o;
	int (*cb)(void *arg, const fw_diff_entry *e);
	void *arg;
	struct side a, b;
	fw_diff_field *f;
	size_t fcap;
	/* Aligned row-group pairs compared on a pool (NULL: inline), oldest
	 * first; their records are passed to cb in order, before any other. */
	fw_pool *pool;
	struct ajob **jobs;
	size_t njobs, jobcap, window;
	struct ajob *open;	/* the last of jobs, still taking pairs */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static int
push(struct side *sd, const fw_ptree_child *c, int height)
{
	if (sd->n == sd->cap) {
		size_t cap = sd->cap ? sd->cap * 2 : 64;
		struct item *v = realloc(sd->st, cap * sizeof(*v));
		if (v == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		sd->st = v;
		sd->cap = cap;
	}
	sd->st[sd->n].c = *c;
	sd->st[sd->n].height = height;
	sd->n++;
	return 0;
}

/* Replaces the top subtree by its children. */
static int
expand(struct side *sd)
{
	struct item it = sd->st[--sd->n];
	fw_ptree_loaded l;
	int rc;

	if ((rc = fw_ptree_node_load(&sd->t, &it.c.oid, &l)) < 0)
		return rc;
	for (uint32_t i = l.n; i > 0 && rc == 0; i--)
		rc = push(sd, &l.children[i - 1], it.height - 1);
	fw_ptree_loaded_release(&sd->t, &l);
	return rc;
}

static void
unload(struct side *sd)
{
	free(sd->cols);
	sd->cols = NULL;
	sd->ids = NULL;
	sd->have_ids = 0;
	fw_column_release(sd->sparse);
	free(sd->sparse);
	free(sd->sparse_rows);
	sd->sparse = NULL;
	sd->sparse_rows = NULL;
	sd->nsparse = sd->sparse_at = 0;
	fw_rg_release(&sd->rg);
	sd->loaded = 0;
	sd->pos = 0;
}

/* Opens subtrees down to the leftmost leaf and loads it. */
static int
load_next(struct dctx *c, struct side *sd)
{
	int rc;

	while (sd->n && sd->st[sd->n - 1].height > 0)
		if ((rc = expand(sd)) < 0)
			return rc;
	if (sd->n == 0)
		return 0;
	sd->n--;
	if ((rc = fw_rg_load(c->s->os, &sd->rg, &sd->st[sd->n].c.oid, 0)) < 0)
		return rc;
	if ((sd->cols = calloc(sd->rg.ncols + 1, sizeof(*sd->cols))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	sd->loaded = 1;
	sd->pos = 0;
	c->o->groups_read++;
	return 0;
}

/* The row keys of the loaded row group, read when first needed: two row
 * groups with the same keys object are compared without them. */
static int
need_keys(struct dctx *c, struct side *sd)
{
	fw_buf b = FW_BUF_INIT;
	int rc;

	if (sd->rg.keys)
		return 0;
	if ((rc = fw_obj_get(c->s->os, &b, &sd->rg.keys_oid, "rk")) < 0)
		goto done;
	if (b.len != (size_t)sd->rg.n * 16) {
		rc = fw_error_set(FW_ECORRUPT, "row keys object has the wrong size");
		goto done;
	}
	sd->rg.keys = (uint8_t *)fw_buf_detach(&b, NULL);
done:
	fw_buf_release(&b);
	return rc < 0 ? rc : 0;
}

static int
col(struct dctx *c, struct side *sd, size_t k, fw_column **out)
{
	if (sd->cols[k] == NULL) {
		int rc = fw_rg_column(c->s->os, &sd->rg, sd->rg.cols[k].name, &sd->cols[k]);
		if (rc < 0)
			return rc;
	}
	*out = sd->cols[k];
	return 0;
}

static int
field_slot(struct dctx *c, size_t n)
{
	if (n < c->fcap)
		return 0;
	size_t cap = c->fcap ? c->fcap * 2 : 64;
	while (cap <= n)
		cap *= 2;
	fw_diff_field *f = realloc(c->f, cap * sizeof(*f));
	if (f == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	c->f = f;
	c->fcap = cap;
	return 0;
}

static int
row_id(struct dctx *c, struct side *sd, uint32_t r, fw_diff_entry *e)
{
	if (c->o->no_ids && !c->o->by_id) {
		e->id = "";
		e->idlen = 0;
		return 0;
	}
	if (!sd->have_ids && sd->sparse) {
		while (sd->sparse_at < sd->nsparse && sd->sparse_rows[sd->sparse_at] < r)
			sd->sparse_at++;
		if (sd->sparse_at < sd->nsparse && sd->sparse_rows[sd->sparse_at] == r) {
			const fw_column *x = sd->sparse;
			uint32_t i = sd->sparse_at;
			e->id = x->kind[i] == FW_KIND_STRING ? x->data + x->off[i] : "";
			e->idlen = x->kind[i] == FW_KIND_STRING ? x->off[i + 1] - x->off[i] : 0;
			return 0;
		}
	}
	if (!sd->have_ids) {
		size_t k = fw_rg_find(&sd->rg, "id");
		int rc = k == (size_t)-1 ? 0 : col(c, sd, k, &sd->ids);
		if (rc < 0)
			return rc;
		sd->have_ids = 1;
	}
	if (sd->ids && sd->ids->kind[r] == FW_KIND_STRING) {
		e->id = sd->ids->data + sd->ids->off[r];
		e->idlen = sd->ids->off[r + 1] - sd->ids->off[r];
	} else {
		e->id = "";
		e->idlen = 0;
	}
	return 0;
}

static int drain(struct dctx *c, size_t keep);

/* Passes a record to the caller, after those of pairs still on the pool. */
static int
emit(struct dctx *c, const fw_diff_entry *e)
{
	int rc;

	if (c->njobs && (rc = drain(c, 0)) != 0)
		return rc;
	return c->cb(c->arg, e);
}

/* The row key of row r, unless the caller said it does not need it. */
static int
row_key(struct dctx *c, struct side *sd, uint32_t r, fw_diff_entry *e)
{
	int rc;

	if (c->o->no_keys && !c->o->by_id && sd->rg.keys == NULL)
		return 0;
	if ((rc = need_keys(c, sd)) < 0)
		return rc;
	memcpy(e->key, sd->rg.keys + (size_t)r * 16, 16);
	return 0;
}

/* A record added ('+', from side b) or removed ('-', side a), whole. */
static int
emit_whole(struct dctx *c, char op, struct side *sd, uint32_t r)
{
	fw_diff_entry e = { .op = op };
	size_t n = 0;
	int rc;

	if ((rc = row_id(c, sd, r, &e)) < 0 || (rc = row_key(c, sd, r, &e)) < 0)
		return rc;
	for (size_t k = 0; k < sd->rg.ncols; k++) {
		fw_column *cl;
		if ((rc = col(c, sd, k, &cl)) < 0 || (rc = field_slot(c, n)) < 0)
			return rc;
		if (cl->kind[r] == FW_KIND_MISSING)
			continue;
		fw_diff_field *f = &c->f[n++];
		memset(f, 0, sizeof(*f));
		f->name = sd->rg.cols[k].name;
		if (op == '+') {
			f->new_kind = cl->kind[r];
			f->new_val = cl->data + cl->off[r];
			f->new_len = cl->off[r + 1] - cl->off[r];
		} else {
			f->old_kind = cl->kind[r];
			f->old_val = cl->data + cl->off[r];
			f->old_len = cl->off[r + 1] - cl->off[r];
		}
	}
	e.fields = c->f;
	e.nfields = n;
	return emit(c, &e);
}

/* Adds a changed field when the values differ. */
static int
cmp_field(struct dctx *c, size_t *n, const char *name, fw_column *x, uint32_t rx,
    fw_column *y, uint32_t ry)
{
	uint8_t kx = x ? x->kind[rx] : FW_KIND_MISSING, ky = y ? y->kind[ry] : FW_KIND_MISSING;
	uint32_t lx = x ? x->off[rx + 1] - x->off[rx] : 0, ly = y ? y->off[ry + 1] - y->off[ry] : 0;
	const char *px = x ? x->data + x->off[rx] : NULL, *py = y ? y->data + y->off[ry] : NULL;
	int rc;

	if (kx == ky && lx == ly && (lx == 0 || memcmp(px, py, lx) == 0))
		return 0;
	if ((rc = field_slot(c, *n)) < 0)
		return rc;
	fw_diff_field *f = &c->f[(*n)++];
	f->name = name;
	f->old_kind = kx;
	f->old_val = px;
	f->old_len = lx;
	f->new_kind = ky;
	f->new_val = py;
	f->new_len = ly;
	return 0;
}

/* Compares row ra of a with row rb of b; skip_same: the row groups hold the
 * same keys, so columns with equal object ids are equal. */
static int
emit_pair(struct dctx *c, uint32_t ra, uint32_t rb, int skip_same)
{
	struct side *a = &c->a, *b = &c->b;
	fw_diff_entry e = { .op = '~' };
	size_t n = 0;
	int rc;

	for (size_t k = 0; k < a->rg.ncols; k++) {
		size_t j = fw_rg_find(&b->rg, a->rg.cols[k].name);
		fw_column *x, *y = NULL;
		if (skip_same && j != (size_t)-1 &&
		    memcmp(a->rg.cols[k].oid.id, b->rg.cols[j].oid.id, 32) == 0)
			continue;
		if ((rc = col(c, a, k, &x)) < 0 || (j != (size_t)-1 && (rc = col(c, b, j, &y)) < 0))
			return rc;
		if ((rc = cmp_field(c, &n, a->rg.cols[k].name, x, ra, y, rb)) < 0)
			return rc;
	}
	for (size_t j = 0; j < b->rg.ncols; j++) {
		fw_column *y;
		if (fw_rg_find(&a->rg, b->rg.cols[j].name) != (size_t)-1)
			continue;
		if ((rc = col(c, b, j, &y)) < 0 ||
		    (rc = cmp_field(c, &n, b->rg.cols[j].name, NULL, 0, y, rb)) < 0)
			return rc;
	}
	if (n == 0)
		return 0;
	if ((rc = row_id(c, b, rb, &e)) < 0 || (rc = row_key(c, b, rb, &e)) < 0)
		return rc;
	e.fields = c->f;
	e.nfields = n;
	return emit(c, &e);
}

/* A pair whose changed rows (rows[0..m), ascending) are few takes their
 * ids alone (their records' ids, which emit_pair prints), not the whole id
 * column: 1,000 relabels spread over 500 row groups need two ids in each,
 * and decoding every id of the corpus was a third of that diff. A pair
 * that changed more rows, or whose ids are decoded already, reads them as
 * before. */
#define SPARSE_IDS 8	/* at most 1 row in this many */

static int
sparse_ids(struct dctx *c, struct side *sd, const uint32_t *rows, uint32_t m)
{
	size_t k;
	int rc;

	if ((c->o->no_ids && !c->o->by_id) || sd->have_ids || sd->sparse || m == 0 ||
	    m > sd->rg.n / SPARSE_IDS || (k = fw_rg_find(&sd->rg, "id")) == (size_t)-1 ||
	    sd->cols[k] != NULL)
		return 0;
	if ((sd->sparse_rows = malloc(m * sizeof(*sd->sparse_rows))) == NULL ||
	    (sd->sparse = calloc(1, sizeof(*sd->sparse))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	memcpy(sd->sparse_rows, rows, m * sizeof(*rows));
	if ((rc = fw_rg_column_rows(c->s->os, &sd->rg, "id", sd->sparse_rows, m, sd->sparse)) < 0) {
		free(sd->sparse);
		sd->sparse = NULL;
		return rc;
	}
	sd->nsparse = m;
	sd->sparse_at = 0;
	return 0;
}

/* The changed rows of an aligned pair: a mark per row and the list of
 * marked rows (most pairs of a spread relabel have two of ~2,000). */
struct rowset {
	uint8_t *mark;
	uint32_t *list, n, cap;
	int sorted;
};

static int
rowset_add(struct rowset *rs, uint32_t r)
{
	if (rs->mark[r])
		return 0;
	if (rs->n == rs->cap) {
		uint32_t cap = rs->cap ? rs->cap * 2 : 16;
		uint32_t *l = realloc(rs->list, cap * sizeof(*l));
		if (l == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		rs->list = l;
		rs->cap = cap;
	}
	rs->sorted &= rs->n == 0 || rs->list[rs->n - 1] < r;
	rs->mark[r] = 1;
	rs->list[rs->n++] = r;
	return 0;
}

static int
cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

/* Two row groups with the same keys: only columns whose ids differ are read,
 * and only rows where one of them differs are compared whole. */
static int
aligned(struct dctx *c)
{
	struct side *a = &c->a, *b = &c->b;
	struct rowset rs = { .mark = calloc(a->rg.n + 1, 1), .sorted = 1 };
	int rc = 0;

	if (rs.mark == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	for (size_t k = 0; k < a->rg.ncols && rc == 0; k++) {
		size_t j = fw_rg_find(&b->rg, a->rg.cols[k].name);
		fw_column *x, *y = NULL;
		if (j != (size_t)-1 && memcmp(a->rg.cols[k].oid.id, b->rg.cols[j].oid.id, 32) == 0) {
			c->o->columns_skipped++;
			continue;
		}
		if ((rc = col(c, a, k, &x)) < 0 || (j != (size_t)-1 && (rc = col(c, b, j, &y)) < 0))
			break;
		uint32_t n = a->rg.n;
		int lay = fw_column_same_layout(x, y, n);
		for (uint32_t r = fw_column_next_diff(x, y, 0, n, lay); r < n && rc == 0;
		    r = fw_column_next_diff(x, y, r + 1, n, lay))
			rc = rowset_add(&rs, r);
	}
	for (size_t j = 0; j < b->rg.ncols && rc == 0; j++) {
		fw_column *y;
		if (fw_rg_find(&a->rg, b->rg.cols[j].name) != (size_t)-1)
			continue;
		if ((rc = col(c, b, j, &y)) < 0)
			break;
		for (uint32_t r = 0; r < b->rg.n && rc == 0; r++)
			if (y->kind[r] != FW_KIND_MISSING)
				rc = rowset_add(&rs, r);
	}
	if (rc == 0 && !rs.sorted)	/* rows from several columns */
		qsort(rs.list, rs.n, sizeof(*rs.list), cmp_u32);
	if (rc == 0)
		rc = sparse_ids(c, b, rs.list, rs.n);
	for (uint32_t i = 0; i < rs.n && rc == 0; i++)
		rc = emit_pair(c, rs.list[i], rs.list[i], 1);
	free(rs.mark);
	free(rs.list);
	a->pos = a->rg.n;
	b->pos = b->rg.n;
	return rc;
}

/*
 * A pair of row groups with the same keys, compared on the pool by aligned()
 * in a context of its own: its records (and their fields, which point into
 * its decoded columns) are kept until the main thread passes them on.
 */
/* Pairs a job compares: one handoff to the pool and back for this many,
 * not one a pair (a spread relabel makes ~500 pairs of small work each,
 * and on two cores the wake-ups cost as much as the work). */
#define BATCH 8

struct ajob {
	struct dctx jc[BATCH];	/* one context a pair */
	size_t npairs;
	fw_diff_opts o;
	fw_diff_entry *e;
	size_t ne, cape;
	fw_diff_field *f;	/* every entry's fields, one after another */
	size_t nf, capf;
	struct dctx *parent;
	int rc, done;
	char err[1024];
};

static int
job_collect(void *arg, const fw_diff_entry *e)
{
	struct ajob *j = arg;

	if (j->ne == j->cape) {
		size_t cap = j->cape ? j->cape * 2 : 16;
		fw_diff_entry *v = realloc(j->e, cap * sizeof(*v));
		if (v == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		j->e = v;
		j->cape = cap;
	}
	while (j->nf + e->nfields > j->capf) {
		size_t cap = j->capf ? j->capf * 2 : 64;
		fw_diff_field *v = realloc(j->f, cap * sizeof(*v));
		if (v == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		j->f = v;
		j->capf = cap;
	}
	memcpy(j->f + j->nf, e->fields, e->nfields * sizeof(*e->fields));
	j->e[j->ne] = *e;
	j->e[j->ne].fields = (const fw_diff_field *)(uintptr_t)j->nf;	/* an offset until passed on */
	j->ne++;
	j->nf += e->nfields;
	return 0;
}

static void
job_run(void *arg)
{
	struct ajob *j = arg;
	struct dctx *c = j->parent;

	j->rc = 0;
	for (size_t k = 0; k < j->npairs && j->rc == 0; k++)
		j->rc = aligned(&j->jc[k]);
	if (j->rc < 0)
		snprintf(j->err, sizeof(j->err), "%s", fw_error_last());
	pthread_mutex_lock(&c->mu);
	j->done = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void
job_free(struct ajob *j)
{
	for (size_t k = 0; k < j->npairs; k++) {
		unload(&j->jc[k].a);
		unload(&j->jc[k].b);
		free(j->jc[k].f);
	}
	free(j->e);
	free(j->f);
	free(j);
}

/* Passes on the records of the oldest pairs until keep are left. */
static int
drain(struct dctx *c, size_t keep)
{
	int rc = 0;

	if (c->open) {		/* the batch still open goes to the pool now */
		struct ajob *j = c->open;
		c->open = NULL;
		if ((rc = fw_pool_submit(c->pool, job_run, j)) < 0)
			return rc;
	}
	while (c->njobs > keep && rc == 0) {
		struct ajob *j = c->jobs[0];
		pthread_mutex_lock(&c->mu);
		while (!j->done)
			pthread_cond_wait(&c->cv, &c->mu);
		pthread_mutex_unlock(&c->mu);
		memmove(c->jobs, c->jobs + 1, (c->njobs - 1) * sizeof(*c->jobs));
		c->njobs--;
		c->o->columns_skipped += j->o.columns_skipped;
		if (j->rc < 0)
			rc = fw_error_set(j->rc, "%s", j->err);
		for (size_t i = 0; i < j->ne && rc == 0; i++) {
			j->e[i].fields = j->f + (uintptr_t)j->e[i].fields;
			rc = c->cb(c->arg, &j->e[i]);
		}
		job_free(j);
	}
	return rc;
}

/* Waits for every pair on the pool and drops what they found. */
static void
jobs_cancel(struct dctx *c)
{
	fw_pool_free(c->pool);
	c->pool = NULL;
	c->open = NULL;		/* never submitted: freed with the others */
	for (size_t i = 0; i < c->njobs; i++)
		job_free(c->jobs[i]);
	c->njobs = 0;
	free(c->jobs);
	c->jobs = NULL;
}

/* Adds the two loaded row groups to the open batch of pairs (a new one
 * when none is open), which goes to the pool when full; the sides go on
 * unloaded. */
static int
aligned_async(struct dctx *c)
{
	struct ajob *j = c->open;
	int rc;

	if (j == NULL) {
		if (c->njobs >= c->window && (rc = drain(c, c->window - 1)) != 0)
			return rc;
		if (c->njobs == c->jobcap) {
			size_t cap = c->jobcap ? c->jobcap * 2 : 16;
			struct ajob **v = realloc(c->jobs, cap * sizeof(*v));
			if (v == NULL)
				return fw_error_set(FW_ENOMEM, "out of memory");
			c->jobs = v;
			c->jobcap = cap;
		}
		if ((j = calloc(1, sizeof(*j))) == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		j->parent = c;
		j->o = *c->o;
		j->o.columns_skipped = 0;
		c->jobs[c->njobs++] = j;
		c->open = j;
	}
	struct dctx *jc = &j->jc[j->npairs++];
	jc->s = c->s;
	jc->o = &j->o;
	jc->cb = job_collect;
	jc->arg = j;
	jc->a.rg = c->a.rg;
	jc->a.cols = c->a.cols;
	jc->a.loaded = 1;
	jc->b.rg = c->b.rg;
	jc->b.cols = c->b.cols;
	jc->b.loaded = 1;
	for (struct side *sd = &c->a; sd; sd = sd == &c->a ? &c->b : NULL) {
		memset(&sd->rg, 0, sizeof(sd->rg));
		sd->cols = NULL;
		sd->ids = NULL;
		sd->have_ids = 0;
		sd->loaded = 0;
		sd->pos = 0;
	}
	if (j->npairs < BATCH)
		return 0;
	c->open = NULL;
	return fw_pool_submit(c->pool, job_run, j);
}

/* Merges the rows of the two loaded row groups until one is used up. */
static int
merge_rows(struct dctx *c)
{
	struct side *a = &c->a, *b = &c->b;
	int rc = 0;

	if (a->pos == 0 && b->pos == 0 && a->rg.n == b->rg.n &&
	    memcmp(a->rg.keys_oid.id, b->rg.keys_oid.id, 32) == 0)
		return c->pool ? aligned_async(c) : aligned(c);
	if ((rc = need_keys(c, a)) < 0 || (rc = need_keys(c, b)) < 0)
		return rc;
	while (rc == 0 && a->pos < a->rg.n && b->pos < b->rg.n) {
		int cmp = memcmp(a->rg.keys + (size_t)a->pos * 16, b->rg.keys + (size_t)b->pos * 16, 16);
		if (cmp < 0)
			rc = emit_whole(c, '-', a, a->pos++);
		else if (cmp > 0)
			rc = emit_whole(c, '+', b, b->pos++);
		else {
			rc = emit_pair(c, a->pos, b->pos, 0);
			a->pos++;
			b->pos++;
		}
	}
	return rc;
}

static int
tree_diff(struct dctx *c, const fw_roots *ra, const fw_roots *rb)
{
	struct side *a = &c->a, *b = &c->b;
	int rc = 0;

	if (!ra->data.empty && (rc = push(a, &ra->data.top, ra->data.height)) < 0)
		return rc;
	if (!rb->data.empty && (rc = push(b, &rb->data.top, rb->data.height)) < 0)
		return rc;
	for (;;) {
		if (a->loaded && a->pos >= a->rg.n)
			unload(a);
		if (b->loaded && b->pos >= b->rg.n)
			unload(b);
		if (!a->loaded && !b->loaded) {
			if (a->n == 0 && b->n == 0)
				return drain(c, 0);
			if (a->n && b->n) {
				struct item *x = &a->st[a->n - 1], *y = &b->st[b->n - 1];
				if (x->height == y->height &&
				    memcmp(x->c.oid.id, y->c.oid.id, 32) == 0) {
					a->n--;
					b->n--;
					c->o->subtrees_skipped++;
					continue;
				}
				if (x->height > 0 || y->height > 0) {
					int hx = x->height, hy = y->height;
					if (hx >= hy && (rc = expand(a)) < 0)
						return rc;
					if (hy >= hx && (rc = expand(b)) < 0)
						return rc;
					continue;
				}
			}
		}
		if (!a->loaded && a->n && (rc = load_next(c, a)) < 0)
			return rc;
		if (!b->loaded && b->n && (rc = load_next(c, b)) < 0)
			return rc;
		if (a->loaded && b->loaded)
			rc = merge_rows(c);
		else if (a->loaded)
			while (rc == 0 && a->pos < a->rg.n)
				rc = emit_whole(c, '-', a, a->pos++);
		else if (b->loaded)
			while (rc == 0 && b->pos < b->rg.n)
				rc = emit_whole(c, '+', b, b->pos++);
		if (rc != 0)
			return rc;
	}
}

/* --- two corpora: rows matched by id --- */

struct idrow {
	const char *id;
	uint32_t idlen;
	uint32_t leaf, row;
};

struct idside {
	fw_rg *rgs;
	fw_column ***cols;
	size_t nrg, caprg;
	struct idrow *rows;
	size_t n, cap;
	fw_store *s;
};

static int
idside_leaf(void *arg, const fw_ptree_child *leaf)
{
	struct idside *is = arg;
	fw_column *ids;
	int rc;

	if (is->nrg == is->caprg) {
		size_t cap = is->caprg ? is->caprg * 2 : 64;
		fw_rg *v = realloc(is->rgs, cap * sizeof(*v));
		fw_column ***w = v ? realloc(is->cols, cap * sizeof(*w)) : NULL;
		if (v)
			is->rgs = v;
		if (w == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		is->cols = w;
		is->caprg = cap;
	}
	fw_rg *rg = &is->rgs[is->nrg];
	if ((rc = fw_rg_load(is->s->os, rg, &leaf->oid, 1)) < 0)
		return rc;
	is->cols[is->nrg] = calloc(rg->ncols + 1, sizeof(fw_column *));
	is->nrg++;
	if (is->cols[is->nrg - 1] == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	for (size_t k = 0; k < rg->ncols; k++)
		if ((rc = fw_rg_column(is->s->os, rg, rg->cols[k].name,
		    &is->cols[is->nrg - 1][k])) < 0)
			return rc;
	if ((rc = fw_rg_column(is->s->os, rg, "id", &ids)) < 0)
		return rc;
	for (uint32_t r = 0; r < rg->n; r++) {
		if (is->n == is->cap) {
			size_t cap = is->cap ? is->cap * 2 : 1024;
			struct idrow *v = realloc(is->rows, cap * sizeof(*v));
			if (v == NULL)
				return fw_error_set(FW_ENOMEM, "out of memory");
			is->rows = v;
			is->cap = cap;
		}
		struct idrow *ir = &is->rows[is->n++];
		ir->id = ids ? ids->data + ids->off[r] : "";
		ir->idlen = ids ? ids->off[r + 1] - ids->off[r] : 0;
		ir->leaf = (uint32_t)(is->nrg - 1);
		ir->row = r;
	}
	return 0;
}

static int
idrow_cmp(const void *x, const void *y)
{
	const struct idrow *a = x, *b = y;
	size_t n = a->idlen < b->idlen ? a->idlen : b->idlen;
	int c = memcmp(a->id, b->id, n);

	return c ? c : (a->idlen > b->idlen) - (a->idlen < b->idlen);
}

static void
idside_release(struct idside *is)
{
	for (size_t i = 0; i < is->nrg; i++) {
		free(is->cols[i]);
		fw_rg_release(&is->rgs[i]);
	}
	free(is->rgs);
	free(is->cols);
	free(is->rows);
}

/* Points side sd at one row group of an idside (borrowed, not owned). */
static void
borrow(struct side *sd, struct idside *is, uint32_t leaf)
{
	sd->rg = is->rgs[leaf];
	sd->cols = is->cols[leaf];
	sd->ids = NULL;
	sd->have_ids = 1;
	for (size_t k = 0; k < sd->rg.ncols; k++)
		if (strcmp(sd->rg.cols[k].name, "id") == 0)
			sd->ids = sd->cols[k];
}

static int
id_diff(struct dctx *c, const fw_roots *ra, const fw_roots *rb)
{
	struct idside xa = { .s = c->s }, xb = { .s = c->s };
	fw_ptree t;
	size_t i = 0, j = 0;
	int rc;

	fw_data_tree_init(&t, c->s->os, NULL);
	if ((rc = fw_ptree_walk_leaves(&t, &ra->data, NULL, NULL, idside_leaf, &xa)) < 0 ||
	    (rc = fw_ptree_walk_leaves(&t, &rb->data, NULL, NULL, idside_leaf, &xb)) < 0)
		goto done;
	c->o->groups_read += xa.nrg + xb.nrg;
	if (xa.n > 1)
		qsort(xa.rows, xa.n, sizeof(*xa.rows), idrow_cmp);
	if (xb.n > 1)
		qsort(xb.rows, xb.n, sizeof(*xb.rows), idrow_cmp);
	while (rc == 0 && (i < xa.n || j < xb.n)) {
		int cmp = i == xa.n ? 1 : j == xb.n ? -1 : idrow_cmp(&xa.rows[i], &xb.rows[j]);
		if (cmp < 0) {
			borrow(&c->a, &xa, xa.rows[i].leaf);
			rc = emit_whole(c, '-', &c->a, xa.rows[i++].row);
		} else if (cmp > 0) {
			borrow(&c->b, &xb, xb.rows[j].leaf);
			rc = emit_whole(c, '+', &c->b, xb.rows[j++].row);
		} else {
			borrow(&c->a, &xa, xa.rows[i].leaf);
			borrow(&c->b, &xb, xb.rows[j].leaf);
			rc = emit_pair(c, xa.rows[i++].row, xb.rows[j++].row, 0);
		}
	}
done:
	/* the borrowed row groups belong to xa and xb */
	memset(&c->a.rg, 0, sizeof(c->a.rg));
	memset(&c->b.rg, 0, sizeof(c->b.rg));
	c->a.cols = c->b.cols = NULL;
	idside_release(&xa);
	idside_release(&xb);
	return rc;
}

int
fw_diff(fw_store *s, const fw_rev *a, const fw_rev *b, fw_diff_opts *o,
    int (*cb)(void *arg, const fw_diff_entry *e), void *arg)
{
	struct dctx c;
	fw_roots ra, rb;
	int rc;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.o = o;
	c.cb = cb;
	c.arg = arg;
	if ((rc = fw_version_read(s, a->commit, NULL, &ra)) < 0 || (rc = fw_version_read(s, b->commit, NULL, &rb)) < 0)
		return rc;
	fw_data_tree_init(&c.a.t, s->os, NULL);
	fw_data_tree_init(&c.b.t, s->os, NULL);
	if (o->by_id || strcmp(a->corpus, b->corpus) != 0)
		rc = id_diff(&c, &ra, &rb);
	else {
		/* A few pairs in flight per thread: each holds its decoded
		 * columns until its records are passed on. */
		int nt = fw_pool_default_threads();
		pthread_mutex_init(&c.mu, NULL);
		pthread_cond_init(&c.cv, NULL);
		if (nt > 1 && fw_pool_new(&c.pool, nt, 2 * nt) == 0)
			c.window = 2 * (size_t)nt + 2;
		rc = tree_diff(&c, &ra, &rb);
		jobs_cancel(&c);
		pthread_cond_destroy(&c.cv);
		pthread_mutex_destroy(&c.mu);
	}
	unload(&c.a);
	unload(&c.b);
	free(c.a.st);
	free(c.b.st);
	free(c.f);
	return rc;
}
