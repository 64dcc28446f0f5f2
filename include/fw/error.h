/*
 * fw/error.h - error codes and the thread-local error message.
 *
 * Every library function that can fail returns int: 0 on success or one of the
 * negative FW_E* codes below. The human-readable message of the last failure in
 * the calling thread is in fw_error_last(); it is lower-case, has no full stop,
 * says what failed first and names the file, line, id or revision involved.
 */
#ifndef FW_ERROR_H
#define FW_ERROR_H

#include <stdarg.h>

enum {
	FW_OK = 0,
	FW_ENOTFOUND = -1,	/* a name, id, revision or object does not exist */
	FW_EEXISTS = -2,	/* it exists already */
	FW_ECONFLICT = -3,	/* a concurrent change or a merge conflict */
	FW_ECORRUPT = -4,	/* stored bytes fail verification */
	FW_EINVALID = -5,	/* bad input: a record, a name, an argument */
	FW_EIO = -6,		/* the operating system refused a read or write */
	FW_ELOCKED = -7,	/* someone else holds the lock */
	FW_ENOMEM = -8,		/* out of memory */
	FW_EUNSUPPORTED = -9,	/* valid input that fw does not handle */
	FW_EAMBIGUOUS = -10,	/* a name or prefix matches several things */
	FW_EEMPTY = -11,	/* nothing to do (e.g. commit with nothing staged) */
};

/* Sets the thread's message from a printf format and returns code, so that
 * callers write `return fw_error_set(FW_EINVALID, "bad name '%s'", n);`. */
int fw_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int fw_error_setv(int code, const char *fmt, va_list ap);

/* Like fw_error_set, with ": strerror(errno)" appended; returns FW_EIO. */
int fw_error_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prefixes the current message with "PREFIX: " (for context added by callers). */
int fw_error_wrap(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The message of the last error in this thread; "" when none. Borrowed: valid
 * until the next fw call in this thread. */
const char *fw_error_last(void);

/* Clears the message. */
void fw_error_clear(void);

/* A short name of a code ("not found", "corrupt", ...). */
const char *fw_error_name(int code);

#endif
