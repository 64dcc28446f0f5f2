/*
 * fw/store.h - stores, corpora, staging, commits and reading.
 *
 * A store is a directory holding .fw/ (DESIGN.md section 3). It holds corpora;
 * each corpus has branches, tags and a current branch. Records are staged with
 * fw_stage_* and become a version with fw_commit. Revisions are "corpus" or
 * "corpus@rev" (fw_rev_resolve).
 */
#ifndef FW_STORE_H
#define FW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "fw/buf.h"
#include "fw/import.h"
#include "fw/objstore.h"

typedef struct fw_store fw_store;

/* Creates .fw/ in dir (NULL: the current directory). FW_EEXISTS when there is
 * one already. */
int fw_store_init(const char *dir);

/* Opens the store found in dir or above (NULL: the current directory; the
 * environment variable FW_DIR, naming the directory that holds .fw, wins).
 * FW_ENOTFOUND "not in an fw store ...". */
int fw_store_open(fw_store **out, const char *dir);
void fw_store_close(fw_store *s);

/* The store format this fw writes (.fw/config.yaml "format"); it reads
 * every one up to it. 2: column objects may be front-coded (version 3),
 * which an fw of format 1 cannot read. A store of format 1 is marked 2
 * when this fw first writes to it (fw_store_upgrade), so that an older fw
 * refuses it by its format rather than failing on an object. */
#define FW_STORE_FORMAT 2

/* Marks a store of an older format as FW_STORE_FORMAT before a write:
 * rewrites config.yaml's format line (atomically, the rest kept) once. */
int fw_store_upgrade(fw_store *s);

typedef struct fw_store_config {
	int format;		/* "format": the store format */
	int level;		/* "compression_level": 1 to 19; FW_OBJ_LEVEL_DEFAULT */
} fw_store_config;

/* Reads .fw/config.yaml's text. FW_EINVALID with the line for text that is
 * not a YAML mapping holding a positive integer "format", or whose
 * "compression_level" is not an integer from 1 to 19; other keys are left to
 * later versions. */
int fw_store_config_parse(const char *yaml, size_t len, fw_store_config *out);
/* The .fw directory (borrowed, lives as long as s). */
const char *fw_store_dir(const fw_store *s);
fw_objstore *fw_store_objects(fw_store *s);

/* --- corpora --- */

/* 0 when name is a valid corpus name ([a-z0-9][a-z0-9._-]*, at most 64
 * characters, no "..", not ending in ".lock" or "."); FW_EINVALID naming the
 * rule otherwise. */
int fw_corpus_name_check(const char *name);
/* Creates a corpus with schema (the text of a schema.yaml; NULL: the default
 * trajectory schema) and an empty first version on branch main. */
int fw_corpus_create(fw_store *s, const char *name, const char *schema_yaml);
/* Calls cb for each corpus name in order. */
int fw_corpus_list(fw_store *s, int (*cb)(void *arg, const char *name), void *arg);
/* 1 if it exists, 0 if not. */
int fw_corpus_exists(fw_store *s, const char *name);
/* The corpus's current branch name into out. */
int fw_corpus_current_branch(fw_store *s, const char *name, fw_buf *out);
/* The default schema text. */
const char *fw_schema_default_yaml(void);

/* --- revisions --- */

typedef struct fw_rev {
	char corpus[80];
	char branch[256];	/* the branch it names, or "" (tag, commit) */
	char commit[FW_OID_HEXSZ + 1];	/* git commit id (SHA-1 hex; shorter) */
} fw_rev;

/* Resolves "corpus", "corpus@rev" (rev: tag, branch, commit prefix of at
 * least 4 hex digits, each with ~N and ^N suffixes). Errors name the
 * candidates: FW_ENOTFOUND, FW_EAMBIGUOUS, FW_EINVALID. */
int fw_rev_resolve(fw_store *s, fw_rev *out, const char *spec);

/* Resolves a revision given relative to a corpus: rev is "REV" (a tag,
 * branch or commit prefix of corpus, with @{N}, ~N, ^N: "main~1",
 * "exp@{2}"), "@{N}" (the current branch's Nth previous position) or a whole
 * "CORPUS@REV", whose corpus must be corpus (a name before '@' that is a
 * corpus, or not followed by "{", makes rev whole). rev NULL or "": the head
 * of the current branch. */
