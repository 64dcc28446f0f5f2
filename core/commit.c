/*
 * fw commit: gather the sealed segments of the current branch, reduce them to
 * one effective operation per id (later wins; patches stack on what they
 * patch), find existing row keys in the id index (in hash order, so index
 * leaves are read once), rewrite the data tree and the index with only those
 * edits, write the git commit, make the objects durable, move the branch with
 * compare-and-swap, and only then remove the applied segments. Replaying a
 * segment that was applied before a crash gives the same records, so a crash
 * between the branch move and the removal loses nothing and duplicates nothing.
 */
#include "internal.h"
#include "pool.h"
#include "fw/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

/* With FW_VERBOSE set, commit reports how long each phase took. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
phase(const char *what, double *t)
{
	double n = now_s();

	if (getenv("FW_VERBOSE"))
		fprintf(stderr, "fw: commit: %-14s %.3f s\n", what, n - *t);
	*t = n;
}

/*
 * Test hook: with FW_TEST_PAUSE_BEFORE_MOVE=PATH, a commit about to move its
 * branch creates PATH.ready and waits (at most 30 s) until PATH.go exists, so
 * that a test can move the branch meanwhile and see the compare-and-swap fail.
 */
static void
test_pause(void)
{
	const char *path = getenv("FW_TEST_PAUSE_BEFORE_MOVE");
	char name[4096];
	int fd;

	if (path == NULL || *path == '\0')
		return;
	snprintf(name, sizeof(name), "%s.ready", path);
	if ((fd = open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0666)) >= 0)
		close(fd);
	snprintf(name, sizeof(name), "%s.go", path);
	for (int i = 0; i < 3000 && access(name, F_OK) != 0; i++)
		usleep(10000);
}

struct op {
	uint64_t hash;		/* first 8 bytes of SHA-256(id), big-endian */
	uint32_t check;		/* the next 4 bytes (fw_idhash2) */
	uint32_t seq;		/* order of arrival */
	uint32_t seg;
	uint64_t off;
	uint32_t len;
	uint32_t size;		/* record bytes (puts) */
	uint32_t id_off, id_len;	/* in the id arena */
	int32_t chunk;		/* a put staged in a chunk: its index in chunks, else -1 */
	uint32_t row;		/* and its row there */
	uint32_t mem;		/* an inline op's body at opmem + mem - 1; 0: in its segment */
	uint8_t type;
};

/*
 * The bodies of small inline ops (patches, deletions, single puts), kept from
 * the scan: a relabel's builders read each patch three times (prepare, size,
 * rebuild), which were 3,000 pread calls on the worker threads. Bounded, so
 * that a big batch of inline puts is read back from its segment as before.
 */
#define OPMEM_OP_MAX 1024
#define OPMEM_MAX ((size_t)64 << 20)

/* Decoded staged chunks, for the records a commit reads back from them (a
 * row group cut differently from the chunks, an upsert, a patched put):
 * builders mostly read different chunks, so each chunk maps to a slot with
 * a lock of its own. */
#define CHUNK_SLOTS 8

struct chunk_slot {
	pthread_mutex_t mu;
	int64_t chunk;		/* -1: empty */
	fw_column *cols;
	size_t ncols;
};

struct group {
	uint32_t first, n;	/* ops[first .. first+n) of one id, in order */
	int32_t base;		/* index of the last PUT/DEL op, or -1 */
	uint8_t exists;
	uint8_t verified;	/* the index's check for the hash is this id's */
	uint64_t time;		/* row key time */
};

struct commit_ctx {
	fw_store *s;
	fw_seg *segs;
	size_t nsegs;
	int *fds;
	struct op *ops;
	size_t nops, capops;
	char *ids;
	size_t idlen, idcap;
	struct group *groups;
	size_t ngroups;
	fw_buf opmem;		/* see OPMEM_MAX */
	fw_schema schema;
	int schema_changed;
	uint32_t cur_seg;
	uint32_t *seg_first;	/* seq of each segment's first op */
	fw_buf scratch;
	fw_chunk *chunks;	/* of every segment, in order */
	size_t nchunks, capchunks;
	size_t seg_chunk0;	/* index of the scanned segment's chunk 0 */
	struct chunk_slot slots[CHUNK_SLOTS];
};

static uint64_t
hash_of(const char *id, size_t len)
{
	uint8_t h[8];

	fw_idhash(h, id, len);
	return fw_be64(h);
}

/* A new field becomes a json column of the schema (an error in a strict
 * schema). */
static int
schema_extend(struct commit_ctx *c, const char *name, size_t len)
{
	int rc;

	if (fw_schema_find(&c->schema, name, len) >= 0)
		return 0;
	/* fw add refuses these; a batch staged by an older fw may hold one */
	if (len > FW_FIELD_NAME_MAX)
		return fw_error_set(FW_EINVALID, "staged field name of %zu bytes (\"%.40s...\"): "
		    "a column name is at most %d bytes", len, name, FW_FIELD_NAME_MAX);
	if (c->schema.strict)
		return fw_error_set(FW_EINVALID, "staged field \"%.*s\" is not in the strict schema",
		    (int)len, name);
	if ((rc = fw_schema_add(&c->schema, name, len, FW_TYPE_JSON)) < 0)
		return rc;
	c->schema_changed = 1;
	return 0;
}

/* A chunk comes before its puts, and lists its fields in the order they
 * first appear in them: extending the schema here gives the order the
 * puts would give inline. */
