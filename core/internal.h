/* core/internal.h - what core's files share and nothing outside core sees. */
#ifndef FW_CORE_INTERNAL_H
#define FW_CORE_INTERNAL_H

#include <git2.h>
#include <pthread.h>

#include "fw/store.h"
#include "fw/column.h"
#include "ptree.h"

struct fw_store {
	char *root;		/* the directory holding .fw */
	char *dir;		/* .fw */
	git_repository *repo;
	fw_objstore *os;
	int format;		/* config.yaml's, FW_STORE_FORMAT once upgraded */
};

/* Converts the last libgit2 error into an fw error prefixed with what. */
int fw_git_error(int gitrc, const char *what, ...) __attribute__((format(printf, 2, 3)));

/* Big-endian 64-bit integers, as row keys and index entries hold them. */
static inline uint64_t
fw_be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void
fw_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint32_t
fw_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
fw_put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Row keys: 8-byte big-endian arrival time, first 8 bytes of SHA-256(id). */
#define FW_ROWKEY_LEN 16
#define FW_IDKEY_LEN 8
void fw_idhash(uint8_t out[8], const char *id, size_t len);
/* Also the id's check: the next 4 bytes of its SHA-256 (big-endian, never
 * 0), which the id index keeps beside each key so that an edit of a stored
 * id is known to be that id's without reading the id column. */
void fw_idhash2(uint8_t out[8], uint32_t *check, const char *id, size_t len);

/* The arrival time for a new batch: FW_NOW (ns) or the clock. */
uint64_t fw_now_ns(void);

/* --- schema --- */
typedef struct fw_schema_col {
	char *name;
	size_t namelen;
	fw_type type;
	int required;
} fw_schema_col;

typedef struct fw_schema {
	int strict;
	fw_schema_col *cols;
	size_t ncols;
} fw_schema;

int fw_schema_parse(fw_schema *out, const char *yaml, size_t len);
/* Loads a YAML document from yaml[0..len) into *doc (yaml_document_delete
 * it); FW_EINVALID "WHATline N: problem" when it does not parse. */
struct yaml_document_s;
int fw_yaml_load(struct yaml_document_s *doc, const char *yaml, size_t len, const char *what);
int fw_schema_emit(const fw_schema *s, fw_buf *out);
void fw_schema_release(fw_schema *s);
/* Index of a column by name, or -1. */
int fw_schema_find(const fw_schema *s, const char *name, size_t len);
int fw_schema_add(fw_schema *s, const char *name, size_t len, fw_type type);

/* --- versions: DATA and INDEX of a commit --- */
typedef struct fw_roots {
	fw_ptree_root data, index;
} fw_roots;

int fw_roots_format(const fw_roots *r, fw_buf *data_txt, fw_buf *index_txt);
int fw_roots_parse(fw_roots *r, const char *data_txt, size_t dlen,
    const char *index_txt, size_t ilen);

/* fsync of a directory (after files in it were created, renamed or
 * removed); an fw error. */
int fw_fsync_dir(const char *dir);

/* Reads a commit's schema and roots. */
int fw_commit_read(fw_store *s, const git_oid *commit, fw_schema *schema,
    fw_roots *roots, char **schema_text);
/* The same, from a commit id in hex (a fw_rev's commit); schema may be NULL. */
int fw_version_read(fw_store *s, const char *commit_hex, fw_schema *schema,
    fw_roots *roots);
/* Writes a commit of these roots and schema; parents may be NULL/0. */
int fw_commit_write(fw_store *s, git_oid *out, const fw_schema *schema,
    const fw_roots *roots, const char *message, const git_oid *parents,
    size_t nparents);

/* The signature of new commits and tags: FW_AUTHOR_NAME, FW_AUTHOR_EMAIL
 * (defaults $USER, fw@localhost), dated FW_NOW or now. */
int fw_signature(git_signature **out);
/* The name and email of that signature (borrowed from the environment). */
void fw_ident(const char **name, const char **email);

/* The id of the commit a ref name leads to (through symbolic refs and tags);
 * a libgit2 error code otherwise. */