int fw_rev_resolve_in(fw_store *s, fw_rev *out, const char *corpus, const char *rev);

/* Splits "CORPUS@NAME" into corpus (80 bytes) and name (256 bytes), checking
 * both names (fw_corpus_name_check, fw_refname_check with kind "branch" or
 * "tag"). FW_EINVALID when there is no '@' or a name is refused. */
int fw_refspec_split(const char *spec, const char *kind, char corpus[80], char name[256]);

/* --- branches and tags --- */

/*
 * 0 when name may name a branch or tag (kind: "branch" or "tag", used in the
 * message); FW_EINVALID naming the rule otherwise. Refused: empty names, more
 * than 200 bytes, control characters, space, and any of ~ ^ : ? * [ \ / @,
 * "..", a leading '-' or '.', a trailing '.' or ".lock", and whatever git's
 * git_reference_name_is_valid refuses. Never passes a refused name to git.
 */
int fw_refname_check(const char *kind, const char *name);

typedef struct fw_ref_info {
	char name[256];
	char commit[FW_OID_HEXSZ + 1];	/* the commit it names */
	int current;			/* branches: the corpus's current branch */
	uint64_t records;		/* records of that version */
	char *message;			/* tags: the tag's message (borrowed) */
	int64_t time;			/* tags: when it was made (seconds) */
} fw_ref_info;

/* Creates branch name of corpus at rev (fw_rev_resolve_in; NULL: the head of
 * the current branch). FW_EEXISTS when a branch or tag has that name. Writes
 * one ref and no data. */
int fw_branch_create(fw_store *s, const char *corpus, const char *name, const char *rev);
/* Calls cb for each branch of corpus in name order (info borrowed). */
int fw_branch_list(fw_store *s, const char *corpus,
    int (*cb)(void *arg, const fw_ref_info *info), void *arg);
/* Deletes a branch, recording its last position in the corpus's store log
 * (fw_reflog_deleted). Refused (FW_ECONFLICT) for the current branch, and,
 * unless force, when no other branch or tag of the corpus reaches its head. */
int fw_branch_delete(fw_store *s, const char *corpus, const char *name, int force);
/* Makes name the corpus's current branch. Staged batches stay with the
 * branch they were staged on; *waiting (may be NULL) receives the number of
 * batches staged on name (read from segment headers only). */
int fw_branch_switch(fw_store *s, const char *corpus, const char *name, uint64_t *waiting);
/* Moves branch name to rev (compare-and-swap against its position when read);
 * the old position stays in the branch's reflog. old_commit/new_commit
 * (FW_OID_HEXSZ + 1 bytes each, may be NULL) receive both positions. */
int fw_branch_reset(fw_store *s, const char *corpus, const char *name, const char *rev,
    char *old_commit, char *new_commit);

/* Creates the annotated tag name of corpus on rev (NULL: the current head)
 * with message (NULL or "": "tag CORPUS@NAME"). Tags never move: FW_EEXISTS
 * when the tag (or a branch of that name) exists. */
int fw_tag_create(fw_store *s, const char *corpus, const char *name, const char *rev,
    const char *message);
/* Calls cb for each tag of corpus in name order. */
int fw_tag_list(fw_store *s, const char *corpus,
    int (*cb)(void *arg, const fw_ref_info *info), void *arg);
/* Deletes a tag; the deletion (tag object and commit) is recorded first in
 * the corpus's store log. */
int fw_tag_delete(fw_store *s, const char *corpus, const char *name);

/* --- reflogs --- */

typedef struct fw_reflog_entry {
	size_t index;			/* 0: the newest */
	char old_commit[FW_OID_HEXSZ + 1];	/* all zeros when created */
	char new_commit[FW_OID_HEXSZ + 1];
	char who[256];			/* "Name <email>" */
	int64_t time;			/* seconds since the epoch */
	const char *message;		/* borrowed for the callback */
} fw_reflog_entry;

/* Calls cb for the positions of corpus's branch (NULL: the current branch),
 * newest first, at most n (0: all). */
int fw_reflog_branch(fw_store *s, const char *corpus, const char *branch, size_t n,
    int (*cb)(void *arg, const fw_reflog_entry *e), void *arg);
