/*
 * fw/merge.h - three-way merges of two branches of a corpus, per record id
 * and per top-level field (and per key inside json object fields), with a
 * merge state under .fw/merge/CORPUS/ when they conflict.
 */
#ifndef FW_MERGE_H
#define FW_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "fw/store.h"

enum { FW_MERGE_ASK = 0, FW_MERGE_OURS = 1, FW_MERGE_THEIRS = 2, FW_MERGE_FILE = 3 };

typedef struct fw_merge_opts {
	const char *message;	/* NULL: "merge CORPUS@BRANCH" */
	int strategy;		/* FW_MERGE_ASK, or every conflict to one side */
} fw_merge_opts;

typedef struct fw_merge_result {
	int up_to_date;		/* theirs is in ours already: nothing done */
	int fast_forward;	/* the branch moved to theirs */
	char commit[FW_OID_HEXSZ + 1];	/* the new head */
	char branch[256];	/* the branch merged into */
	uint64_t added, removed, modified;	/* records changed in ours */
	uint64_t conflicts;	/* records in conflict (merge stopped) */
	int by_rowgroups;	/* merged row group by row group: no record was added,
				 * removed or moved on either side, nothing conflicted */
} fw_merge_result;

/*
 * Merges revision theirs (a branch or any revision of corpus) into corpus's
 * current branch: a fast-forward when ours is an ancestor of theirs, else a
 * merge commit with parents (ours, theirs) from the three-way merge against
 * their merge base. On conflicts nothing is committed: a merge state is left
 * and FW_ECONFLICT returned with res->conflicts set. FW_EINVALID when the
 * schemas declare a column with different types, or for another corpus;
 * FW_EEXISTS when a merge is in progress.
 */
int fw_merge(fw_store *s, fw_merge_result *res, const char *corpus, const char *theirs,
    const fw_merge_opts *o);
/* Commits the merge in progress once every conflict is resolved
 * (FW_ECONFLICT naming how many are left). */
int fw_merge_continue(fw_store *s, fw_merge_result *res, const char *corpus);
/* Forgets the merge in progress (FW_ENOTFOUND when none). */
int fw_merge_abort(fw_store *s, const char *corpus);

/* One conflicting value. field NULL: the whole record (changed on one side,
 * removed on the other). Values are JSON text, NULL when absent. */
typedef struct fw_conflict {
	const char *id;
	const char *field;
	const char *base, *ours, *theirs;
	int resolution;		/* FW_MERGE_ASK when unresolved */
} fw_conflict;

/* Calls cb for each conflict of the merge in progress, in id order. */
int fw_merge_conflicts(fw_store *s, const char *corpus,
    int (*cb)(void *arg, const fw_conflict *c), void *arg);
/* Resolves every conflict of record id: how is FW_MERGE_OURS, _THEIRS, or
 * _FILE with record_json (the whole record, whose id must be id). */
int fw_merge_resolve(fw_store *s, const char *corpus, const char *id, int how,
    const char *record_json);
/* 1 and the merged revision's name into theirs (256 bytes) when a merge is
 * in progress on corpus, 0 when not. */
int fw_merge_in_progress(fw_store *s, const char *corpus, char *theirs);

#endif
