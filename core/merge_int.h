/* core/merge_int.h - the merge state shared by core/merge.c and
 * core/merge_state.c. */
#ifndef FW_CORE_MERGE_INT_H
#define FW_CORE_MERGE_INT_H

#include "internal.h"

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
int fw_merge_state_remove(fw_store *s, const char *corpus);
void fw_merge_state_release(struct state *st);

#endif
