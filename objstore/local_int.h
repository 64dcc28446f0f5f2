/* objstore/local_int.h - what local.c (the backend) and local_gc.c (its
 * garbage collection) share. */
#ifndef FW_OBJSTORE_LOCAL_INT_H
#define FW_OBJSTORE_LOCAL_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "fw/objstore.h"

#define PACK_MAGIC "FWPACK1\n"
#define IDX_MAGIC "FWIDX01\n"
#define IDX_ENTRY 44

struct pack {
	char *name;		/* pack-<hex> */
	int fd;
	uint32_t n;
	unsigned char *entries;	/* n * IDX_ENTRY, sorted by id; then fan */
	uint32_t *fan;		/* fan[b]: entries whose id's first byte is < b
				 * (257 of them, in entries' allocation) */
};

/* Bytes to allocate for the entries of an index of n objects and their
 * fanout; fw_local_pack_fanout fills pk->fan from pk->entries. */
#define PACK_ENTRIES_ALLOC(n) ((size_t)(n) * IDX_ENTRY + 257 * sizeof(uint32_t))
void fw_local_pack_fanout(struct pack *pk);

struct pending {
	fw_oid id;
	uint64_t off;
	uint32_t len;
	int used;
};

struct local {
	char *dir;		/* objects */
	char *packdir;		/* objects/pack */
	pthread_mutex_t mu;
	struct pack *packs;
	size_t npacks;
	int scanned;		/* packs/ listed once (at the first lookup) */
	/* the pack being written */
	int tmpfd;
	char *tmppath;
	uint64_t tmpoff;	/* its size, wbuf included */
	unsigned char *wbuf;	/* its last wlen bytes, not written yet */
	size_t wlen;
	struct pending *p;	/* open addressing by id */
	size_t cap, n;
	int loose;		/* objects/ held a loose-object directory at open */
	int *retired;		/* descriptors of packs gc removed, closed at the end */
	size_t nretired;
};

static inline uint64_t
rd64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline uint32_t
rd32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline void
wr64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

static inline void
wr32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

/* write(2) and pread(2) of all n bytes; -1 with errno on failure. */
int fw_local_write_all(int fd, const void *p, size_t n);
int fw_local_pread_all(int fd, void *p, size_t n, uint64_t off);
/* fw_objstore_backend.compact of the local backend (local_gc.c). */
int fw_local_compact(void *be, uint64_t small, size_t min_count, uint64_t *merged);
/* fsync of a directory; an fw error. */
int fw_local_sync_dir(const char *dir);
/* Loads the indexes of packs not loaded yet. Called with mu held. */
int fw_local_packs_scan(struct local *l);
/* The backend's collect (local_gc.c). */
int fw_local_collect(void *be, int (*keep)(void *arg, const fw_oid *id), void *arg,
    int64_t grace, int dry_run, fw_objstore_gc_result *res);

struct stat;
/* Calls cb for every loose object (objects/ab/<62 hex>): its id, its path,
 * the directory holding it and its stat; cb's non-zero return stops the walk
 * and is returned. */
int local_loose_foreach(struct local *l, int (*cb)(void *arg, const fw_oid *id,
    const char *path, const char *dir, const struct stat *st), void *arg);

#endif
