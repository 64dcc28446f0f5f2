/* Staged chunks (core/chunk.c) and the segments that hold them. */
#include "harness.h"
#include "internal.h"
#include "fw/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

/* Three puts: row 1 lacks "reward", row 2 adds "late" and a null. */
static void
three_ops(fw_buf *ops)
{
	fw_field r0[] = {
		{ "id", 2, FW_KIND_STRING, "a", 1 },
		{ "reward", 6, FW_KIND_NUMBER, "1.50", 4 },
		{ "tags", 4, FW_KIND_ARRAY, "[\"x\"]", 5 },
	};
	fw_field r1[] = {
		{ "tags", 4, FW_KIND_ARRAY, "[]", 2 },
		{ "id", 2, FW_KIND_STRING, "bb", 2 },
	};
	fw_field r2[] = {
		{ "id", 2, FW_KIND_STRING, "c", 1 },
		{ "late", 4, FW_KIND_OBJECT, "{\"k\":1}", 7 },
		{ "reward", 6, FW_KIND_NULL, "", 0 },
	};
	CHECK_OK(fw_op_encode(ops, FW_OP_PUT, "a", 1, r0, 3));
	CHECK_OK(fw_op_encode(ops, FW_OP_PUT, "bb", 2, r1, 2));
	CHECK_OK(fw_op_encode(ops, FW_OP_PUT, "c", 1, r2, 3));
}

static const fw_field *
field(const fw_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].namelen == strlen(name) && memcmp(f[i].name, name, f[i].namelen) == 0)
			return &f[i];
	return NULL;
}

