#include "cmd.h"
#include "fw/error.h"
#include "fw/maint.h"

#include <stdlib.h>
#include <time.h>

static const char *const usage[] = {
	"fw gc [--dry-run] [--expire-reflogs DAYS] [--json]",
	NULL,
};

int
cmd_gc(int argc, char **argv)
{
	int dry = 0, json = 0;
	long days = -1;
	const struct fw_opt opts[] = {
		{ 'n', "dry-run", FW_OPT_FLAG, NULL, "only report what would be removed", &dry },
		{ 0, "json", FW_OPT_FLAG, NULL, "print one JSON object", &json },
		{ 0, "expire-reflogs", FW_OPT_INT, "DAYS",
		    "first drop reflog entries older than DAYS days (0: all)", &days },
		FW_OPT_TABLE_END,
	};
	uint64_t expired = 0, git_packed = 0;
	fw_gc_opts o = { .dry_run = 0, .grace = -1, .expired = &expired, .git_packed = &git_packed };
	fw_objstore_gc_result r;
	uint64_t reachable;
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("gc", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	free(args);
	if (nargs != 0)
		return fw_usage_error("gc", usage, "expected no arguments");
	o.dry_run = dry;
	if (days != -1) {
		if (days < 0 || days > 100000)
			return fw_usage_error("gc", usage, "--expire-reflogs takes a number of days, "
			    "0 or more");
		/* 0: every entry, the ones made this second too */
		o.expire_before = (int64_t)time(NULL) - (int64_t)days * 86400 + (days == 0);
	}
	if (fw_gc(cmd_store(), &o, &r, &reachable) < 0)
		return fw_fail();
	if (json) {
		printf("{\"dry_run\":%s,\"objects\":%llu,\"reachable\":%llu,\"removed\":%llu,"
		    "\"packs_rewritten\":%llu,\"packs_removed\":%llu,\"packs_merged\":%llu,"
		    "\"loose_removed\":%llu,\"leftovers_removed\":%llu,\"bytes_freed\":%llu,"
		    "\"young_kept\":%llu",
		    dry ? "true" : "false", (unsigned long long)r.objects,
		    (unsigned long long)reachable, (unsigned long long)r.objects_freed,
		    (unsigned long long)r.packs_rewritten, (unsigned long long)r.packs_removed,
		    (unsigned long long)r.packs_merged, (unsigned long long)r.loose_removed,
		    (unsigned long long)r.tmp_removed, (unsigned long long)r.bytes_freed,
		    (unsigned long long)r.objects_young);
		printf(",\"git_objects_packed\":%llu", (unsigned long long)git_packed);
		if (o.expire_before > 0)
			printf(",\"reflog_entries_expired\":%llu", (unsigned long long)expired);
		printf("}\n");
		return 0;
	}
	printf("%s%llu objects, %llu reachable; %s %llu unreachable objects (%llu packs "
	    "rewritten, %llu removed, %llu merged into one, %llu loose), %llu leftover files; "
	    "%llu bytes %s; %llu unreachable objects kept as younger than the grace period\n",
	    dry ? "dry run: " : "", (unsigned long long)r.objects,
	    (unsigned long long)reachable, dry ? "would remove" : "removed",
	    (unsigned long long)r.objects_freed, (unsigned long long)r.packs_rewritten,
	    (unsigned long long)r.packs_removed, (unsigned long long)r.packs_merged,
	    (unsigned long long)r.loose_removed,
	    (unsigned long long)r.tmp_removed, (unsigned long long)r.bytes_freed,
	    dry ? "would be freed" : "freed", (unsigned long long)r.objects_young);
	printf("%s%llu loose git objects (commits, trees, blobs) %s\n", dry ? "dry run: " : "",
	    (unsigned long long)git_packed, dry ? "to pack, at most" : "packed");
	if (o.expire_before > 0)
		printf("%s%llu reflog entries %s\n", dry ? "dry run: " : "",
		    (unsigned long long)expired, dry ? "would expire" : "expired");
	return 0;
}
