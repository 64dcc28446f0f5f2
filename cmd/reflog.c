#include "cmd.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const usage[] = {
	"fw reflog CORPUS[@BRANCH] [-n N] [--json]",
	"fw reflog --deleted CORPUS [-n N] [--json]",
	NULL
};

struct rl_arg {
	const char *corpus, *branch;
	int json, deleted;
};

static int
print_entry(void *arg, const fw_reflog_entry *e)
{
	struct rl_arg *a = arg;
	char when[64];
	time_t t = (time_t)e->time;

	if (a->json) {
		fw_buf b = FW_BUF_INIT;
		fw_buf_printf(&b, "{\"index\":%zu,\"old\":\"%s\",\"new\":\"%s\",\"time\":%lld,"
		    "\"who\":", e->index, e->old_commit, e->new_commit, (long long)e->time);
		fw_json_quote(&b, e->who, strlen(e->who));
		fw_buf_adds(&b, ",\"message\":");
		fw_json_quote(&b, e->message, strlen(e->message));
		printf("%s}\n", b.data);
		fw_buf_release(&b);
		return 0;
	}
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	if (a->deleted)
		printf("%s  %s\n", when, e->message);
	else
		printf("%.12s %s@%s@{%zu} %s  %s\n", e->new_commit, a->corpus, a->branch,
		    e->index, when, e->message);
	return 0;
}

int
cmd_reflog(int argc, char **argv)
{
	struct rl_arg a = { 0 };
	long n = 0;
	const struct fw_opt opts[] = {
		{ 'n', "max-count", FW_OPT_INT, "N", "show at most N entries", &n },
		{ 0, "deleted", FW_OPT_FLAG, NULL, "the corpus's log of deleted branches and tags",
		  &a.deleted },
		{ 0, "json", FW_OPT_FLAG, NULL, "one JSON object per entry", &a.json },
		FW_OPT_TABLE_END,
	};
	char corpus[80], branch[256];
	fw_buf cur = FW_BUF_INIT;
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("reflog", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs != 1 || (a.deleted && strchr(args[0], '@'))) {
		free(args);
		return fw_usage_error("reflog", usage, "expected one %s",
		    a.deleted ? "CORPUS" : "CORPUS[@BRANCH]");
	}
	if (strchr(args[0], '@'))
		rc = fw_refspec_split(args[0], "branch", corpus, branch);
	else {
		snprintf(corpus, sizeof(corpus), "%.79s", args[0]);
		rc = fw_corpus_current_branch(cmd_store(), corpus, &cur);
		if (rc == 0)
			snprintf(branch, sizeof(branch), "%s", cur.data);
	}
	a.corpus = corpus;
	a.branch = branch;
	if (rc == 0)
		rc = a.deleted ?
		    fw_reflog_deleted(cmd_store(), corpus, (size_t)n, print_entry, &a) :
		    fw_reflog_branch(cmd_store(), corpus, branch, (size_t)n, print_entry, &a);
	fw_buf_release(&cur);
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