void
test_chunk_roundtrip(void)
{
	const char *dir = t_tmpdir();
	const char *yaml = "columns:\n  - {name: id, type: str, required: true}\n"
	    "  - {name: reward, type: f64}\n";
	fw_store *s = NULL;
	fw_schema schema;
	fw_buf ops = FW_BUF_INIT, refs = FW_BUF_INIT, enc = FW_BUF_INIT, mem = FW_BUF_INIT;
	fw_chunk ch, back;
	fw_column *cols = NULL;
	fw_field *f = NULL;
	size_t nf = 0, cap = 0;

	CHECK_OK(fw_store_init(dir));
	CHECK_OK(fw_store_open(&s, dir));
	CHECK_OK(fw_schema_parse(&schema, yaml, strlen(yaml)));
	three_ops(&ops);
	CHECK_OK(fw_chunk_build(fw_store_objects(s), &schema, ops.data, ops.len, &ch, &refs));
	CHECK_INT(ch.nrows, 3);
	/* Fields in the order they first appear; types from the schema, json
	 * for the others. */
	CHECK_INT(ch.ncols, 4);
	if (ch.ncols == 4) {
		CHECK_STR(ch.cols[0].name, "id");
		CHECK_STR(ch.cols[1].name, "reward");
		CHECK_STR(ch.cols[2].name, "tags");
		CHECK_STR(ch.cols[3].name, "late");
		CHECK_INT(ch.cols[0].type, FW_TYPE_STR);
		CHECK_INT(ch.cols[1].type, FW_TYPE_F64);
		CHECK_INT(ch.cols[3].type, FW_TYPE_JSON);
		CHECK_INT(ch.cols[1].st.count, 3);
		CHECK_INT(ch.cols[1].st.nulls, 2);	/* missing in row 1, null in row 2 */
		CHECK_INT(ch.cols[1].st.nnum, 1);
		CHECK(ch.cols[1].st.min == 1.5 && ch.cols[1].st.max == 1.5);
	}
	/* One REF per row: id and record size. */
	{
		fw_rd r;
		uint8_t op = 0;
		uint64_t len = 0, idlen = 0, size = 0;
		const void *p = NULL, *id = NULL;
		const char *want[] = { "a", "bb", "c" };
		uint64_t sizes[] = { 2 + 1 + 2 + 6 + 4 + 2 + 4 + 5 + 2, 4 + 2 + 2 + 2 + 2 + 2,
		    2 + 1 + 2 + 4 + 7 + 2 + 6 + 0 + 2 };
		fw_rd_init(&r, refs.data, refs.len);
		for (int i = 0; i < 3; i++) {
			CHECK(fw_rd_u8(&r, &op) == 0 && op == FW_OP_REF);
			CHECK(fw_rd_varint(&r, &len) == 0 && fw_rd_bytes(&r, &p, len) == 0);
			fw_rd b;
			fw_rd_init(&b, p, len);
			CHECK(fw_rd_varint(&b, &idlen) == 0 && fw_rd_bytes(&b, &id, idlen) == 0);
			CHECK(idlen == strlen(want[i]) && memcmp(id, want[i], idlen) == 0);
			CHECK(fw_rd_varint(&b, &size) == 0);
			CHECK_INT(size, sizes[i]);
		}
		CHECK_INT(fw_rd_left(&r), 0);
	}
	/* The CHUNK op decodes to the same entries. */
	CHECK_OK(fw_chunk_encode(&enc, &ch));
	CHECK_INT((uint8_t)enc.data[0], FW_OP_CHUNK);
	{
		fw_rd r;
		uint8_t op = 0;
		uint64_t len = 0;
		const void *p = "";
		fw_rd_init(&r, enc.data, enc.len);
		CHECK(fw_rd_u8(&r, &op) == 0 && fw_rd_varint(&r, &len) == 0 &&
		    fw_rd_bytes(&r, &p, len) == 0);
		CHECK_OK(fw_chunk_decode(p, len, &back));
		CHECK_INT(back.nrows, 3);
		CHECK_INT(back.ncols, ch.ncols);
		for (size_t k = 0; k < back.ncols && k < ch.ncols; k++) {
			CHECK_STR(back.cols[k].name, ch.cols[k].name);
			CHECK(fw_oid_cmp(&back.cols[k].oid, &ch.cols[k].oid) == 0);
			CHECK_INT(back.cols[k].stored, ch.cols[k].stored);
			CHECK_INT(back.cols[k].st.nulls, ch.cols[k].st.nulls);
		}
		fw_chunk_release(&back);
	}
	/* Each row reads back as the record's fields (no missing ones). */
	CHECK_OK(fw_chunk_load(fw_store_objects(s), &ch, &cols));
	if (cols) {
		CHECK_OK(fw_chunk_row(&ch, cols, 1, &mem, &f, &nf, &cap));
		CHECK_INT(nf, 2);
		const fw_field *x = field(f, nf, "tags");
		CHECK(x && x->kind == FW_KIND_ARRAY && x->len == 2 && memcmp(x->payload, "[]", 2) == 0);
		CHECK(field(f, nf, "reward") == NULL);
		CHECK_OK(fw_chunk_row(&ch, cols, 2, &mem, &f, &nf, &cap));
		CHECK_INT(nf, 3);
		x = field(f, nf, "reward");
		CHECK(x && x->kind == FW_KIND_NULL && x->len == 0);
		x = field(f, nf, "late");
		CHECK(x && x->len == 7 && memcmp(x->payload, "{\"k\":1}", 7) == 0);
		CHECK_INT(fw_fields_size(f, nf), 2 + 1 + 2 + 4 + 7 + 2 + 6 + 0 + 2);
		for (size_t k = 0; k < ch.ncols; k++)
			fw_column_release(&cols[k]);
		free(cols);
	}
	/* A missing object fails the load, naming it. */
	{
		fw_chunk lost = ch;
		fw_rg_col c = ch.cols[0];
		memset(c.oid.id, 0xab, 32);
		lost.cols = &c;
		lost.ncols = 1;
		CHECK(fw_chunk_load(fw_store_objects(s), &lost, &cols) < 0);
		CHECK(strstr(fw_error_last(), "abababab") != NULL);
	}
	/* Only puts make chunks. */
	{
		fw_buf del = FW_BUF_INIT;
		fw_chunk x;
		CHECK_OK(fw_op_encode(&del, FW_OP_DEL, "a", 1, NULL, 0));
		fw_buf_reset(&refs);
		CHECK(fw_chunk_build(fw_store_objects(s), &schema, del.data, del.len, &x, &refs) ==
		    FW_ECORRUPT);
		fw_buf_release(&del);
	}
	free(f);
	fw_chunk_release(&ch);
	fw_schema_release(&schema);
	fw_buf_release(&ops);
	fw_buf_release(&refs);
	fw_buf_release(&enc);
	fw_buf_release(&mem);
	fw_store_close(s);
}

