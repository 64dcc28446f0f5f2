/*
 * Normalizers and pre-tokenizers, with the semantics of Hugging Face
 * tokenizers: Split (a regex or a literal, a delimiter behaviour, invert) and
 * ByteLevel (add_prefix_space, the GPT-2 regex when use_regex). Regexes run
 * with PCRE2 (UTF + UCP, JIT when the platform has it); each pre-token is its
 * own subject, so a lookahead never sees past the pre-token, as in the
 * reference. Normalization is utf8proc's.
 */
#include "tokenizer_impl.h"
#include "fw/error.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the
 * other 68 bytes for U+0100.. in byte order. */
static int
printable(unsigned b)
{
	return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
}

uint32_t
tok_byte_cp(unsigned b)
{
	if (printable(b))
		return b;
	if (b <= 32)
		return 256 + b;
	if (b >= 127 && b <= 160)
		return 256 + 33 + (b - 127);
	return 256 + 67;	/* 173 */
}

int
tok_cp_to_byte(uint32_t cp)
{
	if (cp < 256)
		return printable(cp) ? (int)cp : -1;
	if (cp < 256 + 33)
		return (int)(cp - 256);
	if (cp < 256 + 67)
		return (int)(127 + cp - 256 - 33);
	if (cp == 256 + 67)
		return 173;
	return -1;
}

int
tok_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (s[0] < 0x80 || n < 2) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		*cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
		return 2;
	}
	if ((s[0] & 0xf0) == 0xe0 && n >= 3) {
		*cp = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 |
		    (s[2] & 0x3f);
		return 3;
	}
	if (n >= 4) {
		*cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		    (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
		return 4;
	}
	*cp = s[0];
	return 1;
}

static int
all_ascii(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	uint64_t w, acc = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, u + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		acc |= u[i];
	return (acc & 0x8080808080808080ull) == 0;
}

/*
 * 1 when NFC leaves s[0..n) as it is because every character is in a range
 * that NFC never changes alone (no singleton decompositions) and that never
 * combines with a neighbour (no combining marks, no conjoining jamo, no kana
 * voicing marks): below U+0300, kana without U+3099/U+309A, the CJK Unified
 * Ideographs, Hangul syllables, common punctuation, emoji. A quick check that
 * utf8proc does not offer; anything else takes the full normalization.
 */
static int
nfc_stable(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		i += (size_t)tok_utf8_decode(u + i, n - i, &cp);
		if (cp < 0x300 || (cp >= 0x3040 && cp < 0x3099) ||
		    (cp >= 0x309b && cp <= 0x30ff) || (cp >= 0x4e00 && cp <= 0x9fff) ||
		    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0x2010 && cp <= 0x2027) ||
		    (cp >= 0x1f300 && cp <= 0x1faff))
			continue;
		return 0;
	}
	return 1;
}

int
tok_normalize(const fw_tokenizer *tok, const char *s, size_t n, fw_buf *out)
{
	fw_buf tmp = FW_BUF_INIT;
	int rc = 0;

	/* ASCII text is its own NFC, NFD, NFKC and NFKD */
	if (tok->nnorm == 0 || all_ascii(s, n))
		return fw_buf_add(out, s, n);
	if (tok->nnorm == 1 && tok->norm[0] == NORM_NFC && nfc_stable(s, n))
		return fw_buf_add(out, s, n);
	if ((rc = fw_buf_add(&tmp, s, n)) < 0)
		return rc;
	for (int i = 0; i < tok->nnorm; i++) {
		utf8proc_option_t opt = UTF8PROC_STABLE;
		utf8proc_uint8_t *dst = NULL;
		switch (tok->norm[i]) {
		case NORM_NFC: opt |= UTF8PROC_COMPOSE; break;
		case NORM_NFD: opt |= UTF8PROC_DECOMPOSE; break;
		case NORM_NFKC: opt |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
		case NORM_NFKD: opt |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
		}
		if (tmp.len == 0)
			break;
		utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)tmp.data,
		    (utf8proc_ssize_t)tmp.len, &dst, opt);
		if (m < 0) {
			rc = fw_error_set(m == UTF8PROC_ERROR_NOMEM ? FW_ENOMEM :
			    FW_EINVALID, "cannot normalize text: %s", utf8proc_errmsg(m));
			goto done;
		}
		fw_buf_reset(&tmp);
		rc = fw_buf_add(&tmp, dst, (size_t)m);
		free(dst);
		if (rc < 0)
			goto done;
	}
	rc = fw_buf_add(out, tmp.data, tmp.len);
