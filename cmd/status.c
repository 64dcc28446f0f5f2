#include "cmd.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/merge.h"
#include "fw/store.h"

#include <string.h>

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

	char merging[256];
	if ((rc = fw_stage_status_get(cmd_store(), corpus, &st)) < 0)
		return rc;
	if ((rc = fw_merge_in_progress(cmd_store(), corpus, merging)) < 0)
		return rc;
	int in_merge = rc == 1;
	if (a->json) {
		fw_buf b = FW_BUF_INIT;
		fw_buf_printf(&b, "{\"corpus\":\"%s\",\"branch\":", corpus);
		fw_json_quote(&b, st.branch, strlen(st.branch));
		fw_buf_printf(&b, ",\"segments\":%llu,\"add\":%llu,"
		    "\"replace\":%llu,\"delete\":%llu,\"patch\":%llu,\"ignored\":%llu,"
		    "\"other_segments\":%llu,\"merging\":",
		    (unsigned long long)st.segments,
		    (unsigned long long)st.add, (unsigned long long)st.replace,
		    (unsigned long long)st.remove, (unsigned long long)st.patch,
		    (unsigned long long)st.ignored, (unsigned long long)st.other_segments);
		if (in_merge)
			fw_json_quote(&b, merging, strlen(merging));
		else
			fw_buf_adds(&b, "null");
		printf("%s}\n", b.data);
		fw_buf_release(&b);
		return 0;
	}
	if (st.segments == 0) {
		printf("%s@%s: nothing staged\n", corpus, st.branch);
	} else {
		a->any = 1;
		printf("%s@%s: %llu to add, %llu to replace, %llu to delete, %llu to patch",
		    corpus, st.branch, (unsigned long long)st.add, (unsigned long long)st.replace,
		    (unsigned long long)st.remove, (unsigned long long)st.patch);
		if (st.ignored)
			printf(", %llu ignored (not in the corpus)", (unsigned long long)st.ignored);
		printf(" (%llu staged batch%s)\n", (unsigned long long)st.segments,
		    st.segments == 1 ? "" : "es");
	}
	if (in_merge)
		printf("  (merging %s: see fw conflicts %s; then fw merge --continue %s or "
		    "--abort %s)\n", merging, corpus, corpus, corpus);
	/* Staged batches belong to the branch they were staged on. */
	if (st.other_segments)
		printf("  (%llu batch%s staged on other branches: %s)\n",
		    (unsigned long long)st.other_segments, st.other_segments == 1 ? "" : "es",
		    st.others);
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