/* A CHUNK body as fw_chunk_encode makes it, less its type and length. */
static void
chunk_body(fw_buf *out, uint64_t rows, const char *const *names, size_t n, uint64_t count)
{
	fw_buf_add_varint(out, rows);
	fw_buf_add_varint(out, n);
	for (size_t k = 0; k < n; k++) {
		fw_rg_col c;
		memset(&c, 0, sizeof(c));
		c.type = FW_TYPE_JSON;
		c.st.count = count;
		fw_rg_col_encode(out, names[k], &c);
	}
}

void
test_chunk_decode_bad(void)
{
	const char *one[] = { "a" }, *two[] = { "a", "a" };
	fw_buf b = FW_BUF_INIT;
	fw_chunk ch;

	chunk_body(&b, 2, one, 1, 2);
	CHECK_OK(fw_chunk_decode(b.data, b.len, &ch));
	fw_chunk_release(&ch);
	fw_buf_addc(&b, 0);
	CHECK_INT(fw_chunk_decode(b.data, b.len, &ch), FW_ECORRUPT);	/* trailing */
	fw_buf_reset(&b);
	chunk_body(&b, 0, one, 1, 0);
	CHECK_INT(fw_chunk_decode(b.data, b.len, &ch), FW_ECORRUPT);	/* no rows */
	fw_buf_reset(&b);
	chunk_body(&b, 2, one, 1, 3);
	CHECK_INT(fw_chunk_decode(b.data, b.len, &ch), FW_ECORRUPT);	/* row count */
	fw_buf_reset(&b);
	chunk_body(&b, 2, two, 2, 2);
	CHECK_INT(fw_chunk_decode(b.data, b.len, &ch), FW_ECORRUPT);	/* a name twice */
	CHECK(strstr(fw_error_last(), "staged chunk") != NULL);
	for (size_t cut = 0; cut + 1 < b.len; cut++)
		CHECK_INT(fw_chunk_decode(b.data, cut, &ch), FW_ECORRUPT);
	fw_buf_release(&b);
}

struct seen {
	int puts, chunks;
	int64_t chunk[8];
	uint32_t row[8];
};

static int
seen_op(void *arg, const fw_seg_op *o)
{
	struct seen *z = arg;

	if (z->puts < 8) {
		z->chunk[z->puts] = o->op == FW_OP_PUT ? o->chunk : -2;
		z->row[z->puts] = o->row;
	}
	z->puts++;
	return 0;
}

static int
seen_chunk(void *arg, uint32_t num, const fw_chunk *ch)
{
	struct seen *z = arg;

	(void)ch;
	CHECK_INT(num, z->chunks);
	z->chunks++;
	return 0;
}

/* Writes a segment of header + ops and scans it. */
static int
scan_bytes(const char *dir, const fw_buf *ops, struct seen *z)
{
	char path[600];
	fw_seg sg = { .path = path };
	fw_buf h = FW_BUF_INIT;
	FILE *f;

	snprintf(path, sizeof(path), "%s/seg-test.fws", dir);
	fw_buf_adds(&h, "FWSEG1\n");
	fw_buf_add_varint(&h, 4);
	fw_buf_adds(&h, "main");
	fw_buf_add_u64(&h, 1);
	fw_buf_add(&h, ops->data, ops->len);
	f = fopen(path, "wb");
	fwrite(h.data, 1, h.len, f);
	fclose(f);
	fw_buf_release(&h);
	memset(z, 0, sizeof(*z));
	if (fw_seg_header(&sg) < 0)
		return -1;
	return fw_seg_scan(&sg, seen_op, seen_chunk, z);
}

static void
add_ref(fw_buf *ops, const char *id)
{
	fw_buf body = FW_BUF_INIT;

	fw_buf_add_varint(&body, strlen(id));
	fw_buf_adds(&body, id);
	fw_buf_add_varint(&body, 10);
	fw_buf_addc(ops, FW_OP_REF);
	fw_buf_add_varint(ops, body.len);
	fw_buf_add(ops, body.data, body.len);
	fw_buf_release(&body);
}

static void
add_chunk(fw_buf *ops, uint64_t rows)
{
	const char *one[] = { "id" };
	fw_buf body = FW_BUF_INIT;

	chunk_body(&body, rows, one, 1, rows);
	fw_buf_addc(ops, FW_OP_CHUNK);
	fw_buf_add_varint(ops, body.len);
	fw_buf_add(ops, body.data, body.len);
	fw_buf_release(&body);
}

