#include "cmd.h"
#include "fw/error.h"
#include "fw/store.h"

#include <stdlib.h>

static const char *const usage[] = { "fw switch CORPUS@BRANCH", NULL };

int
cmd_switch(int argc, char **argv)
{
	const struct fw_opt opts[] = { FW_OPT_TABLE_END };
	fw_stage_status st;
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
	    (rc = fw_branch_switch(cmd_store(), corpus, name)) == 0) {
		printf("switched %s to branch %s\n", corpus, name);
		if (fw_stage_status_get(cmd_store(), corpus, &st) == 0 && st.segments)
			printf("%llu staged batch%s of %s@%s will go into its next commit\n",
			    (unsigned long long)st.segments, st.segments == 1 ? "" : "es",
			    corpus, name);
	}
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
