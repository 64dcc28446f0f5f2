#include "harness.h"
#include "fw/json.h"
#include "fw/error.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static const char *
canon_of(const char *in, fw_buf *b)
{
	struct json_object *v;

	fw_buf_reset(b);
	if (fw_json_parse(&v, in, strlen(in)) < 0)
		return NULL;
	if (fw_json_canon(b, v) < 0)
		b->len = 0;
	json_object_put(v);
	return b->data ? b->data : "";
}

void
test_json_canon(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "{\"b\":1, \"a\":[true,false,null]}", "{\"a\":[true,false,null],\"b\":1}" },
		{ "[0.1, 1.50, 1e5, 1E400, -0, -0.0]", "[0.1,1.50,1e5,1E400,-0,-0.0]" },
		{ "123456789012345678901234567890", "123456789012345678901234567890" },
		{ "[18446744073709551616,-9223372036854775809,9223372036854775807]",
		  "[18446744073709551616,-9223372036854775809,9223372036854775807]" },
		{ "{\"x\":{\"big\":99999999999999999999999}}", "{\"x\":{\"big\":99999999999999999999999}}" },
		{ "\"a/b\\u0001\\n\\\"é\"", "\"a/b\\u0001\\n\\\"é\"" },
		{ " \"s\" \n", "\"s\"" },
		{ "\"\\u0000\"", "\"\\u0000\"" },
	};
	fw_buf b = FW_BUF_INIT;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(canon_of(cases[i].in, &b), cases[i].out);
	fw_buf_release(&b);
}

void
test_json_rejects(void)
{
	static const char *bad[] = { "", "  ", "[1,2", "{\"a\":1}x", "[01]",
	    "{'a':1}", "[1,]", "\"\\ud800\"", "nul", "1 2", "[\"\xff\"]",
	    "\"\xc0\xaf\"", "{\"a\" 1}", "[NaN]" };
	fw_buf b = FW_BUF_INIT;
	char *deep;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_object *v = NULL;
		int rc = fw_json_parse(&v, bad[i], strlen(bad[i]));
		if (rc == 0) {
			/* A lone surrogate parses but must not canonicalise. */
			rc = fw_json_canon(&b, v);
			json_object_put(v);
		}
		CHECK_MSG(rc == FW_EINVALID, "case %zu accepted", i);
	}
	deep = malloc(200001);
	memset(deep, '[', 100000);
	memset(deep + 100000, ']', 100000);
	struct json_object *v = NULL;
	CHECK_INT(fw_json_parse(&v, deep, 200000), FW_EINVALID);
	CHECK(strstr(fw_error_last(), "deeper") != NULL);
	CHECK_INT(fw_json_parse(&v, "[1,\0]", 5), FW_EINVALID);
	CHECK(strstr(fw_error_last(), "NUL") != NULL);
	free(deep);
	fw_buf_release(&b);
}

/* Top-level scalars parse (json-c alone waits for what follows them), and
 * JSON null is NULL with success. */
void
test_json_toplevel(void)
{
	static const char *ok[] = { "42", " -0 ", "1.50", "1e5", "true", "false",
	    "\"s\"", "123456789012345678901234567890" };
	fw_buf b = FW_BUF_INIT;
	struct json_object *v = NULL;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *t = ok[i];
		size_t n = strlen(t);
		CHECK_MSG(fw_json_parse(&v, t, n) == 0, "%s: %s", t, fw_error_last());
		fw_buf_reset(&b);
		CHECK_OK(fw_json_canon(&b, v));
		while (*t == ' ')
			t++, n--;
		while (n && t[n - 1] == ' ')
			n--;
		CHECK_MSG(b.len == n && memcmp(b.data, t, n) == 0, "%s -> %s", ok[i], b.data);
		json_object_put(v);
	}
	v = (struct json_object *)&b;
	CHECK_OK(fw_json_parse(&v, "null", 4));
	CHECK(v == NULL);
	CHECK_INT(fw_json_parse(&v, "42x", 3), FW_EINVALID);
	CHECK_INT(fw_json_parse(&v, "tru", 3), FW_EINVALID);
	fw_buf_release(&b);
}

/* fw_json_quote's and fw_utf8_valid's 8-byte fast paths against the plain
 * rules, with special bytes at every offset. */
