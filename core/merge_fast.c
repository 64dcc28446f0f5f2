/*
 * A three-way merge done row group by row group, without the two record
 * diffs of core/merge_plan.c, for the common case of curation branches that
 * relabel or edit fields in place.
 *
 * It applies when neither side added, removed or moved a record since the
 * merge base (the three id indexes are one tree: the same ids at the same
 * row keys), both sides have the same schema, and the three data trees cut
 * the records into the same row groups (same last keys and counts at every
 * node). Then a row group is theirs' where only theirs changed it, ours'
 * where ours did (or both made it the same), and otherwise is merged column
 * by column: a column only one side changed is that side's object as it
 * is; a column both changed is decoded three times and merged row by row (a
 * value changed on one side takes that side, the same value on both is no
 * conflict). Only those columns, the header and, when a record's size
 * changed, the row sizes are written; the internal nodes above are rewritten
 * with fw_ptree_replace_leaves. The id index is ours'.
 *
 * It gives the merge plan's result byte for byte (the same columns in schema
 * order, the same statistics, sizes and row groups), and gives up (0: the
 * caller runs the general merge) at the first thing it does not handle: a
 * conflict, a record whose new size would move a row-group boundary, or trees
 * cut differently. Objects it wrote before giving up are unreferenced
 * garbage for fw gc.
 */
#include "internal.h"
#include "fw/error.h"
#include "merge_int.h"
#include "pool.h"
#include "ptree.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* With FW_VERBOSE set, the merge reports how long each phase took. */
static void
phase(const char *what, struct timespec *t)
{
	struct timespec n;

	clock_gettime(CLOCK_MONOTONIC, &n);
	if (getenv("FW_VERBOSE"))
		fprintf(stderr, "fw: merge: %-12s %.3f ms\n", what,
		    (double)(n.tv_sec - t->tv_sec) * 1e3 + (double)(n.tv_nsec - t->tv_nsec) / 1e6);
	*t = n;
}

/* One row group of the three versions that differ (same keys, same rows). */
struct leaf3 {
	fw_ptree_child b, o, t;
	int last;		/* the last leaf of the tree: no boundary after it */
	fw_ptree_child out;	/* the merged row group */
	int replaced;		/* out differs from ours */
	uint64_t modified;	/* rows whose record differs from ours' */
};

struct fctx {
	fw_objstore *os;
	const fw_schema *schema;
	fw_ptree dt;
	struct leaf3 *v;
	size_t n, cap;
	atomic_size_t next;
	atomic_int stop;	/* gave up or failed: the other workers stop */
	pthread_mutex_t mu;
	int rc;			/* the first error (<0) or give-up (1) */
	char err[1024];
};

static int
oom(void)
{
	return fw_error_set(FW_ENOMEM, "out of memory");
}

static int
same_oid(const fw_oid *a, const fw_oid *b)
{
	return fw_oid_cmp(a, b) == 0;
}

/* Lists the row groups where the three trees differ, under three nodes of
 * height h with the same key range; 1 when the trees are cut differently. */
static int
walk3(struct fctx *c, int h, const fw_ptree_child *b, const fw_ptree_child *o,
    const fw_ptree_child *t, int last)
{
	fw_ptree_loaded nb, no, nt;
	int rc;

	if (memcmp(b->key, o->key, 16) != 0 || memcmp(b->key, t->key, 16) != 0 ||
	    b->count != o->count || b->count != t->count)
		return 1;
	/* ours' where theirs changed nothing or made it ours */
	if (same_oid(&t->oid, &b->oid) || same_oid(&t->oid, &o->oid))
		return 0;
	if (h == 0) {
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 64;
			struct leaf3 *v = realloc(c->v, cap * sizeof(*v));
			if (v == NULL)
				return oom();
			c->v = v;
			c->cap = cap;
		}
		struct leaf3 *l = &c->v[c->n++];
		memset(l, 0, sizeof(*l));
		l->b = *b;
		l->o = *o;
		l->t = *t;
		l->last = last;
		return 0;
	}
	if ((rc = fw_ptree_node_load(&c->dt, &b->oid, &nb)) < 0)
		return rc;
	if ((rc = fw_ptree_node_load(&c->dt, &o->oid, &no)) < 0) {
		fw_ptree_loaded_release(&c->dt, &nb);
		return rc;
	}
	if ((rc = fw_ptree_node_load(&c->dt, &t->oid, &nt)) < 0)
		goto done;
	if (nb.n != no.n || nb.n != nt.n || nb.height != h || no.height != h || nt.height != h)
		rc = 1;
	for (uint32_t i = 0; i < nb.n && rc == 0; i++)
		rc = walk3(c, h - 1, &nb.children[i], &no.children[i], &nt.children[i],
		    last && i == nb.n - 1);
	fw_ptree_loaded_release(&c->dt, &nt);
