/*
 * fw fsck: checks every version reachable from a ref or reflog entry
 * (core/reach.c) and every staged segment, and reports each problem without
 * stopping at the first.
 *
 * Each tree object is checked once, whatever number of versions share it:
 * the result (and what a parent must compare: first and last key, counts,
 * bytes, stored bytes, a set hash of its row keys, whether its right edge
 * ends on boundaries) is kept in a table by object id, so the cost follows
 * the number of distinct objects.
 *
 * Boundaries: the prolly tree's nodes must end exactly where the boundary
 * rule (fw_ptree_boundary) cuts. Within a node no entry but the last may be
 * a cut; every node but the last one of its level must end on a cut. The
 * last node of a level is the one on the root's right edge, so a parent
 * requires that each child but its last ends on a cut all down its right
 * edge ("spine").
 *
 * The id index and the data tree hold the same row keys exactly when their
 * counts and the sums of a 64-bit hash of each row key (the index's entries
 * rebuilt as time + id hash) agree; both sums are cached per subtree. On a
 * disagreement the data rows are looked up one by one to name them.
 */
#include "internal.h"
#include "reach.h"
#include "fw/error.h"
#include "fw/maint.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct info {
	fw_oid oid;
	uint8_t checked, done, ok, spine, spine_told;
	/* csum: the set hash of (row key, id check) pairs: of the ids in a
	 * data subtree (--full only, where the ids are decoded), of the checks
	 * an index subtree keeps. nocheck: not known for some entry (a data
	 * subtree checked without --full, an index leaf of version 1). */
	uint8_t nocheck;
	uint8_t first[FW_PTREE_MAX_KEY], last[FW_PTREE_MAX_KEY];
	uint32_t nent;
	uint64_t count, bytes, stored, sum, csum;
};

struct fsck {
	fw_store *s;
	const fw_fsck_opts *o;
	fw_fsck_result *res;
	fw_ptree dt, it;
	struct info **tab;
	size_t cap, n;
	const char *label;
	fw_buf line;
};

/* The set hash of one row key (time, id hash). */
static uint64_t
key_hash(uint64_t time, uint64_t idh)
{
	return fw_mix64(time ^ fw_mix64(idh + 0x9e3779b97f4a7c15ull));
}

/* The set hash of one row key with its id's check (fw_idhash2). */
static uint64_t
check_hash(uint64_t time, uint64_t idh, uint32_t check)
{
	return fw_mix64(key_hash(time, idh) ^ ((uint64_t)check << 17 | 0x5bd1e995ull));
}

static void
problem(struct fsck *f, const fw_oid *oid, const char *type, const char *fmt, ...)
{
	char hex[FW_OID_HEXSZ + 1], msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->res->problems++;
	fw_buf_reset(&f->line);
	if (oid) {
		fw_oid_tohex(hex, oid);
		fw_buf_printf(&f->line, "object %s (%s, in %s): %s", hex, type, f->label, msg);
	} else {
		fw_buf_printf(&f->line, "%s (in %s): %s", type, f->label, msg);
	}
	if (f->o->report)
		f->o->report(f->o->arg, f->line.data);
}

/* The table entry of oid, a new zeroed one when absent (NULL: out of
 * memory). Entries are allocated one by one, so pointers to them stay valid
 * while the table grows under the recursion. */
static struct info *
info_get(struct fsck *f, const fw_oid *oid)
{
	size_t i, h;

	if ((f->n + 1) * 2 > f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 4096;
		struct info **nt = calloc(ncap, sizeof(*nt));
		if (nt == NULL)
			return NULL;
		for (size_t k = 0; k < f->cap; k++)
			if (f->tab[k]) {
				memcpy(&h, f->tab[k]->oid.id, sizeof(h));
				for (i = h & (ncap - 1); nt[i]; i = (i + 1) & (ncap - 1))
					;
				nt[i] = f->tab[k];
			}
		free(f->tab);
		f->tab = nt;
		f->cap = ncap;
	}
	memcpy(&h, oid->id, sizeof(h));
	for (i = h & (f->cap - 1); f->tab[i]; i = (i + 1) & (f->cap - 1))
		if (fw_oid_cmp(&f->tab[i]->oid, oid) == 0)
			return f->tab[i];
	if ((f->tab[i] = calloc(1, sizeof(struct info))) == NULL)
		return NULL;
	f->tab[i]->oid = *oid;
	f->n++;
	return f->tab[i];
}