void
test_chunk_segment_scan(void)
{
	const char *dir = t_tmpdir();
	fw_buf ops = FW_BUF_INIT;
	struct seen z;

	/* Two chunks with their puts, then an inline delete. */
	add_chunk(&ops, 2);
	add_ref(&ops, "a");
	add_ref(&ops, "b");
	add_chunk(&ops, 1);
	add_ref(&ops, "c");
	CHECK_OK(fw_op_encode(&ops, FW_OP_DEL, "a", 1, NULL, 0));
	CHECK_OK(scan_bytes(dir, &ops, &z));
	CHECK_INT(z.chunks, 2);
	CHECK_INT(z.puts, 4);
	CHECK(z.chunk[0] == 0 && z.row[0] == 0);
	CHECK(z.chunk[1] == 0 && z.row[1] == 1);
	CHECK(z.chunk[2] == 1 && z.row[2] == 0);
	CHECK_INT(z.chunk[3], -2);	/* the delete */
	/* A chunk short of rows, a REF with no chunk, an op inside a chunk. */
	fw_buf_reset(&ops);
	add_chunk(&ops, 2);
	add_ref(&ops, "a");
	CHECK_INT(scan_bytes(dir, &ops, &z), FW_ECORRUPT);
	CHECK(strstr(fw_error_last(), "a chunk lacks rows") != NULL);
	fw_buf_reset(&ops);
	add_ref(&ops, "a");
	CHECK_INT(scan_bytes(dir, &ops, &z), FW_ECORRUPT);
	CHECK(strstr(fw_error_last(), "bad op") != NULL);
	fw_buf_reset(&ops);
	add_chunk(&ops, 2);
	add_ref(&ops, "a");
	CHECK_OK(fw_op_encode(&ops, FW_OP_DEL, "a", 1, NULL, 0));
	CHECK_INT(scan_bytes(dir, &ops, &z), FW_ECORRUPT);
	fw_buf_release(&ops);
}

/* A batch staged as chunks with one thread or four gives the same tree as
 * one staged inline, and its commits take the chunks as row groups. */
void
test_chunk_store_same(void)
{
	const char *dir = t_tmpdir();
	char file[512];
	fw_store *s;
	fw_stage_result sr;
	fw_commit_result r[3];
	fw_commit_opts co = { .message = "t" };
	const char *names[] = { "one", "four", "inline" };
	const char *modes[] = { "0", "0", "off" };
	int threads[] = { 1, 4, 4 };
	fw_oid root[3];
	fw_objstore_counters c0, c1;

	snprintf(file, sizeof(file), "%s/u.jsonl", dir);
	FILE *f = fopen(file, "w");
	for (int i = 0; i < 12000; i++)
		fprintf(f, "{\"id\":\"u%d\",\"reward\":%d.5,\"messages\":[{\"role\":\"user\","
		    "\"content\":\"c%d %0300d\"}]%s}\n", i, i % 9, i, i, i % 1000 == 7 ? ",\"x\":1" : "");
	fclose(f);
	CHECK_OK(fw_store_init(dir));
	CHECK_OK(fw_store_open(&s, dir));
	setenv("FW_NOW", "1000000000000000000", 1);
	for (int k = 0; k < 3; k++) {
		const char *files[] = { file };
		fw_stage_opts o = { .format = FW_FORMAT_JSONL, .threads = threads[k] };
		fw_rev rev;
		fw_roots roots;
		git_oid cid;
		CHECK_OK(fw_corpus_create(s, names[k], NULL));
		setenv("FW_STAGE_CHUNK_MIN", modes[k], 1);
		fw_objstore_counters_get(fw_store_objects(s), &c0);
		CHECK_OK(fw_stage_add(s, &sr, names[k], files, 1, &o));
		fw_objstore_counters_get(fw_store_objects(s), &c1);
		CHECK_OK(fw_commit(s, &r[k], names[k], &co));
		if (k == 0)
			CHECK(c1.put_new > c0.put_new);	/* the columns */
		if (k < 2)
			CHECK_MSG(r[k].chunks_taken >= 2, "%llu", (unsigned long long)r[k].chunks_taken);
		if (k == 2) {
			CHECK_INT(c1.put_new, c0.put_new);	/* inline: add writes no object */
			CHECK_INT(r[k].chunks_taken, 0);
		}
		CHECK_OK(fw_rev_resolve(s, &rev, names[k]));
		git_oid_fromstr(&cid, rev.commit);
		CHECK_OK(fw_commit_read(s, &cid, NULL, &roots, NULL));
		root[k] = roots.data.top.oid;
	}
	unsetenv("FW_STAGE_CHUNK_MIN");
	unsetenv("FW_NOW");
	CHECK(fw_oid_cmp(&root[0], &root[1]) == 0);
	CHECK(fw_oid_cmp(&root[0], &root[2]) == 0);
	fw_store_close(s);
}

