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

/* An object a rewritten pack takes: its entry in the old pack's index. */
struct take {
	const unsigned char *e;
	const struct pack *pk;
};

static int
take_cmp(const void *a, const void *b)
{
	return memcmp(((const struct take *)a)->e, ((const struct take *)b)->e, 32);
}

static int
read_frame(const struct take *t, unsigned char **buf, size_t *cap)
{
	uint32_t len = rd32(t->e + 40);

	if (len > *cap) {
		unsigned char *nb = realloc(*buf, len);
		if (nb == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		*buf = nb;
		*cap = len;
	}
	if (fw_local_pread_all(t->pk->fd, *buf, len, rd64(t->e + 32)) < 0) {
		char hex[FW_OID_HEXSZ + 1];
		fw_oid_tohex(hex, (const fw_oid *)(const void *)t->e);
		return fw_error_set(FW_ECORRUPT, "object %s is corrupt: its pack is cut short", hex);
	}
	return 0;
}

/*
 * One of n copies of an object (a killed gc or merge leaves an object in two
 * packs), into *out: a copy that decodes to its id, and of those the one
 * with the shortest and then smallest frame, so that the pick does not
 * depend on the order the packs were listed in. Copies are usually the same
 * bytes; one may be damaged, and then removing the old packs would leave
 * only the damaged one if it were picked. When none checks, the smallest.
 */
static int
pick_copy(const struct take *c, size_t n, struct take *out)
{
	unsigned char *a = NULL, *b = NULL;
	size_t acap = 0, bcap = 0;
	int best = -1, best_ok = -1, rc = 0;

	for (size_t i = 0; i < n; i++) {
		/* ok: -1 unreadable, 0 damaged, 1 sound */
		if ((rc = read_frame(&c[i], &b, &bcap)) == FW_ENOMEM)
			break;
		int ok = rc < 0 ? -1 : fw_obj_frame_check((const fw_oid *)(const void *)c[i].e,
		    b, rd32(c[i].e + 40)) == 0;
		uint32_t len = rd32(c[i].e + 40), blen = best < 0 ? 0 : rd32(c[best].e + 40);
		rc = 0;
		if (best >= 0 && (best_ok > ok || (best_ok == ok && (ok < 0 ||
		    blen < len || (blen == len && memcmp(a, b, len) <= 0)))))
			continue;
		best = (int)i;
		best_ok = ok;
		unsigned char *sw = a;
		size_t swc = acap;
		a = b;
		acap = bcap;
		b = sw;
		bcap = swc;
	}
	fw_error_clear();
	if (rc == 0)
		*out = c[best < 0 ? 0 : best];
	free(a);
	free(b);
	return rc;
}

/*
 * Writes one pack of the objects kept[p][i] of packs pks[0..npk), in id
 * order, each once (after a killed gc an object may be in two packs), and
 * makes it durable as a flush does; its name (pack-<hex>) goes to name.
 * The same objects always give the same pack, so a gc run again after a
 * kill ends at the store an uninterrupted one makes.
 */
static int
repack(struct local *l, const struct pack *const *pks, uint8_t *const *kept, size_t npk,
    char *name, size_t namesz)
{
	static unsigned seq;
	char tpath[4096], itmp[4200], ppath[4096], ipath[4096], hex[FW_OID_HEXSZ + 1];
	unsigned char *idx = NULL, *frame = NULL;
	struct take *t = NULL;
	size_t nt = 0, cap = 0, sz, fcap = 0;
	uint64_t off = 8;
	int fd = -1, ifd = -1, rc = 0;

	for (size_t p = 0; p < npk; p++)
		cap += pks[p]->n;
	if ((t = malloc((cap + 1) * sizeof(*t))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	for (size_t p = 0; p < npk; p++)
		for (uint32_t i = 0; i < pks[p]->n; i++)
			if (kept[p][i])
				t[nt++] = (struct take){ pks[p]->entries + (size_t)i * IDX_ENTRY, pks[p] };
	if (npk > 1)
		qsort(t, nt, sizeof(*t), take_cmp);
	size_t w = 0;
	for (size_t i = 0, j; i < nt; i = j) {
		for (j = i + 1; j < nt && memcmp(t[i].e, t[j].e, 32) == 0; j++)
			;
		if (j - i == 1)
			t[w++] = t[i];
		else if ((rc = pick_copy(t + i, j - i, &t[w++])) < 0)
			goto done;
	}
	nt = w;
	sz = 8 + 4 + nt * IDX_ENTRY + 32;
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
	wr32(idx + 8, (uint32_t)nt);
	for (size_t k = 0; k < nt; k++) {
		const unsigned char *e = t[k].e;
		uint32_t len = rd32(e + 40);
		unsigned char *ne;
		if (len > fcap) {
			unsigned char *nf = realloc(frame, len);
			if (nf == NULL) {
				rc = fw_error_set(FW_ENOMEM, "out of memory");
				goto done;
			}
			frame = nf;
			fcap = len;
		}
		if (fw_local_pread_all(t[k].pk->fd, frame, len, rd64(e + 32)) < 0) {
			fw_oid_tohex(hex, (const fw_oid *)(const void *)e);
			rc = fw_error_set(FW_ECORRUPT, "object %s is corrupt: its pack is cut short",
			    hex);
			goto done;
		}
		if (fw_local_write_all(fd, frame, len) < 0)
			goto write_error;
		ne = idx + 12 + k * IDX_ENTRY;
		memcpy(ne, e, 32);
		wr64(ne + 32, off);
		wr32(ne + 40, len);
		off += len;
	}
	fw_sha256(idx + sz - 32, idx, sz - 32);
	fw_oid_tohex(hex, (const fw_oid *)(const void *)(idx + sz - 32));
	snprintf(name, namesz, "pack-%s", hex);
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
	free(t);
	return rc;
}

/* Removes a pack: the index first, as a pack without one is never read. */
static int
remove_pack(struct local *l, const struct pack *pk)
{
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/%s.idx", l->packdir, pk->name);
	rc = unlink_synced(path, l->packdir, "gc old index removed");
	snprintf(path, sizeof(path), "%s/%s.pack", l->packdir, pk->name);
	if (rc == 0)
		rc = unlink_synced(path, l->packdir, "gc old pack removed");
	return rc;
}

/*
 * Packs below this size are merged into one. Every commit writes a pack,
 * and a read looks an object up in every pack's index (and each command
 * opens them all): 300 one-commit packs made every command 7 ms slower
 * here. A merged pack that grows past the limit is left alone after that,
 * so gc does not copy the bulk of a store again and again.
 */
#define SMALL_PACK ((uint64_t)16 << 20)

/* SMALL_PACK, or FW_GC_PACK_MERGE_MAX bytes (0: merge none) */
static uint64_t
small_pack(void)
{
	const char *env = getenv("FW_GC_PACK_MERGE_MAX");
	char *end;
	unsigned long long v;

	if (env == NULL || *env == '\0')
		return SMALL_PACK;
	v = strtoull(env, &end, 10);
	return *end == '\0' ? (uint64_t)v : SMALL_PACK;
}

/*
 * Writes the objects kept[p][i] of packs pks[0..npk) (nkept in all) into one
 * pack, then removes every old index, then every old pack, with one
 * directory sync after each round: a kill leaves indexes whose packs are all
 * there, and packs without one (leftovers). The merged pack may be one of
 * them already (a gc run again after a kill): that one stays.
 */
static int
merge_packs(struct local *l, const struct pack **pks, uint8_t **kept, size_t npk,
    uint64_t nkept)
{
	char path[4096], name[128] = "";
	int rc = 0;

	if (nkept && (rc = repack(l, pks, kept, npk, name, sizeof(name))) < 0)
		return rc;
	for (int round = 0; round < 2 && rc == 0; round++) {
		for (size_t p = 0; p < npk && rc == 0; p++) {
			if (strcmp(pks[p]->name, name) == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s.%s", l->packdir, pks[p]->name,
			    round ? "pack" : "idx");
			if (unlink(path) < 0 && errno != ENOENT)
				rc = fw_error_errno("cannot remove %s", path);
		}
		if (rc == 0)
			rc = fw_local_sync_dir(l->packdir);
		fw_crash_point(round ? "gc merged packs removed" : "gc merged indexes removed");
	}
	return rc;
}

/* Forgets the loaded packs, so that the next read lists them afresh (no
 * other thread may be reading). Called with mu held. */
static void
forget_packs(struct local *l)
{
	for (size_t i = 0; i < l->npacks; i++) {
		if (l->packs[i].fd >= 0)
			close(l->packs[i].fd);
		free(l->packs[i].name);
		free(l->packs[i].entries);
	}
	l->npacks = 0;
}

struct pinfo {
	uint8_t *kept;
	uint32_t nkept;
	uint64_t psize, isize;
	int ok;			/* both files there, older than the grace period */
	int merge;
};

static int
collect_packs(struct local *l, int (*keep)(void *arg, const fw_oid *id), void *arg,
    int64_t grace, int dry_run, fw_objstore_gc_result *res)
{
	char path[4096], name[128];
	struct pinfo *pi = calloc(l->npacks + 1, sizeof(*pi));
	const struct pack **mp = calloc(l->npacks + 1, sizeof(*mp));
	uint8_t **mk = calloc(l->npacks + 1, sizeof(*mk));
	size_t nmerge = 0;
	uint64_t msize = 0, mkept = 0, small = small_pack();
	int rc = 0;

	if (pi == NULL || mp == NULL || mk == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; rc == 0 && i < l->npacks; i++) {
		const struct pack *pk = &l->packs[i];
		time_t pt = 0, it = 0;
		int r1, r2 = 0;

		if ((pi[i].kept = calloc(pk->n + 1, 1)) == NULL) {
			rc = fw_error_set(FW_ENOMEM, "out of memory");
			break;
		}
		for (uint32_t k = 0; k < pk->n; k++) {
			fw_oid id;
			memcpy(id.id, pk->entries + (size_t)k * IDX_ENTRY, 32);
			res->objects++;
			if ((pi[i].kept[k] = keep(arg, &id) != 0))
				pi[i].nkept++;
		}
		snprintf(path, sizeof(path), "%s/%s.pack", l->packdir, pk->name);
		if ((r1 = rc = file_info(path, &pi[i].psize, &pt)) > 0) {
			snprintf(path, sizeof(path), "%s/%s.idx", l->packdir, pk->name);
			r2 = rc = file_info(path, &pi[i].isize, &it);
		}
		if (rc < 0)
			break;
		rc = 0;
		if (r1 <= 0 || r2 <= 0)
			continue;	/* gone meanwhile */
		if (!old_enough(pt > it ? pt : it, grace)) {
			res->objects_young += pk->n - pi[i].nkept;
			continue;
		}
		pi[i].ok = 1;
		if (pi[i].psize < small) {
			pi[i].merge = 1;
			nmerge++;
		}
	}
	if (rc < 0)
		goto done;
	if (nmerge < 2)		/* one small pack alone is handled as any other */
		for (size_t i = 0; i < l->npacks; i++)
			pi[i].merge = 0;
	/* the small packs, merged into one */
	nmerge = 0;
	for (size_t i = 0; i < l->npacks; i++)
		if (pi[i].merge) {
			mp[nmerge] = &l->packs[i];
			mk[nmerge++] = pi[i].kept;
			msize += pi[i].psize + pi[i].isize;
			mkept += pi[i].nkept;
			res->objects_freed += l->packs[i].n - pi[i].nkept;
		}
	if (nmerge) {
		uint64_t newsize = 8 + 4 + 32 + 8;
		for (size_t p = 0; p < nmerge; p++)
			for (uint32_t k = 0; k < mp[p]->n; k++)
				if (mk[p][k])
					newsize += IDX_ENTRY + rd32(mp[p]->entries + (size_t)k * IDX_ENTRY + 40);
		res->packs_merged += nmerge;
		res->bytes_freed += msize > newsize ? msize - newsize : 0;
		if (!dry_run && (rc = merge_packs(l, mp, mk, nmerge, mkept)) < 0)
			goto done;
	}
	/* the others, each rewritten without what is not kept */
	for (size_t i = 0; rc == 0 && i < l->npacks; i++) {
		const struct pack *pk = &l->packs[i];
		uint8_t *const kept = pi[i].kept;
		if (!pi[i].ok || pi[i].merge || pi[i].nkept == pk->n)
			continue;
		res->objects_freed += pk->n - pi[i].nkept;
		if (pi[i].nkept == 0) {
			res->packs_removed++;
			res->bytes_freed += pi[i].psize + pi[i].isize;
		} else {
			uint64_t newsize = 8 + 4 + 32 + 8;
			for (uint32_t k = 0; k < pk->n; k++)
				if (kept[k])
					newsize += IDX_ENTRY + rd32(pk->entries + (size_t)k * IDX_ENTRY + 40);
			res->packs_rewritten++;
			res->bytes_freed += pi[i].psize + pi[i].isize > newsize ?
			    pi[i].psize + pi[i].isize - newsize : 0;
		}
		if (dry_run)
			continue;
		if (pi[i].nkept > 0)
			rc = repack(l, &pk, &kept, 1, name, sizeof(name));
		if (rc == 0)
			rc = remove_pack(l, pk);
	}
done:
	for (size_t i = 0; pi && i < l->npacks; i++)
		free(pi[i].kept);
	free(pi);
	free(mp);
	free(mk);
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
		forget_packs(l);
		if (rc == 0)
			rc = fw_local_packs_scan(l);
	}
	pthread_mutex_unlock(&l->mu);
	return rc;
}

/*
 * fw_objstore_backend.compact: when at least min_count packs are under
 * small bytes, merges them into one, keeping every object (nothing is
 * judged unreachable, so a pack of any age will do: one is listed only once
 * its index is in place, whole).
 */
int
fw_local_compact(void *be, uint64_t small, size_t min_count, uint64_t *merged)
{
	struct local *l = be;
	const struct pack **mp = NULL;
	uint8_t **mk = NULL;
	size_t n = 0;
	uint64_t nkept = 0;
	int rc;

	*merged = 0;
	pthread_mutex_lock(&l->mu);
	if ((rc = fw_local_packs_scan(l)) < 0)
		goto done;
	if ((mp = calloc(l->npacks + 1, sizeof(*mp))) == NULL ||
	    (mk = calloc(l->npacks + 1, sizeof(*mk))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < l->npacks; i++) {
		char path[4096];
		uint64_t size = 0;
		time_t mt;
		snprintf(path, sizeof(path), "%s/%s.pack", l->packdir, l->packs[i].name);
		if (file_info(path, &size, &mt) <= 0 || size >= small)
			continue;
		if ((mk[n] = malloc(l->packs[i].n + 1)) == NULL) {
			rc = fw_error_set(FW_ENOMEM, "out of memory");
			goto done;
		}
		memset(mk[n], 1, l->packs[i].n + 1);
		nkept += l->packs[i].n;
		mp[n++] = &l->packs[i];
	}
	if (n < min_count || n < 2)
		goto done;
	if ((rc = merge_packs(l, mp, mk, n, nkept)) == 0)
		*merged = n;
	forget_packs(l);
	if (rc == 0)
		rc = fw_local_packs_scan(l);
done:
	for (size_t i = 0; mk && i < n; i++)
		free(mk[i]);
	free(mk);
	free(mp);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

