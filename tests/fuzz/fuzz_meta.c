/*
 * libFuzzer target for the small text files of a store that fw reads back
 * from disk: a version's schema.yaml (fw_schema_parse), .fw/config.yaml
 * (fw_store_config_parse), a version's DATA and INDEX root files
 * (fw_roots_parse) and a merge in progress's state (fw_merge_state_parse). Whatever the bytes: an answer or an error, never a crash
 * or a leak. A schema that parses must come back the same through
 * fw_schema_emit and fw_schema_parse; roots that parse must come back the
 * same through fw_roots_format and fw_roots_parse.
 */
#include "internal.h"
#include "merge_int.h"
#include "fw/error.h"
#include "fw/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
schema_round_trip(const char *text, size_t n)
{
	fw_schema a, b;
	fw_buf out = FW_BUF_INIT;

	if (fw_schema_parse(&a, text, n) < 0)
		return;
	if (fw_schema_emit(&a, &out) < 0 || fw_schema_parse(&b, out.data, out.len) < 0)
		abort();
	if (a.strict != b.strict || a.ncols != b.ncols)
		abort();
	for (size_t i = 0; i < a.ncols; i++)
		if (a.cols[i].namelen != b.cols[i].namelen ||
		    memcmp(a.cols[i].name, b.cols[i].name, a.cols[i].namelen) != 0 ||
		    a.cols[i].type != b.cols[i].type || a.cols[i].required != b.cols[i].required)
			abort();
	fw_schema_release(&a);
	fw_schema_release(&b);
	fw_buf_release(&out);
}

static void
roots_round_trip(const char *text, size_t n)
{
	/* DATA up to the second line that starts with "root ", INDEX after */
	size_t dlen = n;
	for (size_t k = 1; k + 5 <= n; k++)
		if (text[k - 1] == '\n' && memcmp(text + k, "root ", 5) == 0) {
			dlen = k;
			break;
		}
	fw_roots r, r2;
	fw_buf d = FW_BUF_INIT, i = FW_BUF_INIT;

	if (fw_roots_parse(&r, text, dlen, text + dlen, n - dlen) < 0)
		return;
	if (fw_roots_format(&r, &d, &i) < 0 || fw_roots_parse(&r2, d.data, d.len, i.data, i.len) < 0)
		abort();
	if (memcmp(&r.data.top.oid, &r2.data.top.oid, sizeof(r.data.top.oid)) != 0 ||
	    r.data.top.count != r2.data.top.count || r.data.height != r2.data.height ||
	    r.data.empty != r2.data.empty ||
	    memcmp(&r.index.top.oid, &r2.index.top.oid, sizeof(r.index.top.oid)) != 0 ||
	    r.index.top.count != r2.index.top.count || r.index.height != r2.index.height)
		abort();
	fw_buf_release(&d);
	fw_buf_release(&i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	fw_store_config cfg;

	schema_round_trip(text, size);
	if (fw_store_config_parse(text, size, &cfg) == 0 &&
	    (cfg.format <= 0 || cfg.level < 1 || cfg.level > 19))
		abort();
	roots_round_trip(text, size);
	struct state st;
	if (fw_merge_state_parse(&st, text, size, "state") == 1) {
		for (size_t i = 0; i < st.nr; i++)
			if (st.r[i].id == NULL || (st.r[i].how == 3) != (st.r[i].json != NULL))
				abort();
		fw_merge_state_release(&st);
	}
	return 0;
}
