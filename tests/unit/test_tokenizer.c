/* Tokenizer tests: exactness against the oracles in shared data, round trips
 * on random and adversarial text, refusals and error messages. */
#include "harness.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/tokenizer.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <utf8proc.h>
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
		    (dec.len && memcmp(dec.data, norm.data, dec.len) != 0))
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

/* A small deterministic generator (xorshift64*), so failures repeat. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dull) >> 33) % n;
}

static void
put_cp(fw_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) { u[0] = (char)cp; n = 1; }
	else if (cp < 0x800) { u[0] = (char)(0xc0 | cp >> 6); u[1] = (char)(0x80 | (cp & 0x3f)); n = 2; }
	else if (cp < 0x10000) { u[0] = (char)(0xe0 | cp >> 12); u[1] = (char)(0x80 | ((cp >> 6) & 0x3f)); u[2] = (char)(0x80 | (cp & 0x3f)); n = 3; }
	else { u[0] = (char)(0xf0 | cp >> 18); u[1] = (char)(0x80 | ((cp >> 12) & 0x3f)); u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); u[3] = (char)(0x80 | (cp & 0x3f)); n = 4; }
	fw_buf_add(b, u, n);
}

/* Random and adversarial valid UTF-8: every plane, combining marks, emoji
 * sequences, Hangul jamo, long white space and digit runs, control and
 * format characters, contractions, control-token strings. */
static void
random_text(fw_buf *b)
{
	static const char *const bits[] = { "hello", " world", "Don't", " I'LL",
	    "'s", "\r\n", "\t", "\xc2\xa0", "\xe3\x80\x80", "\xe2\x80\xa8",
	    "\xc2\x85", "\xe1\xa0\x8e", "\xef\xbb\xbf", "\xe2\x80\x8b",
	    "e\xcc\x81", "\xcc\x81\xcc\x82", "\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8",
	    "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7",
	    "\xf0\x9f\x87\xab\xf0\x9f\x87\xb7", "\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd",
	    "\xe2\x9d\xa4\xef\xb8\x8f", "\xef\xac\x81", "\xc7\x85", "<|im_start|>",
	    "<|endoftext|>", "<tool_call>", "<think>", "\xd9\xa1\xd9\xa2",
	    "\xef\xbc\x91", "\xc2\xbd\xc2\xb2", "{\"a\": [1, 2.5e-3]}", "\xe6\x97\xa5\xe6\x9c\xac",
	    "\xe0\xb9\x84\xe0\xb8\x97\xe0\xb8\xa2", "\xed\x95\x9c", "\x7f", "\x01",
	    "\xe3\x81\x8b\xe3\x82\x99", "\xea\xb0\x80\xe1\x86\xa8", "\xe2\x84\xab",
	    "\xef\xa4\x80", "\xcd\x80", "\xc3\x85\xcc\x8a", "\xe2\x80\x80" };
	size_t n = 1 + rnd(rnd(10) ? 20 : 200);

	for (size_t i = 0; i < n; i++) {
		uint32_t k = rnd(10), cp;
		switch (k) {
		case 0: case 1: case 2:
			fw_buf_adds(b, bits[rnd(sizeof(bits) / sizeof(bits[0]))]);
			break;
		case 3:
			for (uint32_t r = 1 + rnd(60), c = " \n\t0"[rnd(4)]; r; r--)
				fw_buf_addc(b, (char)c);
			break;
		case 4:
			fw_buf_addc(b, '\0');
			break;
		default:
			/* any plane, no surrogates */
			do
				cp = rnd(17) * 0x10000 + rnd(0x10000);
			while (cp >= 0xd800 && cp <= 0xdfff);
			put_cp(b, cp);
		}
	}
}

