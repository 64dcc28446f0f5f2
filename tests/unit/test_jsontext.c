/* fw_json_canon_text and fw_json_split_object against the json-c path:
 * the same bytes for every input both accept, and the same refusals. */
#include "harness.h"
#include "fw/json.h"
#include "fw/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

static uint64_t rs = 0x2545F4914F6CDD1Dull;

static unsigned
rnd(unsigned n)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (unsigned)(rs % n);
}

/* 1 when both paths agree on text; counts disagreements */
static int
agree(const char *text, size_t len)
{
	fw_buf a = FW_BUF_INIT, b = FW_BUF_INIT;
	struct json_object *v = NULL;
	int ra, rb, same;

	ra = fw_json_parse(&v, text, len);
	if (ra == 0)
		ra = fw_json_canon(&a, v);
	json_object_put(v);
	rb = fw_json_canon_text(&b, text, len);
	same = (ra < 0) == (rb < 0) && (ra < 0 || (a.len == b.len && memcmp(a.data, b.data, a.len) == 0));
	if (!same)
		fprintf(stderr, "  disagree on %.*s\n    json-c: %d %.*s\n    text:   %d %.*s\n",
		    (int)(len > 200 ? 200 : len), text, ra, (int)(a.len > 200 ? 200 : a.len),
		    a.data ? a.data : "", rb, (int)(b.len > 200 ? 200 : b.len), b.data ? b.data : "");
	/* a split object rebuilt in key order is the canonical record */
	if (same && ra == 0 && a.len && a.data[0] == '{') {
		fw_buf sb = FW_BUF_INIT, rebuilt = FW_BUF_INIT;
		fw_json_member *m = NULL;
		size_t n = 0, cap = 0;
		if (fw_json_split_object(text, len, &sb, &m, &n, &cap) < 0) {
			same = 0;
		} else {
			/* insertion sort by name */
			for (size_t i = 1; i < n; i++)
				for (size_t j = i; j > 0; j--) {
					fw_json_member *x = &m[j - 1], *y = &m[j];
					size_t l = x->name_len < y->name_len ? x->name_len : y->name_len;
					int c = memcmp(sb.data + x->name_off, sb.data + y->name_off, l);
					if (c < 0 || (c == 0 && x->name_len <= y->name_len))
						break;
					fw_json_member t = *x;
					*x = *y;
					*y = t;
				}
			fw_buf_addc(&rebuilt, '{');
			for (size_t i = 0; i < n; i++) {
				if (i)
					fw_buf_addc(&rebuilt, ',');
				fw_json_quote(&rebuilt, sb.data + m[i].name_off, m[i].name_len);
				fw_buf_addc(&rebuilt, ':');
				switch (m[i].kind) {
				case FW_JSON_NULL: fw_buf_adds(&rebuilt, "null"); break;
				case FW_JSON_TRUE: fw_buf_adds(&rebuilt, "true"); break;
				case FW_JSON_FALSE: fw_buf_adds(&rebuilt, "false"); break;
				case FW_JSON_STRING: fw_json_quote(&rebuilt, sb.data + m[i].off, m[i].len); break;
				default: fw_buf_add(&rebuilt, sb.data + m[i].off, m[i].len);
				}
			}
			fw_buf_addc(&rebuilt, '}');
			if (rebuilt.len != a.len || memcmp(rebuilt.data, a.data, a.len) != 0) {
				fprintf(stderr, "  split differs on %.*s\n", (int)(len > 200 ? 200 : len), text);
				same = 0;
			}
		}
		free(m);
		fw_buf_release(&sb);
		fw_buf_release(&rebuilt);
	}
	fw_buf_release(&a);
	fw_buf_release(&b);
	return same;
}

