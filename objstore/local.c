/*
 * The local backend. Objects written by this version go into pack files, one
 * per flush (per commit), under objects/pack/:
 *   pack-<id>.pack  "FWPACK1\n", then object frames back to back (each frame
 *                   exactly what a loose object file holds);
 *   pack-<id>.idx   "FWIDX01\n", u32 count, count entries sorted by object id
 *                   (id[32], u64 offset, u32 length), then the SHA-256 of all
 *                   the bytes before it; <id> is that hash in hex.
 * Loose objects (objects/ab/<62 hex digits>, one frame a file) are read too.
 *
 * A put appends to a temporary pack and is readable at once. flush writes the
 * index, syncs both files, renames the pack and then its index into place and
 * syncs the directory: a crash leaves a whole pack or a temporary file, never
 * an index that points at missing bytes. Two file creations a commit instead
 * of two a object: creating thousands of files cost more than compressing
 * their contents here (ext4 inode allocation dominated a profile of commit).
 */
#include "local_int.h"
#include "fw/error.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
loose_path(char *out, size_t n, const struct local *l, const fw_oid *id)
{
	char hex[FW_OID_HEXSZ + 1];

	fw_oid_tohex(hex, id);
	snprintf(out, n, "%s/%.2s/%s", l->dir, hex, hex + 2);
}

int
fw_local_write_all(int fd, const void *p, size_t n)
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

