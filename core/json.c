#include "fw/json.h"
#include "json_scan.h"
#include "fw/error.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

int
fw_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + n;

	while (s < end) {
		unsigned c = *s;
		if (c < 0x80) {
			uint64_t w;
			/* ASCII runs 8 bytes at a time: most text is ASCII. */
			s++;
			while (end - s >= 8 && (memcpy(&w, s, 8), (w & 0x8080808080808080ull) == 0))
				s += 8;
			continue;
		}
		size_t need;
		unsigned min, cp;
		if ((c & 0xe0) == 0xc0) { need = 1; min = 0x80; cp = c & 0x1f; }
		else if ((c & 0xf0) == 0xe0) { need = 2; min = 0x800; cp = c & 0x0f; }
		else if ((c & 0xf8) == 0xf0) { need = 3; min = 0x10000; cp = c & 0x07; }
		else return 0;
		if ((size_t)(end - s) <= need)
			return 0;
		for (size_t i = 1; i <= need; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		s += need + 1;
	}
	return 1;
}

/*
 * json-c stores integers as int64/uint64 and clamps longer ones; fw must keep
 * their text. Before parsing, integer tokens that do not fit (and "-0") are
 * swapped for a sentinel string; after parsing, the sentinels become json-c
 * doubles that carry the original text. The sentinel starts with a NUL and a
 * per-process random nonce, so no real string can be mistaken for one.
 */
static char sentinel_prefix[32];
static pthread_once_t sentinel_once = PTHREAD_ONCE_INIT;

static void
sentinel_init(void)
{
	uint64_t nonce = 0;

	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (uint64_t)(uintptr_t)&nonce ^ 0x9e3779b97f4a7c15ull;
	snprintf(sentinel_prefix + 1, sizeof(sentinel_prefix) - 1,
	    "fwnum%016llx:", (unsigned long long)nonce);
}

static int
int_token_needs_text(const char *t, size_t n)
{
	char tmp[32];
	size_t digits = n - (t[0] == '-');

	if (n == 2 && t[0] == '-' && t[1] == '0')
		return 1;
	if (digits < 19)
		return 0;
	if (n >= sizeof(tmp))
		return 1;
	memcpy(tmp, t, n);
	tmp[n] = 0;
	errno = 0;
	if (t[0] == '-')
		(void)strtoll(tmp, NULL, 10);
	else
		(void)strtoull(tmp, NULL, 10);
	return errno == ERANGE;
}

/*
 * A strict RFC 8259 validator, written by hand because json-c's strict mode
 * still accepts single quotes and NaN, and replaces a lone surrogate escape
 * with U+FFFD instead of refusing it. It runs before json-c builds objects and
 * also finds the integer tokens that need their text kept (see above).
 */

void
fw_scan_ws(struct scan *c)
{
	while (c->i < c->len && (c->s[c->i] == ' ' || c->s[c->i] == '\t' ||
	    c->s[c->i] == '\n' || c->s[c->i] == '\r'))
		c->i++;
}

int
fw_scan_hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int k = 0; k < 4; k++) {
		char h = p[k];
		*v <<= 4;
		if (h >= '0' && h <= '9') *v |= (unsigned)(h - '0');
		else if (h >= 'a' && h <= 'f') *v |= (unsigned)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F') *v |= (unsigned)(h - 'A' + 10);
		else return -1;
	}
	return 0;
}

