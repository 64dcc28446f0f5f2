/*
 * Column objects. Encoding (the bytes before compression), chosen so that zstd
 * sees like with like:
 *   u8 version (2, or 3 when front-coded), u8 type, varint n,
 *   u8 flags: SAME_KINDS (1), SAME_LENGTHS (2), PREFIXED (4, version 3),
 *   the kinds: one byte when SAME_KINDS, else n bytes,
 *   the lengths of the rows whose kind has a payload (NUMBER, STRING, ARRAY,
 *   OBJECT): one varint when SAME_LENGTHS, else one varint per such row,
 *   with PREFIXED (4): one varint per payload row, the bytes it shares
 *   with the start of the payload row before it (0 for the first),
 *   the payloads, concatenated; with PREFIXED each without the bytes it
 *   shares with the one before (front coding, Parquet's DELTA_BYTE_ARRAY).
 * Version 1 (fw before session 8) has no flags byte, n kind bytes and a
 * length per payload row; it is still read. Most columns have one kind in
 * every row, and ids, hashes and small numbers often one length: the flags
 * take those bytes out of what every read must decompress and hash. Ids
 * that share a prefix ("run-000123", a path, a date) are mostly that prefix:
 * front coding takes it out too, where it saves a quarter of the payload.
 * Numbers are kept as their text (so that "1.50" stays "1.50"); their values are
 * parsed on decode.
 */
#include "fw/column.h"
#include "fw/error.h"
#include "fw/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COLUMN_VERSION 2
#define COLUMN_VERSION_PREFIXED 3
#define SAME_KINDS 1
#define SAME_LENGTHS 2
#define PREFIXED 4
/* A front-coded column's bytes do not bound its payload either (rows of one
 * long value take a byte each): it is written only up to this many payload
 * bytes, and decode refuses more. */
#define PREFIXED_MAX (16u << 20)
/* With SAME_KINDS a column's bytes no longer bound its rows: a row group
 * holds at most 8 MiB of records (core/rowgroup.c), far fewer rows than
 * this, which bounds what a damaged object can make decode allocate. */
#define COLUMN_MAX_ROWS (1u << 24)

static const char *const type_names[] = {
	[FW_TYPE_STR] = "str", [FW_TYPE_I64] = "i64", [FW_TYPE_F64] = "f64",
	[FW_TYPE_BOOL] = "bool", [FW_TYPE_JSON] = "json",
};

const char *
fw_type_name(fw_type t)
{
	if (t >= FW_TYPE_STR && t <= FW_TYPE_JSON)
		return type_names[t];
	return "?";
}

int
fw_type_parse(fw_type *out, const char *name)
{
	for (int t = FW_TYPE_STR; t <= FW_TYPE_JSON; t++)
		if (strcmp(name, type_names[t]) == 0) {
			*out = (fw_type)t;
			return 0;
		}
	return fw_error_set(FW_EINVALID,
	    "unknown type '%s' (types: str, i64, f64, bool, json)", name);
}

static int
has_payload(unsigned kind)
{
	return kind >= FW_KIND_NUMBER;
}

void
fw_column_init(fw_column *c, const char *name, fw_type type)
{
	memset(c, 0, sizeof(*c));
	c->name = name ? strdup(name) : NULL;
	c->type = type;
}

void
fw_column_release(fw_column *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->kind);
	free(c->off);
	free(c->data);
	free(c->num);
	free(c->ints);
	free(c->is_int);
	memset(c, 0, sizeof(*c));
}

