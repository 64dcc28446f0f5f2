/*
 * The merge state: .fw/merge/CORPUS/state, lines "KEY VALUE": ours, theirs,
 * base (commit ids), branch, name (what was merged), message (hex), then one
 * "resolve HOW ID-HEX JSON-HEX|-" per resolution, later ones winning.
 */
#include "merge_int.h"
#include "fw/error.h"
#include "fw/merge.h"

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

static int
hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	    c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The bytes that h[0..n) spells in hex, NUL-terminated; NULL when it is not
 * hex (or out of memory). */
static char *
hex_get(const char *h, size_t n)
{
	char *out;

	if (n % 2)
		return NULL;
	if ((out = malloc(n / 2 + 1)) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hex_digit(h[i]), lo = hex_digit(h[i + 1]);
		if (hi < 0 || lo < 0) {
			free(out);
			return NULL;
		}
		out[i / 2] = (char)(hi << 4 | lo);
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
fw_merge_state_parse(struct state *st, const char *text, size_t len, const char *what)
{
	size_t i = 0;
	int rc = 1;

	memset(st, 0, sizeof(*st));
	while (i < len && rc == 1) {
		const char *line = text + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i;
		const char *sp = memchr(line, ' ', n);
		i += n + 1;
		if (sp == NULL)
			continue;
		size_t klen = (size_t)(sp - line), vlen = n - klen - 1;
		const char *v = sp + 1;
		char *dst = NULL;
		size_t cap = 0;
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(line, k, klen) == 0)
		if (KEY("ours"))
			dst = st->ours, cap = sizeof(st->ours);
		else if (KEY("theirs"))
			dst = st->theirs, cap = sizeof(st->theirs);
		else if (KEY("base"))
			dst = st->base, cap = sizeof(st->base);
		else if (KEY("branch"))
			dst = st->branch, cap = sizeof(st->branch);
		else if (KEY("name"))
			dst = st->name, cap = sizeof(st->name);
		if (dst) {
			if (vlen >= cap || memchr(v, '\0', vlen)) {
				rc = fw_error_set(FW_ECORRUPT, "bad line in %s", what);
				break;
			}
			memcpy(dst, v, vlen);
			dst[vlen] = '\0';
		} else if (KEY("message")) {
			free(st->message);
			if ((st->message = hex_get(v, vlen)) == NULL)
				rc = fw_error_set(FW_ECORRUPT, "bad message in %s", what);
		} else if (KEY("resolve")) {
			/* HOW ID-HEX JSON-HEX|-: how is 1 (ours), 2 (theirs) or
			 * 3 (a file, whose record is the JSON) */
			const char *a = memchr(v, ' ', vlen);
			const char *b = a ? memchr(a + 1, ' ', vlen - (size_t)(a + 1 - v)) : NULL;
			size_t jlen = b ? (size_t)(v + vlen - b - 1) : 0;
			int how = a == v + 1 && *v >= '1' && *v <= '3' ? *v - '0' : 0;
			char *id = NULL, *json = NULL;
			int ok = how && b && (id = hex_get(a + 1, (size_t)(b - a - 1))) != NULL && *id;
			if (ok && !(jlen == 1 && b[1] == '-'))
				ok = (json = hex_get(b + 1, jlen)) != NULL;
			if (ok && (how == FW_MERGE_FILE) != (json != NULL))
				ok = 0;
			if (!ok) {
				free(id);
				free(json);
				rc = fw_error_set(FW_ECORRUPT, "bad resolution in %s", what);
				break;
			}
			void *nr = realloc(st->r, (st->nr + 1) * sizeof(*st->r));
			if (nr == NULL) {
				free(id);
				free(json);
				rc = fw_error_set(FW_ENOMEM, "out of memory");
				break;
			}
			st->r = nr;
			st->r[st->nr].how = how;
			st->r[st->nr].id = id;
			st->r[st->nr].json = json;
			st->nr++;
		}
#undef KEY
	}
	if (rc == 1 && (!st->ours[0] || !st->theirs[0] || !st->base[0] || !st->message))
		rc = fw_error_set(FW_ECORRUPT, "incomplete merge state %s", what);
	if (rc != 1)
		fw_merge_state_release(st);
	return rc;
}

int
fw_merge_state_read(fw_store *s, const char *corpus, struct state *st)
{
	fw_buf dir = FW_BUF_INIT, file = FW_BUF_INIT, text = FW_BUF_INIT;
	char chunk[1 << 14];
	size_t n;
	FILE *f;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	state_path(s, corpus, &dir, &file);
	if ((f = fopen(file.data, "r")) == NULL) {
		rc = errno == ENOENT ? 0 : fw_error_errno("cannot open %s", file.data);
		goto done;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((rc = fw_buf_add(&text, chunk, n)) < 0)
			break;
	if (rc == 0 && ferror(f))
		rc = fw_error_errno("cannot read %s", file.data);
	fclose(f);
	if (rc == 0 && (rc = fw_merge_state_parse(st, text.data ? text.data : "", text.len,
	    file.data)) == FW_ECORRUPT) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s", fw_error_last());
		rc = fw_error_set(rc, "%s; fw merge --abort %s starts over", msg, corpus);
	}
done:
	fw_buf_release(&dir);
	fw_buf_release(&file);
	fw_buf_release(&text);
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

