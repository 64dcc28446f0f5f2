/*
 * fw/json.h - strict JSON parsing into json-c objects, and fw's canonical form.
 *
 * fw keeps numbers' text exactly: json-c already does for numbers with a
 * fraction or exponent; fw_json_parse also keeps integers beyond 64 bits and
 * "-0", which json-c alone would clamp (they become json-c doubles that print
 * their original text).
 */
#ifndef FW_JSON_H
#define FW_JSON_H

#include <stddef.h>
#include <json-c/json.h>

#include "fw/buf.h"

/* Deepest nesting of arrays and objects accepted. */
#define FW_JSON_MAX_DEPTH 512

/*
 * Parses exactly one JSON value from text[0..len) (white space around it is
 * allowed; anything else after it is an error). Rejects invalid UTF-8, raw
 * NUL and control bytes, nesting deeper than FW_JSON_MAX_DEPTH, and anything
 * RFC 8259 does not allow. On success *out is a new reference (json_object_put
 * it). On failure returns FW_EINVALID with a message like
 * "invalid JSON at byte 17: unexpected character" (the caller adds file:line).
 */
int fw_json_parse(struct json_object **out, const char *text, size_t len);

/*
 * Appends v's canonical form to b: compact, object keys sorted by their bytes,
 * strings with only '"', '\\' and control characters escaped, numbers as their
 * original text. Equal values give equal bytes. Returns FW_EINVALID when a
 * string is not valid UTF-8 (a lone surrogate escape, say).
 */
int fw_json_canon(fw_buf *b, struct json_object *v);

/* Appends s (n bytes) as a JSON string literal with canonical escaping. */
int fw_json_quote(fw_buf *b, const char *s, size_t n);

/* Appends code point cp (at most U+10FFFF, not a surrogate) as UTF-8. */
int fw_utf8_append(fw_buf *b, unsigned cp);

/*
 * Appends the decoded bytes of a JSON string's contents s[0..n) (what lies
 * between its quotes): escapes become the characters they stand for, a
 * surrogate pair one code point. The contents must already have passed the
 * strict scan (fw_json_parse and friends check them); malformed escapes give
 * FW_EINVALID, never a read past s + n.
 */
int fw_json_unescape(fw_buf *b, const char *s, size_t n);

/* 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int fw_utf8_valid(const char *s, size_t n);

/* The text of a json-c number as fw keeps it (the original text when parsed). */
const char *fw_json_number_text(struct json_object *v);

/* 1 if a number's text is an integer (no fraction, no exponent). */
int fw_json_number_is_int(const char *text);

/*
 * The value of the number text s[0..n) (no NUL needed): *d as strtod gives it
 * (correctly rounded), and *i with *is_int = 1 when the text is an integer
 * that fits in int64 (else *i = 0, *is_int = 0). Text that is not a number
 * gives what strtod makes of it. -1 (FW_ENOMEM) only for a text over 63
 * bytes when memory runs out.
 */
int fw_json_number_parse(const char *s, size_t n, double *d, int64_t *i, uint8_t *is_int);

/*
 * The same canonical form straight from JSON text, without json-c objects:
 * appends to b exactly what fw_json_canon(fw_json_parse(text)) would, and
 * refuses exactly what fw_json_parse refuses (FW_EINVALID, same messages).
 */
int fw_json_canon_text(fw_buf *b, const char *text, size_t len);

/* The kind of a top-level member (the values match fw_kind in fw/column.h). */
enum {
	FW_JSON_NULL = 1, FW_JSON_FALSE = 2, FW_JSON_TRUE = 3, FW_JSON_NUMBER = 4,
	FW_JSON_STRING = 5, FW_JSON_ARRAY = 6, FW_JSON_OBJECT = 7,
};

typedef struct fw_json_member {
	size_t name_off, name_len;	/* the decoded key, in buf */
	int kind;
	size_t off, len;		/* the payload in buf: a string's bytes, a
					 * number's text, canonical JSON of an array
					 * or object; empty for null and booleans */
} fw_json_member;

/*
 * Splits the JSON object text[0..len) into its members, in input order, the
 * last of duplicate keys kept; names and payloads go to buf (reset first).
 * *members (capacity *cap) is grown as needed; free it with free(). A value
 * that is not an object is refused with "a record must be a JSON object".
 */
int fw_json_split_object(const char *text, size_t len, fw_buf *buf,
    fw_json_member **members, size_t *n, size_t *cap);

#endif
