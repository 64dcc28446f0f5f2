#include "cmd.h"
#include "fw/error.h"
#include "fw/maint.h"

#include <stdlib.h>

static const char *const usage[] = {
	"fw fsck [--full]",
	NULL,
};

static void
report(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "fw fsck: %s\n", line);
}

int
cmd_fsck(int argc, char **argv)
{
	int full = 0;
	const struct fw_opt opts[] = {
		{ 0, "full", FW_OPT_FLAG, NULL, "also decode every column and check its statistics", &full },
		FW_OPT_TABLE_END,
	};
	fw_fsck_opts o = { 0, report, NULL };
	fw_fsck_result r;
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("fsck", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	free(args);
	if (nargs != 0)
		return fw_usage_error("fsck", usage, "expected no arguments");
	o.full = full;
	if (fw_fsck(cmd_store(), &o, &r) < 0)
		return fw_fail();
	printf("%llu refs and reflog entries, %llu commits, %llu versions, %llu objects "
	    "(%llu bytes), %llu staged segments (%llu operations): %llu problem%s\n",
	    (unsigned long long)r.roots, (unsigned long long)r.commits,
	    (unsigned long long)r.versions, (unsigned long long)r.objects,
	    (unsigned long long)r.bytes, (unsigned long long)r.segments,
	    (unsigned long long)r.ops, (unsigned long long)r.problems,
	    r.problems == 1 ? "" : "s");
	return r.problems ? 1 : 0;
}
