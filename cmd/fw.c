/* fw: the command table and main. */
#include "cmd.h"
#include "fw/error.h"
#include "fw/store.h"

#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>
#include <unistd.h>

enum { FW_CMD_NEEDS_STORE = 1 };

struct fw_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	int flags;
	const char *summary;
};

static const struct fw_cmd commands[] = {
	{ "init", cmd_init, 0, "create a store" },
	{ "corpus", cmd_corpus, FW_CMD_NEEDS_STORE, "create and list corpora" },
	{ "add", cmd_add, FW_CMD_NEEDS_STORE, "stage records from files" },
	{ "rm", cmd_rm, FW_CMD_NEEDS_STORE, "stage deletions of records by id" },
	{ "status", cmd_status, FW_CMD_NEEDS_STORE, "show what is staged" },
	{ "commit", cmd_commit, FW_CMD_NEEDS_STORE, "turn what is staged into a version" },
	{ "log", cmd_log, FW_CMD_NEEDS_STORE, "show the history of a corpus" },
	{ "show", cmd_show, FW_CMD_NEEDS_STORE, "show a version and its totals" },
	{ "cat", cmd_cat, FW_CMD_NEEDS_STORE, "print records as JSON lines" },
	{ "diff", cmd_diff, FW_CMD_NEEDS_STORE, "show what changed between two versions" },
	{ "merge", cmd_merge, FW_CMD_NEEDS_STORE, "merge a branch into the current branch" },
	{ "conflicts", cmd_conflicts, FW_CMD_NEEDS_STORE, "list the conflicts of a merge in progress" },
	{ "resolve", cmd_resolve, FW_CMD_NEEDS_STORE, "resolve a conflicting record of a merge" },
	{ "branch", cmd_branch, FW_CMD_NEEDS_STORE, "create, list and delete branches" },
	{ "switch", cmd_switch, FW_CMD_NEEDS_STORE, "change a corpus's current branch" },
	{ "tag", cmd_tag, FW_CMD_NEEDS_STORE, "name a version for good" },
	{ "reset", cmd_reset, FW_CMD_NEEDS_STORE, "move a branch to another version" },
	{ "reflog", cmd_reflog, FW_CMD_NEEDS_STORE, "show where a branch has been, and deletions" },
	{ "tokenize", cmd_tokenize, 0, "encode and decode text with a model's tokenizer" },
	{ "stats", cmd_stats, FW_CMD_NEEDS_STORE, "show figures of a version" },
	{ "fsck", cmd_fsck, FW_CMD_NEEDS_STORE, "check every reachable object" },
	{ "gc", cmd_gc, FW_CMD_NEEDS_STORE, "remove unreachable objects" },
};

static struct fw_store *the_store;

struct fw_store *
cmd_store(void)
{
	return the_store;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: fw [-C DIR] <command> [<args>]\n\n"
	    "fw keeps versioned corpora of AI agent trajectories.\n\n"
	    "commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "    %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'fw <command> --help' and 'man fw-<command>' tell more.\n");
}

int
main(int argc, char **argv)
{
	const char *dir = NULL;
	const struct fw_cmd *cmd = NULL;
	int rc, i = 1;

#ifdef __GLIBC__
	/* Row groups and import blocks are built in buffers of megabytes. By
	 * default glibc maps each one afresh and faults its pages in; the page
	 * faults serialise the threads of a commit on the address-space lock.
	 * Keeping them on the heap made commit 25% faster here (docs/benchmarks.md). */
	mallopt(M_MMAP_THRESHOLD, 256 << 20);
	mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc) {
			dir = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "-C", 2) == 0 && argv[i][2]) {
			dir = argv[i] + 2;
			i++;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("fw %s\n", FW_VERSION);
			return 0;
		} else {
			fprintf(stderr, "fw: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	static char help_flag[] = "--help";
	static char *hargv[3];
	if (strcmp(argv[i], "help") == 0 && i + 1 < argc) {
		hargv[0] = argv[i + 1];
		hargv[1] = help_flag;
		argv = hargv;
		argc = 2;
		i = 0;
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(commands[k].name, argv[i]) == 0)
			cmd = &commands[k];
	if (cmd == NULL) {
		fprintf(stderr, "fw: '%s' is not a command; see 'fw --help'\n", argv[i]);
		return 2;
	}
	if (dir && chdir(dir) != 0) {
		fprintf(stderr, "fw: cannot change to directory '%s'\n", dir);
		return 1;
	}
	if (cmd->flags & FW_CMD_NEEDS_STORE) {
		int wants_help = 0;
		for (int k = i + 1; k < argc; k++)
			if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0)
				wants_help = 1;
		if (!wants_help && fw_store_open(&the_store, NULL) < 0)
			return fw_fail();
	}
	rc = cmd->fn(argc - i, argv + i);
	fw_store_close(the_store);
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "fw: cannot write standard output\n");
		rc = 1;
	}
	return rc;
}
