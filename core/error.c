#include "fw/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char err_msg[2048];

int
fw_error_setv(int code, const char *fmt, va_list ap)
{
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	return code;
}

int
fw_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fw_error_setv(code, fmt, ap);
	va_end(ap);
	return code;
}

int
fw_error_errno(const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
	va_end(ap);
	n = strlen(err_msg);
	snprintf(err_msg + n, sizeof(err_msg) - n, ": %s", strerror(saved));
	return saved == ENOMEM ? FW_ENOMEM : FW_EIO;
}

int
fw_error_wrap(int code, const char *fmt, ...)
{
	char prefix[1024], old[sizeof(err_msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err_msg, sizeof(old));
	/* A message cut short is better than none. */
	size_t n = strlen(prefix);
	if (n > sizeof(err_msg) - 3)
		n = sizeof(err_msg) - 3;
	memcpy(err_msg, prefix, n);
	memcpy(err_msg + n, ": ", 2);
	size_t m = strlen(old);
	if (m > sizeof(err_msg) - n - 3)
		m = sizeof(err_msg) - n - 3;
	memcpy(err_msg + n + 2, old, m);
	err_msg[n + 2 + m] = '\0';
	return code;
}

const char *
fw_error_last(void)
{
	return err_msg;
}

void
fw_error_clear(void)
{
	err_msg[0] = '\0';
}

const char *
fw_error_name(int code)
{
	switch (code) {
	case FW_OK: return "ok";
	case FW_ENOTFOUND: return "not found";
	case FW_EEXISTS: return "exists";
	case FW_ECONFLICT: return "conflict";
	case FW_ECORRUPT: return "corrupt";
	case FW_EINVALID: return "invalid";
	case FW_EIO: return "i/o error";
	case FW_ELOCKED: return "locked";
	case FW_ENOMEM: return "out of memory";
	case FW_EUNSUPPORTED: return "unsupported";
	case FW_EAMBIGUOUS: return "ambiguous";
	case FW_EEMPTY: return "nothing to do";
	}
	return "error";
}
