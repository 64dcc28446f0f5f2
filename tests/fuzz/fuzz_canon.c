/* libFuzzer target: fw_json_canon_text must agree with json-c's path
 * (fw_json_parse + fw_json_canon) on every input: the same refusals and, when
 * both accept, the same bytes. Disagreement aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fw/json.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fw_buf a = FW_BUF_INIT, b = FW_BUF_INIT, sb = FW_BUF_INIT;
	struct json_object *v = NULL;
	fw_json_member *m = NULL;
	size_t n = 0, cap = 0;
	int ra, rb, rs;

	ra = fw_json_parse(&v, (const char *)data, size);
	if (ra == 0)
		ra = fw_json_canon(&a, v);
	json_object_put(v);
	rb = fw_json_canon_text(&b, (const char *)data, size);
	if ((ra < 0) != (rb < 0))
		abort();
	if (ra == 0 && (a.len != b.len || memcmp(a.data, b.data, a.len) != 0))
		abort();
	rs = fw_json_split_object((const char *)data, size, &sb, &m, &n, &cap);
	if (rs == 0 && !(ra == 0 && a.len && a.data[0] == '{'))
		abort();
	free(m);
	fw_buf_release(&a);
	fw_buf_release(&b);
	fw_buf_release(&sb);
	return 0;
}
