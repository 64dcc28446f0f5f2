#include "cmd.h"
#include "fw/error.h"
#include "fw/maint.h"

#include <stdlib.h>

static const char *const usage[] = {
	"fw fsck [--full] [--json]",
	NULL,
};

/* With --json: the problems, as a JSON array's elements so far. */
struct rep {
	int json;
	fw_buf problems;
	size_t n;
};

static void
report(void *arg, const char *line)
{
	struct rep *r = arg;

	if (!r->json) {
		fprintf(stderr, "fw fsck: %s\n", line);
		return;
	}
	if (r->n++)
		fw_buf_addc(&r->problems, ',');
	fw_json_quote_cmd(&r->problems, line);
}

int
cmd_fsck(int argc, char **argv)
{
	int full = 0, json = 0;
	const struct fw_opt opts[] = {
		{ 0, "full", FW_OPT_FLAG, NULL, "also decode every column and check its statistics", &full },
		{ 0, "json", FW_OPT_FLAG, NULL, "print one JSON object, the problems in it", &json },
		FW_OPT_TABLE_END,
	};
	struct rep rp = { 0, FW_BUF_INIT, 0 };
	fw_fsck_opts o = { 0, report, &rp };
	fw_fsck_result r;
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("fsck", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	free(args);
	if (nargs != 0)
		return fw_usage_error("fsck", usage, "expected no arguments");
	o.full = full;
	rp.json = json;
	if (fw_fsck(cmd_store(), &o, &r) < 0) {
		fw_buf_release(&rp.problems);
		return fw_fail();
	}
	if (json) {
		printf("{\"roots\":%llu,\"commits\":%llu,\"versions\":%llu,\"objects\":%llu,"
		    "\"bytes\":%llu,\"segments\":%llu,\"operations\":%llu,\"problems\":%llu,"
		    "\"problem_lines\":[%s]}\n",
		    (unsigned long long)r.roots, (unsigned long long)r.commits,
		    (unsigned long long)r.versions, (unsigned long long)r.objects,
		    (unsigned long long)r.bytes, (unsigned long long)r.segments,
		    (unsigned long long)r.ops, (unsigned long long)r.problems,
		    rp.problems.data ? rp.problems.data : "");
		fw_buf_release(&rp.problems);
		return r.problems ? 1 : 0;
	}
	printf("%llu refs and reflog entries, %llu commits, %llu versions, %llu objects "
	    "(%llu bytes), %llu staged segments (%llu operations): %llu problem%s\n",
	    (unsigned long long)r.roots, (unsigned long long)r.commits,
	    (unsigned long long)r.versions, (unsigned long long)r.objects,
	    (unsigned long long)r.bytes, (unsigned long long)r.segments,
	    (unsigned long long)r.ops, (unsigned long long)r.problems,
	    r.problems == 1 ? "" : "s");
	return r.problems ? 1 : 0;
}