static void
check_round_trips(fw_tokenizer *tok, const char *name, int count, int nfc)
{
	fw_buf text = FW_BUF_INIT, dec = FW_BUF_INIT, norm = FW_BUF_INIT;
	fw_ids ids = FW_IDS_INIT;
	int bad = 0;

	for (int i = 0; i < count; i++) {
		fw_buf_reset(&text);
		if (i == 0)
			for (int k = 0; k < 20000; k++)
				fw_buf_addc(&text, ' ');
		else if (i == 1)
			for (int k = 0; k < 5000; k++)
				fw_buf_adds(&text, "9");
		else if (i == 2)
			for (int k = 0; k < 2000; k++)
				fw_buf_adds(&text, "\xcc\x81");
		else if (i == 3)
			for (int k = 0; k < 1000; k++)
				fw_buf_adds(&text, "\xf0\x9f\x98\x80\xe2\x80\x8d");
		else
			random_text(&text);
		CHECK(fw_utf8_valid(text.data, text.len));
		if (nfc) {
			/* fw's normalizer (with its quick check) against utf8proc's */
			utf8proc_uint8_t *want = NULL;
			utf8proc_ssize_t wn = utf8proc_map((const utf8proc_uint8_t *)text.data,
			    (utf8proc_ssize_t)text.len, &want, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
			fw_buf_reset(&norm);
			CHECK_OK(fw_tokenizer_normalize(tok, text.data, text.len, &norm));
			CHECK(wn >= 0 && (size_t)wn == norm.len &&
			    memcmp(want, norm.data, norm.len) == 0);
			free(want);
		}
		ids.n = 0;
		fw_buf_reset(&dec);
		fw_buf_reset(&norm);
		for (int special = 0; special < 2; special++) {
			ids.n = 0;
			fw_buf_reset(&dec);
			fw_buf_reset(&norm);
			if (fw_tokenizer_encode(tok, text.data, text.len,
			    special ? FW_TOK_SPECIAL : 0, &ids) < 0 ||
			    fw_tokenizer_decode(tok, ids.v, ids.n, &dec) < 0 ||
			    fw_tokenizer_normalize(tok, text.data, text.len, &norm) < 0 ||
			    dec.len != norm.len || (dec.len && memcmp(dec.data, norm.data, dec.len) != 0)) {
				if (bad++ < 3)
					fprintf(stderr, "  %s: round trip %d fails (%zu bytes, "
					    "special %d): %s\n", name, i, text.len, special,
					    fw_error_last());
			}
		}
	}
	fprintf(stderr, "  %s: %d random and adversarial texts, %d round-trip "
	    "failures\n", name, count, bad);
	CHECK_INT(bad, 0);
	fw_buf_release(&text);
	fw_buf_release(&dec);
	fw_buf_release(&norm);
	fw_ids_release(&ids);
}

void
test_tokenizer_round_trip(void)
{
	const char *names[] = { "qwen3", "gpt4o" };

	if (t_data_dir() == NULL) {
		fprintf(stderr, "  skip: no shared data for the round-trip test\n");
		return;
	}
	for (int i = 0; i < 2; i++) {
		fw_tokenizer *tok = load_shared(names[i]);
		if (tok)
			check_round_trips(tok, names[i], 5000, i == 0);
		fw_tokenizer_free(tok);
	}
}

#define TINY "tests/data/tokenizer/tiny.json"

/* The tiny tokenizer in the tree, with its text edited by sed-like swaps. */
static int
load_variant(fw_tokenizer **out, const char *from, const char *to)
{
	fw_buf text = FW_BUF_INIT, v = FW_BUF_INIT;
	FILE *f = fopen(TINY, "rb");
	char chunk[4096];
	size_t n;
	int rc;

	*out = NULL;
	if (f == NULL)
		return fw_error_set(FW_EIO, "no %s", TINY);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fw_buf_add(&text, chunk, n);
	fclose(f);
	const char *at = from ? strstr(text.data, from) : NULL;
	if (from && at == NULL) {
		fw_buf_release(&text);
		return fw_error_set(FW_EINVALID, "test: '%s' not in %s", from, TINY);
	}
	if (at) {
		fw_buf_add(&v, text.data, (size_t)(at - text.data));
		fw_buf_adds(&v, to);
		fw_buf_adds(&v, at + strlen(from));
	} else {
		fw_buf_add(&v, text.data, text.len);
	}
	rc = fw_tokenizer_parse(out, v.data, v.len, "tiny.json");
	fw_buf_release(&text);
	fw_buf_release(&v);
	return rc;
}

void
test_tokenizer_refusals(void)
{
	static const struct { const char *from, *to, *msg; int rc; } cases[] = {
		{ "\"type\": \"BPE\"", "\"type\": \"Unigram\"", "model Unigram is not supported", FW_EUNSUPPORTED },
		{ "\"type\": \"BPE\"", "\"type\": \"WordPiece\"", "model WordPiece is not supported", FW_EUNSUPPORTED },
		{ "\"byte_fallback\": false", "\"byte_fallback\": true", "model byte_fallback is not supported", FW_EUNSUPPORTED },
		{ "\"dropout\": null", "\"dropout\": 0.1", "model dropout is not supported", FW_EUNSUPPORTED },
		{ "\"continuing_subword_prefix\": \"\"", "\"continuing_subword_prefix\": \"##\"", "model continuing_subword_prefix is not supported", FW_EUNSUPPORTED },
		{ "\"normalizer\": {", "\"normalizer\": {\"type\": \"Lowercase\"}, \"x\": {", "normalizer Lowercase is not supported", FW_EUNSUPPORTED },
		{ "\"type\": \"Split\"", "\"type\": \"Metaspace\"", "pre_tokenizer Metaspace is not supported", FW_EUNSUPPORTED },
		{ "\"behavior\": \"Isolated\"", "\"behavior\": \"Sideways\"", "pre_tokenizer Split behavior Sideways is not supported", FW_EUNSUPPORTED },
		{ "\"Regex\": \"", "\"Regex\": \"(", "pre_tokenizer Split regex does not compile", FW_EUNSUPPORTED },
		{ "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"trim_offsets\": false, \"use_regex\": false}]", "{\"type\": \"Split\", \"pattern\": {\"String\": \" \"}, \"behavior\": \"Isolated\"}]", "pre_tokenizer without ByteLevel is not supported", FW_EUNSUPPORTED },
		{ "\"decoder\": {\"type\": \"ByteLevel\"", "\"decoder\": {\"type\": \"WordPiece\"", "decoder WordPiece is not supported", FW_EUNSUPPORTED },
		{ "\"decoder\": {", "\"decoder\": null, \"x\": {", "decoder null is not supported", FW_EUNSUPPORTED },
		{ "[\"h\", \"e\"]", "[\"h\", \"e\", \"x\"]", "invalid JSON at byte", FW_EINVALID },
		{ "[\"h\", \"e\"]", "\"h e x\"", "merge 0: 'h e x' is not two tokens", FW_EINVALID },
		{ "[\"h\", \"e\"]", "[\"h\", \"\\u00e9\\u00e9\"]", "merge 0: '\xc3\xa9\xc3\xa9' is not in the vocabulary", FW_EINVALID },
		{ "\"!\": 33", "\"!\": 99999999", "token id too large", FW_EINVALID },
		{ "\"!\": 33", "\"!\": \"zero\"", "expected a token id", FW_EINVALID },
		{ "\"content\": \"<x>\"", "\"content\": \"\"", "added_tokens[1] needs an id and a non-empty content", FW_EINVALID },
	};
	fw_tokenizer *tok = NULL;

	CHECK_OK(load_variant(&tok, NULL, NULL));
	fw_tokenizer_free(tok);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = load_variant(&tok, cases[i].from, cases[i].to);
		CHECK_MSG(rc == cases[i].rc, "case %zu: rc %d: %s", i, rc, fw_error_last());
		CHECK_MSG(strstr(fw_error_last(), cases[i].msg) != NULL, "case %zu: %s",
		    i, fw_error_last());
		CHECK(tok == NULL);
		fw_tokenizer_free(tok);
	}
	/* not JSON at all, and truncated */
	CHECK_INT(fw_tokenizer_parse(&tok, "{\"model\": ", 10, "t"), FW_EINVALID);
	CHECK_INT(fw_tokenizer_parse(&tok, "", 0, "t"), FW_EINVALID);
	CHECK_INT(fw_tokenizer_load(&tok, "/nonexistent/tokenizer.json"), FW_EIO);
}

