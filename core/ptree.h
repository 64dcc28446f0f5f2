/*
 * core/ptree.h - the generic prolly tree behind the data tree and the id index.
 *
 * A tree is a sequence of entries ordered by key (at most 16 bytes), cut into
 * leaves by content-defined boundaries, the leaves summarised into internal
 * nodes cut the same way, up to one root. A boundary falls after an entry when
 * a hash of the entry's key (and the level) is below a threshold that rises
 * with the bytes gathered since the node began (Dolt's size-aware splitter,
 * with a Weibull target distribution), between a hard minimum and maximum.
 * Boundaries depend on keys and sizes only, never on positions, so the same
 * entries give the same tree whatever the edits that built it.
 *
 * Leaves are owned by the tree's user (row groups for the data tree, id
 * entries for the index) through fw_ptree_leaf_ops; internal nodes belong here.
 */
#ifndef FW_CORE_PTREE_H
#define FW_CORE_PTREE_H

#include <stddef.h>
#include <stdint.h>

#include "fw/objstore.h"

#define FW_PTREE_MAX_KEY 16

/* splitmix64's finaliser: the hash of tree boundaries and of fsck's sets. */
static inline uint64_t
fw_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

/* A child as its parent lists it. */
typedef struct fw_ptree_child {
	uint8_t key[FW_PTREE_MAX_KEY];	/* the last (largest) key below it */
	fw_oid oid;
	uint64_t count;		/* entries (records) below it */
	uint64_t bytes;		/* entry bytes below it (raw) */
	uint64_t stored;	/* stored (compressed) bytes of every object below it */
	uint32_t nent;		/* entries in the node itself (not kept on disk) */
} fw_ptree_child;

enum { FW_EDIT_PUT = 1, FW_EDIT_DEL = 2, FW_EDIT_PATCH = 3 };

/* A change to the entries of one level, ordered by key; ref is the user's. */
typedef struct fw_ptree_edit {
	uint8_t key[FW_PTREE_MAX_KEY];
	uint8_t op;
	uint32_t size;		/* entry size after the edit (PUT) */
	int64_t ref;
	uint64_t aux;		/* the leaf's own: the id index's check (PUT) */
} fw_ptree_edit;

/* An old leaf or node loaded for rewriting. */
typedef struct fw_ptree_loaded {
	int height;
	uint32_t n;
	uint8_t *keys;		/* n * klen */
	uint32_t *sizes;	/* n */
	fw_ptree_child *children;	/* internal nodes: n */
	void *user;		/* leaves: what leaf_ops.load made */
	fw_oid oid;
	int refs;
} fw_ptree_loaded;

/* One entry of a node being built: from an old node's row, from an edit, or
 * both (a PATCH of an old row, or a PUT replacing one). */
typedef struct fw_ptree_ent {
	uint8_t key[FW_PTREE_MAX_KEY];
	uint32_t size;
	fw_ptree_loaded *src;	/* NULL when new */
	uint32_t row;
	int64_t edit;		/* index into the level's edits, or -1 */
} fw_ptree_ent;

typedef struct fw_ptree_leaf_ops {
	/* Loads the keys and sizes of a leaf (and whatever build needs into
	 * out->user). */
	int (*load)(void *ctx, const fw_oid *oid, fw_ptree_loaded *out);
	void (*unload)(void *ctx, fw_ptree_loaded *l);
	/* The size an old entry has after a PATCH edit. */
	int (*patched_size)(void *ctx, const fw_ptree_edit *e,
	    fw_ptree_loaded *src, uint32_t row, uint32_t *size);
	/* Writes a leaf of these entries; fills out (key, oid, count, bytes,
	 * stored, nent). */
	int (*build)(void *ctx, const fw_ptree_ent *ents, size_t n,
	    const fw_ptree_edit *edits, fw_ptree_child *out);
	/* Optional: called on a pool thread right after load, with the edits
	 * whose keys fall in the leaf, to get ahead what patched_size and build
	 * will need (several leaves at once: must be thread-safe). */
	int (*prepare)(void *ctx, const fw_ptree_edit *e, size_t n, fw_ptree_loaded *l);
} fw_ptree_leaf_ops;

