/*
 * JSON text straight to fw's canonical form, without building json-c objects.
 *
 * fw add spends most of its time turning lines into records, and json-c
 * allocates a node for every value it reads. For JSON lines fw needs no tree:
 * each top-level field becomes a kind and a payload (a string's bytes, a
 * number's text, or an array's or object's canonical text). This walks the
 * text once with the strict scanner of json.c and writes canonical output as
 * it goes; only objects whose keys are out of order are rearranged. Written by
 * hand because no JSON library emits this canonical form from text. Tests and
 * a fuzz target hold it byte for byte to fw_json_canon(fw_json_parse(text)).
 */
#include "fw/json.h"
#include "fw/error.h"
#include "json_scan.h"

#include <stdlib.h>
#include <string.h>

/* Appends the decoded bytes of the string at c->i (its opening quote). */
static int
str_decode(struct scan *c, fw_buf *out)
{
	size_t st = c->i;

	if (fw_scan_string(c) < 0)
		return -1;
	if (fw_json_unescape(out, c->s + st + 1, c->i - st - 2) < 0) {
		c->err = "out of memory";
		return -1;
	}
	return 0;
}

/* The canonical form of a string at c->i. When every escape in it is the
 * one fw_json_quote would write (the scanner says so, and it refused raw
 * controls), the input bytes are already canonical. */
static int
str_canon(struct scan *c, fw_buf *out, fw_buf *tmp)
{
	size_t st = c->i;

	if (fw_scan_string(c) < 0)
		return -1;
	if (c->canon_escapes)
		return fw_buf_add(out, c->s + st, c->i - st);
	c->i = st;
	fw_buf_reset(tmp);
	if (str_decode(c, tmp) < 0)
		return -1;
	return fw_json_quote(out, tmp->data, tmp->len);
}

/* After an object member: 1 at ',' (another follows), 0 at '}' (the
 * object ends), -1 with c->err otherwise; moves past what it reads. */
static int
member_next(struct scan *c)
{
	fw_scan_ws(c);
	if (c->i >= c->len) {
		c->err = "truncated value";
		return -1;
	}
	if (c->s[c->i] == ',' || c->s[c->i] == '}')
		return c->s[c->i++] == ',';
	c->err = "expected ',' or '}'";
	return -1;
}

struct member {
	size_t kst, klen;	/* decoded key in keys */
	size_t mst, mend;	/* "key":value in out */
	size_t idx;
};

struct canon {
	struct scan sc;
	fw_buf keys;		/* decoded keys, a stack per object */
	fw_buf tmp;
	fw_buf move;
	int depth;
};

/* qsort has no context argument; the importer sorts on several threads. */
static _Thread_local const char *cmp_keys;

static int
member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(cmp_keys + x->kst, cmp_keys + y->kst, n);

	if (c == 0 && x->klen != y->klen)
		c = x->klen < y->klen ? -1 : 1;
	if (c == 0)
		c = x->idx < y->idx ? -1 : 1;	/* stable: later duplicates last */
	return c;
}

static int canon_value(struct canon *k, fw_buf *out);

static int
canon_object(struct canon *k, fw_buf *out)
{
	struct scan *c = &k->sc;
	struct member stackm[16], *m = stackm;
	size_t n = 0, cap = 16, base = out->len, keymark = k->keys.len;
	int sorted = 1, rc = -1;

	c->i++;
	fw_buf_addc(out, '{');
	fw_scan_ws(c);
	if (c->i < c->len && c->s[c->i] == '}') {
		c->i++;
		return fw_buf_addc(out, '}');
	}
	for (;;) {
		fw_scan_ws(c);
		if (c->i >= c->len || c->s[c->i] != '"') {
			c->err = c->i >= c->len ? "truncated value" : "expected a string key";
			goto done;
		}
		if (n == cap) {
			struct member *nm = malloc(cap * 2 * sizeof(*nm));
			if (nm == NULL) {
				c->err = "out of memory";
				goto done;
			}
			memcpy(nm, m, n * sizeof(*m));
			if (m != stackm)
				free(m);
			m = nm;
			cap *= 2;
		}
		struct member *e = &m[n];
		size_t kraw = c->i;
		e->idx = n;
		e->kst = k->keys.len;
		if (str_decode(c, &k->keys) < 0)
			goto done;
		if (fw_scan_key_has_nul(c->s + kraw, c->i - kraw)) {
			c->i = kraw;
			c->err = "object key with a NUL character";
			goto done;
		}
		e->klen = k->keys.len - e->kst;
		if (n > 0) {
			fw_buf_addc(out, ',');
			const struct member *p = &m[n - 1];
			size_t l = p->klen < e->klen ? p->klen : e->klen;
			int cmp = memcmp(k->keys.data + p->kst, k->keys.data + e->kst, l);
			if (cmp > 0 || (cmp == 0 && p->klen >= e->klen))
				sorted = 0;
		}
		e->mst = out->len;
		if (fw_json_quote(out, k->keys.data + e->kst, e->klen) < 0)
			goto done;
		fw_scan_ws(c);
		if (c->i >= c->len || c->s[c->i] != ':') {
			c->err = c->i >= c->len ? "truncated value" : "expected ':'";
			goto done;
		}
		c->i++;
		fw_buf_addc(out, ':');
		if (canon_value(k, out) < 0)
			goto done;
		e->mend = out->len;
		n++;
		int more = member_next(c);
		if (more < 0)
			goto done;
		if (!more)
			break;
	}
	if (!sorted) {
		/* Sort by key (the last of equal keys wins, as json-c keeps it)
		 * and write the members again in that order. */
		cmp_keys = k->keys.data;
		qsort(m, n, sizeof(*m), member_cmp);
		fw_buf_reset(&k->move);
		fw_buf_add(&k->move, out->data + base, out->len - base);
		out->len = base + 1;
		int first = 1;
		for (size_t i = 0; i < n; i++) {
			if (i + 1 < n && m[i + 1].klen == m[i].klen &&
			    memcmp(k->keys.data + m[i + 1].kst, k->keys.data + m[i].kst, m[i].klen) == 0)
				continue;
			if (!first)
				fw_buf_addc(out, ',');
			first = 0;
			fw_buf_add(out, k->move.data + (m[i].mst - base), m[i].mend - m[i].mst);
		}
	}
	rc = fw_buf_addc(out, '}');
done:
	k->keys.len = keymark;
	if (m != stackm)
		free(m);
	return rc;
}

