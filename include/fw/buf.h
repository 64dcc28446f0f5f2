/*
 * fw/buf.h - a growable byte buffer.
 *
 * A fw_buf on the stack starts as FW_BUF_INIT (or fw_buf_init) and ends with
 * fw_buf_release. data is always NUL-terminated (the NUL is not counted in len),
 * so text can be used as a C string. Appends return 0 or FW_ENOMEM.
 */
#ifndef FW_BUF_H
#define FW_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct fw_buf {
	char *data;
	size_t len;
	size_t cap;
} fw_buf;

#define FW_BUF_INIT { NULL, 0, 0 }

void fw_buf_init(fw_buf *b);
void fw_buf_release(fw_buf *b);
/* Makes room for n more bytes. */
int fw_buf_grow(fw_buf *b, size_t n);
int fw_buf_add(fw_buf *b, const void *p, size_t n);
int fw_buf_adds(fw_buf *b, const char *s);
int fw_buf_addc(fw_buf *b, char c);
int fw_buf_printf(fw_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Little-endian fixed-width and LEB128 variable-width integers. */
int fw_buf_add_u32(fw_buf *b, uint32_t v);
int fw_buf_add_u64(fw_buf *b, uint64_t v);
int fw_buf_add_varint(fw_buf *b, uint64_t v);
void fw_buf_reset(fw_buf *b);
/* Hands the bytes to the caller (free with free()) and empties b. */
char *fw_buf_detach(fw_buf *b, size_t *len);

/* A read cursor over bytes; every read checks bounds and returns FW_ECORRUPT
 * (with a message naming what) when the bytes end early. */
typedef struct fw_rd {
	const unsigned char *p;
	const unsigned char *end;
} fw_rd;

void fw_rd_init(fw_rd *r, const void *p, size_t n);
int fw_rd_u8(fw_rd *r, uint8_t *v);
int fw_rd_u32(fw_rd *r, uint32_t *v);
int fw_rd_u64(fw_rd *r, uint64_t *v);
int fw_rd_varint(fw_rd *r, uint64_t *v);
int fw_rd_bytes(fw_rd *r, const void **p, size_t n);
size_t fw_rd_left(const fw_rd *r);

#endif
