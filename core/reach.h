/* core/reach.h - the commits a store keeps alive (fw fsck, fw gc). */
#ifndef FW_CORE_REACH_H
#define FW_CORE_REACH_H

#include <git2.h>

#include "fw/store.h"

/*
 * Called once per commit reachable from any ref or reflog entry, with a
 * label naming where it was found ("sft@main", "sft@1a2b3c4d5e6f"). err is 0,
 * or a negative FW_E* (message in fw_error_last()) when a root or its history
 * cannot be read; the walk goes on after the callback returns 0. A non-zero
 * return stops the walk and is returned.
 */
typedef int (*fw_reach_cb)(void *arg, const git_oid *commit, const char *label, int err);

/* Walks them; *nroots gets the number of roots (refs and reflog entries). */
int fw_reach_commits(fw_store *s, fw_reach_cb cb, void *arg, uint64_t *nroots);
/* The same, leaving out reflog entries made before `before` (seconds since
 * the epoch; 0 leaves none out): what remains after fw_reflogs_expire. */
int fw_reach_commits_since(fw_store *s, int64_t before, fw_reach_cb cb, void *arg,
    uint64_t *nroots);

/* Drops the reflog entries made before `before` from every reflog (the logs
 * of refs that no longer exist too, removed once empty); *dropped counts
 * them. With dry_run only counts. */
int fw_reflogs_expire(fw_store *s, int64_t before, int dry_run, uint64_t *dropped);

/* 1 when the commit's tree has schema.yaml, DATA and INDEX, 0 when not. */
int fw_reach_is_version(fw_store *s, const git_oid *commit);

/* A set of object ids (open addressing), with a little data per id. */
typedef struct fw_oidset {
	fw_oid *ids;
	uint8_t *used;
	size_t cap, n;
} fw_oidset;

/* 1 when id was added, 0 when it was there, <0 out of memory. */
int fw_oidset_add(fw_oidset *s, const fw_oid *id);
int fw_oidset_has(const fw_oidset *s, const fw_oid *id);
void fw_oidset_release(fw_oidset *s);

#endif
