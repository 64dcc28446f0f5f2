#include "harness.h"
#include "fw/column.h"
#include "fw/error.h"

#include <math.h>
#include <stdlib.h>

void
test_column_roundtrip(void)
{
	static const struct { fw_kind k; const char *p; } rows[] = {
		{ FW_KIND_NUMBER, "1.50" }, { FW_KIND_MISSING, NULL },
		{ FW_KIND_NULL, NULL }, { FW_KIND_STRING, "a\"b" },
		{ FW_KIND_NUMBER, "123456789012345678901234567890" },
		{ FW_KIND_TRUE, NULL }, { FW_KIND_ARRAY, "[1,2]" },
		{ FW_KIND_NUMBER, "-7" },
	};
	size_t nrows = sizeof(rows) / sizeof(rows[0]);
	fw_column c, d;
	fw_colstats st;
	fw_buf enc = FW_BUF_INIT, js = FW_BUF_INIT;

	fw_column_init(&c, "reward", FW_TYPE_F64);
	for (int rep = 0; rep < 100; rep++)
		for (size_t i = 0; i < nrows; i++)
			CHECK_OK(fw_column_append(&c, rows[i].k, rows[i].p,
			    rows[i].p ? strlen(rows[i].p) : 0));
	CHECK_INT(c.n, 100 * nrows);
	CHECK_OK(fw_column_encode(&c, &enc));
	CHECK_OK(fw_column_decode(&d, "reward", FW_TYPE_F64, enc.data, enc.len));
	CHECK_INT(d.n, c.n);
	CHECK(d.num == NULL);
	CHECK_OK(fw_column_numbers(&d));
	CHECK(d.num[0] == 1.5 && d.is_int[7] && d.ints[7] == -7 && !d.is_int[4]);
	CHECK(isnan(d.num[1]));
	for (uint32_t i = 0; i < nrows; i++) {
		fw_buf_reset(&js);
		CHECK_OK(fw_column_value_json(&d, i, &js));
		const char *want[] = { "1.50", "", "null", "\"a\\\"b\"",
		    "123456789012345678901234567890", "true", "[1,2]", "-7" };
		CHECK_STR(js.data ? js.data : "", want[i]);
	}
	fw_column_stats(&d, &st);
	CHECK_INT(st.count, 800);
	CHECK_INT(st.nulls, 200);
	CHECK_INT(st.nnum, 300);
	CHECK(st.min == -7 && st.max > 1e29);
	/* A decoded column can be appended to. */
	CHECK_OK(fw_column_append(&d, FW_KIND_STRING, "x", 1));
	CHECK_INT(d.n, 801);
	/* Every truncation of the encoding is refused, never read past. */
	for (size_t cut = 0; cut < enc.len; cut += 7) {
		fw_column e;
		CHECK_INT(fw_column_decode(&e, "r", FW_TYPE_F64, enc.data, cut), FW_ECORRUPT);
	}
	fw_column_release(&c);
	fw_column_release(&d);
	fw_buf_release(&enc);
	fw_buf_release(&js);
}

/* Statistics of a column being built read each number's whole text. */
void
test_column_stats_long_numbers(void)
{
	char big[120];
	fw_column c;
	fw_colstats st;

	memset(big, '9', 100);
	big[100] = '\0';
	fw_column_init(&c, "n", FW_TYPE_F64);
	CHECK_OK(fw_column_append(&c, FW_KIND_NUMBER, "1", 1));
	CHECK_OK(fw_column_append(&c, FW_KIND_NUMBER, big, 100));
	fw_column_stats(&c, &st);
	CHECK_INT(st.nnum, 2);
	CHECK(st.min == 1 && st.max > 9e99);
	fw_column_release(&c);
}

/* A payload length near 2^64 must not wrap the running total back under the
 * data's size (fuzz_objects found this: the next value then "ended" before it
 * began, and its length read as 4 GiB). */
void
test_column_length_wrap(void)
{
	/* version 1, type json, 4 rows of kind number; lengths 4, then a
	 * ten-byte varint of 2^64-1 (which took the total from 4 to 3), ... */
	static const uint8_t enc[] = {
		0x01, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03, 0x02, 0x04,
		0x2d, 0x74, 0x03, 0x6f, 0x6f, 0x2d, 0x74, 0x03, 0x02
	};
	fw_column c;

	CHECK_INT(fw_column_decode(&c, "x", FW_TYPE_JSON, enc, sizeof(enc)), FW_ECORRUPT);
}

