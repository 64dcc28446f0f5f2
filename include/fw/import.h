/*
 * fw/import.h - reading records from the formats agents and datasets use.
 * (Interim header; the full importer lands from the imp branch.)
 */
#ifndef FW_IMPORT_H
#define FW_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "fw/buf.h"

typedef enum fw_format {
	FW_FORMAT_AUTO = 0, FW_FORMAT_JSONL, FW_FORMAT_TAU_BENCH,
	FW_FORMAT_SWE_AGENT, FW_FORMAT_HH_RLHF
} fw_format;

int fw_format_parse(fw_format *out, const char *name);
const char *fw_format_name(fw_format f);

typedef int (*fw_import_map_fn)(void *arg, struct json_object *rec, fw_buf *out);
typedef int (*fw_import_sink_fn)(void *arg, const char *bytes, size_t len, size_t nrecords);
typedef void (*fw_import_progress_fn)(void *arg, uint64_t done, uint64_t total);

typedef struct fw_import_opts {
	fw_format format;
	int threads;
	fw_import_map_fn map;
	fw_import_sink_fn sink;
	fw_import_progress_fn progress;
	void *arg;
} fw_import_opts;

typedef struct fw_import_stats {
	uint64_t records;
	uint64_t bytes_in;
	fw_format format;
} fw_import_stats;

int fw_import_file(fw_import_stats *st, const char *path, const fw_import_opts *o);

#endif
