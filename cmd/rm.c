#include "cmd.h"
#include "fw/error.h"
#include "fw/store.h"

#include <stdlib.h>

static const char *const usage[] = { "fw rm CORPUS ID...", NULL };

int
cmd_rm(int argc, char **argv)
{
	static const struct fw_opt opts[] = { FW_OPT_TABLE_END };
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("rm", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs < 2) {
		free(args);
		return fw_usage_error("rm", usage, "expected a corpus and at least one id");
	}
	rc = fw_stage_rm(cmd_store(), args[0], (const char *const *)args + 1, (size_t)nargs - 1);
	if (rc == 0)
		printf("staged %d deletion%s for %s\n", nargs - 1, nargs == 2 ? "" : "s", args[0]);
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
