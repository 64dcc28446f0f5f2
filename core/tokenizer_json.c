/*
 * Reading tokenizer.json. The vocabulary and the merges (about 300,000
 * strings in a 10 MB file) are scanned here by hand straight into the tables:
 * json-c alone takes over 200 ms and builds an object per string only to throw
 * them away. The small remaining parts (normalizer, pre_tokenizer, decoder,
 * added_tokens) are cut out of the text and parsed by fw_json_parse, then
 * interpreted by tok_configure (tokenizer.c).
 */
#include "tokenizer_impl.h"
#include "fw/error.h"
#include "fw/json.h"
#include "json_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ids above this are refused: real vocabularies stay below 300,000, and the
 * id -> bytes table is sized by the largest id. */
#define TOK_MAX_ID (1u << 22)
#define JP_MAX_DEPTH 128

struct jp {
	const char *s, *p, *end;
	const char *name;
};

struct extent {
	const char *p;
	size_t n;
};

static int
jp_err(struct jp *j, const char *what)
{
	return fw_error_set(FW_EINVALID, "%s: invalid JSON at byte %zu: %s",
	    j->name, (size_t)(j->p - j->s), what);
}

static void
jp_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' ||
	    *j->p == '\t'))
		j->p++;
}

static int
jp_expect(struct jp *j, char c)
{
	jp_ws(j);
	if (j->p >= j->end || *j->p != c) {
		char what[32];
		snprintf(what, sizeof(what), "expected '%c'", c);
		return jp_err(j, what);
	}
	j->p++;
	return 0;
}

/* Reads a string; its UTF-8 goes to out (reset first) unless out is NULL.
 * The strict scanner of core/json.c checks it, fw_json_unescape decodes it. */
static int
jp_string(struct jp *j, fw_buf *out)
{
	struct scan c;
	size_t st;

	jp_ws(j);
	if (j->p >= j->end || *j->p != '"')
		return jp_err(j, "expected a string");
	memset(&c, 0, sizeof(c));
	c.s = j->p;
	c.len = (size_t)(j->end - j->p);
	st = c.i;
	if (fw_scan_string(&c) < 0) {
		j->p += c.i;
		return jp_err(j, c.err);
	}
	if (!fw_utf8_valid(j->p + st + 1, c.i - st - 2))
		return jp_err(j, "invalid UTF-8 in a string");
	if (out) {
		fw_buf_reset(out);
		if (fw_buf_add(out, "", 0) < 0 ||
		    fw_json_unescape(out, j->p + st + 1, c.i - st - 2) < 0)
			return FW_ENOMEM;
	}
	j->p += c.i;
	return 0;
}

static int
jp_skip(struct jp *j, int depth)
{
	int rc;

	if (depth > JP_MAX_DEPTH)
		return jp_err(j, "nesting too deep");
	jp_ws(j);
	if (j->p >= j->end)
		return jp_err(j, "unexpected end");
	switch (*j->p) {
	case '"':
		return jp_string(j, NULL);
	case '{':
	case '[': {
		char close = *j->p == '{' ? '}' : ']';
		int obj = *j->p == '{';
		j->p++;
		jp_ws(j);
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		for (;;) {
			if (obj) {
				if ((rc = jp_string(j, NULL)) < 0 ||
				    (rc = jp_expect(j, ':')) < 0)
					return rc;
			}
			if ((rc = jp_skip(j, depth + 1)) < 0)
				return rc;
			jp_ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			return jp_expect(j, close);
		}
	}
	default: {
		/* a number or literal; fw_json_parse checks it when it matters */
		const char *st = j->p;
		while (j->p < j->end && (strchr("+-.eE", *j->p) ||
		    (*j->p >= '0' && *j->p <= '9') || (*j->p >= 'a' && *j->p <= 'z')))
			j->p++;
		if (j->p == st)
			return jp_err(j, "unexpected character");
		return 0;
	}
	}
}

static int
jp_extent(struct jp *j, struct extent *e)
{
	int rc;

	jp_ws(j);
	e->p = j->p;
	if ((rc = jp_skip(j, 0)) < 0)
		return rc;
	e->n = (size_t)(j->p - e->p);
	return 0;
}

/* Iterates an object's keys: call with *first = 1; returns 1 with the key in
 * key when there is one more, 0 at the closing brace. */
static int
jp_next_key(struct jp *j, int *first, fw_buf *key)
{
	int rc;

	jp_ws(j);
	if (*first) {
		if ((rc = jp_expect(j, '{')) < 0)
			return rc;
		jp_ws(j);
		*first = 0;
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return 0;
		}
	} else {
		if (j->p < j->end && *j->p == '}') {
			j->p++;
			return 0;
		}
		if ((rc = jp_expect(j, ',')) < 0)
			return rc;
	}
	if ((rc = jp_string(j, key)) < 0 || (rc = jp_expect(j, ':')) < 0)
		return rc;
	return 1;
}