int fw_ref_commit(fw_store *s, const char *name, git_oid *out);
/* 1 when commit belongs to corpus (its first-parent root is the root of the
 * corpus's current branch), 0 when not, <0 on error. */
int fw_commit_in_corpus(fw_store *s, const char *corpus, const git_oid *commit);
/* 0 when corpus exists and name (checked with fw_refname_check, kind
 * "branch" or "tag") is neither a branch nor a tag of it: one would hide the
 * other, tags resolving first. FW_EEXISTS, FW_ENOTFOUND, FW_EINVALID. */
int fw_refname_available(fw_store *s, const char *corpus, const char *name, const char *kind);
/* Appends "; did you mean CORPUS@X, ...?" to msg when branch or tag names of
 * corpus are close to name (edit distance <= 2, or one a prefix of the other). */
void fw_refname_suggest(fw_store *s, const char *corpus, const char *name, fw_buf *msg);
/* Records an event (message) in the corpus's store log, the reflog of
 * refs/fw/log/CORPUS, whose position becomes id. */
int fw_storelog_append(fw_store *s, const char *corpus, const git_oid *id, const char *message);
/* Deletes ref r after logging its target in the store log with msg (the log
 * first: a crash between the two leaves an entry that says more than
 * happened, never a deletion without a trace). what names it in errors. */
int fw_ref_delete_logged(fw_store *s, const char *corpus, git_reference *r,
    const git_oid *target, const char *msg, const char *what);

/* The names after prefix ("refs/heads/CORPUS/") of the refs under it, one
 * level deep, sorted; free with fw_ref_names_free. */
int fw_ref_names(fw_store *s, const char *prefix, char ***out, size_t *nout);
void fw_ref_names_free(char **v, size_t n);
/* The record count of a version (from its DATA file; no data is read). */
int fw_commit_records(fw_store *s, const git_oid *id, uint64_t *records);

/* Ref names. */
int fw_ref_tag(fw_buf *out, const char *corpus, const char *tag);
int fw_ref_storelog(fw_buf *out, const char *corpus);
int fw_ref_branch(fw_buf *out, const char *corpus, const char *branch);
int fw_ref_current(fw_buf *out, const char *corpus);

/* --- the two trees --- */
void fw_data_tree_init(fw_ptree *t, fw_objstore *os, void *ctx);
void fw_index_tree_init(fw_ptree *t, fw_objstore *os, void *ctx);

/* Staged ops as read back from segments. A segment also holds CHUNK records
 * (a staged chunk's columns), each followed by one REF per row (the put's id
 * and size); fw_seg_scan reports a REF as a PUT in that chunk. */
enum { FW_OP_PUT = 1, FW_OP_DEL = 2, FW_OP_PATCH = 3, FW_OP_CHUNK = 4, FW_OP_REF = 5 };

typedef struct fw_field {
	const char *name;
	uint32_t namelen;
	uint8_t kind;
	const char *payload;
	uint32_t len;
} fw_field;

/* The longest field (column) name, in bytes: what schema.yaml accepts. */
#define FW_FIELD_NAME_MAX 256

/* Encodes one staged op (the bytes a segment holds for it). */
int fw_op_encode(fw_buf *out, int op, const char *id, size_t idlen,
    const fw_field *fields, size_t nfields);
/* Decodes an op's fields (after its type and length). fields is grown. */
int fw_op_decode(const char *p, size_t len, const char **id, size_t *idlen,
    fw_field **fields, size_t *nfields, size_t *cap);

uint32_t fw_fields_size(const fw_field *f, size_t n);
/* The canonical JSON of a record given as fields. */
int fw_record_canon(fw_buf *out, const fw_field *f, size_t n);

/* --- row groups (the data tree's leaves) --- */

/* A staged record's fields, owned (fields point into mem). */
typedef struct fw_rec {
	fw_field *f;
	size_t n;
	char *mem;
} fw_rec;
void fw_rec_free(fw_rec *r);
/* The field named name, or NULL. */
const fw_field *fw_rec_get(const fw_rec *r, const char *name, size_t len);

