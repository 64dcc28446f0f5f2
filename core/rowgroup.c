/*
 * Row groups: the leaves of the data tree. A row group is four kinds of
 * object:
 *   "rk"  the row keys, n * 16 bytes;
 *   "rs"  each row's size in bytes (what the chunker counts), n varints;
 *   "col" one per column (core/column.c);
 *   "rg"  the header: u8 version (1), varint n, the rk id, varint its stored
 *         size, the rs id, varint its stored size, varint ncols, then per
 *         column: varint name length, name, u8 type, object id, varint stored
 *         size, and statistics (varints count, nulls, bytes, kinds, nnum; f64
 *         min, max, sum as LE bits).
 * Keys and sizes live apart from the header, and from each other, so that
 * relabelling a column rewrites the small header, that column and at most
 * the sizes, never the keys or the other columns.
 */
#include "internal.h"
#include "fw/error.h"
#include "fw/filter.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RG_VERSION 1

void
fw_rec_free(fw_rec *r)
{
	if (r == NULL)
		return;
	free(r->f);
	free(r->mem);
	memset(r, 0, sizeof(*r));
}

const fw_field *
fw_rec_get(const fw_rec *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->f[i].namelen == len && memcmp(r->f[i].name, name, len) == 0)
			return &r->f[i];
	return NULL;
}

uint32_t
fw_fields_size(const fw_field *f, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += f[i].namelen + f[i].len + 2;
	return s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

void
fw_rg_release(fw_rg *rg)
{
	if (rg == NULL)
		return;
	for (size_t i = 0; i < rg->ncols; i++) {
		free(rg->cols[i].name);
		fw_column_release(rg->cols[i].dec);
		free(rg->cols[i].dec);
		fw_column_release(rg->cols[i].unv);
		free(rg->cols[i].unv);
		free(rg->cols[i].unv_raw);
	}
	free(rg->cols);
	free(rg->keys);
	free(rg->sizes);
	memset(rg, 0, sizeof(*rg));
}

static uint64_t
f64_bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, 8);
	return u;
}

static double
bits_f64(uint64_t u)
{
	double d;

	memcpy(&d, &u, 8);
	return d;
}

int
fw_rg_col_encode(fw_buf *b, const char *name, const fw_rg_col *c)
{
	const fw_colstats *st = &c->st;
	size_t nl = strlen(name);

	fw_buf_add_varint(b, nl);
	fw_buf_add(b, name, nl);
	fw_buf_addc(b, (char)c->type);
	fw_buf_add(b, c->oid.id, 32);
	fw_buf_add_varint(b, c->stored);
	fw_buf_add_varint(b, st->count);
	fw_buf_add_varint(b, st->nulls);
	fw_buf_add_varint(b, st->bytes);
	fw_buf_add_varint(b, st->kinds);
	fw_buf_add_varint(b, st->nnum);
	fw_buf_add_u64(b, f64_bits(st->min));
	fw_buf_add_u64(b, f64_bits(st->max));
	return fw_buf_add_u64(b, f64_bits(st->sum));
}

