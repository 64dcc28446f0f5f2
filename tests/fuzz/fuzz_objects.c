/*
 * libFuzzer target for everything fw reads back from disk: object frames,
 * column objects, row group headers, tree nodes, index leaves, staged ops,
 * whole staged segments, the DATA/INDEX text and schema.yaml. The first byte picks the parser; the
 * rest is the input. Objects are stored in an in-memory backend under their
 * real id, so the decoders see arbitrary content that passes verification.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "fw/column.h"
#include "fw/error.h"

struct mem {
	fw_oid id[8];
	fw_buf data[8];
	int n;
};

static int
mem_has(void *be, const fw_oid *id, uint64_t *size)
{
	struct mem *m = be;

	for (int i = 0; i < m->n; i++)
		if (fw_oid_cmp(&m->id[i], id) == 0) {
			if (size)
				*size = m->data[i].len;
			return 1;
		}
	return 0;
}

static int
mem_get(void *be, const fw_oid *id, fw_buf *out)
{
	struct mem *m = be;

	for (int i = 0; i < m->n; i++)
		if (fw_oid_cmp(&m->id[i], id) == 0) {
			fw_buf_reset(out);
			return fw_buf_add(out, m->data[i].data, m->data[i].len);
		}
	return fw_error_set(FW_ENOTFOUND, "not found");
}

static int
mem_put(void *be, const fw_oid *id, const void *bytes, size_t len)
{
	struct mem *m = be;

	if (m->n == 8)
		return 0;
	m->id[m->n] = *id;
	fw_buf_init(&m->data[m->n]);
	fw_buf_add(&m->data[m->n], bytes, len);
	m->n++;
	return 0;
}

static int mem_flush(void *be) { (void)be; return 0; }
static int
mem_iterate(void *be, int (*cb)(const fw_oid *, uint64_t, void *), void *arg)
{
	(void)be; (void)cb; (void)arg;
	return 0;
}
static int mem_remove(void *be, const fw_oid *id) { (void)be; (void)id; return 0; }
static void
mem_close(void *be)
{
	struct mem *m = be;

	for (int i = 0; i < m->n; i++)
		fw_buf_release(&m->data[i]);
	free(m);
}

/* Every op a segment scan hands over lies inside the file; a put in a
 * chunk names a row of the chunk before it. */
struct seg_fuzz {
	size_t size;
	int64_t chunks;
	uint32_t rows;
};

static int
seg_op(void *arg, const fw_seg_op *o)
{
	const struct seg_fuzz *z = arg;

	if (o->op < FW_OP_PUT || o->op > FW_OP_PATCH || o->idlen > z->size)
		abort();
	if (o->chunk >= 0) {
		if (o->op != FW_OP_PUT || o->chunk != z->chunks - 1 || o->row >= z->rows ||
		    o->nf != 0)
			abort();
		return 0;
	}
	if (o->off + o->len > z->size || o->idlen > o->len)
		abort();
	for (size_t i = 0; i < o->nf; i++)
		if (o->f[i].namelen > o->len || o->f[i].len > o->len ||
		    o->f[i].kind >= FW_KIND_COUNT)
			abort();
	return 0;
}

static int
seg_chunk(void *arg, uint32_t num, const fw_chunk *ch)
{
	struct seg_fuzz *z = arg;

	if ((int64_t)num != z->chunks || ch->nrows == 0)
		abort();
	for (size_t k = 0; k < ch->ncols; k++)
		if (ch->cols[k].name == NULL || ch->cols[k].st.count != ch->nrows)
			abort();
	z->chunks++;
	z->rows = ch->nrows;
	return 0;
}

