/*
 * fw/maint.h - looking after a store: statistics of a version (fw stats),
 * checking every reachable object (fw fsck) and removing unreachable ones
 * (fw gc). docs/maintenance.md says what each figure costs and what each
 * check covers.
 */
#ifndef FW_MAINT_H
#define FW_MAINT_H

#include <stddef.h>
#include <stdint.h>

#include "fw/store.h"

struct fw_filter;

/* --- statistics --- */

typedef struct fw_stats_column {
	char *name;		/* owned */
	const char *type;	/* "str", "i64", ... (static) */
	uint64_t count;		/* rows counted (the selected records) */
	uint64_t nulls;		/* of them missing or null */
	uint64_t bytes;		/* payload bytes */
	uint64_t nnum;		/* rows holding a number */
	double min, max, sum;	/* over those; meaningless when nnum == 0 */
} fw_stats_column;

#define FW_STATS_BINS 10
#define FW_STATS_TOP 10

typedef struct fw_stats_source {
	char *name;		/* owned */
	uint64_t count;
} fw_stats_source;

typedef struct fw_stats {
	uint64_t records;	/* records (selected by the filter, with one) */
	uint64_t bytes;		/* their record bytes (see fw-store(5)) */
	uint64_t stored;	/* stored bytes of the whole version (data and index) */
	uint64_t groups, groups_read, groups_skipped;	/* row groups */
	fw_stats_column *cols;	/* in schema order */
	size_t ncols;
	/* reward: numbers only; bins split [min, max] in FW_STATS_BINS equal
	 * parts (the last one closed); zero and one count exact 0 and 1 */
	uint64_t reward_n, reward_zero, reward_one;
	double reward_min, reward_max;
	uint64_t reward_bins[FW_STATS_BINS];
	/* messages: the length of each record's messages array */
	uint64_t msg_n;		/* records whose messages is an array */
	uint64_t msg_other;	/* records without one (missing, null, other) */
	uint64_t msg_min, msg_max, msg_p50, msg_p90, msg_total;
	uint64_t msg_buckets[33];	/* [0]: 0 messages, [k]: 2^(k-1) .. 2^k - 1 */
	/* the most frequent values of the string column source */
	fw_stats_source *sources;	/* owned, most frequent first (ties by name) */
	size_t nsources;	/* at most FW_STATS_TOP */
	uint64_t source_distinct, source_other;	/* distinct strings; rows without one */
} fw_stats;

/*
 * Computes the statistics of a version. Without where, the totals and the
 * per-column figures come from the version's DATA line and the row group
 * headers (no column is read); the reward histogram, the message counts and
 * the sources decode those three columns only. With where, row groups whose
 * statistics rule the filter out are skipped, groups it matches whole use
 * their headers, and the others are scanned. *out is filled on success;
 * release it with fw_stats_release.
 */
int fw_stats_compute(fw_store *s, fw_stats *out, const fw_rev *rev,
    const struct fw_filter *where);
void fw_stats_release(fw_stats *st);

/* --- checking --- */

typedef struct fw_fsck_opts {
	int full;		/* also decode every column and check its statistics */
	/* called once per problem with one line (no newline) */
	void (*report)(void *arg, const char *line);
	void *arg;
} fw_fsck_opts;

typedef struct fw_fsck_result {
	uint64_t roots, commits, versions;
	uint64_t objects, bytes;	/* distinct objects checked, their stored bytes */
	uint64_t segments, ops;		/* staged segments and operations */
	uint64_t problems;
} fw_fsck_result;

/*
 * Checks every version reachable from every ref and reflog entry and every
 * staged segment, reporting each problem found through o->report and going
 * on. Returns 0 when the check ran (res->problems says what it found), <0
 * when it could not run (the repository cannot be read).
 */
int fw_fsck(fw_store *s, const fw_fsck_opts *o, fw_fsck_result *res);

/* --- garbage collection --- */

#define FW_GC_GRACE_DEFAULT 3600	/* seconds; FW_GC_GRACE overrides */

/* After a commit: merges the small packs once FW_AUTO_MERGE_PACKS (default
 * 50; 0: never) of them have piled up, keeping every object; *merged gets
 * how many. Does nothing while a gc runs. */
int fw_store_auto_compact(fw_store *s, uint64_t *merged);

typedef struct fw_gc_opts {
	int dry_run;
	int64_t grace;		/* seconds; < 0: FW_GC_GRACE or the default */
	/* > 0: first drop every reflog entry made before this time (seconds
	 * since the epoch), so that versions only they reached can go */
	int64_t expire_before;
	uint64_t *expired;	/* when not NULL: the reflog entries dropped */
	/* when not NULL: the loose git objects (commits, trees, blobs) packed
	 * (or, in a dry run, that would be) */
	uint64_t *git_packed;
} fw_gc_opts;

/*
 * Removes the objects that no ref, reflog entry or version reachable from
 * them reaches, keeping whatever is younger than the grace period. Holds
 * every corpus's commit lock while it runs (FW_ELOCKED when a commit is
 * running). With dry_run nothing is changed and res says what would go.
 */
int fw_gc(fw_store *s, const fw_gc_opts *o, fw_objstore_gc_result *res,
    uint64_t *reachable);

#endif