/* Reads and verifies an object once; 1 when good, 0 when broken (reported). */
static int
check_blob(struct fsck *f, const fw_oid *oid, const char *type, fw_buf *out, uint64_t *size)
{
	struct info *x = info_get(f, oid);
	fw_buf scratch = FW_BUF_INIT;
	int rc;

	if (x == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	if (x->checked && out == NULL) {
		if (size)
			*size = x->stored;
		return x->ok;
	}
	rc = fw_obj_get(f->s->os, out ? out : &scratch, oid, type);
	fw_buf_release(&scratch);
	if (!x->checked) {
		uint64_t sz = 0;
		x->checked = 1;
		x->ok = rc == 0;
		if (fw_obj_size(f->s->os, oid, &sz) > 0)
			x->stored = sz;
		if (rc == 0) {
			f->res->objects++;
			f->res->bytes += x->stored;
		} else {
			problem(f, oid, type, "%s", fw_error_last());
		}
	}
	if (size)
		*size = x->stored;
	return rc == 0;
}

/* Checks the entries' boundaries of one node; returns whether its end is a cut. */
static int
check_cuts(struct fsck *f, const fw_ptree *t, struct info *x, const char *type,
    const uint8_t *keys, const uint32_t *sizes, uint32_t n, uint32_t esize, int height)
{
	uint64_t before = 0;
	int cut = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t after = before + (sizes ? sizes[i] : esize);
		cut = fw_ptree_boundary(t, keys + (size_t)i * t->klen, height, before, after);
		if (cut && i + 1 < n) {
			problem(f, &x->oid, type, "the boundary rule cuts after entry %u of %u: "
			    "the node should end there", i, n);
			x->ok = 0;
			return 0;
		}
		before = after;
	}
	return cut;
}

static int check_tree(struct fsck *f, const fw_ptree *t, const fw_oid *oid, int height,
    struct info **out);

