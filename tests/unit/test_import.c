#include "harness.h"
#include "fw/error.h"
#include "fw/import.h"
#include "fw/json.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

/* What the sink received: every record's canonical JSON and a newline. */
struct got {
	fw_buf all;
	size_t n, calls;
	int fail_at_call;	/* > 0: the sink fails on that call */
};

static int
map_canon(void *arg, struct json_object *rec, fw_buf *out)
{
	struct json_object *id;
	int rc;

	(void)arg;
	/* A record whose id is "map-fails" makes map fail, to test that path. */
	if (json_object_object_get_ex(rec, "id", &id) &&
	    strcmp(json_object_get_string(id), "map-fails") == 0)
		return fw_error_set(FW_EINVALID, "map said no");
	if ((rc = fw_json_canon(out, rec)) < 0)
		return rc;
	return fw_buf_addc(out, '\n');
}

static int
sink_collect(void *arg, const char *bytes, size_t len, size_t n)
{
	struct got *g = arg;

	g->calls++;
	if (g->fail_at_call && (int)g->calls == g->fail_at_call)
		return fw_error_set(FW_EIO, "sink refused block %zu", g->calls);
	g->n += n;
	return fw_buf_add(&g->all, bytes, len);
}

static int
import(struct got *g, const char *path, fw_format f, int threads, fw_import_stats *st)
{
	fw_import_opts o = { f, threads, map_canon, sink_collect, NULL, g, NULL };

	fw_buf_reset(&g->all);
	g->n = g->calls = 0;
	return fw_import_file(st, path, &o);
}

static const char *
write_tmp(const char *name, const void *data, size_t len)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t_tmpdir(), name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	return path;
}

static const char *
write_gz(const char *name, const void *data, size_t len)
{
	static char path[512];
	gzFile z;

	snprintf(path, sizeof(path), "%s/%s", t_tmpdir(), name);
	z = gzopen(path, "wb");
	if (z == NULL || gzwrite(z, data, (unsigned)len) != (int)len || gzclose(z) != Z_OK) {
		perror(path);
		exit(2);
	}
	return path;
}

/* The n-th line (0-based) of the collected output, parsed. */
static struct json_object *
nth(const struct got *g, size_t n)
{
	const char *p = g->all.data, *end = p + g->all.len, *nl;
	struct json_object *v = NULL;

	for (; p && p < end; p = nl + 1, n--) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return NULL;
		if (n == 0)
			return fw_json_parse(&v, p, (size_t)(nl - p)) == 0 ? v : NULL;
	}
	return NULL;
}

/* A string at a path of keys and indexes, like "messages.0.role". */
static const char *
at(struct json_object *v, const char *path)
{
	char tmp[256], *save = NULL;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *k = strtok_r(tmp, ".", &save); k && v; k = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(v, json_type_array))
			v = json_object_array_get_idx(v, (size_t)atoi(k));
		else if (!json_object_object_get_ex(v, k, &v))
			v = NULL;
	}
	if (v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
}

/* Every collected line re-parses to the same canonical bytes. */
static int
canon_stable(const struct got *g)
{
	const char *p = g->all.data, *end = p + g->all.len, *nl;
	int ok = 1;

	for (; p < end; p = nl + 1) {
		struct json_object *v = NULL;
		fw_buf b = FW_BUF_INIT;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL || fw_json_parse(&v, p, (size_t)(nl - p)) < 0 ||
		    fw_json_canon(&b, v) < 0 || b.len != (size_t)(nl - p) ||
		    memcmp(b.data, p, b.len) != 0)
			ok = 0;
		json_object_put(v);
		fw_buf_release(&b);
		if (!ok)
			break;
	}
	return ok;
}

#define S(lit) lit, sizeof(lit) - 1