static int
scan_chunk(void *arg, uint32_t num, const fw_chunk *ch)
{
	struct commit_ctx *c = arg;
	int rc;

	if (c->seg_chunk0 + num != c->nchunks || c->nchunks >= INT32_MAX)
		return fw_error_set(FW_ECORRUPT, "staged chunks out of order");
	if (c->nchunks == c->capchunks) {
		size_t cap = c->capchunks ? c->capchunks * 2 : 64;
		fw_chunk *n = realloc(c->chunks, cap * sizeof(*n));
		if (n == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		c->chunks = n;
		c->capchunks = cap;
	}
	for (size_t k = 0; k < ch->ncols; k++) {
		/* A row group may take the object without reading it. */
		if (fw_obj_has(c->s->os, &ch->cols[k].oid) <= 0) {
			char hex[FW_OID_HEXSZ + 1];
			fw_oid_tohex(hex, &ch->cols[k].oid);
			return fw_error_set(FW_ECORRUPT, "object %s (column '%s' of a staged chunk) "
			    "is missing; run fw fsck", hex, ch->cols[k].name);
		}
		if ((rc = schema_extend(c, ch->cols[k].name, strlen(ch->cols[k].name))) < 0)
			return rc;
	}
	/* Keep it: the scan releases its copy. */
	fw_chunk *d = &c->chunks[c->nchunks];
	if ((d->cols = calloc(ch->ncols + 1, sizeof(*d->cols))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	d->nrows = ch->nrows;
	d->ncols = 0;
	c->nchunks++;
	for (size_t k = 0; k < ch->ncols; k++) {
		d->cols[k] = ch->cols[k];
		if ((d->cols[k].name = strdup(ch->cols[k].name)) == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		d->ncols++;
	}
	return 0;
}

static int
scan_op(void *arg, const fw_seg_op *so)
{
	struct commit_ctx *c = arg;
	struct op *o;
	int rc;

	if (c->nops == c->capops) {
		size_t cap = c->capops ? c->capops * 2 : 1024;
		struct op *n = realloc(c->ops, cap * sizeof(*n));
		if (n == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		c->ops = n;
		c->capops = cap;
	}
	if (c->idlen + so->idlen > c->idcap) {
		size_t cap = c->idcap ? c->idcap : 1 << 16;
		while (cap < c->idlen + so->idlen)
			cap *= 2;
		char *n = realloc(c->ids, cap);
		if (n == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		c->ids = n;
		c->idcap = cap;
	}
	if (c->idlen + so->idlen > UINT32_MAX)
		return fw_error_set(FW_EINVALID, "too many staged ids for one commit");
	o = &c->ops[c->nops];
	{
		uint8_t h[8];
		fw_idhash2(h, &o->check, so->id, so->idlen);
		o->hash = fw_be64(h);
	}
	o->seq = (uint32_t)c->nops;
	o->seg = c->cur_seg;
	o->off = so->off;
	o->len = so->len;
	o->type = (uint8_t)so->op;
	o->size = so->size;
	o->chunk = so->chunk >= 0 ? (int32_t)(c->seg_chunk0 + (size_t)so->chunk) : -1;
	o->row = so->row;
	o->mem = 0;
	if (o->chunk < 0 && so->body && so->len <= OPMEM_OP_MAX &&
	    c->opmem.len + so->len < OPMEM_MAX) {
		o->mem = (uint32_t)c->opmem.len + 1;
		if ((rc = fw_buf_add(&c->opmem, so->body, so->len)) < 0)
			return rc;
	}
	o->id_off = (uint32_t)c->idlen;
	o->id_len = (uint32_t)so->idlen;
	memcpy(c->ids + c->idlen, so->id, so->idlen);
	c->idlen += so->idlen;
	c->nops++;
	for (size_t i = 0; i < so->nf; i++)
		if ((rc = schema_extend(c, so->f[i].name, so->f[i].namelen)) < 0)
			return rc;
	return 0;
}

static int
op_cmp(const void *a, const void *b)
{
	const struct op *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The fields of a put staged in a chunk, copied into raw. */
static int
chunk_fields(struct commit_ctx *c, const struct op *o, fw_buf *raw, fw_field **f,
    size_t *nf, size_t *cap)
{
	struct chunk_slot *sl = &c->slots[(size_t)o->chunk % CHUNK_SLOTS];
	const fw_chunk *ch = &c->chunks[o->chunk];
	int rc = 0;

	pthread_mutex_lock(&sl->mu);
	if (sl->chunk != o->chunk) {
		for (size_t k = 0; k < sl->ncols; k++)
			fw_column_release(&sl->cols[k]);
		free(sl->cols);
		sl->cols = NULL;
		sl->ncols = 0;
		sl->chunk = -1;
		if ((rc = fw_chunk_load(c->s->os, ch, &sl->cols)) == 0) {
			sl->chunk = o->chunk;
			sl->ncols = ch->ncols;
		}
	}
	if (rc == 0)
		rc = fw_chunk_row(ch, sl->cols, o->row, raw, f, nf, cap);
	pthread_mutex_unlock(&sl->mu);
	return rc;
}

/*
 * A row group holding exactly a staged chunk's rows, in order, all of them
 * new puts with nothing patched over them, takes the chunk's columns: the
 * commit then writes only its keys, sizes and header. The columns' types
 * must be the schema's (a branch's schema may have changed since fw add).
 */
static int
edit_chunk(void *arg, const fw_ptree_ent *ents, size_t n, const fw_ptree_edit *edits,
    const fw_rg_col **cols, size_t *ncols)
{
	struct commit_ctx *c = arg;
	int32_t chunk = -1;

	for (size_t i = 0; i < n; i++) {
		if (ents[i].edit < 0 || ents[i].src || edits[ents[i].edit].op != FW_EDIT_PUT)
			return 0;
		const struct group *g = &c->groups[edits[ents[i].edit].ref];
		if (g->base < 0 || g->exists || (uint32_t)g->base + 1 != g->first + g->n)
			return 0;
		const struct op *o = &c->ops[g->base];
		if (o->type != FW_OP_PUT || o->chunk < 0 || o->row != i)
			return 0;
		if (i == 0) {
			chunk = o->chunk;
			if (c->chunks[chunk].nrows != n)
				return 0;
		} else if (o->chunk != chunk) {
			return 0;
		}
	}
	if (chunk < 0)
		return 0;
	const fw_chunk *ch = &c->chunks[chunk];
	for (size_t k = 0; k < ch->ncols; k++) {
		int sc = fw_schema_find(&c->schema, ch->cols[k].name, strlen(ch->cols[k].name));
		if (sc < 0 || c->schema.cols[sc].type != ch->cols[k].type)
			return 0;
	}
	*cols = ch->cols;
	*ncols = ch->ncols;
	return 1;
}

/*
 * Sorts the ops by (id hash, arrival): a stable radix sort of (hash, index)
 * pairs on the hash, then one move of the ops. The ops arrive in order, so
 * stability keeps arrival order within a hash. qsort with op_cmp took 0.4 s
 * of a million-record commit; small batches keep it.
 */
static int
sort_ops(struct commit_ctx *c)
{
	struct kv { uint64_t hash, idx; } *a, *b;
	struct op *moved;
	size_t n = c->nops;

	if (n < 2)
		return 0;
	if (n < 4096) {
		qsort(c->ops, n, sizeof(*c->ops), op_cmp);
		return 0;
	}
	a = malloc(n * sizeof(*a));
	b = malloc(n * sizeof(*b));
	moved = malloc(n * sizeof(*moved));
	if (!a || !b || !moved) {
		free(a);
		free(b);
		free(moved);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		a[i].hash = c->ops[i].hash;
		a[i].idx = i;
	}
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[257] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[((a[i].hash >> shift) & 0xff) + 1]++;
		for (int d = 0; d < 256; d++)
			count[d + 1] += count[d];
		for (size_t i = 0; i < n; i++)
			b[count[(a[i].hash >> shift) & 0xff]++] = a[i];
		struct kv *t = a;
		a = b;
		b = t;
	}
	for (size_t i = 0; i < n; i++)
		moved[i] = c->ops[a[i].idx];
	free(c->ops);
	c->ops = moved;
	c->capops = n;
	free(a);
	free(b);
	return 0;
}

/* Reads an op's fields into a record (fields point into rec->mem). */
static int
load_op(struct commit_ctx *c, const struct op *o, fw_buf *raw, fw_field **f, size_t *nf,
    size_t *cap)
{
	const char *id;
	size_t idlen;
	int rc;

	if (o->chunk >= 0)
		return chunk_fields(c, o, raw, f, nf, cap);
	if (o->mem) {
		fw_buf_reset(raw);
		if ((rc = fw_buf_add(raw, c->opmem.data + o->mem - 1, o->len)) < 0)
			return rc;
	} else if ((rc = fw_seg_read_op(c->fds[o->seg], o->off, o->len, raw)) < 0)
		return rc;
	return fw_op_decode(raw->data, raw->len, &id, &idlen, f, nf, cap);
}

/* The record of group g: its base PUT's fields with later patches over them
 * (or just the patches' fields, for a patch of an existing record). */
static int
edit_record(void *arg, int64_t ref, fw_rec *out)
{
	struct commit_ctx *c = arg;
	const struct group *g = &c->groups[ref];
	fw_buf mem = FW_BUF_INIT, raw = FW_BUF_INIT;
	fw_field *f = NULL, *acc = NULL;
	size_t nf = 0, cap = 0, nacc = 0;
	uint32_t start = g->base >= 0 ? (uint32_t)g->base : g->first;
	struct pick { uint32_t op; uint32_t idx; uint32_t namelen; uint32_t off; } *picks = NULL;
	size_t npicks = 0, cappicks = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	/* One op (a put, no patch over it): its fields as decoded, in the
	 * buffer they were read into. Most records of a big batch come here. */
	if (g->base >= 0 && start + 1 == g->first + g->n &&
	    c->ops[start].type == FW_OP_PUT) {
		if ((rc = load_op(c, &c->ops[start], &raw, &f, &nf, &cap)) < 0)
			goto done;
		out->f = f;
		out->n = nf;
		out->mem = fw_buf_detach(&raw, NULL);
		f = NULL;
		goto done;
	}
	/* First pass: gather (op index, field index) winners by name. */
	for (uint32_t i = start; i < g->first + g->n; i++) {
		const struct op *o = &c->ops[i];
		if (o->type == FW_OP_DEL)
			continue;
		if ((rc = load_op(c, o, &raw, &f, &nf, &cap)) < 0)
			goto done;
		for (size_t k = 0; k < nf; k++) {
			size_t p;
			for (p = 0; p < npicks; p++)
				if (picks[p].namelen == f[k].namelen &&
				    memcmp(mem.data + picks[p].off, f[k].name, f[k].namelen) == 0)
					break;
			if (p == npicks) {
				if (npicks == cappicks) {
					cappicks = cappicks ? cappicks * 2 : 16;
					void *np = realloc(picks, cappicks * sizeof(*picks));
					if (np == NULL) {
						rc = fw_error_set(FW_ENOMEM, "out of memory");
						goto done;
					}
					picks = np;
				}
				npicks++;
			}
			/* Store name, kind and payload in mem; the last write wins. */
			picks[p].op = i;
			picks[p].idx = (uint32_t)k;
			picks[p].namelen = f[k].namelen;
			picks[p].off = (uint32_t)mem.len;
			fw_buf_add(&mem, f[k].name, f[k].namelen);
			fw_buf_addc(&mem, (char)f[k].kind);
			fw_buf_add_u32(&mem, f[k].len);
			if ((rc = fw_buf_add(&mem, f[k].payload, f[k].len)) < 0)
				goto done;
		}
	}
	if ((acc = calloc(npicks + 1, sizeof(*acc))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t p = 0; p < npicks; p++) {
		const char *q = mem.data + picks[p].off;
		acc[nacc].name = q;
		acc[nacc].namelen = picks[p].namelen;
		acc[nacc].kind = (uint8_t)q[picks[p].namelen];
		memcpy(&acc[nacc].len, q + picks[p].namelen + 1, 4);
		acc[nacc].payload = q + picks[p].namelen + 5;
		nacc++;
	}
	out->f = acc;
	out->n = nacc;
	out->mem = fw_buf_detach(&mem, NULL);
	acc = NULL;
done:
	free(picks);
	free(acc);
	free(f);
	fw_buf_release(&mem);
	fw_buf_release(&raw);
	return rc;
}

/*
 * The index is keyed by 8 bytes of SHA-256(id): before a deletion removes a
 * stored record, its stored id must be the staged id, or two ids collide and
 * the commit is refused rather than deleting another record. An id whose
 * index check matched (group.verified) is known to be the stored one; the
 * others are compared here with the stored id. (Replacements and patches are
 * checked where their row group is rebuilt: core/rowgroup.c.)
 * Edits are in row-key order, so each row group's id column is decoded once.
 */
static void
edit_id(void *arg, int64_t ref, const char **id, size_t *len)
{
	struct commit_ctx *c = arg;
	const struct op *o = &c->ops[c->groups[ref].first];

	if (c->groups[ref].verified) {
		*id = NULL;	/* its index check says so already */
		*len = 0;
		return;
	}
	*id = c->ids + o->id_off;
	*len = o->id_len;
}

static int
verify_ids(struct commit_ctx *c, const fw_roots *roots, const fw_ptree_edit *e, size_t n)
{
	fw_ptree t;
	fw_ptree_child leaf;
	fw_rg rg;
	fw_column *ids = NULL;
	int have = 0, rc = 0;

	memset(&rg, 0, sizeof(rg));
	fw_data_tree_init(&t, c->s->os, NULL);
	fw_ptree_finder find;
	fw_ptree_finder_init(&find, &t, &roots->data);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct group *g = &c->groups[e[i].ref];
		const struct op *o = &c->ops[g->first];
		if (!g->exists || g->verified || e[i].op != FW_EDIT_DEL)
			continue;
		if (!have || memcmp(e[i].key, leaf.key, 16) > 0) {
			fw_rg_release(&rg);
			have = 0;
			if ((rc = fw_ptree_finder_find(&find, e[i].key, &leaf)) < 0 ||
			    (rc = fw_rg_load(c->s->os, &rg, &leaf.oid, 1)) < 0 ||
			    (rc = fw_rg_column(c->s->os, &rg, "id", &ids)) < 0)
				break;
			have = 1;
		}
		uint32_t lo = 0, hi = rg.n;
		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;
			if (memcmp(rg.keys + (size_t)mid * 16, e[i].key, 16) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= rg.n || memcmp(rg.keys + (size_t)lo * 16, e[i].key, 16) != 0 || !ids) {
			rc = fw_error_set(FW_ECORRUPT, "the id index names a record the data tree "
			    "does not hold (id '%.*s'); run fw fsck", (int)o->id_len, c->ids + o->id_off);
			break;
		}
		size_t len = ids->off[lo + 1] - ids->off[lo];
		if (ids->kind[lo] != FW_KIND_STRING || len != o->id_len ||
		    memcmp(ids->data + ids->off[lo], c->ids + o->id_off, len) != 0)
			rc = fw_error_set(FW_ECONFLICT, "id '%.*s' shares the first 8 bytes of its "
			    "SHA-256 with id '%.*s' already in the corpus; rename one",
			    (int)o->id_len, c->ids + o->id_off, (int)len, ids->data + ids->off[lo]);
	}
	fw_ptree_finder_release(&find);
	fw_rg_release(&rg);
	return rc;
}

int
fw_corpus_lock(fw_store *s, const char *corpus, int *fd)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/locks/%s.lock", s->dir, corpus);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0)
		return fw_error_errno("cannot open %s", path);
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		close(*fd);
		*fd = -1;
		if (errno == EWOULDBLOCK)
			return fw_error_set(FW_ELOCKED,
			    "another commit of corpus '%s' is running; its staged data stays "
			    "staged, try again", corpus);
		return fw_error_errno("cannot lock %s", path);
	}
	/* whoever takes the lock writes: an older store's format goes up */
	int rc = fw_store_upgrade(s);
	if (rc < 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

static int
ptedit_cmp(const void *a, const void *b)
{
	return memcmp(((const fw_ptree_edit *)a)->key, ((const fw_ptree_edit *)b)->key, 16);
}

/*
 * Puts the data edits in row-key order. A new id's key is its batch's start
 * plus its place in the batch, after every key the corpus holds: the new
 * ids come last, in arrival order, which a pass over the ops by arrival
 * gives without comparing keys (a qsort of a million edits by key was half
 * of a million-record commit). Edits of stored rows are sorted.
 */
static int
order_edits(struct commit_ctx *c, fw_ptree_edit *e, size_t n)
{
	fw_ptree_edit *tmp;
	int32_t *at;
	size_t nold = 0, w;

	if (n < 2)
		return 0;
	if ((tmp = malloc(n * sizeof(*tmp))) == NULL ||
	    (at = malloc(c->nops * sizeof(*at))) == NULL) {
		free(tmp);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < c->nops; i++)
		at[i] = -1;
	for (size_t i = 0; i < n; i++) {
		const struct group *g = &c->groups[e[i].ref];
		if (g->exists)
			tmp[nold++] = e[i];
		else
			at[c->ops[g->base].seq] = (int32_t)i;
	}
	qsort(tmp, nold, sizeof(*tmp), ptedit_cmp);
	w = nold;
	for (size_t s = 0; s < c->nops; s++)
		if (at[s] >= 0)
			tmp[w++] = e[at[s]];
	memcpy(e, tmp, n * sizeof(*e));
	free(tmp);
	free(at);
	return 0;
}

/*
 * Rewrites the data tree and the index of a version with edits, writes the
 * commit, makes the objects durable and moves the branch with compare-and-
 * swap from a->head. Shared by fw_commit and fw_merge.
 */
int
fw_commit_apply_edits(fw_store *s, const fw_commit_apply *a, git_oid *cid, fw_roots *nroots,
    uint64_t *reused, uint64_t *taken)
{
	fw_data_ctx dctx = { .os = s->os, .schema = a->schema,
	    .edit_record = a->edit_record, .edit_id = a->edit_id,
	    .edit_chunk = a->edit_chunk, .arg = a->arg,
	    .progress = a->progress, .progress_arg = a->progress_arg, .total = a->nd };
	fw_ptree dt, it;
	fw_pool *pool = NULL;
	git_reference *newref = NULL;
	double t0 = now_s();
	int rc;

	if (a->result) {
		*nroots = *a->result;
		goto write;
	}
	fw_data_ctx_init_locks(&dctx);
	fw_data_tree_init(&dt, s->os, &dctx);
	fw_index_tree_init(&it, s->os, NULL);
	/* The index's 2 KiB leaves are built on this thread: on the pool (an
	 * append of 1,000 ids rewrites ~900 of them) the jobs cost more than
	 * they took off it. */
	if (fw_pool_default_threads() > 1 &&
	    fw_pool_new(&pool, 0, 2 * fw_pool_default_threads()) == 0)
		dt.pool = pool;
	rc = fw_ptree_apply(&dt, &nroots->data, &a->roots->data, a->dedits, a->nd);
	fw_pool_free(pool);
	phase("data tree", &t0);
	fw_data_ctx_destroy_locks(&dctx);
	if (rc < 0 ||
	    (rc = fw_ptree_apply(&it, &nroots->index, &a->roots->index, a->iedits, a->ni)) < 0)
		return rc;
	if (reused)
		*reused = dctx.columns_reused;
	if (taken)
		*taken = dctx.chunks_taken;
	phase("index", &t0);
write:
	if ((rc = fw_commit_write(s, cid, a->schema, nroots, a->message, a->parents,
	    a->nparents)) < 0)
		return rc;
	if ((rc = fw_objstore_flush(s->os)) < 0)
		return rc;
	fw_crash_point("objects flushed");
	phase("commit, flush", &t0);
	if (a->pause)
		a->pause();
	if ((rc = git_reference_create_matching(&newref, s->repo, a->ref, cid, 1, a->head,
	    a->reflog)) < 0)
		return rc == GIT_EMODIFIED || rc == GIT_ELOCKED ?
		    fw_error_set(FW_ECONFLICT, "%s", a->moved) :
		    fw_git_error(rc, "cannot move %s", a->ref);
	git_reference_free(newref);
	return 0;
}

int
fw_commit(fw_store *s, fw_commit_result *res, const char *corpus, const fw_commit_opts *o)
{
	struct commit_ctx c;
	fw_buf branch = FW_BUF_INIT, ref = FW_BUF_INIT, msg = FW_BUF_INIT;
	fw_roots roots, nroots;
	fw_ptree_edit *dedits = NULL, *iedits = NULL;
	uint64_t *seg_start = NULL;
	size_t nd = 0, ni = 0;
	fw_objstore_counters before, after;
	git_oid head, cid;
	int lockfd = -1, rc;

	double t0 = now_s();

	memset(&c, 0, sizeof(c));
	memset(res, 0, sizeof(*res));
	c.s = s;
	for (size_t i = 0; i < CHUNK_SLOTS; i++) {
		pthread_mutex_init(&c.slots[i].mu, NULL);
		c.slots[i].chunk = -1;
	}
	fw_objstore_counters_get(s->os, &before);
	if ((rc = fw_corpus_current_branch(s, corpus, &branch)) < 0)
		goto done;
	if ((rc = fw_corpus_lock(s, corpus, &lockfd)) < 0)
		goto done;
	fw_ref_branch(&ref, corpus, branch.data);
	if ((rc = git_reference_name_to_id(&head, s->repo, ref.data)) < 0) {
		rc = fw_git_error(rc, "cannot read %s@%s", corpus, branch.data);
		goto done;
	}
	if ((rc = fw_commit_read(s, &head, &c.schema, &roots, NULL)) < 0)
		goto done;
	if ((rc = fw_seg_list(s, corpus, &c.segs, &c.nsegs)) < 0)
		goto done;
	/* Segments staged on other branches wait for them. */
	size_t w = 0;
	for (size_t i = 0; i < c.nsegs; i++) {
		if (strcmp(c.segs[i].branch, branch.data) == 0)
			c.segs[w++] = c.segs[i];
		else
			free(c.segs[i].path);
	}
	c.nsegs = w;
	if (c.nsegs == 0) {
		rc = fw_error_set(FW_EEMPTY, "nothing staged for %s@%s", corpus, branch.data);
		goto done;
	}
	if ((c.fds = calloc(c.nsegs, sizeof(*c.fds))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < c.nsegs; i++)
		c.fds[i] = -1;
	if ((c.seg_first = calloc(c.nsegs, sizeof(*c.seg_first))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < c.nsegs; i++) {
		c.cur_seg = (uint32_t)i;
		c.seg_first[i] = (uint32_t)c.nops;
		if ((c.fds[i] = open(c.segs[i].path, O_RDONLY | O_CLOEXEC)) < 0) {
			rc = fw_error_errno("cannot open %s", c.segs[i].path);
			goto done;
		}
		c.seg_chunk0 = c.nchunks;
		if ((rc = fw_seg_scan(&c.segs[i], scan_op, scan_chunk, &c)) < 0)
			goto done;
	}
	phase("scan", &t0);
	if ((rc = sort_ops(&c)) < 0)
		goto done;
	/* One group per id. */
	if ((c.groups = calloc(c.nops + 1, sizeof(*c.groups))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < c.nops;) {
		struct group *g = &c.groups[c.ngroups++];
		size_t j = i;
		g->first = (uint32_t)i;
		g->base = -1;
		while (j < c.nops && c.ops[j].hash == c.ops[i].hash) {
			const struct op *a = &c.ops[i], *b = &c.ops[j];
			if (a->id_len != b->id_len ||
			    memcmp(c.ids + a->id_off, c.ids + b->id_off, a->id_len) != 0) {
				rc = fw_error_set(FW_ECONFLICT,
				    "ids '%.*s' and '%.*s' share the first 8 bytes of their SHA-256; "
				    "rename one", (int)a->id_len, c.ids + a->id_off,
				    (int)b->id_len, c.ids + b->id_off);
				goto done;
			}
			if (b->type != FW_OP_PATCH)
				g->base = (int32_t)j;
			j++;
		}
		g->n = (uint32_t)(j - i);
		i = j;
	}
	/* Where each batch's keys start: at its time, but after everything
	 * the corpus holds and after the batch staged before it, so that new
	 * records go to the tail even when FW_NOW is pinned or the clock
	 * went back. */
	if ((seg_start = calloc(c.nsegs, sizeof(*seg_start))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	{
		uint64_t next = roots.data.empty ? 0 : fw_be64(roots.data.top.key) + 1;
		for (size_t i = 0; i < c.nsegs; i++) {
			uint32_t nops_seg = (i + 1 < c.nsegs ? c.seg_first[i + 1] : (uint32_t)c.nops) -
			    c.seg_first[i];
			seg_start[i] = c.segs[i].time > next ? c.segs[i].time : next;
			next = seg_start[i] + nops_seg;
		}
	}
	/* Existing row keys, looked up in hash order. The index leaves read
	 * stay cached for the index rewrite (an append of 1,000 ids reads
	 * ~900 leaves here and rewrites them there). */
	/* Patches alone never edit the index: nothing to keep for it then,
	 * and each leaf kept was fresh memory (a relabel's 930 leaves were
	 * 290 page faults). */
	int index_edits = 0;
	for (size_t i = 0; i < c.nops && !index_edits; i++)
		index_edits = c.ops[i].type != FW_OP_PATCH;
	if (index_edits)
		fw_objstore_cache(s->os, "ixl", (size_t)64 << 20);
	fw_index_reader ir;
	fw_index_reader_init(&ir, s->os, &roots.index);
	for (size_t k = 0; k < c.ngroups && rc >= 0; k++) {
		uint8_t key[8];
		uint64_t t;
		fw_put_be64(key, c.ops[c.groups[k].first].hash);
		uint32_t chk;
		rc = fw_index_reader_get(&ir, key, &t, &chk);
		if (rc == 1) {
			c.groups[k].exists = 1;
			c.groups[k].time = t;
			/* Not verified (a version-1 entry, or another id with the
			 * same 8 bytes): the stored id is read and compared. */
			c.groups[k].verified = chk != 0 && chk == c.ops[c.groups[k].first].check;
		}
	}
	fw_index_reader_release(&ir);
	if (rc < 0)
		goto done;
	dedits = calloc(c.ngroups + 1, sizeof(*dedits));
	iedits = calloc(c.ngroups + 1, sizeof(*iedits));
	if (!dedits || !iedits) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t k = 0; k < c.ngroups; k++) {
		struct group *g = &c.groups[k];
		const struct op *base = g->base >= 0 ? &c.ops[g->base] : NULL;
		uint64_t hash = c.ops[g->first].hash;
		int has_patch = (g->base >= 0 ? (uint32_t)g->base + 1 : g->first) < g->first + g->n;
		fw_ptree_edit *e = &dedits[nd];

		memset(e, 0, sizeof(*e));
		e->ref = (int64_t)k;
		if (base && base->type == FW_OP_DEL) {
			if (!g->exists)
				continue;	/* deleting what is not there */
			fw_put_be64(e->key, g->time);
			fw_put_be64(e->key + 8, hash);
			e->op = FW_EDIT_DEL;
			nd++;
			res->removed++;
			fw_ptree_edit *ie = &iedits[ni++];
			memset(ie, 0, sizeof(*ie));
			fw_put_be64(ie->key, hash);
			ie->op = FW_EDIT_DEL;
			continue;
		}
		if (base == NULL && !g->exists)
			continue;	/* a patch of an id the corpus does not have */
		/* A new id's row key: its batch's time plus its place in the
		 * batch, in nanoseconds, so that a batch keeps its arrival
		 * order (docs/design.md (i)). */
		if (!g->exists)
			g->time = seg_start[base->seg] + (base->seq - c.seg_first[base->seg]);
		fw_put_be64(e->key, g->time);
		fw_put_be64(e->key + 8, hash);
		if (base) {
			e->op = FW_EDIT_PUT;
			e->size = base->size;
			if (has_patch) {
				fw_rec r;
				if ((rc = edit_record(&c, (int64_t)k, &r)) < 0)
					goto done;
				e->size = fw_fields_size(r.f, r.n);
				fw_rec_free(&r);
			}
			if (g->exists)
				res->replaced++;
			else
				res->added++;
		} else {
			e->op = FW_EDIT_PATCH;
			res->patched++;
		}
		nd++;
		if (!g->exists) {
			fw_ptree_edit *ie = &iedits[ni++];
			memset(ie, 0, sizeof(*ie));
			fw_put_be64(ie->key, hash);
			ie->op = FW_EDIT_PUT;
			ie->size = 16;
			ie->ref = (int64_t)g->time;
			ie->aux = c.ops[g->first].check;
		}
	}
	if ((rc = order_edits(&c, dedits, nd)) < 0)
		goto done;
	phase("sort, look up", &t0);
	if ((rc = verify_ids(&c, &roots, dedits, nd)) < 0)
		goto done;
	phase("verify ids", &t0);
	/* iedits are in hash order already */
	fw_buf_adds(&msg, o->message && *o->message ? o->message : "commit");
	if (msg.len && msg.data[msg.len - 1] != '\n')
		fw_buf_addc(&msg, '\n');
	if (o->ntrailers) {
		fw_buf_addc(&msg, '\n');
		for (size_t i = 0; i < o->ntrailers; i++)
			fw_buf_printf(&msg, "%s\n", o->trailers[i]);
	}
	{
		fw_buf rlog = FW_BUF_INIT, moved = FW_BUF_INIT;
		fw_commit_apply ap = {
			.ref = ref.data, .head = &head, .schema = &c.schema, .roots = &roots,
			.dedits = dedits, .nd = nd, .iedits = iedits, .ni = ni,
			.edit_record = edit_record, .edit_id = edit_id, .edit_chunk = edit_chunk,
			.arg = &c,
			.message = msg.data, .parents = &head, .nparents = 1, .pause = test_pause,
			.progress = o->progress, .progress_arg = o->progress_arg,
		};
		fw_buf_printf(&rlog, "commit: %s", o->message ? o->message : "");
		fw_buf_printf(&moved, "%s@%s moved while committing; staged data stays staged, "
		    "commit again", corpus, branch.data);
		ap.reflog = rlog.data;
		ap.moved = moved.data;
		rc = fw_commit_apply_edits(s, &ap, &cid, &nroots, &res->objects_reused,
		    &res->chunks_taken);
		fw_buf_release(&rlog);
		fw_buf_release(&moved);
		if (rc < 0)
			goto done;
	}
	fw_crash_point("branch moved");
	for (size_t i = 0; i < c.nsegs; i++) {
		if (unlink(c.segs[i].path) < 0 && errno != ENOENT) {
			rc = fw_error_errno("cannot remove %s", c.segs[i].path);
			goto done;
		}
		fw_crash_point("segment removed");
	}
	git_oid_tostr(res->commit, sizeof(res->commit), &cid);
	res->records = nroots.data.empty ? 0 : nroots.data.top.count;
	fw_objstore_counters_get(s->os, &after);
	res->objects_written = after.put_new - before.put_new;
	res->bytes_written = after.put_new_bytes - before.put_new_bytes;
	if (getenv("FW_VERBOSE"))
		fprintf(stderr, "fw: commit: %llu objects read (%llu bytes uncompressed), "
		    "%llu written (%llu bytes uncompressed, %llu stored)\n",
		    (unsigned long long)(after.gets - before.gets),
		    (unsigned long long)(after.get_bytes - before.get_bytes),
		    (unsigned long long)res->objects_written,
		    (unsigned long long)(after.put_new_raw - before.put_new_raw),
		    (unsigned long long)res->bytes_written);
	rc = 0;
done:
	fw_objstore_cache(s->os, NULL, 0);
	if (c.fds)
		for (size_t i = 0; i < c.nsegs; i++)
			if (c.fds[i] >= 0)
				close(c.fds[i]);
	free(c.fds);
	free(c.seg_first);
	free(seg_start);
	fw_seg_list_free(c.segs, c.nsegs);
	free(c.ops);
	free(c.ids);
	free(c.groups);
	fw_schema_release(&c.schema);
	fw_buf_release(&c.scratch);
	fw_buf_release(&c.opmem);
	for (size_t i = 0; i < c.nchunks; i++)
		fw_chunk_release(&c.chunks[i]);
	free(c.chunks);
	for (size_t i = 0; i < CHUNK_SLOTS; i++) {
		for (size_t k = 0; k < c.slots[i].ncols; k++)
			fw_column_release(&c.slots[i].cols[k]);
		free(c.slots[i].cols);
		pthread_mutex_destroy(&c.slots[i].mu);
	}
	free(dedits);
	free(iedits);
	fw_buf_release(&branch);
	fw_buf_release(&ref);
	fw_buf_release(&msg);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

struct st_op {
	uint64_t hash;
	uint32_t seq;
	uint8_t type;
};

struct st_ctx {
	struct st_op *v;
	size_t n, cap;
};

static int
st_scan(void *arg, const fw_seg_op *o)
{
	struct st_ctx *c = arg;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct st_op *v = realloc(c->v, cap * sizeof(*v));
		if (v == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n].hash = hash_of(o->id, o->idlen);
	c->v[c->n].seq = (uint32_t)c->n;
	c->v[c->n].type = (uint8_t)o->op;
	c->n++;
	return 0;
}

static int
st_cmp(const void *a, const void *b)
{
	const struct st_op *x = a, *y = b;

	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Counts a batch of another branch and adds the branch to st->others (kept
 * sorted, each once). Names hold no space, so ", " separates them. */
static void
note_other(fw_stage_status *st, const char *branch)
{
	fw_buf b = FW_BUF_INIT;
	const char *p = st->others;
	int placed = 0;

	st->other_segments++;
	while (*p) {
		const char *sep = strstr(p, ", ");
		size_t n = sep ? (size_t)(sep - p) : strlen(p);
		int cmp = strncmp(p, branch, n);
		if (cmp == 0 && branch[n] == '\0')
			goto done;	/* listed already */
		if (!placed && cmp > 0) {
			fw_buf_printf(&b, "%s%s", b.len ? ", " : "", branch);
			placed = 1;
		}
		fw_buf_printf(&b, "%s%.*s", b.len ? ", " : "", (int)n, p);
		p += n + (sep ? 2 : 0);
	}
	if (!placed)
		fw_buf_printf(&b, "%s%s", b.len ? ", " : "", branch);
	if (b.len < sizeof(st->others))
		memcpy(st->others, b.data, b.len + 1);
done:
	fw_buf_release(&b);
}

int
fw_stage_status_get(fw_store *s, const char *corpus, fw_stage_status *st)
{
	fw_buf branch = FW_BUF_INIT, ref = FW_BUF_INIT;
	struct st_ctx c = { 0 };
	fw_seg *segs = NULL;
	size_t nsegs = 0;
	fw_roots roots;
	git_oid head;
	int rc;

	memset(st, 0, sizeof(*st));
	if ((rc = fw_corpus_current_branch(s, corpus, &branch)) < 0)
		goto done;
	snprintf(st->branch, sizeof(st->branch), "%s", branch.data);
	fw_ref_branch(&ref, corpus, branch.data);
	if ((rc = git_reference_name_to_id(&head, s->repo, ref.data)) < 0) {
		rc = fw_git_error(rc, "cannot read %s@%s", corpus, branch.data);
		goto done;
	}
	if ((rc = fw_commit_read(s, &head, NULL, &roots, NULL)) < 0 ||
	    (rc = fw_seg_list(s, corpus, &segs, &nsegs)) < 0)
		goto done;
	for (size_t i = 0; i < nsegs; i++) {
		if (strcmp(segs[i].branch, branch.data) != 0) {
			note_other(st, segs[i].branch);
			continue;
		}
		st->segments++;
		if ((rc = fw_seg_scan(&segs[i], st_scan, NULL, &c)) < 0)
			goto done;
	}
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), st_cmp);
	fw_index_reader ir;
	fw_index_reader_init(&ir, s->os, &roots.index);
	for (size_t i = 0; i < c.n && rc >= 0;) {
		size_t j = i;
		int base = 0, patched = 0;
		uint8_t key[8];
		uint64_t t;
		while (j < c.n && c.v[j].hash == c.v[i].hash) {
			if (c.v[j].type == FW_OP_PATCH)
				patched = 1;
			else {
				base = c.v[j].type;
				patched = 0;
			}
			j++;
		}
		fw_put_be64(key, c.v[i].hash);
		rc = fw_index_reader_get(&ir, key, &t, NULL);
		if (rc < 0)
			break;
		if (base == FW_OP_PUT)
			rc == 1 ? st->replace++ : st->add++;
		else if (base == FW_OP_DEL)
			rc == 1 ? st->remove++ : st->ignored++;
		else if (patched)
			rc == 1 ? st->patch++ : st->ignored++;
		rc = 0;
		i = j;
	}
	fw_index_reader_release(&ir);
done:
	free(c.v);
	fw_seg_list_free(segs, nsegs);
	fw_buf_release(&branch);
	fw_buf_release(&ref);
	return rc < 0 ? rc : 0;
}