/* Byte-level strings back to bytes; 0 when a character is outside the
 * alphabet (the string then cannot come out of byte-level BPE). */
static int
unmap_bytes(const char *s, size_t n, fw_buf *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	unsigned char *w;

	fw_buf_reset(out);
	if (fw_buf_grow(out, n) < 0)
		return FW_ENOMEM;
	w = (unsigned char *)out->data;
	while (p < end) {
		if (*p >= 33 && *p <= 126) {	/* printable ASCII stands for itself */
			*w++ = *p++;
			continue;
		}
		uint32_t cp;
		int k = tok_utf8_decode(p, (size_t)(end - p), &cp);
		int b = tok_cp_to_byte(cp);
		if (b < 0)
			return 0;
		*w++ = (unsigned char)b;
		p += k;
	}
	out->len = (size_t)(w - (unsigned char *)out->data);
	out->data[out->len] = 0;
	return 1;
}

int
tok_entries_reserve(fw_tokenizer *tok, uint32_t id)
{
	if (id >= tok->entries_cap) {
		/* doubling: ids mostly arrive in order, one more each time */
		uint32_t cap = tok->entries_cap ? tok->entries_cap : 1024;
		while (cap <= id)
			cap *= 2;
		struct tok_entry *e = realloc(tok->entries, sizeof(*e) * cap);
		if (e == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		memset(e + tok->entries_cap, 0, sizeof(*e) * (cap - tok->entries_cap));
		tok->entries = e;
		tok->entries_cap = cap;
	}
	if (id >= tok->nentries)
		tok->nentries = id + 1;
	return 0;
}

static int
set_entry(fw_tokenizer *tok, uint32_t id, const char *s, size_t n)
{
	int rc;

	if ((rc = tok_entries_reserve(tok, id)) < 0)
		return rc;
	tok->entries[id].off = (uint32_t)tok->arena.len;
	tok->entries[id].len = (uint32_t)n;
	tok->entries[id].flags = ENTRY_PRESENT;
	return fw_buf_add(&tok->arena, s, n);
}

static int
jp_id(struct jp *j, uint32_t *id)
{
	uint64_t v = 0;
	const char *st;

	jp_ws(j);
	st = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9' && v <= TOK_MAX_ID)
		v = v * 10 + (uint64_t)(*j->p++ - '0');
	if (j->p == st || (j->p - st > 1 && *st == '0'))
		return jp_err(j, "expected a token id");
	if (v >= TOK_MAX_ID)
		return jp_err(j, "token id too large");
	*id = (uint32_t)v;
	return 0;
}

static int
load_vocab(fw_tokenizer *tok, struct jp *j)
{
	fw_buf key = FW_BUF_INIT, raw = FW_BUF_INIT;
	fw_ids mapped = FW_IDS_INIT;	/* id, off, len of each byte string */
	int first = 1, rc, more;

	while ((more = jp_next_key(j, &first, &key)) == 1) {
		uint32_t id = 0, off = (uint32_t)tok->arena.len;
		if ((rc = jp_id(j, &id)) < 0)
			goto done;
		if ((rc = unmap_bytes(key.data, key.len, &raw)) < 0)
			goto done;
		if (rc == 1) {
			if ((rc = set_entry(tok, id, raw.data, raw.len)) < 0 ||
			    (rc = fw_ids_push(&mapped, id)) < 0 ||
			    (rc = fw_ids_push(&mapped, off)) < 0 ||
			    (rc = fw_ids_push(&mapped, (uint32_t)raw.len)) < 0)
				goto done;
		} else {
			/* decodes to its own UTF-8, as the reference does */
			if ((rc = set_entry(tok, id, key.data, key.len)) < 0)
				goto done;
		}
	}
	if ((rc = more) < 0)
		goto done;
	/* the map is filled once the arena has stopped moving */
	if ((rc = tok_vmap_init(tok, mapped.n / 3)) < 0)
		goto done;
	for (size_t i = 0; i < mapped.n; i += 3)
		tok_vmap_put(tok, mapped.v[i + 1], mapped.v[i + 2], mapped.v[i]);
	for (int b = 0; b < 256; b++) {
		char c = (char)b;
		tok->byte_id[b] = tok_vmap_get(tok, &c, 1);
	}
	rc = 0;
done:
	fw_buf_release(&key);
	fw_buf_release(&raw);
	fw_ids_release(&mapped);
	return rc;
}

static int
merge_part_id(fw_tokenizer *tok, struct jp *j, const char *s, size_t n,
    fw_buf *raw, uint32_t *id, size_t rank)
{
	int rc = unmap_bytes(s, n, raw);

	if (rc <= 0) {
		*id = TOK_NONE;
		return rc;
	}
	*id = tok_vmap_get(tok, raw->data, raw->len);
	if (*id == TOK_NONE)
		return fw_error_set(FW_EINVALID, "%s: merge %zu: '%.*s' is not in the "
		    "vocabulary", j->name, rank, (int)(n > 80 ? 80 : n), s);
	return 1;
}

static int
load_merges(fw_tokenizer *tok, struct jp *j)
{
	fw_buf a = FW_BUF_INIT, b = FW_BUF_INIT, raw = FW_BUF_INIT, both = FW_BUF_INIT;
	size_t rank = 0;
	int rc;

	/* merges are about as many as vocabulary entries; the map grows if not */
	if ((rc = tok_merges_init(tok, tok->vmap_mask / 2 + 1)) < 0)
		goto done;
	if ((rc = jp_expect(j, '[')) < 0)
		goto done;
	jp_ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		rc = 0;
		goto done;
	}
	for (;; rank++) {
		jp_ws(j);
		if (j->p < j->end && *j->p == '[') {
			j->p++;
			if ((rc = jp_string(j, &a)) < 0 || (rc = jp_expect(j, ',')) < 0 ||
			    (rc = jp_string(j, &b)) < 0 || (rc = jp_expect(j, ']')) < 0)
				goto done;
		} else {
			if ((rc = jp_string(j, &a)) < 0)
				goto done;
			char *sp = memchr(a.data, ' ', a.len);
			if (sp == NULL || memchr(sp + 1, ' ', a.len - (size_t)(sp + 1 - a.data))) {
				rc = fw_error_set(FW_EINVALID, "%s: merge %zu: '%.*s' is not "
				    "two tokens separated by one space", j->name, rank,
				    (int)(a.len > 80 ? 80 : a.len), a.data);
				goto done;
			}
			fw_buf_reset(&b);
			if ((rc = fw_buf_add(&b, sp + 1, a.len - (size_t)(sp + 1 - a.data))) < 0)
				goto done;
			a.len = (size_t)(sp - a.data);
			a.data[a.len] = 0;
		}
		uint32_t l, r, m;
		int okl, okr;
		if ((okl = rc = merge_part_id(tok, j, a.data, a.len, &raw, &l, rank)) < 0 ||
		    (okr = rc = merge_part_id(tok, j, b.data, b.len, &raw, &r, rank)) < 0)
			goto done;
		if (okl && okr) {
			fw_buf_reset(&both);
			if ((rc = fw_buf_add(&both, a.data, a.len)) < 0 ||
			    (rc = fw_buf_add(&both, b.data, b.len)) < 0 ||
			    (rc = merge_part_id(tok, j, both.data, both.len, &raw, &m, rank)) < 0)
				goto done;
			if ((rc = tok_merges_put(tok, l, r, (uint32_t)rank, m)) < 0)
				goto done;
		}
		jp_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if ((rc = jp_expect(j, ']')) < 0)
			goto done;
		break;
	}
	rc = 0;
done:
	fw_buf_release(&a);
	fw_buf_release(&b);
	fw_buf_release(&raw);
	fw_buf_release(&both);
	return rc;
}