int
fw_rg_col_decode(fw_rd *r, fw_rg_col *c)
{
	const void *p;
	uint8_t t;
	uint64_t nl, v, mn, mx, sm;
	int rc;

	memset(c, 0, sizeof(*c));
	if ((rc = fw_rd_varint(r, &nl)) < 0 || nl > 1024 || (rc = fw_rd_bytes(r, &p, nl)) < 0)
		return fw_error_set(FW_ECORRUPT, "bad column name");
	if ((c->name = strndup(p, nl)) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	if ((rc = fw_rd_u8(r, &t)) < 0 || (rc = fw_rd_bytes(r, &p, 32)) < 0)
		return rc;
	if (t < FW_TYPE_STR || t > FW_TYPE_JSON)
		return fw_error_set(FW_ECORRUPT, "bad column type");
	c->type = (fw_type)t;
	memcpy(c->oid.id, p, 32);
	if ((rc = fw_rd_varint(r, &c->stored)) < 0 ||
	    (rc = fw_rd_varint(r, &c->st.count)) < 0 ||
	    (rc = fw_rd_varint(r, &c->st.nulls)) < 0 ||
	    (rc = fw_rd_varint(r, &c->st.bytes)) < 0 ||
	    (rc = fw_rd_varint(r, &v)) < 0 ||
	    (rc = fw_rd_varint(r, &c->st.nnum)) < 0 ||
	    (rc = fw_rd_u64(r, &mn)) < 0 || (rc = fw_rd_u64(r, &mx)) < 0 ||
	    (rc = fw_rd_u64(r, &sm)) < 0)
		return rc;
	c->st.kinds = (uint32_t)v;
	c->st.min = bits_f64(mn);
	c->st.max = bits_f64(mx);
	c->st.sum = bits_f64(sm);
	return 0;
}

int
fw_rg_load(fw_objstore *os, fw_rg *out, const fw_oid *oid, int keys)
{
	fw_buf b = FW_BUF_INIT;
	fw_rd r;
	uint8_t version;
	uint64_t n, ncols, v;
	const void *p;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fw_obj_get(os, &b, oid, "rg")) < 0)
		goto done;
	fw_rd_init(&r, b.data, b.len);
	if ((rc = fw_rd_u8(&r, &version)) < 0 || (rc = fw_rd_varint(&r, &n)) < 0 ||
	    (rc = fw_rd_bytes(&r, &p, 32)) < 0 ||
	    (rc = fw_rd_varint(&r, &out->keys_stored)) < 0)
		goto bad;
	memcpy(out->keys_oid.id, p, 32);
	if ((rc = fw_rd_bytes(&r, &p, 32)) < 0 ||
	    (rc = fw_rd_varint(&r, &out->sizes_stored)) < 0 ||
	    (rc = fw_rd_varint(&r, &ncols)) < 0)
		goto bad;
	memcpy(out->sizes_oid.id, p, 32);
	if (version != RG_VERSION || n == 0 || n > UINT32_MAX || ncols > 4096) {
		rc = fw_error_set(FW_ECORRUPT, "bad row group header");
		goto bad;
	}
	out->n = (uint32_t)n;
	if ((out->cols = calloc(ncols ? ncols : 1, sizeof(*out->cols))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (uint64_t i = 0; i < ncols; i++) {
		fw_rg_col *c = &out->cols[i];
		rc = fw_rg_col_decode(&r, c);
		if (c->name)
			out->ncols++;
		if (rc == FW_ENOMEM)
			goto done;
		if (rc < 0)
			goto bad;
		if (c->st.count != n) {
			rc = fw_error_set(FW_ECORRUPT, "column row count differs from the header");
			goto bad;
		}
	}
	if (fw_rd_left(&r) != 0) {
		rc = fw_error_set(FW_ECORRUPT, "trailing bytes in row group header");
		goto bad;
	}
	if (keys) {
		if ((rc = fw_obj_get(os, &b, &out->keys_oid, "rk")) < 0)
			goto done;
		fw_rd_init(&r, b.data, b.len);
		out->keys = malloc(n * 16);
		out->sizes = malloc(n * sizeof(*out->sizes));
		if (!out->keys || !out->sizes) {
			rc = fw_error_set(FW_ENOMEM, "out of memory");
			goto done;
		}
		if (b.len != n * 16) {
			rc = fw_error_set(FW_ECORRUPT, "row keys object has the wrong size");
			goto bad;
		}
		memcpy(out->keys, b.data, n * 16);
		for (uint64_t i = 1; i < n; i++)
			if (memcmp(out->keys + (i - 1) * 16, out->keys + i * 16, 16) >= 0) {
				rc = fw_error_set(FW_ECORRUPT, "row keys out of order");
				goto bad;
			}
		if ((rc = fw_obj_get(os, &b, &out->sizes_oid, "rs")) < 0)
			goto done;
		fw_rd_init(&r, b.data, b.len);
		for (uint64_t i = 0; i < n; i++) {
			if ((rc = fw_rd_varint(&r, &v)) < 0)
				goto bad;
			out->sizes[i] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
		}
		if (fw_rd_left(&r) != 0) {
			rc = fw_error_set(FW_ECORRUPT, "trailing bytes in row sizes");
			goto bad;
		}
	}
	goto done;
bad:
	{
		char hex[FW_OID_HEXSZ + 1];
		fw_oid_tohex(hex, oid);
		rc = fw_error_wrap(FW_ECORRUPT, "row group %s", hex);
	}
done:
	if (rc < 0)
		fw_rg_release(out);
	fw_buf_release(&b);
	return rc;
}

size_t
fw_rg_find(const fw_rg *rg, const char *name)
{
	for (size_t k = 0; k < rg->ncols; k++)
		if (strcmp(rg->cols[k].name, name) == 0)
			return k;
	return (size_t)-1;
}

int
fw_rg_column(fw_objstore *os, fw_rg *rg, const char *name, fw_column **out)
{
	fw_buf b = FW_BUF_INIT;
	int rc = 0;

	*out = NULL;
	for (size_t i = 0; i < rg->ncols; i++) {
		fw_rg_col *c = &rg->cols[i];
		if (strcmp(c->name, name) != 0)
			continue;
		if (c->dec == NULL) {
			fw_column *d = calloc(1, sizeof(*d));
			if (d == NULL)
				return fw_error_set(FW_ENOMEM, "out of memory");
			if ((rc = fw_obj_get(os, &b, &c->oid, "col")) < 0 ||
			    (rc = fw_column_decode(d, c->name, c->type, b.data, b.len)) < 0) {
				free(d);
				if (rc == FW_ECORRUPT && strncmp(fw_error_last(), "object", 6) != 0) {
					char hex[FW_OID_HEXSZ + 1];
					fw_oid_tohex(hex, &c->oid);
					fw_error_wrap(rc, "column object %s", hex);
				}
				goto done;
			}
			if (d->n != rg->n) {
				rc = fw_error_set(FW_ECORRUPT, "column '%s' has %u rows, its row group %u",
				    name, d->n, rg->n);
				fw_column_release(d);
				free(d);
				goto done;
			}
			c->dec = d;
		}
		*out = c->dec;
		break;
	}
done:
	fw_buf_release(&b);
	return rc;
}

int
fw_rg_column_rows(fw_objstore *os, fw_rg *rg, const char *name, const uint32_t *rows,
    uint32_t m, fw_column *out)
{
	fw_buf b = FW_BUF_INIT;
	size_t k = fw_rg_find(rg, name);
	int rc = 0;

	if (k == (size_t)-1)
		return fw_error_set(FW_ENOTFOUND, "no column '%s' in the row group", name);
	fw_rg_col *c = &rg->cols[k];
	if (c->dec) {		/* decoded already: copied from it */
		fw_column_init(out, name, c->type);
		for (uint32_t i = 0; i < m && rc == 0; i++)
			rc = rows[i] < c->dec->n ? fw_column_append_rows(out, c->dec, rows[i], 1) :
			    fw_error_set(FW_EINVALID, "row %u past the column", rows[i]);
		if (rc < 0)
			fw_column_release(out);
		return rc;
	}
	if ((rc = fw_obj_get(os, &b, &c->oid, "col")) == 0 &&
	    (rc = fw_column_decode_rows(out, c->name, c->type, b.data, b.len, rg->n, rows, m)) < 0 &&
	    rc == FW_ECORRUPT) {
		char hex[FW_OID_HEXSZ + 1];
		fw_oid_tohex(hex, &c->oid);
		fw_error_wrap(rc, "column object %s", hex);
	}
	fw_buf_release(&b);
	return rc;
}

int
fw_rg_select(fw_objstore *os, fw_rg *rg, const struct fw_filter *f, uint8_t **match,
    int *by_stats)
{
	const char *const *want;
	size_t nwant = fw_filter_columns(f, &want), ncols = 0;
	const char **names = calloc(rg->ncols + 1, sizeof(*names));
	fw_colstats *stats = calloc(rg->ncols + 1, sizeof(*stats));
	const fw_column **cols = calloc(nwant + 1, sizeof(*cols));
	int rc = 0, verdict;

	*match = NULL;
	if (by_stats)
		*by_stats = 0;
	if (!names || !stats || !cols) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t k = 0; k < rg->ncols; k++) {
		names[k] = rg->cols[k].name;
		stats[k] = rg->cols[k].st;
	}
	verdict = fw_filter_check_stats(f, names, stats, rg->ncols, rg->n);
	if (verdict != FW_FILTER_SOME) {
		rc = verdict == FW_FILTER_NONE;
		if (by_stats)
			*by_stats = rc;
		goto done;
	}
	for (size_t w = 0; w < nwant; w++) {
		fw_column *col;
		if ((rc = fw_rg_column(os, rg, want[w], &col)) < 0 ||
		    (col && (rc = fw_column_numbers(col)) < 0))
			goto done;
		if (col)
			cols[ncols++] = col;
	}
	if ((*match = calloc(rg->n + 1, 1)) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = fw_filter_match_columns(f, cols, ncols, rg->n, *match)) < 0)
		goto done;
	rc = 1;		/* no row matched: callers need not decode the rest */
	for (uint32_t r = 0; r < rg->n; r++)
		if ((*match)[r]) {
			rc = 0;
			break;
		}
