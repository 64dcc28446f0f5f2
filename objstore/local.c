/*
 * The local backend: objects/ab/<62 hex digits>, one file an object.
 *
 * Durability is batched. A put writes a temporary file (".tmp-...") in the
 * object's directory and remembers it; flush makes all of them durable with
 * one syncfs, renames each into place, and syncs again so the names are
 * durable too. A crash therefore leaves whole objects or temporary files
 * (which gc removes), never a partial object under its real name. This costs
 * two syncs a commit instead of two fsyncs an object.
 */
#include "fw/objstore.h"
#include "fw/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct pending {
	fw_oid id;
	char *tmp;
	uint64_t size;
};

struct local {
	char *dir;
	int dirfd;
	pthread_mutex_t mu;
	struct pending *p;	/* open-addressing table keyed by id */
	size_t cap, n;
	unsigned seq;
};

static void
obj_path(char *out, size_t n, const struct local *l, const fw_oid *id)
{
	char hex[FW_OID_HEXSZ + 1];

	fw_oid_tohex(hex, id);
	snprintf(out, n, "%s/%.2s/%s", l->dir, hex, hex + 2);
}

static size_t
slot_of(const struct local *l, const fw_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h & (l->cap - 1);
}

/* Called with mu held. */
static struct pending *
pending_find(struct local *l, const fw_oid *id)
{
	if (l->cap == 0)
		return NULL;
	for (size_t i = slot_of(l, id);; i = (i + 1) & (l->cap - 1)) {
		if (l->p[i].tmp == NULL)
			return NULL;
		if (fw_oid_cmp(&l->p[i].id, id) == 0)
			return &l->p[i];
	}
}

static int
pending_add(struct local *l, const fw_oid *id, char *tmp, uint64_t size)
{
	if ((l->n + 1) * 2 > l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 1024;
		struct pending *np = calloc(ncap, sizeof(*np)), *old = l->p;
		size_t ocap = l->cap;
		if (np == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		l->p = np;
		l->cap = ncap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].tmp) {
				size_t j = slot_of(l, &old[i].id);
				while (l->p[j].tmp)
					j = (j + 1) & (l->cap - 1);
				l->p[j] = old[i];
			}
		free(old);
	}
	size_t j = slot_of(l, id);
	while (l->p[j].tmp)
		j = (j + 1) & (l->cap - 1);
	l->p[j].id = *id;
	l->p[j].tmp = tmp;
	l->p[j].size = size;
	l->n++;
	return 0;
}

static int
local_has(void *be, const fw_oid *id, uint64_t *size)
{
	struct local *l = be;
	char path[4096];
	struct stat st;
	struct pending *p;
	int found = 0;

	pthread_mutex_lock(&l->mu);
	if ((p = pending_find(l, id)) != NULL) {
		found = 1;
		if (size)
			*size = p->size;
	}
	pthread_mutex_unlock(&l->mu);
	if (found)
		return 1;
	obj_path(path, sizeof(path), l, id);
	if (stat(path, &st) == 0) {
		if (size)
			*size = (uint64_t)st.st_size;
		return 1;
	}
	if (errno == ENOENT)
		return 0;
	return fw_error_errno("cannot stat %s", path);
}

static int
read_file(const char *path, fw_buf *out, const fw_oid *id)
{
	char hex[FW_OID_HEXSZ + 1];
	struct stat st;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT) {
			fw_oid_tohex(hex, id);
			return fw_error_set(FW_ENOTFOUND, "object %s not found", hex);
		}
		return fw_error_errno("cannot open %s", path);
	}
	if (fstat(fd, &st) < 0) {
		rc = fw_error_errno("cannot stat %s", path);
		goto done;
	}
	fw_buf_reset(out);
	if ((rc = fw_buf_grow(out, (size_t)st.st_size)) < 0)
		goto done;
	while (out->len < (size_t)st.st_size) {
		ssize_t n = read(fd, out->data + out->len, (size_t)st.st_size - out->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fw_error_errno("cannot read %s", path);
			goto done;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
	}
	out->data[out->len] = '\0';
done:
	close(fd);
	return rc;
}