done:
	fw_buf_release(&tmp);
	return rc;
}

int
tok_pieces_push(struct tok_pieces *p, uint32_t off, uint32_t len, uint32_t prefix)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct tok_piece *v = realloc(p->v, cap * sizeof(*v));
		if (v == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n].off = off;
	p->v[p->n].len = len;
	p->v[p->n].prefix = prefix;
	p->n++;
	return 0;
}

/* The matches of re in subj[0..n) as ranges (prefix field: 1 for a match),
 * gaps included, appended to r. Offsets are relative to subj. */
static int
find_matches(fw_tokenizer *tok, const struct tok_pre *pre, pcre2_code *re,
    int jit, const char *subj, size_t n, struct tok_pieces *r)
{
	size_t start = 0, prev = 0;
	int rc;

	while (start <= n) {
		size_t ms, me;
		if (re) {
			/* the text is valid UTF-8 (checked once, in encode) */
			int m = jit ? pcre2_jit_match(re, (PCRE2_SPTR)subj, n, start, 0,
			    tok->md, NULL) : pcre2_match(re, (PCRE2_SPTR)subj, n, start,
			    PCRE2_NO_UTF_CHECK, tok->md, NULL);
			if (m == PCRE2_ERROR_NOMATCH)
				break;
			if (m < 0) {
				PCRE2_UCHAR msg[128];
				pcre2_get_error_message(m, msg, sizeof(msg));
				return fw_error_set(FW_EINVALID, "%s: regex failed: %s",
				    tok->name, (char *)msg);
			}
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(tok->md);
			ms = ov[0];
			me = ov[1];
		} else {
			const char *hit = pre->literal_len == 0 ? NULL :
			    memmem(subj + start, n - start, pre->literal, pre->literal_len);
			if (hit == NULL)
				break;
			ms = (size_t)(hit - subj);
			me = ms + pre->literal_len;
		}
		if (me == ms) {
			/* an empty match makes an empty piece, which is dropped */
			if (ms >= n)
				break;
			start = ms + 1;
			while (start < n && ((unsigned char)subj[start] & 0xc0) == 0x80)
				start++;
			continue;
		}
		if (ms > prev && (rc = tok_pieces_push(r, (uint32_t)prev,
		    (uint32_t)(ms - prev), 0)) < 0)
			return rc;
		if ((rc = tok_pieces_push(r, (uint32_t)ms, (uint32_t)(me - ms), 1)) < 0)
			return rc;
		prev = start = me;
	}
	if (prev < n && (rc = tok_pieces_push(r, (uint32_t)prev, (uint32_t)(n - prev), 0)) < 0)
		return rc;
	return 0;
}

/* Applies a Split's behaviour to ranges r (relative to the piece at base),
 * appending pieces to out. */
static int
apply_behavior(const struct tok_pre *pre, struct tok_pieces *r, uint32_t base,
    struct tok_pieces *out)
{
	size_t first = out->n;
	int prev = 0, rc;

