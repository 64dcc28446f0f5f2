#include "cmd.h"
#include "fw/error.h"
#include "fw/store.h"

#include <stdlib.h>

static const char *const usage[] = { "fw init [DIR]", NULL };

int
cmd_init(int argc, char **argv)
{
	static const struct fw_opt opts[] = { FW_OPT_TABLE_END };
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("init", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs > 1) {
		free(args);
		return fw_usage_error("init", usage, "too many arguments");
	}
	rc = fw_store_init(nargs ? args[0] : NULL);
	if (rc == 0)
		printf("initialised an empty fw store in %s/.fw\n", nargs ? args[0] : ".");
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
