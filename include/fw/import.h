/*
 * fw/import.h - reading record files for `fw add`.
 *
 * An importer reads one input file in one of the formats below, turns each of
 * its entries into a record of fw's unified schema (docs/schema.md: the
 * mappings, the id rules and the auto-detection rules), lets the caller encode
 * each record (map) and hands the encodings, in input order, to the caller
 * (sink). Either every record of the file reaches the sink and 0 is returned,
 * or an error is returned and the caller discards what the sink received.
 *
 * Line formats (jsonl, hh-rlhf) are read in blocks of whole lines of about
 * FW_IMPORT_BLOCK bytes, parsed and mapped on worker threads, and delivered in
 * order with at most 2 * threads + 2 blocks in memory, so memory does not grow
 * with the file. Whole-file formats (tau-bench, swe-agent) are read whole and
 * mapped in the calling thread.
 */
#ifndef FW_IMPORT_H
#define FW_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "fw/buf.h"

typedef enum fw_format {
	FW_FORMAT_AUTO = 0,
	FW_FORMAT_JSONL,
	FW_FORMAT_TAU_BENCH,
	FW_FORMAT_SWE_AGENT,
	FW_FORMAT_HH_RLHF
} fw_format;

/* Bytes of input text per block of a line format (a line longer than this
 * makes its block larger; see FW_IMPORT_MAX_LINE). */
#define FW_IMPORT_BLOCK (4u << 20)
/* The longest line (record) accepted: longer ones fail the file. */
#define FW_IMPORT_MAX_LINE (256u << 20)
/* The largest whole-file input (tau-bench, swe-agent) accepted. */
#define FW_IMPORT_MAX_WHOLE ((size_t)1 << 30)

/* Sets *out from a name: "auto", "jsonl", "tau-bench", "swe-agent" or
 * "hh-rlhf". Returns FW_EINVALID naming the valid ones otherwise. */
int fw_format_parse(fw_format *out, const char *name);
/* The name of f ("auto", "jsonl", ...); "unknown" for other values. Static. */
const char *fw_format_name(fw_format f);

/*
 * Called for every record, possibly from several worker threads at once, in
 * no particular order. rec is a JSON object whose "id" is a non-empty valid
 * UTF-8 string (the importer guarantees it; it adds the id where the format's
 * mapping says so). rec is borrowed (the importer frees it; map may modify
 * it). map appends the record's encoding to out (a per-block buffer the
 * importer owns; it keeps the bytes and hands them to sink). Returns 0 or a
 * negative FW_E* with a message (fw_error_set in the calling thread); the
 * importer then fails the whole file with "bad record at FILE:LINE: MESSAGE".
 */
typedef int (*fw_import_map_fn)(void *arg, struct json_object *rec, fw_buf *out);

/*
 * Called in input order, from one thread at a time, with the concatenated
 * encodings of a block of nrecords consecutive records (nrecords >= 1). For the
 * line formats with threads, that thread is a worker (the one that finished
 * the oldest block), so that the reading thread never waits for the sink;
 * otherwise it is the thread that called fw_import_file. A negative return
 * aborts the import and is returned as is, with the sink's message.
 */
/* Optional, for JSON lines only: called instead of parsing the line into a
 * json-c object; text is the line without its line end. map_text validates
 * the text, applies the jsonl id rule and appends the encoding, like map.
 * Same threading and error rules as map. */
typedef int (*fw_import_map_text_fn)(void *arg, const char *text, size_t len, fw_buf *out);

typedef int (*fw_import_sink_fn)(void *arg, const char *bytes, size_t len,
    size_t nrecords);

/* Optional; called from the reading thread now and then: bytes of the file
 * consumed (as stored, compressed or not) of total (0 when unknown: a pipe). */
typedef void (*fw_import_progress_fn)(void *arg, uint64_t done, uint64_t total);

typedef struct fw_import_opts {
	fw_format format;	/* FW_FORMAT_AUTO: from the extension and the content */
	int threads;		/* worker threads for parsing + map; <= 0: the number of cores */
	fw_import_map_fn map;	/* required */
	fw_import_sink_fn sink;	/* required */
	fw_import_progress_fn progress;	/* may be NULL */
	void *arg;		/* passed to map, sink and progress */
	fw_import_map_text_fn map_text;	/* optional: JSON lines from text */
} fw_import_opts;

typedef struct fw_import_stats {
	uint64_t records;	/* records delivered to the sink */
	uint64_t bytes_in;	/* bytes of record text read (after decompression) */
	fw_format format;	/* the format used (resolved when AUTO was asked) */
	uint64_t bytes_file;	/* bytes read from the file as stored */
	uint64_t lines;		/* lines read (line formats; 0 for whole-file ones) */
} fw_import_stats;

/*
 * Reads path ("-": standard input, shown as "<stdin>" in messages), maps each
 * record with o->map and hands them in order to o->sink. Files ending in .gz
 * are gunzipped (zlib; concatenated members too), .zst with zstd; standard
 * input and files without those extensions are recognised by their magic
 * bytes. st may be NULL; it is filled on success only.
 *
 * Errors (message in fw_error_last()):
 *   FW_EINVALID "bad record at FILE:LINE: REASON" for bad input. LINE is the
 *     1-based line of the record for jsonl and hh-rlhf (the first bad line in
 *     input order, whatever the threads), the line where the array element
 *     starts for tau-bench, 1 or the line of the offending construct for
 *     swe-agent.
 *   FW_EINVALID "FILE: empty file, no records" (nothing but white space, or
 *     nothing at all), "FILE: cannot tell the format: REASON" (auto),
 *     "FILE: bad gzip data: ..." / "FILE: bad zstd data: ...".
 *   FW_EIO "cannot open FILE: STRERROR", "cannot read FILE: STRERROR"
 *     (a directory gives "cannot read FILE: Is a directory").
 *   FW_ENOMEM; or whatever the sink returned.
 */
int fw_import_file(fw_import_stats *st, const char *path, const fw_import_opts *o);

/*
 * Like fw_import_file on the len bytes at data (borrowed; not modified), as if
 * they were the content of a file called name: name picks the compression and,
 * with FW_FORMAT_AUTO, the format, its stem makes swe-agent and tau-bench ids,
 * and messages show it. For tests, fuzzing and callers that hold the bytes.
 */
int fw_import_buffer(fw_import_stats *st, const char *name, const void *data,
    size_t len, const fw_import_opts *o);

#endif