/* fw_column_append_rows gives what fw_column_append row by row gives, for
 * runs of every length at every place, onto empty and built columns. */
void
test_column_append_rows(void)
{
	static const struct { fw_kind k; const char *p; } rows[] = {
		{ FW_KIND_NUMBER, "0.25" }, { FW_KIND_MISSING, NULL }, { FW_KIND_NULL, NULL },
		{ FW_KIND_STRING, "abc" }, { FW_KIND_TRUE, NULL }, { FW_KIND_ARRAY, "[1,[2]]" },
		{ FW_KIND_STRING, "" }, { FW_KIND_NUMBER, "-12345678901234567890" },
	};
	fw_column src, a, b;
	fw_buf ea = FW_BUF_INIT, eb = FW_BUF_INIT;
	uint32_t n = 40;

	fw_column_init(&src, "s", FW_TYPE_JSON);
	for (uint32_t i = 0; i < n; i++) {
		const char *p = rows[(i * 5) % 8].p;
		CHECK_OK(fw_column_append(&src, rows[(i * 5) % 8].k, p, p ? strlen(p) : 0));
	}
	for (uint32_t pre = 0; pre < 3; pre++)
		for (uint32_t from = 0; from < n; from += 3)
			for (uint32_t count = 0; from + count <= n; count += 7) {
				fw_column_init(&a, "s", FW_TYPE_JSON);
				fw_column_init(&b, "s", FW_TYPE_JSON);
				for (uint32_t i = 0; i < pre * 9; i++) {
					CHECK_OK(fw_column_append(&a, FW_KIND_STRING, "pre", 3));
					CHECK_OK(fw_column_append(&b, FW_KIND_STRING, "pre", 3));
				}
				for (uint32_t r = from; r < from + count; r++)
					CHECK_OK(fw_column_append(&a, src.kind[r], src.data + src.off[r],
					    src.off[r + 1] - src.off[r]));
				CHECK_OK(fw_column_append_rows(&b, &src, from, count));
				CHECK_OK(fw_column_append(&a, FW_KIND_NUMBER, "7", 1));
				CHECK_OK(fw_column_append(&b, FW_KIND_NUMBER, "7", 1));
				fw_buf_reset(&ea);
				fw_buf_reset(&eb);
				CHECK_OK(fw_column_encode(&a, &ea));
				CHECK_OK(fw_column_encode(&b, &eb));
				CHECK(a.n == b.n && ea.len == eb.len &&
				    memcmp(ea.data, eb.data, ea.len) == 0);
				fw_column_release(&a);
				fw_column_release(&b);
			}
	fw_column_release(&src);
	fw_buf_release(&ea);
	fw_buf_release(&eb);
}

/* Decodes enc and checks it against c, row by row. */
static int
same_column(const fw_column *c, const void *enc, size_t len)
{
	fw_column d;
	int same;

	if (fw_column_decode(&d, "x", c->type, enc, len) < 0)
		return 0;
	same = d.n == c->n && (c->n == 0 || (memcmp(d.kind, c->kind, c->n) == 0 &&
	    memcmp(d.off, c->off, (c->n + 1) * sizeof(*c->off)) == 0 &&
	    memcmp(d.data, c->data, c->off[c->n]) == 0));
	fw_column_release(&d);
	return same;
}

/*
 * Version 2 writes one kind byte for a column whose rows share their kind,
 * and one length for one whose payloads share their length (ids, small
 * numbers): each combination round-trips, takes the bytes it should, and a
 * version-1 encoding of the same rows still reads. A damaged flags byte or
 * a row count no object could hold is refused.
 */
