/*
 * fw/diff.h - record- and field-level differences between two versions, and
 * three-way merges built on them (DESIGN.md section 5).
 *
 * Within one corpus a record keeps its row key across versions, so the diff
 * walks the two data trees together, skipping every pair of subtrees whose
 * object ids are equal and, where two row groups hold the same keys, every
 * column whose object id is equal: the cost follows the change. Versions of
 * two different corpora are matched by id instead, which reads both whole.
 */
#ifndef FW_DIFF_H
#define FW_DIFF_H

#include <stddef.h>
#include <stdint.h>

#include "fw/column.h"
#include "fw/store.h"

/* One field's values on both sides: kind FW_KIND_* (FW_KIND_MISSING when the
 * record has no such field) and payload (as fw/column.h describes). */
typedef struct fw_diff_field {
	const char *name;
	uint8_t old_kind, new_kind;
	const char *old_val, *new_val;
	uint32_t old_len, new_len;
} fw_diff_field;

typedef struct fw_diff_entry {
	char op;		/* '+' added, '-' removed, '~' modified */
	const char *id;
	size_t idlen;
	uint8_t key[16];	/* the row key ('-': in the old version) */
	/* '+' and '-': every field the record has; '~': the changed ones. */
	const fw_diff_field *fields;
	size_t nfields;
} fw_diff_entry;

typedef struct fw_diff_opts {
	int by_id;		/* match rows by id (set for two corpora) */
	/* What the caller does not need, so that it is not read: no_keys leaves
	 * fw_diff_entry.key zero (row keys are then read only to match rows of
	 * row groups that differ in their keys); no_ids leaves id empty (the id
	 * column is then read only where a whole record is given). */
	int no_keys, no_ids;
	/* filled in: row groups loaded on each side, subtrees skipped */
	uint64_t groups_read, subtrees_skipped, columns_skipped;
} fw_diff_opts;

/* Calls cb for each record that differs between a and b (borrowed for the
 * call), in row-key order (by id order for two corpora). Non-zero from cb
 * stops the walk and is returned. */
int fw_diff(fw_store *s, const fw_rev *a, const fw_rev *b, fw_diff_opts *o,
    int (*cb)(void *arg, const fw_diff_entry *e), void *arg);

/* The merge base of two revisions of a corpus into out (corpus of a).
 * FW_ENOTFOUND when they share no history. */
int fw_merge_base(fw_store *s, fw_rev *out, const fw_rev *a, const fw_rev *b);

/* Sum and count of the numeric values of column name over a version, from the
 * row group headers' statistics (no column is decoded). */
int fw_column_totals(fw_store *s, const fw_rev *rev, const char *name,
    double *sum, uint64_t *count);

/* Appends a value (kind, payload) as JSON text; MISSING appends nothing. */
int fw_value_json(fw_buf *b, uint8_t kind, const char *val, uint32_t len);

#endif
