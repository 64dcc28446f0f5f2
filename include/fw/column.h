/*
 * fw/column.h - one column of one row group, decoded, and its statistics.
 *
 * Every top-level field of a record is a column. A column's declared type
 * (schema.yaml) is one of str, i64, f64, bool, json; each value is kept with its
 * kind, so that fw gives back exactly what went in: a missing field and an
 * explicit null differ, numbers keep their original text.
 */
#ifndef FW_COLUMN_H
#define FW_COLUMN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fw/buf.h"

typedef enum fw_type {
	FW_TYPE_STR = 1,
	FW_TYPE_I64 = 2,
	FW_TYPE_F64 = 3,
	FW_TYPE_BOOL = 4,
	FW_TYPE_JSON = 5,
} fw_type;

/* The kind of one value. */
typedef enum fw_kind {
	FW_KIND_MISSING = 0,	/* the record has no such field */
	FW_KIND_NULL = 1,
	FW_KIND_FALSE = 2,
	FW_KIND_TRUE = 3,
	FW_KIND_NUMBER = 4,	/* payload: the number's text, as it came in */
	FW_KIND_STRING = 5,	/* payload: the string's raw UTF-8 bytes (may hold NUL) */
	FW_KIND_ARRAY = 6,	/* payload: canonical JSON text of the array */
	FW_KIND_OBJECT = 7,	/* payload: canonical JSON text of the object */
} fw_kind;

#define FW_KIND_COUNT 8

/*
 * A decoded column of n rows. Row i's kind is kind[i]; its payload is
 * data[off[i] .. off[i+1]) (empty for MISSING, NULL, FALSE, TRUE). After
 * fw_column_numbers, num[i] holds a NUMBER row's value as a double (NaN for
 * other kinds), and ints[i] the value as int64 when it is an integer that
 * fits, with is_int[i] set; before it (and in a builder) num is NULL.
 */
typedef struct fw_column {
	char *name;
	fw_type type;
	uint32_t n;
	uint8_t *kind;
	uint32_t *off;		/* n + 1 entries */
	char *data;
	double *num;
	int64_t *ints;
	uint8_t *is_int;
	uint32_t cap_rows;	/* allocated rows of kind and off (builder) */
	size_t cap_data;	/* allocated bytes of data (builder) */
	/* Known to hold one kind in every row and, for a kind with a
	 * payload, one payload length (off[1]): decode sets it from the
	 * object's flags, appending clears it (0 is "not known"). Layout
	 * comparisons, statistics and encoding then skip their per-row
	 * scans. Whoever changes kinds or lengths otherwise clears it. */
	int uniform;
} fw_column;

/* Per-column statistics of one row group, kept in its header. */
typedef struct fw_colstats {
	uint64_t count;		/* rows */
	uint64_t nulls;		/* rows MISSING or NULL */
	uint64_t bytes;		/* payload bytes */
	uint32_t kinds;		/* bit (1 << kind) set for each kind present */
	uint64_t nnum;		/* NUMBER rows */
	double min, max, sum;	/* over NUMBER rows; meaningless when nnum == 0 */
} fw_colstats;

const char *fw_type_name(fw_type t);
/* Parses "str", "i64", ...; returns 0 or FW_EINVALID. */
int fw_type_parse(fw_type *out, const char *name);

/*
 * Building a column: append values one by one, then encode. A builder holds
 * the same arrays as a decoded column.
 */
void fw_column_init(fw_column *c, const char *name, fw_type type);
void fw_column_release(fw_column *c);
int fw_column_append(fw_column *c, fw_kind kind, const char *payload, size_t len);
/* Appends rows from .. from + count - 1 of src, as fw_column_append of
 * each would, with one copy of their kinds and payloads. */
int fw_column_append_rows(fw_column *c, const fw_column *src, uint32_t from, uint32_t count);
/* Computes the statistics of c. */
void fw_column_stats(const fw_column *c, fw_colstats *st);
/* Serialises c (the bytes of one column object, before compression). */
int fw_column_encode(const fw_column *c, fw_buf *out);
/* Decodes bytes made by fw_column_encode into c (which it initialises).
 * Returns FW_ECORRUPT with a message on malformed bytes. Numbers are not
 * parsed: readers that compare values (diff) never need them. */
int fw_column_decode(fw_column *c, const char *name, fw_type type,
    const void *bytes, size_t len);

/* Rows rows[0..m) (ascending, each under n) of the column object in bytes,
 * which must hold n rows, decoded into c (which it initialises) as m rows
 * in that order: what fw_column_decode and copying those rows would give.
 * Where every row has one kind and one payload length it puts together only
 * those rows (front-coded ones walked up to the last of them, no row
 * stored but these); otherwise it decodes the whole column. A diff that
 * prints the ids of two records of a row group needs no more. */
int fw_column_decode_rows(fw_column *c, const char *name, fw_type type, const void *bytes,
    size_t len, uint32_t n, const uint32_t *rows, uint32_t m);

/* Row r of x and of y hold the same value (kind and bytes); NULL stands
 * for a column the row group does not have (every row MISSING). Inline:
 * diffs and merges run it over every row of the columns they compare. */
static inline int
fw_column_row_eq(const fw_column *x, const fw_column *y, uint32_t r)
{
	uint32_t lx, ly;
	const char *a, *b;

	if (x == NULL || y == NULL)
		return (x ? x->kind[r] : FW_KIND_MISSING) == (y ? y->kind[r] : FW_KIND_MISSING);
	lx = x->off[r + 1] - x->off[r];
	ly = y->off[r + 1] - y->off[r];
	if (x->kind[r] != y->kind[r] || lx != ly)
		return 0;
	a = x->data + x->off[r];
	b = y->data + y->off[r];
	if (lx > 16)
		return memcmp(a, b, lx) == 0;
	for (uint32_t i = 0; i < lx; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* 1 when x and y (both of n rows, not NULL) have the same kinds and
 * lengths row for row, so that only their bytes can differ. */
int fw_column_same_layout(const fw_column *x, const fw_column *y, uint32_t n);

/* The first row from r on where x and y (of n rows; NULL as above) hold
 * different values, n when none. layout is fw_column_same_layout(x, y, n):
 * the bytes are then compared eight at a time and the row found from the
 * offsets (most rows of a relabelled column are the same on both sides). */
uint32_t fw_column_next_diff(const fw_column *x, const fw_column *y, uint32_t r, uint32_t n,
    int layout);

/* Fills num, ints and is_int, once (later calls return at once). */
int fw_column_numbers(fw_column *c);

/* Appends row i of c as JSON text (canonical) to b; MISSING appends nothing
 * and returns 0 (callers skip the field). */
int fw_column_value_json(const fw_column *c, uint32_t i, fw_buf *b);

#endif