int
fw_local_pread_all(int fd, void *p, size_t n, uint64_t off)
{
	char *c = p;

	while (n) {
		ssize_t r = pread(fd, c, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* --- pack indexes --- */

/* git's idx fanout, built in memory: a lookup searches the ids that share
 * its first byte (n/256 of them), not all n, in every pack it tries. */
void
fw_local_pack_fanout(struct pack *pk)
{
	uint32_t i = 0;

	pk->fan = (uint32_t *)(pk->entries + (size_t)pk->n * IDX_ENTRY);
	for (unsigned b = 0; b < 256; b++) {
		pk->fan[b] = i;
		while (i < pk->n && pk->entries[(size_t)i * IDX_ENTRY] == b)
			i++;
	}
	/* an index out of order (the checksum holds, the writer erred) finds
	 * less, never past its end */
	pk->fan[256] = i;
}

/* Big-endian: numbers that order as memcmp orders the bytes. */
static inline uint64_t
be64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);	/* gcc -O2 did not make a byte loop one */
#endif
	return v;
}

static int
pack_has(const struct pack *pk, const fw_oid *id, uint64_t *off, uint32_t *len)
{
	uint32_t lo = pk->fan[id->id[0]], hi = pk->fan[id->id[0] + 1];
	uint64_t head = be64(id->id);

	/* The first 8 bytes as a number decide almost every step; memcmp,
	 * a call each, only for the rest (a lookup probes every pack it
	 * misses: a merge made 300,000 of them). */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const unsigned char *e = pk->entries + (size_t)mid * IDX_ENTRY;
		uint64_t eh = be64(e);
		int c = eh < head ? -1 : eh > head ? 1 : memcmp(e + 8, id->id + 8, 24);
		if (c == 0) {
			*off = rd64(e + 32);
			*len = rd32(e + 40);
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int
pack_load(struct local *l, const char *name)
{
	char path[4096];
	struct stat st;
	unsigned char *buf = NULL, sum[32];
	struct pack pk = { NULL, -1, 0, NULL, NULL };
	int fd = -1, rc = 0;
	size_t nlen = strlen(name) - 4;	/* without ".idx" */

	snprintf(path, sizeof(path), "%s/%s", l->packdir, name);
	/* A pack that a gc or a commit's merge removes between the listing
	 * and here is skipped: what it held is in the merged pack, which a
	 * read that misses lists afresh (local_get). */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 0 : fw_error_errno("cannot open %s", path);
	if (fstat(fd, &st) < 0 || st.st_size < 8 + 4 + 32) {
		rc = fw_error_set(FW_ECORRUPT, "pack index %s is corrupt: too short", path);
		goto done;
	}
	/* Read where the entries stay (they move down over the header, and
	 * the fanout goes after them): a second copy of a big index was a
	 * page fault per 4 KiB at every start of a command. */
	if ((buf = malloc((size_t)st.st_size + 257 * sizeof(uint32_t))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	if (fw_local_pread_all(fd, buf, (size_t)st.st_size, 0) < 0) {
		rc = fw_error_errno("cannot read %s", path);
		goto done;
	}
	fw_sha256(sum, buf, (size_t)st.st_size - 32);
	pk.n = rd32(buf + 8);
	if (memcmp(buf, IDX_MAGIC, 8) != 0 ||
	    memcmp(sum, buf + st.st_size - 32, 32) != 0 ||
	    (uint64_t)pk.n * IDX_ENTRY + 8 + 4 + 32 != (uint64_t)st.st_size) {
		rc = fw_error_set(FW_ECORRUPT, "pack index %s is corrupt: checksum mismatch", path);
		goto done;
	}
	if ((pk.name = strndup(name, nlen)) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	/* st_size + the fanout >= PACK_ENTRIES_ALLOC(n), checked above */
	memmove(buf, buf + 12, (size_t)pk.n * IDX_ENTRY);
	pk.entries = buf;
	buf = NULL;
	fw_local_pack_fanout(&pk);
	snprintf(path, sizeof(path), "%s/%.*s.pack", l->packdir, (int)nlen, name);
	if ((pk.fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		/* removed after its index (the order gc and merges remove
		 * them in): skipped as above */
		rc = errno == ENOENT ? 0 : fw_error_errno("cannot open %s", path);
		goto done;
	}
	char magic[8];
	if (fw_local_pread_all(pk.fd, magic, 8, 0) < 0 || memcmp(magic, PACK_MAGIC, 8) != 0) {
		rc = fw_error_set(FW_ECORRUPT, "pack %s is corrupt: bad header", path);
		goto done;
	}
	struct pack *np = realloc(l->packs, (l->npacks + 1) * sizeof(*np));
	if (np == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	l->packs = np;
	l->packs[l->npacks++] = pk;
	pk.entries = NULL;
	pk.name = NULL;
	pk.fd = -1;
done:
	free(pk.entries);
	free(pk.name);
	if (pk.fd >= 0)
		close(pk.fd);
	free(buf);
	close(fd);
	return rc;
}

/* Loads the indexes of packs not loaded yet. Called with mu held. */
int
fw_local_packs_scan(struct local *l)
{
	DIR *d = opendir(l->packdir);
	struct dirent *de;
	int rc = 0;

	if (d == NULL) {
		if (errno != ENOENT)
			return fw_error_errno("cannot read %s", l->packdir);
		l->scanned = 1;
		return 0;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		int known = 0;
		if (strncmp(de->d_name, "pack-", 5) != 0 || n < 9 ||
		    strcmp(de->d_name + n - 4, ".idx") != 0)
			continue;
		for (size_t i = 0; i < l->npacks; i++)
			if (strlen(l->packs[i].name) == n - 4 &&
			    strncmp(l->packs[i].name, de->d_name, n - 4) == 0)
				known = 1;
		if (!known)
			rc = pack_load(l, de->d_name);
	}
	closedir(d);
	if (rc == 0)
		l->scanned = 1;
	return rc;
}

/* Drops the loaded packs whose files are gone. Called with mu held. */
static void
forget_removed_packs(struct local *l)
{
	size_t w = 0;

	for (size_t i = 0; i < l->npacks; i++) {
		struct stat st;
		if (fstat(l->packs[i].fd, &st) == 0 && st.st_nlink == 0) {
			/* another thread may be reading through the descriptor
			 * (local_get reads outside the lock): keep it open */
			int *nr = realloc(l->retired, (l->nretired + 1) * sizeof(*nr));
			if (nr == NULL) {
				l->packs[w++] = l->packs[i];
				continue;
			}
			l->retired = nr;
			l->retired[l->nretired++] = l->packs[i].fd;
			free(l->packs[i].name);
			free(l->packs[i].entries);
			continue;
		}
		l->packs[w++] = l->packs[i];
	}
	l->npacks = w;
}

/* --- the pack being written --- */

static size_t
slot_of(const struct local *l, const fw_oid *id)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h & (l->cap - 1);
}

static struct pending *
pending_find(struct local *l, const fw_oid *id)
{
	if (l->cap == 0)
		return NULL;
	for (size_t i = slot_of(l, id);; i = (i + 1) & (l->cap - 1)) {
		if (!l->p[i].used)
			return NULL;
		if (fw_oid_cmp(&l->p[i].id, id) == 0)
			return &l->p[i];
	}
}

static int
pending_add(struct local *l, const fw_oid *id, uint64_t off, uint32_t len)
{
	if ((l->n + 1) * 2 > l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 1024, ocap = l->cap;
		struct pending *np = calloc(ncap, sizeof(*np)), *old = l->p;
		if (np == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		l->p = np;
		l->cap = ncap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].used) {
				size_t j = slot_of(l, &old[i].id);
				while (l->p[j].used)
					j = (j + 1) & (l->cap - 1);
				l->p[j] = old[i];
			}
		free(old);
	}
	size_t j = slot_of(l, id);
	while (l->p[j].used)
		j = (j + 1) & (l->cap - 1);
	l->p[j].id = *id;
	l->p[j].off = off;
	l->p[j].len = len;
	l->p[j].used = 1;
	l->n++;
	return 0;
}

/*
 * The pack indexes are read at the first lookup, not at open: fw add, status
 * and log look nothing up, and reading (and checking) every index cost each
 * of them a copy of it. Called with mu held.
 */
static int
packs_ready(struct local *l)
{
	return l->scanned ? 0 : fw_local_packs_scan(l);
}

/* 1 and where it is (fd, offset, length) when packed or pending; 0 if not. */
static int
find_packed(struct local *l, const fw_oid *id, int *fd, uint64_t *off, uint32_t *len)
{
	struct pending *p = pending_find(l, id);

	if (p) {
		*fd = l->tmpfd;
		*off = p->off;
		*len = p->len;
		return 1;
	}
	for (size_t i = l->npacks; i-- > 0;)
		if (pack_has(&l->packs[i], id, off, len)) {
			*fd = l->packs[i].fd;
			return 1;
		}
	return 0;
}

static int
local_has(void *be, const fw_oid *id, uint64_t *size)
{
	struct local *l = be;
	char path[4096];
	struct stat st;
	uint64_t off;
	uint32_t len;
	int fd, found, rc;

	pthread_mutex_lock(&l->mu);
	if ((rc = packs_ready(l)) < 0) {
		pthread_mutex_unlock(&l->mu);
		return rc;
	}
	found = find_packed(l, id, &fd, &off, &len);
	if (found && fd != l->tmpfd && fstat(fd, &st) == 0 && st.st_nlink == 0) {
		/*
		 * fw gc removed this pack since it was loaded (a commit opens the
		 * store before it takes its corpus lock, and gc may run in that
		 * gap). Its objects still read through the open descriptor, but
		 * one that gc dropped as unreachable must not count as present,
		 * or the commit would refer to it without writing it.
		 */
		forget_removed_packs(l);
		found = fw_local_packs_scan(l) == 0 && find_packed(l, id, &fd, &off, &len);
	}
	pthread_mutex_unlock(&l->mu);
	if (found) {
		if (size)
			*size = len;
		return 1;
	}
	/* This version writes packs only: a store without loose-object
	 * directories (all but the oldest) skips the stat, one a put, which a
	 * relabel's 1,400 puts felt. A loose object an older fw writes after
	 * open is missed here, and written again: a duplicate, not a loss. */
	if (!l->loose)
		return 0;
	loose_path(path, sizeof(path), l, id);
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
read_loose(const char *path, fw_buf *out, const fw_oid *id)
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
	if (fw_local_pread_all(fd, out->data, (size_t)st.st_size, 0) < 0) {
		rc = fw_error_errno("cannot read %s", path);
		goto done;
	}
	out->len = (size_t)st.st_size;
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
	uint64_t off;
	uint32_t len;
	int fd, found, rc = 0;

	pthread_mutex_lock(&l->mu);
	if ((rc = packs_ready(l)) < 0) {
		pthread_mutex_unlock(&l->mu);
		return rc;
	}
	found = find_packed(l, id, &fd, &off, &len);
	if (found && fd == l->tmpfd && off >= l->tmpoff - l->wlen) {
		/* written by this process and still in the buffer */
		fw_buf_reset(out);
		if ((rc = fw_buf_grow(out, len)) == 0) {
			memcpy(out->data, l->wbuf + (off - (l->tmpoff - l->wlen)), len);
			out->len = len;
			out->data[len] = '\0';
		}
		pthread_mutex_unlock(&l->mu);
		return rc;
	}
	pthread_mutex_unlock(&l->mu);
	if (!found) {
		loose_path(path, sizeof(path), l, id);
		rc = read_loose(path, out, id);
		if (rc != FW_ENOTFOUND)
			return rc;
		/* Another process may have written a pack since we looked. */
		pthread_mutex_lock(&l->mu);
		rc = fw_local_packs_scan(l);
		found = rc == 0 && find_packed(l, id, &fd, &off, &len);
		pthread_mutex_unlock(&l->mu);
		if (rc < 0)
			return rc;
		if (!found) {
			char hex[FW_OID_HEXSZ + 1];
			fw_oid_tohex(hex, id);
			return fw_error_set(FW_ENOTFOUND, "object %s not found", hex);
		}
	}
	fw_buf_reset(out);
	if ((rc = fw_buf_grow(out, len)) < 0)
		return rc;
	if (fw_local_pread_all(fd, out->data, len, off) < 0) {
		char hex[FW_OID_HEXSZ + 1];
		fw_oid_tohex(hex, id);
		return fw_error_set(FW_ECORRUPT, "object %s is corrupt: its pack is cut short", hex);
	}
	out->len = len;
	out->data[len] = '\0';
	return 0;
}

/*
 * Puts gather in a buffer of WBUF_MAX bytes, written out when it fills and
 * at flush: a relabel's 1,400 small objects were 1,400 write(2) calls made
 * under the backend's lock, which the builder threads then queued for. An
 * object is in the file or wholly in the buffer: its offset tells which.
 * 256 KiB, not more: every page of it is a page fault the first time it
 * fills, and a relabel writes about 2 MB in all (eight writes).
 */
#define WBUF_MAX ((size_t)256 << 10)

static int
pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	const char *c = p;

	while (n) {
		ssize_t w = pwrite(fd, c, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		c += w;
		off += (uint64_t)w;
		n -= (size_t)w;
	}
	return 0;
}

static int
wbuf_drain(struct local *l)
{
	if (l->wlen == 0)
		return 0;
	if (pwrite_all(l->tmpfd, l->wbuf, l->wlen, l->tmpoff - l->wlen) < 0)
		return fw_error_errno("cannot write %s", l->tmppath);
	l->wlen = 0;
	return 0;
}

static int
local_put(void *be, const fw_oid *id, const void *bytes, size_t len)
{
	struct local *l = be;
	int rc = 0;

	if (len > UINT32_MAX)
		return fw_error_set(FW_EINVALID, "object over 4 GiB");
	pthread_mutex_lock(&l->mu);
	if (pending_find(l, id) != NULL)
		goto done;
	if (l->tmpfd < 0) {
		static unsigned seq;
		if (mkdir(l->packdir, 0777) < 0 && errno != EEXIST) {
			rc = fw_error_errno("cannot create %s", l->packdir);
			goto done;
		}
		free(l->tmppath);
		if (asprintf(&l->tmppath, "%s/.tmp-%d-%u.pack", l->packdir, (int)getpid(),
		    seq++) < 0) {
			l->tmppath = NULL;
			rc = fw_error_set(FW_ENOMEM, "out of memory");
			goto done;
		}
		l->tmpfd = open(l->tmppath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
		if (l->tmpfd < 0) {
			rc = fw_error_errno("cannot create %s", l->tmppath);
			goto done;
		}
		if (fw_local_write_all(l->tmpfd, PACK_MAGIC, 8) < 0) {
			rc = fw_error_errno("cannot write %s", l->tmppath);
			goto done;
		}
		l->tmpoff = 8;
		l->wlen = 0;
	}
	if (l->wbuf == NULL && (l->wbuf = malloc(WBUF_MAX)) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	/* Until pending_add succeeds, bytes past tmpoff count for nothing:
	 * a failed put is overwritten by the next. */
	if (l->wlen + len > WBUF_MAX && (rc = wbuf_drain(l)) < 0)
		goto done;
	if (len >= WBUF_MAX) {
		if (pwrite_all(l->tmpfd, bytes, len, l->tmpoff) < 0) {
			rc = fw_error_errno("cannot write %s", l->tmppath);
			goto done;
		}
	} else
		memcpy(l->wbuf + l->wlen, bytes, len);
	if ((rc = pending_add(l, id, l->tmpoff, (uint32_t)len)) < 0)
		goto done;
	if (len < WBUF_MAX)
		l->wlen += len;
	l->tmpoff += len;
	fw_crash_point("object");
done:
	pthread_mutex_unlock(&l->mu);
	return rc;
}

static int
entry_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

int
fw_local_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return fw_error_errno("cannot open %s", dir);
	if (fsync(fd) < 0)
		rc = fw_error_errno("cannot sync %s", dir);
	close(fd);
	return rc;
}

static int
local_flush(void *be)
{
	struct local *l = be;
	unsigned char *idx = NULL, sum[32];
	char hex[FW_OID_HEXSZ + 1], name[128], ipath[4096], ppath[4096], itmp[4200];
	size_t sz, k = 0;
	int fd = -1, rc = 0;

	pthread_mutex_lock(&l->mu);
	if (l->n == 0)
		goto done;
	sz = 8 + 4 + l->n * IDX_ENTRY + 32;
	if ((idx = malloc(sz)) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(idx, IDX_MAGIC, 8);
	wr32(idx + 8, (uint32_t)l->n);
	for (size_t i = 0; i < l->cap; i++)
		if (l->p[i].used) {
			unsigned char *e = idx + 12 + k++ * IDX_ENTRY;
			memcpy(e, l->p[i].id.id, 32);
			wr64(e + 32, l->p[i].off);
			wr32(e + 40, l->p[i].len);
		}
	qsort(idx + 12, l->n, IDX_ENTRY, entry_cmp);
	fw_sha256(idx + sz - 32, idx, sz - 32);
	memcpy(sum, idx + sz - 32, 32);
	fw_oid_tohex(hex, (const fw_oid *)(const void *)sum);
	snprintf(name, sizeof(name), "pack-%s", hex);
	snprintf(itmp, sizeof(itmp), "%s.idx", l->tmppath);
	if ((fd = open(itmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444)) < 0) {
		rc = fw_error_errno("cannot create %s", itmp);
		goto done;
	}
	if (fw_local_write_all(fd, idx, sz) < 0 || fdatasync(fd) < 0) {
		rc = fw_error_errno("cannot write %s", itmp);
		goto done;
	}
	if ((rc = wbuf_drain(l)) < 0)
		goto done;
	if (fdatasync(l->tmpfd) < 0) {
		rc = fw_error_errno("cannot sync %s", l->tmppath);
		goto done;
	}
	fw_crash_point("pack written");
	snprintf(ppath, sizeof(ppath), "%s/%s.pack", l->packdir, name);
	snprintf(ipath, sizeof(ipath), "%s/%s.idx", l->packdir, name);
	if (rename(l->tmppath, ppath) < 0) {
		rc = fw_error_errno("cannot rename %s", l->tmppath);
		goto done;
	}
	fw_crash_point("pack renamed");
	if (rename(itmp, ipath) < 0) {
		rc = fw_error_errno("cannot rename %s", itmp);
		goto done;
	}
	if ((rc = fw_local_sync_dir(l->packdir)) < 0)
		goto done;
	fw_crash_point("pack index renamed");
	/* The written pack becomes an ordinary loaded pack. */
	struct pack *np = realloc(l->packs, (l->npacks + 1) * sizeof(*np));
	if (np == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	l->packs = np;
	np = &l->packs[l->npacks];
	np->name = strdup(name);
	np->fd = l->tmpfd;
	np->n = (uint32_t)l->n;
	np->entries = malloc(PACK_ENTRIES_ALLOC(l->n));
	if (np->name == NULL || np->entries == NULL) {
		free(np->name);
		free(np->entries);
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	memcpy(np->entries, idx + 12, l->n * IDX_ENTRY);
	fw_local_pack_fanout(np);
	l->npacks++;
	l->tmpfd = -1;
	free(l->tmppath);
	l->tmppath = NULL;
	memset(l->p, 0, l->cap * sizeof(*l->p));
	l->n = 0;
done:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && fd >= 0)
		unlink(itmp);
	free(idx);
	pthread_mutex_unlock(&l->mu);
	return rc;
}

int
local_loose_foreach(struct local *l, int (*cb)(void *arg, const fw_oid *id,
    const char *path, const char *dir, const struct stat *st), void *arg)
{
	int rc = 0;

	for (int d = 0; d < 256 && rc == 0; d++) {
		char sub[4096], hex[FW_OID_HEXSZ + 1], path[4200];
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
			if (fw_oid_fromhex(&id, hex) < 0 ||
			    fstatat(dirfd(dp), de->d_name, &st, 0) < 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", sub, de->d_name);
			rc = cb(arg, &id, path, sub, &st);
		}
		closedir(dp);
	}
	return rc;
}

struct iter_arg {
	int (*cb)(const fw_oid *id, uint64_t size, void *arg);
	void *arg;
};

static int
iterate_one(void *arg, const fw_oid *id, const char *path, const char *dir,
    const struct stat *st)
{
	struct iter_arg *a = arg;

	(void)path;
	(void)dir;
	return a->cb(id, (uint64_t)st->st_size, a->arg);
}

static int
local_iterate(void *be, int (*cb)(const fw_oid *id, uint64_t size, void *arg), void *arg)
{
	struct local *l = be;
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	rc = fw_local_packs_scan(l);
	pthread_mutex_unlock(&l->mu);
	for (size_t i = 0; rc == 0 && i < l->npacks; i++)
		for (uint32_t k = 0; rc == 0 && k < l->packs[i].n; k++) {
			const unsigned char *e = l->packs[i].entries + (size_t)k * IDX_ENTRY;
			fw_oid id;
			memcpy(id.id, e, 32);
			rc = cb(&id, rd32(e + 40), arg);
		}
	if (rc == 0)
		rc = local_loose_foreach(l, iterate_one, &(struct iter_arg){ cb, arg });
	return rc;
}

static int
local_remove(void *be, const fw_oid *id)
{
	struct local *l = be;
	char path[4096];

	/* Packed objects go when their pack is rewritten, not one by one. */
	loose_path(path, sizeof(path), l, id);
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
	if (l->tmpfd >= 0) {
		close(l->tmpfd);
		unlink(l->tmppath);
	}
	free(l->tmppath);
	free(l->wbuf);
	for (size_t i = 0; i < l->npacks; i++) {
		if (l->packs[i].fd >= 0)
			close(l->packs[i].fd);
		free(l->packs[i].name);
		free(l->packs[i].entries);
	}
	free(l->packs);
	for (size_t i = 0; i < l->nretired; i++)
		close(l->retired[i]);
	free(l->retired);
	free(l->p);
	pthread_mutex_destroy(&l->mu);
	free(l->dir);
	free(l->packdir);
	free(l);
}

static const fw_objstore_backend local_ops = {
	"local", local_has, local_get, local_put, local_flush, local_iterate,
	local_remove, local_close, fw_local_collect, fw_local_compact,
};

/* Whether dir holds a two-hex-digit directory of loose objects (or cannot
 * be listed: then assume it does). */
static int
has_loose_dirs(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;
	int found = 0;

	if (dp == NULL)
		return 1;
	while (!found && (de = readdir(dp)) != NULL)
		found = strlen(de->d_name) == 2 && isxdigit((unsigned char)de->d_name[0]) &&
		    isxdigit((unsigned char)de->d_name[1]);
	closedir(dp);
	return found;
}

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
	l->tmpfd = -1;
	if ((l->dir = strdup(dir)) == NULL || asprintf(&l->packdir, "%s/pack", dir) < 0) {
		l->packdir = NULL;
		local_close(l);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	l->loose = has_loose_dirs(dir);
	return fw_objstore_new(out, &local_ops, l);
}
