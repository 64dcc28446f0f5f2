/*
 * Encoding: added tokens are cut out first (those not "normalized" in the raw
 * text, the others after normalization, as the reference does), then each
 * remaining chunk is normalized, pre-tokenized and run through BPE.
 *
 * Every encode goes through regions: runs of text with flags (FW_SPAN_*). A
 * special added token is matched only inside one CONTROL region, and a token
 * is trained when it overlaps a TRAIN region. A plain encode is one region.
 */
#include "tokenizer_impl.h"
#include "fw/error.h"
#include "fw/json.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

struct region {
	size_t start;
	unsigned flags;
};

struct regions {
	struct region *v;
	size_t n, cap;
};

struct enc {
	fw_tokenizer *tok;
	fw_ids *ids;
	fw_buf *mask;		/* NULL: no mask wanted */
	fw_ids ends;		/* token end offsets from tok_bpe */
	struct regions parts;	/* regions of the normalized chunk */
};

static int
regions_push(struct regions *r, size_t start, unsigned flags)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct region *v = realloc(r->v, cap * sizeof(*v));
		if (v == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n].start = start;
	r->v[r->n].flags = flags;
	r->n++;
	return 0;
}

/* The index of the region holding offset at. */
static size_t
region_at(const struct region *r, size_t n, size_t at)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (r[mid].start <= at)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* 1 when [a, b) overlaps a region with TRAIN. */
static int
trained(const struct region *r, size_t n, size_t a, size_t b)
{
	size_t first = region_at(r, n, a);

	for (size_t i = first; i < n && (i == first || r[i].start < b); i++)
		if (r[i].flags & FW_SPAN_TRAIN)
			return 1;
	return 0;
}

static int
is_space(const char *s, size_t n, size_t at, int back, size_t *len)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;

	if (back) {
		if (at == 0)
			return 0;
		size_t k = at - 1;
		while (k > 0 && (u[k] & 0xc0) == 0x80)
			k--;
		tok_utf8_decode(u + k, n - k, &cp);
		*len = at - k;
	} else {
		if (at >= n)
			return 0;
		*len = (size_t)tok_utf8_decode(u + at, n - at, &cp);
	}
	const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
	return cp == ' ' || (cp >= 9 && cp <= 13) || cp == 0x85 ||
	    p->category == UTF8PROC_CATEGORY_ZS || p->category == UTF8PROC_CATEGORY_ZL ||
	    p->category == UTF8PROC_CATEGORY_ZP;
}

static int
is_word(const char *s, size_t n, size_t at, int back)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;

	if (back) {
		if (at == 0)
			return 0;
		size_t k = at - 1;
		while (k > 0 && (u[k] & 0xc0) == 0x80)
			k--;
		tok_utf8_decode(u + k, n - k, &cp);
	} else {
		if (at >= n)
			return 0;
		tok_utf8_decode(u + at, n - at, &cp);
	}
	if (cp == '_')
		return 1;
	int c = utf8proc_get_property((utf8proc_int32_t)cp)->category;
	return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
	    (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO) ||
	    (c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME);
}

/* Finds the leftmost-longest added token (of the given normalized kind) in
 * s[from..n); 1 with [*ms, *me) (lstrip/rstrip spaces included) and *id. */
static int
find_added(const fw_tokenizer *tok, const char *s, size_t from, size_t n,
    const struct region *reg, size_t nreg, int normalized, size_t *ms,
    size_t *me, uint32_t *id)
{
	for (size_t i = from; i < n; i++) {
		if (!tok->added_first[(unsigned char)s[i]])
			continue;
		for (size_t k = 0; k < tok->nadded; k++) {
			const struct tok_added *a = &tok->added[k];
			size_t sp;
			if (a->normalized != (unsigned)normalized || a->len > n - i ||
			    a->content[0] != s[i] || memcmp(a->content, s + i, a->len) != 0)
				continue;
			if (a->special) {
				size_t r = region_at(reg, nreg, i);
				size_t end = r + 1 < nreg ? reg[r + 1].start : n;
				if (!(reg[r].flags & FW_SPAN_CONTROL) || i + a->len > end)
					continue;
			}
			if (a->single_word && (is_word(s, n, i, 1) ||
			    is_word(s, n, i + a->len, 0)))
				continue;
			*ms = i;
			*me = i + a->len;
			while (a->lstrip && *ms > from && is_space(s, n, *ms, 1, &sp))
				*ms -= sp;
			while (a->rstrip && is_space(s, n, *me, 0, &sp))
				*me += sp;
			*id = a->id;
			return 1;
		}
	}
	return 0;
}

static int
push_token(struct enc *e, uint32_t id, int train)
{
	int rc;

	if ((rc = fw_ids_push(e->ids, id)) < 0)
		return rc;
	if (e->mask && (rc = fw_buf_addc(e->mask, (char)train)) < 0)
		return rc;
	return 0;
}

