/* Small helpers the commands share. */
#include "cmd.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/maint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int
fw_json_quote_cmd(fw_buf *b, const char *s)
{
	return fw_json_quote(b, s, strlen(s));
}

int
cmd_read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	fw_buf b = FW_BUF_INIT;
	char chunk[65536];
	size_t n;

	*out = NULL;
	if (f == NULL)
		return fw_error_errno("cannot open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (fw_buf_add(&b, chunk, n) < 0) {
			fclose(f);
			fw_buf_release(&b);
			return FW_ENOMEM;
		}
	if (ferror(f)) {
		fclose(f);
		fw_buf_release(&b);
		return fw_error_errno("cannot read %s", path);
	}
	fclose(f);
	*out = fw_buf_detach(&b, NULL);
	return 0;
}

/* Progress goes to standard error when it is a terminal, at most ten times
 * a second, on one line that the next message overwrites. */
static struct timespec progress_at;
static int progress_shown;

static int
progress_due(void)
{
	struct timespec now;

	if (!cmd_stderr_tty())
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (progress_shown && (now.tv_sec - progress_at.tv_sec) * 1000000000L +
	    (now.tv_nsec - progress_at.tv_nsec) < 100000000L)
		return 0;
	progress_at = now;
	progress_shown = 1;
	return 1;
}

void
cmd_progress(void *arg, uint64_t done, uint64_t total)
{
	const char *what = arg;

	if (!progress_due())
		return;
	if (total)
		fprintf(stderr, "\r%s: %3d%% (%llu of %llu MB)\033[K", what,
		    (int)(100.0 * (double)done / (double)total),
		    (unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
	else
		fprintf(stderr, "\r%s: %llu MB\033[K", what, (unsigned long long)(done >> 20));
}

void
cmd_progress_records(void *arg, uint64_t done, uint64_t total)
{
	const char *what = arg;

	if (!progress_due())
		return;
	fprintf(stderr, "\r%s: %3d%% (%llu of %llu records)\033[K", what,
	    total ? (int)(100.0 * (double)done / (double)total) : 100,
	    (unsigned long long)done, (unsigned long long)total);
}

void
cmd_progress_end(void)
{
	if (progress_shown && cmd_stderr_tty())
		fprintf(stderr, "\r\033[K");
	progress_shown = 0;
}

void
cmd_auto_compact(void)
{
	uint64_t merged = 0;

	if (fw_store_auto_compact(cmd_store(), &merged) < 0)
		fprintf(stderr, "fw: warning: small packs not merged (fw gc merges them): %s\n",
		    fw_error_last());
	else if (merged && getenv("FW_VERBOSE"))
		fprintf(stderr, "fw: merged %llu small packs into one\n", (unsigned long long)merged);
}
