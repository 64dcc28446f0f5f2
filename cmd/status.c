#include "cmd.h"
#include "fw/error.h"
#include "fw/store.h"

#include <stdlib.h>

static const char *const usage[] = { "fw status [CORPUS] [--json]", NULL };

struct st_arg {
	int json, any;
};

static int
one(void *arg, const char *corpus)
{
	struct st_arg *a = arg;
	fw_stage_status st;
	int rc;

	if ((rc = fw_stage_status_get(cmd_store(), corpus, &st)) < 0)
		return rc;
	if (a->json) {
		printf("{\"corpus\":\"%s\",\"branch\":\"%s\",\"segments\":%llu,\"add\":%llu,"
		    "\"replace\":%llu,\"delete\":%llu,\"patch\":%llu,\"ignored\":%llu}\n",
		    corpus, st.branch, (unsigned long long)st.segments,
		    (unsigned long long)st.add, (unsigned long long)st.replace,
		    (unsigned long long)st.remove, (unsigned long long)st.patch,
		    (unsigned long long)st.ignored);
		return 0;
	}
	if (st.segments == 0) {
		printf("%s@%s: nothing staged\n", corpus, st.branch);
		return 0;
	}
	a->any = 1;
	printf("%s@%s: %llu to add, %llu to replace, %llu to delete, %llu to patch", corpus,
	    st.branch, (unsigned long long)st.add, (unsigned long long)st.replace,
	    (unsigned long long)st.remove, (unsigned long long)st.patch);
	if (st.ignored)
		printf(", %llu ignored (not in the corpus)", (unsigned long long)st.ignored);
	printf(" (%llu staged batch%s)\n", (unsigned long long)st.segments,
	    st.segments == 1 ? "" : "es");
	return 0;
}

int
cmd_status(int argc, char **argv)
{
	struct st_arg a = { 0, 0 };
	const struct fw_opt opts[] = {
		{ 0, "json", FW_OPT_FLAG, NULL, "one JSON object per corpus", &a.json },
		FW_OPT_TABLE_END,
	};
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("status", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs > 1) {
		free(args);
		return fw_usage_error("status", usage, "too many arguments");
	}
	rc = nargs ? one(&a, args[0]) : fw_corpus_list(cmd_store(), one, &a);
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