void
test_json_fast_paths(void)
{
	static const char specials[] = "\"\\\n\x01\x1f\x7f\xc3\xa9\xff a";
	unsigned seed = 12345;

	for (int t = 0; t < 3000; t++) {
		char s[64];
		size_t n = (size_t)(t % 40);
		int valid = 1;
		fw_buf got = FW_BUF_INIT, want = FW_BUF_INIT;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = (seed >> 16) % 4 == 0 ? specials[(seed >> 8) % (sizeof(specials) - 1)] :
			    (char)('a' + (seed >> 20) % 26);
		}
		CHECK_OK(fw_json_quote(&got, s, n));
		fw_buf_addc(&want, '"');
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c == '"' || c == '\\')
				fw_buf_printf(&want, "\\%c", c);
			else if (c == '\n')
				fw_buf_adds(&want, "\\n");
			else if (c < 0x20)
				fw_buf_printf(&want, "\\u%04x", c);
			else
				fw_buf_addc(&want, (char)c);
			/* Valid UTF-8 here: ASCII, or 0xc3 0xa9 exactly. */
			if (c >= 0x80 && !(c == 0xc3 && i + 1 < n && (unsigned char)s[i + 1] == 0xa9))
				valid = (c == 0xa9 && i > 0 && (unsigned char)s[i - 1] == 0xc3) && valid;
		}
		fw_buf_addc(&want, '"');
		CHECK_MSG(got.len == want.len && memcmp(got.data, want.data, got.len) == 0,
		    "%s != %s", got.data, want.data);
		CHECK_INT(fw_utf8_valid(s, n), valid);
		fw_buf_release(&got);
		fw_buf_release(&want);
	}
}

/* fw_json_number_parse against strtod and strtoll on a NUL-terminated copy:
 * the same bits (so -0 stays -0) and the same integer, on texts around the
 * fast path's edges (18 and 19 digits, 2^53, 22 fraction digits). */
void
test_json_number_parse(void)
{
	static const char *fixed[] = {
		"0", "-0", "1", "-1", "0.75", "-0.75", "1.50", "0.1", "9007199254740992",
		"9007199254740993", "9007199254740993.5", "123456789012345678",
		"1234567890123456789", "-9223372036854775808", "9223372036854775808",
		"0.0000000000000000000001", "1.00000000000000000000001", "1E400", "1e-5",
		"-1.5e10", "00", "1.", ".5", "-", "", "1.2.3", "12a", "+1",
	};
	unsigned seed = 777;
	int bad = 0;
	char first[80] = "";

	for (int t = 0; t < 20000 + (int)(sizeof(fixed) / sizeof(fixed[0])); t++) {
		char s[64];
		size_t n = 0;
		if (t < (int)(sizeof(fixed) / sizeof(fixed[0])))
			n = (size_t)snprintf(s, sizeof(s), "%s", fixed[t]);
		else {
			seed = seed * 1103515245u + 12345u;
			if (seed >> 30 == 0)
				s[n++] = '-';
			int nd = 1 + (int)((seed >> 8) % 20), nf = (int)((seed >> 13) % 25);
			for (int k = 0; k < nd; k++) {
				seed = seed * 1103515245u + 12345u;
				s[n++] = (char)('0' + (k == 0 && nd > 1 ? 1 + (seed >> 16) % 9 : (seed >> 16) % 10));
			}
			if ((seed >> 20) % 3 == 0) {
				s[n++] = '.';
				for (int k = 0; k < nf + 1; k++) {
					seed = seed * 1103515245u + 12345u;
					s[n++] = (char)('0' + (seed >> 16) % 10);
				}
			}
			if ((seed >> 24) % 17 == 0)
				n += (size_t)snprintf(s + n, sizeof(s) - n, "e%d", (int)((seed >> 4) % 40) - 20);
			s[n] = '\0';
		}
		double d, wd = strtod(s, NULL);
		int64_t i, wi = 0;
		uint8_t isint, wisint = 0;
		if (fw_json_number_is_int(s)) {
			errno = 0;
			long long v = strtoll(s, NULL, 10);
			if (errno == 0) {
				wi = v;
				wisint = 1;
			}
		}
		/* a copy without its NUL behind it: the parser must stop at n */
		char *copy = malloc(n + 1);
		memcpy(copy, s, n);
		copy[n] = '7';
		int rc = fw_json_number_parse(copy, n, &d, &i, &isint);
		free(copy);
		if (rc < 0 || memcmp(&d, &wd, sizeof(d)) != 0 || i != wi || isint != wisint) {
			if (bad++ == 0)
				snprintf(first, sizeof(first), "%s: %.17g %lld %d", s, d, (long long)i, isint);
		}
	}
	CHECK_MSG(bad == 0, "%d mismatches, first %s", bad, first);
}