static void
gen(fw_buf *b, int depth)
{
	static const char *const strs[] = { "a", "", "\\u00e9t\\u00e9", "\\ud83d\\ude00", "x\\ny",
	    "q\\\"q", "s\\/l", "\\\\", "caf\xc3\xa9", "\\u0000z", "tab\\t", "\\u001f", "\\u007f",
	    "role", "content", "Role", "b", "aa", "a\\u0000", "\\u001F", "\\u000a", "\\u0008x",
	    "\\u0009", "\\u000d\\u000C" };
	static const char *const nums[] = { "0", "-0", "1.50", "1e5", "-2.5E-3", "123456789012345678901234567890",
	    "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
	    "0.1", "1E400", "42" };
	int t = depth > 4 ? rnd(4) : rnd(7);

	if (rnd(8) == 0)
		fw_buf_adds(b, " \n\t");
	switch (t) {
	case 0: fw_buf_printf(b, "\"%s\"", strs[rnd(sizeof(strs) / sizeof(*strs))]); break;
	case 1: fw_buf_adds(b, nums[rnd(sizeof(nums) / sizeof(*nums))]); break;
	case 2: fw_buf_adds(b, rnd(3) == 0 ? "null" : rnd(2) ? "true" : "false"); break;
	case 3: fw_buf_printf(b, "%u", rnd(100000)); break;
	case 4: case 5: {
		int n = rnd(5);
		fw_buf_addc(b, '[');
		for (int i = 0; i < n; i++) {
			if (i)
				fw_buf_addc(b, ',');
			gen(b, depth + 1);
		}
		fw_buf_addc(b, ']');
		break;
	}
	default: {
		int n = rnd(6);
		fw_buf_addc(b, '{');
		for (int i = 0; i < n; i++) {
			if (i)
				fw_buf_adds(b, rnd(4) ? "," : " , ");
			fw_buf_printf(b, "\"%s\"", strs[rnd(sizeof(strs) / sizeof(*strs))]);
			fw_buf_adds(b, rnd(4) ? ":" : " : ");
			gen(b, depth + 1);
		}
		fw_buf_addc(b, '}');
	}
	}
}

void
test_jsontext_differential(void)
{
	static const char *const cases[] = {
		"{}", "[]", "{\"b\":1,\"a\":2}", "{\"a\":1,\"a\":2}", "{\"a\":1,\"b\":2,\"a\":3}",
		"{\"\\u0061\":1,\"a\":2}", "{\"z\":{\"y\":[1,{\"x\":2,\"w\":3}]},\"a\":null}",
		"\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "[1,]", "{\"a\":1,}", "{'a':1}",
		"[NaN]", "[01]", "1 2", "", " ", "{\"a\"}", "[\"\\x\"]", "[\"a\"", "nul", "tru",
		"{\"a\":1}x", "[1e]", "[-]", "[1.]", "[.5]", "\"\xc3\"", "\"\xed\xa0\x80\"",
	};
	fw_buf b = FW_BUF_INIT;
	int bad = 0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		bad += !agree(cases[i], strlen(cases[i]));
	for (int i = 0; i < 20000; i++) {
		fw_buf_reset(&b);
		gen(&b, 0);
		bad += !agree(b.data, b.len);
		/* and a mutation of it */
		if (b.len) {
			size_t at = rnd((unsigned)b.len);
			static const char pool[] = "{}[]\",:\\u0123456789eE.-+ tfn\x80\xff";
			b.data[at] = pool[rnd(sizeof(pool) - 1)];
			bad += !agree(b.data, b.len);
		}
	}
	CHECK_MSG(bad == 0, "%d disagreements", bad);
	fw_buf_release(&b);
}

void
test_jsontext_real(void)
{
	const char *data = t_data_dir();
	char path[4096], *line = NULL;
	size_t cap = 0, lines = 0;
	ssize_t n;
	int bad = 0;

	if (data == NULL) {
		fprintf(stderr, "  skip: no shared data\n");
		return;
	}
	/* every line of hh-rlhf, and every tau-bench/swe-agent file whole */
	snprintf(path, sizeof(path), "zcat %s/trajectories/hh-rlhf/harmless-base-test.jsonl.gz", data);
	FILE *f = popen(path, "r");
	while (f && (n = getline(&line, &cap, f)) > 0) {
		bad += !agree(line, (size_t)n - (line[n - 1] == '\n'));
		lines++;
	}
	if (f)
		pclose(f);
	snprintf(path, sizeof(path), "cat %s/trajectories/tau-bench/*.json %s/trajectories/swe-agent/*.traj",
	    data, data);
	f = popen(path, "r");
	fw_buf all = FW_BUF_INIT;
	char chunk[65536];
	size_t r;
	while (f && (r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fw_buf_add(&all, chunk, r);
	if (f)
		pclose(f);
	/* the files are concatenated; check the first (tau-bench array) whole */
	const char *end = strstr(all.data ? all.data : "", "\n]");
	if (end)
		bad += !agree(all.data, (size_t)(end - all.data) + 2);
	CHECK_MSG(lines == 2312, "%zu lines", lines);
	CHECK_MSG(bad == 0, "%d disagreements", bad);
	free(line);
	fw_buf_release(&all);
}

/* Empty keys and strings: the decoder must still leave its buffer usable
 * (an empty first key once left it NULL; UBSan caught it). */
void
test_jsontext_empty_strings(void)
{
	static const char *const cases[] = { "{\"\":1}", "{\"\":\"\",\"a\":\"\"}",
	    "[\"\",{\"\":[\"\"]}]", "{\"b\":1,\"\":2}" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		CHECK_MSG(agree(cases[i], strlen(cases[i])), "%s", cases[i]);
}