/* Room for rows rows (kinds and offsets), growing by doubling. */
static int
ensure_rows(fw_column *c, uint64_t rows)
{
	uint64_t cap;

	if (rows <= c->cap_rows)
		return 0;
	if (rows > UINT32_MAX)
		return fw_error_set(FW_EINVALID, "too many rows in a column");
	cap = c->cap_rows ? c->cap_rows : 16;
	while (cap < rows)
		cap *= 2;
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	uint8_t *k = realloc(c->kind, (size_t)cap);
	if (k == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	c->kind = k;
	uint32_t *o = realloc(c->off, ((size_t)cap + 1) * sizeof(*o));
	if (o == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	if (c->off == NULL)
		o[0] = 0;
	c->off = o;
	c->cap_rows = (uint32_t)cap;
	return 0;
}

/* Room for bytes bytes of payload and a terminating NUL, growing by
 * doubling; payloads stay under 4 GiB, which offsets are. */
static int
ensure_data(fw_column *c, uint64_t bytes)
{
	size_t want;

	if (bytes > UINT32_MAX)
		return fw_error_set(FW_EINVALID, "column payload over 4 GiB");
	if (bytes + 1 <= c->cap_data)
		return 0;
	want = c->cap_data ? c->cap_data : 256;
	while (want < bytes + 1)
		want *= 2;
	char *d = realloc(c->data, want);
	if (d == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	c->data = d;
	c->cap_data = want;
	return 0;
}

int
fw_column_append(fw_column *c, fw_kind kind, const char *payload, size_t len)
{
	uint32_t end = c->n ? c->off[c->n] : 0;
	int rc;

	if (!has_payload(kind))
		len = 0;
	if ((rc = ensure_rows(c, (uint64_t)c->n + 1)) < 0 ||
	    (rc = ensure_data(c, (uint64_t)end + len)) < 0)
		return rc;
	if (len)
		memcpy(c->data + end, payload, len);
	c->uniform = 0;
	c->kind[c->n] = (uint8_t)kind;
	c->off[c->n + 1] = end + (uint32_t)len;
	c->n++;
	return 0;
}

int
fw_column_append_rows(fw_column *c, const fw_column *src, uint32_t from, uint32_t count)
{
	uint32_t end = c->n ? c->off[c->n] : 0, base = src->off[from];
	size_t len = src->off[from + count] - base;
	int rc;

	if (count == 0)
		return 0;
	if ((rc = ensure_rows(c, (uint64_t)c->n + count)) < 0 ||
	    (rc = ensure_data(c, (uint64_t)end + len)) < 0)
		return rc;
	c->uniform = 0;
	memcpy(c->kind + c->n, src->kind + from, count);
	if (len)
		memcpy(c->data + end, src->data + base, len);
	for (uint32_t i = 0; i < count; i++)
		c->off[c->n + i + 1] = end + (src->off[from + i + 1] - base);
	c->n += count;
	return 0;
}

int
fw_column_numbers(fw_column *c)
{
	double *num;
	int64_t *ints;
	uint8_t *is_int;

	if (c->num)
		return 0;
	num = malloc((size_t)c->n * sizeof(*num) + 1);
	ints = malloc((size_t)c->n * sizeof(*ints) + 1);
	is_int = calloc((size_t)c->n + 1, 1);
	if (!num || !ints || !is_int)
		goto oom;
	for (uint32_t i = 0; i < c->n; i++) {
		num[i] = NAN;
		ints[i] = 0;
		if (c->kind[i] == FW_KIND_NUMBER &&
		    fw_json_number_parse(c->data + c->off[i], c->off[i + 1] - c->off[i],
		    &num[i], &ints[i], &is_int[i]) < 0)
			goto oom;
	}
	c->num = num;
	c->ints = ints;
	c->is_int = is_int;
	return 0;
oom:
	free(num);
	free(ints);
	free(is_int);
	return fw_error_set(FW_ENOMEM, "out of memory");
}

/* fw_column_stats of a uniform column (st zeroed, count set), without
 * the per-row tests: 1 when done, 0 when its numbers need the general
 * loop (other than short unsigned integers, or a sum reaching 2^53). The
 * figures are the general loop's: min and max of integers under 10^15
 * convert to the same doubles, and the sum is exact. */
static int
uniform_stats(const fw_column *c, fw_colstats *st)
{
	unsigned k = c->kind[0];
	uint32_t n = c->n, len = c->off[1];
	uint64_t isum = 0, imin = UINT64_MAX, imax = 0;

	st->kinds = 1u << k;
	st->nulls = k == FW_KIND_MISSING || k == FW_KIND_NULL ? n : 0;
	st->bytes = (uint64_t)n * len;
	if (k != FW_KIND_NUMBER)
		return 1;
	if (len == 0 || len > 15)
		return 0;
	const unsigned char *t = (const unsigned char *)c->data;
	unsigned bad = 0;
	if (len == 1) {	/* one digit: most rewards and labels */
		for (uint32_t i = 0; i < n; i++) {
			unsigned d = t[i] - (unsigned)'0';
			bad |= d > 9;
			isum += d;
			imin = d < imin ? d : imin;
			imax = d > imax ? d : imax;
		}
	} else {
		for (uint32_t i = 0; i < n && !bad && isum < (UINT64_C(1) << 53); i++, t += len) {
			uint64_t m = 0;
			for (uint32_t j = 0; j < len; j++) {
				unsigned d = t[j] - (unsigned)'0';
				bad |= d > 9;
				m = m * 10 + d;
			}
			isum += m;	/* m < 10^15 and isum < 2^53 before: no wrap */
			imin = m < imin ? m : imin;
			imax = m > imax ? m : imax;
		}
	}
	if (bad || isum >= (UINT64_C(1) << 53))
		return 0;
	st->nnum = n;
	st->min = (double)imin;
	st->max = (double)imax;
	st->sum = (double)isum;
	return 1;
}

void
fw_column_stats(const fw_column *c, fw_colstats *st)
{
	/* In locals: stores through st could alias the column's bytes, and
	 * the compiler kept every field in memory (a commit and a merge run
	 * this over each column they write). */
	uint64_t nulls = 0, bytes = 0, nnum = 0, isum = 0;
	uint32_t kinds = 0;
	double min = 0, max = 0, sum = 0;
	/* While every number is a short unsigned integer and their running
	 * sum stays under 2^53, it is kept as an integer: the same value the
	 * double additions give in order (each partial sum exact), without
	 * their chain of latencies. */
	int exact = 1;

	memset(st, 0, sizeof(*st));
	st->count = c->n;
	if (c->uniform && c->n > 0 && !c->num && uniform_stats(c, st))
		return;
	for (uint32_t i = 0; i < c->n; i++) {
		unsigned k = c->kind[i];
		uint32_t len = c->off[i + 1] - c->off[i];
		kinds |= 1u << k;
		if (k == FW_KIND_MISSING || k == FW_KIND_NULL)
			nulls++;
		bytes += len;
		if (k == FW_KIND_NUMBER) {
			double v;
			const char *t = c->data + c->off[i];
			uint32_t j = 0;
			uint64_t m = 0;
			/* A short unsigned integer (most rewards and counts) gives
			 * what fw_json_number_parse gives, without the call. */
			if (!c->num && len <= 15)
				for (; j < len && t[j] >= '0' && t[j] <= '9'; j++)
					m = m * 10 + (uint64_t)(t[j] - '0');
			if (c->num) {
				v = c->num[i];
			} else if (j == len && len > 0) {
				v = (double)(int64_t)m;	/* m < 10^15 */
				if (exact && isum + m < (UINT64_C(1) << 53)) {
					isum += m;
					if (nnum == 0 || v < min)
						min = v;
					if (nnum == 0 || v > max)
						max = v;
					nnum++;
					continue;
				}
			} else {
				/* The whole text: a number cut short is another
				 * number, and a filter would skip rows by it. */
				int64_t iv;
				uint8_t isint;
				if (fw_json_number_parse(t, len, &v, &iv, &isint) < 0) {
					/* No memory: bounds that hold whatever it is. */
					min = -INFINITY;
					max = INFINITY;
					nnum++;
					continue;
				}
			}
			if (isnan(v))
				continue;
			if (exact) {
				sum = (double)isum;
				exact = 0;
			}
			if (nnum == 0 || v < min)
				min = v;
			if (nnum == 0 || v > max)
				max = v;
			sum += v;
			nnum++;
		}
	}
	st->kinds = kinds;
	st->nulls = nulls;
	st->bytes = bytes;
	st->nnum = nnum;
	st->min = min;
	st->max = max;
	st->sum = exact ? (double)isum : sum;
}

/* How many bytes a and b (at most max) share at their start. */
static uint32_t
common_prefix(const char *a, const char *b, uint32_t max)
{
	uint32_t i = 0;

	for (; i + 8 <= max; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return i + (uint32_t)__builtin_ctzll(x ^ y) / 8;	/* little-endian */
	}
	while (i < max && a[i] == b[i])
		i++;
	return i;
}

static size_t
varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* The front coding of c's payload rows: pre[j], the bytes payload row j
 * shares with payload row j - 1. 1 when it saves at least a quarter of the
 * payload bytes (the varints counted), 0 when not worth it; pre is then
 * freed and NULL. */
static int
front_code(const fw_column *c, uint32_t npay, uint32_t **pre_out)
{
	uint64_t total = c->n ? c->off[c->n] : 0;
	int64_t saved = 0;
	uint32_t *pre, j = 0, prev = 0, prevlen = 0;

	*pre_out = NULL;
	/* Each row's varint costs a byte: a quarter of the payload can be
	 * saved only if the rows hold over 4/3 of a byte each (not one-digit
	 * rewards, whose columns a relabel writes). */
	if (npay < 2 || total > PREFIXED_MAX || 3 * total <= 4 * (uint64_t)npay ||
	    (pre = malloc((size_t)npay * sizeof(*pre))) == NULL)
		return 0;	/* no memory: written without, still correct */
	for (uint32_t i = 0; i < c->n; i++) {
		if (!has_payload(c->kind[i]))
			continue;
		uint32_t len = c->off[i + 1] - c->off[i];
		uint32_t p = j == 0 ? 0 : common_prefix(c->data + prev, c->data + c->off[i],
		    len < prevlen ? len : prevlen);
		pre[j++] = p;
		saved += (int64_t)p - (int64_t)varint_len(p);
		prev = c->off[i];
		prevlen = len;
	}
	if (saved <= 0 || 4 * (uint64_t)saved < total) {
		free(pre);
		return 0;
	}
	*pre_out = pre;
	return 1;
}

int
fw_column_encode(const fw_column *c, fw_buf *out)
{
	unsigned flags = SAME_KINDS | SAME_LENGTHS;
	uint32_t len = 0, npay = 0, *pre = NULL;
	int rc;

	if (c->uniform && c->n > 0) {
		npay = has_payload(c->kind[0]) ? c->n : 0;
		len = c->off[1];
	} else {
		for (uint32_t i = 0; i < c->n; i++) {
			if (c->kind[i] != c->kind[0])
				flags &= ~SAME_KINDS;
			if (has_payload(c->kind[i])) {
				uint32_t l = c->off[i + 1] - c->off[i];
				if (npay++ == 0)
					len = l;
				else if (l != len)
					flags &= ~SAME_LENGTHS;
			}
		}
	}
	if (c->n == 0)
		flags &= ~SAME_KINDS;
	if (front_code(c, npay, &pre))
		flags |= PREFIXED;
	if ((rc = fw_buf_addc(out, flags & PREFIXED ? COLUMN_VERSION_PREFIXED : COLUMN_VERSION)) < 0 ||
	    (rc = fw_buf_addc(out, (char)c->type)) < 0 ||
	    (rc = fw_buf_add_varint(out, c->n)) < 0 ||
	    (rc = fw_buf_addc(out, (char)flags)) < 0 ||
	    (rc = fw_buf_add(out, c->kind, flags & SAME_KINDS ? 1 : c->n)) < 0)
		goto done;
	if (flags & SAME_LENGTHS) {
		if ((rc = fw_buf_add_varint(out, len)) < 0)
			goto done;
	} else {
		for (uint32_t i = 0; i < c->n; i++)
			if (has_payload(c->kind[i]) &&
			    (rc = fw_buf_add_varint(out, c->off[i + 1] - c->off[i])) < 0)
				goto done;
	}
	if (!(flags & PREFIXED)) {
		rc = fw_buf_add(out, c->data, c->n ? c->off[c->n] : 0);
		goto done;
	}
	for (uint32_t j = 0; j < npay; j++)
		if ((rc = fw_buf_add_varint(out, pre[j])) < 0)
			goto done;
	for (uint32_t i = 0, j = 0; i < c->n; i++)
		if (has_payload(c->kind[i])) {
			uint32_t p = pre[j++];
			if ((rc = fw_buf_add(out, c->data + c->off[i] + p,
			    c->off[i + 1] - c->off[i] - p)) < 0)
				goto done;
		}
	rc = 0;
done:
	free(pre);
	return rc;
}

#if defined(__SIZEOF_INT128__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ROWS_IN_REGISTERS 1
/* Row bytes in a register: the row before's first p bytes (p < 16), then
 * 16 bytes of suffix from in shifted past them. */
static inline unsigned __int128
front_row(unsigned __int128 last, uint32_t p, const char *in)
{
	unsigned __int128 suf;

	memcpy(&suf, in, 16);
	return (last & ((((unsigned __int128)1) << (8 * p)) - 1)) | suf << (8 * p);
}

/* The checks of a front-coded column of n rows of one length l <= 16 whose
 * prefixes (at r) are single bytes: 1 when they hold, with r's suffixes
 * adding up; 0 when the column is not of that shape; <0 when corrupt. */
static int
short_check(const fw_rd *r, uint32_t n, uint32_t l)
{
	const uint8_t *pb = r->p;
	uint32_t high = 0, over = 0;
	uint64_t shared = 0;

	if (l > 16 || fw_rd_left(r) < n)
		return 0;
	for (uint32_t j = 0; j < n; j++) {	/* vectorised */
		high |= pb[j];
		over |= pb[j] > l;
		shared += pb[j];
	}
	if (high & 0x80)
		return 0;
	if (over || pb[0] != 0)
		return fw_error_set(FW_ECORRUPT, "column prefix longer than its row");
	if ((uint64_t)fw_rd_left(r) - n != (uint64_t)n * l - shared)
		return fw_error_set(FW_ECORRUPT, "column payload size mismatch");
	return 1;
}

/* The rows of a column short_check accepted, put together from the first:
 * every row into out (rows NULL), or rows[0..m) (ascending) one after
 * another. out has 16 bytes to spare. */
static void
short_walk(const fw_rd *r, uint32_t n, uint32_t l, const uint32_t *rows, uint32_t m,
    char *out)
{
	const uint8_t *pb = r->p;
	const char *in = (const char *)pb + n, *in_end = (const char *)r->end;
	unsigned __int128 last = 0;
	uint32_t k = 0;

	for (uint32_t j = 0; j < n && k < m; j++) {
		uint32_t p = pb[j];
		if (in_end - in >= 16) {
			last = p >= 16 ? last : front_row(last, p, in);
		} else {	/* the last rows: no 16 bytes left to load */
			char t[16];
			memcpy(t, &last, 16);
			memcpy(t + p, in, l - p);
			memcpy(&last, t, 16);
		}
		in += l - p;
		if (rows == NULL)
			memcpy(out + (size_t)j * l, &last, 16);
		else if (j == rows[k])
			memcpy(out + (size_t)k++ * l, &last, 16);
	}
}

/* decode_prefixed for the common case of ids of one format: every row a
 * payload of l <= 16 bytes, every prefix one byte. 1 when done, 0 when the
 * column is not of that shape (nothing consumed), <0 on an error. */
static int
decode_prefixed_short(fw_column *c, fw_rd *r, uint32_t l)
{
	int rc = short_check(r, c->n, l);

	if (rc <= 0)
		return rc;
	if ((c->data = malloc((size_t)c->n * l + 1 + 16)) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	short_walk(r, c->n, l, NULL, c->n, c->data);
	c->data[(size_t)c->n * l] = '\0';
	r->p = r->end;
	return 1;
}
#endif

/* The payload of a front-coded column: the prefix varints at r, then the
 * suffixes; c's kinds and offsets are set. same: the length of every row
 * when every row has a payload of that length, else UINT32_MAX. */
static int
decode_prefixed(fw_column *c, fw_rd *r, uint64_t total, uint32_t same)
{
	uint32_t npay = 0, *pre, prev = 0, prevlen = 0;
	uint64_t suffixes = 0;
	const void *src;
	int rc;

#ifdef ROWS_IN_REGISTERS
	if (same != UINT32_MAX && (rc = decode_prefixed_short(c, r, same)) != 0)
		return rc < 0 ? rc : 0;
#else
	(void)same;
#endif
	for (uint32_t i = 0; i < c->n; i++)
		npay += has_payload(c->kind[i]);
	if ((pre = malloc((size_t)npay * sizeof(*pre) + 1)) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	for (uint32_t i = 0, j = 0; i < c->n; i++) {
		uint64_t p;
		if (!has_payload(c->kind[i]))
			continue;
		if (r->p < r->end && *r->p < 0x80)
			p = *r->p++;
		else if ((rc = fw_rd_varint(r, &p)) < 0)
			goto done;
		uint32_t len = c->off[i + 1] - c->off[i];
		if (p > len || p > prevlen) {
			rc = fw_error_set(FW_ECORRUPT, "column prefix longer than its row");
			goto done;
		}
		pre[j++] = (uint32_t)p;
		suffixes += len - p;
		prevlen = len;
	}
	if (fw_rd_left(r) != suffixes) {
		rc = fw_error_set(FW_ECORRUPT, "column payload size mismatch");
		goto done;
	}
	if ((rc = fw_rd_bytes(r, &src, suffixes)) < 0)
		goto done;
	/* 16 bytes to spare, for rows written as 16 bytes (below) */
	if ((c->data = malloc(total + 1 + 16)) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	const char *in = src, *in_end = in + suffixes;
#ifdef ROWS_IN_REGISTERS
	/* Rows of up to 16 bytes (most ids) are put together in a register
	 * and stored as 16 bytes (what lies past the row is overwritten by
	 * the next). Copying the prefix through memory would load bytes the
	 * two stores before had just written, which the CPU cannot forward:
	 * that stall was most of the decode. */
	unsigned __int128 last = 0;	/* the row before's first 16 bytes */
	for (uint32_t i = 0, j = 0; i < c->n; i++) {
		if (!has_payload(c->kind[i]))
			continue;
		uint32_t p = pre[j++], len = c->off[i + 1] - c->off[i], sl = len - p;
		char *dst = c->data + c->off[i];
		if (len <= 16 && in_end - in >= 16) {
			last = p >= 16 ? last : front_row(last, p, in);	/* p == 16: len == 16 */
			memcpy(dst, &last, 16);
		} else {
			memcpy(dst, c->data + prev, p);	/* no overlap: p <= the row before */
			memcpy(dst + p, in, sl);
			memcpy(&last, dst, 16);	/* the 16 spare bytes keep this in bounds */
		}
		in += sl;
		prev = c->off[i];
	}
#else
	for (uint32_t i = 0, j = 0; i < c->n; i++) {
		if (!has_payload(c->kind[i]))
			continue;
		uint32_t p = pre[j++], len = c->off[i + 1] - c->off[i];
		memcpy(c->data + c->off[i], c->data + prev, p);
		memcpy(c->data + c->off[i] + p, in, len - p);
		in += len - p;
		prev = c->off[i];
	}
#endif
	c->data[total] = '\0';
	rc = 0;
done:
	free(pre);
	return rc;
}

/* A column object's version, type, row count and flags, checked; r is
 * left at the kinds. */
static int
read_head(fw_rd *r, uint8_t *flags, uint64_t *n)
{
	uint8_t version, t;
	int rc;

	*flags = 0;
	if ((rc = fw_rd_u8(r, &version)) < 0 || (rc = fw_rd_u8(r, &t)) < 0 ||
	    (rc = fw_rd_varint(r, n)) < 0 ||
	    (version > 1 && (rc = fw_rd_u8(r, flags)) < 0))
		return rc;
	if (version > COLUMN_VERSION_PREFIXED)
		return fw_error_set(FW_ECORRUPT, "column object of version %u, newer than this fw "
		    "reads (%d): use a newer fw", version, COLUMN_VERSION_PREFIXED);
	if (version == 0 || t < FW_TYPE_STR ||
	    t > FW_TYPE_JSON || *n > (*flags & SAME_KINDS ? COLUMN_MAX_ROWS : fw_rd_left(r)) ||
	    (*flags & ~(SAME_KINDS | SAME_LENGTHS | PREFIXED)) ||
	    (!(*flags & PREFIXED) != (version < COLUMN_VERSION_PREFIXED)) ||
	    ((*flags & SAME_KINDS) && *n == 0))
		return fw_error_set(FW_ECORRUPT, "bad column header");
	return 0;
}

int
fw_column_decode(fw_column *c, const char *name, fw_type type,
    const void *bytes, size_t len)
{
	fw_rd r;
	uint8_t flags = 0;
	uint64_t n, total = 0, same = 0;
	const void *kinds, *payload;
	int rc;

	fw_column_init(c, name, type);
	fw_rd_init(&r, bytes, len);
	if ((rc = read_head(&r, &flags, &n)) < 0)
		goto bad;
	if ((rc = fw_rd_bytes(&r, &kinds, flags & SAME_KINDS ? 1 : n)) < 0)
		goto bad;
	c->n = (uint32_t)n;
	c->kind = malloc(n + 1);
	c->off = malloc((n + 1) * sizeof(*c->off));
	if (!c->kind || !c->off) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto bad;
	}
	if (flags & SAME_KINDS)
		memset(c->kind, *(const uint8_t *)kinds, n);
	else
		memcpy(c->kind, kinds, n);
	if ((flags & SAME_LENGTHS) && (rc = fw_rd_varint(&r, &same)) < 0)
		goto bad;
	/* What the payload can hold: the bytes left, or with front coding
	 * (the rest of the bytes are then prefixes and suffixes) its limit. */
#define ROOM ((flags & PREFIXED) ? (uint64_t)PREFIXED_MAX : (uint64_t)(r.end - r.p))
	c->off[0] = 0;
	if ((flags & SAME_KINDS) && (flags & SAME_LENGTHS || !has_payload(c->kind[0]))) {
		/* One kind, one length: the offsets are multiples of it. */
		uint64_t l = has_payload(c->kind[0]) ? same : 0;
		if (c->kind[0] >= FW_KIND_COUNT) {
			rc = fw_error_set(FW_ECORRUPT, "bad value kind %u", c->kind[0]);
			goto bad;
		}
		/* n < 2^24 (checked above) and l is checked alone first */
		if (l > ROOM || (total = n * l) > UINT32_MAX || total > ROOM) {
			rc = fw_error_set(FW_ECORRUPT, "column payload lengths overrun");
			goto bad;
		}
		for (uint32_t i = 0; i < n; i++)
			c->off[i + 1] = (uint32_t)((i + 1) * l);
		c->uniform = 1;
		goto payload;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t l = 0;
		if (c->kind[i] >= FW_KIND_COUNT) {
			rc = fw_error_set(FW_ECORRUPT, "bad value kind %u", c->kind[i]);
			goto bad;
		}
		if (has_payload(c->kind[i])) {
			if (flags & SAME_LENGTHS)
				l = same;
			/* most lengths fit one byte: read those in place */
			else if (r.p < r.end && *r.p < 0x80)
				l = *r.p++;
			else if ((rc = fw_rd_varint(&r, &l)) < 0)
				goto bad;
		}
		/* l is checked alone first: a ten-byte varint near 2^64
		 * would wrap the sum back under the limit (fuzz_objects). */
		if (l > ROOM || (total += l) > UINT32_MAX || total > ROOM) {
			rc = fw_error_set(FW_ECORRUPT, "column payload lengths overrun");
			goto bad;
		}
		c->off[i + 1] = (uint32_t)total;
	}
#undef ROOM
payload:
	if (flags & PREFIXED) {
		uint32_t one = (flags & SAME_KINDS) && (flags & SAME_LENGTHS) &&
		    has_payload(c->kind[0]) ? (uint32_t)same : UINT32_MAX;
		if ((rc = decode_prefixed(c, &r, total, one)) < 0)
			goto bad;
		goto done;
	}
	if (fw_rd_left(&r) != total) {
		rc = fw_error_set(FW_ECORRUPT, "column payload size mismatch");
		goto bad;
	}
	if ((rc = fw_rd_bytes(&r, &payload, total)) < 0)
		goto bad;
	if ((c->data = malloc(total + 1)) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto bad;
	}
	memcpy(c->data, payload, total);
	c->data[total] = '\0';
done:
	c->cap_rows = c->n;
	c->cap_data = total + 1;
	return 0;
bad:
	fw_column_release(c);
	return rc;
}

int
fw_column_decode_rows(fw_column *c, const char *name, fw_type type, const void *bytes,
    size_t len, uint32_t n, const uint32_t *rows, uint32_t m)
{
	fw_column whole;
	fw_rd r;
	uint8_t flags;
	uint64_t cn, l = 0;
	const void *kinds;
	int rc, fast = 0;

	for (uint32_t k = 0; k < m; k++)
		if (rows[k] >= n || (k && rows[k] <= rows[k - 1]))
			return fw_error_set(FW_EINVALID, "rows out of order or past the column");
	/* One kind with a payload of one length: those rows only. Anything
	 * else, errors included, goes to the whole decode. */
	fw_rd_init(&r, bytes, len);
	if (read_head(&r, &flags, &cn) == 0 && cn == n && m > 0 &&
	    (flags & (SAME_KINDS | SAME_LENGTHS)) == (SAME_KINDS | SAME_LENGTHS) &&
	    fw_rd_bytes(&r, &kinds, 1) == 0 && *(const uint8_t *)kinds < FW_KIND_COUNT &&
	    has_payload(*(const uint8_t *)kinds) && fw_rd_varint(&r, &l) == 0 &&
	    l <= fw_rd_left(&r) && n * l <= UINT32_MAX) {
#ifdef ROWS_IN_REGISTERS
		if ((flags & PREFIXED) && short_check(&r, n, (uint32_t)l) == 1)
			fast = 1;
#endif
		if (!(flags & PREFIXED) && fw_rd_left(&r) == n * l)
			fast = 2;
	}
	if (!fast) {
		if ((rc = fw_column_decode(&whole, name, type, bytes, len)) < 0)
			return rc;
		fw_column_init(c, name, type);
		if (whole.n != n)
			rc = fw_error_set(FW_ECORRUPT, "column has %u rows, %u expected", whole.n, n);
		for (uint32_t k = 0; k < m && rc == 0; k++)
			rc = fw_column_append_rows(c, &whole, rows[k], 1);
		fw_column_release(&whole);
		if (rc < 0)
			fw_column_release(c);
		return rc;
	}
	fw_column_init(c, name, type);
	c->kind = malloc((size_t)m + 1);
	c->off = malloc(((size_t)m + 1) * sizeof(*c->off));
	c->data = malloc((size_t)m * l + 1 + 16);
	if (!c->kind || !c->off || !c->data) {
		fw_column_release(c);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	memset(c->kind, *(const uint8_t *)kinds, m);
	for (uint32_t k = 0; k <= m; k++)
		c->off[k] = (uint32_t)(k * l);
#ifdef ROWS_IN_REGISTERS
	if (fast == 1)
		short_walk(&r, n, (uint32_t)l, rows, m, c->data);
#endif
	if (fast == 2)
		for (uint32_t k = 0; k < m; k++)
			memcpy(c->data + (size_t)k * l, r.p + (size_t)rows[k] * l, l);
	c->data[(size_t)m * l] = '\0';
	c->n = m;
	c->cap_rows = m;
	c->cap_data = (size_t)m * l + 1;
	c->uniform = 1;
	return 0;
}

int
fw_column_value_json(const fw_column *c, uint32_t i, fw_buf *b)
{
	const char *p = c->data + c->off[i];
	size_t len = c->off[i + 1] - c->off[i];

	switch (c->kind[i]) {
	case FW_KIND_MISSING: return 0;
	case FW_KIND_NULL: return fw_buf_add(b, "null", 4);
	case FW_KIND_FALSE: return fw_buf_add(b, "false", 5);
	case FW_KIND_TRUE: return fw_buf_add(b, "true", 4);
	case FW_KIND_STRING: return fw_json_quote(b, p, len);
	default: return fw_buf_add(b, p, len);
	}
}

int
fw_column_same_layout(const fw_column *x, const fw_column *y, uint32_t n)
{
	if (x == NULL || y == NULL || x->n != n || y->n != n)
		return 0;
	if (n > 0 && x->uniform && y->uniform)
		return x->kind[0] == y->kind[0] && x->off[1] == y->off[1];
	return n == 0 || (memcmp(x->kind, y->kind, n) == 0 &&
	    memcmp(x->off, y->off, ((size_t)n + 1) * sizeof(*x->off)) == 0);
}

uint32_t
fw_column_next_diff(const fw_column *x, const fw_column *y, uint32_t r, uint32_t n, int layout)
{
	if (r >= n)
		return n;
	if (!layout) {
		while (r < n && fw_column_row_eq(x, y, r))
			r++;
		return r;
	}
	size_t p = x->off[r], end = x->off[n];
	for (; p + 8 <= end; p += 8) {
		uint64_t a, b;
		memcpy(&a, x->data + p, 8);
		memcpy(&b, y->data + p, 8);
		if (a != b) {
			/* the first differing byte (x86-64 and arm64 are little-endian) */
			p += (size_t)__builtin_ctzll(a ^ b) / 8;
			goto found;
		}
	}
	for (; p < end; p++)
		if (x->data[p] != y->data[p])
			goto found;
	return n;
found:;
	/* the row whose bytes hold p: the last with off[row] <= p (rows
	 * without bytes before it share its offset) */
	uint32_t lo = r, hi = n - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;
		if (x->off[mid] <= p)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}