void
test_column_same_kinds_lengths(void)
{
	static const struct { const char *name; int mixed_kind, mixed_len; } cases[] = {
		{ "both", 0, 0 }, { "kinds", 0, 1 }, { "lengths", 1, 0 }, { "neither", 1, 1 },
	};
	enum { N = 1000 };

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		fw_column c;
		fw_buf enc = FW_BUF_INIT, v1 = FW_BUF_INIT;
		char id[16];

		fw_column_init(&c, "id", FW_TYPE_STR);
		for (int i = 0; i < N; i++) {
			/* ids that share no prefix worth front coding */
			unsigned h = (unsigned)i * 2654435761u;
			snprintf(id, sizeof(id), cases[k].mixed_len && i % 3 ? "%x" : "%08x", h);
			if (cases[k].mixed_kind && i % 5 == 0)
				CHECK_OK(fw_column_append(&c, FW_KIND_NULL, NULL, 0));
			else
				CHECK_OK(fw_column_append(&c, FW_KIND_STRING, id, strlen(id)));
		}
		CHECK_OK(fw_column_encode(&c, &enc));
		CHECK_MSG(enc.len > 4 && (uint8_t)enc.data[0] == 2 &&
		    (uint8_t)enc.data[4] == (cases[k].mixed_kind ? 0 : 1) + (cases[k].mixed_len ? 0 : 2),
		    "%s: flags %d", cases[k].name, enc.len > 4 ? enc.data[4] : -1);
		CHECK_MSG(same_column(&c, enc.data, enc.len), "%s", cases[k].name);
		/* the same rows as version 1 wrote them */
		fw_buf_addc(&v1, 1);
		fw_buf_addc(&v1, (char)c.type);
		fw_buf_add_varint(&v1, c.n);
		fw_buf_add(&v1, c.kind, c.n);
		for (uint32_t i = 0; i < c.n; i++)
			if (c.kind[i] >= FW_KIND_NUMBER)
				fw_buf_add_varint(&v1, c.off[i + 1] - c.off[i]);
		fw_buf_add(&v1, c.data, c.off[c.n]);
		CHECK_MSG(same_column(&c, v1.data, v1.len), "%s: version 1", cases[k].name);
		size_t payload = c.off[c.n];
		size_t want = 5 + payload + (cases[k].mixed_kind ? N : 1);
		if (!cases[k].mixed_len)
			want += 1;
		CHECK_MSG(cases[k].mixed_len ? enc.len > want : enc.len == want,
		    "%s: %zu bytes, %zu expected", cases[k].name, enc.len, want);
		/* flags bits fw does not write, and SAME_KINDS over 2^24 rows */
		fw_column d;
		enc.data[4] |= 8;
		CHECK_INT(fw_column_decode(&d, "x", c.type, enc.data, enc.len), FW_ECORRUPT);
		fw_column_release(&c);
		fw_buf_release(&enc);
		fw_buf_release(&v1);
	}
	/* version 2, str, n = 2^24 + 1 (varint), SAME_KINDS | SAME_LENGTHS,
	 * kind string, length 0: nothing to read, too many rows */
	static const uint8_t huge[] = { 0x02, 0x01, 0x81, 0x80, 0x80, 0x08, 0x03, 0x05, 0x00 };
	fw_column d;
	CHECK_INT(fw_column_decode(&d, "x", FW_TYPE_STR, huge, sizeof(huge)), FW_ECORRUPT);
	/* an empty column: no kind byte */
	fw_column e;
	fw_buf enc = FW_BUF_INIT;
	fw_column_init(&e, "x", FW_TYPE_STR);
	CHECK_OK(fw_column_encode(&e, &enc));
	CHECK_MSG(same_column(&e, enc.data, enc.len), "empty column");
	fw_column_release(&e);
	fw_buf_release(&enc);
}

/* The flags byte of an encoding (versions 2 and 3: u8 version, u8 type, a
 * varint row count, flags). */
static int
enc_flags(const fw_buf *b)
{
	size_t i = 2;

	while (i < b->len && (uint8_t)b->data[i] >= 0x80)
		i++;
	return i + 1 < b->len ? (uint8_t)b->data[i + 1] : -1;
}

/*
 * Front coding: a column whose payloads share their start with the row
 * before (sequential ids, paths, dates) keeps each row's new bytes only,
 * when that saves a quarter of the payload, and reads back exactly: rows
 * without payloads between, a prefix as long as the row before or as the
 * row itself, one longer than eight bytes, NUL bytes, empty strings. Bytes
 * that claim more than a row or the row before holds, or more payload than
 * the limit, are refused.
 */