static int
canon_value(struct canon *k, fw_buf *out)
{
	struct scan *c = &k->sc;
	size_t st;
	int rc;

	fw_scan_ws(c);
	if (c->i >= c->len) {
		c->err = "truncated value";
		return -1;
	}
	switch (c->s[c->i]) {
	case '{':
	case '[':
		if (++k->depth > FW_JSON_MAX_DEPTH) {
			c->err = "nested too deep";
			return -1;
		}
		if (c->s[c->i] == '{')
			rc = canon_object(k, out);
		else {
			c->i++;
			fw_buf_addc(out, '[');
			fw_scan_ws(c);
			if (c->i < c->len && c->s[c->i] == ']') {
				c->i++;
				rc = fw_buf_addc(out, ']');
			} else {
				for (;;) {
					if ((rc = canon_value(k, out)) < 0)
						break;
					fw_scan_ws(c);
					if (c->i >= c->len) {
						c->err = "truncated value";
						rc = -1;
						break;
					}
					if (c->s[c->i] == ',') {
						c->i++;
						fw_buf_addc(out, ',');
						continue;
					}
					if (c->s[c->i] == ']') {
						c->i++;
						rc = fw_buf_addc(out, ']');
						break;
					}
					c->err = "expected ',' or ']'";
					rc = -1;
					break;
				}
			}
		}
		k->depth--;
		return rc < 0 ? -1 : 0;
	case '"':
		return str_canon(c, out, &k->tmp) < 0 ? -1 : 0;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		st = c->i;
		if (fw_scan_number(c) < 0)
			return -1;
		return fw_buf_add(out, c->s + st, c->i - st) < 0 ? -1 : 0;
	}
	static const char *const words[] = { "true", "false", "null" };
	for (int w = 0; w < 3; w++) {
		size_t n = strlen(words[w]);
		if (c->len - c->i >= n && memcmp(c->s + c->i, words[w], n) == 0) {
			c->i += n;
			return fw_buf_add(out, words[w], n) < 0 ? -1 : 0;
		}
	}
	c->err = "unexpected character";
	return -1;
}

static int
text_error(struct canon *k)
{
	if (k->sc.err && strcmp(k->sc.err, "truncated value") == 0 &&
	    fw_json_all_space(k->sc.s, k->sc.len))
		k->sc.err = "empty";
	if (k->sc.err && strcmp(k->sc.err, "nested too deep") == 0)
		return fw_error_set(FW_EINVALID, "invalid JSON at byte %zu: nested deeper than %d",
		    k->sc.i + 1, FW_JSON_MAX_DEPTH);
	return fw_error_set(FW_EINVALID, "invalid JSON at byte %zu: %s", k->sc.i + 1,
	    k->sc.err ? k->sc.err : "out of memory");
}

static int
precheck(const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);

	if (nul)
		return fw_error_set(FW_EINVALID, "invalid JSON at byte %zu: NUL byte",
		    (size_t)(nul - text) + 1);
	if (!fw_utf8_valid(text, len))
		return fw_error_set(FW_EINVALID, "invalid UTF-8");
	return 0;
}

