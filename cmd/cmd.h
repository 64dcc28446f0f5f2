/*
 * cmd/cmd.h - what the command files share: the option table, the store that
 * main opened, and output helpers. Commands parse, call core, and print.
 */
#ifndef FW_CMD_H
#define FW_CMD_H

#include <stdio.h>

struct fw_store;

enum fw_opt_kind {
	FW_OPT_FLAG,	/* int *: set to 1 */
	FW_OPT_STR,	/* const char **: the argument */
	FW_OPT_INT,	/* long *: a non-negative decimal */
	FW_OPT_LIST,	/* struct fw_strlist *: every occurrence appended */
	FW_OPT_END
};

struct fw_strlist {
	const char **v;
	int n;
};

struct fw_opt {
	char shortname;		/* 0 for none */
	const char *longname;	/* without "--"; NULL for none */
	enum fw_opt_kind kind;
	const char *argname;	/* shown in help: --limit N */
	const char *help;
	void *dest;
};

#define FW_OPT_TABLE_END { 0, NULL, FW_OPT_END, NULL, NULL, NULL }

/*
 * Parses argv (argv[0] being the command name) against opts. Positional
 * arguments are gathered into *args / *nargs (borrowed from argv; free *args
 * with free()). usage lines are printed by --help and on errors, each after
 * "usage: " or "   or: ". Returns 0 to go on, 1 when --help was printed (the
 * command then exits 0), 2 on a usage error (message printed; exit 2).
 */
int fw_opt_parse(const char *cmd, const char *const *usage,
    const struct fw_opt *opts, int argc, char **argv, char ***args, int *nargs);

/* Prints the usage lines and option table (as --help does) to f. */
void fw_opt_usage(FILE *f, const char *cmd, const char *const *usage,
    const struct fw_opt *opts);

/* Reports a usage error ("fw: CMD: message" and the usage) and returns 2. */
int fw_usage_error(const char *cmd, const char *const *usage,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Prints "fw: " and fw_error_last() to stderr and returns 1. */
int fw_fail(void);

/* The store main opened for a command flagged FW_CMD_NEEDS_STORE. */
struct fw_store *cmd_store(void);

/* 1 when standard error is a terminal (progress bars go there). */
int cmd_stderr_tty(void);

#define CMD(name) int cmd_##name(int argc, char **argv)
CMD(init); CMD(corpus); CMD(add); CMD(rm); CMD(status); CMD(commit);
CMD(log); CMD(show); CMD(cat); CMD(branch); CMD(switch); CMD(tag); CMD(reset);
CMD(reflog); CMD(tokenize); CMD(stats); CMD(fsck); CMD(gc); CMD(diff); CMD(merge);
CMD(conflicts); CMD(resolve);



#include "fw/buf.h"
#include <stdint.h>
int fw_json_quote_cmd(fw_buf *b, const char *s);
/* Reads a whole file into *out (NUL-terminated, free()). */
int cmd_read_file(const char *path, char **out);
/* A progress callback for long work: writes to stderr when it is a terminal. */
void cmd_progress(void *arg, uint64_t done, uint64_t total);
void cmd_progress_records(void *arg, uint64_t done, uint64_t total);
void cmd_progress_end(void);
/* After a command that wrote a pack: merges the small packs once many have
 * piled up (fw_store_auto_compact); a failure is a warning, not the
 * command's. */
void cmd_auto_compact(void);
#endif
