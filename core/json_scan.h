/* core/json_scan.h - the strict JSON scanner shared by json.c and jsontext.c. */
#ifndef FW_CORE_JSON_SCAN_H
#define FW_CORE_JSON_SCAN_H

#include <stddef.h>

#include "fw/buf.h"

struct scan {
	const char *s;
	size_t len, i;
	int depth;
	const char *err;
	size_t nbig;
	fw_buf *out;		/* the rewritten text, when nbig > 0 */
	size_t copied;		/* bytes of s already copied to out */
	/* Set by fw_scan_string: 1 when every escape in the string is the one
	 * fw_json_quote writes, so its text is already canonical. */
	int canon_escapes;
};

/* Each advances c->i past what it accepts, or sets c->err and returns -1. */
void fw_scan_ws(struct scan *c);
int fw_scan_string(struct scan *c);	/* at the opening quote */
int fw_scan_number(struct scan *c);	/* with c->out NULL, text is left alone */
int fw_scan_hex4(const char *p, unsigned *v);
/* 1 if text[0..len) is only JSON white space (or empty). */
int fw_json_all_space(const char *text, size_t len);
/* 1 if the scanned string (with its quotes) holds a \\u0000 escape. */
int fw_scan_key_has_nul(const char *p, size_t n);

#endif
