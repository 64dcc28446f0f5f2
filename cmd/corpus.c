#include "cmd.h"
#include "fw/error.h"
#include "fw/store.h"

#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"fw corpus create NAME [--schema FILE.yaml]",
	"fw corpus list [--json]",
	NULL,
};

static int
print_name(void *arg, const char *name)
{
	int *json = arg;
	fw_buf b = FW_BUF_INIT;
	fw_buf cur = FW_BUF_INIT;

	fw_corpus_current_branch(cmd_store(), name, &cur);
	if (*json) {
		fw_buf_adds(&b, "{\"corpus\":");
		fw_json_quote_cmd(&b, name);
		fw_buf_adds(&b, ",\"branch\":");
		fw_json_quote_cmd(&b, cur.data ? cur.data : "");
		fw_buf_adds(&b, "}");
		printf("%s\n", b.data);
	} else {
		printf("%s\t%s\n", name, cur.data ? cur.data : "");
	}
	fw_buf_release(&b);
	fw_buf_release(&cur);
	return 0;
}

int
cmd_corpus(int argc, char **argv)
{
	const char *schema_file = NULL;
	int json = 0;
	const struct fw_opt opts[] = {
		{ 0, "schema", FW_OPT_STR, "FILE.yaml", "the corpus schema (default: the trajectory schema)", &schema_file },
		{ 0, "json", FW_OPT_FLAG, NULL, "list as JSON lines", &json },
		FW_OPT_TABLE_END,
	};
	char **args, *text = NULL;
	int nargs, rc;

	if ((rc = fw_opt_parse("corpus", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs >= 1 && strcmp(args[0], "create") == 0) {
		if (nargs != 2) {
			free(args);
			return fw_usage_error("corpus", usage, "create takes one NAME");
		}
		if (schema_file && (rc = cmd_read_file(schema_file, &text)) < 0) {
			free(args);
			return fw_fail();
		}
		rc = fw_corpus_create(cmd_store(), args[1], text);
		if (rc == 0)
			printf("created corpus %s (branch main)\n", args[1]);
	} else if (nargs == 1 && strcmp(args[0], "list") == 0) {
		rc = fw_corpus_list(cmd_store(), print_name, &json);
	} else {
		free(args);
		return fw_usage_error("corpus", usage, nargs ? "unknown subcommand '%s'" :
		    "expected 'create' or 'list'%s", nargs ? args[0] : "");
	}
	free(text);
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
