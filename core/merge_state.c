/*
 * The merge state: .fw/merge/CORPUS/state, lines "KEY VALUE": ours, theirs,
 * base (commit ids), branch, name (what was merged), message (hex), then one
 * "resolve HOW ID-HEX JSON-HEX|-" per resolution, later ones winning.
 */
#include "merge_int.h"
#include "fw/error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
state_path(fw_store *s, const char *corpus, fw_buf *dir, fw_buf *file)
{
	fw_buf_reset(dir);
	fw_buf_printf(dir, "%s/merge/%s", s->dir, corpus);
	if (file) {
		fw_buf_reset(file);
		fw_buf_printf(file, "%s/state", dir->data);
	}
}

static void
hex_put(fw_buf *b, const char *s, size_t n)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		fw_buf_addc(b, hx[(unsigned char)s[i] >> 4]);
		fw_buf_addc(b, hx[(unsigned char)s[i] & 15]);
	}
}

static char *
hex_get(const char *h, size_t n)
{
	char *out = malloc(n / 2 + 1);

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i + 1 < n + 1 && i / 2 < n / 2; i += 2) {
		unsigned v;
		if (sscanf(h + i, "%2x", &v) != 1) {
			free(out);
			return NULL;
		}
		out[i / 2] = (char)v;
	}
	out[n / 2] = '\0';
	return out;
}

void
fw_merge_state_release(struct state *st)
{
	free(st->message);
	for (size_t i = 0; i < st->nr; i++) {
		free(st->r[i].id);
		free(st->r[i].json);
	}
	free(st->r);
	memset(st, 0, sizeof(*st));
}

int
fw_merge_state_write(fw_store *s, const char *corpus, const struct state *st)
{
	fw_buf dir = FW_BUF_INIT, file = FW_BUF_INIT, tmp = FW_BUF_INIT, b = FW_BUF_INIT;
	int fd = -1, rc = 0;

	fw_buf_printf(&dir, "%s/merge", s->dir);
	if (mkdir(dir.data, 0777) < 0 && errno != EEXIST) {
		rc = fw_error_errno("cannot create %s", dir.data);
		goto done;
	}
	state_path(s, corpus, &dir, &file);
	if (mkdir(dir.data, 0777) < 0 && errno != EEXIST) {
		rc = fw_error_errno("cannot create %s", dir.data);
		goto done;
	}
	fw_buf_printf(&b, "fw-merge 1\nours %s\ntheirs %s\nbase %s\nbranch %s\nname %s\nmessage ",
	    st->ours, st->theirs, st->base, st->branch, st->name);
	hex_put(&b, st->message, strlen(st->message));
	fw_buf_addc(&b, '\n');
	for (size_t i = 0; i < st->nr; i++) {
		fw_buf_printf(&b, "resolve %d ", st->r[i].how);
		hex_put(&b, st->r[i].id, strlen(st->r[i].id));
		fw_buf_addc(&b, ' ');
		if (st->r[i].json)
			hex_put(&b, st->r[i].json, strlen(st->r[i].json));
		else
			fw_buf_addc(&b, '-');
		fw_buf_addc(&b, '\n');
	}
	fw_buf_printf(&tmp, "%s.tmp", file.data);
	if ((fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0) {
		rc = fw_error_errno("cannot create %s", tmp.data);
		goto done;
	}
	if (write(fd, b.data, b.len) != (ssize_t)b.len || fsync(fd) < 0) {
		rc = fw_error_errno("cannot write %s", tmp.data);
		goto done;
	}
	close(fd);
	fd = -1;
	fw_crash_point("merge state written");
	if (rename(tmp.data, file.data) < 0) {
		rc = fw_error_errno("cannot rename %s", tmp.data);
		goto done;
	}
	if ((fd = open(dir.data, O_RDONLY | O_CLOEXEC)) >= 0)
		fsync(fd);
	fw_crash_point("merge state renamed");
done:
	if (fd >= 0)
		close(fd);
	fw_buf_release(&dir);
	fw_buf_release(&file);
	fw_buf_release(&tmp);
	fw_buf_release(&b);
	return rc;
}

int
fw_merge_state_read(fw_store *s, const char *corpus, struct state *st)
{
	fw_buf dir = FW_BUF_INIT, file = FW_BUF_INIT;
	char line[1 << 16];
	FILE *f;
	int rc = 1;

	memset(st, 0, sizeof(*st));
	state_path(s, corpus, &dir, &file);
	f = fopen(file.data, "r");
	if (f == NULL) {
		rc = errno == ENOENT ? 0 : fw_error_errno("cannot open %s", file.data);
		goto done;
	}
	char *big = NULL;
	size_t bigcap = 0;
	ssize_t len;
	(void)line;
	while ((len = getline(&big, &bigcap, f)) > 0 && rc == 1) {
		if (big[len - 1] == '\n')
			big[--len] = '\0';
		char *sp = strchr(big, ' ');
		if (sp == NULL)
			continue;
		*sp++ = '\0';
		if (strcmp(big, "ours") == 0)
			snprintf(st->ours, sizeof(st->ours), "%s", sp);
		else if (strcmp(big, "theirs") == 0)
			snprintf(st->theirs, sizeof(st->theirs), "%s", sp);
		else if (strcmp(big, "base") == 0)
			snprintf(st->base, sizeof(st->base), "%s", sp);
		else if (strcmp(big, "branch") == 0)
			snprintf(st->branch, sizeof(st->branch), "%s", sp);
		else if (strcmp(big, "name") == 0)
			snprintf(st->name, sizeof(st->name), "%s", sp);
		else if (strcmp(big, "message") == 0)
			st->message = hex_get(sp, strlen(sp));
		else if (strcmp(big, "resolve") == 0) {
			int how = atoi(sp);
			char *a = strchr(sp, ' '), *b2 = a ? strchr(a + 1, ' ') : NULL;
			if (!a || !b2) {
				rc = fw_error_set(FW_ECORRUPT, "bad line in %s", file.data);
				break;
			}
			void *v = realloc(st->r, (st->nr + 1) * sizeof(*st->r));
			if (v == NULL) {
				rc = fw_error_set(FW_ENOMEM, "out of memory");
				break;
			}
			st->r = v;
			struct resolution *r = &st->r[st->nr++];
			r->how = how;
			r->id = hex_get(a + 1, (size_t)(b2 - a - 1));
			r->json = strcmp(b2 + 1, "-") == 0 ? NULL : hex_get(b2 + 1, strlen(b2 + 1));
		}
	}
	free(big);
	fclose(f);
	if (rc == 1 && (!st->ours[0] || !st->theirs[0] || !st->base[0] || !st->message))
		rc = fw_error_set(FW_ECORRUPT, "incomplete merge state %s; fw merge --abort %s",
		    file.data, corpus);
done:
	if (rc != 1)
		fw_merge_state_release(st);
	fw_buf_release(&dir);
	fw_buf_release(&file);
	return rc;
}

int
fw_merge_state_remove(fw_store *s, const char *corpus)
{
	fw_buf dir = FW_BUF_INIT, file = FW_BUF_INIT;
	int rc = 0;

	state_path(s, corpus, &dir, &file);
	if (unlink(file.data) < 0 && errno != ENOENT)
		rc = fw_error_errno("cannot remove %s", file.data);
	else
		rmdir(dir.data);
	fw_crash_point("merge state removed");
	fw_buf_release(&dir);
	fw_buf_release(&file);
	return rc;
}