void
test_column_prefixed(void)
{
	enum { N = 1500 };
	static const char *const shapes[] = {
		"seq", "nulls", "paths", "dups", "shrink", "nul", "random",
	};

	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		const char *sh = shapes[k];
		fw_column c;
		fw_buf enc = FW_BUF_INIT;
		char v[96];
		size_t vl;

		fw_column_init(&c, "id", FW_TYPE_STR);
		for (int i = 0; i < N; i++) {
			fw_kind kind = FW_KIND_STRING;
			if (strcmp(sh, "seq") == 0)
				vl = (size_t)snprintf(v, sizeof(v), "run-%07d", i);
			else if (strcmp(sh, "nulls") == 0) {
				vl = (size_t)snprintf(v, sizeof(v), "2026-11-21T10:%02d:%02d", i / 60 % 60, i % 60);
				kind = i % 7 == 0 ? FW_KIND_NULL : i % 11 == 0 ? FW_KIND_MISSING :
				    i % 13 == 0 ? FW_KIND_NUMBER : FW_KIND_STRING;
				if (kind == FW_KIND_NUMBER)
					vl = (size_t)snprintf(v, sizeof(v), "%d", i);
			} else if (strcmp(sh, "paths") == 0)
				vl = (size_t)snprintf(v, sizeof(v),
				    "/data/trajectories/swe-agent/marshmallow-code/run-%d/step-%d.json",
				    i / 10, i % 10);
			else if (strcmp(sh, "dups") == 0)
				vl = i % 4 ? (size_t)snprintf(v, sizeof(v), "the same value, %d", i / 8) : 0;
			else if (strcmp(sh, "shrink") == 0)	/* each row a prefix of the one before */
				vl = (size_t)snprintf(v, sizeof(v), "%.*s", 40 - i % 40,
				    "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF");
			else if (strcmp(sh, "nul") == 0) {
				vl = (size_t)snprintf(v, sizeof(v), "key\n%05d", i / 3);
				v[3] = '\0';
			} else {
				unsigned h = (unsigned)i * 2654435761u;
				vl = (size_t)snprintf(v, sizeof(v), "%08x%08x", h, h ^ 0x5bd1e995u);
			}
			CHECK_OK(fw_column_append(&c, kind, v, vl));
		}
		CHECK_OK(fw_column_encode(&c, &enc));
		int fl = enc_flags(&enc), want = strcmp(sh, "random") != 0;
		CHECK_MSG(fl >= 0 && !!(fl & 4) == want, "%s: flags %d", sh, fl);
		/* version 3 exactly when front-coded */
		CHECK_INT((uint8_t)enc.data[0], want ? 3 : 2);
		CHECK_MSG(same_column(&c, enc.data, enc.len), "%s", sh);
		if (want) {
			fw_column d;
			enc.data[0] = 2;	/* the flag in a version that has none */
			CHECK_INT(fw_column_decode(&d, "x", FW_TYPE_STR, enc.data, enc.len), FW_ECORRUPT);
			enc.data[0] = 4;	/* a version after this fw */
			CHECK_INT(fw_column_decode(&d, "x", FW_TYPE_STR, enc.data, enc.len), FW_ECORRUPT);
			CHECK_MSG(strstr(fw_error_last(), "newer") != NULL, "%s", fw_error_last());
			enc.data[0] = 3;
		}
		if (want)	/* at least a quarter of the payload saved */
			CHECK_MSG(enc.len < 5 + (size_t)N * 2 + c.off[N] * 3 / 4, "%s: %zu of %u bytes",
			    sh, enc.len, c.off[N]);
		/* every single byte changed: refused or read as other rows,
		 * never out of bounds (make asan) */
		for (size_t at = 0; at < enc.len; at += 1 + enc.len / 300) {
			fw_column d;
			enc.data[at] ^= 0x5a;
			if (fw_column_decode(&d, "x", FW_TYPE_STR, enc.data, enc.len) == 0) {
				CHECK(d.n <= (1u << 24) && d.off[d.n] <= (16u << 20));
				fw_column_release(&d);
			}
			enc.data[at] ^= 0x5a;
		}
		fw_column_release(&c);
		fw_buf_release(&enc);
	}

	/* by hand: version 3, str, 3 rows, SAME_KINDS | PREFIXED, kind string,
	 * lengths 3 3 2, prefixes 0 2 p, suffixes "abc" "d" and the rest */
	struct { uint8_t p2; const char *suf; int ok; const char *want; } hand[] = {
		{ 2, "", 1, "abcabdab" },
		{ 1, "x", 1, "abcabdax" },
		{ 3, "", 0, NULL },	/* longer than its row */
		{ 0, "xyz", 0, NULL },	/* more suffix bytes than the rows hold */
		{ 0, "x", 0, NULL },	/* fewer */
	};
	for (size_t k = 0; k < sizeof(hand) / sizeof(hand[0]); k++) {
		fw_buf b = FW_BUF_INIT;
		fw_column d;
		const uint8_t head[] = { 3, FW_TYPE_STR, 3, 1 | 4, FW_KIND_STRING, 3, 3, 2, 0, 2 };
		fw_buf_add(&b, head, sizeof(head));
		fw_buf_addc(&b, (char)hand[k].p2);
		fw_buf_add(&b, "abcd", 4);
		fw_buf_add(&b, hand[k].suf, strlen(hand[k].suf));
		int rc = fw_column_decode(&d, "x", FW_TYPE_STR, b.data, b.len);
		if (hand[k].ok) {
			CHECK_OK(rc);
			CHECK(rc == 0 && d.n == 3 && d.off[3] == 8 && memcmp(d.data, hand[k].want, 8) == 0);
			if (rc == 0)
				fw_column_release(&d);
		} else {
			CHECK_INT(rc, FW_ECORRUPT);
		}
		fw_buf_release(&b);
	}
	/* the first row shares nothing: a prefix there is refused */
	const uint8_t first[] = { 3, FW_TYPE_STR, 2, 1 | 2 | 4, FW_KIND_STRING, 1, 1, 0, 'b' };
	fw_column d;
	CHECK_INT(fw_column_decode(&d, "x", FW_TYPE_STR, first, sizeof(first)), FW_ECORRUPT);
	/* 17 rows of 1 MiB, each all the row before: 17 MiB from 40 bytes */
	fw_buf big = FW_BUF_INIT;
	const uint8_t bh[] = { 3, FW_TYPE_STR, 17, 1 | 2 | 4, FW_KIND_STRING, 0x80, 0x80, 0x40 };
	fw_buf_add(&big, bh, sizeof(bh));
	fw_buf_addc(&big, 0);
	for (int i = 1; i < 17; i++)
		fw_buf_add(&big, "\x80\x80\x40", 3);
	for (int i = 0; i < (1 << 20); i++)
		fw_buf_addc(&big, 'z');
	CHECK_INT(fw_column_decode(&d, "x", FW_TYPE_STR, big.data, big.len), FW_ECORRUPT);
	/* 16 of them are within the limit */
	big.data[2] = 16;
	big.len -= 3;
	memmove(big.data + 9 + 15 * 3, big.data + 9 + 16 * 3, 1 << 20);
	CHECK_OK(fw_column_decode(&d, "x", FW_TYPE_STR, big.data, big.len));
	CHECK(d.n == 16 && d.off[16] == (16u << 20) && d.data[(16u << 20) - 1] == 'z');
	fw_column_release(&d);
	fw_buf_release(&big);
}