int
fw_scan_string(struct scan *c)
{
	c->i++;
	c->canon_escapes = 1;
	while (c->i < c->len) {
		/* Skip 8 plain bytes at a time: a word with no '"', no '\\' and no
		 * byte below 0x20 (bytes of 0x80 and above, UTF-8, are plain). */
		while (c->i + 8 <= c->len) {
			uint64_t x, q, b, lo, hit;
			memcpy(&x, c->s + c->i, 8);
			q = x ^ 0x2222222222222222ull;
			b = x ^ 0x5c5c5c5c5c5c5c5cull;
			lo = (x - 0x2020202020202020ull) & ~x;
			hit = (((q - 0x0101010101010101ull) & ~q) |
			    ((b - 0x0101010101010101ull) & ~b) | lo) & 0x8080808080808080ull;
			if (hit) {
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				/* The lowest flagged byte is a real hit (a borrow only
				 * flags bytes above a real one): go straight to it. */
				c->i += (size_t)__builtin_ctzll(hit) >> 3;
#endif
				break;
			}
			c->i += 8;
		}
		if (c->i >= c->len)
			break;
		unsigned char ch = (unsigned char)c->s[c->i];
		if (ch == '"') {
			c->i++;
			return 0;
		}
		if (ch < 0x20) {
			c->err = "control character in a string";
			return -1;
		}
		if (ch != '\\') {
			c->i++;
			continue;
		}
		if (c->i + 1 >= c->len)
			break;
		char e = c->s[c->i + 1];
		switch (e) {
		case '/':
			c->canon_escapes = 0;	/* fw_json_quote writes '/' as is */
			/* fall through */
		case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't':
			c->i += 2;
			continue;
		case 'u':
			break;
		default:
			c->err = "bad escape in a string";
			return -1;
		}
		unsigned u, u2;
		if (c->i + 6 > c->len || fw_scan_hex4(c->s + c->i + 2, &u) < 0) {
			c->err = "bad \\u escape in a string";
			return -1;
		}
		/* canonical only for a control character without a short form,
		 * in lower-case hex: \u00XX as fw_json_quote writes it */
		if (u >= 0x20 || u == '\b' || u == '\f' || u == '\n' || u == '\r' || u == '\t' ||
		    (c->s[c->i + 5] >= 'A' && c->s[c->i + 5] <= 'F') ||
		    (c->s[c->i + 4] >= 'A' && c->s[c->i + 4] <= 'F'))
			c->canon_escapes = 0;
		/* errors leave c->i at the escape, as for the others above */
		if (u >= 0xdc00 && u <= 0xdfff) {
			c->err = "lone surrogate escape in a string";
			return -1;
		}
		if (u >= 0xd800 && u <= 0xdbff) {
			if (c->i + 12 > c->len || c->s[c->i + 6] != '\\' ||
			    c->s[c->i + 7] != 'u' || fw_scan_hex4(c->s + c->i + 8, &u2) < 0 ||
			    u2 < 0xdc00 || u2 > 0xdfff) {
				c->err = "lone surrogate escape in a string";
				return -1;
			}
			c->i += 6;
		}
		c->i += 6;
	}
	c->err = "unterminated string";
	return -1;
}

/* json-c keeps keys as C strings and would cut one at a NUL; fw refuses such
 * keys rather than lose part of them. span is a scanned string with quotes. */
/* text need not end in a NUL: strspn would read past it. */
int
fw_json_all_space(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\r' && text[i] != '\n')
			return 0;
	return 1;
}

int
fw_scan_key_has_nul(const char *p, size_t n)
{
	for (size_t i = 1; i + 1 < n; i++) {
		if (p[i] != '\\')
			continue;
		if (p[i + 1] == 'u' && i + 5 < n && memcmp(p + i + 2, "0000", 4) == 0)
			return 1;
		i++;
	}
	return 0;
}

int
fw_scan_number(struct scan *c)
{
	size_t st = c->i;
	int is_int = 1;

	if (c->s[c->i] == '-')
		c->i++;
	if (c->i >= c->len || !(c->s[c->i] >= '0' && c->s[c->i] <= '9'))
		goto bad;
	if (c->s[c->i] == '0')
		c->i++;
	else
		while (c->i < c->len && c->s[c->i] >= '0' && c->s[c->i] <= '9')
			c->i++;
	if (c->i < c->len && c->s[c->i] == '.') {
		is_int = 0;
		c->i++;
		if (c->i >= c->len || !(c->s[c->i] >= '0' && c->s[c->i] <= '9'))
			goto bad;
		while (c->i < c->len && c->s[c->i] >= '0' && c->s[c->i] <= '9')
			c->i++;
	}
	if (c->i < c->len && (c->s[c->i] == 'e' || c->s[c->i] == 'E')) {
		is_int = 0;
		c->i++;
		if (c->i < c->len && (c->s[c->i] == '+' || c->s[c->i] == '-'))
			c->i++;
		if (c->i >= c->len || !(c->s[c->i] >= '0' && c->s[c->i] <= '9'))
			goto bad;
		while (c->i < c->len && c->s[c->i] >= '0' && c->s[c->i] <= '9')
			c->i++;
	}
	if (c->i < c->len && (c->s[c->i] == '0' || (c->s[c->i] >= '1' && c->s[c->i] <= '9'))) {
		c->err = "leading zero in a number";
		return -1;
	}
	if (c->out && is_int && int_token_needs_text(c->s + st, c->i - st)) {
		fw_buf *o = c->out;
		if (fw_buf_add(o, c->s + c->copied, st - c->copied) < 0 ||
		    fw_buf_add(o, "\"\\u0000", 7) < 0 ||
		    fw_buf_adds(o, sentinel_prefix + 1) < 0 ||
		    fw_buf_add(o, c->s + st, c->i - st) < 0 ||
		    fw_buf_addc(o, '"') < 0) {
			c->err = "out of memory";
			return -1;
		}
		c->copied = c->i;
		c->nbig++;
	}
	return 0;
bad:
	c->err = "bad number";
	return -1;
}

