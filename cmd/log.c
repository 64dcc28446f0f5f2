#include "cmd.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const usage[] = { "fw log CORPUS[@REV] [-n N] [--oneline] [--json]", NULL };

struct log_arg {
	int oneline, json;
};

static int
print_one(void *arg, const fw_version *v)
{
	struct log_arg *a = arg;
	const char *msg = v->message;
	size_t sublen = strcspn(msg, "\n");

	if (a->json) {
		fw_buf b = FW_BUF_INIT;
		fw_buf_printf(&b, "{\"commit\":\"%s\",\"parents\":[", v->rev.commit);
		for (int i = 0; i < v->nparents; i++)
			fw_buf_printf(&b, "%s\"%s\"", i ? "," : "", v->parents[i]);
		fw_buf_printf(&b, "],\"time\":%lld,\"author\":", (long long)v->time);
		fw_json_quote(&b, v->author, strlen(v->author));
		fw_buf_adds(&b, ",\"message\":");
		fw_json_quote(&b, msg, strlen(msg));
		fw_buf_printf(&b, ",\"records\":%llu,\"stored\":%llu}",
		    (unsigned long long)v->records, (unsigned long long)v->stored);
		printf("%s\n", b.data);
		fw_buf_release(&b);
		return 0;
	}
	if (a->oneline) {
		printf("%.12s %.*s\n", v->rev.commit, (int)sublen, msg);
		return 0;
	}
	time_t t = (time_t)v->time;
	char when[64];
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
	printf("commit %s\nAuthor: %s\nDate:   %s\nRecords: %llu\n\n", v->rev.commit, v->author,
	    when, (unsigned long long)v->records);
	for (const char *p = msg; *p;) {
		size_t n = strcspn(p, "\n");
		printf("    %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
	printf("\n");
	return 0;
}

int
cmd_log(int argc, char **argv)
{
	struct log_arg a = { 0, 0 };
	long n = 0;
	const struct fw_opt opts[] = {
		{ 'n', "max-count", FW_OPT_INT, "N", "show at most N versions", &n },
		{ 0, "oneline", FW_OPT_FLAG, NULL, "one line per version", &a.oneline },
		{ 0, "json", FW_OPT_FLAG, NULL, "one JSON object per version", &a.json },
		FW_OPT_TABLE_END,
	};
	fw_rev rev;
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("log", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs != 1) {
		free(args);
		return fw_usage_error("log", usage, "expected one CORPUS[@REV]");
	}
	rc = fw_rev_resolve(cmd_store(), &rev, args[0]);
	if (rc == 0)
		rc = fw_log_walk(cmd_store(), &rev, (size_t)n, print_one, &a);
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
