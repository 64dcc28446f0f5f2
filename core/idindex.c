/*
 * The id index: a prolly tree from the first 8 bytes of SHA-256(id) to the
 * record's arrival time, which together make its row key, and the id's
 * check (the next 4 bytes of its SHA-256). Leaves ("ixl"): u8 version (2),
 * varint n, n 8-byte keys, n 8-byte big-endian times, n 4-byte big-endian
 * checks. Version 1 leaves (fw before the checks) have no checks; they read
 * as 0, "not known".
 *
 * Keys are 8 bytes (not the 32-byte hash) to keep what a random id update
 * rewrites small; two ids sharing 8 hash bytes must not be taken for each
 * other. The check tells them apart without reading the id column: an edit
 * whose id's check is the stored one edits that id (96 bits of SHA-256
 * agree: docs/design.md (a)); otherwise the commit reads the stored id
 * and refuses a collision (core/commit.c, core/rowgroup.c). Entries count 16 bytes towards leaf
 * boundaries, as in version 1, so the tree's shape is the same.
 */
#include "internal.h"
#include "fw/error.h"

#include <stdlib.h>
#include <string.h>

#define IXL_VERSION 2

struct ixl {
	uint64_t *vals;
	uint32_t *checks;
};

int
fw_ixl_read(fw_objstore *os, const fw_oid *oid, uint32_t *n, uint8_t **keys, uint64_t **vals,
    uint32_t **checks)
{
	fw_buf b = FW_BUF_INIT;
	fw_rd r;
	uint8_t version;
	uint64_t cnt;
	const void *kp, *vp, *cp = NULL;
	size_t ent;
	int rc;

	*keys = NULL;
	*vals = NULL;
	if (checks)
		*checks = NULL;
	if ((rc = fw_obj_get(os, &b, oid, "ixl")) < 0)
		goto done;
	fw_rd_init(&r, b.data, b.len);
	if ((rc = fw_rd_u8(&r, &version)) < 0 || (rc = fw_rd_varint(&r, &cnt)) < 0)
		goto bad;
	ent = version == 1 ? 16 : 20;
	if ((version != 1 && version != IXL_VERSION) || cnt == 0 ||
	    cnt != fw_rd_left(&r) / ent || fw_rd_left(&r) % ent != 0) {
		rc = fw_error_set(FW_ECORRUPT, "bad index leaf header");
		goto bad;
	}
	fw_rd_bytes(&r, &kp, cnt * 8);
	fw_rd_bytes(&r, &vp, cnt * 8);
	if (version > 1)
		fw_rd_bytes(&r, &cp, cnt * 4);
	*keys = malloc(cnt * 8);
	*vals = malloc(cnt * sizeof(**vals));
	if (checks)
		*checks = malloc(cnt * sizeof(**checks));
	if (!*keys || !*vals || (checks && !*checks)) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(*keys, kp, cnt * 8);
	for (uint64_t i = 0; i < cnt; i++) {
		(*vals)[i] = fw_be64((const uint8_t *)vp + i * 8);
		if (checks)
			(*checks)[i] = cp ? fw_be32((const uint8_t *)cp + i * 4) : 0;
		if (i && memcmp(*keys + (i - 1) * 8, *keys + i * 8, 8) >= 0) {
			rc = fw_error_set(FW_ECORRUPT, "index keys out of order");
			goto bad;
		}
	}
	*n = (uint32_t)cnt;
	goto done;
bad:
	{
		char hex[FW_OID_HEXSZ + 1];
		fw_oid_tohex(hex, oid);
		rc = fw_error_wrap(FW_ECORRUPT, "index leaf %s", hex);
	}
done:
	if (rc < 0) {
		free(*keys);
		free(*vals);
		*keys = NULL;
		*vals = NULL;
		if (checks) {
			free(*checks);
			*checks = NULL;
		}
	}
	fw_buf_release(&b);
	return rc;
}

