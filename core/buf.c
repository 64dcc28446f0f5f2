#include "fw/buf.h"
#include "fw/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
fw_buf_init(fw_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
fw_buf_release(fw_buf *b)
{
	free(b->data);
	fw_buf_init(b);
}

int
fw_buf_grow(fw_buf *b, size_t n)
{
	size_t want = b->len + n + 1, cap;
	char *p;

	if (want < b->len)
		return fw_error_set(FW_ENOMEM, "buffer size overflow");
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap * 2 > cap ? cap * 2 : want;
	p = realloc(b->data, cap);
	if (p == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory (%zu bytes)", cap);
	b->data = p;
	b->cap = cap;
	return 0;
}

int
fw_buf_add(fw_buf *b, const void *p, size_t n)
{
	int rc;

	if ((rc = fw_buf_grow(b, n)) < 0)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
fw_buf_adds(fw_buf *b, const char *s)
{
	return fw_buf_add(b, s, strlen(s));
}

int
fw_buf_addc(fw_buf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return 0;
	}
	return fw_buf_add(b, &c, 1);
}

int
fw_buf_printf(fw_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return fw_error_set(FW_EINVALID, "bad format");
	if ((rc = fw_buf_grow(b, (size_t)n)) < 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int
fw_buf_add_u32(fw_buf *b, uint32_t v)
{
	unsigned char x[4] = { v, v >> 8, v >> 16, v >> 24 };

	return fw_buf_add(b, x, 4);
}

int
fw_buf_add_u64(fw_buf *b, uint64_t v)
{
	unsigned char x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	return fw_buf_add(b, x, 8);
}

int
fw_buf_add_varint(fw_buf *b, uint64_t v)
{
	unsigned char x[10];
	int n = 0;

	/* Room for the longest varint and the NUL: written in place (row
	 * sizes are a varint a row, and the copy through x was most of it). */
	if (b->data && b->len + 11 <= b->cap) {
		unsigned char *q = (unsigned char *)b->data + b->len;
		while (v >= 0x80) {
			*q++ = (unsigned char)(v | 0x80);
			v >>= 7;
		}
		*q++ = (unsigned char)v;
		b->len = (size_t)(q - (unsigned char *)b->data);
		b->data[b->len] = '\0';
		return 0;
	}
	do {
		x[n] = v & 0x7f;
		v >>= 7;
		if (v)
			x[n] |= 0x80;
		n++;
	} while (v);
	return fw_buf_add(b, x, (size_t)n);
}

void
fw_buf_reset(fw_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *
fw_buf_detach(fw_buf *b, size_t *len)
{
	char *p = b->data;

	if (p == NULL)
		p = calloc(1, 1);
	if (len)
		*len = b->len;
	fw_buf_init(b);
	return p;
}

void
fw_rd_init(fw_rd *r, const void *p, size_t n)
{
	r->p = p;
	r->end = r->p + n;
}

size_t
fw_rd_left(const fw_rd *r)
{
	return (size_t)(r->end - r->p);
}

int
fw_rd_bytes(fw_rd *r, const void **p, size_t n)
{
	if (fw_rd_left(r) < n)
		return fw_error_set(FW_ECORRUPT, "truncated data");
	*p = r->p;
	r->p += n;
	return 0;
}

int
fw_rd_u8(fw_rd *r, uint8_t *v)
{
	if (r->p >= r->end)
		return fw_error_set(FW_ECORRUPT, "truncated data");
	*v = *r->p++;
	return 0;
}

int
fw_rd_u32(fw_rd *r, uint32_t *v)
{
	if (fw_rd_left(r) < 4)
		return fw_error_set(FW_ECORRUPT, "truncated data");
	*v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 |
	    (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
	r->p += 4;
	return 0;
}

int
fw_rd_u64(fw_rd *r, uint64_t *v)
{
	uint64_t x = 0;

	if (fw_rd_left(r) < 8)
		return fw_error_set(FW_ECORRUPT, "truncated data");
	for (int i = 0; i < 8; i++)
		x |= (uint64_t)r->p[i] << (8 * i);
	r->p += 8;
	*v = x;
	return 0;
}

int
fw_rd_varint(fw_rd *r, uint64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			return fw_error_set(FW_ECORRUPT, "truncated varint");
		unsigned char c = *r->p++;
		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return fw_error_set(FW_ECORRUPT, "varint too long");
}
