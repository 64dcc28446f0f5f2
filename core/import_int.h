/*
 * core/import_int.h - what core/import.c (reading, threads, delivery) and
 * core/import_formats.c (the mapping of each format to records) share.
 * Messages set by these functions carry no file or line: the caller adds
 * "bad record at FILE:LINE: " with fw_imp_bad.
 */
#ifndef FW_IMPORT_INT_H
#define FW_IMPORT_INT_H

#include "fw/import.h"

#include <json-c/json.h>

/* Hands one mapped record (owned by the callee) to the importer. Returns 0 or
 * a negative code with the message already located ("bad record at ..."). */
typedef int (*fw_imp_emit_fn)(void *ctx, struct json_object *rec, size_t line);

struct fw_imp_whole {
	const char *name;	/* for messages */
	const char *stem;	/* file name without folders and extensions */
	fw_imp_emit_fn emit;
	void *ctx;
};

/* "a number", "null", "an object", ... for messages. */
const char *fw_imp_type_name(struct json_object *v);

/* Wraps the current message as "bad record at NAME:LINE: MESSAGE". */
int fw_imp_bad(int code, const char *name, size_t line);

/* 0 if rec has a usable "id" (a non-empty valid UTF-8 string), else
 * FW_EINVALID saying what is wrong with it. */
int fw_imp_check_id(struct json_object *rec);

/* out: 64 lower-case hex digits and a NUL. */
void fw_imp_sha256_hex(char out[65], const void *p, size_t n);

/* 1 if v is an object of exactly two strings, "chosen" and "rejected". */
int fw_imp_is_hh_pair(struct json_object *v);

/*
 * Turns one parsed line of a line format into its record. Takes *rec (a new
 * reference) and leaves in it the record to map (a new reference, maybe a
 * different object); on failure *rec is NULL and everything is freed.
 */
int fw_imp_line_record(struct json_object **rec, fw_format f);

/* The whole-file formats: text[0..len) is the file (after a BOM). */
int fw_imp_tau_bench(const struct fw_imp_whole *w, const char *text, size_t len);
int fw_imp_swe_agent(const struct fw_imp_whole *w, const char *text, size_t len);

#endif
