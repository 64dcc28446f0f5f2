#include "cmd.h"
#include "fw/error.h"
#include "fw/store.h"

#include <stdint.h>
#include <stdlib.h>

static const char *const usage[] = { "fw switch CORPUS@BRANCH", NULL };

int
cmd_switch(int argc, char **argv)
{
	const struct fw_opt opts[] = { FW_OPT_TABLE_END };
	uint64_t waiting = 0;
	char corpus[80], name[256];
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("switch", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs != 1) {
		free(args);
		return fw_usage_error("switch", usage, "expected one CORPUS@BRANCH");
	}
	if ((rc = fw_refspec_split(args[0], "branch", corpus, name)) == 0 &&
	    (rc = fw_branch_switch(cmd_store(), corpus, name, &waiting)) == 0) {
		printf("switched %s to branch %s\n", corpus, name);
		if (waiting)
			printf("%llu staged batch%s of %s@%s will go into its next commit\n",
			    (unsigned long long)waiting, waiting == 1 ? "" : "es", corpus, name);
	}
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