void
test_tokenizer_errors(void)
{
	static const struct { const char *s; size_t n; size_t at; } bad[] = {
		{ "ab\xff", 3, 2 }, { "\xc0\x80", 2, 0 }, { "x\xed\xa0\x80", 4, 1 },
		{ "xy\xe2\x82", 4, 2 }, { "\xf4\x90\x80\x80", 4, 0 }, { "a\x80", 2, 1 },
	};
	fw_tokenizer *tok = NULL;
	fw_ids ids = FW_IDS_INIT;
	fw_buf out = FW_BUF_INIT;
	char want[64];

	CHECK_OK(load_variant(&tok, NULL, NULL));
	if (tok == NULL)
		return;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(fw_tokenizer_encode(tok, bad[i].s, bad[i].n, 0, &ids), FW_EINVALID);
		snprintf(want, sizeof(want), "invalid UTF-8 at byte %zu", bad[i].at);
		CHECK_STR(fw_error_last(), want);
	}
	uint32_t unknown[] = { 104, 1000000, 5 };
	CHECK_INT(fw_tokenizer_decode(tok, unknown, 3, &out), FW_EINVALID);
	CHECK_STR(fw_error_last(), "unknown token id 1000000 at position 1");
	uint32_t gap[] = { 290 };	/* between the merges and the added tokens */
	CHECK_INT(fw_tokenizer_decode(tok, gap, 1, &out), FW_EINVALID);
	/* empty text, and the special-token switch */
	ids.n = 0;
	CHECK_OK(fw_tokenizer_encode(tok, "", 0, 0, &ids));
	CHECK_INT(ids.n, 0);
	CHECK_OK(fw_tokenizer_encode(tok, "<|end|>", 7, FW_TOK_SPECIAL, &ids));
	CHECK(ids.n == 1 && ids.v[0] == 300);
	ids.n = 0;
	CHECK_OK(fw_tokenizer_encode(tok, "<|end|>", 7, 0, &ids));
	CHECK_INT(ids.n, 7);
	uint32_t id = 0;
	CHECK_OK(fw_tokenizer_token_id(tok, "<|end|>", &id));
	CHECK_INT(id, 300);
	CHECK_OK(fw_tokenizer_token_id(tok, "hello", &id));
	CHECK_INT(id, 259);
	CHECK_INT(fw_tokenizer_token_id(tok, "nope", &id), FW_ENOTFOUND);
	CHECK_INT(fw_tokenizer_vocab_size(tok), 302);
	fw_ids_release(&ids);
	fw_buf_release(&out);
	fw_tokenizer_free(tok);
}

