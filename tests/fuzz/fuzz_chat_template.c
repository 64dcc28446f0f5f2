/* libFuzzer target: the chat template YAML parser on arbitrary bytes; what
 * parses must render a fixed conversation without fault. */
#include "fw/json.h"
#include "fw/tokenizer.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char msgs[] = "[{\"role\":\"system\",\"content\":\" s \"},"
	    "{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":"
	    "\"<think>r</think>a\",\"tool_calls\":[{\"function\":{\"name\":\"f\","
	    "\"arguments\":{\"x\":[1,\"\\n\"]}}}]},{\"role\":\"tool\",\"content\":\"ok\"},"
	    "{\"role\":\"tool\",\"content\":\"ok\"},{\"role\":\"assistant\",\"content\":\"done\"}]";
	fw_chat_template *t = NULL;
	struct json_object *m = NULL;
	fw_buf text = FW_BUF_INIT;
	fw_span *spans = NULL;
	size_t n = 0;

	if (fw_chat_template_parse(&t, (const char *)data, size, "fuzz") == 0 &&
	    fw_json_parse(&m, msgs, sizeof(msgs) - 1) == 0 &&
	    fw_chat_template_render(&spans, &n, t, m, &text) == 0) {
		size_t at = 0;
		for (size_t i = 0; i < n; i++) {
			if (spans[i].off != at)
				abort();
			at += spans[i].len;
		}
		if (at != text.len)
			abort();
	}
	free(spans);
	json_object_put(m);
	fw_buf_release(&text);
	fw_chat_template_free(t);
	return 0;
}