done:
	fw_ptree_loaded_release(&c->dt, &nb);
	fw_ptree_loaded_release(&c->dt, &no);
	return rc;
}

/* Appends rows [from, from + count) of x (NULL: MISSING rows) to m. */
static int
append_run(fw_column *m, const fw_column *x, uint32_t from, uint32_t count)
{
	int rc = 0;

	if (x)
		return fw_column_append_rows(m, x, from, count);
	for (uint32_t i = 0; i < count && rc == 0; i++)
		rc = fw_column_append(m, FW_KIND_MISSING, NULL, 0);
	return rc;
}

/* What a field counts in its record's size (fw_fields_size). */
static int64_t
contrib(const fw_column *x, uint32_t r, size_t namelen)
{
	if (x == NULL || x->kind[r] == FW_KIND_MISSING)
		return 0;
	return (int64_t)namelen + (x->off[r + 1] - x->off[r]) + 2;
}

static int
header_cols_known(const struct fctx *c, const fw_rg *rg)
{
	for (size_t k = 0; k < rg->ncols; k++)
		if (fw_schema_find(c->schema, rg->cols[k].name, strlen(rg->cols[k].name)) < 0)
			return 0;
	return 1;
}

/* Rows of the only-theirs row group l that differ from ours (the base). */
static int
count_theirs(struct fctx *c, struct leaf3 *l)
{
	fw_rg rb, rt;
	uint8_t *mark = NULL;
	int rc;

	memset(&rt, 0, sizeof(rt));
	if ((rc = fw_rg_load(c->os, &rb, &l->b.oid, 0)) < 0)
		return rc;
	if ((rc = fw_rg_load(c->os, &rt, &l->t.oid, 0)) < 0)
		goto done;
	if (rb.n != rt.n || !same_oid(&rb.keys_oid, &rt.keys_oid)) {
		rc = 1;
		goto done;
	}
	if ((mark = calloc(rb.n, 1)) == NULL) {
		rc = oom();
		goto done;
	}
	for (size_t k = 0; k < c->schema->ncols && rc == 0; k++) {
		const char *name = c->schema->cols[k].name;
		size_t kb = fw_rg_find(&rb, name), kt = fw_rg_find(&rt, name);
		fw_column *xb = NULL, *xt = NULL;
		if (kb == (size_t)-1 && kt == (size_t)-1)
			continue;
		if (kb != (size_t)-1 && kt != (size_t)-1 &&
		    same_oid(&rb.cols[kb].oid, &rt.cols[kt].oid))
			continue;
		if ((rc = fw_rg_column(c->os, &rb, name, &xb)) < 0 ||
		    (rc = fw_rg_column(c->os, &rt, name, &xt)) < 0)
			break;
		int lay = fw_column_same_layout(xb, xt, rb.n);
		for (uint32_t r = fw_column_next_diff(xb, xt, 0, rb.n, lay); r < rb.n;
		    r = fw_column_next_diff(xb, xt, r + 1, rb.n, lay))
			if (!mark[r]) {
				mark[r] = 1;
				l->modified++;
			}
	}
	if (rc == 0) {
		l->out = l->t;
		l->replaced = 1;
	}
done:
	free(mark);
	fw_rg_release(&rb);
	fw_rg_release(&rt);
	return rc;
}

