#include "fw/json.h"
#include "fw/error.h"

#include <errno.h>
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
			s++;
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

static void
sentinel_init(void)
{
	uint64_t nonce = 0;

	if (sentinel_prefix[0] == 0 && sentinel_prefix[1] == 0) {
		if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
			nonce = (uint64_t)(uintptr_t)&nonce ^ 0x9e3779b97f4a7c15ull;
		snprintf(sentinel_prefix + 1, sizeof(sentinel_prefix) - 1,
		    "fwnum%016llx:", (unsigned long long)nonce);
	}
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

/* Returns 1 and fills out with a rewritten text when some integer needs it. */
static int
rewrite_big_ints(const char *s, size_t len, fw_buf *out, size_t *count)
{
	size_t i = 0, last = 0;
	int in_str = 0;

	*count = 0;
	while (i < len) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i += 2;
			else {
				if (c == '"')
					in_str = 0;
				i++;
			}
			continue;
		}
		if (c == '"') {
			in_str = 1;
			i++;
			continue;
		}
		if (c == '-' || (c >= '0' && c <= '9')) {
			size_t st = i;
			int is_int = 1;
			i++;
			while (i < len && (strchr("0123456789+-.eE", s[i]) != NULL)) {
				if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
					is_int = 0;
				i++;
			}
			if (is_int && int_token_needs_text(s + st, i - st)) {
				if (fw_buf_add(out, s + last, st - last) < 0 ||
				    fw_buf_addc(out, '"') < 0 ||
				    fw_buf_adds(out, "\\u0000") < 0 ||
				    fw_buf_adds(out, sentinel_prefix + 1) < 0 ||
				    fw_buf_add(out, s + st, i - st) < 0 ||
				    fw_buf_addc(out, '"') < 0)
					return FW_ENOMEM;
				last = i;
				(*count)++;
			}
			continue;
		}
		i++;
	}
	if (*count == 0)
		return 0;
	if (fw_buf_add(out, s + last, len - last) < 0)
		return FW_ENOMEM;
	return 1;
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
	size_t nbig = 0, end;
	int rc = 0;

	*out = NULL;
	if (memchr(text, '\0', len) != NULL) {
		size_t at = (size_t)((const char *)memchr(text, '\0', len) - text);
		return fw_error_set(FW_EINVALID, "invalid JSON at byte %zu: NUL byte", at + 1);
	}
	if (!fw_utf8_valid(text, len))
		return fw_error_set(FW_EINVALID, "invalid UTF-8");
	sentinel_init();
	if ((rc = rewrite_big_ints(text, len, &tmp, &nbig)) < 0)
		goto done;
	if (rc == 1) {
		text = tmp.data;
		len = tmp.len;
	}
	rc = 0;
	tok = json_tokener_new_ex(FW_JSON_MAX_DEPTH);
	if (tok == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	v = json_tokener_parse_ex(tok, text, (int)len);
	if (v == NULL) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		if (e == json_tokener_continue || e == json_tokener_success)
			rc = fw_error_set(FW_EINVALID, "invalid JSON: %s",
			    len == 0 || strspn(text, " \t\r\n") == len ?
			    "empty" : "truncated value");
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
	end = json_tokener_get_parse_end(tok);
	/* json-c stops after a top-level number only when it sees what follows. */
	while (end < len && strchr(" \t\r\n", text[end]) != NULL && text[end])
		end++;
	if (end < len) {
		rc = fw_error_set(FW_EINVALID,
		    "invalid JSON at byte %zu: unexpected data after the value", end + 1);
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
fw_json_quote(fw_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;
	int rc;

	if ((rc = fw_buf_grow(b, n + 2)) < 0)
		return rc;
	b->data[b->len++] = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if ((rc = fw_buf_add(b, s + run, i - run)) < 0)
			return rc;
		run = i + 1;
		char esc[7] = { '\\', 0 };
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
		}
		if ((rc = fw_buf_adds(b, esc)) < 0)
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
