/*
 * fw/objstore.h - content-addressed objects.
 *
 * An object is a short type name ("col", "rg", "node", ...) and bytes. Its id is
 * the SHA-256 of "TYPE SIZE\0" followed by the bytes, printed as 64 hex digits.
 * Objects are stored zstd-compressed; every read decompresses, recomputes the
 * id and checks the type, so corruption is an error naming the object, never
 * wrong data. Identical content is one object.
 *
 * The store sits on a backend (a struct of function pointers); the local
 * directory is the first. Puts are batched: an object put is readable at once
 * through the same fw_objstore, and durable after fw_objstore_flush (callers
 * flush before they publish a reference to the objects, e.g. move a branch).
 * All functions are safe to call from several threads at once.
 */
#ifndef FW_OBJSTORE_H
#define FW_OBJSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "fw/buf.h"

#define FW_OID_RAWSZ 32
#define FW_OID_HEXSZ 64

typedef struct fw_oid {
	unsigned char id[FW_OID_RAWSZ];
} fw_oid;

/* Writes 64 lower-case hex digits and a NUL. */
void fw_oid_tohex(char out[FW_OID_HEXSZ + 1], const fw_oid *id);
/* Parses exactly 64 hex digits; FW_EINVALID otherwise. */
int fw_oid_fromhex(fw_oid *out, const char *hex);
int fw_oid_cmp(const fw_oid *a, const fw_oid *b);
int fw_oid_is_zero(const fw_oid *id);
/* SHA-256 of bytes (OpenSSL libcrypto). */
void fw_sha256(unsigned char out[32], const void *data, size_t len);
/* The id an object of this type and content has. */
void fw_oid_of(fw_oid *out, const char *type, const void *data, size_t len);

/* What a garbage collection removed (or, dry, would remove). */
typedef struct fw_objstore_gc_result {
	uint64_t objects;	/* durable objects seen */
	uint64_t objects_freed;	/* unreachable objects removed */
	uint64_t objects_young;	/* unreachable but within the grace period: kept */
	uint64_t packs_rewritten, packs_removed, loose_removed, tmp_removed;
	uint64_t packs_merged;	/* small packs merged into one */
	uint64_t bytes_freed;	/* file bytes removed minus file bytes written */
} fw_objstore_gc_result;

/* A backend stores opaque (already framed and compressed) bytes by id. */
typedef struct fw_objstore_backend {
	const char *name;
	/* 1 present (and *size its stored bytes, when size is not NULL),
	 * 0 absent, <0 error */
	int (*has)(void *be, const fw_oid *id, uint64_t *size);
	/* The stored bytes into out; FW_ENOTFOUND when absent. */
	int (*get)(void *be, const fw_oid *id, fw_buf *out);
	/* Stores bytes; readable at once, durable after flush. */
	int (*put)(void *be, const fw_oid *id, const void *bytes, size_t len);
	int (*flush)(void *be);
	/* Calls cb for every durable object; cb's non-zero return stops it. */
	int (*iterate)(void *be, int (*cb)(const fw_oid *id, uint64_t size,
	    void *arg), void *arg);
	/* Removes an object; absent is not an error. */
	int (*remove)(void *be, const fw_oid *id);
	void (*close)(void *be);
	/* Garbage collection, or NULL when the backend cannot collect. Removes
	 * every durable object for which keep returns 0 and whose storage is
	 * older than grace seconds, and leftovers of killed writers older than
	 * that; with dry_run only counts. Must be crash safe: a kill at any
	 * point loses no object that keep returns 1 for. */
	int (*collect)(void *be, int (*keep)(void *arg, const fw_oid *id), void *arg,
	    int64_t grace, int dry_run, fw_objstore_gc_result *res);
	/* Optional (NULL: never needed): when at least min_count units of
	 * storage (packs) hold under small bytes each, merges them into one,
	 * keeping every object; *merged gets how many were merged. Crash safe
	 * as collect is. */
	int (*compact)(void *be, uint64_t small, size_t min_count, uint64_t *merged);
} fw_objstore_backend;

typedef struct fw_objstore fw_objstore;

/* The backend's compact, or 0 with *merged 0 when it has none. */
int fw_objstore_compact(fw_objstore *os, uint64_t small, size_t min_count, uint64_t *merged);