/* fw_objstore_cache: the second verified read of a cached type is a copy of
 * the first (even when the stored bytes changed since: what is cached was
 * checked); other types, big objects and unverified first reads are not
 * cached, and turning it off drops what it held. */
void
test_objstore_cache(void)
{
	const char *dir = t_tmpdir();
	fw_objstore *os = NULL;
	fw_oid a, b, big;
	uint64_t stored;
	fw_buf out = FW_BUF_INIT;
	char *blob = malloc(20000);

	CHECK_OK(fw_objstore_open_local(&os, dir));
	CHECK(fw_obj_put(os, &a, &stored, "ixl", "leaf a", 6) >= 0);
	CHECK(fw_obj_put(os, &b, &stored, "col", "column b", 8) >= 0);
	for (int i = 0; i < 20000; i++)
		blob[i] = (char)(i * 7919 % 251);
	CHECK(fw_obj_put(os, &big, &stored, "ixl", blob, 20000) >= 0);
	CHECK_OK(fw_objstore_flush(os));

	fw_objstore_cache(os, "ixl", 1 << 20);
	uint64_t h0 = fw_objstore_cache_hits(os);
	CHECK_OK(fw_obj_get_unverified(os, &out, &a, "ixl"));	/* not kept */
	CHECK_OK(fw_obj_get(os, &out, &a, "ixl"));
	CHECK_INT(fw_objstore_cache_hits(os), h0);
	CHECK_OK(fw_obj_get(os, &out, &a, "ixl"));
	CHECK_INT(fw_objstore_cache_hits(os), h0 + 1);
	CHECK(out.len == 6 && memcmp(out.data, "leaf a", 6) == 0);
	CHECK_OK(fw_obj_get(os, &out, &b, "col"));
	CHECK_OK(fw_obj_get(os, &out, &b, "col"));
	CHECK_OK(fw_obj_get(os, &out, &big, "ixl"));
	CHECK_OK(fw_obj_get(os, &out, &big, "ixl"));
	CHECK_INT(fw_objstore_cache_hits(os), h0 + 1);
	CHECK(out.len == 20000 && memcmp(out.data, blob, 20000) == 0);
	/* a cached id asked for as another type is read (and refused) */
	CHECK_INT(fw_obj_get(os, &out, &a, "col"), FW_ECORRUPT);
	fw_objstore_cache(os, NULL, 0);
	CHECK_OK(fw_obj_get(os, &out, &a, "ixl"));
	CHECK_INT(fw_objstore_cache_hits(os), h0 + 1);
	fw_buf_release(&out);
	free(blob);
	fw_objstore_free(os);
}

/* A staged field name longer than schema.yaml takes (a batch staged by an
 * fw before fw add refused them) fails the commit, which writes nothing,
 * instead of committing a schema no later command could read. */
void
test_commit_refuses_long_name(void)
{
	const char *dir = t_tmpdir();
	char path[4400], name[300];
	fw_store *s = NULL;
	fw_buf seg = FW_BUF_INIT;
	fw_commit_result r;
	fw_commit_opts co = { .message = "t" };
	fw_rev before, after;

	CHECK_OK(fw_store_init(dir));
	CHECK_OK(fw_store_open(&s, dir));
	CHECK_OK(fw_corpus_create(s, "c", NULL));
	CHECK_OK(fw_rev_resolve(s, &before, "c"));
	memset(name, 'n', sizeof(name));
	fw_field f[] = {
		{ "id", 2, FW_KIND_STRING, "a", 1 },
		{ name, sizeof(name), FW_KIND_NUMBER, "1", 1 },
	};
	fw_buf_adds(&seg, "FWSEG1\n");
	fw_buf_add_varint(&seg, 4);
	fw_buf_adds(&seg, "main");
	fw_buf_add_u64(&seg, 1);
	CHECK_OK(fw_op_encode(&seg, FW_OP_PUT, "a", 1, f, 2));
	snprintf(path, sizeof(path), "%s/.fw/stage", dir);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/.fw/stage/c", dir);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/.fw/stage/c/seg-00000000000000000001-1-0.fws", dir);
	FILE *fp = fopen(path, "wb");
	CHECK(fp && fwrite(seg.data, 1, seg.len, fp) == seg.len);
	if (fp)
		fclose(fp);
	CHECK_INT(fw_commit(s, &r, "c", &co), FW_EINVALID);
	CHECK_MSG(strstr(fw_error_last(), "field name of 300 bytes") != NULL, "%s",
	    fw_error_last());
	CHECK_OK(fw_rev_resolve(s, &after, "c"));
	CHECK_STR(after.commit, before.commit);
	fw_buf_release(&seg);
	fw_store_close(s);
}