static int
parse_part(struct jp *j, const struct extent *e, struct json_object **v)
{
	fw_buf tmp = FW_BUF_INIT;
	int rc;

	/* json-c's null is a NULL object, which fw_json_parse reports as an error */
	*v = NULL;
	if (e->n == 4 && memcmp(e->p, "null", 4) == 0)
		return 0;
	/* json-c finishes a bare literal or number only when it sees what follows */
	if ((rc = fw_buf_add(&tmp, e->p, e->n)) < 0 || (rc = fw_buf_addc(&tmp, ' ')) < 0)
		return rc;
	rc = fw_json_parse(v, tmp.data, tmp.len);
	fw_buf_release(&tmp);
	if (rc < 0)
		return fw_error_wrap(rc, "%s: at byte %zu", j->name,
		    (size_t)(e->p - j->s));
	return 0;
}

/* Checks the model's options other than vocab and merges. */
static int
model_option(fw_tokenizer *tok, struct jp *j, const char *key,
    const struct extent *e)
{
	struct json_object *v = NULL;
	int rc;

	if ((rc = parse_part(j, e, &v)) < 0)
		return rc;
	rc = 0;
	if (strcmp(key, "type") == 0) {
		const char *t = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) || strcmp(t, "BPE") != 0)
			rc = fw_error_set(FW_EUNSUPPORTED, "%s: model %s is not supported "
			    "(only BPE is)", j->name, t ? t : "of no type");
	} else if (strcmp(key, "dropout") == 0) {
		if (!json_object_is_type(v, json_type_null) && json_object_get_double(v) != 0)
			rc = fw_error_set(FW_EUNSUPPORTED, "%s: model dropout is not "
			    "supported", j->name);
	} else if (strcmp(key, "byte_fallback") == 0) {
		if (json_object_get_boolean(v))
			rc = fw_error_set(FW_EUNSUPPORTED, "%s: model byte_fallback is "
			    "not supported", j->name);
	} else if (strcmp(key, "continuing_subword_prefix") == 0 ||
	    strcmp(key, "end_of_word_suffix") == 0) {
		if (!json_object_is_type(v, json_type_null) &&
		    json_object_get_string_len(v) > 0)
			rc = fw_error_set(FW_EUNSUPPORTED, "%s: model %s is not supported",
			    j->name, key);
	} else if (strcmp(key, "ignore_merges") == 0) {
		tok->ignore_merges = json_object_get_boolean(v);
	}
	/* unk_token, fuse_unk: never used, every byte has a token */
	json_object_put(v);
	return rc;
}