/*
 * A column decoded from an object whose rows share one kind and length is
 * marked uniform, and its statistics, layout comparisons and encoding skip
 * the per-row scans: each gives what the same rows built by appending (not
 * marked) give, for one-digit and longer integers, numbers that are not
 * short integers, sums past 2^53, rows without payloads and strings.
 */
void
test_column_uniform(void)
{
	static const struct { fw_kind k; const char *fmt; int mod, add; } shapes[] = {
		{ FW_KIND_NUMBER, "%d", 10, 0 }, { FW_KIND_NUMBER, "%d", 5, 3 },
		{ FW_KIND_NUMBER, "%03d", 900, 100 },
		{ FW_KIND_NUMBER, "99999999999999%d", 10, 0 },	/* 15 digits: the sum passes 2^53 */
		{ FW_KIND_NUMBER, "-%d", 10, 0 }, { FW_KIND_NUMBER, "%d.5", 10, 0 },
		{ FW_KIND_NUMBER, "1e%d", 10, 0 }, { FW_KIND_NULL, NULL, 0, 0 },
		{ FW_KIND_MISSING, NULL, 0, 0 }, { FW_KIND_STRING, "id-%04d", 10000, 0 },
		{ FW_KIND_NUMBER, "9999999999999999%d", 10, 0 },	/* 17 digits */
	};
	enum { N = 3000 };

	for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
		fw_column built, dec, other;
		fw_colstats sb, sd;
		fw_buf enc = FW_BUF_INIT, enc2 = FW_BUF_INIT;
		char v[32];

		fw_column_init(&built, "x", FW_TYPE_JSON);
		for (int i = 0; i < N; i++) {
			int len = shapes[k].fmt ? snprintf(v, sizeof(v), shapes[k].fmt,
			    (i * 7919) % shapes[k].mod + shapes[k].add) : 0;
			CHECK_OK(fw_column_append(&built, shapes[k].k, v, (size_t)len));
		}
		CHECK(!built.uniform);
		CHECK_OK(fw_column_encode(&built, &enc));
		CHECK_OK(fw_column_decode(&dec, "x", FW_TYPE_JSON, enc.data, enc.len));
		CHECK_MSG(dec.uniform, "shape %zu", k);
		fw_column_stats(&built, &sb);
		fw_column_stats(&dec, &sd);
		CHECK_MSG(memcmp(&sb, &sd, sizeof(sb)) == 0, "shape %zu: count %llu/%llu nnum %llu/%llu "
		    "min %g/%g max %g/%g sum %.17g/%.17g", k, (unsigned long long)sb.count,
		    (unsigned long long)sd.count, (unsigned long long)sb.nnum,
		    (unsigned long long)sd.nnum, sb.min, sd.min, sb.max, sd.max, sb.sum, sd.sum);
		/* encoding from the mark: the same bytes */
		CHECK_OK(fw_column_encode(&dec, &enc2));
		CHECK(enc.len == enc2.len && memcmp(enc.data, enc2.data, enc.len) == 0);
		/* layouts: against itself built, and against another length */
		CHECK(fw_column_same_layout(&dec, &built, N));
		CHECK(fw_column_same_layout(&dec, &dec, N));
		fw_buf_reset(&enc2);
		fw_column_init(&other, "x", FW_TYPE_JSON);
		for (int i = 0; i < N; i++)
			CHECK_OK(fw_column_append(&other, shapes[k].k == FW_KIND_NULL ?
			    FW_KIND_MISSING : FW_KIND_NUMBER, "12345678", 8));
		CHECK_OK(fw_column_encode(&other, &enc2));
		fw_column_release(&other);
		CHECK_OK(fw_column_decode(&other, "x", FW_TYPE_JSON, enc2.data, enc2.len));
		CHECK(other.uniform && !fw_column_same_layout(&dec, &other, N));
		/* appending clears the mark */
		CHECK_OK(fw_column_append_rows(&other, &dec, 0, 1));
		CHECK(!other.uniform);
		fw_column_release(&other);
		fw_column_release(&built);
		fw_column_release(&dec);
		fw_buf_release(&enc);
		fw_buf_release(&enc2);
	}
}

