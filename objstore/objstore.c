/*
 * Object framing: "FWO1", u8 type length, type, then one zstd frame of the
 * content (the frame records the content size). The id covers the type and the
 * uncompressed bytes, so every read can verify.
 */
#include "fw/objstore.h"
#include "fw/error.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* SHA256_Init and its kin are deprecated in OpenSSL 3 in favour of EVP;
 * see hash_parts for why fw uses them where they are built. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <zstd.h>

#define FRAME_MAGIC "FWO1"

/* fw_objstore_cache: verified contents of one type, by id (open
 * addressing on the id's first bytes, which are uniform). */
struct cached {
	fw_oid id;
	char *data;		/* NULL: empty slot */
	size_t len;
};

#define CACHE_OBJ_MAX ((size_t)16 << 10)

struct fw_objstore {
	const fw_objstore_backend *ops;
	void *be;
	int level;		/* zstd level of new objects */
	_Atomic uint64_t put_new, put_new_bytes, put_new_raw, put_dedup, gets, get_bytes;
	pthread_mutex_t cmu;
	char ctype[33];
	struct cached *ctab;
	size_t ccap, cn, cbytes, cmax;
	_Atomic uint64_t chits;
};

void
fw_oid_tohex(char out[FW_OID_HEXSZ + 1], const fw_oid *id)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < FW_OID_RAWSZ; i++) {
		out[2 * i] = hex[id->id[i] >> 4];
		out[2 * i + 1] = hex[id->id[i] & 15];
	}
	out[FW_OID_HEXSZ] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

int
fw_oid_fromhex(fw_oid *out, const char *hex)
{
	for (int i = 0; i < FW_OID_RAWSZ; i++) {
		int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return fw_error_set(FW_EINVALID, "bad object id '%.64s'", hex);
		out->id[i] = (unsigned char)(hi << 4 | lo);
	}
	if (hex[FW_OID_HEXSZ] != '\0')
		return fw_error_set(FW_EINVALID, "bad object id '%.70s'", hex);
	return 0;
}

int
fw_oid_cmp(const fw_oid *a, const fw_oid *b)
{
	return memcmp(a->id, b->id, FW_OID_RAWSZ);
}

int
fw_oid_is_zero(const fw_oid *id)
{
	for (int i = 0; i < FW_OID_RAWSZ; i++)
		if (id->id[i])
			return 0;
	return 1;
}

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

struct tls {
	ZSTD_CCtx *cctx;
	ZSTD_DCtx *dctx;
	/* fw_obj_put's frame, kept between calls: a fresh multi-megabyte
	 * buffer per column object cost a page fault and a zeroed page per
	 * 4 KiB (7% of a commit) */
	unsigned char *frame;
	size_t framecap;
};

static void
tls_free(void *p)
{
	struct tls *t = p;

	ZSTD_freeCCtx(t->cctx);
	ZSTD_freeDCtx(t->dctx);
	free(t->frame);
	free(t);
}

static void
tls_init_key(void)
{
	pthread_key_create(&tls_key, tls_free);
}

/* zstd contexts are reused per thread. */
static struct tls *
tls_get(void)
{
	struct tls *t;

	pthread_once(&tls_once, tls_init_key);
	t = pthread_getspecific(tls_key);
	if (t == NULL) {
		t = calloc(1, sizeof(*t));
		if (t == NULL)
			return NULL;
		t->cctx = ZSTD_createCCtx();
		t->dctx = ZSTD_createDCtx();
		if (!t->cctx || !t->dctx) {
			tls_free(t);
			return NULL;
		}
		pthread_setspecific(tls_key, t);
	}
	return t;
}

#ifndef OPENSSL_NO_DEPRECATED_3_0
/*
 * SHA-256 through libcrypto's own SHA256_* functions (the same assembly,
 * SHA-NI where the CPU has it), not EVP: the first EVP digest of a process
 * loads openssl.cnf and initialises the default provider, 0.4-0.8 ms that
 * every fw command paid before its first object (a diff or merge of
 * 1,000 records takes 20 ms), and each digest then went through a provider
 * call. A libcrypto built without the deprecated API gets EVP below.
 */
