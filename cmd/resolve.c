#include "cmd.h"
#include "fw/error.h"
#include "fw/merge.h"
#include "fw/store.h"

#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"fw resolve CORPUS ID --ours|--theirs|--file RECORD.json",
	NULL,
};

int
cmd_resolve(int argc, char **argv)
{
	int ours = 0, theirs = 0;
	const char *file = NULL;
	const struct fw_opt opts[] = {
		{ 0, "ours", FW_OPT_FLAG, NULL, "keep our side of the record", &ours },
		{ 0, "theirs", FW_OPT_FLAG, NULL, "take their side of the record", &theirs },
		{ 0, "file", FW_OPT_STR, "RECORD.json", "the record as it should be (one JSON object)", &file },
		FW_OPT_TABLE_END,
	};
	char **args, *text = NULL;
	int nargs, rc, how;

	if ((rc = fw_opt_parse("resolve", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs != 2 || ours + theirs + (file != NULL) != 1) {
		free(args);
		return fw_usage_error("resolve", usage, "expected CORPUS ID and one of --ours, "
		    "--theirs, --file");
	}
	how = ours ? FW_MERGE_OURS : theirs ? FW_MERGE_THEIRS : FW_MERGE_FILE;
	if (file && cmd_read_file(file, &text) < 0) {
		free(args);
		return fw_fail();
	}
	rc = fw_merge_resolve(cmd_store(), args[0], args[1], how, text);
	if (rc == 0)
		printf("resolved %s in the merge of %s\n", args[1], args[0]);
	free(text);
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
