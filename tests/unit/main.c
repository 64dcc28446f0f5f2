/* The unit test runner: runs every registered test, or those named on the
 * command line, and ends with "N passed, N failed". */
#include "harness.h"
#include "fw/error.h"

#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

int t_checks_failed;
int t_checks_passed;

#define T(name) void name(void);
#include "tests.def"
#undef T

static const struct { const char *name; void (*fn)(void); } tests[] = {
#define T(name) { #name, name },
#include "tests.def"
#undef T
};

static char tmp_root[256];

static void
cleanup(void)
{
	char cmd[300];

	if (tmp_root[0] && getenv("FW_KEEP_TMP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmp_root);
	}
}

const char *
t_tmpdir(void)
{
	static int n;
	static char path[300];

	if (!tmp_root[0]) {
		const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
		snprintf(tmp_root, sizeof(tmp_root), "%s/fw-unit-XXXXXX", base);
		if (mkdtemp(tmp_root) == NULL) {
			perror("mkdtemp");
			exit(2);
		}
		atexit(cleanup);
	}
	snprintf(path, sizeof(path), "%s/%d", tmp_root, n++);
	mkdir(path, 0777);
	return path;
}

const char *
t_data_dir(void)
{
	static char path[4096];
	const char *env = getenv("FW_DATA");
	struct stat st;

	snprintf(path, sizeof(path), "%s", env ? env : "../shared/data");
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return path;
}

int
main(int argc, char **argv)
{
	size_t ntests = sizeof(tests) / sizeof(tests[0]);
	int failed_tests = 0;

	for (size_t i = 0; i < ntests; i++) {
		int before = t_checks_failed, want = argc < 2;
		for (int a = 1; a < argc; a++)
			if (strcmp(argv[a], tests[i].name) == 0)
				want = 1;
		if (!want)
			continue;
		fw_error_clear();
		tests[i].fn();
		if (t_checks_failed > before) {
			failed_tests++;
			fprintf(stderr, "FAIL %s\n", tests[i].name);
		} else if (getenv("FW_TEST_VERBOSE")) {
			fprintf(stderr, "ok   %s\n", tests[i].name);
		}
	}
	printf("unit: %d checks passed, %d checks failed\n", t_checks_passed,
	    t_checks_failed);
	printf("%d passed, %d failed\n", t_checks_passed, t_checks_failed);
	return t_checks_failed ? 1 : 0;
}