static void
hash_parts(unsigned char out[32], const void *a, size_t alen, const void *b, size_t blen)
{
	SHA256_CTX x;

	SHA256_Init(&x);
	SHA256_Update(&x, a, alen);
	if (blen)
		SHA256_Update(&x, b, blen);
	SHA256_Final(out, &x);
}
#else
static void
hash_parts(unsigned char out[32], const void *a, size_t alen, const void *b, size_t blen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 32;

	/* Only out of memory fails here: the digest of nothing rather than
	 * bytes never written. */
	if (md == NULL || !EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(md, a, alen) || (blen && !EVP_DigestUpdate(md, b, blen)) ||
	    !EVP_DigestFinal_ex(md, out, &n))
		memset(out, 0, 32);
	EVP_MD_CTX_free(md);
}
#endif

void
fw_sha256(unsigned char out[32], const void *data, size_t len)
{
	hash_parts(out, data, len, NULL, 0);
}

void
fw_oid_of(fw_oid *out, const char *type, const void *data, size_t len)
{
	char hdr[64];
	int n = snprintf(hdr, sizeof(hdr), "%s %zu", type, len);

	hash_parts(out->id, hdr, (size_t)n + 1, data, len);
}

int
fw_objstore_new(fw_objstore **out, const fw_objstore_backend *ops, void *be)
{
	fw_objstore *os;

	*out = NULL;
	if ((os = calloc(1, sizeof(*os))) == NULL) {
		ops->close(be);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	os->ops = ops;
	os->be = be;
	os->level = FW_OBJ_LEVEL_DEFAULT;
	pthread_mutex_init(&os->cmu, NULL);
	*out = os;
	return 0;
}

static void
cache_clear(fw_objstore *os)
{
	for (size_t i = 0; i < os->ccap; i++)
		free(os->ctab[i].data);
	free(os->ctab);
	os->ctab = NULL;
	os->ccap = os->cn = os->cbytes = os->cmax = 0;
	os->ctype[0] = '\0';
}

void
fw_objstore_cache(fw_objstore *os, const char *type, size_t max)
{
	pthread_mutex_lock(&os->cmu);
	cache_clear(os);
	if (max > 0 && type && strlen(type) < sizeof(os->ctype)) {
		snprintf(os->ctype, sizeof(os->ctype), "%s", type);
		os->cmax = max;
	}
	pthread_mutex_unlock(&os->cmu);
}

uint64_t
fw_objstore_cache_hits(fw_objstore *os)
{
	return os->chits;
}

static size_t
cache_slot(const fw_objstore *os, const fw_oid *id)
{
	uint64_t h;
	size_t i;

	memcpy(&h, id->id, 8);
	for (i = (size_t)h & (os->ccap - 1); os->ctab[i].data &&
	    memcmp(os->ctab[i].id.id, id->id, 32) != 0; i = (i + 1) & (os->ccap - 1))
		;
	return i;
}

/* 1 and out filled when id is cached; called for verified reads of the
 * cached type only. */
static int
cache_get(fw_objstore *os, const fw_oid *id, fw_buf *out)
{
	int rc = 0;

	pthread_mutex_lock(&os->cmu);
	if (os->cn > 0) {
		struct cached *c = &os->ctab[cache_slot(os, id)];
		if (c->data && (rc = fw_buf_add(out, c->data, c->len)) == 0) {
			rc = 1;
			os->chits++;
		}
	}
	pthread_mutex_unlock(&os->cmu);
	return rc;
}

static void
cache_put(fw_objstore *os, const fw_oid *id, const char *data, size_t len)
{
	pthread_mutex_lock(&os->cmu);
	if (os->cmax == 0 || len > CACHE_OBJ_MAX || os->cbytes + len > os->cmax)
		goto done;
	if (2 * (os->cn + 1) > os->ccap) {
		size_t cap = os->ccap ? os->ccap * 2 : 1024;
		struct cached *old = os->ctab, *n = calloc(cap, sizeof(*n));
		size_t ocap = os->ccap;
		if (n == NULL)
			goto done;
		os->ctab = n;
		os->ccap = cap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i].data)
				os->ctab[cache_slot(os, &old[i].id)] = old[i];
		free(old);
	}
	struct cached *c = &os->ctab[cache_slot(os, id)];
	if (c->data || (c->data = malloc(len + 1)) == NULL)
		goto done;
	memcpy(c->data, data, len);
	c->id = *id;
	c->len = len;
	os->cn++;
	os->cbytes += len;
