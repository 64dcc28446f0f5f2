#include "cmd.h"
#include "fw/error.h"
#include "fw/store.h"

#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"fw branch CORPUS@NAME [REV]",
	"fw branch --list CORPUS",
	"fw branch --delete CORPUS@NAME [--force]",
	NULL
};

static int
print_branch(void *arg, const fw_ref_info *b)
{
	(void)arg;
	printf("%c %s\t%.12s\t%llu records\n", b->current ? '*' : ' ', b->name, b->commit,
	    (unsigned long long)b->records);
	return 0;
}

int
cmd_branch(int argc, char **argv)
{
	int list = 0, del = 0, force = 0;
	const struct fw_opt opts[] = {
		{ 'l', "list", FW_OPT_FLAG, NULL, "list the branches, the current one marked *",
		  &list },
		{ 'd', "delete", FW_OPT_FLAG, NULL, "delete a branch", &del },
		{ 'f', "force", FW_OPT_FLAG, NULL, "delete even when nothing else reaches it",
		  &force },
		FW_OPT_TABLE_END,
	};
	char corpus[80], name[256];
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("branch", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs == 1 && !del && !strchr(args[0], '@'))
		list = 1;
	if (list + del > 1 || (force && !del) || nargs < 1 || nargs > (list || del ? 1 : 2)) {
		free(args);
		return fw_usage_error("branch", usage, "expected %s",
		    list ? "one CORPUS" : del ? "one CORPUS@NAME" : "CORPUS@NAME [REV]");
	}
	if (list)
		rc = fw_branch_list(cmd_store(), args[0], print_branch, NULL);
	else if ((rc = fw_refspec_split(args[0], "branch", corpus, name)) == 0) {
		if (del && (rc = fw_branch_delete(cmd_store(), corpus, name, force)) == 0)
			printf("deleted branch %s@%s\n", corpus, name);
		else if (!del && (rc = fw_branch_create(cmd_store(), corpus, name,
		    nargs > 1 ? args[1] : NULL)) == 0)
			printf("created branch %s@%s\n", corpus, name);
	}
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