static int
scan_value(struct scan *c)
{
	fw_scan_ws(c);
	if (c->i >= c->len) {
		c->err = "truncated value";
		return -1;
	}
	char ch = c->s[c->i];
	if (ch == '{' || ch == '[') {
		char close = ch == '{' ? '}' : ']';
		if (++c->depth > FW_JSON_MAX_DEPTH) {
			c->err = "nested too deep";
			return -1;
		}
		c->i++;
		fw_scan_ws(c);
		if (c->i < c->len && c->s[c->i] == close) {
			c->i++;
			c->depth--;
			return 0;
		}
		for (;;) {
			if (ch == '{') {
				fw_scan_ws(c);
				if (c->i >= c->len || c->s[c->i] != '"') {
					c->err = c->i >= c->len ? "truncated value" :
					    "expected a string key";
					return -1;
				}
				size_t kst = c->i;
				if (fw_scan_string(c) < 0)
					return -1;
				if (fw_scan_key_has_nul(c->s + kst, c->i - kst)) {
					c->i = kst;
					c->err = "object key with a NUL character";
					return -1;
				}
				fw_scan_ws(c);
				if (c->i >= c->len || c->s[c->i] != ':') {
					c->err = c->i >= c->len ? "truncated value" :
					    "expected ':'";
					return -1;
				}
				c->i++;
			}
			if (scan_value(c) < 0)
				return -1;
			fw_scan_ws(c);
			if (c->i >= c->len) {
				c->err = "truncated value";
				return -1;
			}
			if (c->s[c->i] == ',') {
				c->i++;
				continue;
			}
			if (c->s[c->i] == close) {
				c->i++;
				c->depth--;
				return 0;
			}
			c->err = ch == '{' ? "expected ',' or '}'" : "expected ',' or ']'";
			return -1;
		}
	}
	if (ch == '"')
		return fw_scan_string(c);
	if (ch == '-' || (ch >= '0' && ch <= '9'))
		return fw_scan_number(c);
	static const char *const words[] = { "true", "false", "null" };
	for (int k = 0; k < 3; k++) {
		size_t n = strlen(words[k]);
		if (c->len - c->i >= n && memcmp(c->s + c->i, words[k], n) == 0) {
			c->i += n;
			return 0;
		}
	}
	c->err = "unexpected character";
	return -1;
}

static struct json_object *
restore_one(struct json_object *v)
{
	size_t plen = 1 + strlen(sentinel_prefix + 1);
	const char *str;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	str = json_object_get_string(v);
	if ((size_t)json_object_get_string_len(v) <= plen ||
	    memcmp(str, sentinel_prefix, plen) != 0)
		return NULL;
	return json_object_new_double_s(strtod(str + plen, NULL), str + plen);
}

static int
restore_big_ints(struct json_object *v)
{
	struct json_object *r;

	if (json_object_is_type(v, json_type_array)) {
		size_t n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);
			if ((r = restore_one(e)) != NULL) {
				if (json_object_array_put_idx(v, i, r) != 0)
					return FW_ENOMEM;
			} else if (restore_big_ints(e) < 0)
				return FW_ENOMEM;
		}
	} else if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, e) {
			if ((r = restore_one(e)) != NULL) {
				if (json_object_object_add(v, key, r) != 0)
					return FW_ENOMEM;
			} else if (restore_big_ints(e) < 0)
				return FW_ENOMEM;
		}
	}
	return 0;
}