/* Merges the row group both sides changed: 0 and l->out, 1 to give up. */
static int
merge_group(struct fctx *c, struct leaf3 *l)
{
	fw_rg g[3], ok;		/* base, ours, theirs; ours with keys and sizes */
	fw_rg_col *cols = NULL;
	const char **names = NULL;
	fw_column *merged = NULL;
	int64_t *delta = NULL;
	uint8_t *mark = NULL;
	size_t ncols = 0, nmerged = 0;
	uint64_t stored = 0, hstored = 0, sstored, bytes = l->o.bytes;
	fw_oid soid;
	fw_buf b = FW_BUF_INIT;
	int rc = 0, sizes_changed = 0;
	uint32_t n;

	memset(g, 0, sizeof(g));
	memset(&ok, 0, sizeof(ok));
	for (int s = 0; s < 3 && rc == 0; s++)
		rc = fw_rg_load(c->os, &g[s], s == 0 ? &l->b.oid : s == 1 ? &l->o.oid : &l->t.oid, 0);
	if (rc < 0)
		goto done;
	n = g[1].n;
	if (g[0].n != n || g[2].n != n || !same_oid(&g[0].keys_oid, &g[1].keys_oid) ||
	    !same_oid(&g[2].keys_oid, &g[1].keys_oid) || !header_cols_known(c, &g[0]) ||
	    !header_cols_known(c, &g[1]) || !header_cols_known(c, &g[2])) {
		rc = 1;
		goto done;
	}
	size_t nc = c->schema->ncols;
	if ((cols = calloc(nc + 1, sizeof(*cols))) == NULL ||
	    (names = calloc(nc + 1, sizeof(*names))) == NULL ||
	    (merged = calloc(nc + 1, sizeof(*merged))) == NULL ||
	    (delta = calloc(n, sizeof(*delta))) == NULL || (mark = calloc(n, 1)) == NULL) {
		rc = oom();
		goto done;
	}
	for (size_t k = 0; k < nc && rc == 0; k++) {
		const char *name = c->schema->cols[k].name;
		size_t namelen = strlen(name), at[3];
		const fw_rg_col *e[3];
		for (int s = 0; s < 3; s++) {
			at[s] = fw_rg_find(&g[s], name);
			e[s] = at[s] == (size_t)-1 ? NULL : &g[s].cols[at[s]];
		}
#define SAME(x, y) ((e[x] == NULL && e[y] == NULL) || \
	(e[x] && e[y] && same_oid(&e[x]->oid, &e[y]->oid)))
		const fw_rg_col *take = NULL;
		fw_column *xb = NULL, *xo = NULL, *xt = NULL;
		int pick;	/* 1 ours, 2 theirs, 0 merged */
		if (SAME(1, 2) || SAME(2, 0))
			pick = 1;
		else if (SAME(1, 0))
			pick = 2;
		else
			pick = 0;
#undef SAME
		if (pick == 1) {
			take = e[1];
		} else {
			if ((pick == 0 && (rc = fw_rg_column(c->os, &g[0], name, &xb)) < 0) ||
			    (rc = fw_rg_column(c->os, &g[1], name, &xo)) < 0 ||
			    (rc = fw_rg_column(c->os, &g[2], name, &xt)) < 0)
				break;
			if (pick == 2) {
				take = e[2];
				int lay = fw_column_same_layout(xo, xt, n);
				for (uint32_t r = fw_column_next_diff(xo, xt, 0, n, lay); r < n;
				    r = fw_column_next_diff(xo, xt, r + 1, n, lay)) {
					mark[r] = 1;
					delta[r] += contrib(xt, r, namelen) - contrib(xo, r, namelen);
				}
			} else {
				fw_column *m = &merged[nmerged++];
				int present = 0, from_theirs = 0;
				uint32_t run = 0;	/* ours' rows from here on */
				int lay = fw_column_same_layout(xt, xb, n);
				/* The three alike but for bytes (relabels of one
				 * format): ours' column whole, theirs' rows copied
				 * over it; it stays uniform when ours' was. */
				int inplace = lay && fw_column_same_layout(xo, xb, n);
				fw_column_init(m, name, c->schema->cols[k].type);
				/* rows theirs kept are ours' */
				for (uint32_t r = fw_column_next_diff(xt, xb, 0, n, lay); r < n && rc == 0;
				    r = fw_column_next_diff(xt, xb, r + 1, n, lay)) {
					if (!fw_column_row_eq(xo, xb, r)) {
						if (fw_column_row_eq(xo, xt, r))
							continue;	/* the same change */
						rc = 1;	/* a conflict: the plan reports it */
						break;
					}
					/* only theirs changed it */
					mark[r] = 1;
					delta[r] += contrib(xt, r, namelen) - contrib(xo, r, namelen);
					if (inplace) {
						if (!from_theirs) {
							if ((rc = append_run(m, xo, 0, n)) < 0)
								break;
							m->uniform = xo->uniform;
						}
						memcpy(m->data + m->off[r], xt->data + xt->off[r],
						    xt->off[r + 1] - xt->off[r]);
					} else if ((rc = append_run(m, xo, run, r - run)) == 0) {
						rc = append_run(m, xt, r, 1);
					}
					from_theirs = 1;
					run = r + 1;
				}
				if (rc == 0 && from_theirs && !inplace)
					rc = append_run(m, xo, run, n - run);
				for (uint32_t r = 0; rc == 0 && from_theirs && !present && r < n; r++)
					present = m->kind[r] != FW_KIND_MISSING;
				if (rc != 0)
					break;
				if (!from_theirs) {
					take = e[1];
				} else if (present) {
					if ((rc = fw_column_put(c->os, m, &cols[ncols])) < 0)
						break;
					cols[ncols].type = c->schema->cols[k].type;
					names[ncols] = name;
					stored += cols[ncols++].stored;
				}
			}
		}
		if (take) {
			fw_rg_col_reuse(&cols[ncols], take, c->schema->cols[k].type);
			names[ncols] = name;
			stored += take->stored;
			ncols++;
		}
	}
	if (rc != 0)
		goto done;
	for (uint32_t r = 0; r < n; r++) {
		l->modified += mark[r];
		sizes_changed |= delta[r] != 0;
	}
	soid = g[1].sizes_oid;
	sstored = g[1].sizes_stored;
	if (sizes_changed) {
		/* New sizes: the chunker must cut this group where it is. */
		uint64_t cum = 0;
		if ((rc = fw_rg_load(c->os, &ok, &l->o.oid, 1)) < 0)
			goto done;
		if ((rc = fw_buf_grow(&b, (size_t)n * 5 + 11)) < 0)
			goto done;
		for (uint32_t r = 0; r < n; r++) {
			int64_t sz = (int64_t)ok.sizes[r] + delta[r];
			uint64_t before = cum;
			sz = sz < 0 ? 0 : sz > UINT32_MAX ? UINT32_MAX : sz;
			cum += (uint64_t)sz;
			int cut = fw_ptree_boundary(&c->dt, ok.keys + (size_t)r * 16, 0, before, cum);
			if ((r + 1 < n && cut) || (r + 1 == n && !cut && !l->last)) {
				rc = 1;
				goto done;
			}
			fw_buf_add_varint(&b, (uint64_t)sz);
		}
		bytes = cum;
		if ((rc = fw_obj_put(c->os, &soid, &sstored, "rs", b.data, b.len)) < 0)
			goto done;
	}
	if ((rc = fw_rg_header_put(c->os, &l->out.oid, &hstored, n, &g[1].keys_oid,
	    g[1].keys_stored, &soid, sstored, cols, names, ncols)) < 0)
		goto done;
	memcpy(l->out.key, l->o.key, 16);
	l->out.count = n;
	l->out.bytes = bytes;
	l->out.stored = stored + g[1].keys_stored + sstored + hstored;
	l->out.nent = n;
	l->replaced = !same_oid(&l->out.oid, &l->o.oid);