typedef struct fw_rg_col {
	char *name;
	fw_type type;
	fw_oid oid;
	uint64_t stored;
	fw_colstats st;
	fw_column *dec;		/* decoded on demand */
	/* Decoded from bytes not yet checked against oid, for comparisons
	 * that pass nothing on (core/rowgroup.c); the bytes, to check later. */
	fw_column *unv;
	char *unv_raw;
	size_t unv_len;
} fw_rg_col;

typedef struct fw_rg {
	uint32_t n;
	fw_oid keys_oid, sizes_oid;
	uint64_t keys_stored, sizes_stored, hdr_stored;
	fw_rg_col *cols;
	size_t ncols;
	uint8_t *keys;		/* n * 16, when loaded */
	uint32_t *sizes;
} fw_rg;

/* One column entry of a row group header (also of a staged chunk): name,
 * type, object id, stored size, statistics. decode strndups the name; the
 * caller checks st.count. */
int fw_rg_col_encode(fw_buf *b, const char *name, const fw_rg_col *c);
int fw_rg_col_decode(fw_rd *r, fw_rg_col *c);

/* Puts column c as a "col" object: out's oid, stored size and statistics
 * (what a row group header lists for it). */
int fw_column_put(fw_objstore *os, const fw_column *c, fw_rg_col *out);

/* dst: the header entry of column src as a new header keeps it (its
 * object, size and statistics, none of what src owns), of type type. */
void fw_rg_col_reuse(fw_rg_col *dst, const fw_rg_col *src, fw_type type);
/* Writes a row group header (the "rg" object): n rows, its keys and sizes
 * objects, and the columns cols[0..ncols) named names[]; *oid, *stored. */
int fw_rg_header_put(fw_objstore *os, fw_oid *oid, uint64_t *stored, uint32_t n,
    const fw_oid *koid, uint64_t kstored, const fw_oid *soid, uint64_t sstored,
    const fw_rg_col *cols, const char *const *names, size_t ncols);
/* Loads a row group's header (and with keys set, its keys and sizes). */
int fw_rg_load(fw_objstore *os, fw_rg *out, const fw_oid *oid, int keys);
void fw_rg_release(fw_rg *rg);
/* The index of column name in rg's header, or (size_t)-1. */
size_t fw_rg_find(const fw_rg *rg, const char *name);
/* The decoded column of that name, or NULL when the row group has none. */
int fw_rg_column(fw_objstore *os, fw_rg *rg, const char *name, fw_column **out);
/* Rows rows[0..m) (ascending) of that column, which the row group must
 * have (FW_ENOTFOUND), as a column of m rows of out's own: from the
 * decoded column when there is one, else read and checked as
 * fw_rg_column does but put together only as far as those rows need
 * (fw_column_decode_rows); nothing is kept in rg. */
int fw_rg_column_rows(fw_objstore *os, fw_rg *rg, const char *name, const uint32_t *rows,
    uint32_t m, fw_column *out);

struct fw_filter;
/*
 * The rows of a row group a filter selects, deciding from the group's
 * statistics first and decoding only the columns the filter names otherwise.
 * Returns 1 when no row matches (*by_stats, when not NULL, says whether the
 * statistics alone ruled the group out), 0 with *match NULL when every row
 * matches, 0 with *match a mask of rg->n bytes (free()) otherwise.
 */
int fw_rg_select(fw_objstore *os, fw_rg *rg, const struct fw_filter *f, uint8_t **match,
    int *by_stats);

#define FW_DECODE_LOCKS 16