int
fw_json_parse(struct json_object **out, const char *text, size_t len)
{
	struct json_tokener *tok = NULL;
	struct json_object *v = NULL, *r;
	fw_buf tmp = FW_BUF_INIT;
	size_t nbig = 0;
	int rc = 0;

	*out = NULL;
	if (memchr(text, '\0', len) != NULL) {
		size_t at = (size_t)((const char *)memchr(text, '\0', len) - text);
		return fw_error_set(FW_EINVALID, "invalid JSON at byte %zu: NUL byte", at + 1);
	}
	if (!fw_utf8_valid(text, len))
		return fw_error_set(FW_EINVALID, "invalid UTF-8");
	/* Once per process: parsers run on several threads at once. */
	pthread_once(&sentinel_once, sentinel_init);
	{
		struct scan c = { text, len, 0, 0, NULL, 0, &tmp, 0, 0 };
		int sr = scan_value(&c);
		if (sr == 0) {
			fw_scan_ws(&c);
			if (c.i < len) {
				c.err = "unexpected data after the value";
				sr = -1;
			}
		}
		if (sr < 0) {
			if (strcmp(c.err, "truncated value") == 0 && fw_json_all_space(text, len))
				c.err = "empty";
			if (strcmp(c.err, "nested too deep") == 0)
				rc = fw_error_set(FW_EINVALID,
				    "invalid JSON at byte %zu: nested deeper than %d",
				    c.i + 1, FW_JSON_MAX_DEPTH);
			else
				rc = fw_error_set(c.err[0] == 'o' ? FW_ENOMEM : FW_EINVALID,
				    "invalid JSON at byte %zu: %s", c.i + 1, c.err);
			goto done;
		}
		nbig = c.nbig;
		if (nbig) {
			if (fw_buf_add(&tmp, text + c.copied, len - c.copied) < 0) {
				rc = fw_error_set(FW_ENOMEM, "out of memory");
				goto done;
			}
			text = tmp.data;
			len = tmp.len;
		}
	}
	tok = json_tokener_new_ex(FW_JSON_MAX_DEPTH);
	if (tok == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	v = json_tokener_parse_ex(tok, text, (int)len);
	/* A top-level number or literal ends only where json-c sees what
	 * follows it ("42", "true"): a NUL byte tells it the text ends. The
	 * scan above has checked the whole text already. */
	if (v == NULL && json_tokener_get_error(tok) == json_tokener_continue) {
		v = json_tokener_parse_ex(tok, "", 1);
	}
	if (v == NULL && json_tokener_get_error(tok) == json_tokener_success) {
		/* JSON null is json-c's NULL. */
		*out = NULL;
		goto done;
	}
	if (v == NULL) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		if (e == json_tokener_continue || e == json_tokener_success)
			rc = fw_error_set(FW_EINVALID, "invalid JSON: %s",
			    fw_json_all_space(text, len) ? "empty" : "truncated value");
		else if (e == json_tokener_error_depth)
			rc = fw_error_set(FW_EINVALID,
			    "invalid JSON at byte %zu: nested deeper than %d",
			    json_tokener_get_parse_end(tok) + 1, FW_JSON_MAX_DEPTH);
		else
			rc = fw_error_set(FW_EINVALID, "invalid JSON at byte %zu: %s",
			    json_tokener_get_parse_end(tok) + 1,
			    json_tokener_error_desc(e));
		goto done;
	}
	if (nbig) {
		if ((r = restore_one(v)) != NULL) {
			json_object_put(v);
			v = r;
		} else if (restore_big_ints(v) < 0) {
			rc = fw_error_set(FW_ENOMEM, "out of memory");
			goto done;
		}
	}
	*out = v;
	v = NULL;
done:
	json_object_put(v);
	if (tok)
		json_tokener_free(tok);
	fw_buf_release(&tmp);
	return rc;
}

int
fw_utf8_append(fw_buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return fw_buf_add(b, u, n);
}