/* The model's keys in any order: merges before vocab, type last. */
void
test_tokenizer_key_order(void)
{
	static const char *const docs[] = {
		"{\"model\": {\"merges\": [\"a b\", \"ab c\"], \"vocab\": {\"a\": 0, \"b\": 1, "
		"\"c\": 2, \"ab\": 3, \"abc\": 4}, \"type\": \"BPE\"}, \"decoder\": {\"type\": "
		"\"ByteLevel\"}, \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false}}",
		"{\"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false}, "
		"\"decoder\": {\"type\": \"ByteLevel\"}, \"model\": {\"type\": \"BPE\", \"vocab\": "
		"{\"a\": 0, \"b\": 1, \"c\": 2, \"ab\": 3, \"abc\": 4}, \"merges\": [[\"a\", \"b\"], "
		"[\"ab\", \"c\"]]}}",
	};

	for (size_t i = 0; i < 2; i++) {
		fw_tokenizer *tok = NULL;
		fw_ids ids = FW_IDS_INIT;
		CHECK_OK(fw_tokenizer_parse(&tok, docs[i], strlen(docs[i]), "t"));
		if (tok == NULL)
			continue;
		CHECK_OK(fw_tokenizer_encode(tok, "abcab", 5, 0, &ids));
		CHECK(ids.n == 2 && ids.v[0] == 4 && ids.v[1] == 3);
		fw_ids_release(&ids);
		fw_tokenizer_free(tok);
	}
}

/* Split's delimiter behaviours, white-box: the pieces the pre-tokenizer makes
 * (the JavaScript reference lacks three of them, so these are worked out from
 * the Rust reference's rules). */
#include "tokenizer_impl.h"

void
test_tokenizer_split_behaviors(void)
{
	static const struct { const char *behavior; int invert; const char *want; } cases[] = {
		{ "Removed", 0, "he|o" },
		{ "Isolated", 0, "he|l|l|o" },
		{ "MergedWithPrevious", 0, "hel|l|o" },
		{ "MergedWithNext", 0, "he|l|lo" },
		{ "Contiguous", 0, "he|ll|o" },
		{ "Removed", 1, "l|l" },
		{ "Contiguous", 1, "he|ll|o" },
		{ "MergedWithPrevious", 1, "he|l|lo" },
	};
	char doc[1024];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fw_tokenizer *tok = NULL;
		struct tok_pieces p = { NULL, 0, 0 };
		fw_buf got = FW_BUF_INIT;
		snprintf(doc, sizeof(doc), "{\"pre_tokenizer\": {\"type\": \"Sequence\", "
		    "\"pretokenizers\": [{\"type\": \"Split\", \"pattern\": {\"String\": \"l\"}, "
		    "\"behavior\": \"%s\", \"invert\": %s}, {\"type\": \"ByteLevel\", "
		    "\"add_prefix_space\": false, \"use_regex\": false}]}, \"decoder\": "
		    "{\"type\": \"ByteLevel\"}, \"model\": {\"type\": \"BPE\", \"vocab\": "
		    "{\"h\": 0}, \"merges\": []}}", cases[i].behavior,
		    cases[i].invert ? "true" : "false");
		CHECK_OK(fw_tokenizer_parse(&tok, doc, strlen(doc), "split"));
		if (tok == NULL)
			continue;
		const char *text = "hello";
		CHECK_OK(tok_pretokenize(tok, text, 5, &p));
		for (size_t k = 0; k < p.n; k++)
			fw_buf_printf(&got, "%s%.*s", k ? "|" : "", (int)p.v[k].len,
			    text + p.v[k].off);
		CHECK_MSG(got.data && strcmp(got.data, cases[i].want) == 0,
		    "%s invert %d: %s, want %s", cases[i].behavior, cases[i].invert,
		    got.data ? got.data : "", cases[i].want);
		fw_buf_release(&got);
		free(p.v);
		fw_tokenizer_free(tok);
	}
}
