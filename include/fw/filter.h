/*
 * fw/filter.h - the filter language: one expression, three evaluators.
 *
 * A filter such as `reward > 0 and source == "swe-agent"` selects records.
 * The same compiled filter evaluates
 *   - on one record (a json-c object),
 *   - vectorised over the decoded columns of a row group, and
 *   - three-valued over a row group's column statistics (none / some / all
 *     rows can match), so that readers skip row groups without decoding them.
 * The three agree: a row matches on its columns exactly when its record
 * matches, and the statistics answer NONE only when no row matches and ALL
 * only when every row does. The grammar and the semantics (null, missing and
 * type rules) are in docs/filter.md and fw-filter(7).
 *
 * A parsed filter is immutable: one fw_filter may be evaluated by several
 * threads at once.
 */
#ifndef FW_FILTER_H
#define FW_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "fw/column.h"

struct json_object;

typedef struct fw_filter fw_filter;

/* Limits that keep hostile expressions from exhausting the stack or memory. */
#define FW_FILTER_MAX_LEN 65536		/* bytes of expression text */
#define FW_FILTER_MAX_DEPTH 64		/* nested parentheses, calls, `not`s */

/* Results of fw_filter_check_stats. */
enum {
	FW_FILTER_NONE = 0,	/* no row of the row group can match */
	FW_FILTER_SOME = 1,	/* some rows may match: evaluate the rows */
	FW_FILTER_ALL = 2,	/* every row matches */
};

/*
 * Parses and compiles expr (a NUL-terminated UTF-8 string). Regular
 * expressions of matches() are compiled here, so that every error shows
 * before any record is read. On success *out is a new filter (free it with
 * fw_filter_free). On a syntax error returns FW_EINVALID with a message of
 * three lines, e.g.
 *     filter: expected ')' at column 17
 *       len(messages > 0
 *                       ^
 * (columns count characters from 1; the caret sits under the column).
 * Returns FW_ENOMEM when memory runs out. *out is NULL on failure.
 */
int fw_filter_parse(fw_filter **out, const char *expr);

/* Frees f; NULL is allowed. */
void fw_filter_free(fw_filter *f);

/* The expression f was parsed from (borrowed, valid while f lives). */
const char *fw_filter_source(const fw_filter *f);

/*
 * Sets *names to the top-level fields f reads and returns their number, so
 * that a reader decodes only those columns. The array and its strings are
 * borrowed from f. A filter that reads no field (`true`) returns 0.
 */
size_t fw_filter_columns(const fw_filter *f, const char *const **names);

/*
 * Evaluates f on one record. rec is normally a JSON object; any other value
 * (or NULL, JSON null) is a record without fields. Returns 1 when it matches,
 * 0 when not, or a negative FW_E* code on a resource error (FW_ENOMEM, or
 * FW_EINVALID when a regular expression exceeds PCRE2's match limits). Type
 * mismatches, missing fields and nulls are never errors: they do not match.
 */
int fw_filter_match(const fw_filter *f, struct json_object *rec);

/*
 * Evaluates f on the rows of a row group: match[i] becomes 1 when row i
 * matches, else 0 (match holds nrows bytes). cols are decoded columns (as
 * fw_column_decode makes them), found by name; a column f reads that is not
 * among cols is MISSING on every row. Every column used must have at least
 * nrows rows, or FW_EINVALID is returned. Scalar comparisons, `in` with a
 * literal list, null tests and exists() run straight over the columns'
 * kind, number and payload arrays; nested paths, len(), any(), all(),
 * count() and `in` an array value read the row's ARRAY/OBJECT payload text
 * in place, without building json-c objects. Those payloads must be
 * canonical (fw_json_canon), as fw_column's contract says: equality of
 * arrays and objects compares that text. Errors as for fw_filter_match, and
 * FW_ECORRUPT when a payload is not well-formed JSON; on error match is
 * unspecified.
 */
int fw_filter_match_columns(const fw_filter *f, const fw_column *const *cols,
    size_t ncols, uint32_t nrows, uint8_t *match);

/*
 * Decides from a row group's statistics whether its rows can match: returns
 * FW_FILTER_NONE, FW_FILTER_SOME or FW_FILTER_ALL. stats[i] belongs to the
 * column named names[i]; a column f reads that is not named is MISSING on
 * every row. nrows is the row group's row count. The answer is sound: NONE
 * only when no row can match, ALL only when every row matches; when unsure,
 * SOME. Never fails.
 */
int fw_filter_check_stats(const fw_filter *f, const char *const *names,
    const fw_colstats *stats, size_t ncols, uint32_t nrows);

#endif
