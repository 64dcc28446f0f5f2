#include "cmd.h"
#include "fw/error.h"
#include "fw/merge.h"
#include "fw/store.h"

#include <stdlib.h>
#include <string.h>

static const char *const usage[] = { "fw conflicts CORPUS [--json]", NULL };

static const char *const how_name[] = { NULL, "ours", "theirs", "file" };

static void
jstr(fw_buf *b, const char *key, const char *json)
{
	fw_buf_printf(b, ",\"%s\":%s", key, json ? json : "null");
}

static int
one(void *arg, const fw_conflict *c)
{
	int json = *(int *)arg;

	if (json) {
		fw_buf b = FW_BUF_INIT;
		fw_buf_adds(&b, "{\"id\":");
		fw_json_quote_cmd(&b, c->id);
		fw_buf_adds(&b, ",\"field\":");
		if (c->field)
			fw_json_quote_cmd(&b, c->field);
		else
			fw_buf_adds(&b, "null");
		jstr(&b, "base", c->base);
		jstr(&b, "ours", c->ours);
		jstr(&b, "theirs", c->theirs);
		fw_buf_printf(&b, ",\"resolved\":%s%s%s}", c->resolution ? "\"" : "",
		    c->resolution ? how_name[c->resolution] : "null", c->resolution ? "\"" : "");
		printf("%s\n", b.data);
		fw_buf_release(&b);
		return 0;
	}
	printf("%s %s (%s%s)\n", c->id, c->field ? c->field : "(record: changed on one side, "
	    "removed on the other)", c->resolution ? "resolved: " : "unresolved",
	    c->resolution ? how_name[c->resolution] : "");
	printf("    base:   %s\n    ours:   %s\n    theirs: %s\n", c->base ? c->base : "(absent)",
	    c->ours ? c->ours : "(absent)", c->theirs ? c->theirs : "(absent)");
	return 0;
}

int
cmd_conflicts(int argc, char **argv)
{
	int json = 0;
	const struct fw_opt opts[] = {
		{ 0, "json", FW_OPT_FLAG, NULL, "one JSON object a conflict", &json },
		FW_OPT_TABLE_END,
	};
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("conflicts", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs != 1) {
		free(args);
		return fw_usage_error("conflicts", usage, "expected one CORPUS");
	}
	rc = fw_merge_conflicts(cmd_store(), args[0], one, &json);
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