int
fw_json_unescape(fw_buf *b, const char *s, size_t n)
{
	size_t i = 0;
	int rc;

	/* Decoding never lengthens; this also leaves b->data allocated for an
	 * empty string, which callers index. */
	if ((rc = fw_buf_grow(b, n)) < 0)
		return rc;
	while (i < n) {
		const char *bs = memchr(s + i, '\\', n - i);
		size_t run = bs ? (size_t)(bs - s) - i : n - i;
		if ((rc = fw_buf_add(b, s + i, run)) < 0)
			return rc;
		i += run;
		if (i >= n)
			break;
		if (i + 1 >= n)
			return fw_error_set(FW_EINVALID, "bad escape in a string");
		char e = s[i + 1], c;
		switch (e) {
		case '"': c = '"'; break;
		case '\\': c = '\\'; break;
		case '/': c = '/'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u': {
			unsigned u, lo;
			if (i + 6 > n || fw_scan_hex4(s + i + 2, &u) < 0)
				return fw_error_set(FW_EINVALID, "bad \\u escape in a string");
			i += 6;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u' ||
				    fw_scan_hex4(s + i + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
					return fw_error_set(FW_EINVALID,
					    "lone surrogate escape in a string");
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				return fw_error_set(FW_EINVALID, "lone surrogate escape in a string");
			}
			if ((rc = fw_utf8_append(b, u)) < 0)
				return rc;
			continue;
		}
		default:
			return fw_error_set(FW_EINVALID, "bad escape in a string");
		}
		if ((rc = fw_buf_addc(b, c)) < 0)
			return rc;
		i += 2;
	}
	return 0;
}

int
fw_json_quote(fw_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;
	int rc;

	if ((rc = fw_buf_grow(b, n + 2)) < 0)
		return rc;
	b->data[b->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c;
		/* Runs of 8 bytes with nothing to escape go at once: no byte
		 * below 0x20 and none equal to '"' or '\\' (the usual
		 * has-zero-byte tests, exact for "any"). */
		while (n - i >= 8) {
			uint64_t w, q, bs;
			memcpy(&w, s + i, 8);
			q = w ^ 0x2222222222222222ull;
			bs = w ^ 0x5c5c5c5c5c5c5c5cull;
			if ((((w - 0x2020202020202020ull) & ~w) |
			    ((q - 0x0101010101010101ull) & ~q) |
			    ((bs - 0x0101010101010101ull) & ~bs)) & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i == n)
			break;
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if ((rc = fw_buf_add(b, s + run, i - run)) < 0)
			return rc;
		run = i + 1;
		char esc[6] = { '\\', 0 };
		size_t elen = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
			elen = 6;
		}
		if ((rc = fw_buf_add(b, esc, elen)) < 0)
			return rc;
	}
	if ((rc = fw_buf_add(b, s + run, n - run)) < 0)
		return rc;
	return fw_buf_addc(b, '"');
}

