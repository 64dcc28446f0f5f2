/* Tokenizer tests: exactness against the oracles in shared data, round trips
 * on random and adversarial text, refusals and error messages. */
#include "harness.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/tokenizer.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <zlib.h>

/* Reads a whole gzip file into b. */
static int
read_gz(const char *path, fw_buf *b)
{
	gzFile f = gzopen(path, "rb");
	int n;

	if (f == NULL)
		return -1;
	for (;;) {
		if (fw_buf_grow(b, 1 << 20) < 0)
			break;
		n = gzread(f, b->data + b->len, (unsigned)(b->cap - b->len - 1));
		if (n <= 0)
			break;
		b->len += (size_t)n;
		b->data[b->len] = 0;
	}
	gzclose(f);
	return n < 0 ? -1 : 0;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static fw_tokenizer *
load_shared(const char *name)
{
	char path[4096];
	fw_tokenizer *tok = NULL;
	const char *data = t_data_dir();

	if (data == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/tokenizers/%s/tokenizer.json", data, name);
	CHECK_OK(fw_tokenizer_load(&tok, path));
	return tok;
}

/* Every text of the oracle: equal ids, and decode(encode(x)) == normalize(x). */
static void
check_oracle(const char *name)
{
	char path[4096];
	fw_buf all = FW_BUF_INIT, dec = FW_BUF_INIT, norm = FW_BUF_INIT;
	fw_ids ids = FW_IDS_INIT;
	fw_tokenizer *tok;
	size_t texts = 0, tokens = 0, bad = 0, bad_rt = 0, bytes = 0;
	double t0, t1, enc_ms = 0;
	const char *data = t_data_dir();

	if (data == NULL) {
		fprintf(stderr, "  skip: no shared data for the %s oracle\n", name);
		return;
	}
	t0 = now_ms();
	tok = load_shared(name);
	t1 = now_ms();
	if (tok == NULL)
		return;
	snprintf(path, sizeof(path), "%s/tokenizers/%s/oracle.jsonl.gz", data, name);
	CHECK(read_gz(path, &all) == 0);
	for (char *line = all.data, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		struct json_object *o = NULL, *text, *want;
		nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (fw_json_parse(&o, line, len) < 0 ||
		    !json_object_object_get_ex(o, "text", &text) ||
		    !json_object_object_get_ex(o, "ids", &want)) {
			CHECK_MSG(0, "%s oracle line %zu unreadable", name, texts + 1);
			json_object_put(o);
			break;
		}
		const char *s = json_object_get_string(text);
		size_t n = (size_t)json_object_get_string_len(text);
		size_t nw = json_object_array_length(want);
		ids.n = 0;
		double a = now_ms();
		int rc = fw_tokenizer_encode(tok, s, n, 0, &ids);
		enc_ms += now_ms() - a;
		int same = rc == 0 && ids.n == nw;
		for (size_t i = 0; same && i < nw; i++)
			same = ids.v[i] == (uint32_t)json_object_get_int64(
			    json_object_array_get_idx(want, i));
		if (!same && bad++ < 3) {
			fprintf(stderr, "  %s oracle line %zu: %zu ids, want %zu: %.80s\n",
			    name, texts + 1, ids.n, nw, s);
			for (size_t i = 0; i < nw && i < ids.n; i++) {
				uint32_t w = (uint32_t)json_object_get_int64(
				    json_object_array_get_idx(want, i));
				if (w != ids.v[i]) {
					fprintf(stderr, "    first difference at %zu: %u, want %u\n",
					    i, ids.v[i], w);
					break;
				}
			}
		}
		fw_buf_reset(&dec);
		fw_buf_reset(&norm);
		if (fw_tokenizer_decode(tok, ids.v, ids.n, &dec) < 0 ||
		    fw_tokenizer_normalize(tok, s, n, &norm) < 0 || dec.len != norm.len ||
		    memcmp(dec.data, norm.data, dec.len) != 0)
			bad_rt++;
		texts++;
		tokens += nw;
		bytes += n;
		json_object_put(o);
	}
	fprintf(stderr, "  %s: %zu texts, %zu tokens, %zu mismatches, %zu round-trip "
	    "failures; load %.0f ms, encode %.1f MB/s\n", name, texts, tokens, bad,
	    bad_rt, t1 - t0, bytes / 1e6 / (enc_ms / 1e3));
	CHECK(texts == 5831);
	CHECK_INT(bad, 0);
	CHECK_INT(bad_rt, 0);
	fw_tokenizer_free(tok);
	fw_buf_release(&all);
	fw_buf_release(&dec);
	fw_buf_release(&norm);
	fw_ids_release(&ids);
}

void
test_tokenizer_oracle_qwen3(void)
{
	check_oracle("qwen3");
}

void
test_tokenizer_oracle_gpt4o(void)
{
	check_oracle("gpt4o");
}