static int
check_rowgroup(struct fsck *f, struct info *x)
{
	fw_buf b = FW_BUF_INIT;
	fw_rg rg;
	uint64_t size;
	int rc, good, has_ids = 0;

	if ((rc = check_blob(f, &x->oid, "rg", &b, &size)) <= 0)
		goto done;
	if ((rc = fw_rg_load(f->s->os, &rg, &x->oid, 0)) < 0) {
		problem(f, &x->oid, "rg", "%s", fw_error_last());
		rc = 0;
		goto done;
	}
	x->stored = size + rg.keys_stored + rg.sizes_stored;
	x->count = rg.n;
	good = check_blob(f, &rg.keys_oid, "rk", NULL, NULL);
	good &= check_blob(f, &rg.sizes_oid, "rs", NULL, NULL);
	fw_rg_release(&rg);
	if (!good) {
		rc = 0;
		goto done;
	}
	if ((rc = fw_rg_load(f->s->os, &rg, &x->oid, 1)) < 0) {
		problem(f, &x->oid, "rg", "%s", fw_error_last());
		rc = 0;
		goto done;
	}
	for (uint32_t r = 0; r < rg.n; r++) {
		const uint8_t *k = rg.keys + (size_t)r * 16;
		x->bytes += rg.sizes[r];
		x->sum += key_hash(fw_be64(k), fw_be64(k + 8));
	}
	memcpy(x->first, rg.keys, 16);
	memcpy(x->last, rg.keys + (size_t)(rg.n - 1) * 16, 16);
	x->nent = rg.n;
	rc = 1;
	for (size_t c = 0; c < rg.ncols; c++) {
		fw_rg_col *col = &rg.cols[c];
		fw_column dec;
		fw_colstats st;
		x->stored += col->stored;
		if (!check_blob(f, &col->oid, "col", &b, NULL)) {
			rc = 0;
			continue;
		}
		if (b.len < 3 || (uint8_t)b.data[1] != col->type) {
			problem(f, &col->oid, "col", "column '%s' has type %d, its row group %d",
			    col->name, b.len < 2 ? -1 : (uint8_t)b.data[1], (int)col->type);
			rc = 0;
			continue;
		}
		if (!f->o->full) {
			/* the row count from the column's header, without decoding it */
			fw_rd rd;
			uint8_t v8;
			uint64_t rows = 0;
			fw_rd_init(&rd, b.data, b.len);
			if (fw_rd_u8(&rd, &v8) < 0 || fw_rd_u8(&rd, &v8) < 0 ||
			    fw_rd_varint(&rd, &rows) < 0 || rows != rg.n) {
				problem(f, &col->oid, "col", "column '%s' has %llu rows, its row group %u",
				    col->name, (unsigned long long)rows, rg.n);
				rc = 0;
			}
			continue;
		}
		if (fw_column_decode(&dec, col->name, col->type, b.data, b.len) < 0) {
			problem(f, &col->oid, "col", "%s", fw_error_last());
			rc = 0;
			continue;
		}
		if (dec.n != rg.n) {
			problem(f, &col->oid, "col", "column '%s' has %u rows, its row group %u",
			    col->name, dec.n, rg.n);
			rc = 0;
		} else {
			fw_column_stats(&dec, &st);
			if (st.count != col->st.count || st.nulls != col->st.nulls ||
			    st.bytes != col->st.bytes || st.kinds != col->st.kinds ||
			    st.nnum != col->st.nnum || (st.nnum && (memcmp(&st.min, &col->st.min, 8) ||
			    memcmp(&st.max, &col->st.max, 8) || memcmp(&st.sum, &col->st.sum, 8)))) {
				problem(f, &x->oid, "rg", "the statistics of column '%s' differ from "
				    "its values", col->name);
				rc = 0;
			}
			if (strcmp(col->name, "id") == 0) {
				for (uint32_t r = 0; r < rg.n; r++) {
					uint8_t h[8];
					uint32_t check;
					const uint8_t *k = rg.keys + (size_t)r * 16;
					fw_idhash2(h, &check, dec.data + dec.off[r],
					    dec.off[r + 1] - dec.off[r]);
					if (dec.kind[r] != FW_KIND_STRING || memcmp(h, k + 8, 8) != 0) {
						problem(f, &x->oid, "rg", "row %u: its key's id hash is not "
						    "the hash of its id", r);
						rc = 0;
						break;
					}
					x->csum += check_hash(fw_be64(k), fw_be64(k + 8), check);
				}
				has_ids = 1;
			}
		}
		fw_column_release(&dec);
	}
	x->nocheck = !has_ids;
	x->spine = (uint8_t)check_cuts(f, &f->dt, x, "rg", rg.keys, rg.sizes, rg.n, 0, 0);
	fw_rg_release(&rg);
done:
	fw_buf_release(&b);
	return rc;
}

static int
check_ixl(struct fsck *f, struct info *x)
{
	uint8_t *keys = NULL;
	uint64_t *vals = NULL, size;
	uint32_t n = 0, *checks = NULL;
	int rc;

	if ((rc = check_blob(f, &x->oid, "ixl", NULL, &size)) <= 0)
		return rc;
	if (fw_ixl_read(f->s->os, &x->oid, &n, &keys, &vals, &checks) < 0) {
		problem(f, &x->oid, "ixl", "%s", fw_error_last());
		return 0;
	}
	x->stored = size;
	x->count = n;
	x->bytes = (uint64_t)n * 16;
	x->nent = n;
	for (uint32_t i = 0; i < n; i++) {
		x->sum += key_hash(vals[i], fw_be64(keys + (size_t)i * 8));
		x->csum += check_hash(vals[i], fw_be64(keys + (size_t)i * 8), checks[i]);
		x->nocheck |= checks[i] == 0;	/* a version-1 leaf kept none */
	}
	memcpy(x->first, keys, 8);
	memcpy(x->last, keys + (size_t)(n - 1) * 8, 8);
	x->spine = (uint8_t)check_cuts(f, &f->it, x, "ixl", keys, NULL, n, 16, 0);
	free(keys);
	free(vals);
	free(checks);
	return 1;
}