done:
	for (size_t k = 0; k < nmerged; k++)
		fw_column_release(&merged[k]);
	free(merged);
	free(cols);
	free(names);
	free(delta);
	free(mark);
	fw_buf_release(&b);
	for (int s = 0; s < 3; s++)
		fw_rg_release(&g[s]);
	fw_rg_release(&ok);
	return rc;
}

static void
work(void *arg)
{
	struct fctx *c = arg;

	while (!atomic_load(&c->stop)) {
		size_t i = atomic_fetch_add(&c->next, 1);
		if (i >= c->n)
			break;
		struct leaf3 *l = &c->v[i];
		int rc = same_oid(&l->o.oid, &l->b.oid) ? count_theirs(c, l) : merge_group(c, l);
		if (rc != 0) {
			pthread_mutex_lock(&c->mu);
			if (c->rc == 0 || (rc < 0 && c->rc > 0)) {
				c->rc = rc;
				if (rc < 0)
					snprintf(c->err, sizeof(c->err), "%s", fw_error_last());
			}
			pthread_mutex_unlock(&c->mu);
			atomic_store(&c->stop, 1);
		}
	}
}

static int
schema_same(const fw_schema *a, const fw_schema *b)
{
	if (a->strict != b->strict || a->ncols != b->ncols)
		return 0;
	for (size_t i = 0; i < a->ncols; i++)
		if (strcmp(a->cols[i].name, b->cols[i].name) != 0 ||
		    a->cols[i].type != b->cols[i].type || a->cols[i].required != b->cols[i].required)
			return 0;
	return 1;
}