	for (size_t i = 0; i < r->n; i++) {
		const struct tok_piece *x = &r->v[i];
		int delim = (int)x->prefix ^ pre->invert;
		switch (pre->behavior) {
		case SPLIT_REMOVED:
			if (delim)
				continue;
			break;
		case SPLIT_ISOLATED:
			break;
		case SPLIT_MERGED_PREV:
			if (delim && !prev && out->n > first) {
				out->v[out->n - 1].len = x->off + x->len + base -
				    out->v[out->n - 1].off;
				prev = delim;
				continue;
			}
			break;
		case SPLIT_CONTIGUOUS:
			if (delim == prev && out->n > first) {
				out->v[out->n - 1].len = x->off + x->len + base -
				    out->v[out->n - 1].off;
				continue;
			}
			break;
		case SPLIT_MERGED_NEXT:
			break;	/* done below, from the right */
		}
		prev = delim;
		if ((rc = tok_pieces_push(out, base + x->off, x->len, 0)) < 0)
			return rc;
	}
	if (pre->behavior == SPLIT_MERGED_NEXT) {
		/* a delimiter joins the piece after it: walk from the right */
		size_t n = out->n - first, w = out->n;
		struct tok_piece *v = out->v + first;
		prev = 0;
		for (size_t i = r->n; i-- > 0;) {
			const struct tok_piece *x = &r->v[i];
			int delim = (int)x->prefix ^ pre->invert;
			(void)n;
			if (delim && !prev && w < out->n) {
				uint32_t end = out->v[w].off + out->v[w].len;
				out->v[w].off = base + x->off;
				out->v[w].len = end - out->v[w].off;
			} else {
				out->v[--w].off = base + x->off;
				out->v[w].len = x->len;
			}
			prev = delim;
		}
		/* the pieces sit at the end; move them to the front */
		memmove(v, out->v + w, (out->n - w) * sizeof(*v));
		out->n = first + (out->n - w);
	}
	return 0;
}

static int
run_split(fw_tokenizer *tok, const struct tok_pre *pre, const char *s,
    const struct tok_piece *p, struct tok_pieces *out)
{
	struct tok_pieces *r = &tok->ranges;
	int rc;

	r->n = 0;
	if ((rc = find_matches(tok, pre, pre->re, pre->jit, s + p->off, p->len, r)) < 0)
		return rc;
	return apply_behavior(pre, r, p->off, out);
}

static int
run_bytelevel(fw_tokenizer *tok, const struct tok_pre *pre, const char *s,
    const struct tok_piece *p, struct tok_pieces *out)
{
	struct tok_pieces *r = &tok->ranges;
	const char *subj = s + p->off;
	size_t n = p->len;
	int prefix = p->prefix, rc;

	if (pre->add_prefix_space && !prefix && (n == 0 || subj[0] != ' '))
		prefix = 1;
	if (!pre->use_regex)
		return tok_pieces_push(out, p->off, p->len, (uint32_t)prefix);
	if (prefix) {
		fw_buf_reset(&tok->prefix_buf);
		if ((rc = fw_buf_addc(&tok->prefix_buf, ' ')) < 0 ||
		    (rc = fw_buf_add(&tok->prefix_buf, subj, n)) < 0)
			return rc;
		subj = tok->prefix_buf.data;
		n++;
	}
	r->n = 0;
	if ((rc = find_matches(tok, pre, tok->gpt2_re, tok->gpt2_jit, subj, n, r)) < 0)
		return rc;
	for (size_t i = 0; i < r->n; i++) {
		uint32_t off = r->v[i].off, len = r->v[i].len;
		if (prefix && off == 0)
			rc = tok_pieces_push(out, p->off, len - 1, 1);
		else
			rc = tok_pieces_push(out, p->off + off - (uint32_t)prefix, len, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
tok_pretokenize(fw_tokenizer *tok, const char *s, size_t n, struct tok_pieces *out)
{
	int rc;

	out->n = 0;
	if (n == 0)
		return 0;
	if (n > UINT32_MAX - 1)
		return fw_error_set(FW_EINVALID, "text too long (%zu bytes)", n);
	if ((rc = tok_pieces_push(out, 0, (uint32_t)n, 0)) < 0)
		return rc;
	for (int k = 0; k < tok->npre; k++) {
		const struct tok_pre *pre = &tok->pre[k];
		struct tok_pieces *next = &tok->pieces2, swap;
		next->n = 0;
		for (size_t i = 0; i < out->n; i++) {
			const struct tok_piece *p = &out->v[i];
			rc = pre->kind == PRE_SPLIT ? run_split(tok, pre, s, p, next) :
			    run_bytelevel(tok, pre, s, p, next);
			if (rc < 0)
				return rc;
		}
		swap = *out;
		*out = *next;
		*next = swap;
	}
	return 0;
}