static int
ix_load(void *ctx, const fw_oid *oid, fw_ptree_loaded *out)
{
	fw_objstore *os = ctx;
	struct ixl *x = calloc(1, sizeof(*x));
	int rc;

	if (x == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	if ((rc = fw_ixl_read(os, oid, &out->n, &out->keys, &x->vals, &x->checks)) < 0) {
		free(x);
		return rc;
	}
	if ((out->sizes = malloc(out->n * sizeof(*out->sizes))) == NULL) {
		free(x->vals);
		free(x->checks);
		free(x);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	for (uint32_t i = 0; i < out->n; i++)
		out->sizes[i] = 16;
	out->user = x;
	return 0;
}

static void
ix_unload(void *ctx, fw_ptree_loaded *l)
{
	struct ixl *x = l->user;

	(void)ctx;
	if (x) {
		free(x->vals);
		free(x->checks);
	}
	free(x);
	l->user = NULL;
}

static int
ix_patched_size(void *ctx, const fw_ptree_edit *e, fw_ptree_loaded *src, uint32_t row,
    uint32_t *size)
{
	(void)ctx;
	(void)e;
	(void)src;
	(void)row;
	*size = 16;
	return 0;
}

static int
ix_build(void *ctx, const fw_ptree_ent *ents, size_t n, const fw_ptree_edit *edits,
    fw_ptree_child *out)
{
	fw_objstore *os = ctx;
	fw_buf b = FW_BUF_INIT;
	uint8_t v[8];
	int rc;

	memset(out, 0, sizeof(*out));
	/* Test hook: write version-1 leaves, as fw did before the checks, so
	 * that tests can make the stores older versions left (asked at each
	 * leaf: a getenv is nothing beside the leaf's SHA-256). */
	int v1 = getenv("FW_TEST_IXL_V1") != NULL;
	/* Test hook: new entries' checks not those of their ids (fw fsck
	 * --full must notice; t0201). */
	uint32_t bad = getenv("FW_TEST_BAD_IDCHECK") ? 1 : 0;
	if ((rc = fw_buf_grow(&b, 11 + n * 20)) < 0)
		return rc;
	fw_buf_addc(&b, v1 ? 1 : IXL_VERSION);
	fw_buf_add_varint(&b, n);
	for (size_t i = 0; i < n; i++)
		fw_buf_add(&b, ents[i].key, 8);
	for (size_t i = 0; i < n; i++) {
		uint64_t t = ents[i].edit >= 0 ? (uint64_t)edits[ents[i].edit].ref :
		    ((struct ixl *)ents[i].src->user)->vals[ents[i].row];
		fw_put_be64(v, t);
		if ((rc = fw_buf_add(&b, v, 8)) < 0)
			goto done;
	}
	/* A version-1 entry kept without a check stays without one (0): its
	 * id is read where an edit needs it, as before. */
	for (size_t i = 0; i < n && !v1; i++) {
		uint32_t k = ents[i].edit >= 0 ? (uint32_t)edits[ents[i].edit].aux ^ bad :
		    ((struct ixl *)ents[i].src->user)->checks[ents[i].row];
		fw_put_be32(v, k);
		if ((rc = fw_buf_add(&b, v, 4)) < 0)
			goto done;
	}
	if ((rc = fw_obj_put(os, &out->oid, &out->stored, "ixl", b.data, b.len)) < 0)
		goto done;
	memcpy(out->key, ents[n - 1].key, 8);
	out->count = n;
	out->bytes = 16 * n;
	out->nent = (uint32_t)n;
	rc = 0;
done:
	fw_buf_release(&b);
	return rc;
}

static const fw_ptree_leaf_ops ix_ops = { ix_load, ix_unload, ix_patched_size, ix_build, NULL };

/* Index leaves of about 2 KiB (128 entries): 512 B to 8 KiB. */
void
fw_index_tree_init(fw_ptree *t, fw_objstore *os, void *ctx)
{
	(void)ctx;
	memset(t, 0, sizeof(*t));
	t->os = os;
	t->klen = FW_IDKEY_LEN;
	t->node_type = "node";
	t->leaf_shape.min = 512;
	t->leaf_shape.max = 8 << 10;
	t->leaf_shape.lambda = 1536 / 0.9064;
	t->node_shape.min = 1 << 10;
	t->node_shape.max = 16 << 10;
	t->node_shape.lambda = 3072 / 0.9064;
	t->leaf = &ix_ops;
	t->ctx = os;
}

void
fw_index_reader_init(fw_index_reader *r, fw_objstore *os, const fw_ptree_root *root)
{
	memset(r, 0, sizeof(*r));
	fw_index_tree_init(&r->t, os, NULL);
	r->root = root;
	fw_ptree_finder_init(&r->find, &r->t, root);
}

static void
leaf_release(fw_index_reader *r)
{
	free(r->keys);
	free(r->vals);
	free(r->checks);
	r->keys = NULL;
	r->vals = NULL;
	r->checks = NULL;
	r->have = 0;
}

void
fw_index_reader_release(fw_index_reader *r)
{
	leaf_release(r);
	fw_ptree_finder_release(&r->find);
}

int
fw_index_reader_get(fw_index_reader *r, const uint8_t key[8], uint64_t *time, uint32_t *check)
{
	fw_ptree_child leaf;
	int rc;

	if (r->root->empty)
		return 0;
	/* The cached leaf holds key when key <= its last key and > the previous
	 * leaf's; lookups in key order rarely leave it. */
	if (!r->have || memcmp(key, r->leaf.key, 8) > 0 ||
	    (r->n && memcmp(key, r->keys, 8) < 0)) {
		rc = fw_ptree_finder_find(&r->find, key, &leaf);
		if (rc == FW_ENOTFOUND)
			return 0;
		if (rc < 0)
			return rc;
		if (!r->have || fw_oid_cmp(&leaf.oid, &r->leaf.oid) != 0) {
			leaf_release(r);
			if ((rc = fw_ixl_read(r->t.os, &leaf.oid, &r->n, &r->keys, &r->vals,
			    &r->checks)) < 0)
				return rc;
			r->leaf = leaf;
			r->have = 1;
		}
	}
	uint32_t lo = 0, hi = r->n;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		int c = memcmp(r->keys + (size_t)mid * 8, key, 8);
		if (c == 0) {
			*time = r->vals[mid];
			if (check)
				*check = r->checks[mid];
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

int
fw_index_lookup(fw_objstore *os, const fw_ptree_root *root, const uint8_t key[8],
    uint64_t *time)
{
	fw_index_reader r;
	int rc;

	fw_index_reader_init(&r, os, root);
	rc = fw_index_reader_get(&r, key, time, NULL);
	fw_index_reader_release(&r);
	return rc;
}
