/*
 * Staging. `fw add` writes one segment file per batch under
 * .fw/stage/<corpus>/: first as .tmp-*, fsynced, then sealed by a rename to
 * seg-<sealing time in ns, 20 digits>-<pid>-<n>.fws, and the directory is
 * fsynced. A segment is all of a batch or nothing, and many writers never wait
 * for each other. Format:
 *   "FWSEG1\n", varint branch length, branch, u64 arrival time (ns, LE),
 *   then ops: u8 op (1 put, 2 delete, 3 patch), varint body length, body:
 *   varint id length, id, varint field count, fields: varint name length,
 *   name, u8 kind, varint payload length, payload.
 * A big batch of puts is staged as chunks instead (core/chunk.c): op 4
 * (CHUNK: the chunk's column objects, already in the object store), then op
 * 5 (REF: id and record size) for each of its rows, in order.
 */
#include "internal.h"
#include "pool.h"
#include "fw/error.h"
#include "fw/json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEG_MAGIC "FWSEG1\n"

int
fw_op_encode(fw_buf *out, int op, const char *id, size_t idlen,
    const fw_field *fields, size_t nfields)
{
	fw_buf body = FW_BUF_INIT;
	int rc;

	fw_buf_add_varint(&body, idlen);
	fw_buf_add(&body, id, idlen);
	fw_buf_add_varint(&body, nfields);
	for (size_t i = 0; i < nfields; i++) {
		fw_buf_add_varint(&body, fields[i].namelen);
		fw_buf_add(&body, fields[i].name, fields[i].namelen);
		fw_buf_addc(&body, (char)fields[i].kind);
		fw_buf_add_varint(&body, fields[i].len);
		if ((rc = fw_buf_add(&body, fields[i].payload, fields[i].len)) < 0)
			goto done;
	}
	if ((rc = fw_buf_addc(out, (char)op)) < 0 ||
	    (rc = fw_buf_add_varint(out, body.len)) < 0 ||
	    (rc = fw_buf_add(out, body.data, body.len)) < 0)
		goto done;
done:
	fw_buf_release(&body);
	return rc;
}

