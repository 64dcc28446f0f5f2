/* libFuzzer target: the tokenizer.json loader on arbitrary bytes; what loads
 * must encode and decode a fixed text without fault. */
#include "fw/tokenizer.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char text[] = "Hello world's 123 \xe6\x97\xa5\xe6\x9c\xac  \n<|end|>";
	fw_tokenizer *tok = NULL;
	fw_ids ids = FW_IDS_INIT;
	fw_buf out = FW_BUF_INIT;

	if (fw_tokenizer_parse(&tok, (const char *)data, size, "fuzz") == 0) {
		if (fw_tokenizer_encode(tok, text, sizeof(text) - 1, FW_TOK_SPECIAL, &ids) == 0)
			(void)fw_tokenizer_decode(tok, ids.v, ids.n, &out);
		fw_tokenizer_free(tok);
	}
	fw_ids_release(&ids);
	fw_buf_release(&out);
	return 0;
}
