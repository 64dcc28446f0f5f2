#include "cmd.h"
#include "fw/error.h"
#include "fw/filter.h"
#include "fw/store.h"

#include <stdlib.h>

static const char *const usage[] = {
	"fw cat CORPUS[@REV] [--id ID]... [--where EXPR] [--limit N]",
	NULL,
};

static int
print_line(void *arg, const char *json, size_t len)
{
	(void)arg;
	fwrite(json, 1, len, stdout);
	if (putchar('\n') == EOF)
		return fw_error_set(FW_EIO, "cannot write standard output");
	return 0;
}

int
cmd_cat(int argc, char **argv)
{
	struct fw_strlist ids = { NULL, 0 };
	long limit = 0;
	const char *where = NULL;
	fw_filter *filter = NULL;
	const struct fw_opt opts[] = {
		{ 'w', "where", FW_OPT_STR, "EXPR", "only records the filter selects (fw-filter(7))", &where },
		{ 0, "id", FW_OPT_LIST, "ID", "only the record with this id (repeatable)", &ids },
		{ 0, "limit", FW_OPT_INT, "N", "at most N records", &limit },
		FW_OPT_TABLE_END,
	};
	fw_cat_opts co = { 0 };
	fw_rev rev;
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("cat", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs != 1) {
		free(args);
		free(ids.v);
		return fw_usage_error("cat", usage, "expected one CORPUS[@REV]");
	}
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	co.ids = ids.v;
	co.nids = (size_t)ids.n;
	co.limit = (uint64_t)limit;
	/* A bad expression is reported before any record is read. */
	if (where && fw_filter_parse(&filter, where) < 0) {
		free(args);
		free(ids.v);
		return fw_fail();
	}
	co.where = filter;
	rc = fw_rev_resolve(cmd_store(), &rev, args[0]);
	if (rc == 0)
		rc = fw_cat(cmd_store(), &rev, &co, print_line, NULL);
	if (rc == 0 && where && getenv("FW_VERBOSE"))
		fprintf(stderr, "fw: cat: %llu row groups read, %llu skipped by their statistics\n",
		    (unsigned long long)co.groups_read, (unsigned long long)co.groups_skipped);
	fw_filter_free(filter);
	free(args);
	free(ids.v);
	return rc < 0 ? fw_fail() : 0;
}