/* Rows ra[0..m) of full, copied: what fw_column_decode_rows must give. */
static int
rows_match(const fw_column *full, const fw_column *got, const uint32_t *ra, uint32_t m)
{
	if (got->n != m)
		return 0;
	for (uint32_t k = 0; k < m; k++) {
		uint32_t r = ra[k], l = full->off[r + 1] - full->off[r];
		if (got->kind[k] != full->kind[r] || got->off[k + 1] - got->off[k] != l ||
		    memcmp(got->data + got->off[k], full->data + full->off[r], l) != 0)
			return 0;
	}
	return 1;
}

/*
 * fw_column_decode_rows gives the rows a whole decode gives, for each
 * encoding it reads in part (front-coded ids of one length up to 16 bytes,
 * walked to the last row asked, down to the last rows whose suffixes end
 * the object; one length not front-coded, read in place) and those it
 * decodes whole; a damaged object is refused exactly when the whole decode
 * refuses it.
 */
void
test_column_decode_rows(void)
{
	static const char *const shapes[] = { "seq", "seq16", "hex", "mixed", "long", "dup16" };
	enum { N = 2000 };

	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		const char *sh = shapes[s];
		fw_column c, full, got;
		fw_buf enc = FW_BUF_INIT;
		char v[64];

		fw_column_init(&c, "id", FW_TYPE_STR);
		for (int i = 0; i < N; i++) {
			fw_kind kind = FW_KIND_STRING;
			int len;
			unsigned h = (unsigned)i * 2654435761u;
			if (strcmp(sh, "seq") == 0)
				len = snprintf(v, sizeof(v), "r%07d", i);
			else if (strcmp(sh, "seq16") == 0)
				len = snprintf(v, sizeof(v), "trajectory-%05d", i);
			else if (strcmp(sh, "hex") == 0)
				len = snprintf(v, sizeof(v), "%08x%08x%04x", h, h ^ 0x9e3779b9u, i);
			else if (strcmp(sh, "mixed") == 0) {
				len = snprintf(v, sizeof(v), i % 3 ? "run-%d" : "run-%06d", i);
				kind = i % 17 == 0 ? FW_KIND_NULL : FW_KIND_STRING;
			} else if (strcmp(sh, "long") == 0)
				len = snprintf(v, sizeof(v), "/data/runs/2026-11-21/agent-%08d", i);
			else
				len = snprintf(v, sizeof(v), "sixteen-bytes-%02d", i / 50);
			CHECK_OK(fw_column_append(&c, kind, v, (size_t)len));
		}
		CHECK_OK(fw_column_encode(&c, &enc));
		CHECK_OK(fw_column_decode(&full, "id", FW_TYPE_STR, enc.data, enc.len));
		/* subsets: the first row, the last, the last few, a sparse
		 * spread, every row */
		uint32_t sets[5][N], ns[5] = { 1, 1, 5, 0, N };
		sets[0][0] = 0;
		sets[1][0] = N - 1;
		for (uint32_t k = 0; k < 5; k++)
			sets[2][k] = N - 5 + k;
		for (uint32_t r = 3; r < N; r += 97)
			sets[3][ns[3]++] = r;
		for (uint32_t r = 0; r < N; r++)
			sets[4][r] = r;
		for (int t = 0; t < 5; t++) {
			CHECK_OK(fw_column_decode_rows(&got, "id", FW_TYPE_STR, enc.data, enc.len, N,
			    sets[t], ns[t]));
			CHECK_MSG(rows_match(&full, &got, sets[t], ns[t]), "%s: set %d", sh, t);
			fw_column_release(&got);
		}
		/* a row count other than the object's, and rows out of order */
		CHECK_INT(fw_column_decode_rows(&got, "id", FW_TYPE_STR, enc.data, enc.len, N + 1,
		    sets[3], ns[3]), FW_ECORRUPT);
		uint32_t bad[2] = { 5, 5 };
		CHECK_INT(fw_column_decode_rows(&got, "id", FW_TYPE_STR, enc.data, enc.len, N,
		    bad, 2), FW_EINVALID);
		/* damage: refused exactly when the whole decode refuses */
		for (size_t at = 0; at < enc.len; at += 1 + enc.len / 200) {
			fw_column d;
			enc.data[at] ^= 0x21;
			int rw = fw_column_decode(&d, "id", FW_TYPE_STR, enc.data, enc.len);
			int rr = fw_column_decode_rows(&got, "id", FW_TYPE_STR, enc.data, enc.len, N,
			    sets[3], ns[3]);
			if (rw == 0 && d.n != N)
				rw = FW_ECORRUPT;	/* decode_rows is told N */
			CHECK_MSG((rw == 0) == (rr == 0), "%s: byte %zu: whole %d, rows %d", sh, at,
			    rw, rr);
			if (rw == 0 && rr == 0)
				CHECK_MSG(rows_match(&d, &got, sets[3], ns[3]), "%s: byte %zu", sh, at);
			if (rw == 0)
				fw_column_release(&d);
			if (rr == 0)
				fw_column_release(&got);
			enc.data[at] ^= 0x21;
		}
		fw_column_release(&c);
		fw_column_release(&full);
		fw_buf_release(&enc);
	}
}

