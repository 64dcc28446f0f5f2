/*
 * Reading JSON text in place, without building json-c objects: a column's
 * ARRAY and OBJECT payloads are canonical JSON (fw_json_canon), and a filter
 * that looks at `outcome.resolved` or counts `messages` only needs to find
 * the spans of a few values. Every read is bounds-checked; text that is not
 * well-formed JSON makes these functions return -1 (the caller reports a
 * corrupt column), never read past the end.
 *
 * White space between tokens is skipped, and escapes in keys and strings are
 * decoded, so any RFC 8259 text reads correctly, canonical or not.
 */
#include "filter_int.h"
#include "json_scan.h"
#include "fw/error.h"
#include "fw/json.h"

#include <string.h>

static size_t
ws(const char *s, size_t n, size_t i)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* Index just past the value starting at s[i], or 0 on malformed text. */
static size_t
skip_value(const char *s, size_t n, size_t i)
{
	size_t depth = 0;

	if (i >= n)
		return 0;
	if (s[i] != '"' && s[i] != '[' && s[i] != '{') {
		size_t st = i;
		while (i < n && s[i] != ',' && s[i] != ']' && s[i] != '}' &&
		    s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' &&
		    s[i] != ':')
			i++;
		return i > st ? i : 0;
	}
	/* Strings, and containers by bracket depth (no recursion). */
	do {
		char c = s[i];
		if (c == '"') {
			i++;
			for (;;) {
				const char *q = memchr(s + i, '"', n - i);
				if (q == NULL)
					return 0;
				size_t j = (size_t)(q - s), bs = 0;
				while (j - bs > i && s[j - bs - 1] == '\\')
					bs++;
				i = j + 1;
				if (bs % 2 == 0)
					break;
			}
			continue;
		}
		if (c == '[' || c == '{')
			depth++;
		else if (c == ']' || c == '}') {
			if (depth == 0)
				return 0;
			depth--;
		}
		i++;
	} while (depth > 0 && i < n);
	return depth == 0 ? i : 0;
}

int
filter_scan_begin(struct filter_scan *it, const char *s, size_t n)
{
	size_t i = ws(s, n, 0);

	if (i >= n || (s[i] != '[' && s[i] != '{'))
		return -1;
	it->s = s;
	it->n = n;
	it->obj = s[i] == '{';
	it->i = i + 1;
	it->first = 1;
	return 0;
}

int
filter_scan_next(struct filter_scan *it, const char **key, size_t *klen,
    const char **val, size_t *vlen)
{
	const char *s = it->s;
	size_t n = it->n, i = ws(s, n, it->i), e;

	if (i >= n)
		return -1;
	if (s[i] == (it->obj ? '}' : ']')) {
		it->i = i;
		return 0;
	}
	if (!it->first) {
		if (s[i] != ',')
			return -1;
		i = ws(s, n, i + 1);
	}
	it->first = 0;
	if (it->obj) {
		if (i >= n || s[i] != '"' || (e = skip_value(s, n, i)) == 0)
			return -1;
		*key = s + i + 1;
		*klen = e - i - 2;
		i = ws(s, n, e);
		if (i >= n || s[i] != ':')
			return -1;
		i = ws(s, n, i + 1);
	} else {
		*key = NULL;
		*klen = 0;
	}
	if ((e = skip_value(s, n, i)) == 0)
		return -1;
	*val = s + i;
	*vlen = e - i;
	it->i = e;
	return 1;
}

int
filter_unescape(fw_buf *b, const char *s, size_t n)
{
	int rc = fw_json_unescape(b, s, n);

	return rc == FW_ENOMEM ? -2 : rc < 0 ? -1 : 0;
}