int
fw_op_decode(const char *p, size_t len, const char **id, size_t *idlen,
    fw_field **fields, size_t *nfields, size_t *cap)
{
	fw_rd r;
	uint64_t v, nf;
	const void *q;
	int rc;

	fw_rd_init(&r, p, len);
	if ((rc = fw_rd_varint(&r, &v)) < 0 || (rc = fw_rd_bytes(&r, &q, v)) < 0)
		return fw_error_set(FW_ECORRUPT, "bad staged op");
	*id = q;
	*idlen = v;
	if ((rc = fw_rd_varint(&r, &nf)) < 0 || nf > len)
		return fw_error_set(FW_ECORRUPT, "bad staged op");
	if (nf > *cap) {
		fw_field *f = realloc(*fields, nf * sizeof(*f));
		if (f == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		*fields = f;
		*cap = nf;
	}
	for (uint64_t i = 0; i < nf; i++) {
		fw_field *f = &(*fields)[i];
		uint8_t k;
		if ((rc = fw_rd_varint(&r, &v)) < 0 || (rc = fw_rd_bytes(&r, &q, v)) < 0 ||
		    v > 1024)
			return fw_error_set(FW_ECORRUPT, "bad staged field");
		f->name = q;
		f->namelen = (uint32_t)v;
		if ((rc = fw_rd_u8(&r, &k)) < 0 || k >= FW_KIND_COUNT ||
		    (rc = fw_rd_varint(&r, &v)) < 0 || (rc = fw_rd_bytes(&r, &q, v)) < 0)
			return fw_error_set(FW_ECORRUPT, "bad staged field");
		f->kind = k;
		f->payload = q;
		f->len = (uint32_t)v;
	}
	if (fw_rd_left(&r) != 0)
		return fw_error_set(FW_ECORRUPT, "bad staged op");
	*nfields = nf;
	return 0;
}

/* The canonical JSON of a record given as fields: keys sorted by their bytes. */
int
fw_record_canon(fw_buf *out, const fw_field *f, size_t n)
{
	size_t *order = malloc((n + 1) * sizeof(*order));
	int rc = 0;

	if (order == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		order[i] = i;
		while (j > 0) {
			const fw_field *x = &f[order[j - 1]], *y = &f[order[j]];
			size_t l = x->namelen < y->namelen ? x->namelen : y->namelen;
			int cmp = memcmp(x->name, y->name, l);
			if (cmp < 0 || (cmp == 0 && x->namelen <= y->namelen))
				break;
			size_t t = order[j - 1];
			order[j - 1] = order[j];
			order[j] = t;
			j--;
		}
	}
	fw_buf_addc(out, '{');
	for (size_t i = 0; i < n && rc == 0; i++) {
		const fw_field *x = &f[order[i]];
		if (i)
			fw_buf_addc(out, ',');
		fw_json_quote(out, x->name, x->namelen);
		fw_buf_addc(out, ':');
		switch (x->kind) {
		case FW_KIND_NULL: rc = fw_buf_adds(out, "null"); break;
		case FW_KIND_TRUE: rc = fw_buf_adds(out, "true"); break;
		case FW_KIND_FALSE: rc = fw_buf_adds(out, "false"); break;
		case FW_KIND_STRING: rc = fw_json_quote(out, x->payload, x->len); break;
		default: rc = fw_buf_add(out, x->payload, x->len);
		}
	}
	if (rc == 0)
		rc = fw_buf_addc(out, '}');
	free(order);
	return rc;
}

/* --- writing a segment --- */

struct chunk_job;

/* Chunks built at once at most (each holds its ops, about 2 MiB, and its
 * columns while they are built). */
#define CHUNKS_IN_FLIGHT 4

struct add_ctx {
	const fw_schema *schema;
	int patch;
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	FILE *f;
	const char *path;
	uint64_t records;
	uint64_t written, synced;	/* bytes of ops; bytes handed to writeback */
	/* Staged chunks (internal.h): puts wait in pend until the batch holds
	 * chunk_min bytes of them; from then on it is cut into chunks (cur)
	 * that the pool builds, and their CHUNK and REF ops are written in
	 * order as they finish. */
	fw_objstore *os;
	uint64_t chunk_min;
	int chunking;		/* puts may be chunked (not --patch, not "off") */
	int chunked;		/* this batch is */
	int threads;
	fw_buf pend;
	fw_ptree shape;		/* the data tree's, for fw_ptree_boundary */
	fw_buf cur;
	uint64_t cur_bytes;
	fw_pool *pool;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct chunk_job *ring[CHUNKS_IN_FLIGHT];
	size_t head, n;
};

/* Staged bytes start their way to the disk every WRITEBACK_STEP, so that
 * the fsync that seals a segment waits for the last step, not for all of a
 * big batch (0.32 s of a 1.1 s add of 1 GB here). Linux only; elsewhere the
 * seal's fsync does it all. */
#define WRITEBACK_STEP ((uint64_t)16 << 20)

static int
type_ok(fw_type t, fw_kind k, const char *payload, size_t len)
{
	switch (t) {
	case FW_TYPE_STR: return k == FW_KIND_STRING;
	case FW_TYPE_BOOL: return k == FW_KIND_TRUE || k == FW_KIND_FALSE;
	case FW_TYPE_F64: return k == FW_KIND_NUMBER;
	case FW_TYPE_I64:
		return k == FW_KIND_NUMBER && memchr(payload, '.', len) == NULL &&
		    memchr(payload, 'e', len) == NULL && memchr(payload, 'E', len) == NULL;
	case FW_TYPE_JSON: return 1;
	}
	return 0;
}

static const char *
kind_name(fw_kind k)
{
	static const char *const n[] = { "missing", "null", "a boolean", "a boolean",
	    "a number", "a string", "an array", "an object" };
	return n[k];
}

/* Checks a record's fields against the schema and encodes the staged op. */
static int
add_fields(struct add_ctx *c, const char *id, size_t idlen, const fw_field *fields,
    size_t n, fw_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		const fw_field *f = &fields[i];
		/* Every field becomes a column, and schema.yaml takes names of at
		 * most FW_FIELD_NAME_MAX bytes: a longer one used to be staged and
		 * then written into a schema no later command could read. */
		if (f->namelen > FW_FIELD_NAME_MAX)
			return fw_error_set(FW_EINVALID, "a field name of %u bytes (\"%.40s...\"): "
			    "at most %d", (unsigned)f->namelen, f->name, FW_FIELD_NAME_MAX);
		int col = fw_schema_find(c->schema, f->name, f->namelen);
		if (c->schema->strict && col < 0)
			return fw_error_set(FW_EINVALID, "\"%.*s\" is not in the schema (strict)",
			    (int)f->namelen, f->name);
		if (c->schema->strict && col >= 0 && f->kind != FW_KIND_NULL &&
		    !type_ok(c->schema->cols[col].type, f->kind, f->payload, f->len))
			return fw_error_set(FW_EINVALID, "\"%.*s\" is %s, schema says %s",
			    (int)f->namelen, f->name, kind_name(f->kind),
			    fw_type_name(c->schema->cols[col].type));
		if (col >= 0 && c->schema->cols[col].required && f->kind == FW_KIND_NULL)
			return fw_error_set(FW_EINVALID, "\"%.*s\" is required and is null",
			    (int)f->namelen, f->name);
	}
	if (!c->patch)
		for (size_t k = 0; k < c->schema->ncols; k++) {
			const fw_schema_col *sc = &c->schema->cols[k];
			size_t i;
			if (!sc->required)
				continue;
			for (i = 0; i < n; i++)
				if (fields[i].namelen == sc->namelen &&
				    memcmp(fields[i].name, sc->name, fields[i].namelen) == 0)
					break;
			if (i == n)
				return fw_error_set(FW_EINVALID, "required field \"%s\" is missing",
				    sc->name);
		}
	if (c->patch && n == 0)
		return fw_error_set(FW_EINVALID, "a patch must set at least one field");
	return fw_op_encode(out, c->patch ? FW_OP_PATCH : FW_OP_PUT, id, idlen, fields, n);
}

