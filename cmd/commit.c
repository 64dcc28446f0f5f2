#include "cmd.h"
#include "fw/error.h"
#include "fw/store.h"

#include <stdlib.h>

static const char *const usage[] = {
	"fw commit CORPUS -m MESSAGE [--trailer KEY:VALUE]... [--json]",
	NULL,
};

int
cmd_commit(int argc, char **argv)
{
	const char *message = NULL;
	int json = 0;
	struct fw_strlist trailers = { NULL, 0 };
	const struct fw_opt opts[] = {
		{ 'm', "message", FW_OPT_STR, "MESSAGE", "the commit message", &message },
		{ 0, "trailer", FW_OPT_LIST, "KEY:VALUE", "add a provenance trailer (repeatable)", &trailers },
		{ 0, "json", FW_OPT_FLAG, NULL, "print the result as JSON", &json },
		FW_OPT_TABLE_END,
	};
	fw_commit_opts co = { 0 };
	fw_commit_result res;
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("commit", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs != 1 || message == NULL) {
		free(args);
		free(trailers.v);
		return fw_usage_error("commit", usage, nargs != 1 ? "expected one corpus" :
		    "a message is needed (-m)");
	}
	co.message = message;
	co.trailers = trailers.v;
	co.ntrailers = (size_t)trailers.n;
	co.progress = cmd_progress_records;
	co.progress_arg = "commit";
	rc = fw_commit(cmd_store(), &res, args[0], &co);
	cmd_progress_end();
	if (rc == 0) {
		if (json)
			printf("{\"commit\":\"%s\",\"records\":%llu,\"added\":%llu,\"replaced\":%llu,"
			    "\"removed\":%llu,\"patched\":%llu,\"objects_written\":%llu,"
			    "\"bytes_written\":%llu,\"columns_reused\":%llu,\"chunks_taken\":%llu}\n",
			    res.commit,
			    (unsigned long long)res.records, (unsigned long long)res.added,
			    (unsigned long long)res.replaced, (unsigned long long)res.removed,
			    (unsigned long long)res.patched, (unsigned long long)res.objects_written,
			    (unsigned long long)res.bytes_written,
			    (unsigned long long)res.objects_reused,
			    (unsigned long long)res.chunks_taken);
		else
			printf("%s\n", res.commit);
		cmd_auto_compact();
	}
	free(args);
	free(trailers.v);
	if (rc == FW_EEMPTY) {
		fprintf(stderr, "fw: %s\n", fw_error_last());
		return 1;
	}
	return rc < 0 ? fw_fail() : 0;
}