static void
canon_release(struct canon *k)
{
	fw_buf_release(&k->keys);
	fw_buf_release(&k->tmp);
	fw_buf_release(&k->move);
}

int
fw_json_canon_text(fw_buf *out, const char *text, size_t len)
{
	struct canon k;
	int rc;

	if ((rc = precheck(text, len)) < 0)
		return rc;
	memset(&k, 0, sizeof(k));
	k.sc.s = text;
	k.sc.len = len;
	if (canon_value(&k, out) < 0) {
		rc = text_error(&k);
		goto done;
	}
	fw_scan_ws(&k.sc);
	if (k.sc.i < len) {
		k.sc.err = "unexpected data after the value";
		rc = text_error(&k);
	}
done:
	canon_release(&k);
	return rc;
}

int
fw_json_split_object(const char *text, size_t len, fw_buf *buf,
    fw_json_member **members, size_t *n, size_t *cap)
{
	struct canon k;
	struct scan *c = &k.sc;
	int rc;

	*n = 0;
	fw_buf_reset(buf);
	if ((rc = precheck(text, len)) < 0)
		return rc;
	memset(&k, 0, sizeof(k));
	c->s = text;
	c->len = len;
	fw_scan_ws(c);
	if (c->i >= len || c->s[c->i] != '{') {
		/* Not an object: say why, as a parse would. */
		fw_buf tmp = FW_BUF_INIT;
		rc = fw_json_canon_text(&tmp, text, len);
		fw_buf_release(&tmp);
		canon_release(&k);
		return rc < 0 ? rc : fw_error_set(FW_EINVALID, "a record must be a JSON object");
	}
	c->i++;
	k.depth = 1;
	fw_scan_ws(c);
	if (c->i < len && c->s[c->i] == '}') {
		c->i++;
		goto end;
	}
	for (;;) {
		fw_json_member *m;
		fw_scan_ws(c);
		if (c->i >= len || c->s[c->i] != '"') {
			c->err = c->i >= len ? "truncated value" : "expected a string key";
			goto bad;
		}
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 16;
			fw_json_member *nm = realloc(*members, nc * sizeof(*nm));
			if (nm == NULL) {
				c->err = "out of memory";
				goto bad;
			}
			*members = nm;
			*cap = nc;
		}
		m = &(*members)[*n];
		m->name_off = buf->len;
		size_t kraw = c->i;
		if (str_decode(c, buf) < 0)
			goto bad;
		if (fw_scan_key_has_nul(c->s + kraw, c->i - kraw)) {
			c->i = kraw;
			c->err = "object key with a NUL character";
			goto bad;
		}
		m->name_len = buf->len - m->name_off;
		fw_scan_ws(c);
		if (c->i >= len || c->s[c->i] != ':') {
			c->err = c->i >= len ? "truncated value" : "expected ':'";
			goto bad;
		}
		c->i++;
		fw_scan_ws(c);
		if (c->i >= len) {
			c->err = "truncated value";
			goto bad;
		}
		m->off = buf->len;
		switch (c->s[c->i]) {
		case '"':
			m->kind = FW_JSON_STRING;
			if (str_decode(c, buf) < 0)
				goto bad;
			break;
		case '{':
		case '[':
			m->kind = c->s[c->i] == '{' ? FW_JSON_OBJECT : FW_JSON_ARRAY;
			if (canon_value(&k, buf) < 0)
				goto bad;
			break;
		case 't':
		case 'f':
		case 'n': {
			size_t st = c->i;
			if (canon_value(&k, buf) < 0)
				goto bad;
			m->kind = c->s[st] == 't' ? FW_JSON_TRUE : c->s[st] == 'f' ?
			    FW_JSON_FALSE : FW_JSON_NULL;
			buf->len = m->off;	/* no payload */
			break;
		}
		default:
			m->kind = FW_JSON_NUMBER;
			if (canon_value(&k, buf) < 0)
				goto bad;
		}
		m->len = buf->len - m->off;
		/* The last of duplicate keys wins, as with json-c. */
		for (size_t i = 0; i < *n; i++) {
			fw_json_member *p = &(*members)[i];
			if (p->name_len == m->name_len &&
			    memcmp(buf->data + p->name_off, buf->data + m->name_off, m->name_len) == 0) {
				memmove(p, p + 1, (*n - i - 1 + 1) * sizeof(*p));
				(*n)--;
				m = &(*members)[*n];
				break;
			}
		}
		(*n)++;
		int more = member_next(c);
		if (more < 0)
			goto bad;
		if (!more)
			break;
	}
end:
	fw_scan_ws(c);
	if (c->i < len) {
		c->err = "unexpected data after the value";
		goto bad;
	}
	canon_release(&k);
	return 0;
bad:
	rc = text_error(&k);
	canon_release(&k);
	return rc;
}
