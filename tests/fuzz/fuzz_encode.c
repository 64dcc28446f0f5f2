/* libFuzzer target: encoding arbitrary bytes with a small byte-level BPE
 * tokenizer built here (every byte, some merges, added tokens, the Qwen
 * pattern, NFC). Valid UTF-8 must round-trip to its NFC form (unless it holds
 * <y>, whose lstrip/rstrip swallow white space, as the reference's do); the bytes are
 * also encoded as spans cut where the input says, as chat templates do. */
#include "fw/error.h"
#include "fw/json.h"
#include "fw/tokenizer.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fw_tokenizer *tok;

static void
put_cp(fw_buf *b, unsigned cp)
{
	if (cp < 0x80) {
		fw_buf_addc(b, (char)cp);
	} else {
		fw_buf_addc(b, (char)(0xc0 | cp >> 6));
		fw_buf_addc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* GPT-2's byte alphabet: printable Latin-1 stands for itself. */
static unsigned
byte_cp(unsigned b, unsigned *next)
{
	if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174)
		return b;
	return 256 + (*next)++;
}

static fw_tokenizer *
build(void)
{
	static const char *const merges[][2] = { { "h", "e" }, { "l", "l" },
	    { "he", "ll" }, { "hell", "o" }, { "\xc4\xa0", "w" }, { "o", "r" },
	    { "\xc4\xa0", "\xc4\xa0" }, { "\xc3\xa6", "\xc2\x97" } };
	fw_buf j = FW_BUF_INIT, key = FW_BUF_INIT;
	char *cps[256];
	unsigned next = 0;
	fw_tokenizer *t = NULL;

	fw_buf_adds(&j, "{\"added_tokens\": [{\"id\": 300, \"content\": \"<|end|>\", "
	    "\"special\": true, \"normalized\": false}, {\"id\": 301, \"content\": "
	    "\"<x>\", \"special\": false, \"normalized\": true}, {\"id\": 302, "
	    "\"content\": \"<y>\", \"lstrip\": true, \"rstrip\": true}],"
	    "\"normalizer\": {\"type\": \"NFC\"}, \"pre_tokenizer\": {\"type\": "
	    "\"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", \"pattern\": "
	    "{\"Regex\": \"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?"
	    "\\\\p{L}+|\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+|"
	    "\\\\s+(?!\\\\S)|\\\\s+\"}, \"behavior\": \"Isolated\", \"invert\": false}, "
	    "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": false}]},"
	    "\"decoder\": {\"type\": \"ByteLevel\"}, \"model\": {\"type\": \"BPE\", "
	    "\"vocab\": {");
	for (unsigned b = 0; b < 256; b++) {
		fw_buf_reset(&key);
		put_cp(&key, byte_cp(b, &next));
		cps[b] = strdup(key.data);
		fw_json_quote(&j, key.data, key.len);
		fw_buf_printf(&j, ": %u, ", b);
	}
	for (size_t i = 0; i < sizeof(merges) / sizeof(merges[0]); i++) {
		fw_buf_reset(&key);
		fw_buf_adds(&key, merges[i][0]);
		fw_buf_adds(&key, merges[i][1]);
		fw_json_quote(&j, key.data, key.len);
		fw_buf_printf(&j, ": %zu%s", 256 + i,
		    i + 1 < sizeof(merges) / sizeof(merges[0]) ? ", " : "");
	}
	fw_buf_adds(&j, "}, \"merges\": [");
	for (size_t i = 0; i < sizeof(merges) / sizeof(merges[0]); i++) {
		fw_buf_adds(&j, i ? ", [" : "[");
		fw_json_quote(&j, merges[i][0], strlen(merges[i][0]));
		fw_buf_adds(&j, ", ");
		fw_json_quote(&j, merges[i][1], strlen(merges[i][1]));
		fw_buf_adds(&j, "]");
	}
	fw_buf_adds(&j, "]}}");
	if (fw_tokenizer_parse(&t, j.data, j.len, "fuzz") < 0)
		abort();
	for (unsigned b = 0; b < 256; b++)
		free(cps[b]);
	fw_buf_release(&j);
	fw_buf_release(&key);
	return t;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fw_ids ids = FW_IDS_INIT;
	fw_buf dec = FW_BUF_INIT, norm = FW_BUF_INIT, mask = FW_BUF_INIT;
	fw_span spans[4];
	size_t nspans = 0, at = 0;

	if (tok == NULL)
		tok = build();
	if (size < 1)
		return 0;
	unsigned flags = data[0];
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	int rc = fw_tokenizer_encode(tok, s, n, (flags & 1) ? FW_TOK_SPECIAL : 0, &ids);
	if (rc == 0 && memmem(s, n, "<y>", 3) == NULL) {
		if (fw_tokenizer_decode(tok, ids.v, ids.n, &dec) < 0 ||
		    fw_tokenizer_normalize(tok, s, n, &norm) < 0 ||
		    dec.len != norm.len || (dec.len && memcmp(dec.data, norm.data, dec.len) != 0))
			abort();
	} else if (rc != 0 && (rc != FW_EINVALID || fw_utf8_valid(s, n))) {
		abort();
	}
	/* up to four spans, cut at offsets the first byte picks */
	for (int k = 0; k < 4 && at < n; k++) {
		size_t len = k == 3 ? n - at : ((flags >> (2 * k)) * 7u + 1) % (n - at + 1);
		spans[nspans].off = at;
		spans[nspans].len = len;
		spans[nspans++].flags = (unsigned)k & 3;
		at += len;
	}
	ids.n = 0;
	rc = fw_tokenizer_encode_spans(tok, s, n, spans, nspans, &ids, &mask);
	if (rc == 0 && mask.len != ids.n)
		abort();
	fw_ids_release(&ids);
	fw_buf_release(&dec);
	fw_buf_release(&norm);
	fw_buf_release(&mask);
	return 0;
}