/* Calls cb for the corpus's store log, newest first: deletions of branches
 * and tags (new_commit is the deleted ref's object: a tag object for tags). */
int fw_reflog_deleted(fw_store *s, const char *corpus, size_t n,
    int (*cb)(void *arg, const fw_reflog_entry *e), void *arg);

/* --- staging --- */

typedef struct fw_stage_opts {
	fw_format format;
	int patch;		/* lines set fields of existing records */
	int threads;
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
} fw_stage_opts;

typedef struct fw_stage_result {
	uint64_t records;
	uint64_t bytes_in;
} fw_stage_result;

/* Stages every record of the files (all files, or none: on any error nothing
 * is staged) as one sealed segment for the corpus's current branch. */
int fw_stage_add(fw_store *s, fw_stage_result *res, const char *corpus,
    const char *const *files, size_t nfiles, const fw_stage_opts *o);
/* Stages deletions of ids. */
int fw_stage_rm(fw_store *s, const char *corpus, const char *const *ids, size_t n);

typedef struct fw_stage_status {
	char branch[256];
	uint64_t segments;
	uint64_t add, replace, remove, patch, ignored;
	uint64_t other_segments;	/* batches staged on other branches */
	char others[512];		/* their branches, ", "-separated, sorted */
} fw_stage_status;
/* What is staged for the corpus's current branch (ids counted once each),
 * and how many batches wait on other branches. */
int fw_stage_status_get(fw_store *s, const char *corpus, fw_stage_status *st);

/* --- commits --- */

typedef struct fw_commit_opts {
	const char *message;
	const char *const *trailers;	/* "Key: value" lines, may be NULL */
	size_t ntrailers;
	/* Optional: records written so far of the total to write; called from
	 * the threads that build row groups, one at a time. */
	void (*progress)(void *arg, uint64_t done, uint64_t total);
	void *progress_arg;
} fw_commit_opts;

typedef struct fw_commit_result {
	char commit[FW_OID_HEXSZ + 1];
	uint64_t records;	/* records in the new version */
	uint64_t added, replaced, removed, patched;
	uint64_t objects_written, bytes_written;	/* new objects, stored bytes */
	uint64_t objects_reused;
	uint64_t chunks_taken;	/* row groups made of chunks fw add staged */
} fw_commit_result;

/* Applies what is staged on the corpus's current branch and moves the branch
 * (compare-and-swap). FW_EEMPTY when nothing is staged, FW_ELOCKED when
 * another commit holds the corpus, FW_ECONFLICT when the branch moved. */
int fw_commit(fw_store *s, fw_commit_result *res, const char *corpus,
    const fw_commit_opts *o);

/* --- versions --- */

typedef struct fw_version {
	fw_rev rev;
	uint64_t records, bytes, stored;
	char *schema_yaml;	/* owned */
	char **columns;		/* owned, ncolumns names in schema order */
	char **column_types;
	size_t ncolumns;
	char data_root[FW_OID_HEXSZ + 1];
	char index_root[FW_OID_HEXSZ + 1];
	int data_height, index_height;
	/* commit */
	char *message;		/* owned, whole message incl. trailers */
	char author[256];
	int64_t time;		/* seconds since the epoch */
	int tz_minutes;
	char parents[2][FW_OID_HEXSZ + 1];
	int nparents;
} fw_version;

int fw_version_load(fw_store *s, fw_version *out, const fw_rev *rev);
void fw_version_release(fw_version *v);

/* Walks history from rev (first parents), newest first; at most n (0: all). */
int fw_log_walk(fw_store *s, const fw_rev *rev, size_t n,
    int (*cb)(void *arg, const fw_version *v), void *arg);

/* --- reading --- */

struct fw_filter;

typedef struct fw_cat_opts {
	const char *const *ids;	/* only these ids (NULL: all) */
	size_t nids;
	uint64_t limit;		/* 0: no limit */
	const struct fw_filter *where;	/* only records it matches (NULL: all) */
	/* filled in: row groups read, and skipped by their statistics */
	uint64_t groups_read, groups_skipped;
} fw_cat_opts;

/* Calls cb with each record of the version as one line of JSON (no newline),
 * in row-key order. */
int fw_cat(fw_store *s, const fw_rev *rev, fw_cat_opts *o,
    int (*cb)(void *arg, const char *json, size_t len), void *arg);

#endif