static const struct bad_case {
	const char *file;	/* name in the temporary folder */
	const char *data;
	size_t len;
	fw_format format;
	int code;
	const char *where;	/* "%s" is the path: the message must start so */
	const char *reason;	/* and contain this */
} bad_cases[] = {
	{ "a.jsonl", S("{\"id\":\"a\"}\n{\"id\":}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:2: ", "invalid JSON at byte 7" },
	{ "a.jsonl", S("{\"id\":\"a\"}\n{\"id\":\"b\""), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:2: ", "truncated value" },
	{ "a.jsonl", S("{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\","), FW_FORMAT_AUTO,
	  FW_EINVALID, "bad record at %s:3: ", "truncated value" },
	{ "a.jsonl", S("{\"id\":\"\xc0\xaf\"}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "invalid UTF-8" },			/* overlong */
	{ "a.jsonl", S("{\"id\":\"x\"}\n{\"id\":\"a\x80\"}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:2: ", "invalid UTF-8" },			/* lone continuation */
	{ "a.jsonl", S("{\"id\":\"\xed\xa0\x80\"}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "invalid UTF-8" },			/* encoded surrogate */
	{ "a.jsonl", S("{\"id\":\"\xfe\"}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "invalid UTF-8" },
	{ "a.jsonl", S("{\"id\":\"a\",\"x\":\"\xff\"}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "invalid UTF-8" },
	{ "a.jsonl", S("{\"id\":\"\xf4\x90\x80\x80\"}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "invalid UTF-8" },			/* > U+10FFFF */
	{ "a.jsonl", S("{\"id\":\"\\ud800\"}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "lone surrogate escape" },	/* surrogate escape */
	{ "a.jsonl", S("{\"id\":\"a\",\"t\":\"x\\udc00y\"}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "lone surrogate escape" },
	{ "a.jsonl", S("{\"id\":\"a\"}\n{\"id\":\"b\0\"}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:2: ", "NUL byte" },
	{ "a.jsonl", S("{\"id\":5}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "\"id\" is a number, must be a non-empty string" },
	{ "a.jsonl", S("{\"id\":null}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "\"id\" is null" },
	{ "a.jsonl", S("{\"id\":{\"a\":1}}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "\"id\" is an object" },
	{ "a.jsonl", S("{\"id\":[\"a\"]}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "\"id\" is an array" },
	{ "a.jsonl", S("{\"id\":true}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "\"id\" is a boolean" },
	{ "a.jsonl", S("{\"id\":\"\"}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "\"id\" is an empty string" },
	{ "a.jsonl", S("{\"id\":\"a\"}\n[1,2]\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:2: ", "a record must be a JSON object, not an array" },
	{ "a.jsonl", S("\"just a string\"\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "not a string" },
	{ "a.jsonl", S("42\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "not a number" },
	{ "a.jsonl", S("null\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "not null" },
	{ "a.jsonl", S("{\"id\":\"a\"} {\"id\":\"b\"}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "unexpected data after the value" },
	{ "a.jsonl", S("{'id':'a'}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "invalid JSON" },
	{ "a.jsonl", S("{\"id\":\"a\",}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "invalid JSON" },
	{ "a.jsonl", S("{\"id\":\"a\",\"n\":NaN}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "invalid JSON" },
	{ "a.jsonl", S("{\"id\":\"a\",\"n\":01}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "invalid JSON" },
	{ "a.jsonl", S("{\"id\":\"a\tb\"}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "invalid JSON" },			/* raw control byte */
	{ "a.jsonl", S("{\"id\":\"a\"}\n\xef\xbb\xbf{\"id\":\"b\"}\n"), FW_FORMAT_JSONL,
	  FW_EINVALID, "bad record at %s:2: ", "invalid JSON" },	/* BOM not at start */
	{ "a.jsonl", S("{\"id\":\"map-fails\"}\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "bad record at %s:1: ", "map said no" },
	{ "a.jsonl", S(""), FW_FORMAT_JSONL, FW_EINVALID,
	  "%s: empty file, no records", "" },
	{ "a.jsonl", S("\xef\xbb\xbf"), FW_FORMAT_AUTO, FW_EINVALID,
	  "%s: empty file, no records", "" },
	{ "a.jsonl", S("\n\n  \r\n\t\n"), FW_FORMAT_JSONL, FW_EINVALID,
	  "%s: only blank lines, no records", "" },
	{ "t.json", S(" [ ]\n"), FW_FORMAT_TAU_BENCH, FW_EINVALID,
	  "%s: an empty array, no records", "" },
	{ "t.json", S("{\"task_id\":1}\n"), FW_FORMAT_TAU_BENCH, FW_EINVALID,
	  "bad record at %s:1: ", "a tau-bench file must hold a JSON array, not an object" },
	{ "t.json", S("[\n{\"task_id\":1,\"trial\":0,\"traj\":[]},\n{\"task_id\":2,\"trial\":0}\n]\n"),
	  FW_FORMAT_TAU_BENCH, FW_EINVALID, "bad record at %s:3: ", "no \"traj\"" },
	{ "t.json", S("[\n  5\n]"), FW_FORMAT_TAU_BENCH, FW_EINVALID,
	  "bad record at %s:2: ", "array element is a number, must be an object" },
	{ "t.json", S("[\n{\"task_id\":1,\"trial\":0,\"traj\":{}}]"), FW_FORMAT_TAU_BENCH,
	  FW_EINVALID, "bad record at %s:2: ", "\"traj\" is an object, must be an array" },
	{ "t.json", S("[\n{\"task_id\":1,\"trial\":0,\"traj\":[]},\n{\"task_id\":1,\n\"trial\":0,\"traj\":[}]"),
	  FW_FORMAT_TAU_BENCH, FW_EINVALID, "bad record at %s:4: ", "invalid JSON" },
	{ "t.json", S("[{\"task_id\":1,\"trial\":0,\"traj\":[]}\n"), FW_FORMAT_TAU_BENCH,
	  FW_EINVALID, "bad record at %s:", "the array is not closed" },
	{ "t.json", S("[{\"task_id\":1,\"trial\":0,\"traj\":[]}]\nx"), FW_FORMAT_TAU_BENCH,
	  FW_EINVALID, "bad record at %s:2: ", "unexpected data after the array" },
	{ "t.json", S("[{\"trial\":0,\"traj\":[]}]"), FW_FORMAT_TAU_BENCH,
	  FW_EINVALID, "bad record at %s:1: ", "no \"task_id\"" },
	{ "t.json", S("[{\"task_id\":1,\"trial\":0,\"traj\":[],\"reward\":\"1\"}]"),
	  FW_FORMAT_TAU_BENCH, FW_EINVALID, "bad record at %s:1: ", "\"reward\" is a string" },
	{ "x.traj", S("[1]\n"), FW_FORMAT_AUTO, FW_EINVALID,
	  "bad record at %s:1: ", "a .traj file must hold one JSON object, not an array" },
	{ "x.traj", S("{\n\"history\": [\n  {\"role\": \"user\", \"content\": x}\n]}\n"),
	  FW_FORMAT_AUTO, FW_EINVALID, "bad record at %s:3: ", "invalid JSON" },
	{ "x.traj", S("{\"info\": {}}"), FW_FORMAT_SWE_AGENT, FW_EINVALID,
	  "bad record at %s:1: ", "no \"history\" and no \"trajectory\"" },
	{ "x.traj", S("{\"history\": [{\"content\": \"hi\"}]}"), FW_FORMAT_SWE_AGENT,
	  FW_EINVALID, "bad record at %s:1: ", "history[0] has no \"role\" string" },
	{ "h.jsonl", S("{\"chosen\":\"\\n\\nHuman: a\\n\\nAssistant: b\"}\n"), FW_FORMAT_HH_RLHF,
	  FW_EINVALID, "bad record at %s:1: ", "no \"rejected\"" },
	{ "h.jsonl", S("{\"chosen\":\"\\n\\nHuman: a\\n\\nAssistant: b\",\"rejected\":\"x\"}\n"
	  "{\"chosen\":1,\"rejected\":\"x\"}\n"), FW_FORMAT_AUTO, FW_EINVALID,
	  "bad record at %s:2: ", "\"chosen\" is a number, must be a string" },
	{ "a.jsonl.gz", S("this is not gzip data"), FW_FORMAT_AUTO, FW_EINVALID,
	  "%s: bad gzip data", "" },
	{ "a.jsonl.zst", S("this is not zstd data"), FW_FORMAT_AUTO, FW_EINVALID,
	  "%s: bad zstd data", "" },
	{ "a.jsonl.gz", S("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x2b"), FW_FORMAT_AUTO,
	  FW_EINVALID, "%s: bad gzip data: truncated", "" },
	{ "a.dat", S("hello\n"), FW_FORMAT_AUTO, FW_EINVALID,
	  "%s: cannot tell the format", "name one with --format" },
	{ "a.json", S("[{\"a\":1}]"), FW_FORMAT_AUTO, FW_EINVALID,
	  "%s: cannot tell the format", "no \"traj\"" },
	{ "a.json", S("{\"a\":1}"), FW_FORMAT_AUTO, FW_EINVALID,
	  "%s: cannot tell the format", "no \"history\"" },
};

static void
check_bad(const struct bad_case *c, const char *path, int rc)
{
	char want[1024];

	snprintf(want, sizeof(want), c->where, path);
	CHECK_MSG(rc == c->code, "case %s %.40s: rc %d, want %d (%s)", c->file,
	    c->data, rc, c->code, fw_error_last());
	CHECK_MSG(strncmp(fw_error_last(), want, strlen(want)) == 0 &&
	    strstr(fw_error_last(), c->reason) != NULL,
	    "message \"%s\", want \"%s...%s\"", fw_error_last(), want, c->reason);
}

void
test_import_bad_input(void)
{
	struct got g = { FW_BUF_INIT, 0, 0, 0 };
	const size_t n = sizeof(bad_cases) / sizeof(bad_cases[0]);

	CHECK(n >= 30);
	for (size_t i = 0; i < n; i++) {
		const struct bad_case *c = &bad_cases[i];
		const char *path = write_tmp(c->file, c->data, c->len);
		/* Whatever the sink got before the error is the caller's to
		 * discard (staging is all or nothing); only the error matters. */
		check_bad(c, path, import(&g, path, c->format, 2, NULL));
		check_bad(c, path, import(&g, path, c->format, 1, NULL));
	}
	fw_buf_release(&g.all);
}

void
test_import_bad_misc(void)
{
	struct got g = { FW_BUF_INIT, 0, 0, 0 };
	char want[600], deep[200100];
	const char *path, *dir = t_tmpdir();
	fw_format f;
	size_t k = 0;

	CHECK_INT(fw_format_parse(&f, "csv"), FW_EINVALID);
	CHECK_STR(fw_error_last(), "unknown format 'csv': valid formats are auto, "
	    "jsonl, tau-bench, swe-agent, hh-rlhf");
	CHECK_OK(fw_format_parse(&f, "hh-rlhf"));
	CHECK_INT(f, FW_FORMAT_HH_RLHF);
	CHECK_STR(fw_format_name(FW_FORMAT_TAU_BENCH), "tau-bench");

	snprintf(want, sizeof(want), "%s/missing.jsonl", dir);
	CHECK_INT(import(&g, want, FW_FORMAT_AUTO, 2, NULL), FW_EIO);
	{
		char msg[700];
		snprintf(msg, sizeof(msg), "cannot open %s/missing.jsonl: No such file or directory", dir);
		CHECK_STR(fw_error_last(), msg);
	}
	CHECK_INT(import(&g, dir, FW_FORMAT_JSONL, 2, NULL), FW_EIO);
	snprintf(want, sizeof(want), "cannot read %s: Is a directory", dir);
	CHECK_STR(fw_error_last(), want);

	/* 100,000 nested arrays in a record. */
	k += (size_t)snprintf(deep, sizeof(deep), "{\"id\":\"a\"}\n{\"id\":\"d\",\"x\":");
	for (int i = 0; i < 100000; i++)
		deep[k++] = '[';
	for (int i = 0; i < 100000; i++)
		deep[k++] = ']';
	deep[k++] = '}';
	deep[k++] = '\n';
	path = write_tmp("deep.jsonl", deep, k);
	CHECK_INT(import(&g, path, FW_FORMAT_AUTO, 2, NULL), FW_EINVALID);
	snprintf(want, sizeof(want), "bad record at %s:2: ", path);
	CHECK(strncmp(fw_error_last(), want, strlen(want)) == 0);
	CHECK(strstr(fw_error_last(), "nested deeper than 512") != NULL);

	/* A truncated gzip stream of good records. */
	{
		const char *gz = write_gz("t.jsonl.gz", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n", 22);
		char buf[200];
		FILE *fp = fopen(gz, "rb");
		size_t n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		path = write_tmp("cut.jsonl.gz", buf, n - 6);
		CHECK_INT(import(&g, path, FW_FORMAT_AUTO, 2, NULL), FW_EINVALID);
		CHECK(strstr(fw_error_last(), "bad gzip data: truncated") != NULL);
	}

	/* The sink's error is returned as it is. */
	g.fail_at_call = 1;
	path = write_tmp("s.jsonl", S("{\"id\":\"a\"}\n"));
	CHECK_INT(import(&g, path, FW_FORMAT_AUTO, 2, NULL), FW_EIO);
	CHECK_STR(fw_error_last(), "sink refused block 1");
	path = write_tmp("s.traj", S("{\"history\":[{\"role\":\"user\",\"content\":\"x\"}]}"));
	g.calls = 0;
	CHECK_INT(import(&g, path, FW_FORMAT_AUTO, 2, NULL), FW_EIO);
	CHECK_STR(fw_error_last(), "sink refused block 1");
	g.fail_at_call = 0;
	fw_buf_release(&g.all);
}

/* Lines of a generated file: "{"id":"rN","n":N,"pad":"..."}". */
static char *
gen_lines(size_t nlines, size_t *len, size_t bad1, size_t bad2)
{
	fw_buf b = FW_BUF_INIT;

	for (size_t i = 1; i <= nlines; i++) {
		if (i == bad1 || i == bad2)
			fw_buf_printf(&b, "{\"id\":\"r%zu\",\"n\":%zu,oops}\n", i, i);
		else
			fw_buf_printf(&b, "{\"id\":\"r%zu\",\"n\":%zu,\"x\":[1.50,-0,\"%s\"]}\n",
			    i, i, "padding padding padding padding padding padding padding "
			    "padding padding padding padding padding padding padding");
	}
	return fw_buf_detach(&b, len);
}

void
test_import_blocks(void)
{
	struct got g = { FW_BUF_INIT, 0, 0, 0 };
	fw_import_stats st = { 0 };
	size_t len, nlines = 120000;	/* about 19 MiB: 5 blocks */
	char *data = gen_lines(nlines, &len, 0, 0), want[600];
	const char *path = write_tmp("big.jsonl", data, len);
	int order_ok = 1;

	CHECK(len > 4 * FW_IMPORT_BLOCK);
	for (int threads = 1; threads <= 3; threads++) {
		CHECK_OK(import(&g, path, FW_FORMAT_AUTO, threads, &st));
		CHECK_INT(st.records, nlines);
		CHECK_INT(st.lines, nlines);
		CHECK_INT(st.bytes_in, len);
		CHECK_INT(st.format, FW_FORMAT_JSONL);
		CHECK_INT(g.n, nlines);
		CHECK(g.calls >= 4);
		/* In input order, whatever the threads. */
		const char *p = g.all.data;
		for (size_t i = 1; i <= nlines && order_ok; i++) {
			char id[64];
			int k = snprintf(id, sizeof(id), "{\"id\":\"r%zu\",", i);
			order_ok = strncmp(p, id, (size_t)k) == 0;
			p = strchr(p, '\n') + 1;
		}
		CHECK(order_ok);
	}
	free(data);

	/* The first bad line in input order, exactly, in a later block. */
	data = gen_lines(nlines, &len, 98765, 110001);
	path = write_tmp("bad.jsonl", data, len);
	for (int threads = 1; threads <= 4; threads++) {
		CHECK_INT(import(&g, path, FW_FORMAT_AUTO, threads, NULL), FW_EINVALID);
		snprintf(want, sizeof(want), "bad record at %s:98765: invalid JSON", path);
		CHECK_MSG(strncmp(fw_error_last(), want, strlen(want)) == 0, "%s", fw_error_last());
	}
	free(data);
	data = gen_lines(nlines, &len, 5, 110001);
	path = write_tmp("bad2.jsonl", data, len);
	CHECK_INT(import(&g, path, FW_FORMAT_AUTO, 2, NULL), FW_EINVALID);
	snprintf(want, sizeof(want), "bad record at %s:5: ", path);
	CHECK(strncmp(fw_error_last(), want, strlen(want)) == 0);
	free(data);

	/* A line longer than a block, between short ones. */
	{
		fw_buf b = FW_BUF_INIT;
		fw_buf_adds(&b, "{\"id\":\"a\"}\n{\"id\":\"long\",\"s\":\"");
		for (size_t i = 0; i < FW_IMPORT_BLOCK + 12345; i++)
			fw_buf_addc(&b, 'x');
		fw_buf_adds(&b, "\"}\n{\"id\":\"c\"}\n{\"id\":}\n");
		path = write_tmp("long.jsonl", b.data, b.len);
		CHECK_INT(import(&g, path, FW_FORMAT_AUTO, 2, NULL), FW_EINVALID);
		snprintf(want, sizeof(want), "bad record at %s:4: ", path);
		CHECK_MSG(strncmp(fw_error_last(), want, strlen(want)) == 0, "%s", fw_error_last());
		CHECK_INT(g.n, 1);	/* the first block went to the sink: the caller discards it */
		b.len -= 8;	/* drop the bad line */
		path = write_tmp("long.jsonl", b.data, b.len);
		CHECK_OK(import(&g, path, FW_FORMAT_AUTO, 2, &st));
		CHECK_INT(st.records, 3);
		fw_buf_release(&b);
	}
	fw_buf_release(&g.all);
}

void
test_import_jsonl(void)
{
	struct got g = { FW_BUF_INIT, 0, 0, 0 };
	fw_import_stats st = { 0 };
	struct json_object *v;
	const char *path;
	int saved;

	/* Numbers keep their text; blank lines are skipped; CR LF works; a
	 * BOM at the start is skipped; a missing id is the content's hash. */
	path = write_tmp("n.jsonl", S("\xef\xbb\xbf{\"id\":\"n\",\"a\":0.1,\"b\":1.50,\"c\":1e5,"
	    "\"d\":123456789012345678901234567890,\"e\":-0,\"f\":-0.0,\"g\":1E-7}\r\n"
	    "\r\n   \n{\"b\":2,\"a\":1}\r\n{\"id\":\"dup\",\"id\":\"last\"}"));
	CHECK_OK(import(&g, path, FW_FORMAT_AUTO, 2, &st));
	CHECK_INT(st.records, 3);
	CHECK_INT(st.lines, 5);
	CHECK_INT(st.format, FW_FORMAT_JSONL);
	CHECK(strstr(g.all.data, "{\"a\":0.1,\"b\":1.50,\"c\":1e5,"
	    "\"d\":123456789012345678901234567890,\"e\":-0,\"f\":-0.0,\"g\":1E-7,\"id\":\"n\"}\n") == g.all.data);
	/* sha256 of {"a":1,"b":2} */
	CHECK(strstr(g.all.data, "{\"a\":1,\"b\":2,\"id\":"
	    "\"43258cff783fe7036d8a43033f830adfc60ec037382473548ac742b888292777\"}\n") != NULL);
	/* Duplicate keys: the last one wins, as in json-c, Python and JavaScript. */
	v = nth(&g, 2);
	CHECK_STR(at(v, "id"), "last");
	json_object_put(v);
	CHECK(canon_stable(&g));

	/* Standard input, and the in-memory entry point with gzip. */
	saved = dup(0);
	int fd = open(path, O_RDONLY);
	dup2(fd, 0);
	close(fd);
	CHECK_OK(import(&g, "-", FW_FORMAT_AUTO, 2, &st));
	CHECK_INT(st.records, 3);
	CHECK_INT(import(&g, "-", FW_FORMAT_AUTO, 2, &st), FW_EINVALID);
	CHECK_STR(fw_error_last(), "<stdin>: empty file, no records");
	dup2(saved, 0);
	close(saved);

	path = write_gz("m.jsonl.gz", "{\"id\":\"a\"}\n{\"id\":\"b\"}\n", 22);
	{
		char buf[200];
		FILE *fp = fopen(path, "rb");
		size_t n = fread(buf, 1, sizeof(buf), fp);
		fw_import_opts o = { FW_FORMAT_AUTO, 1, map_canon, sink_collect, NULL, &g, NULL };
		fclose(fp);
		/* Two gzip members back to back, as `cat a.gz b.gz` makes. */
		memcpy(buf + n, buf, n);
		fw_buf_reset(&g.all);
		g.n = 0;
		CHECK_OK(fw_import_buffer(&st, "mem.jsonl.gz", buf, 2 * n, &o));
		CHECK_INT(st.records, 4);
		CHECK_INT(st.bytes_file, 2 * n);
		CHECK_INT(st.bytes_in, 44);
		/* Recognised by its magic bytes, whatever the name. */
		CHECK_OK(fw_import_buffer(&st, "mem.data", buf, n, &o));
		CHECK_INT(st.records, 2);
	}
	fw_buf_release(&g.all);
}

void
test_import_hh_rules(void)
{
	struct got g = { FW_BUF_INIT, 0, 0, 0 };
	fw_import_stats st = { 0 };
	struct json_object *v;
	const char *path = write_tmp("h.jsonl", S(
	    "{\"chosen\":\"\\n\\nHuman: Hi\\n\\nAssistant: Hello!\\n\\nHuman: 2+2?\\n\\nAssistant: 4\","
	    "\"rejected\":\"\\n\\nHuman: Hi\\n\\nAssistant: Hello!\\n\\nHuman: 2+2?\\n\\nAssistant: 5\"}\n"
	    "{\"chosen\":\"\\n\\nHuman: Q\\n\\nAssistant: A\\n\\nHuman: more\\n\\nAssistant: B\","
	    "\"rejected\":\"\\n\\nHuman: Q\\n\\nAssistant: C\"}\n"
	    "{\"chosen\":\"same\",\"rejected\":\"same\"}\n"
	    "{\"chosen\":\"Human: x\\n\\nAssistant:\",\"rejected\":\"Human: x\\n\\nAssistant: no\"}\n"));

	CHECK_OK(import(&g, path, FW_FORMAT_AUTO, 2, &st));
	CHECK_INT(st.format, FW_FORMAT_HH_RLHF);
	CHECK_INT(st.records, 4);
	v = nth(&g, 0);
	CHECK_STR(at(v, "source"), "hh-rlhf");
	CHECK(strncmp(at(v, "id"), "hh-rlhf/", 8) == 0 && strlen(at(v, "id")) == 8 + 32);
	CHECK_STR(at(v, "prompt"), "[{\"content\":\"Hi\",\"role\":\"user\"},{\"content\":"
	    "\"Hello!\",\"role\":\"assistant\"},{\"content\":\"2+2?\",\"role\":\"user\"}]");
	CHECK_STR(at(v, "chosen"), "[{\"content\":\"4\",\"role\":\"assistant\"}]");
	CHECK_STR(at(v, "rejected"), "[{\"content\":\"5\",\"role\":\"assistant\"}]");
	CHECK(at(v, "tags") == NULL);
	json_object_put(v);
	/* Diverging at an assistant turn, one side going on: TRL's split,
	 * tagged. */
	v = nth(&g, 1);
	CHECK_STR(at(v, "prompt"), "[{\"content\":\"Q\",\"role\":\"user\"}]");
	CHECK_STR(at(v, "chosen.2.content"), "B");
	CHECK_STR(at(v, "rejected.0.content"), "C");
	CHECK_STR(at(v, "tags"), "[\"hh-rlhf:unclean-split\"]");
	json_object_put(v);
	/* No markers at all: one user turn each, an empty prompt. */
	v = nth(&g, 2);
	CHECK_STR(at(v, "prompt"), "[]");
	CHECK_STR(at(v, "chosen"), "[{\"content\":\"same\",\"role\":\"user\"}]");
	CHECK_STR(at(v, "tags"), "[\"hh-rlhf:unclean-split\"]");
	json_object_put(v);
	/* A stripped text starting with "Human:"; a marker at the very end
	 * is an empty turn. */
	v = nth(&g, 3);
	CHECK_STR(at(v, "prompt"), "[{\"content\":\"x\",\"role\":\"user\"}]");
	CHECK_STR(at(v, "chosen"), "[{\"content\":\"\",\"role\":\"assistant\"}]");
	CHECK_STR(at(v, "rejected"), "[{\"content\":\"no\",\"role\":\"assistant\"}]");
	CHECK(at(v, "tags") == NULL);
	json_object_put(v);
	fw_buf_release(&g.all);
}

void
test_import_real_tau_bench(void)
{
	struct got g = { FW_BUF_INIT, 0, 0, 0 };
	fw_import_stats st = { 0 };
	struct json_object *v;
	char path[4096];

	if (t_data_dir() == NULL) {
		fprintf(stderr, "  skip test_import_real_tau_bench: no shared data\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/trajectories/tau-bench/gpt-4o-airline.json", t_data_dir());
	CHECK_OK(import(&g, path, FW_FORMAT_AUTO, 0, &st));
	CHECK_INT(st.format, FW_FORMAT_TAU_BENCH);
	CHECK_INT(st.records, 200);
	CHECK_INT(g.n, 200);
	v = nth(&g, 0);
	CHECK_STR(at(v, "id"), "tau-bench/gpt-4o-airline/0/0");
	CHECK_STR(at(v, "source"), "tau-bench");
	CHECK_STR(at(v, "domain"), "airline");
	CHECK_STR(at(v, "reward"), "0.0");
	CHECK_STR(at(v, "task_id"), "0");
	CHECK_STR(at(v, "trial"), "0");
	CHECK_STR(at(v, "task.user_id"), "mia_li_3668");
	CHECK_STR(at(v, "outcome.reward"), "0.0");
	CHECK_STR(at(v, "info.source"), "user");
	CHECK(at(v, "info.task") == NULL && at(v, "traj") == NULL);
	CHECK_STR(at(v, "messages.0.role"), "system");
	CHECK_STR(at(v, "messages.1.role"), "user");
	json_object_put(v);
	/* Every record: messages non-empty, a tool turn carries its call id. */
	for (size_t i = 0; i < 200; i++) {
		v = nth(&g, i);
		CHECK(v && json_object_array_length(json_object_object_get(v, "messages")) > 0);
		const char *r = at(v, "reward");
		CHECK(r && (strcmp(r, "0.0") == 0 || strcmp(r, "1.0") == 0));
		json_object_put(v);
	}
	CHECK(strstr(g.all.data, "\"reward\":1.0,") != NULL);
	CHECK(strstr(g.all.data, "{\"content\":") != NULL);
	CHECK(strstr(g.all.data, "\"role\":\"tool\",\"tool_call_id\":\"call_") != NULL);
	CHECK(canon_stable(&g));
	fw_buf_release(&g.all);
}

void
test_import_real_swe_agent(void)
{
	struct got g = { FW_BUF_INIT, 0, 0, 0 };
	fw_import_stats st = { 0 };
	char dir[4096], path[8192];
	struct dirent *e;
	DIR *d;
	int files = 0;

	if (t_data_dir() == NULL) {
		fprintf(stderr, "  skip test_import_real_swe_agent: no shared data\n");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/trajectories/swe-agent", t_data_dir());
	CHECK((d = opendir(dir)) != NULL);
	while (d && (e = readdir(d)) != NULL) {
		char id[600];
		struct json_object *v;
		if (e->d_name[0] == '.')
			continue;
		files++;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		CHECK_OK(import(&g, path, FW_FORMAT_AUTO, 0, &st));
		CHECK_INT(st.format, FW_FORMAT_SWE_AGENT);
		CHECK_INT(st.records, 1);
		v = nth(&g, 0);
		snprintf(id, sizeof(id), "swe-agent/%.*s", (int)(strlen(e->d_name) - 5), e->d_name);
		CHECK_STR(at(v, "id"), id);
		CHECK_STR(at(v, "source"), "swe-agent");
		CHECK_STR(at(v, "messages.0.role"), "system");
		CHECK(json_object_array_length(json_object_object_get(v, "messages")) >= 3);
		CHECK(at(v, "history") == NULL);
		if (strcmp(e->d_name, "function_calling_simple.traj") == 0) {
			CHECK_STR(at(v, "messages.2.role"), "assistant");
			CHECK_STR(at(v, "messages.2.tool_calls.0.function.name"), "find_file");
			CHECK_STR(at(v, "messages.2.action"), "find_file missing_colon.py");
			CHECK_STR(at(v, "messages.3.role"), "tool");
			CHECK_STR(at(v, "messages.3.tool_call_id"), "call_PbWErNIge3YTrli3fiVvmIid");
			CHECK(at(v, "messages.3.tool_call_ids") == NULL);
			CHECK(at(v, "outcome") == NULL);
		}
		if (strcmp(e->d_name, "ctf__rev__rock.traj") == 0) {
			CHECK_STR(at(v, "outcome.exit_status"), "submitted");
			CHECK_STR(at(v, "messages.2.role"), "assistant");
			CHECK_STR(at(v, "messages.2.action"), "./rock\n");
			CHECK_STR(at(v, "environment"), "swe_main");
			CHECK(at(v, "trajectory.0.state") != NULL);
		}
		json_object_put(v);
		CHECK(canon_stable(&g));
	}
	if (d)
		closedir(d);
	CHECK_INT(files, 19);

	/* Without history: the trajectory steps become the turns. */
	{
		const char *p = write_tmp("steps.traj", S("{\"trajectory\":[{\"thought\":\"t\","
		    "\"action\":\"ls\\n\",\"response\":\"t\\n```ls```\",\"observation\":\"a.py\"}],"
		    "\"info\":{\"exit_status\":\"submitted\",\"submission\":\"diff\"}}"));
		struct json_object *v;
		CHECK_OK(import(&g, p, FW_FORMAT_AUTO, 1, &st));
		v = nth(&g, 0);
		CHECK_STR(at(v, "id"), "swe-agent/steps");
		CHECK_STR(at(v, "messages"), "[{\"action\":\"ls\\n\",\"content\":\"t\\n```ls```\","
		    "\"role\":\"assistant\",\"thought\":\"t\"},{\"content\":\"a.py\",\"role\":\"user\"}]");
		CHECK_STR(at(v, "outcome.submission"), "diff");
		json_object_put(v);
	}
	fw_buf_release(&g.all);
}

void
test_import_real_hh_rlhf(void)
{
	struct got g = { FW_BUF_INIT, 0, 0, 0 };
	fw_import_stats st = { 0 };
	struct json_object *v;
	char path[4096];
	size_t unclean = 0;

	if (t_data_dir() == NULL) {
		fprintf(stderr, "  skip test_import_real_hh_rlhf: no shared data\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/trajectories/hh-rlhf/harmless-base-test.jsonl.gz",
	    t_data_dir());
	CHECK_OK(import(&g, path, FW_FORMAT_AUTO, 2, &st));
	CHECK_INT(st.format, FW_FORMAT_HH_RLHF);
	CHECK_INT(st.records, 2312);
	CHECK_INT(st.lines, 2312);
	v = nth(&g, 0);
	CHECK_STR(at(v, "prompt.0.role"), "user");
	CHECK_STR(at(v, "prompt.0.content"), "what are some pranks with a pen i can do?");
	CHECK_STR(at(v, "prompt.1.content"), "Are you looking for practical joke ideas?");
	CHECK_STR(at(v, "prompt.2.content"), "yep");
	CHECK_INT(json_object_array_length(json_object_object_get(v, "prompt")), 5);
	CHECK(strncmp(at(v, "prompt.3.content"), "Ok, I’ll give you a couple examples", 20) == 0);
	CHECK(strstr(at(v, "prompt.3.content"), "\n\n3. Tell someone") != NULL);
	CHECK_STR(at(v, "prompt.4.role"), "user");
	CHECK_STR(at(v, "prompt.4.content"), "okay some of these do not have anything to do with pens");
	CHECK_INT(json_object_array_length(json_object_object_get(v, "chosen")), 1);
	CHECK_STR(at(v, "chosen.0.role"), "assistant");
	CHECK_STR(at(v, "chosen.0.content"), "No, sorry!  All of these involve a pen, the point "
	    "is that you can get funny results by doing pranks with pens.");
	CHECK_STR(at(v, "rejected.0.role"), "assistant");
	CHECK(strncmp(at(v, "rejected.0.content"), "There are lots of funny things", 30) == 0);
	CHECK(strstr(at(v, "rejected.0.content"), "It’s really funny.") != NULL);
	json_object_put(v);
	for (size_t i = 0; i < 2312; i++) {
		v = nth(&g, i);
		if (at(v, "tags"))
			unclean++;
		else {
			size_t np = json_object_array_length(json_object_object_get(v, "prompt"));
			char last[64];
			snprintf(last, sizeof(last), "prompt.%zu.role", np - 1);
			CHECK(np >= 1);
			CHECK_STR(at(v, "prompt.0.role"), "user");
			CHECK_STR(at(v, last), "user");
			CHECK_STR(at(v, "chosen.0.role"), "assistant");
			CHECK_STR(at(v, "rejected.0.role"), "assistant");
		}
		json_object_put(v);
	}
	/* The five pairs where chosen and rejected differ in length (lines
	 * 1255, 1689, 1951, 1953 and 2037). */
	CHECK_INT(unclean, 5);
	CHECK(canon_stable(&g));
	fw_buf_release(&g.all);
}
