/*
 * Garbage collection of the local backend (fw_objstore_backend.collect).
 *
 * A pack whose objects are not all kept is rewritten with the kept ones: the
 * new pack is written and made durable exactly as a flush does (temporary
 * files, fdatasync, rename the pack, rename the index, sync the directory),
 * and only then is the old index removed, then the old pack. A kill at any
 * point leaves every kept object in a pack that has its index (the old one,
 * the new one or both: a duplicate is harmless), and temporary files or an
 * index-less pack that the next collection removes. Nothing younger than
 * the grace period is touched.
 */
#include "local_int.h"
#include "fw/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int
file_info(const char *path, uint64_t *size, time_t *mtime)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : fw_error_errno("cannot stat %s", path);
	*size = (uint64_t)st.st_size;
	*mtime = st.st_mtime;
	return 1;
}

static int
old_enough(time_t mtime, int64_t grace)
{
	return (int64_t)(time(NULL) - mtime) >= grace;
}

static int
unlink_synced(const char *path, const char *dir, const char *what)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return fw_error_errno("cannot remove %s", path);
	if (fw_local_sync_dir(dir) < 0)
		return -1;
	fw_crash_point(what);
	return 0;
}

static int
repack(struct local *l, const struct pack *pk, const uint8_t *kept, uint32_t nkept)
{
	static unsigned seq;
	char tpath[4096], itmp[4200], ppath[4096], ipath[4096], hex[FW_OID_HEXSZ + 1];
	unsigned char *idx = NULL, *frame = NULL;
	size_t sz = 8 + 4 + (size_t)nkept * IDX_ENTRY + 32, fcap = 0;
	uint64_t off = 8;
	int fd = -1, ifd = -1, rc = 0;

	snprintf(tpath, sizeof(tpath), "%s/.tmp-gc-%d-%u.pack", l->packdir, (int)getpid(), seq++);
	snprintf(itmp, sizeof(itmp), "%s.idx", tpath);
	if ((idx = malloc(sz)) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	if ((fd = open(tpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0444)) < 0) {
		rc = fw_error_errno("cannot create %s", tpath);
		goto done;
	}
	if (fw_local_write_all(fd, PACK_MAGIC, 8) < 0)
		goto write_error;
	memcpy(idx, IDX_MAGIC, 8);
	wr32(idx + 8, nkept);
	for (uint32_t i = 0, k = 0; i < pk->n; i++) {
		const unsigned char *e = pk->entries + (size_t)i * IDX_ENTRY;
		uint32_t len = rd32(e + 40);
		unsigned char *ne;
		if (!kept[i])
			continue;
		if (len > fcap) {
			unsigned char *nf = realloc(frame, len);
			if (nf == NULL) {
				rc = fw_error_set(FW_ENOMEM, "out of memory");
				goto done;
			}
			frame = nf;
			fcap = len;
		}
		if (fw_local_pread_all(pk->fd, frame, len, rd64(e + 32)) < 0) {
			fw_oid_tohex(hex, (const fw_oid *)(const void *)e);
			rc = fw_error_set(FW_ECORRUPT, "object %s is corrupt: its pack is cut short",
			    hex);
			goto done;
		}
		if (fw_local_write_all(fd, frame, len) < 0)
			goto write_error;
		/* a subset of a sorted index stays sorted */
		ne = idx + 12 + (size_t)k++ * IDX_ENTRY;
		memcpy(ne, e, 32);
		wr64(ne + 32, off);
		wr32(ne + 40, len);
		off += len;
	}
	fw_sha256(idx + sz - 32, idx, sz - 32);
	fw_oid_tohex(hex, (const fw_oid *)(const void *)(idx + sz - 32));
	if ((ifd = open(itmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444)) < 0) {
		rc = fw_error_errno("cannot create %s", itmp);
		goto done;
	}
	if (fw_local_write_all(ifd, idx, sz) < 0 || fdatasync(ifd) < 0 || fdatasync(fd) < 0)
		goto write_error;
	fw_crash_point("gc pack written");
	snprintf(ppath, sizeof(ppath), "%s/pack-%s.pack", l->packdir, hex);
	snprintf(ipath, sizeof(ipath), "%s/pack-%s.idx", l->packdir, hex);
	if (rename(tpath, ppath) < 0) {
		rc = fw_error_errno("cannot rename %s", tpath);
		goto done;
	}
	fw_crash_point("gc pack renamed");
	if (rename(itmp, ipath) < 0) {
		rc = fw_error_errno("cannot rename %s", itmp);
		goto done;
	}
	if ((rc = fw_local_sync_dir(l->packdir)) < 0)
		goto done;
	fw_crash_point("gc pack index renamed");
	goto done;
write_error:
	rc = fw_error_errno("cannot write %s", tpath);
done:
	if (fd >= 0)
		close(fd);
	if (ifd >= 0)
		close(ifd);
	if (rc < 0) {
		unlink(tpath);
		unlink(itmp);
	}
	free(idx);
	free(frame);
	return rc;
}

static int
collect_packs(struct local *l, int (*keep)(void *arg, const fw_oid *id), void *arg,
    int64_t grace, int dry_run, fw_objstore_gc_result *res)
{
	char path[4096];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < l->npacks; i++) {
		const struct pack *pk = &l->packs[i];
		uint64_t psize = 0, isize = 0, newsize = 8 + 4 + 32 + 8;
		time_t pt = 0, it = 0;
		uint32_t nkept = 0;
		uint8_t *kept = calloc(pk->n + 1, 1);

		if (kept == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		for (uint32_t k = 0; k < pk->n; k++) {
			const unsigned char *e = pk->entries + (size_t)k * IDX_ENTRY;
			fw_oid id;
			memcpy(id.id, e, 32);
			res->objects++;
			if ((kept[k] = keep(arg, &id) != 0)) {
				nkept++;
				newsize += IDX_ENTRY + rd32(e + 40);
			}
		}
		snprintf(path, sizeof(path), "%s/%s.pack", l->packdir, pk->name);
		if ((rc = file_info(path, &psize, &pt)) >= 0) {
			snprintf(path, sizeof(path), "%s/%s.idx", l->packdir, pk->name);
			rc = file_info(path, &isize, &it);
		}
		if (rc < 0 || nkept == pk->n || rc == 0) {
			free(kept);
			rc = rc < 0 ? rc : 0;
			continue;
		}
		rc = 0;
		if (!old_enough(pt > it ? pt : it, grace)) {
			res->objects_young += pk->n - nkept;
			free(kept);
			continue;
		}
		res->objects_freed += pk->n - nkept;
		if (nkept == 0) {
			res->packs_removed++;
			res->bytes_freed += psize + isize;
		} else {
			res->packs_rewritten++;
			res->bytes_freed += psize + isize > newsize ? psize + isize - newsize : 0;
		}
		if (!dry_run && nkept > 0)
			rc = repack(l, pk, kept, nkept);
		free(kept);
		if (rc == 0 && !dry_run) {
			/* the index first: a pack without one is never read */
			snprintf(path, sizeof(path), "%s/%s.idx", l->packdir, pk->name);
			rc = unlink_synced(path, l->packdir, "gc old index removed");
			snprintf(path, sizeof(path), "%s/%s.pack", l->packdir, pk->name);
			if (rc == 0)
				rc = unlink_synced(path, l->packdir, "gc old pack removed");
		}
	}
	return rc;
}

/* Temporary files of killed writers, and packs left without an index by a
 * kill between the two renames. */
static int
collect_leftovers(struct local *l, int64_t grace, int dry_run, fw_objstore_gc_result *res)
{
	DIR *d = opendir(l->packdir);
	struct dirent *de;
	char path[4096];
	int rc = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : fw_error_errno("cannot read %s", l->packdir);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		uint64_t size = 0, isize;
		time_t mt = 0, imt;
		int leftover = strncmp(de->d_name, ".tmp-", 5) == 0;

		if (!leftover && strncmp(de->d_name, "pack-", 5) == 0 && n > 10 &&
		    strcmp(de->d_name + n - 5, ".pack") == 0) {
			snprintf(path, sizeof(path), "%s/%.*s.idx", l->packdir, (int)(n - 5),
			    de->d_name);
			if ((rc = file_info(path, &isize, &imt)) < 0)
				break;
			leftover = rc == 0;
			rc = 0;
		}
		if (!leftover)
			continue;
		snprintf(path, sizeof(path), "%s/%s", l->packdir, de->d_name);
		if ((rc = file_info(path, &size, &mt)) <= 0 || !old_enough(mt, grace)) {
			rc = rc < 0 ? rc : 0;
			continue;
		}
		res->tmp_removed++;
		res->bytes_freed += size;
		if (!dry_run)
			rc = unlink_synced(path, l->packdir, "gc leftover removed");
	}
	closedir(d);
	return rc;
}