done:
	if (rc != 0) {
		free(*match);
		*match = NULL;
	}
	free(names);
	free(stats);
	free(cols);
	return rc;
}

/* --- the data tree's leaf operations --- */

static int
data_load(void *ctxp, const fw_oid *oid, fw_ptree_loaded *out)
{
	fw_data_ctx *ctx = ctxp;
	fw_rg *rg = calloc(1, sizeof(*rg));
	int rc;

	if (rg == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	if ((rc = fw_rg_load(ctx->os, rg, oid, 1)) < 0) {
		free(rg);
		return rc;
	}
	out->n = rg->n;
	out->keys = rg->keys;
	out->sizes = rg->sizes;
	rg->keys = NULL;
	rg->sizes = NULL;
	out->user = rg;
	return 0;
}

static void
data_unload(void *ctx, fw_ptree_loaded *l)
{
	(void)ctx;
	fw_rg_release(l->user);
	free(l->user);
	l->user = NULL;
}

void
fw_data_ctx_init_locks(fw_data_ctx *ctx)
{
	for (int i = 0; i < FW_DECODE_LOCKS; i++)
		pthread_mutex_init(&ctx->decode_mu[i], NULL);
	pthread_mutex_init(&ctx->progress_mu, NULL);
}

void
fw_data_ctx_destroy_locks(fw_data_ctx *ctx)
{
	for (int i = 0; i < FW_DECODE_LOCKS; i++)
		pthread_mutex_destroy(&ctx->decode_mu[i]);
	pthread_mutex_destroy(&ctx->progress_mu);
}

/* fw_rg_column of an old row group that several builders may share, under
 * the lock of its stripe. */
static int
data_rg_column(fw_data_ctx *ctx, void *rgp, const char *name, fw_column **out)
{
	fw_rg *rg = rgp;
	pthread_mutex_t *mu = &ctx->decode_mu[((uintptr_t)rg >> 6) % FW_DECODE_LOCKS];
	int rc;

	pthread_mutex_lock(mu);
	rc = fw_rg_column(ctx->os, rg, name, out);
	pthread_mutex_unlock(mu);
	return rc;
}

void
fw_rg_col_reuse(fw_rg_col *dst, const fw_rg_col *src, fw_type type)
{
	*dst = *src;
	dst->name = NULL;
	dst->dec = dst->unv = NULL;
	dst->unv_raw = NULL;
	dst->type = type;
}

int
fw_rg_header_put(fw_objstore *os, fw_oid *oid, uint64_t *stored, uint32_t n,
    const fw_oid *koid, uint64_t kstored, const fw_oid *soid, uint64_t sstored,
    const fw_rg_col *cols, const char *const *names, size_t ncols)
{
	fw_buf b = FW_BUF_INIT;
	int rc = 0;

	fw_buf_addc(&b, RG_VERSION);
	fw_buf_add_varint(&b, n);
	fw_buf_add(&b, koid->id, 32);
	fw_buf_add_varint(&b, kstored);
	fw_buf_add(&b, soid->id, 32);
	fw_buf_add_varint(&b, sstored);
	fw_buf_add_varint(&b, ncols);
	for (size_t c = 0; c < ncols && rc == 0; c++)
		rc = fw_rg_col_encode(&b, names[c], &cols[c]);
	if (rc == 0)
		rc = fw_obj_put(os, oid, stored, "rg", b.data, b.len);
	fw_buf_release(&b);
	return rc < 0 ? rc : 0;
}

static int
kind_of_field(const fw_field *f)
{
	return f ? f->kind : FW_KIND_MISSING;
}

static int
data_patched_size(void *ctxp, const fw_ptree_edit *e, fw_ptree_loaded *src,
    uint32_t row, uint32_t *size)
{
	fw_data_ctx *ctx = ctxp;
	fw_rg *rg = src->user;
	fw_rec rec = { 0 };
	int64_t s = src->sizes[row];
	int rc;

	if ((rc = ctx->edit_record(ctx->arg, e->ref, &rec)) < 0)
		return rc;
	for (size_t i = 0; i < rec.n; i++) {
		const fw_field *f = &rec.f[i];
		char name[1100];
		fw_column *c;
		snprintf(name, sizeof(name), "%.*s", (int)f->namelen, f->name);
		rc = data_rg_column(ctx, rg, name, &c);
		if (rc < 0)
			goto done;
		if (c && c->kind[row] != FW_KIND_MISSING)
			s -= f->namelen + (c->off[row + 1] - c->off[row]) + 2;
		/* a merge's patch removes a field by setting it MISSING */
		if (f->kind != FW_KIND_MISSING)
			s += f->namelen + f->len + 2;
	}
	*size = s < 0 ? 0 : s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
done:
	fw_rec_free(&rec);
	return rc;
}

int
fw_column_put(fw_objstore *os, const fw_column *c, fw_rg_col *out)
{
	fw_buf b = FW_BUF_INIT;
	int rc;

	fw_column_stats(c, &out->st);
	if ((rc = fw_column_encode(c, &b)) == 0)
		rc = fw_obj_put(os, &out->oid, &out->stored, "col", b.data, b.len);
	fw_buf_release(&b);
	return rc < 0 ? rc : 0;
}

static int
put_column(fw_data_ctx *ctx, const fw_column *c, fw_rg_col *out)
{
	ctx->columns_written++;
	return fw_column_put(ctx->os, c, out);
}

/* 1 when every edited row keeps its old value of the column, 0 when one
 * changes, <0 on error. The entries are all the rows of src, in order. */
static int
compare_rows(const fw_column *oc, const fw_ptree_ent *ents, size_t n,
    const fw_ptree_edit *edits, const fw_rec *recs, const char *name, size_t nlen)
{
	for (size_t i = 0; i < n; i++) {
		if (ents[i].edit < 0)
			continue;
		const fw_field *f = fw_rec_get(&recs[i], name, nlen);
		if (f == NULL && edits[ents[i].edit].op == FW_EDIT_PATCH)
			continue;	/* a patch that leaves this column alone */
		uint32_t r = ents[i].row, len = oc->off[r + 1] - oc->off[r];
		if (f == NULL) {
			if (oc->kind[r] != FW_KIND_MISSING)
				return 0;
			continue;
		}
		if (f->kind != oc->kind[r] || f->len != len ||
		    memcmp(f->payload, oc->data + oc->off[r], len) != 0)
			return 0;
	}
	return 1;
}

/*
 * Column k of an old row group decoded without its SHA-256 check, for a
 * comparison that passes nothing on (half the cost of reading a column is
 * the hash): the verified column when there is one. A column that does not
 * decode comes from the checked read, which names what is wrong.
 */
static int
data_rg_unchecked(fw_data_ctx *ctx, fw_rg *rg, size_t k, fw_column **out)
{
	pthread_mutex_t *mu = &ctx->decode_mu[((uintptr_t)rg >> 6) % FW_DECODE_LOCKS];
	fw_rg_col *c = &rg->cols[k];
	fw_buf b = FW_BUF_INIT;
	fw_column *own;

	pthread_mutex_lock(mu);
	if (c->dec || c->unv) {
		*out = c->dec ? c->dec : c->unv;
		pthread_mutex_unlock(mu);
		return 0;
	}
	pthread_mutex_unlock(mu);
	if ((own = calloc(1, sizeof(*own))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	if (fw_obj_get_unverified(ctx->os, &b, &c->oid, "col") < 0 ||
	    fw_column_decode(own, c->name, c->type, b.data, b.len) < 0 || own->n != rg->n) {
		fw_column_release(own);
		free(own);
		fw_buf_release(&b);
		return data_rg_column(ctx, rg, c->name, out);
	}
	pthread_mutex_lock(mu);
	if (c->dec == NULL && c->unv == NULL) {
		c->unv = own;
		c->unv_len = b.len;
		c->unv_raw = fw_buf_detach(&b, NULL);
		own = NULL;
	}
	*out = c->dec ? c->dec : c->unv;
	pthread_mutex_unlock(mu);
	if (own) {
		fw_column_release(own);
		free(own);
	}
	fw_buf_release(&b);
	return 0;
}

/* Column k checked against its object id (FW_ECORRUPT naming the object
 * when it does not match); an unchecked decode becomes the verified one. */
static int
data_rg_check(fw_data_ctx *ctx, fw_rg *rg, size_t k, fw_column **out)
{
	pthread_mutex_t *mu = &ctx->decode_mu[((uintptr_t)rg >> 6) % FW_DECODE_LOCKS];
	fw_rg_col *c = &rg->cols[k];
	int rc = 0;

	pthread_mutex_lock(mu);
	if (c->dec == NULL && c->unv) {
		/* "object <id> is corrupt: content does not match its id" */
		if ((rc = fw_obj_check(&c->oid, "col", c->unv_raw, c->unv_len)) == 0) {
			c->dec = c->unv;
			c->unv = NULL;
			free(c->unv_raw);
			c->unv_raw = NULL;
		}
	}
	*out = c->dec;
	pthread_mutex_unlock(mu);
	if (rc < 0 || *out)
		return rc;
	return data_rg_column(ctx, rg, c->name, out);
}

/*
 * Whether an upsert gives a column the values it had. The old column is read
 * without its SHA-256 check: when the values are the same, the new row group
 * keeps the old object as it is, so nothing read is passed on, and a damaged
 * object still fails every read of that version. When they differ, the
 * rebuild takes the untouched rows from the old column: the bytes are
 * checked first.
 */
static int
same_values(fw_data_ctx *ctx, fw_ptree_loaded *src, const fw_ptree_ent *ents, size_t n,
    const fw_ptree_edit *edits, const fw_rec *recs, const char *name, size_t nlen)
{
	fw_rg *rg = src->user;
	size_t k = fw_rg_find(rg, name);
	fw_column *oc;
	int same, rc;

	if (k == (size_t)-1)
		return 0;
	if ((rc = data_rg_unchecked(ctx, rg, k, &oc)) < 0)
		return rc;
	if (oc == NULL)
		return 0;
	same = compare_rows(oc, ents, n, edits, recs, name, nlen);
	if (!same && (rc = data_rg_check(ctx, rg, k, &oc)) < 0)
		return rc;
	return same;
}

/*
 * The id index keys ids by 8 bytes of their SHA-256, so an edit that lands on
 * a stored row must carry that row's id, or two ids collide: refuse rather
 * than replace another record. An edit whose id the index's check vouched
 * for (edit_id gives NULL) needs no read of the id column. Done here, where the old row group is loaded
 * anyway and on the builder threads. The stored ids are compared unchecked
 * (a patch passes none of them on); a mismatch is checked before it is
 * reported, so a damaged object is reported as such.
 */
static int
check_ids(fw_data_ctx *ctx, const fw_ptree_ent *ents, size_t n, const fw_ptree_edit *edits)
{
	fw_ptree_loaded *last = NULL;
	fw_column *ids = NULL;
	size_t k = (size_t)-1;

	for (size_t i = 0; i < n; i++) {
		const char *id;
		size_t idlen, len;
		int rc;

		if (ents[i].edit < 0 || ents[i].src == NULL || ctx->edit_id == NULL)
			continue;
		ctx->edit_id(ctx->arg, edits[ents[i].edit].ref, &id, &idlen);
		if (id == NULL)
			continue;	/* the id index's check matched */
		fw_rg *rg = ents[i].src->user;
		if (ents[i].src != last) {
			last = ents[i].src;
			ids = NULL;
			if ((k = fw_rg_find(rg, "id")) != (size_t)-1 &&
			    (rc = data_rg_unchecked(ctx, rg, k, &ids)) < 0)
				return rc;
		}
		uint32_t r = ents[i].row;
		for (int checked = 0;; checked = 1) {
			len = ids ? ids->off[r + 1] - ids->off[r] : 0;
			if (ids && ids->kind[r] == FW_KIND_STRING && len == idlen &&
			    memcmp(ids->data + ids->off[r], id, len) == 0)
				break;
			if (!checked && ids) {
				if ((rc = data_rg_check(ctx, rg, k, &ids)) < 0)
					return rc;
				continue;
			}
			return fw_error_set(FW_ECONFLICT, "id '%.*s' shares the first 8 bytes of "
			    "its SHA-256 with id '%.*s' already in the corpus; rename one",
			    (int)idlen, id, (int)len, ids ? ids->data + ids->off[r] : "");
		}
	}
	return 0;
}

static int
data_build(void *ctxp, const fw_ptree_ent *ents, size_t n, const fw_ptree_edit *edits,
    fw_ptree_child *out)
{
	fw_data_ctx *ctx = ctxp;
	fw_rec *recs = NULL;
	fw_rg_col *cols = NULL;
	const char **cname = NULL;
	size_t ncols = 0;
	fw_buf b = FW_BUF_INIT;
	fw_ptree_loaded *whole = NULL;
	uint64_t stored = 0, bytes = 0;
	size_t *edited = NULL, nedited = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if ((recs = calloc(n, sizeof(*recs))) == NULL ||
	    (cols = calloc(ctx->schema->ncols + 1, sizeof(*cols))) == NULL ||
	    (cname = calloc(ctx->schema->ncols + 1, sizeof(*cname))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	/* The rows of a chunk fw add staged: its columns, as they are. */
	const fw_rg_col *ccols;
	size_t nccols;
	if (ctx->edit_chunk && ctx->edit_chunk(ctx->arg, ents, n, edits, &ccols, &nccols) == 1) {
		for (size_t k = 0; k < ctx->schema->ncols; k++)
			for (size_t c = 0; c < nccols; c++) {
				if (strcmp(ccols[c].name, ctx->schema->cols[k].name) != 0)
					continue;
				cols[ncols] = ccols[c];
				cols[ncols].name = NULL;
				cols[ncols].dec = NULL;
				cname[ncols] = ctx->schema->cols[k].name;
				stored += cols[ncols++].stored;
				break;
			}
		ctx->chunks_taken++;
		goto keys;
	}
	/* The edited entries, once: a patch touches one or two of a row
	 * group's thousands, and each column asks which. */
	if ((edited = malloc((n + 1) * sizeof(*edited))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		if (ents[i].edit >= 0)
			edited[nedited++] = i;
	for (size_t e = 0; e < nedited; e++) {
		size_t i = edited[e];
		if ((rc = ctx->edit_record(ctx->arg, edits[ents[i].edit].ref, &recs[i])) < 0)
			goto done;
	}
	if ((rc = check_ids(ctx, ents, n, edits)) < 0)
		goto done;
	/* The whole of one old row group, in order: its untouched columns stay. */
	if (n > 0 && ents[0].src && ents[0].src->n == n) {
		whole = ents[0].src;
		for (size_t i = 0; i < n && whole; i++)
			if (ents[i].src != whole || ents[i].row != i)
				whole = NULL;
	}
	for (size_t k = 0; k < ctx->schema->ncols; k++) {
		const char *name = ctx->schema->cols[k].name;
		size_t nlen = strlen(name);
		int touched = 0, present = 0;
		fw_rg_col *oldc = NULL;

		for (size_t e = 0; e < nedited; e++) {
			size_t i = edited[e];
			if (edits[ents[i].edit].op == FW_EDIT_PUT ||
			    fw_rec_get(&recs[i], name, nlen)) {
				touched = 1;
				break;
			}
		}
		if (whole) {
			fw_rg *rg = whole->user;
			for (size_t c = 0; c < rg->ncols; c++)
				if (strcmp(rg->cols[c].name, name) == 0)
					oldc = &rg->cols[c];
			/* Upserts that give a column the values it had (a relabel
			 * sends whole records) leave it as it was: comparing costs a
			 * decompression, rebuilding an encode, a compression and a
			 * hash. */
			if (touched && oldc &&
			    (rc = same_values(ctx, whole, ents, n, edits, recs, name, nlen)) != 0) {
				if (rc < 0)
					goto done;
				touched = 0;
				rc = 0;
			}
			if (!touched) {
				if (oldc) {
					fw_rg_col_reuse(&cols[ncols], oldc, ctx->schema->cols[k].type);
					cname[ncols] = name;
					stored += oldc->stored;
					ncols++;
					ctx->columns_reused++;
				}
				continue;
			}
		}
		fw_column col;
		fw_ptree_loaded *last = NULL;	/* the old row group of oc */
		fw_column *oc = NULL;
		fw_column_init(&col, name, ctx->schema->cols[k].type);
		for (size_t i = 0; i < n && rc == 0; i++) {
			const fw_field *f = ents[i].edit >= 0 ? fw_rec_get(&recs[i], name, nlen) : NULL;
			int from_old = ents[i].src && (ents[i].edit < 0 ||
			    (edits[ents[i].edit].op == FW_EDIT_PATCH && f == NULL));
			if (from_old) {
				uint32_t r = ents[i].row;
				/* Rows of one old row group come in runs: look its
				 * column up (a lock and a search) once a run. */
				if (ents[i].src != last) {
					if ((rc = data_rg_column(ctx, ents[i].src->user, name, &oc)) < 0)
						break;
					last = ents[i].src;
				}
				if (oc == NULL) {
					rc = fw_column_append(&col, FW_KIND_MISSING, NULL, 0);
					continue;
				}
				/* the unedited rows that follow in the same old row
				 * group go in with one copy */
				size_t j = i + 1;
				while (j < n && ents[j].edit < 0 && ents[j].src == ents[i].src &&
				    ents[j].row == r + (uint32_t)(j - i))
					j++;
				for (uint32_t q = r; !present && q < r + (uint32_t)(j - i); q++)
					present = oc->kind[q] != FW_KIND_MISSING;
				rc = fw_column_append_rows(&col, oc, r, (uint32_t)(j - i));
				i = j - 1;
			} else {
				if (kind_of_field(f) != FW_KIND_MISSING)
					present = 1;
				rc = fw_column_append(&col, kind_of_field(f), f ? f->payload : NULL,
				    f ? f->len : 0);
			}
		}
		if (rc == 0 && present) {
			cols[ncols].name = NULL;
			cols[ncols].type = col.type;
			cname[ncols] = name;
			if ((rc = put_column(ctx, &col, &cols[ncols])) == 0)
				stored += cols[ncols++].stored;
		}
		fw_column_release(&col);
		if (rc < 0)
			goto done;
	}
	/* keys, then sizes */
keys:;
	uint64_t kstored = 0, sstored = 0, hstored = 0;
	fw_oid koid, soid;
	int same_sizes = whole != NULL;
	for (size_t i = 0; i < n; i++) {
		bytes += ents[i].size;
		if (same_sizes && ents[i].size != whole->sizes[i])
			same_sizes = 0;
	}
	/* The whole of one old row group keeps its keys (and, when no record
	 * changed size, its sizes): their objects stay, unhashed. */
	if (whole) {
		koid = ((fw_rg *)whole->user)->keys_oid;
		kstored = ((fw_rg *)whole->user)->keys_stored;
	} else {
		fw_buf_reset(&b);
		for (size_t i = 0; i < n; i++)
			if ((rc = fw_buf_add(&b, ents[i].key, 16)) < 0)
				goto done;
		if ((rc = fw_obj_put(ctx->os, &koid, &kstored, "rk", b.data, b.len)) < 0)
			goto done;
	}
	if (same_sizes) {
		soid = ((fw_rg *)whole->user)->sizes_oid;
		sstored = ((fw_rg *)whole->user)->sizes_stored;
	} else {
		fw_buf_reset(&b);
		if ((rc = fw_buf_grow(&b, n * 5 + 11)) < 0)
			goto done;
		for (size_t i = 0; i < n; i++)
			fw_buf_add_varint(&b, ents[i].size);
		if ((rc = fw_obj_put(ctx->os, &soid, &sstored, "rs", b.data, b.len)) < 0)
			goto done;
	}
	if ((rc = fw_rg_header_put(ctx->os, &out->oid, &hstored, (uint32_t)n, &koid, kstored,
	    &soid, sstored, cols, cname, ncols)) < 0)
		goto done;
	memcpy(out->key, ents[n - 1].key, 16);
	out->count = n;
	out->bytes = bytes;
	out->stored = stored + kstored + sstored + hstored;
	out->nent = (uint32_t)n;
	if (ctx->progress) {
		uint64_t done_rows = atomic_fetch_add(&ctx->built, n) + n;
		pthread_mutex_lock(&ctx->progress_mu);
		ctx->progress(ctx->progress_arg, done_rows, ctx->total);
		pthread_mutex_unlock(&ctx->progress_mu);
	}
	rc = 0;
done:
	/* only edited rows hold a record */
	if (recs && edited)
		for (size_t e = 0; e < nedited; e++)
			fw_rec_free(&recs[edited[e]]);
	free(recs);
	free(cols);
	free(cname);
	free(edited);
	fw_buf_release(&b);
	return rc;
}

/* Ahead of the pass (on the pool): the old columns the patches of this row
 * group set, which patched_size and the rebuild read. */
static int
data_prepare(void *ctxp, const fw_ptree_edit *e, size_t n, fw_ptree_loaded *l)
{
	fw_data_ctx *ctx = ctxp;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		fw_rec rec = { 0 };
		if (e[i].op != FW_EDIT_PATCH)
			continue;
		if ((rc = ctx->edit_record(ctx->arg, e[i].ref, &rec)) < 0)
			break;
		for (size_t k = 0; k < rec.n && rc == 0; k++) {
			char name[1100];
			fw_column *c;
			snprintf(name, sizeof(name), "%.*s", (int)rec.f[k].namelen, rec.f[k].name);
			rc = data_rg_column(ctx, l->user, name, &c);
		}
		fw_rec_free(&rec);
	}
	return rc;
}

static const fw_ptree_leaf_ops data_leaf_ops = {
	data_load, data_unload, data_patched_size, data_build, data_prepare,
};

/*
 * Row groups of about 2 MiB of record bytes: at least 512 KiB, at most 8 MiB,
 * Weibull(k = 4) beyond the minimum with a mean of 1.5 MiB. Internal nodes:
 * 1 KiB to 16 KiB, mean about 4 KiB. Documented in man/fw-store.5.
 */
void
fw_data_tree_init(fw_ptree *t, fw_objstore *os, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->os = os;
	t->klen = FW_ROWKEY_LEN;
	t->node_type = "node";
	t->leaf_shape.min = 512 << 10;
	t->leaf_shape.max = 8 << 20;
	t->leaf_shape.lambda = (1.5 * (1 << 20)) / 0.9064;
	t->node_shape.min = 1 << 10;
	t->node_shape.max = 16 << 10;
	t->node_shape.lambda = 3072 / 0.9064;
	t->leaf = &data_leaf_ops;
	t->ctx = ctx;
}