static int
check_node(struct fsck *f, const fw_ptree *t, struct info *x, int height)
{
	fw_ptree_loaded l;
	struct info *last = NULL;
	uint64_t size;
	int ok = 1, rc;

	if ((rc = check_blob(f, &x->oid, t->node_type, NULL, &size)) <= 0)
		return rc;
	if (fw_ptree_node_load(t, &x->oid, &l) < 0) {
		problem(f, &x->oid, t->node_type, "%s", fw_error_last());
		return 0;
	}
	if (l.height != height) {
		problem(f, &x->oid, t->node_type, "height %d where its parent says %d",
		    l.height, height);
		fw_ptree_loaded_release(t, &l);
		return 0;
	}
	x->stored = size;
	x->nent = l.n;
	for (uint32_t i = 0; i < l.n; i++) {
		const fw_ptree_child *c = &l.children[i];
		struct info *ci;
		if ((rc = check_tree(f, t, &c->oid, height - 1, &ci)) < 0) {
			fw_ptree_loaded_release(t, &l);
			return rc;
		}
		x->count += c->count;
		x->bytes += c->bytes;
		x->stored += c->stored;
		if (!ci->ok) {
			ok = 0;		/* reported where it is */
			continue;
		}
		x->sum += ci->sum;
		x->csum += ci->csum;
		x->nocheck |= ci->nocheck;
		if (memcmp(ci->last, c->key, t->klen) != 0) {
			problem(f, &x->oid, t->node_type, "entry %u: key differs from the last key "
			    "of its child", i);
			ok = 0;
		}
		if (i > 0 && memcmp(ci->first, l.children[i - 1].key, t->klen) <= 0) {
			problem(f, &x->oid, t->node_type, "entry %u: its child's first key is not "
			    "after the previous entry's key", i);
			ok = 0;
		}
		if (ci->count != c->count || ci->bytes != c->bytes || ci->stored != c->stored) {
			problem(f, &x->oid, t->node_type, "entry %u: counts %llu/%llu/%llu (records, "
			    "bytes, stored), its child has %llu/%llu/%llu", i,
			    (unsigned long long)c->count, (unsigned long long)c->bytes,
			    (unsigned long long)c->stored, (unsigned long long)ci->count,
			    (unsigned long long)ci->bytes, (unsigned long long)ci->stored);
			ok = 0;
		}
		if (i + 1 < l.n && !ci->spine && !ci->spine_told) {
			ci->spine_told = 1;
			problem(f, &ci->oid, height == 1 ? (t == &f->dt ? "rg" : "ixl") :
			    t->node_type, "ends where the boundary rule makes no cut "
			    "(on its right edge), yet a sibling follows it");
			ok = 0;
		}
		if (i == 0)
			memcpy(x->first, ci->first, t->klen);
		last = ci;
	}
	memcpy(x->last, l.children[l.n - 1].key, t->klen);
	x->spine = (uint8_t)(check_cuts(f, t, x, t->node_type, l.keys, l.sizes, l.n, 0,
	    height) && last && last->spine);
	fw_ptree_loaded_release(t, &l);
	return ok && x->ok;
}

static int
check_tree(struct fsck *f, const fw_ptree *t, const fw_oid *oid, int height,
    struct info **out)
{
	struct info *x = info_get(f, oid);
	int rc;

