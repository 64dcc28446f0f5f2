/* core/merge_int.h - the merge state shared by core/merge.c and
 * core/merge_state.c. */
#ifndef FW_CORE_MERGE_INT_H
#define FW_CORE_MERGE_INT_H

#include "internal.h"

struct fval {
	uint8_t kind;
	char *val;
	uint32_t len;
};

struct pf {
	const char *name;
	const struct fval *v;
};

/* An owned record of these fields (MISSING ones left out unless keep). */
int fw_mrec_from(fw_rec *out, const struct pf *p, size_t n, int keep_missing);
int fw_mrec_copy(fw_rec *out, const fw_rec *r);
/* The record as JSON text into b (reset first). */
int fw_mrec_json(fw_buf *b, const fw_rec *r);
/* Record id of a version through the id index: 1 and *out, key; 0 when absent. */
int fw_mrec_fetch(fw_store *s, const fw_roots *r, const char *id, size_t idlen,
    fw_rec *out, uint8_t key[16]);
/* A record from the JSON text of one object. */
int fw_mrec_parse(fw_rec *out, const char *json, size_t len);
const fw_field *fw_mrec_field(const fw_rec *r, const char *name);
/* Merges three JSON objects key by key into out (b may be MISSING): 1 merged,
 * 0 a key changed on both sides to different values (or not objects). */
int fw_mrec_object_merge(const struct fval *b, const struct fval *o,
    const struct fval *t, fw_buf *out);

struct resolution {
	char *id;
	int how;
	char *json;
};

struct state {
	char ours[FW_OID_HEXSZ + 1], theirs[FW_OID_HEXSZ + 1], base[FW_OID_HEXSZ + 1];
	char branch[256], name[600];
	char *message;
	struct resolution *r;
	size_t nr;
};

/* Writes .fw/merge/CORPUS/state: temporary file, fsync, rename, directory
 * fsync. */
int fw_merge_state_write(fw_store *s, const char *corpus, const struct state *st);
/* 1 and *st when a merge state exists, 0 when none, <0 on error. */
int fw_merge_state_read(fw_store *s, const char *corpus, struct state *st);
/* The state in text[0..len): 1 and *st, or FW_ECORRUPT naming what. */
int fw_merge_state_parse(struct state *st, const char *text, size_t len, const char *what);
int fw_merge_state_remove(fw_store *s, const char *corpus);
void fw_merge_state_release(struct state *st);

/* --- the plan of a merge (core/merge_plan.c) --- */
struct act;

struct conf {
	char *id, *field, *base, *ours, *theirs;
	int resolution;
};

struct plan {
	fw_store *s;
	fw_roots ours_roots, theirs_roots;
	const struct state *st;
	int strategy;
	struct act *a;
	size_t na, capa;
	struct conf *c;
	size_t nc, capc;
	uint64_t unresolved;	/* records with a conflict left */
	uint64_t conflicted;	/* records with a conflict */
	uint64_t added, removed, modified;
	fw_schema *schema;
};

/* A revision naming commit hex of corpus. */
int fw_mplan_rev(fw_rev *r, const char *corpus, const char *hex);
/* Computes the plan of merging theirs into ours from base (the state's
 * three commits) with strategy (FW_MERGE_ASK, _OURS, _THEIRS) and the
 * state's resolutions; *schema gets the merged schema. */
int fw_mplan_make(fw_store *s, struct plan *p, const char *corpus, const struct state *st,
    int strategy, fw_schema *schema);
/* Writes the merge commit of p and moves the branch from ours. */
int fw_mplan_commit(fw_store *s, struct plan *p, const char *corpus, const struct state *st,
    fw_schema *schema, git_oid *cid);
/* Writes the merge commit of st with what ap holds (edits, or ready roots in
 * ap->result, and the schema): sets its branch, parents and messages, and
 * moves the branch from ours (fw_commit_apply_edits). */
int fw_mplan_apply(fw_store *s, const char *corpus, const struct state *st,
    fw_commit_apply *ap, git_oid *cid, fw_roots *nroots);
void fw_mplan_release(struct plan *p);

/* --- the merge of row groups (core/merge_fast.c) --- */
/* Merges theirs into ours row group by row group when no record was added,
 * removed or moved on either side and nothing conflicts: 0 with the merge
 * committed (*cid) and *modified the records it changed in ours, 1 when it
 * does not apply (the plan must run; nothing was committed), <0 on error.
 * FW_TEST_MERGE_BY_RECORDS in the environment turns it off (tests). */
int fw_mfast_merge(fw_store *s, const char *corpus, const struct state *st,
    uint64_t *modified, git_oid *cid);

#endif
