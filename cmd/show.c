#include "cmd.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const usage[] = { "fw show CORPUS[@REV] [--json]", NULL };

int
cmd_show(int argc, char **argv)
{
	int json = 0;
	const struct fw_opt opts[] = {
		{ 0, "json", FW_OPT_FLAG, NULL, "print as one JSON object", &json },
		FW_OPT_TABLE_END,
	};
	fw_version v;
	fw_rev rev;
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("show", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs != 1) {
		free(args);
		return fw_usage_error("show", usage, "expected one CORPUS[@REV]");
	}
	if ((rc = fw_rev_resolve(cmd_store(), &rev, args[0])) < 0 ||
	    (rc = fw_version_load(cmd_store(), &v, &rev)) < 0) {
		free(args);
		return fw_fail();
	}
	if (json) {
		fw_buf b = FW_BUF_INIT;
		fw_buf_printf(&b, "{\"corpus\":\"%s\",\"commit\":\"%s\",\"parents\":[",
		    rev.corpus, v.rev.commit);
		for (int i = 0; i < v.nparents; i++)
			fw_buf_printf(&b, "%s\"%s\"", i ? "," : "", v.parents[i]);
		fw_buf_printf(&b, "],\"time\":%lld,\"author\":", (long long)v.time);
		fw_json_quote(&b, v.author, strlen(v.author));
		fw_buf_adds(&b, ",\"message\":");
		fw_json_quote(&b, v.message, strlen(v.message));
		fw_buf_printf(&b, ",\"records\":%llu,\"bytes\":%llu,\"stored\":%llu,\"columns\":[",
		    (unsigned long long)v.records, (unsigned long long)v.bytes,
		    (unsigned long long)v.stored);
		for (size_t i = 0; i < v.ncolumns; i++) {
			fw_buf_adds(&b, i ? ",{\"name\":" : "{\"name\":");
			fw_json_quote(&b, v.columns[i], strlen(v.columns[i]));
			fw_buf_printf(&b, ",\"type\":\"%s\"}", v.column_types[i]);
		}
		fw_buf_printf(&b, "],\"data_root\":\"%s\",\"index_root\":\"%s\"}",
		    v.data_root, v.index_root);
		printf("%s\n", b.data);
		fw_buf_release(&b);
	} else {
		time_t t = (time_t)v.time;
		char when[64];
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
		printf("commit %s\nAuthor: %s\nDate:   %s\n\n", v.rev.commit, v.author, when);
		for (const char *p = v.message; *p;) {
			size_t n = strcspn(p, "\n");
			printf("    %.*s\n", (int)n, p);
			p += n + (p[n] == '\n');
		}
		printf("\nrecords  %llu\nbytes    %llu (record bytes)\nstored   %llu (compressed objects)\n"
		    "columns  %zu:", (unsigned long long)v.records, (unsigned long long)v.bytes,
		    (unsigned long long)v.stored, v.ncolumns);
		for (size_t i = 0; i < v.ncolumns; i++)
			printf(" %s:%s", v.columns[i], v.column_types[i]);
		printf("\n");
	}
	fw_version_release(&v);
	free(args);
	return 0;
}