/* The importer's map for records it parsed with json-c (formats other than
 * JSON lines). */
static int
add_map(void *arg, struct json_object *rec, fw_buf *out)
{
	struct add_ctx *c = arg;
	struct json_object *idv;
	fw_field *fields = NULL;
	fw_buf scratch = FW_BUF_INIT;
	size_t n = 0, nkeys;
	size_t *offs = NULL;
	int rc = 0;

	if (!json_object_is_type(rec, json_type_object))
		return fw_error_set(FW_EINVALID, "a record must be a JSON object");
	if (!json_object_object_get_ex(rec, "id", &idv) ||
	    !json_object_is_type(idv, json_type_string) ||
	    json_object_get_string_len(idv) == 0)
		return fw_error_set(FW_EINVALID, "\"id\" must be a non-empty string");
	nkeys = (size_t)json_object_object_length(rec);
	fields = calloc(nkeys + 1, sizeof(*fields));
	offs = calloc(nkeys + 1, sizeof(*offs));
	if (!fields || !offs) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	/* Payloads go to scratch first (it may move); names stay in json-c. */
	json_object_object_foreach(rec, key, val) {
		fw_field *f = &fields[n];
		if (c->patch && strcmp(key, "id") == 0)
			continue;
		f->name = key;
		f->namelen = (uint32_t)strlen(key);
		offs[n] = scratch.len;
		switch (json_object_get_type(val)) {
		case json_type_null: f->kind = FW_KIND_NULL; break;
		case json_type_boolean:
			f->kind = json_object_get_boolean(val) ? FW_KIND_TRUE : FW_KIND_FALSE;
			break;
		case json_type_int:
		case json_type_double:
			f->kind = FW_KIND_NUMBER;
			rc = fw_buf_adds(&scratch, fw_json_number_text(val));
			break;
		case json_type_string:
			f->kind = FW_KIND_STRING;
			rc = fw_buf_add(&scratch, json_object_get_string(val),
			    (size_t)json_object_get_string_len(val));
			break;
		case json_type_array:
		case json_type_object:
			f->kind = json_object_is_type(val, json_type_array) ?
			    FW_KIND_ARRAY : FW_KIND_OBJECT;
			rc = fw_json_canon(&scratch, val);
			break;
		}
		if (rc < 0)
			goto done;
		f->len = (uint32_t)(scratch.len - offs[n]);
		n++;
	}
	for (size_t i = 0; i < n; i++)
		fields[i].payload = scratch.data ? scratch.data + offs[i] : "";
	rc = add_fields(c, json_object_get_string(idv),
	    (size_t)json_object_get_string_len(idv), fields, n, out);
done:
	free(fields);
	free(offs);
	fw_buf_release(&scratch);
	return rc;
}

/* The importer's map for JSON lines, straight from the text: no json-c tree
 * (fw_json_split_object gives the same payloads fw_json_canon would). */
