/*
 * fw stats: figures of a version. Totals and per-column counts, nulls,
 * min/max/mean come from the DATA line and the row group headers (each
 * column's statistics), so they read no column. The reward histogram, the
 * message counts and the top sources need the values: those three columns
 * are decoded, and only those. With a filter, row groups its statistics rule
 * out are skipped, groups it selects whole still use their headers, and the
 * rest are scanned (the filter's columns, then every column, for the rows it
 * selects). docs/maintenance.md lists which figure costs what.
 */
#include "internal.h"
#include "filter_int.h"
#include "fw/error.h"
#include "fw/filter.h"
#include "fw/maint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MSG_CAP (1u << 20)	/* message counts above this are counted as this */

struct srcent {
	char *name;
	size_t len;
	uint64_t count;
};

struct sctx {
	fw_store *s;
	fw_stats *st;
	const fw_filter *where;
	double *rew;
	size_t nrew, caprew;
	uint64_t *msgfreq;	/* MSG_CAP + 1 */
	struct srcent *src;	/* open addressing */
	size_t srccap, nsrc;
};

static int
col_index(fw_stats *st, const char *name, fw_type type)
{
	for (size_t i = 0; i < st->ncols; i++)
		if (strcmp(st->cols[i].name, name) == 0)
			return (int)i;
	fw_stats_column *nc = realloc(st->cols, (st->ncols + 1) * sizeof(*nc));
	if (nc == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	st->cols = nc;
	memset(&nc[st->ncols], 0, sizeof(*nc));
	if ((nc[st->ncols].name = strdup(name)) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	nc[st->ncols].type = fw_type_name(type);
	return (int)st->ncols++;
}

static void
col_merge(fw_stats_column *c, const fw_colstats *x)
{
	if (x->nnum) {
		if (c->nnum == 0 || x->min < c->min)
			c->min = x->min;
		if (c->nnum == 0 || x->max > c->max)
			c->max = x->max;
		c->sum += x->sum;
	}
	c->count += x->count;
	c->nulls += x->nulls;
	c->bytes += x->bytes;
	c->nnum += x->nnum;
}

/* The statistics of the selected rows of a decoded column. */
static void
col_scan(const fw_column *d, const uint8_t *match, fw_colstats *x)
{
	memset(x, 0, sizeof(*x));
	for (uint32_t r = 0; r < d->n; r++) {
		if (match && !match[r])
			continue;
		x->count++;
		if (d->kind[r] == FW_KIND_MISSING || d->kind[r] == FW_KIND_NULL)
			x->nulls++;
		x->bytes += d->off[r + 1] - d->off[r];
		if (d->kind[r] == FW_KIND_NUMBER) {
			double v = d->num[r];
			if (x->nnum == 0 || v < x->min)
				x->min = v;
			if (x->nnum == 0 || v > x->max)
				x->max = v;
			x->sum += v;
			x->nnum++;
		}
	}
}

static uint64_t
strhash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

static int
source_add(struct sctx *c, const char *s, size_t n)
{
	size_t i;

	if ((c->nsrc + 1) * 2 > c->srccap) {
		size_t ncap = c->srccap ? c->srccap * 2 : 256;
		struct srcent *nt = calloc(ncap, sizeof(*nt));
		if (nt == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		for (size_t k = 0; k < c->srccap; k++)
			if (c->src[k].name) {
				for (i = strhash(c->src[k].name, c->src[k].len) & (ncap - 1); nt[i].name;
				    i = (i + 1) & (ncap - 1))
					;
				nt[i] = c->src[k];
			}
		free(c->src);
		c->src = nt;
		c->srccap = ncap;
	}
	for (i = strhash(s, n) & (c->srccap - 1); c->src[i].name; i = (i + 1) & (c->srccap - 1))
		if (c->src[i].len == n && memcmp(c->src[i].name, s, n) == 0) {
			c->src[i].count++;
			return 0;
		}
	if ((c->src[i].name = malloc(n + 1)) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	memcpy(c->src[i].name, s, n);
	c->src[i].name[n] = '\0';
	c->src[i].len = n;
	c->src[i].count = 1;
	c->nsrc++;
	return 0;
}

/* The scanned figures: reward, messages, source, over the selected rows. */
static int
scan_columns(struct sctx *c, fw_rg *rg, const uint8_t *match)
{
	fw_column *d;
	int rc;

	if ((rc = fw_rg_column(c->s->os, rg, "reward", &d)) < 0 ||
	    (d && (rc = fw_column_numbers(d)) < 0))
		return rc;
	for (uint32_t r = 0; d && r < rg->n; r++) {
		if ((match && !match[r]) || d->kind[r] != FW_KIND_NUMBER)
			continue;
		if (c->nrew == c->caprew) {
			size_t cap = c->caprew ? c->caprew * 2 : 4096;
			double *nr = realloc(c->rew, cap * sizeof(*nr));
			if (nr == NULL)
				return fw_error_set(FW_ENOMEM, "out of memory");
			c->rew = nr;
			c->caprew = cap;
		}
		c->rew[c->nrew++] = d->num[r];
	}
	if ((rc = fw_rg_column(c->s->os, rg, "messages", &d)) < 0)
		return rc;
	for (uint32_t r = 0; r < rg->n; r++) {
		struct filter_scan it;
		const char *k, *v;
		size_t kl, vl;
		uint64_t n = 0;
		if (match && !match[r])
			continue;
		if (d == NULL || d->kind[r] != FW_KIND_ARRAY ||
		    filter_scan_begin(&it, d->data + d->off[r], d->off[r + 1] - d->off[r]) < 0) {
			c->st->msg_other++;
			continue;
		}
		while ((rc = filter_scan_next(&it, &k, &kl, &v, &vl)) == 1)
			n++;
		if (rc < 0)
			return fw_error_set(FW_ECORRUPT, "a messages value is not well-formed JSON");
		c->msgfreq[n > MSG_CAP ? MSG_CAP : n]++;
		c->st->msg_n++;
		c->st->msg_total += n;
	}
	if ((rc = fw_rg_column(c->s->os, rg, "source", &d)) < 0)
		return rc;
	for (uint32_t r = 0; r < rg->n; r++) {
		if (match && !match[r])
			continue;
		if (d == NULL || d->kind[r] != FW_KIND_STRING)
			c->st->source_other++;
		else if ((rc = source_add(c, d->data + d->off[r], d->off[r + 1] - d->off[r])) < 0)
			return rc;
	}
	return 0;
}

static int
stats_leaf(void *arg, const fw_ptree_child *leaf)
{
	struct sctx *c = arg;
	fw_stats *st = c->st;
	fw_rg rg;
	uint8_t *match = NULL;
	uint32_t nsel = 0;
	int rc, idx;

	st->groups++;
	if ((rc = fw_rg_load(c->s->os, &rg, &leaf->oid, c->where != NULL)) < 0)
		return rc;
	if (c->where && (rc = fw_rg_select(c->s->os, &rg, c->where, &match, NULL)) != 0) {
		if (rc == 1) {
			st->groups_skipped++;
			rc = 0;
		}
		goto done;
	}
	st->groups_read++;
	for (uint32_t r = 0; r < rg.n; r++)
		if (!match || match[r]) {
			nsel++;
			if (c->where)
				st->bytes += rg.sizes[r];
		}
	if (c->where)
		st->records += nsel;
	for (size_t k = 0; k < rg.ncols; k++) {
		fw_colstats x = rg.cols[k].st;
		if ((idx = col_index(st, rg.cols[k].name, rg.cols[k].type)) < 0) {
			rc = idx;
			goto done;
		}
		if (match) {
			fw_column *d;
			if ((rc = fw_rg_column(c->s->os, &rg, rg.cols[k].name, &d)) < 0 ||
			    (d && (rc = fw_column_numbers(d)) < 0))
				goto done;
			col_scan(d, match, &x);
		}
		col_merge(&st->cols[idx], &x);
	}
	/* a column missing from the whole row group: nulls in every selected row */
	for (size_t i = 0; i < st->ncols; i++) {
		int here = 0;
		for (size_t k = 0; k < rg.ncols; k++)
			here |= strcmp(rg.cols[k].name, st->cols[i].name) == 0;
		if (!here) {
			st->cols[i].count += nsel;
			st->cols[i].nulls += nsel;
		}
	}
	rc = scan_columns(c, &rg, match);
done:
	free(match);
	fw_rg_release(&rg);
	return rc;
}

static int
source_cmp(const void *a, const void *b)
{
	const struct srcent *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int
finish(struct sctx *c)
{
	fw_stats *st = c->st;
	uint64_t cum = 0, need50, need90;
	int have50 = 0, have90 = 0;

	st->reward_n = c->nrew;
	for (size_t i = 0; i < c->nrew; i++) {
		double v = c->rew[i];
		if (i == 0 || v < st->reward_min)
			st->reward_min = v;
		if (i == 0 || v > st->reward_max)
			st->reward_max = v;
		st->reward_zero += v == 0;
		st->reward_one += v == 1;
	}
	for (size_t i = 0; i < c->nrew; i++) {
		double w = st->reward_max - st->reward_min;
		int b = w > 0 ? (int)floor((c->rew[i] - st->reward_min) / w * FW_STATS_BINS) : 0;
		st->reward_bins[b < 0 ? 0 : b >= FW_STATS_BINS ? FW_STATS_BINS - 1 : b]++;
	}
	/* nearest-rank percentiles */
	need50 = (st->msg_n + 1) / 2;
	need90 = (st->msg_n * 9 + 9) / 10;
	for (uint64_t n = 0; n <= MSG_CAP && st->msg_n; n++) {
		uint64_t f = c->msgfreq[n];
		int b = 0;
		if (f == 0)
			continue;
		if (cum == 0)
			st->msg_min = n;
		st->msg_max = n;
		cum += f;
		if (!have50 && cum >= need50) {
			st->msg_p50 = n;
			have50 = 1;
		}
		if (!have90 && cum >= need90) {
			st->msg_p90 = n;
			have90 = 1;
		}
		for (uint64_t v = n; v; v >>= 1)
			b++;
		st->msg_buckets[b] += f;
	}
	/* the most frequent sources */
	size_t w = 0;
	for (size_t i = 0; i < c->srccap; i++)
		if (c->src[i].name)
			c->src[w++] = c->src[i];
	st->source_distinct = w;
	if (w > 1)
		qsort(c->src, w, sizeof(*c->src), source_cmp);
	st->nsources = w < FW_STATS_TOP ? w : FW_STATS_TOP;
	if ((st->sources = calloc(st->nsources + 1, sizeof(*st->sources))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	for (size_t i = 0; i < st->nsources; i++) {
		st->sources[i].name = c->src[i].name;
		st->sources[i].count = c->src[i].count;
		c->src[i].name = NULL;
	}
	for (size_t i = st->nsources; i < w; i++) {
		free(c->src[i].name);
		c->src[i].name = NULL;
	}
	c->srccap = w;
	return 0;
}

int
fw_stats_compute(fw_store *s, fw_stats *out, const fw_rev *rev, const fw_filter *where)
{
	struct sctx c;
	fw_schema schema;
	fw_roots roots;
	fw_ptree t;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.st = out;
	c.where = where;
	if ((rc = fw_version_read(s, rev->commit, &schema, &roots)) < 0)
		return rc;
	for (size_t i = 0; i < schema.ncols && rc >= 0; i++)
		rc = col_index(out, schema.cols[i].name, schema.cols[i].type);
	fw_schema_release(&schema);
	if (rc < 0)
		goto done;
	if ((c.msgfreq = calloc(MSG_CAP + 1, sizeof(*c.msgfreq))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	out->stored = (roots.data.empty ? 0 : roots.data.top.stored) +
	    (roots.index.empty ? 0 : roots.index.top.stored);
	if (!where) {
		out->records = roots.data.top.count;
		out->bytes = roots.data.top.bytes;
	}
	fw_data_tree_init(&t, s->os, NULL);
	if ((rc = fw_ptree_walk_leaves(&t, &roots.data, NULL, NULL, stats_leaf, &c)) < 0)
		goto done;
	rc = finish(&c);
done:
	for (size_t i = 0; i < c.srccap; i++)
		free(c.src[i].name);
	free(c.src);
	free(c.rew);
	free(c.msgfreq);
	if (rc < 0)
		fw_stats_release(out);
	return rc < 0 ? rc : 0;
}

void
fw_stats_release(fw_stats *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->ncols; i++)
		free(st->cols[i].name);
	free(st->cols);
	for (size_t i = 0; i < st->nsources; i++)
		free(st->sources[i].name);
	free(st->sources);
	memset(st, 0, sizeof(*st));
}