/* Pre-tokenizes and encodes s[a..b) of the normalized chunk. */
static int
encode_plain(struct enc *e, const char *s, size_t a, size_t b)
{
	fw_tokenizer *tok = e->tok;
	struct tok_pieces *pieces = &tok->pieces;
	int rc;

	if (b == a)
		return 0;
	if ((rc = tok_pretokenize(tok, s + a, b - a, pieces)) < 0)
		return rc;
	for (size_t i = 0; i < pieces->n; i++) {
		const struct tok_piece *p = &pieces->v[i];
		size_t first = e->ids->n;
		e->ends.n = 0;
		if ((rc = tok_bpe(tok, s + a + p->off, p->len, (int)p->prefix, e->ids,
		    e->mask ? &e->ends : NULL)) < 0)
			return rc;
		if (e->mask == NULL)
			continue;
		size_t start = a + p->off;
		for (size_t k = first; k < e->ids->n; k++) {
			size_t end = a + p->off + e->ends.v[k - first] - p->prefix;
			if (end < start)
				end = start;
			int t = trained(e->parts.v, e->parts.n, start,
			    end > start ? end : start + 1);
			if ((rc = fw_buf_addc(e->mask, (char)t)) < 0)
				return rc;
			start = end;
		}
	}
	return 0;
}

/* Normalizes raw[a..b) region by region, then cuts out normalized added
 * tokens and encodes the rest. */
static int
encode_chunk(struct enc *e, const char *raw, size_t a, size_t b,
    const struct region *reg, size_t nreg)
{
	fw_tokenizer *tok = e->tok;
	fw_buf *nb = &tok->norm_buf;
	size_t pos = 0, ms, me;
	uint32_t id;
	int rc;

	if (b == a)
		return 0;
	fw_buf_reset(nb);
	e->parts.n = 0;
	for (size_t r = region_at(reg, nreg, a); r < nreg && reg[r].start < b; r++) {
		size_t x = reg[r].start > a ? reg[r].start : a;
		size_t y = r + 1 < nreg && reg[r + 1].start < b ? reg[r + 1].start : b;
		if (y <= x)
			continue;
		if ((rc = regions_push(&e->parts, nb->len, reg[r].flags)) < 0 ||
		    (rc = tok_normalize(tok, raw + x, y - x, nb)) < 0)
			return rc;
	}
	const char *s = nb->data;
	size_t n = nb->len;
	while (find_added(tok, s, pos, n, e->parts.v, e->parts.n, 1, &ms, &me, &id)) {
		if ((rc = encode_plain(e, s, pos, ms)) < 0 ||
		    (rc = push_token(e, id, e->mask &&
		    trained(e->parts.v, e->parts.n, ms, me))) < 0)
			return rc;
		pos = me;
	}
	return encode_plain(e, s, pos, n);
}

/* Offset of the first invalid UTF-8 sequence in s[0..n), or n. */
static size_t
utf8_check(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		size_t k = (s[i] & 0xe0) == 0xc0 ? 2 : (s[i] & 0xf0) == 0xe0 ? 3 :
		    (s[i] & 0xf8) == 0xf0 ? 4 : 0;
		if (k == 0 || k > n - i || !fw_utf8_valid(str + i, k))
			return i;
		i += k;
	}
	return n;
}

static int
encode_regions(fw_tokenizer *tok, const char *s, size_t n,
    const struct region *reg, size_t nreg, fw_ids *ids, fw_buf *mask)
{
	struct enc e = { tok, ids, mask, FW_IDS_INIT, { NULL, 0, 0 } };
	size_t pos = 0, ms, me, bad;
	uint32_t id;
	int rc;

	if ((bad = utf8_check(s, n)) < n)
		return fw_error_set(FW_EINVALID, "invalid UTF-8 at byte %zu", bad);
	while (find_added(tok, s, pos, n, reg, nreg, 0, &ms, &me, &id)) {
		if ((rc = encode_chunk(&e, s, pos, ms, reg, nreg)) < 0 ||
		    (rc = push_token(&e, id, mask && trained(reg, nreg, ms, me))) < 0)
			goto done;
		pos = me;
	}
	rc = encode_chunk(&e, s, pos, n, reg, nreg);
done:
	fw_ids_release(&e.ends);
	free(e.parts.v);
	return rc;
}

int
fw_tokenizer_encode(fw_tokenizer *tok, const char *text, size_t len,
    unsigned flags, fw_ids *ids)
{
	struct region r = { 0, (flags & FW_TOK_SPECIAL) ? FW_SPAN_CONTROL : 0 };

	return encode_regions(tok, text, len, &r, 1, ids, NULL);
}

int
fw_tokenizer_encode_spans(fw_tokenizer *tok, const char *text, size_t len,
    const fw_span *spans, size_t nspans, fw_ids *ids, fw_buf *mask)
{
	struct region *r = NULL;
	size_t at = 0, k = 0;
	int rc;

	if ((r = calloc(nspans + 1, sizeof(*r))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	for (size_t i = 0; i < nspans; i++) {
		if (spans[i].off != at) {
			rc = fw_error_set(FW_EINVALID, "spans do not cover the text at "
			    "byte %zu", at);
			goto done;
		}
		at += spans[i].len;
		if (spans[i].len == 0)
			continue;
		r[k].start = spans[i].off;
		r[k++].flags = spans[i].flags;
	}
	if (at != len) {
		rc = fw_error_set(FW_EINVALID, "spans do not cover the text at byte %zu",
		    at);
		goto done;
	}
	if (k == 0)
		r[k++].flags = 0;
	rc = encode_regions(tok, text, len, r, k, ids, mask);
done:
	free(r);
	return rc;
}

int
fw_tokenizer_normalize(const fw_tokenizer *tok, const char *text, size_t len,
    fw_buf *out)
{
	size_t bad = utf8_check(text, len);

	if (bad < len)
		return fw_error_set(FW_EINVALID, "invalid UTF-8 at byte %zu", bad);
	return tok_normalize(tok, text, len, out);
}