	*out = x;
	if (x == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	if (x->done)
		return 0;	/* checked for another version */
	x->done = 1;
	x->ok = 1;
	if (height > 0)
		rc = check_node(f, t, x, height);
	else if (t == &f->dt)
		rc = check_rowgroup(f, x);
	else
		rc = check_ixl(f, x);
	if (rc < 0)
		return rc;
	x->checked = 1;
	x->ok = x->ok && rc > 0;
	return 0;
}

struct missing {
	struct fsck *f;
	fw_index_reader r;
	unsigned named;
};

static int
missing_leaf(void *arg, const fw_ptree_child *leaf)
{
	struct missing *m = arg;
	fw_rg rg;
	int rc;

	if ((rc = fw_rg_load(m->f->s->os, &rg, &leaf->oid, 1)) < 0)
		return rc;
	for (uint32_t i = 0; i < rg.n && m->named < 5; i++) {
		const uint8_t *k = rg.keys + (size_t)i * 16;
		uint64_t time;
		rc = fw_index_reader_get(&m->r, k + 8, &time, NULL);
		if (rc < 0)
			break;
		if (rc == 0 || time != fw_be64(k)) {
			char hex[33];
			for (int j = 0; j < 16; j++)
				snprintf(hex + 2 * j, 3, "%02x", k[j]);
			problem(m->f, &leaf->oid, "rg", "row key %s %s", hex, rc == 0 ?
			    "is not in the id index" : "has another time in the id index");
			m->named++;
		}
		rc = 0;
	}
	fw_rg_release(&rg);
	return rc < 0 ? rc : m->named >= 5;
}

/* Names (up to five of) the data rows the index does not hold as they are. */
static void
name_missing(struct fsck *f, const fw_roots *roots)
{
	struct missing m;

	memset(&m, 0, sizeof(m));
	m.f = f;

	fw_index_reader_init(&m.r, f->s->os, &roots->index);
	fw_ptree_walk_leaves(&f->dt, &roots->data, NULL, NULL, missing_leaf, &m);
	fw_index_reader_release(&m.r);
}

static int
check_version(void *arg, const git_oid *commit, const char *label, int err)
{
	struct fsck *f = arg;
	fw_schema schema;
	fw_roots roots;
	struct info *d = NULL, *ix = NULL;
	char hex[GIT_OID_HEXSZ + 1], subj[GIT_OID_HEXSZ + 16];
	int rc;

	f->label = label;
	git_oid_tostr(hex, sizeof(hex), commit);
	snprintf(subj, sizeof(subj), "version %s", hex);
	if (err < 0) {
		problem(f, NULL, "ref", "%s", fw_error_last());
		return 0;
	}
	f->res->commits++;
	if ((rc = fw_reach_is_version(f->s, commit)) <= 0) {
		if (rc < 0)
			problem(f, NULL, subj, "%s", fw_error_last());
		return 0;
	}
	f->res->versions++;
	if (fw_commit_read(f->s, commit, &schema, &roots, NULL) < 0) {
		problem(f, NULL, subj, "%s", fw_error_last());
		return 0;
	}
	fw_schema_release(&schema);
	const fw_ptree_root *rs[2] = { &roots.data, &roots.index };
	const fw_ptree *ts[2] = { &f->dt, &f->it };
	const char *names[2] = { "DATA", "INDEX" };
	struct info **outs[2] = { &d, &ix };
	for (int k = 0; k < 2; k++) {
		const fw_ptree_root *r = rs[k];
		struct info *x;
		if (r->empty) {
			if (r->top.count || r->top.bytes || r->top.stored)
				problem(f, NULL, subj, "%s has no root but counts", names[k]);
			continue;
		}
		if ((rc = check_tree(f, ts[k], &r->top.oid, r->height, &x)) < 0)
			return rc;
		*outs[k] = x;
		if (!x->ok)
			continue;
		if (r->height > 0 && x->nent < 2)
			problem(f, &x->oid, ts[k]->node_type, "a root with one child (%s of %s)",
			    names[k], subj);
		if (x->count != r->top.count || x->bytes != r->top.bytes ||
		    x->stored != r->top.stored || memcmp(x->last, r->top.key, ts[k]->klen) != 0)
			problem(f, NULL, subj, "%s says %llu records, %llu bytes, %llu "
			    "stored, the tree has %llu, %llu, %llu%s", names[k],
			    (unsigned long long)r->top.count, (unsigned long long)r->top.bytes,
			    (unsigned long long)r->top.stored, (unsigned long long)x->count,
			    (unsigned long long)x->bytes, (unsigned long long)x->stored,
			    memcmp(x->last, r->top.key, ts[k]->klen) ? " (and another last key)" : "");
	}
	uint64_t dn = d ? d->count : 0, in = ix ? ix->count : 0;
	uint64_t ds = d ? d->sum : 0, is = ix ? ix->sum : 0;
	if ((!roots.data.empty && (d == NULL || !d->ok)) ||
	    (!roots.index.empty && (ix == NULL || !ix->ok)))
		return 0;	/* already reported */
	if (dn != in || ds != is) {
		problem(f, NULL, subj, "the id index (%llu entries) and the data tree "
		    "(%llu records) do not hold the same row keys", (unsigned long long)in,
		    (unsigned long long)dn);
		name_missing(f, &roots);
	} else if (d && ix && !d->nocheck && !ix->nocheck && d->csum != ix->csum) {
		/* Same keys, other checks: a lookup would take a stored id for
		 * another (core/commit.c compares checks instead of reading ids). */
		problem(f, NULL, subj, "the id index's id checks differ from the ids of "
		    "the data tree's records");
	}
	return 0;
}

static int
count_op(void *arg, const fw_seg_op *o)
{
	(void)o;
	((struct fsck *)arg)->res->ops++;
	return 0;
}

/* A staged chunk's column objects must be there and whole: the commit
 * takes them into row groups. */
static int
check_chunk(void *arg, uint32_t num, const fw_chunk *ch)
{
	struct fsck *f = arg;
	fw_buf b = FW_BUF_INIT;

	(void)num;
	for (size_t k = 0; k < ch->ncols; k++)
		if (fw_obj_get(f->s->os, &b, &ch->cols[k].oid, "col") < 0)
			problem(f, &ch->cols[k].oid, "col", "staged column '%s': %s",
			    ch->cols[k].name, fw_error_last());
	fw_buf_release(&b);
	return 0;
}

static int
check_stage(struct fsck *f)
{
	char dir[4096];
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/stage", f->s->dir);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : fw_error_errno("cannot read %s", dir);
	while ((de = readdir(d)) != NULL) {
		fw_seg *segs = NULL;
		size_t n = 0;
		if (de->d_name[0] == '.')
			continue;
		f->label = de->d_name;
		if (fw_seg_list(f->s, de->d_name, &segs, &n) < 0) {
			problem(f, NULL, "staged segments", "%s", fw_error_last());
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			f->res->segments++;
			if (segs[i].branch[0] == '\0')
				problem(f, NULL, "staged segment", "%s names no branch", segs[i].path);
			if (fw_seg_scan(&segs[i], count_op, check_chunk, f) < 0)
				problem(f, NULL, "staged segment", "%s", fw_error_last());
		}
		fw_seg_list_free(segs, n);
	}
	closedir(d);
	return 0;
}

int
fw_fsck(fw_store *s, const fw_fsck_opts *o, fw_fsck_result *res)
{
	struct fsck f;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&f, 0, sizeof(f));
	f.s = s;
	f.o = o;
	f.res = res;
	f.line = (fw_buf)FW_BUF_INIT;
	fw_data_tree_init(&f.dt, s->os, NULL);
	fw_index_tree_init(&f.it, s->os, s->os);
	if ((rc = fw_reach_commits(s, check_version, &f, &res->roots)) == 0)
		rc = check_stage(&f);
	for (size_t i = 0; i < f.cap; i++)
		free(f.tab[i]);
	free(f.tab);
	fw_buf_release(&f.line);
	return rc;
}
