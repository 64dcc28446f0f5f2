/* Interim JSON-lines importer (single thread); replaced by the imp branch. */
#include "fw/import.h"
#include "fw/error.h"
#include "fw/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
fw_format_parse(fw_format *out, const char *name)
{
	static const char *names[] = { "auto", "jsonl", "tau-bench", "swe-agent", "hh-rlhf" };
	for (int i = 0; i < 5; i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (fw_format)i;
			return 0;
		}
	return fw_error_set(FW_EINVALID, "unknown format '%s'", name);
}

const char *
fw_format_name(fw_format f)
{
	static const char *names[] = { "auto", "jsonl", "tau-bench", "swe-agent", "hh-rlhf" };
	return names[f];
}

int
fw_import_file(fw_import_stats *st, const char *path, const fw_import_opts *o)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	const char *show = strcmp(path, "-") == 0 ? "<stdin>" : path;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t lineno = 0;
	fw_buf out = FW_BUF_INIT;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	if (f == NULL)
		return fw_error_errno("cannot open %s", path);
	while ((n = getline(&line, &cap, f)) >= 0) {
		struct json_object *rec;
		lineno++;
		st->bytes_in += (uint64_t)n;
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if ((rc = fw_json_parse(&rec, line, (size_t)n)) < 0) {
			rc = fw_error_wrap(rc, "bad record at %s:%llu", show, (unsigned long long)lineno);
			break;
		}
		fw_buf_reset(&out);
		rc = o->map(o->arg, rec, &out);
		json_object_put(rec);
		if (rc < 0) {
			rc = fw_error_wrap(rc, "bad record at %s:%llu", show, (unsigned long long)lineno);
			break;
		}
		if ((rc = o->sink(o->arg, out.data, out.len, 1)) < 0)
			break;
		st->records++;
	}
	if (rc == 0 && st->records == 0)
		rc = fw_error_set(FW_EINVALID, "%s: empty file, no records", show);
	free(line);
	fw_buf_release(&out);
	if (f != stdin)
		fclose(f);
	return rc;
}
