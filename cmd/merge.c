#include "cmd.h"
#include "fw/error.h"
#include "fw/merge.h"
#include "fw/store.h"

#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"fw merge CORPUS@BRANCH [-m MESSAGE] [--strategy ours|theirs]",
	"fw merge --continue CORPUS",
	"fw merge --abort CORPUS",
	NULL,
};

static void
report(const char *corpus, const fw_merge_result *r)
{
	printf("merged into %s@%s: %llu added, %llu removed, %llu modified (%.12s)\n", corpus,
	    r->branch, (unsigned long long)r->added, (unsigned long long)r->removed,
	    (unsigned long long)r->modified, r->commit);
}

int
cmd_merge(int argc, char **argv)
{
	const char *message = NULL, *strategy = NULL;
	int cont = 0, abort_ = 0;
	const struct fw_opt opts[] = {
		{ 'm', "message", FW_OPT_STR, "MESSAGE", "the merge commit's message", &message },
		{ 0, "strategy", FW_OPT_STR, "ours|theirs", "resolve every conflict to one side", &strategy },
		{ 0, "continue", FW_OPT_FLAG, NULL, "commit the merge in progress once resolved", &cont },
		{ 0, "abort", FW_OPT_FLAG, NULL, "forget the merge in progress", &abort_ },
		FW_OPT_TABLE_END,
	};
	fw_merge_opts mo = { 0 };
	fw_merge_result res;
	fw_store *s = cmd_store();
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("merge", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs != 1 || (cont && abort_)) {
		free(args);
		return fw_usage_error("merge", usage, "expected one CORPUS@BRANCH, or "
		    "--continue or --abort and a CORPUS");
	}
	if (cont || abort_) {
		if (strchr(args[0], '@')) {
			free(args);
			return fw_usage_error("merge", usage, "--continue and --abort take a CORPUS");
		}
		if (abort_) {
			if ((rc = fw_merge_abort(s, args[0])) == 0)
				printf("merge of %s aborted\n", args[0]);
		} else if ((rc = fw_merge_continue(s, &res, args[0])) == 0)
			report(args[0], &res);
		free(args);
		return rc < 0 ? fw_fail() : 0;
	}
	if (strategy && strcmp(strategy, "ours") == 0)
		mo.strategy = FW_MERGE_OURS;
	else if (strategy && strcmp(strategy, "theirs") == 0)
		mo.strategy = FW_MERGE_THEIRS;
	else if (strategy) {
		free(args);
		return fw_usage_error("merge", usage, "--strategy is ours or theirs, not '%s'",
		    strategy);
	}
	char *at = strchr(args[0], '@');
	if (at == NULL || at[1] == '\0') {
		free(args);
		return fw_usage_error("merge", usage, "expected CORPUS@BRANCH");
	}
	char corpus[80];
	snprintf(corpus, sizeof(corpus), "%.*s", (int)(at - args[0]), args[0]);
	mo.message = message;
	rc = fw_merge(s, &res, corpus, at + 1, &mo);
	if (rc == 0) {
		if (res.up_to_date)
			printf("%s@%s is up to date with %s\n", corpus, res.branch, args[0]);
		else if (res.fast_forward)
			printf("fast-forward %s@%s to %.12s\n", corpus, res.branch, res.commit);
		else
			report(corpus, &res);
		if (!res.up_to_date && !res.fast_forward)
			cmd_auto_compact();
	}
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