const char *
fw_json_number_text(struct json_object *v)
{
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

int
fw_json_number_is_int(const char *t)
{
	return strpbrk(t, ".eE") == NULL;
}

/* Exact powers of ten as doubles (10^22 is the last one a double holds). */
static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * Written by hand for the common case, because every decoded number column
 * goes through here and strtod on a NUL-terminated copy dominated diff's
 * profile: an optional '-', at most 18 digits and at most one '.'. An
 * integer that fits in uint64 converts to the nearest double exactly as
 * strtod rounds; a decimal m / 10^k with m <= 2^53 and k <= 22 is correctly
 * rounded by one IEEE division (Clinger's fast path). Everything else
 * (exponents, long texts) goes to strtod/strtoll.
 */
int
fw_json_number_parse(const char *s, size_t n, double *d, int64_t *i, uint8_t *is_int)
{
	size_t p = 0;
	uint64_t m = 0;
	int neg = 0, nd = 0, frac = 0, dot = 0;

	if (p < n && s[p] == '-') {
		neg = 1;
		p++;
	}
	for (; p < n; p++) {
		unsigned char ch = (unsigned char)s[p];
		if (ch >= '0' && ch <= '9') {
			if (++nd > 18)
				goto slow;
			m = m * 10 + (ch - '0');
			frac += dot;
		} else if (ch == '.' && !dot && nd > 0)
			dot = 1;
		else
			goto slow;
	}
	if (nd == 0 || (dot && frac == 0))
		goto slow;
	if (!dot) {
		*d = neg ? -(double)m : (double)m;
		*i = neg ? -(int64_t)m : (int64_t)m;
		*is_int = 1;
		return 0;
	}
	if (m > (UINT64_C(1) << 53))
		goto slow;
	*d = (double)m / pow10_exact[frac];
	if (neg)
		*d = -*d;
	*i = 0;
	*is_int = 0;
	return 0;
slow:;
	char tmp[64], *heap = NULL, *t = tmp;
	if (n >= sizeof(tmp)) {
		if ((heap = malloc(n + 1)) == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		t = heap;
	}
	memcpy(t, s, n);
	t[n] = '\0';
	*d = strtod(t, NULL);
	*i = 0;
	*is_int = 0;
	if (fw_json_number_is_int(t)) {
		errno = 0;
		long long v = strtoll(t, NULL, 10);
		if (errno == 0) {
			*i = v;
			*is_int = 1;
		}
	}
	free(heap);
	return 0;
}

struct kv {
	const char *k;
	size_t klen;
	struct json_object *v;
};

static int
kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->k, y->k, n);

	if (c)
		return c;
	return x->klen < y->klen ? -1 : x->klen > y->klen;
}

static int
canon(fw_buf *b, struct json_object *v, int depth)
{
	int rc = 0;

	if (depth > FW_JSON_MAX_DEPTH)
		return fw_error_set(FW_EINVALID, "value nested deeper than %d",
		    FW_JSON_MAX_DEPTH);
	switch (json_object_get_type(v)) {
	case json_type_null:
		return fw_buf_adds(b, "null");
	case json_type_boolean:
		return fw_buf_adds(b, json_object_get_boolean(v) ? "true" : "false");
	case json_type_int:
	case json_type_double:
		return fw_buf_adds(b, fw_json_number_text(v));
	case json_type_string: {
		const char *s = json_object_get_string(v);
		size_t n = (size_t)json_object_get_string_len(v);
		if (!fw_utf8_valid(s, n))
			return fw_error_set(FW_EINVALID,
			    "string is not valid UTF-8 (a lone surrogate escape?)");
		return fw_json_quote(b, s, n);
	}
	case json_type_array: {
		size_t n = json_object_array_length(v);
		if ((rc = fw_buf_addc(b, '[')) < 0)
			return rc;
		for (size_t i = 0; i < n; i++) {
			if (i && (rc = fw_buf_addc(b, ',')) < 0)
				return rc;
			if ((rc = canon(b, json_object_array_get_idx(v, i), depth + 1)) < 0)
				return rc;
		}
		return fw_buf_addc(b, ']');
	}
	case json_type_object: {
		size_t n = (size_t)json_object_object_length(v), i = 0;
		struct kv stackv[16], *kvs = n <= 16 ? stackv : malloc(n * sizeof(*kvs));
		if (kvs == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		json_object_object_foreach(v, key, val) {
			kvs[i].k = key;
			kvs[i].klen = strlen(key);
			kvs[i].v = val;
			i++;
		}
		qsort(kvs, n, sizeof(*kvs), kv_cmp);
		rc = fw_buf_addc(b, '{');
		for (i = 0; rc >= 0 && i < n; i++) {
			if (i)
				rc = fw_buf_addc(b, ',');
			if (rc >= 0 && !fw_utf8_valid(kvs[i].k, kvs[i].klen))
				rc = fw_error_set(FW_EINVALID, "key is not valid UTF-8");
			if (rc >= 0)
				rc = fw_json_quote(b, kvs[i].k, kvs[i].klen);
			if (rc >= 0)
				rc = fw_buf_addc(b, ':');
			if (rc >= 0)
				rc = canon(b, kvs[i].v, depth + 1);
		}
		if (kvs != stackv)
			free(kvs);
		return rc < 0 ? rc : fw_buf_addc(b, '}');
	}
	}
	return fw_error_set(FW_EINVALID, "unknown JSON type");
}

int
fw_json_canon(fw_buf *b, struct json_object *v)
{
	return canon(b, v, 0);
}