/* Boundary parameters of one kind of node, in bytes. */
typedef struct fw_ptree_shape {
	uint32_t min, max;
	double lambda;		/* Weibull scale beyond min */
} fw_ptree_shape;

typedef struct fw_ptree {
	fw_objstore *os;
	size_t klen;
	const char *node_type;	/* object type of internal nodes */
	fw_ptree_shape leaf_shape, node_shape;
	const fw_ptree_leaf_ops *leaf;
	void *ctx;
	/* When set, leaves are built on this pool (leaf_ops.build must then be
	 * safe to run on several threads at once). */
	struct fw_pool *pool;
} fw_ptree;

/* The root of a tree: height 0 is a single leaf; empty when count == 0 and
 * the oid is zero. */
typedef struct fw_ptree_root {
	fw_ptree_child top;
	int height;
	int empty;
} fw_ptree_root;

/* Applies edits (sorted by key, unique keys) to the tree at *root, writing
 * only the nodes the edits reach, and sets *out to the new root. */
int fw_ptree_apply(const fw_ptree *t, fw_ptree_root *out,
    const fw_ptree_root *root, const fw_ptree_edit *edits, size_t nedits);

/* Replaces leaves of the tree at *root by leaves[0..n) (sorted by key), each
 * taking the place of the leaf with the same last key and rewriting the
 * internal nodes above it; the caller vouches that every new leaf holds the
 * keys and entry sizes of the leaf it replaces, so no boundary moves. */
int fw_ptree_replace_leaves(const fw_ptree *t, fw_ptree_root *out, const fw_ptree_root *root,
    const fw_ptree_child *leaves, size_t n);

/* 1 when a node ends after an entry with this key at this height, given the
 * bytes of the node before the entry and with it. */
int fw_ptree_boundary(const fw_ptree *t, const uint8_t *key, int height,
    uint64_t before, uint64_t after);

/* Loads an internal node. */
int fw_ptree_node_load(const fw_ptree *t, const fw_oid *oid, fw_ptree_loaded *out);
void fw_ptree_loaded_release(const fw_ptree *t, fw_ptree_loaded *l);

/* Visits the leaves in key order whose key range may hold keys in [lo, hi]
 * (NULL for unbounded); cb gets the leaf's child summary. Non-zero from cb
 * stops the walk and is returned. */
int fw_ptree_walk_leaves(const fw_ptree *t, const fw_ptree_root *root,
    const uint8_t *lo, const uint8_t *hi,
    int (*cb)(void *arg, const fw_ptree_child *leaf), void *arg);

/* Finds the leaf whose range holds key (the first leaf whose last key >= key);
 * FW_ENOTFOUND when key is past the last leaf or the tree is empty. */
int fw_ptree_find_leaf(const fw_ptree *t, const fw_ptree_root *root,
    const uint8_t *key, fw_ptree_child *out);

/* fw_ptree_find_leaf for many keys: keeps the internal nodes on its path, by
 * height, so that lookups in key order read each node once. t and root must
 * outlive it. */
#define FW_PTREE_FIND_HEIGHT 32
typedef struct fw_ptree_finder {
	const fw_ptree *t;
	const fw_ptree_root *root;
	fw_ptree_loaded path[FW_PTREE_FIND_HEIGHT + 1];	/* n == 0: not loaded */
} fw_ptree_finder;
void fw_ptree_finder_init(fw_ptree_finder *f, const fw_ptree *t, const fw_ptree_root *root);
int fw_ptree_finder_find(fw_ptree_finder *f, const uint8_t *key, fw_ptree_child *out);
void fw_ptree_finder_release(fw_ptree_finder *f);

#endif