done:
	pthread_mutex_unlock(&os->cmu);
}

void
fw_objstore_set_level(fw_objstore *os, int level)
{
	os->level = level < 1 ? 1 : level > 19 ? 19 : level;
}

void
fw_objstore_free(fw_objstore *os)
{
	if (os == NULL)
		return;
	os->ops->close(os->be);
	cache_clear(os);
	pthread_mutex_destroy(&os->cmu);
	free(os);
}

int
fw_obj_has(fw_objstore *os, const fw_oid *id)
{
	return os->ops->has(os->be, id, NULL);
}

int
fw_obj_size(fw_objstore *os, const fw_oid *id, uint64_t *size)
{
	return os->ops->has(os->be, id, size);
}

int
fw_obj_put(fw_objstore *os, fw_oid *out, uint64_t *stored, const char *type,
    const void *data, size_t len)
{
	struct tls *t;
	size_t tlen = strlen(type), bound, zn;
	unsigned char *frame = NULL;
	int rc;

	fw_oid_of(out, type, data, len);
	if ((rc = os->ops->has(os->be, out, stored)) != 0) {
		if (rc > 0) {
			os->put_dedup++;
			rc = 0;
		}
		return rc;
	}
	if (tlen == 0 || tlen > 32)
		return fw_error_set(FW_EINVALID, "bad object type '%s'", type);
	if ((t = tls_get()) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	bound = 5 + tlen + ZSTD_compressBound(len);
	if (bound > t->framecap) {
		unsigned char *nf = realloc(t->frame, bound);
		if (nf == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		t->frame = nf;
		t->framecap = bound;
	}
	frame = t->frame;
	memcpy(frame, FRAME_MAGIC, 4);
	frame[4] = (unsigned char)tlen;
	memcpy(frame + 5, type, tlen);
	zn = ZSTD_compressCCtx(t->cctx, frame + 5 + tlen, bound - 5 - tlen, data, len,
	    len < FW_OBJ_SMALL && os->level <= FW_OBJ_LEVEL_DEFAULT ? FW_OBJ_SMALL_LEVEL :
	    os->level);
	if (ZSTD_isError(zn)) {
		rc = fw_error_set(FW_EIO, "cannot compress object: %s",
		    ZSTD_getErrorName(zn));
		goto done;
	}
	if ((rc = os->ops->put(os->be, out, frame, 5 + tlen + zn)) < 0)
		goto done;
	os->put_new++;
	os->put_new_bytes += 5 + tlen + zn;
	os->put_new_raw += len;
	if (stored)
		*stored = 5 + tlen + zn;
	rc = 1;
done:
	return rc;
}

static int
corrupt(const fw_oid *id, const char *why)
{
	char hex[FW_OID_HEXSZ + 1];

	fw_oid_tohex(hex, id);
	return fw_error_set(FW_ECORRUPT, "object %s is corrupt: %s", hex, why);
}

int
fw_obj_check(const fw_oid *id, const char *type, const void *data, size_t len)
{
	fw_oid check;

	fw_oid_of(&check, type, data, len);
	return fw_oid_cmp(&check, id) == 0 ? 0 : corrupt(id, "content does not match its id");
}

/*
 * The content of one object frame, into out. want: the type it must have,
 * or NULL for any; got (256 bytes), when not NULL, receives the type.
 */
static int
frame_decode(const fw_oid *id, const char *raw, size_t rawlen, const char *want,
    char *got, fw_buf *out)
{
	struct tls *t;
	unsigned long long size;
	size_t tlen, zn;
	int rc;

	if (rawlen < 5 || memcmp(raw, FRAME_MAGIC, 4) != 0)
		return corrupt(id, "bad header");
	tlen = (unsigned char)raw[4];
	if (rawlen < 5 + tlen || (want && (tlen != strlen(want) ||
	    memcmp(raw + 5, want, tlen) != 0)))
		return corrupt(id, "wrong object type");
	if (got) {
		memcpy(got, raw + 5, tlen);
		got[tlen] = '\0';
	}
	size = ZSTD_getFrameContentSize(raw + 5 + tlen, rawlen - 5 - tlen);
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
	    size > ((unsigned long long)1 << 34))
		return corrupt(id, "bad compressed frame");
	if ((rc = fw_buf_grow(out, (size_t)size)) < 0)
		return rc;
	if ((t = tls_get()) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	zn = ZSTD_decompressDCtx(t->dctx, out->data, (size_t)size + 1,
	    raw + 5 + tlen, rawlen - 5 - tlen);
	if (ZSTD_isError(zn) || zn != size)
		return corrupt(id, "bad compressed frame");
	out->len = zn;
	out->data[zn] = '\0';
	return 0;
}

int
fw_obj_frame_check(const fw_oid *id, const void *frame, size_t len)
{
	fw_buf out = FW_BUF_INIT;
	char type[256];
	int rc;

	if ((rc = frame_decode(id, frame, len, NULL, type, &out)) == 0)
		rc = fw_obj_check(id, type, out.data, out.len);
	fw_buf_release(&out);
	return rc;
}

static int
get(fw_objstore *os, fw_buf *out, const fw_oid *id, const char *type, int verify)
{
	fw_buf raw = FW_BUF_INIT;
	int rc, cacheable = os->cmax && strcmp(type, os->ctype) == 0;

	fw_buf_reset(out);
	if (cacheable && (rc = cache_get(os, id, out)) != 0)
		return rc < 0 ? rc : 0;
	if ((rc = os->ops->get(os->be, id, &raw)) < 0)
		goto done;
	if ((rc = frame_decode(id, raw.data, raw.len, type, NULL, out)) < 0)
		goto done;
	if (verify && (rc = fw_obj_check(id, type, out->data, out->len)) < 0)
		goto done;
	if (cacheable && verify)
		cache_put(os, id, out->data, out->len);
	os->gets++;
	os->get_bytes += out->len;
done:
	if (rc < 0)
		fw_buf_reset(out);
	fw_buf_release(&raw);
	return rc;
}

int
fw_obj_get(fw_objstore *os, fw_buf *out, const fw_oid *id, const char *type)
{
	return get(os, out, id, type, 1);
}

int
fw_obj_get_unverified(fw_objstore *os, fw_buf *out, const fw_oid *id, const char *type)
{
	return get(os, out, id, type, 0);
}

int
fw_objstore_flush(fw_objstore *os)
{
	return os->ops->flush(os->be);
}

int
fw_objstore_iterate(fw_objstore *os,
    int (*cb)(const fw_oid *id, uint64_t size, void *arg), void *arg)
{
	return os->ops->iterate(os->be, cb, arg);
}

int
fw_objstore_remove(fw_objstore *os, const fw_oid *id)
{
	return os->ops->remove(os->be, id);
}

int
fw_objstore_compact(fw_objstore *os, uint64_t small, size_t min_count, uint64_t *merged)
{
	*merged = 0;
	return os->ops->compact ? os->ops->compact(os->be, small, min_count, merged) : 0;
}

int
fw_objstore_collect(fw_objstore *os, int (*keep)(void *arg, const fw_oid *id),
    void *arg, int64_t grace, int dry_run, fw_objstore_gc_result *res)
{
	memset(res, 0, sizeof(*res));
	if (os->ops->collect == NULL)
		return fw_error_set(FW_EINVALID, "the %s object store cannot collect garbage",
		    os->ops->name);
	return os->ops->collect(os->be, keep, arg, grace, dry_run, res);
}

void
fw_objstore_counters_get(fw_objstore *os, fw_objstore_counters *c)
{
	c->put_new = os->put_new;
	c->put_new_bytes = os->put_new_bytes;
	c->put_new_raw = os->put_new_raw;
	c->put_dedup = os->put_dedup;
	c->gets = os->gets;
	c->get_bytes = os->get_bytes;
}

void
fw_crash_point(const char *what)
{
	static _Atomic long count;
	static long limit = -1;
	const char *env;

	(void)what;
	if (limit == -1) {
		env = getenv("FW_TEST_CRASH_AFTER_WRITES");
		limit = env ? atol(env) : 0;
	}
	if (limit > 0 && ++count >= limit)
		kill(getpid(), SIGKILL);
}