struct loose_arg {
	int (*keep)(void *arg, const fw_oid *id);
	void *arg;
	int64_t grace;
	int dry_run;
	fw_objstore_gc_result *res;
};

static int
collect_one(void *argp, const fw_oid *id, const char *path, const char *dir,
    const struct stat *st)
{
	struct loose_arg *a = argp;

	a->res->objects++;
	if (a->keep(a->arg, id))
		return 0;
	if (!old_enough(st->st_mtime, a->grace)) {
		a->res->objects_young++;
		return 0;
	}
	a->res->objects_freed++;
	a->res->loose_removed++;
	a->res->bytes_freed += (uint64_t)st->st_size;
	if (a->dry_run)
		return 0;
	return unlink_synced(path, dir, "gc loose object removed");
}

static int
collect_loose(struct local *l, int (*keep)(void *arg, const fw_oid *id), void *arg,
    int64_t grace, int dry_run, fw_objstore_gc_result *res)
{
	struct loose_arg a = { keep, arg, grace, dry_run, res };

	return local_loose_foreach(l, collect_one, &a);
}

int
fw_local_collect(void *be, int (*keep)(void *arg, const fw_oid *id), void *arg,
    int64_t grace, int dry_run, fw_objstore_gc_result *res)
{
	struct local *l = be;
	int rc;

	pthread_mutex_lock(&l->mu);
	if ((rc = fw_local_packs_scan(l)) == 0 &&
	    (rc = collect_packs(l, keep, arg, grace, dry_run, res)) == 0 &&
	    (rc = collect_loose(l, keep, arg, grace, dry_run, res)) == 0)
		rc = collect_leftovers(l, grace, dry_run, res);
	if (!dry_run) {
		/* forget the packs: the next read lists them afresh */
		for (size_t i = 0; i < l->npacks; i++) {
			if (l->packs[i].fd >= 0)
				close(l->packs[i].fd);
			free(l->packs[i].name);
			free(l->packs[i].entries);
		}
		l->npacks = 0;
		if (rc == 0)
			rc = fw_local_packs_scan(l);
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

