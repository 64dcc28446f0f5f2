/* Small helpers the commands share. */
#include "cmd.h"
#include "fw/error.h"
#include "fw/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static uint64_t progress_last;

void
cmd_progress(void *arg, uint64_t done, uint64_t total)
{
	const char *what = arg;

	if (!cmd_stderr_tty() || done - progress_last < (8u << 20))
		return;
	progress_last = done;
	if (total)
		fprintf(stderr, "\r%s: %3d%% (%llu MB of %llu MB)", what, (int)(100.0 * done / total),
		    (unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
	else
		fprintf(stderr, "\r%s: %llu MB", what, (unsigned long long)(done >> 20));
}

void
cmd_progress_end(void)
{
	if (cmd_stderr_tty() && progress_last)
		fprintf(stderr, "\r\033[K");
	progress_last = 0;
}
