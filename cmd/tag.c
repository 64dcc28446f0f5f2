#include "cmd.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/store.h"

#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"fw tag CORPUS@TAG [REV] [-m MESSAGE]",
	"fw tag --list CORPUS [--json]",
	"fw tag --delete CORPUS@TAG",
	NULL
};

static int
print_tag(void *arg, const fw_ref_info *t)
{
	const int *json = arg;
	const char *msg = t->message ? t->message : "";
	size_t sub = strcspn(msg, "\n");

	if (*json) {
		fw_buf b = FW_BUF_INIT;
		fw_buf_adds(&b, "{\"tag\":");
		fw_json_quote(&b, t->name, strlen(t->name));
		fw_buf_printf(&b, ",\"commit\":\"%s\",\"records\":%llu,\"time\":%lld,\"message\":",
		    t->commit, (unsigned long long)t->records, (long long)t->time);
		fw_json_quote(&b, msg, strlen(msg));
		printf("%s}\n", b.data);
		fw_buf_release(&b);
		return 0;
	}
	printf("%s\t%.12s\t%llu records\t%.*s\n", t->name, t->commit,
	    (unsigned long long)t->records, (int)sub, msg);
	return 0;
}

int
cmd_tag(int argc, char **argv)
{
	int list = 0, del = 0, json = 0;
	const char *message = NULL;
	const struct fw_opt opts[] = {
		{ 'm', "message", FW_OPT_STR, "MESSAGE", "the tag's message", &message },
		{ 'l', "list", FW_OPT_FLAG, NULL, "list the tags with their commit and records",
		  &list },
		{ 0, "json", FW_OPT_FLAG, NULL, "with --list: one JSON object per tag", &json },
		{ 'd', "delete", FW_OPT_FLAG, NULL, "delete a tag (kept in fw reflog --deleted)",
		  &del },
		FW_OPT_TABLE_END,
	};
	char corpus[80], name[256];
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("tag", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs == 1 && !del && !message && !strchr(args[0], '@'))
		list = 1;
	if (list + del > 1 || (json && !list) || (message && (list || del)) || nargs < 1 ||
	    nargs > (list || del ? 1 : 2)) {
		free(args);
		return fw_usage_error("tag", usage, "expected %s",
		    list ? "one CORPUS" : del ? "one CORPUS@TAG" : "CORPUS@TAG [REV]");
	}
	if (list)
		rc = fw_tag_list(cmd_store(), args[0], print_tag, &json);
	else if ((rc = fw_refspec_split(args[0], "tag", corpus, name)) == 0) {
		if (del && (rc = fw_tag_delete(cmd_store(), corpus, name)) == 0)
			printf("deleted tag %s@%s\n", corpus, name);
		else if (!del && (rc = fw_tag_create(cmd_store(), corpus, name,
		    nargs > 1 ? args[1] : NULL, message)) == 0)
			printf("created tag %s@%s\n", corpus, name);
	}
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
