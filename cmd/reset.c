#include "cmd.h"
#include "fw/error.h"
#include "fw/objstore.h"
#include "fw/store.h"

#include <stdlib.h>

static const char *const usage[] = { "fw reset CORPUS@BRANCH REV", NULL };

int
cmd_reset(int argc, char **argv)
{
	const struct fw_opt opts[] = { FW_OPT_TABLE_END };
	char corpus[80], name[256], old[FW_OID_HEXSZ + 1], now[FW_OID_HEXSZ + 1];
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("reset", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs != 2) {
		free(args);
		return fw_usage_error("reset", usage, "expected CORPUS@BRANCH and REV");
	}
	if ((rc = fw_refspec_split(args[0], "branch", corpus, name)) == 0 &&
	    (rc = fw_branch_reset(cmd_store(), corpus, name, args[1], old, now)) == 0)
		printf("%s@%s: %.12s -> %.12s (the old position is %s@%s@{1})\n", corpus, name,
		    old, now, corpus, name);
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