static int
add_map_text(void *arg, const char *text, size_t len, fw_buf *out)
{
	static const char *const kinds[] = { "", "null", "a boolean", "a boolean",
	    "a number", "a string", "an array", "an object" };
	struct add_ctx *c = arg;
	fw_buf buf = FW_BUF_INIT, rec = FW_BUF_INIT;
	fw_json_member *m = NULL;
	fw_field *fields = NULL;
	size_t n = 0, cap = 0, nf = 0;
	const char *id = NULL;
	size_t idlen = 0;
	char hex[FW_OID_HEXSZ + 1];
	int rc;

	if ((rc = fw_json_split_object(text, len, &buf, &m, &n, &cap)) < 0)
		goto done;
	if ((fields = calloc(n + 1, sizeof(*fields))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = buf.data + m[i].name_off;
		if (m[i].name_len == 2 && memcmp(name, "id", 2) == 0) {
			if (m[i].kind != FW_JSON_STRING) {
				rc = fw_error_set(FW_EINVALID, "\"id\" is %s, must be a non-empty string",
				    kinds[m[i].kind]);
				goto done;
			}
			if (m[i].len == 0) {
				rc = fw_error_set(FW_EINVALID, "\"id\" is an empty string");
				goto done;
			}
			id = buf.data + m[i].off;
			idlen = m[i].len;
			if (c->patch)
				continue;
		}
		fields[nf].name = name;
		fields[nf].namelen = (uint32_t)m[i].name_len;
		fields[nf].kind = (uint8_t)m[i].kind;
		fields[nf].payload = buf.data + m[i].off;
		fields[nf].len = (uint32_t)m[i].len;
		nf++;
	}
	if (id == NULL) {
		/* The SHA-256 of the record's canonical JSON (docs/schema.md). */
		if ((rc = fw_record_canon(&rec, fields, nf)) < 0)
			goto done;
		unsigned char h[32];
		fw_sha256(h, rec.data, rec.len);
		fw_oid_tohex(hex, (const fw_oid *)(const void *)h);
		id = hex;
		idlen = 64;
		fields[nf].name = "id";
		fields[nf].namelen = 2;
		fields[nf].kind = FW_KIND_STRING;
		fields[nf].payload = hex;
		fields[nf].len = 64;
		nf++;
	}
	rc = add_fields(c, id, idlen, fields, nf, out);
done:
	free(m);
	free(fields);
	fw_buf_release(&buf);
	fw_buf_release(&rec);
	return rc;
}

/* The importer hands its own arg to callbacks; the caller's progress has its own. */
static void
add_progress(void *arg, uint64_t done, uint64_t total)
{
	struct add_ctx *c = arg;

	if (c->progress)
		c->progress(c->progress_arg, done, total);
}

/* Appends ops to the segment; starts writeback every WRITEBACK_STEP. */
static int
seg_write(struct add_ctx *c, const char *bytes, size_t len)
{
	if (len && fwrite(bytes, 1, len, c->f) != len)
		return fw_error_errno("cannot write %s", c->path);
	c->written += len;
#ifdef SYNC_FILE_RANGE_WRITE
	if (c->written - c->synced >= WRITEBACK_STEP) {
		if (fflush(c->f) != 0)
			return fw_error_errno("cannot write %s", c->path);
		/* The header is before the ops: off_t offsets of the file. */
		off_t end = ftello(c->f);
		if (end > 0)
			(void)sync_file_range(fileno(c->f), 0, end, SYNC_FILE_RANGE_WRITE);
		c->synced = c->written;
	}
#endif
	return 0;
}

struct chunk_job {
	struct add_ctx *c;
	fw_buf ops;		/* the chunk's put ops */
	fw_buf out;		/* its CHUNK op and REF ops */
	int rc, done;
	char msg[1024];
};

static void
chunk_run(void *arg)
{
	struct chunk_job *j = arg;
	struct add_ctx *c = j->c;
	fw_chunk ch;
	int rc;

	rc = fw_chunk_build(c->os, c->schema, j->ops.data, j->ops.len, &ch, &j->out);
	if (rc == 0) {
		fw_buf refs = j->out;
		j->out = (fw_buf)FW_BUF_INIT;
		if ((rc = fw_chunk_encode(&j->out, &ch)) == 0)
			rc = fw_buf_add(&j->out, refs.data, refs.len);
		fw_buf_release(&refs);
		fw_chunk_release(&ch);
	}
	fw_buf_release(&j->ops);
	if (rc < 0)
		snprintf(j->msg, sizeof(j->msg), "%s", fw_error_last());
	pthread_mutex_lock(&c->mu);
	j->rc = rc;
	j->done = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Writes the finished chunks at the head of the ring, in order: with all
 * set, waits for every chunk; with drop set, waits for every chunk and
 * writes none (a failed batch). The first failed chunk's error is
 * returned. */
static int
chunks_write(struct add_ctx *c, int all, int drop)
{
	int rc = 0;

	if (drop)
		all = 1;

	pthread_mutex_lock(&c->mu);
	while (c->n > 0) {
		struct chunk_job *j = c->ring[c->head];
		if (!j->done) {
			if (!all && c->n < CHUNKS_IN_FLIGHT)
				break;
			pthread_cond_wait(&c->cv, &c->mu);
			continue;
		}
		c->ring[c->head] = NULL;
		c->head = (c->head + 1) % CHUNKS_IN_FLIGHT;
		c->n--;
		pthread_mutex_unlock(&c->mu);
		if (rc == 0 && !drop)
			rc = j->rc < 0 ? fw_error_set(j->rc, "%s", j->msg) :
			    seg_write(c, j->out.data, j->out.len);
		fw_buf_release(&j->out);
		free(j);
		pthread_mutex_lock(&c->mu);
		if (rc < 0)
			all = 1;	/* drain the rest; the batch is dropped */
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}

/* Hands the current chunk to the pool (waiting while the ring is full). */
static int
chunk_submit(struct add_ctx *c)
{
	struct chunk_job *j;
	int rc;

	if (c->cur.len == 0)
		return 0;
	if ((rc = chunks_write(c, 0, 0)) < 0)
		return rc;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	j->c = c;
	j->ops = c->cur;
	j->out = (fw_buf)FW_BUF_INIT;
	c->cur = (fw_buf)FW_BUF_INIT;
	c->cur_bytes = 0;
	pthread_mutex_lock(&c->mu);
	c->ring[(c->head + c->n) % CHUNKS_IN_FLIGHT] = j;
	c->n++;
	pthread_mutex_unlock(&c->mu);
	if (fw_pool_submit(c->pool, chunk_run, j) < 0)
		chunk_run(j);
	return 0;
}

/* Cuts puts into chunks where a commit into an empty data tree would cut
 * row groups: fw_ptree_boundary over the id-hash half of the row key and
 * the records' sizes. */
static int
chunk_feed(struct add_ctx *c, const char *bytes, size_t len)
{
	fw_field *f = NULL;
	size_t nf = 0, cap = 0;
	fw_rd r;
	int rc = 0;

	fw_rd_init(&r, bytes, len);
	while (rc == 0 && fw_rd_left(&r) > 0) {
		const char *start = (const char *)r.p, *id;
		uint8_t op, key[FW_ROWKEY_LEN] = { 0 };
		uint64_t blen, before = c->cur_bytes;
		const void *body;
		size_t idlen;

		if (fw_rd_u8(&r, &op) < 0 || op != FW_OP_PUT || fw_rd_varint(&r, &blen) < 0 ||
		    fw_rd_bytes(&r, &body, blen) < 0 ||
		    (rc = fw_op_decode(body, blen, &id, &idlen, &f, &nf, &cap)) < 0) {
			rc = fw_error_set(FW_ECORRUPT, "bad op to stage");
			break;
		}
		fw_idhash(key + 8, id, idlen);
		c->cur_bytes += fw_fields_size(f, nf);
		if ((rc = fw_buf_add(&c->cur, start, (size_t)((const char *)r.p - start))) < 0)
			break;
		if (fw_ptree_boundary(&c->shape, key, 0, before, c->cur_bytes))
			rc = chunk_submit(c);
	}
	free(f);
	return rc;
}

static int
add_sink(void *arg, const char *bytes, size_t len, size_t nrecords)
{
	struct add_ctx *c = arg;
	int rc;

	c->records += nrecords;
	if (!c->chunking)
		return seg_write(c, bytes, len);
	if (!c->chunked) {
		if ((rc = fw_buf_add(&c->pend, bytes, len)) < 0)
			return rc;
		if (c->pend.len < c->chunk_min)
			return 0;
		if ((rc = fw_pool_new(&c->pool, c->threads, CHUNKS_IN_FLIGHT)) < 0)
			return rc;
		fw_data_tree_init(&c->shape, NULL, NULL);
		c->chunked = 1;
		rc = chunk_feed(c, c->pend.data, c->pend.len);
		fw_buf_release(&c->pend);
		return rc;
	}
	return chunk_feed(c, bytes, len);
}

/* The end of a batch: its last chunk, or the puts it held back. */
static int
add_finish(struct add_ctx *c)
{
	int rc;

	if (!c->chunking)
		return 0;
	if (!c->chunked)
		return seg_write(c, c->pend.data, c->pend.len);
	if ((rc = chunk_submit(c)) < 0 || (rc = chunks_write(c, 1, 0)) < 0)
		return rc;
	/* The objects are durable before the segment that names them. */
	if ((rc = fw_objstore_flush(c->os)) < 0)
		return rc;
	fw_crash_point("staged objects flushed");
	return 0;
}

int
fw_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return fw_error_errno("cannot open %s", dir);
	if (fsync(fd) < 0) {
		close(fd);
		return fw_error_errno("cannot sync %s", dir);
	}
	close(fd);
	return 0;
}

struct seg_writer {
	char dir[4096];
	char tmp[4200];
	FILE *f;
};

static int
seg_begin(fw_store *s, struct seg_writer *w, const char *corpus, const char *branch,
    uint64_t time)
{
	static unsigned seq;
	char base[4096];
	fw_buf h = FW_BUF_INIT;
	int rc = 0;

	snprintf(base, sizeof(base), "%s/stage", s->dir);
	snprintf(w->dir, sizeof(w->dir), "%s/stage/%s", s->dir, corpus);
	if ((mkdir(base, 0777) < 0 && errno != EEXIST) ||
	    (mkdir(w->dir, 0777) < 0 && errno != EEXIST))
		return fw_error_errno("cannot create %s", w->dir);
	snprintf(w->tmp, sizeof(w->tmp), "%s/.tmp-%d-%u-%llu", w->dir, (int)getpid(), seq++,
	    (unsigned long long)time);
	if ((w->f = fopen(w->tmp, "wbx")) == NULL)
		return fw_error_errno("cannot create %s", w->tmp);
	fw_buf_adds(&h, SEG_MAGIC);
	fw_buf_add_varint(&h, strlen(branch));
	fw_buf_adds(&h, branch);
	fw_buf_add_u64(&h, time);
	if (fwrite(h.data, 1, h.len, w->f) != h.len)
		rc = fw_error_errno("cannot write %s", w->tmp);
	fw_buf_release(&h);
	return rc;
}

static void
seg_abort(struct seg_writer *w)
{
	if (w->f) {
		fclose(w->f);
		unlink(w->tmp);
		w->f = NULL;
	}
}

static int
seg_seal(struct seg_writer *w)
{
	static unsigned seq;
	char final[4400];
	int rc;

	if (fflush(w->f) != 0 || fsync(fileno(w->f)) < 0) {
		rc = fw_error_errno("cannot write %s", w->tmp);
		seg_abort(w);
		return rc;
	}
	fclose(w->f);
	w->f = NULL;
	fw_crash_point("segment written");
	snprintf(final, sizeof(final), "%s/seg-%020llu-%d-%u.fws", w->dir,
	    (unsigned long long)fw_clock_ns(), (int)getpid(), seq++);
	if (rename(w->tmp, final) < 0) {
		rc = fw_error_errno("cannot seal %s", final);
		unlink(w->tmp);
		return rc;
	}
	fw_crash_point("segment sealed");
	return fw_fsync_dir(w->dir);
}

static int
branch_schema(fw_store *s, const char *corpus, fw_buf *branch, fw_schema *schema)
{
	fw_buf ref = FW_BUF_INIT;
	git_oid head;
	int rc;

	if ((rc = fw_corpus_current_branch(s, corpus, branch)) < 0)
		return rc;
	fw_ref_branch(&ref, corpus, branch->data);
	rc = git_reference_name_to_id(&head, s->repo, ref.data);
	fw_buf_release(&ref);
	if (rc < 0)
		return fw_git_error(rc, "cannot read branch %s@%s", corpus, branch->data);
	return fw_commit_read(s, &head, schema, NULL, NULL);
}

/* Batches of puts from this many bytes of staged ops up are staged as
 * chunks: FW_STAGE_CHUNK_MIN (bytes; "off": never), 16 MiB by default.
 * Smaller batches (appends, relabels) stay inline: their first chunk would
 * be rebuilt with the tree's last row group, so building it is wasted. */
static int
chunk_min(uint64_t *out)
{
	const char *e = getenv("FW_STAGE_CHUNK_MIN");
	char *end;

	*out = (uint64_t)16 << 20;
	if (e == NULL || *e == '\0')
		return 0;
	if (strcmp(e, "off") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	errno = 0;
	unsigned long long v = strtoull(e, &end, 10);
	if (*end || errno || *e == '-')
		return fw_error_set(FW_EINVALID, "FW_STAGE_CHUNK_MIN must be bytes or 'off', "
		    "not '%s'", e);
	*out = v;
	return 0;
}

int
fw_stage_add(fw_store *s, fw_stage_result *res, const char *corpus,
    const char *const *files, size_t nfiles, const fw_stage_opts *o)
{
	struct seg_writer w = { .f = NULL };
	struct add_ctx c = { 0 };
	fw_buf branch = FW_BUF_INIT;
	fw_schema schema = { 0 };
	int rc;

	pthread_mutex_init(&c.mu, NULL);
	pthread_cond_init(&c.cv, NULL);
	memset(res, 0, sizeof(*res));
	if ((rc = branch_schema(s, corpus, &branch, &schema)) < 0 ||
	    (rc = fw_store_upgrade(s)) < 0)	/* staging writes column objects */
		goto done;
	if ((rc = seg_begin(s, &w, corpus, branch.data, fw_now_ns())) < 0)
		goto done;
	c.schema = &schema;
	c.patch = o->patch;
	c.progress = o->progress;
	c.progress_arg = o->progress_arg;
	c.f = w.f;
	c.path = w.tmp;
	c.os = s->os;
	c.threads = o->threads;
	if (!o->patch && (rc = chunk_min(&c.chunk_min)) < 0)
		goto done;
	c.chunking = !o->patch && c.chunk_min != UINT64_MAX;
	for (size_t i = 0; i < nfiles; i++) {
		fw_import_opts io = { .format = o->format, .threads = o->threads,
		    .map = add_map, .map_text = add_map_text, .sink = add_sink,
		    .progress = o->progress ? add_progress : NULL, .arg = &c };
		fw_import_stats st;
		if ((rc = fw_import_file(&st, files[i], &io)) < 0)
			goto done;
		res->bytes_in += st.bytes_in;
	}
	res->records = c.records;
	if ((rc = add_finish(&c)) < 0)
		goto done;
	rc = seg_seal(&w);
done:
	if (c.pool) {
		(void)chunks_write(&c, 1, 1);
		fw_pool_free(c.pool);
	}
	pthread_mutex_destroy(&c.mu);
	pthread_cond_destroy(&c.cv);
	fw_buf_release(&c.pend);
	fw_buf_release(&c.cur);
	seg_abort(&w);
	fw_schema_release(&schema);
	fw_buf_release(&branch);
	return rc;
}

int
fw_stage_rm(fw_store *s, const char *corpus, const char *const *ids, size_t n)
{
	struct seg_writer w = { .f = NULL };
	fw_buf branch = FW_BUF_INIT, op = FW_BUF_INIT;
	int rc;

	if ((rc = fw_corpus_current_branch(s, corpus, &branch)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		if (!*ids[i] || !fw_utf8_valid(ids[i], strlen(ids[i]))) {
			rc = fw_error_set(FW_EINVALID, "bad id '%s': ids are non-empty UTF-8", ids[i]);
			goto done;
		}
	if ((rc = seg_begin(s, &w, corpus, branch.data, fw_now_ns())) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		fw_buf_reset(&op);
		if ((rc = fw_op_encode(&op, FW_OP_DEL, ids[i], strlen(ids[i]), NULL, 0)) < 0)
			goto done;
		if (fwrite(op.data, 1, op.len, w.f) != op.len) {
			rc = fw_error_errno("cannot write %s", w.tmp);
			goto done;
		}
	}
	rc = seg_seal(&w);
done:
	seg_abort(&w);
	fw_buf_release(&branch);
	fw_buf_release(&op);
	return rc;
}

/* --- reading segments --- */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(((const fw_seg *)a)->path, ((const fw_seg *)b)->path);
}

void
fw_seg_list_free(fw_seg *segs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(segs[i].path);
	free(segs);
}

int
fw_seg_header(fw_seg *sg)
{
	unsigned char hdr[7 + 10 + 256 + 8];
	FILE *f = fopen(sg->path, "rb");
	size_t n;
	fw_rd r;
	uint64_t blen, t;
	const void *p;

	if (f == NULL)
		return fw_error_errno("cannot open %s", sg->path);
	n = fread(hdr, 1, sizeof(hdr), f);
	fclose(f);
	fw_rd_init(&r, hdr, n);
	if (n < 7 || memcmp(hdr, SEG_MAGIC, 7) != 0 || fw_rd_bytes(&r, &p, 7) < 0 ||
	    fw_rd_varint(&r, &blen) < 0 || blen >= sizeof(sg->branch) ||
	    fw_rd_bytes(&r, &p, blen) < 0 || fw_rd_u64(&r, &t) < 0)
		return fw_error_set(FW_ECORRUPT, "staged segment %s is corrupt: bad header",
		    sg->path);
	memcpy(sg->branch, p, blen);
	sg->branch[blen] = '\0';
	sg->time = t;
	sg->body = (uint64_t)(r.p - hdr);
	return 0;
}

int
fw_seg_list(fw_store *s, const char *corpus, fw_seg **out, size_t *nout)
{
	char dir[4096];
	DIR *d;
	struct dirent *de;
	fw_seg *segs = NULL;
	size_t n = 0;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	snprintf(dir, sizeof(dir), "%s/stage/%s", s->dir, corpus);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : fw_error_errno("cannot read %s", dir);
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (strncmp(de->d_name, "seg-", 4) != 0 || l < 8 ||
		    strcmp(de->d_name + l - 4, ".fws") != 0)
			continue;
		fw_seg *ns = realloc(segs, (n + 1) * sizeof(*ns));
		if (ns == NULL) {
			rc = fw_error_set(FW_ENOMEM, "out of memory");
			goto done;
		}
		segs = ns;
		memset(&segs[n], 0, sizeof(segs[n]));
		if (asprintf(&segs[n].path, "%s/%s", dir, de->d_name) < 0) {
			rc = fw_error_set(FW_ENOMEM, "out of memory");
			goto done;
		}
		n++;
	}
	if (n > 1)
		qsort(segs, n, sizeof(*segs), name_cmp);
	for (size_t i = 0; i < n; i++)
		if ((rc = fw_seg_header(&segs[i])) < 0)
			goto done;
done:
	closedir(d);
	if (rc < 0) {
		fw_seg_list_free(segs, n);
		return rc;
	}
	*out = segs;
	*nout = n;
	return 0;
}

/*
 * The segment is mapped, not read: a commit scans gigabytes of staged ops, and
 * reading them through a buffer copied every byte twice. Pages already
 * scanned leave the resident set every 16 MiB (they stay in the page cache),
 * so that the peak memory of a commit does not grow with the batch. Sealed
 * segments are never written again, and nothing in fw truncates one.
 */
#define SCAN_DROP ((size_t)16 << 20)

int
fw_seg_scan(const fw_seg *seg, int (*cb)(void *arg, const fw_seg_op *o),
    int (*chunk_cb)(void *arg, uint32_t num, const fw_chunk *ch), void *arg)
{
	int fd = open(seg->path, O_RDONLY | O_CLOEXEC);
	fw_field *fields = NULL;
	size_t cap = 0, size, dropped = 0;
	const unsigned char *map = NULL;
	uint32_t nchunks = 0, rows = 0, left = 0;	/* the chunk's rows, and those to come */
	struct stat st;
	fw_rd r;
	int rc = 0;

	if (fd < 0)
		return fw_error_errno("cannot open %s", seg->path);
	if (fstat(fd, &st) < 0) {
		rc = fw_error_errno("cannot read %s", seg->path);
		close(fd);
		return rc;
	}
	size = (size_t)st.st_size;
	if (size < seg->body) {
		close(fd);
		return fw_error_set(FW_ECORRUPT, "staged segment %s is corrupt: truncated",
		    seg->path);
	}
	if (size > 0 && (map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		rc = fw_error_errno("cannot map %s", seg->path);
		close(fd);
		return rc;
	}
	close(fd);
	if (size > 0)
		madvise((void *)map, size, MADV_SEQUENTIAL);
	fw_rd_init(&r, map + seg->body, size - seg->body);
	while (fw_rd_left(&r) > 0) {
		uint8_t op;
		uint64_t len;
		const void *body;
		fw_seg_op o = { .chunk = -1 };

		fw_rd_u8(&r, &op);
		if (fw_rd_varint(&r, &len) < 0 || fw_rd_bytes(&r, &body, len) < 0) {
			rc = fw_error_set(FW_ECORRUPT, "staged segment %s is corrupt: truncated",
			    seg->path);
			break;
		}
		if (op < FW_OP_PUT || op > FW_OP_REF || len > UINT32_MAX ||
		    (left > 0) != (op == FW_OP_REF)) {
			rc = fw_error_set(FW_ECORRUPT, "staged segment %s is corrupt: bad op", seg->path);
			break;
		}
		if (op == FW_OP_CHUNK) {
			fw_chunk ch;
			if ((rc = fw_chunk_decode(body, len, &ch)) < 0) {
				rc = fw_error_wrap(rc, "staged segment %s", seg->path);
				break;
			}
			rows = left = ch.nrows;
			rc = chunk_cb ? chunk_cb(arg, nchunks, &ch) : 0;
			fw_chunk_release(&ch);
			nchunks++;
			if (rc != 0)
				break;
			continue;
		}
		if (op == FW_OP_REF) {
			fw_rd b;
			const void *id;
			uint64_t idlen, rsize;
			fw_rd_init(&b, body, len);
			if (fw_rd_varint(&b, &idlen) < 0 || fw_rd_bytes(&b, &id, idlen) < 0 ||
			    fw_rd_varint(&b, &rsize) < 0 || rsize > UINT32_MAX || fw_rd_left(&b) != 0) {
				rc = fw_error_set(FW_ECORRUPT, "staged segment %s is corrupt: bad staged op",
				    seg->path);
				break;
			}
			o.op = FW_OP_PUT;
			o.id = id;
			o.idlen = idlen;
			o.chunk = nchunks - 1;
			o.row = rows - left--;
			o.size = (uint32_t)rsize;
		} else {
			if ((rc = fw_op_decode(body, len, &o.id, &o.idlen, &fields, &o.nf, &cap)) < 0) {
				rc = fw_error_wrap(rc, "staged segment %s", seg->path);
				break;
			}
			o.op = op;
			o.f = fields;
			o.off = (uint64_t)((const unsigned char *)body - map);
			o.len = (uint32_t)len;
			o.body = body;
			o.size = fw_fields_size(fields, o.nf);
		}
		if ((rc = cb(arg, &o)) != 0)
			break;
		uint64_t off = (uint64_t)((const unsigned char *)body - map);
		if (off - dropped >= 2 * SCAN_DROP) {
			madvise((void *)(map + dropped), SCAN_DROP, MADV_DONTNEED);
			dropped += SCAN_DROP;
		}
	}
	if (rc == 0 && left > 0)
		rc = fw_error_set(FW_ECORRUPT, "staged segment %s is corrupt: a chunk lacks rows",
		    seg->path);
	free(fields);
	if (map)
		munmap((void *)map, size);
	return rc;
}

int
fw_seg_read_op(int fd, uint64_t off, uint32_t len, fw_buf *out)
{
	fw_buf_reset(out);
	if (fw_buf_grow(out, len) < 0)
		return FW_ENOMEM;
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, out->data + got, len - got, (off_t)(off + got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fw_error_set(FW_ECORRUPT, "staged op cut short");
		got += (size_t)n;
	}
	out->len = len;
	out->data[len] = '\0';
	return 0;
}
