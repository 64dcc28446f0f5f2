#include "cmd.h"
#include "fw/error.h"
#include "fw/store.h"

#include <stdlib.h>

static const char *const usage[] = {
	"fw add CORPUS FILE... [--format F] [--patch] [--json]",
	NULL,
};

int
cmd_add(int argc, char **argv)
{
	const char *format = "auto";
	long threads = 0;
	int patch = 0, json = 0;
	const struct fw_opt opts[] = {
		{ 'f', "format", FW_OPT_STR, "F", "auto, jsonl, tau-bench, swe-agent or hh-rlhf", &format },
		{ 0, "patch", FW_OPT_FLAG, NULL, "each record sets fields of an existing id", &patch },
		{ 'j', "threads", FW_OPT_INT, "N",
		    "threads that parse and build columns (default: all cores)", &threads },
		{ 0, "json", FW_OPT_FLAG, NULL, "print the result as JSON", &json },
		FW_OPT_TABLE_END,
	};
	fw_stage_opts so = { 0 };
	fw_stage_result res;
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("add", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs < 2) {
		free(args);
		return fw_usage_error("add", usage, "expected a corpus and at least one file");
	}
	if (fw_format_parse(&so.format, format) < 0) {
		free(args);
		return fw_usage_error("add", usage, "%s", fw_error_last());
	}
	so.patch = patch;
	so.threads = (int)threads;
	so.progress = cmd_progress;
	so.progress_arg = "add";
	rc = fw_stage_add(cmd_store(), &res, args[0], (const char *const *)args + 1,
	    (size_t)nargs - 1, &so);
	cmd_progress_end();
	if (rc == 0) {
		if (json)
			printf("{\"corpus\":\"%s\",\"records\":%llu,\"bytes\":%llu}\n", args[0],
			    (unsigned long long)res.records, (unsigned long long)res.bytes_in);
		else
			printf("staged %llu record%s for %s\n", (unsigned long long)res.records,
			    res.records == 1 ? "" : "s", args[0]);
	}
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