/* What the data tree's leaf builder needs from a commit. */
typedef struct fw_data_ctx {
	fw_objstore *os;
	fw_schema *schema;
	/* The record of a level-0 edit (PUT: all fields; PATCH: the fields set). */
	int (*edit_record)(void *arg, int64_t ref, fw_rec *out);
	/* The staged id of a level-0 edit (borrowed), to compare with the
	 * stored one; NULL when the id index's check vouched for it already. */
	void (*edit_id)(void *arg, int64_t ref, const char **id, size_t *len);
	/* May be NULL. 1 when ents[0..n) are exactly the rows of a chunk staged
	 * by fw add, in order, all new, with the schema's types: *cols and
	 * *ncols are then its columns (borrowed), which the row group takes as
	 * they are. 0 otherwise. */
	int (*edit_chunk)(void *arg, const fw_ptree_ent *ents, size_t n,
	    const fw_ptree_edit *edits, const fw_rg_col **cols, size_t *ncols);
	void *arg;
	_Atomic uint64_t columns_reused, columns_written;
	_Atomic uint64_t chunks_taken;	/* row groups made of staged chunks */
	/* Guard the lazy column decoding of old row groups shared by builders:
	 * one lock per stripe of row groups (fw_data_rg_column), so builders of
	 * different row groups decode at the same time. */
	pthread_mutex_t decode_mu[FW_DECODE_LOCKS];
	pthread_mutex_t progress_mu;
	/* Progress: records in row groups built so far, of total. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	_Atomic uint64_t built;
	uint64_t total;
} fw_data_ctx;

void fw_data_ctx_init_locks(fw_data_ctx *ctx);
void fw_data_ctx_destroy_locks(fw_data_ctx *ctx);

/* --- applying edits: the end of a commit, shared with merges --- */
typedef struct fw_commit_apply {
	const char *ref;		/* the branch's ref name */
	const git_oid *head;		/* its position when read */
	fw_schema *schema;		/* of the new version */
	const fw_roots *roots;		/* of head */
	const fw_ptree_edit *dedits, *iedits;	/* data (row-key order), index (hash order) */
	size_t nd, ni;
	int (*edit_record)(void *arg, int64_t ref, fw_rec *out);
	/* The staged id of an edit, to check against stored ids (NULL when
	 * the index's check did); may be NULL. */
	void (*edit_id)(void *arg, int64_t ref, const char **id, size_t *len);
	/* Staged chunks a row group can take whole (fw_data_ctx); may be NULL. */
	int (*edit_chunk)(void *arg, const fw_ptree_ent *ents, size_t n,
	    const fw_ptree_edit *edits, const fw_rg_col **cols, size_t *ncols);
	void *arg;
	/* Progress of the row groups built, may be NULL. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
	const char *message;		/* the whole commit message */
	const char *reflog;		/* the branch's reflog message */
	const char *moved;		/* the FW_ECONFLICT message when the branch moved */
	const git_oid *parents;
	size_t nparents;
	void (*pause)(void);		/* test hook before the move, may be NULL */
	/* When set, the new version's roots, their objects written already (a
	 * merge of row groups, core/merge_fast.c): the edits are not used. */
	const fw_roots *result;
} fw_commit_apply;
/* Applies the edits to both trees, writes the commit into *cid, flushes the
 * objects and moves a->ref from a->head (FW_ECONFLICT when it moved). */
int fw_commit_apply_edits(fw_store *s, const fw_commit_apply *a, git_oid *cid,
    fw_roots *nroots, uint64_t *reused, uint64_t *taken);
/* Takes the corpus's commit lock (FW_ELOCKED when held); close *fd to free. */
int fw_corpus_lock(fw_store *s, const char *corpus, int *fd);

/* --- the id index --- */
/* Looks up an id hash: 1 and *time when present, 0 when absent, <0 error. */
int fw_index_lookup(fw_objstore *os, const fw_ptree_root *root,
    const uint8_t key[8], uint64_t *time);

/* Reads an index leaf: n entries, keys (n * 8 bytes), their times and
 * their ids' checks (fw_idhash2; 0 where a version-1 leaf kept none), all
 * malloc'd, the caller's; checks may be NULL. FW_ECORRUPT naming the leaf
 * when malformed. */
int fw_ixl_read(fw_objstore *os, const fw_oid *oid, uint32_t *n, uint8_t **keys,
    uint64_t **vals, uint32_t **checks);

/* A cache of index leaves, and of the internal nodes above them, for many
 * lookups in key order: each node is read once, not once a lookup. The
 * reader must not move between init and release. */
typedef struct fw_index_reader {
	fw_ptree t;
	const fw_ptree_root *root;
	fw_ptree_child leaf;
	int have;
	uint32_t n;
	uint8_t *keys;
	uint64_t *vals;
	uint32_t *checks;
	fw_ptree_finder find;
} fw_index_reader;
void fw_index_reader_init(fw_index_reader *r, fw_objstore *os, const fw_ptree_root *root);
/* As fw_index_lookup; *check (when check is not NULL) is the entry's id
 * check, 0 when its leaf kept none. */
int fw_index_reader_get(fw_index_reader *r, const uint8_t key[8], uint64_t *time,
    uint32_t *check);
void fw_index_reader_release(fw_index_reader *r);

/* --- staged segments --- */
typedef struct fw_seg {
	char *path;
	char branch[256];
	uint64_t time;
	uint64_t body;		/* offset of the first op */
} fw_seg;

/* Reads sg->path's header into sg (branch, time, body); FW_ECORRUPT naming
 * the file for a bad one. */
int fw_seg_header(fw_seg *sg);
/* Lists the sealed segments of a corpus in the order they were sealed. */
int fw_seg_list(fw_store *s, const char *corpus, fw_seg **out, size_t *n);
void fw_seg_list_free(fw_seg *segs, size_t n);
/*
 * Staged chunks (docs/design.md (n)): fw add cuts a big batch of puts where a
 * commit into an empty tree would cut its row groups and builds each chunk's
 * column objects at once, so that nothing as big as the input is staged and
 * the commit takes a chunk whose rows make a row group as it is.
 */
typedef struct fw_chunk {
	uint32_t nrows;
	fw_rg_col *cols;	/* every field of the rows, in order of first use */
	size_t ncols;
} fw_chunk;
void fw_chunk_release(fw_chunk *ch);
/* Builds the columns of ops[0..len) (encoded PUT ops, as fw_op_encode makes
 * them): a field's type is the schema's, json for a field it lacks. Puts
 * the column objects into os, and appends to refs a REF op per row. */
int fw_chunk_build(fw_objstore *os, const fw_schema *schema, const char *ops, size_t len,
    fw_chunk *out, fw_buf *refs);
/* A CHUNK op (type, length, body) for ch. */
int fw_chunk_encode(fw_buf *out, const fw_chunk *ch);
/* Decodes a CHUNK op's body. */
int fw_chunk_decode(const char *p, size_t len, fw_chunk *out);
/* A chunk's columns, decoded (verified reads), cols[i] for ch->cols[i]. */
int fw_chunk_load(fw_objstore *os, const fw_chunk *ch, fw_column **cols);
/* Row row of loaded columns as a record's fields: names and payloads are
 * copied into mem (reset first), f points into it. */
int fw_chunk_row(const fw_chunk *ch, fw_column *cols, uint32_t row, fw_buf *mem,
    fw_field **f, size_t *nf, size_t *cap);

/* One op as fw_seg_scan reports it. */
typedef struct fw_seg_op {
	int op;			/* FW_OP_PUT, FW_OP_DEL or FW_OP_PATCH */
	const char *id;		/* borrowed, like everything here */
	size_t idlen;
	const fw_field *f;	/* the fields of an inline op */
	size_t nf;
	uint64_t off;		/* an inline op's body: offset and length in the file */
	uint32_t len;
	const char *body;	/* and its bytes (len of them) */
	int64_t chunk;		/* a put in a chunk: the chunk's number in the segment */
	uint32_t row;		/* and its row; -1 and 0 for inline ops */
	uint32_t size;		/* a put's record bytes (fw_fields_size) */
} fw_seg_op;

/* Calls op for every op of a segment and chunk (may be NULL) for every
 * staged chunk, numbered from 0, before the puts in it. A chunk's puts
 * must follow it, one per row. */
int fw_seg_scan(const fw_seg *seg, int (*op)(void *arg, const fw_seg_op *o),
    int (*chunk)(void *arg, uint32_t num, const fw_chunk *ch), void *arg);
/* Reads one op back (pread). */
int fw_seg_read_op(int fd, uint64_t off, uint32_t len, fw_buf *out);
/* The real clock, ignoring FW_NOW (orders sealed segments). */
uint64_t fw_clock_ns(void);

#endif
