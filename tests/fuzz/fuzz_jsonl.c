/*
 * libFuzzer target for the record importers: the input's first byte picks
 * the format and name (jsonl mostly, also hh-rlhf, tau-bench, swe-agent and
 * auto-detection), the rest is the file. Every record is canonicalised by
 * map, as `fw add` does. Must never crash, leak or hang.
 */
#include "fw/error.h"
#include "fw/import.h"
#include "fw/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int
map_canon(void *arg, struct json_object *rec, fw_buf *out)
{
	(void)arg;
	return fw_json_canon(out, rec);
}

static int
sink_count(void *arg, const char *bytes, size_t len, size_t n)
{
	size_t *total = arg;

	(void)bytes;
	(void)len;
	if (n == 0)
		abort();	/* the contract: a block holds at least one record */
	*total += n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct { const char *name; fw_format f; } modes[] = {
		{ "fuzz.jsonl", FW_FORMAT_JSONL },
		{ "fuzz.jsonl", FW_FORMAT_JSONL },
		{ "fuzz.jsonl", FW_FORMAT_AUTO },
		{ "fuzz.jsonl", FW_FORMAT_HH_RLHF },
		{ "fuzz.json", FW_FORMAT_TAU_BENCH },
		{ "fuzz.traj", FW_FORMAT_SWE_AGENT },
		{ "fuzz.dat", FW_FORMAT_AUTO },
		{ "fuzz.json", FW_FORMAT_AUTO },
	};
	size_t total = 0;
	fw_import_stats st;

	if (size == 0)
		return 0;
	unsigned m = data[0] % (sizeof(modes) / sizeof(modes[0]));
	fw_import_opts o = { modes[m].f, data[0] & 0x80 ? 2 : 1, map_canon, sink_count,
	    NULL, &total };
	if (fw_import_buffer(&st, modes[m].name, data + 1, size - 1, &o) == 0 &&
	    st.records != total)
		abort();
	return 0;
}