int
fw_mfast_merge(fw_store *s, const char *corpus, const struct state *st, uint64_t *modified,
    git_oid *cid)
{
	fw_schema so, stt;
	fw_roots rb, ro, rt, nroots;
	struct fctx c;
	fw_pool *pool = NULL;
	fw_ptree_child *leaves = NULL;
	size_t nl = 0;
	struct timespec t0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	*modified = 0;
	memset(&so, 0, sizeof(so));
	memset(&stt, 0, sizeof(stt));
	memset(&c, 0, sizeof(c));
	pthread_mutex_init(&c.mu, NULL);
	if (getenv("FW_TEST_MERGE_BY_RECORDS")) {
		rc = 1;
		goto done;
	}
	if ((rc = fw_version_read(s, st->base, NULL, &rb)) < 0 ||
	    (rc = fw_version_read(s, st->ours, &so, &ro)) < 0 ||
	    (rc = fw_version_read(s, st->theirs, &stt, &rt)) < 0)
		goto done;
	rc = 1;
	/* the same ids at the same row keys, the same columns */
	if (rb.index.empty || ro.index.empty || rt.index.empty ||
	    !same_oid(&rb.index.top.oid, &ro.index.top.oid) ||
	    !same_oid(&rb.index.top.oid, &rt.index.top.oid) ||
	    rb.data.empty || ro.data.empty || rt.data.empty ||
	    rb.data.height != ro.data.height || rb.data.height != rt.data.height ||
	    !schema_same(&so, &stt))
		goto done;
	c.os = s->os;
	c.schema = &so;
	fw_data_tree_init(&c.dt, s->os, NULL);
	phase("versions", &t0);
	if ((rc = walk3(&c, rb.data.height, &rb.data.top, &ro.data.top, &rt.data.top, 1)) != 0)
		goto done;
	phase("walk", &t0);
	int nt = fw_pool_default_threads();
	if (nt > 1 && c.n > 1 && fw_pool_new(&pool, nt - 1, nt) == 0)
		for (int i = 0; i < nt - 1; i++)
			fw_pool_submit(pool, work, &c);
	work(&c);
	fw_pool_free(pool);
	phase("row groups", &t0);
	if (c.rc != 0) {
		rc = c.rc < 0 ? fw_error_set(c.rc, "%s", c.err) : 1;
		goto done;
	}
	if ((leaves = calloc(c.n + 1, sizeof(*leaves))) == NULL) {
		rc = oom();
		goto done;
	}
	for (size_t i = 0; i < c.n; i++) {
		*modified += c.v[i].modified;
		if (c.v[i].replaced)
			leaves[nl++] = c.v[i].out;
	}
	nroots = ro;
	if ((rc = fw_ptree_replace_leaves(&c.dt, &nroots.data, &ro.data, leaves, nl)) < 0)
		goto done;
	phase("nodes", &t0);
	fw_commit_apply ap = { .schema = &so, .roots = &ro, .result = &nroots };
	if ((rc = fw_mplan_apply(s, corpus, st, &ap, cid, &nroots)) < 0)
		goto done;
	phase("commit", &t0);
	rc = 0;
done:
	free(leaves);
	free(c.v);
	pthread_mutex_destroy(&c.mu);
	fw_schema_release(&so);
	fw_schema_release(&stt);
	return rc;
}