int
fw_tokenizer_parse(fw_tokenizer **out, const char *text, size_t len,
    const char *name)
{
	static const char *const parts[] = { "normalizer", "pre_tokenizer",
	    "decoder", "added_tokens" };
	struct extent part[4] = { { NULL, 0 } }, vocab = { NULL, 0 },
	    merges = { NULL, 0 }, model = { NULL, 0 };
	struct jp j = { text, text, text + len, name ? name : "tokenizer.json" };
	fw_buf key = FW_BUF_INIT;
	fw_tokenizer *tok = NULL;
	int rc, first = 1, more, type_seen = 0, vocab_done = 0, merges_done = 0;

	*out = NULL;
	if ((tok = calloc(1, sizeof(*tok))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	if ((tok->name = strdup(j.name)) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	while ((more = jp_next_key(&j, &first, &key)) == 1) {
		struct extent e;
		if (strcmp(key.data, "model") == 0) {
			int mfirst = 1, mmore;
			jp_ws(&j);
			model.p = j.p;
			while ((mmore = jp_next_key(&j, &mfirst, &key)) == 1) {
				/* in the usual order (type, vocab, merges) each is read
				 * where it stands; otherwise it is read after the loop */
				if (strcmp(key.data, "vocab") == 0 && type_seen && !vocab_done) {
					jp_ws(&j);
					vocab.p = j.p;
					if ((rc = load_vocab(tok, &j)) < 0)
						goto done;
					vocab_done = 1;
					continue;
				}
				if (strcmp(key.data, "merges") == 0 && vocab_done && !merges_done) {
					jp_ws(&j);
					merges.p = j.p;
					if ((rc = load_merges(tok, &j)) < 0)
						goto done;
					merges_done = 1;
					continue;
				}
				if ((rc = jp_extent(&j, &e)) < 0)
					goto done;
				if (strcmp(key.data, "vocab") == 0)
					vocab = e;
				else if (strcmp(key.data, "merges") == 0)
					merges = e;
				else if ((rc = model_option(tok, &j, key.data, &e)) < 0)
					goto done;
				else if (strcmp(key.data, "type") == 0)
					type_seen = 1;
			}
			if ((rc = mmore) < 0)
				goto done;
			continue;
		}
		if ((rc = jp_extent(&j, &e)) < 0)
			goto done;
		for (int i = 0; i < 4; i++)
			if (strcmp(key.data, parts[i]) == 0)
				part[i] = e;
	}
	if ((rc = more) < 0)
		goto done;
	jp_ws(&j);
	if (j.p != j.end) {
		rc = jp_err(&j, "text after the top-level object");
		goto done;
	}
	if (model.p == NULL || vocab.p == NULL || merges.p == NULL) {
		rc = fw_error_set(FW_EUNSUPPORTED, "%s: no BPE model with vocab and "
		    "merges", j.name);
		goto done;
	}
	j.p = vocab.p;
	if (!vocab_done && (rc = load_vocab(tok, &j)) < 0)
		goto done;
	j.p = merges.p;
	if (!merges_done && (rc = load_merges(tok, &j)) < 0)
		goto done;
	for (int i = 0; i < 4; i++) {
		struct json_object *v = NULL;
		if (part[i].p == NULL) {
			if ((rc = tok_configure(tok, parts[i], NULL)) < 0)
				goto done;
			continue;
		}
		if ((rc = parse_part(&j, &part[i], &v)) < 0)
			goto done;
		rc = tok_configure(tok, parts[i], v);
		json_object_put(v);
		if (rc < 0)
			goto done;
	}
	*out = tok;
	tok = NULL;
	rc = 0;
done:
	fw_buf_release(&key);
	fw_tokenizer_free(tok);
	return rc;
}
