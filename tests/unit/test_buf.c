#include "harness.h"
#include <string.h>
#include "fw/buf.h"
#include "fw/error.h"

#include <stdint.h>

void
test_buf_varint(void)
{
	static const uint64_t vals[] = { 0, 1, 127, 128, 300, 16383, 16384,
	    UINT32_MAX, (uint64_t)1 << 63, UINT64_MAX };
	fw_buf b = FW_BUF_INIT;
	fw_rd r;

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		CHECK_OK(fw_buf_add_varint(&b, vals[i]));
	fw_rd_init(&r, b.data, b.len);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint64_t v = 0;
		CHECK_OK(fw_rd_varint(&r, &v));
		CHECK(v == vals[i]);
	}
	uint64_t v;
	CHECK_INT(fw_rd_varint(&r, &v), FW_ECORRUPT);
	/* With room (written in place) and without (through a copy): the same
	 * bytes, NUL-terminated. */
	fw_buf one = FW_BUF_INIT, all = FW_BUF_INIT;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		fw_buf x = FW_BUF_INIT;
		CHECK_OK(fw_buf_add_varint(&x, vals[i]));	/* empty: the copy */
		fw_buf_add(&one, x.data, x.len);
		fw_buf_release(&x);
	}
	CHECK_OK(fw_buf_grow(&all, 200));
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		CHECK_OK(fw_buf_add_varint(&all, vals[i]));	/* room: in place */
	CHECK(all.len == one.len && memcmp(all.data, one.data, one.len) == 0);
	CHECK(all.data[all.len] == '\0');
	CHECK(b.len == one.len && memcmp(b.data, one.data, one.len) == 0);
	fw_buf_release(&one);
	fw_buf_release(&all);
	fw_buf_release(&b);
}

void
test_buf_printf(void)
{
	fw_buf b = FW_BUF_INIT;

	CHECK_OK(fw_buf_printf(&b, "%s-%d", "a", 42));
	CHECK_OK(fw_buf_adds(&b, "!"));
	CHECK_STR(b.data, "a-42!");
	CHECK_INT(b.len, 5);
	fw_buf_release(&b);
}