/* Opens (creating when absent) the local backend in directory dir. */
int fw_objstore_open_local(fw_objstore **out, const char *dir);
/* Wraps a backend; the objstore owns be and closes it. */
int fw_objstore_new(fw_objstore **out, const fw_objstore_backend *ops, void *be);
/* Closes the store. Objects put and not flushed may be lost. NULL is fine. */
void fw_objstore_free(fw_objstore *os);
/* The zstd level of the objects put from now on (1 to 19, clamped); the
 * default is FW_OBJ_LEVEL_DEFAULT, which config.yaml's compression_level
 * overrides. Level 2 commits about 12% faster than 3 for about 9% more disk
 * on trajectories (docs/design.md (n)). Objects are read whatever their
 * level. */
#define FW_OBJ_LEVEL_DEFAULT 2
void fw_objstore_set_level(fw_objstore *os, int level);
/* Objects under FW_OBJ_SMALL bytes (row group headers and sizes, tree
 * nodes, index leaves, small columns such as a row group's rewards) are
 * compressed at zstd's fast level FW_OBJ_SMALL_LEVEL while the level is at
 * most the default: on a few KiB, level 2 spends most of its time on
 * entropy tables that save little (docs/design.md (t)). */
#define FW_OBJ_SMALL 16384
#define FW_OBJ_SMALL_LEVEL (-1)
/* Keeps the verified contents of objects of type read (those of at most 16
 * KiB, up to max bytes in all), so that a second read of one costs a copy:
 * a commit looks index leaves up and then rewrites the same leaves. max 0
 * drops the cache. Not to be called while other threads read. */
void fw_objstore_cache(fw_objstore *os, const char *type, size_t max);
/* Reads the cache answered. */
uint64_t fw_objstore_cache_hits(fw_objstore *os);

/* Stores an object unless present; *out gets its id and *stored (when not
 * NULL) its stored size. Returns 1 when written, 0 when it was already there,
 * <0 on error. */
int fw_obj_put(fw_objstore *os, fw_oid *out, uint64_t *stored, const char *type,
    const void *data, size_t len);
/* Reads and verifies an object of the given type into out (replacing its
 * contents). FW_ENOTFOUND "object X not found", FW_ECORRUPT "object X is
 * corrupt: REASON" (a wrong type counts as corrupt). */
int fw_obj_get(fw_objstore *os, fw_buf *out, const fw_oid *id, const char *type);
/* fw_obj_get without the SHA-256 check of the content (the frame is still
 * checked). Only for bytes that are compared, never passed on: a caller that
 * goes on to use them calls fw_obj_check first. */
int fw_obj_get_unverified(fw_objstore *os, fw_buf *out, const fw_oid *id, const char *type);
/* 0 when data (of the given type) is the content of id; FW_ECORRUPT "object X
 * is corrupt: content does not match its id" otherwise. */
int fw_obj_check(const fw_oid *id, const char *type, const void *data, size_t len);
/* Whether a stored frame (what a backend holds for id) decodes to content
 * whose id is id: 0, or FW_ECORRUPT naming the object. */
int fw_obj_frame_check(const fw_oid *id, const void *frame, size_t len);
int fw_obj_has(fw_objstore *os, const fw_oid *id);
/* 1 and *size (its stored bytes) when present, 0 when absent, <0 on error. */
int fw_obj_size(fw_objstore *os, const fw_oid *id, uint64_t *size);
int fw_objstore_flush(fw_objstore *os);
int fw_objstore_iterate(fw_objstore *os,
    int (*cb)(const fw_oid *id, uint64_t size, void *arg), void *arg);
int fw_objstore_remove(fw_objstore *os, const fw_oid *id);
/* Runs the backend's collect (see fw_objstore_backend); FW_EINVALID when
 * the backend has none. res is zeroed first. */
int fw_objstore_collect(fw_objstore *os, int (*keep)(void *arg, const fw_oid *id),
    void *arg, int64_t grace, int dry_run, fw_objstore_gc_result *res);

/* Counters since the store was opened, for benchmarks and `fw commit`'s report. */
typedef struct fw_objstore_counters {
	uint64_t put_new;	/* objects written */
	uint64_t put_new_bytes;	/* their stored (compressed) bytes */
	uint64_t put_new_raw;	/* their uncompressed bytes */
	uint64_t put_dedup;	/* puts of objects already present */
	uint64_t gets;
	uint64_t get_bytes;	/* uncompressed bytes read */
} fw_objstore_counters;
void fw_objstore_counters_get(fw_objstore *os, fw_objstore_counters *c);

/* Test hook: when FW_TEST_CRASH_AFTER_WRITES=N is set, the process kills
 * itself with SIGKILL at the Nth durable write point (object puts, flushes,
 * segment and ref writes call fw_crash_point). Does nothing otherwise. */
void fw_crash_point(const char *what);

#endif