/* The local backend's write buffer: objects read back before the flush,
 * from the buffer or the file (a drain at 256 KiB, an object of 256 KiB and
 * more written past it), and all of them after a flush and a reopen, when
 * the lookups go through each pack's fanout. A loose object is found only
 * where objects/ had a loose directory at open. */
void
test_objstore_write_buffer(void)
{
	const char *dir = t_tmpdir();
	fw_objstore *os = NULL;
	enum { N = 300 };
	fw_oid ids[N], big, loose;
	uint64_t stored;
	fw_buf out = FW_BUF_INIT;
	size_t bigsz = (size_t)3 << 20;
	char *blob = malloc(bigsz), path[4400], hex[FW_OID_HEXSZ + 1];

	for (size_t i = 0; i < bigsz; i++)
		blob[i] = (char)(i * 2654435761u >> 13);
	CHECK_OK(fw_objstore_open_local(&os, dir));
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < N; i++) {
			/* about 8 KiB each, incompressible: 2.4 MiB in all */
			size_t len = 8000 + (size_t)i;
			if (pass == 0) {
				memcpy(blob, &i, sizeof(i));
				CHECK(fw_obj_put(os, &ids[i], &stored, "col", blob, len) >= 0);
				if (i == N / 2)
					CHECK(fw_obj_put(os, &big, &stored, "col", blob + 64,
					    bigsz - 64) >= 0);
			}
			/* every object so far reads back, wherever it is now */
			int k = (i * 7) % (i + 1);
			memcpy(blob, &k, sizeof(k));
			CHECK_OK(fw_obj_get(os, &out, &ids[k], "col"));
			CHECK(out.len == 8000 + (size_t)k && memcmp(out.data, blob, out.len) == 0);
		}
		CHECK_OK(fw_obj_get(os, &out, &big, "col"));
		CHECK(out.len == bigsz - 64 && memcmp(out.data, blob + 64, out.len) == 0);
		CHECK_OK(fw_objstore_flush(os));
		fw_objstore_free(os);
		CHECK_OK(fw_objstore_open_local(&os, dir));
	}
	for (int i = 0; i < N; i++) {
		memcpy(blob, &i, sizeof(i));
		CHECK_OK(fw_obj_get(os, &out, &ids[i], "col"));
		CHECK(out.len == 8000 + (size_t)i && memcmp(out.data, blob, out.len) == 0);
		CHECK_INT(fw_obj_has(os, &ids[i]), 1);
	}
	/* a loose object (an older fw's), written by hand: found once objects/
	 * has its directory when the store opens */
	fw_objstore_free(os);
	unsigned char frame[256] = "FWO1\003col";
	size_t z = ZSTD_compress(frame + 8, sizeof(frame) - 8, "loose one", 9, 3);
	CHECK(!ZSTD_isError(z));
	fw_oid_of(&loose, "col", "loose one", 9);
	fw_oid_tohex(hex, &loose);
	snprintf(path, sizeof(path), "%s/%.2s", dir, hex);
	CHECK(mkdir(path, 0777) == 0);
	snprintf(path, sizeof(path), "%s/%.2s/%s", dir, hex, hex + 2);
	FILE *f = fopen(path, "wb");
	CHECK(f && fwrite(frame, 1, 8 + z, f) == 8 + z && fclose(f) == 0);
	CHECK_OK(fw_objstore_open_local(&os, dir));
	CHECK_INT(fw_obj_has(os, &loose), 1);
	CHECK_OK(fw_obj_get(os, &out, &loose, "col"));
	CHECK(out.len == 9 && memcmp(out.data, "loose one", 9) == 0);
	CHECK_INT(fw_obj_has(os, &ids[5]), 1);
	fw_objstore_free(os);
	free(blob);
	fw_buf_release(&out);
}