/* The statistics' sum is the sum of the numbers added in row order as
 * doubles, whatever mix of short integers (summed as integers while that is
 * exact), long integers, decimals and negatives the column holds, and the
 * same for a column whose numbers were parsed (fw_column_numbers). */
void
test_column_stats_sum_order(void)
{
	static const char *const mixes[][6] = {
		{ "3", "0", "17", "9", "4", NULL },
		{ "900000000000000", "900000000000000", "7", NULL },	/* past 2^53 */
		{ "5", "0.1", "2", "0.2", NULL },
		{ "1", "-3", "2", NULL },
		{ "123456789012345678", "1", "3", NULL },		/* 18 digits */
		{ "1e3", "2", "0.30000000000000004", "7", NULL },
	};

	for (size_t m = 0; m < sizeof(mixes) / sizeof(mixes[0]); m++) {
		fw_column c;
		fw_colstats st, st2;
		double want = 0, lo = 0, hi = 0;
		size_t n = 0;

		fw_column_init(&c, "n", FW_TYPE_F64);
		for (int rep = 0; rep < 50; rep++)
			for (size_t i = 0; mixes[m][i]; i++) {
				const char *t = mixes[m][i];
				double v = strtod(t, NULL);
				CHECK_OK(fw_column_append(&c, FW_KIND_NUMBER, t, strlen(t)));
				if (rep == 0 && i == 0)
					lo = hi = v;
				lo = v < lo ? v : lo;
				hi = v > hi ? v : hi;
				want += v;
				n++;
			}
		CHECK_OK(fw_column_append(&c, FW_KIND_NULL, NULL, 0));
		fw_column_stats(&c, &st);
		CHECK_MSG(st.sum == want, "mix %zu: sum %.17g, in order %.17g", m, st.sum, want);
		CHECK(st.min == lo && st.max == hi);
		CHECK_INT(st.nnum, n);
		CHECK_INT(st.nulls, 1);
		CHECK_OK(fw_column_numbers(&c));
		fw_column_stats(&c, &st2);
		CHECK(st2.sum == st.sum && st2.min == st.min && st2.max == st.max);
		fw_column_release(&c);
	}
}