static int
local_get(void *be, const fw_oid *id, fw_buf *out)
{
	struct local *l = be;
	char path[4096];
	struct pending *p;

	pthread_mutex_lock(&l->mu);
	p = pending_find(l, id);
	if (p)
		snprintf(path, sizeof(path), "%s", p->tmp);
	pthread_mutex_unlock(&l->mu);
	if (!p)
		obj_path(path, sizeof(path), l, id);
	return read_file(path, out, id);
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
local_put(void *be, const fw_oid *id, const void *bytes, size_t len)
{
	struct local *l = be;
	char hex[FW_OID_HEXSZ + 1], sub[4096], *tmp = NULL;
	int fd = -1, rc = 0;
	unsigned seq;

	fw_oid_tohex(hex, id);
	snprintf(sub, sizeof(sub), "%s/%.2s", l->dir, hex);
	if (mkdir(sub, 0777) < 0 && errno != EEXIST)
		return fw_error_errno("cannot create %s", sub);
	pthread_mutex_lock(&l->mu);
	seq = l->seq++;
	pthread_mutex_unlock(&l->mu);
	if (asprintf(&tmp, "%s/.tmp-%s-%d-%u", sub, hex + 2, (int)getpid(), seq) < 0)
		return fw_error_set(FW_ENOMEM, "out of memory");
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0) {
		rc = fw_error_errno("cannot create %s", tmp);
		goto done;
	}
	if (write_all(fd, bytes, len) < 0) {
		rc = fw_error_errno("cannot write %s", tmp);
		unlink(tmp);
		goto done;
	}
	fw_crash_point("object");
	pthread_mutex_lock(&l->mu);
	if (pending_find(l, id) != NULL) {
		pthread_mutex_unlock(&l->mu);
		unlink(tmp);
		goto done;
	}
	rc = pending_add(l, id, tmp, len);
	pthread_mutex_unlock(&l->mu);
	if (rc == 0)
		tmp = NULL;
done:
	if (fd >= 0)
		close(fd);
	free(tmp);
	return rc;
}

static int
local_flush(void *be)
{
	struct local *l = be;
	char path[4096];
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	if (l->n == 0)
		goto done;
	if (syncfs(l->dirfd) < 0) {
		rc = fw_error_errno("cannot sync %s", l->dir);
		goto done;
	}
	for (size_t i = 0; i < l->cap; i++) {
		if (l->p[i].tmp == NULL)
			continue;
		obj_path(path, sizeof(path), l, &l->p[i].id);
		if (rename(l->p[i].tmp, path) < 0) {
			rc = fw_error_errno("cannot rename %s", l->p[i].tmp);
			goto done;
		}
		free(l->p[i].tmp);
		l->p[i].tmp = NULL;
		l->n--;
		fw_crash_point("object rename");
	}
	if (syncfs(l->dirfd) < 0)
		rc = fw_error_errno("cannot sync %s", l->dir);
done:
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static int
local_iterate(void *be, int (*cb)(const fw_oid *id, uint64_t size, void *arg),
    void *arg)
{
	struct local *l = be;
	int rc = 0;

	for (int d = 0; d < 256 && rc == 0; d++) {
		char sub[4096], hex[FW_OID_HEXSZ + 1];
		DIR *dp;
		struct dirent *de;

		snprintf(sub, sizeof(sub), "%s/%02x", l->dir, d);
		if ((dp = opendir(sub)) == NULL) {
			if (errno == ENOENT)
				continue;
			return fw_error_errno("cannot read %s", sub);
		}
		while (rc == 0 && (de = readdir(dp)) != NULL) {
			fw_oid id;
			struct stat st;

			if (strlen(de->d_name) != FW_OID_HEXSZ - 2)
				continue;
			snprintf(hex, sizeof(hex), "%02x%s", d, de->d_name);
			if (fw_oid_fromhex(&id, hex) < 0)
				continue;
			if (fstatat(dirfd(dp), de->d_name, &st, 0) < 0)
				continue;
			rc = cb(&id, (uint64_t)st.st_size, arg);
		}
		closedir(dp);
	}
	return rc;
}

static int
local_remove(void *be, const fw_oid *id)
{
	struct local *l = be;
	char path[4096];

	obj_path(path, sizeof(path), l, id);
	if (unlink(path) < 0 && errno != ENOENT)
		return fw_error_errno("cannot remove %s", path);
	return 0;
}

static void
local_close(void *be)
{
	struct local *l = be;

	if (l == NULL)
		return;
	for (size_t i = 0; i < l->cap; i++)
		if (l->p[i].tmp) {
			unlink(l->p[i].tmp);
			free(l->p[i].tmp);
		}
	free(l->p);
	if (l->dirfd >= 0)
		close(l->dirfd);
	pthread_mutex_destroy(&l->mu);
	free(l->dir);
	free(l);
}

static const fw_objstore_backend local_ops = {
	"local", local_has, local_get, local_put, local_flush, local_iterate,
	local_remove, local_close,
};

int
fw_objstore_open_local(fw_objstore **out, const char *dir)
{
	struct local *l;

	*out = NULL;
	if (mkdir(dir, 0777) < 0 && errno != EEXIST)
		return fw_error_errno("cannot create %s", dir);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	pthread_mutex_init(&l->mu, NULL);
	l->dirfd = -1;
	if ((l->dir = strdup(dir)) == NULL) {
		local_close(l);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	if ((l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		int rc = fw_error_errno("cannot open %s", dir);
		local_close(l);
		return rc;
	}
	return fw_objstore_new(out, &local_ops, l);
}
