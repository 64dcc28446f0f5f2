/*
 * A tiny test harness. Each test file defines functions registered in
 * tests/unit/main.c; a failed CHECK prints the expression, file and line and
 * the test goes on. The runner ends with "N passed, N failed".
 */
#ifndef FW_TEST_HARNESS_H
#define FW_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>

extern int t_checks_failed;
extern int t_checks_passed;

#define CHECK(expr) do { \
	if (expr) t_checks_passed++; \
	else { t_checks_failed++; \
		fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #expr); } \
} while (0)

#define CHECK_MSG(expr, ...) do { \
	if (expr) t_checks_passed++; \
	else { t_checks_failed++; \
		fprintf(stderr, "  FAIL %s:%d: %s: ", __FILE__, __LINE__, #expr); \
		fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
} while (0)

#define CHECK_INT(a, b) do { long long _a = (long long)(a), _b = (long long)(b); \
	CHECK_MSG(_a == _b, "%lld != %lld", _a, _b); } while (0)

#define CHECK_STR(a, b) do { const char *_a = (a), *_b = (b); \
	CHECK_MSG(_a && _b && strcmp(_a, _b) == 0, "\"%s\" != \"%s\"", \
	    _a ? _a : "(null)", _b ? _b : "(null)"); } while (0)

/* Checks that an fw call succeeded, printing fw_error_last() when not. */
#define CHECK_OK(call) do { int _rc = (call); \
	CHECK_MSG(_rc >= 0, "rc %d: %s", _rc, fw_error_last()); } while (0)

/* The path of ../shared/data (FW_DATA overrides); NULL when absent, and the
 * caller skips with a message. */
const char *t_data_dir(void);
/* A fresh temporary directory, removed at exit. */
const char *t_tmpdir(void);

#endif