static const fw_objstore_backend mem_ops = {
	"mem", mem_has, mem_get, mem_put, mem_flush, mem_iterate, mem_remove, mem_close,
	NULL,	/* collect: this backend cannot collect garbage */
	NULL,	/* compact: it has nothing to merge */
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fw_objstore *os;
	fw_oid id;
	fw_buf b = FW_BUF_INIT;

	if (size < 1)
		return 0;
	uint8_t which = data[0] % 9;
	data++;
	size--;
	if (fw_objstore_new(&os, &mem_ops, calloc(1, sizeof(struct mem))) < 0)
		return 0;
	switch (which) {
	case 0: {
		fw_column c;
		if (fw_column_decode(&c, "x", FW_TYPE_JSON, data, size) == 0) {
			fw_colstats st;
			fw_column_stats(&c, &st);
			(void)fw_column_numbers(&c);
			for (uint32_t i = 0; i < c.n; i++) {
				fw_buf_reset(&b);
				fw_column_value_json(&c, i, &b);
			}
			/* what decode accepted encodes and reads back the same
			 * (front coding chosen afresh) */
			fw_column d;
			fw_buf_reset(&b);
			if (fw_column_encode(&c, &b) == 0) {
				if (fw_column_decode(&d, "x", FW_TYPE_JSON, b.data, b.len) != 0 ||
				    d.n != c.n || (c.n && (memcmp(d.kind, c.kind, c.n) != 0 ||
				    memcmp(d.off, c.off, ((size_t)c.n + 1) * sizeof(*c.off)) != 0 ||
				    memcmp(d.data, c.data, c.off[c.n]) != 0)))
					abort();
				fw_column_release(&d);
			}
			/* the first, middle and last rows alone: those rows */
			uint32_t rows[3] = { 0, c.n / 2, c.n ? c.n - 1 : 0 }, m = 0;
			uint32_t pick[3];
			for (int k = 0; k < 3 && c.n; k++)
				if (m == 0 || rows[k] > pick[m - 1])
					pick[m++] = rows[k];
			if (fw_column_decode_rows(&d, "x", FW_TYPE_JSON, data, size, c.n, pick, m) != 0)
				abort();
			for (uint32_t k = 0; k < m; k++) {
				uint32_t r = pick[k], l = c.off[r + 1] - c.off[r];
				if (d.kind[k] != c.kind[r] || d.off[k + 1] - d.off[k] != l ||
				    memcmp(d.data + d.off[k], c.data + c.off[r], l) != 0)
					abort();
			}
			fw_column_release(&d);
			fw_column_release(&c);
		} else {
			/* refused whole: no row read past the bytes either */
			fw_column d;
			uint32_t first = 0;
			if (fw_column_decode_rows(&d, "x", FW_TYPE_JSON, data, size, 1 + (uint32_t)(size % 64),
			    &first, 1) == 0)
				fw_column_release(&d);
		}
		break;
	}
	case 1: {
		fw_rg rg;
		fw_obj_put(os, &id, NULL, "rg", data, size);
		if (fw_rg_load(os, &rg, &id, 1) == 0)
			fw_rg_release(&rg);
		break;
	}
	case 2: {
		fw_ptree t;
		fw_ptree_loaded l;
		fw_data_tree_init(&t, os, NULL);
		fw_obj_put(os, &id, NULL, "node", data, size);
		if (fw_ptree_node_load(&t, &id, &l) == 0)
			fw_ptree_loaded_release(&t, &l);
		break;
	}
	case 3: {
		fw_ptree_root root = { .height = 0, .empty = 0 };
		uint8_t key[8] = { 0 };
		uint64_t time;
		fw_obj_put(os, &root.top.oid, NULL, "ixl", data, size);
		memset(root.top.key, 0xff, sizeof(root.top.key));
		fw_index_lookup(os, &root, key, &time);
		break;
	}
	case 4: {
		const char *idp;
		size_t idlen, nf = 0, cap = 0;
		fw_field *f = NULL;
		fw_op_decode((const char *)data, size, &idp, &idlen, &f, &nf, &cap);
		free(f);
		break;
	}
	case 5: {
		fw_roots r;
		size_t half = size / 2;
		fw_roots_parse(&r, (const char *)data, half, (const char *)data + half, size - half);
		break;
	}
	case 6: {
		fw_schema s;
		if (fw_schema_parse(&s, (const char *)data, size) == 0) {
			fw_schema_emit(&s, &b);
			fw_schema_release(&s);
		}
		break;
	}
	case 7: {
		/* a raw stored frame under some id */
		struct mem *m = NULL;
		memset(&id, 0x11, sizeof(id));
		fw_objstore_free(os);
		m = calloc(1, sizeof(*m));
		fw_objstore_new(&os, &mem_ops, m);
		mem_put(m, &id, data, size);
		fw_obj_get(os, &b, &id, "col");
		break;
	}
	case 8: {
		/* a staged segment file: its header, then every op */
		char path[64];
		fw_seg sg = { .path = path };
		FILE *f;
		snprintf(path, sizeof(path), "/tmp/fw-fuzz-seg-%d", (int)getpid());
		if ((f = fopen(path, "wb")) == NULL)
			break;
		fwrite(data, 1, size, f);
		fclose(f);
		struct seg_fuzz z = { .size = size };
		if (fw_seg_header(&sg) == 0)
			(void)fw_seg_scan(&sg, seg_op, seg_chunk, &z);
		unlink(path);
		break;
	}
	}
	fw_buf_release(&b);
	fw_objstore_free(os);
	return 0;
}