/* fw_column_next_diff finds exactly the rows fw_column_row_eq says differ,
 * with and without the same layout, at every place of 8-byte words, and
 * with a column missing on one side. */
void
test_column_next_diff(void)
{
	unsigned rng = 7;
	char pay[64];

	for (int round = 0; round < 400; round++) {
		fw_column x, y;
		uint32_t n = (uint32_t)(round % 97);
		int same_shape = round % 3 != 0;

		fw_column_init(&x, "a", FW_TYPE_JSON);
		fw_column_init(&y, "a", FW_TYPE_JSON);
		for (uint32_t r = 0; r < n; r++) {
			rng = rng * 1103515245u + 12345u;
			unsigned v = rng >> 8;
			fw_kind k = v % 5 == 0 ? FW_KIND_MISSING : v % 7 == 0 ? FW_KIND_NULL :
			    FW_KIND_NUMBER;
			size_t len = k == FW_KIND_NUMBER ? 1 + (round % 2 ? v % 3 : v % 23) : 0;
			for (size_t i = 0; i < len; i++)
				pay[i] = (char)('0' + (v >> (i % 8)) % 10);
			CHECK_OK(fw_column_append(&x, k, pay, len));
			if (v % 11 == 0 && len) {	/* one byte changed */
				pay[(v >> 4) % len] ^= 1;
			} else if (!same_shape && v % 13 == 0) {	/* another kind */
				k = k == FW_KIND_NULL ? FW_KIND_MISSING : FW_KIND_NULL;
				len = 0;
			} else if (!same_shape && v % 17 == 0 && len) {	/* another length */
				len--;
			}
			CHECK_OK(fw_column_append(&y, k, pay, len));
		}
		int lay = fw_column_same_layout(&x, &y, n);
		if (same_shape)
			CHECK(lay);
		uint32_t want = 0, got = fw_column_next_diff(&x, &y, 0, n, lay);
		for (;;) {
			while (want < n && fw_column_row_eq(&x, &y, want))
				want++;
			CHECK_MSG(got == want, "round %d: next difference at %u, want %u", round, got,
			    want);
			if (got != want || want >= n)
				break;
			want++;
			got = fw_column_next_diff(&x, &y, got + 1, n, lay);
		}
		/* a column the other side does not have: its non-MISSING rows */
		uint32_t r = fw_column_next_diff(&x, NULL, 0, n, 0);
		for (uint32_t i = 0; i < n; i++)
			if (x.kind[i] != FW_KIND_MISSING) {
				CHECK_INT(r, i);
				r = fw_column_next_diff(&x, NULL, i + 1, n, 0);
			}
		CHECK_INT(r, n);
		fw_column_release(&x);
		fw_column_release(&y);
	}
}
