/*
 * Prolly trees (see ptree.h). Internal node encoding:
 *   u8 version (1), u8 height, u8 klen, varint n,
 *   n times: key[klen], oid[32], varint count, varint bytes, varint stored.
 *
 * fw_ptree_apply rewrites one level at a time. At each level it starts at the
 * old node holding the first edit (a node start is always a boundary), feeds
 * old entries merged with edits through the chunker, and stops re-chunking as
 * soon as a cut falls on an old node's end with no edit pending before the next
 * touched node: from there the old nodes stand as they are. The nodes it
 * replaced and wrote become the edits of the level above.
 */
#include "ptree.h"
#include "pool.h"
#include "fw/error.h"

#include <stdatomic.h>
#include <stdio.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NODE_VERSION 1
#define MAX_HEIGHT 32

static int
kcmp(const fw_ptree *t, const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, t->klen);
}

int
fw_ptree_boundary(const fw_ptree *t, const uint8_t *key, int height,
    uint64_t before, uint64_t after)
{
	const fw_ptree_shape *s = height == 0 ? &t->leaf_shape : &t->node_shape;
	uint64_t k = 0;
	double a, b, p, u;

	if (after < s->min)
		return 0;
	if (after >= s->max)
		return 1;
	/* The last 8 key bytes: the id-hash half of a row key, or an id hash. */
	for (size_t i = t->klen - 8; i < t->klen; i++)
		k = k << 8 | key[i];
	u = (double)(fw_mix64(k ^ (0x9e3779b97f4a7c15ull * (uint64_t)(height + 1))) >> 11) *
	    (1.0 / 9007199254740992.0);
	a = before > s->min ? (double)(before - s->min) / s->lambda : 0.0;
	b = (double)(after - s->min) / s->lambda;
	a = a * a * a * a;
	b = b * b * b * b;
	/* P(cut in (before, after] | no cut before) for a Weibull(k = 4) size
	 * is 1 - exp(a - b) <= b - a. Most entries add a small b - a, and u at
	 * or above it (with a margin well over exp's rounding) cannot cut: the
	 * same answer as below without the exp, which was most of the time a
	 * commit spent walking the entries of a row group it patches. */
	if (u >= (b - a) + 1e-12)
		return 0;
	p = 1.0 - exp(a - b);
	return u < p;
}

void
fw_ptree_loaded_release(const fw_ptree *t, fw_ptree_loaded *l)
{
	if (l == NULL)
		return;
	if (l->height == 0 && t->leaf->unload)
		t->leaf->unload(t->ctx, l);
	free(l->keys);
	free(l->sizes);
	free(l->children);
	memset(l, 0, sizeof(*l));
}

int
fw_ptree_node_load(const fw_ptree *t, const fw_oid *oid, fw_ptree_loaded *out)
{
	fw_buf b = FW_BUF_INIT;
	fw_rd r;
	uint8_t version, height, klen;
	uint64_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fw_obj_get(t->os, &b, oid, t->node_type)) < 0)
		goto done;
	fw_rd_init(&r, b.data, b.len);
	if ((rc = fw_rd_u8(&r, &version)) < 0 || (rc = fw_rd_u8(&r, &height)) < 0 ||
	    (rc = fw_rd_u8(&r, &klen)) < 0 || (rc = fw_rd_varint(&r, &n)) < 0)
		goto bad;
	if (version != NODE_VERSION || height == 0 || height > MAX_HEIGHT ||
	    klen != t->klen || n == 0 || n > fw_rd_left(&r) / (klen + 32)) {
		rc = fw_error_set(FW_ECORRUPT, "bad node header");
		goto bad;
	}
	out->height = height;
	out->n = (uint32_t)n;
	out->oid = *oid;
	out->keys = malloc(n * klen);
	out->sizes = malloc(n * sizeof(*out->sizes));
	out->children = calloc(n, sizeof(*out->children));
	if (!out->keys || !out->sizes || !out->children) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (uint64_t i = 0; i < n; i++) {
		fw_ptree_child *c = &out->children[i];
		const void *p;
		if ((rc = fw_rd_bytes(&r, &p, klen)) < 0)
			goto bad;
		memcpy(c->key, p, klen);
		memcpy(out->keys + i * klen, p, klen);
		if ((rc = fw_rd_bytes(&r, &p, 32)) < 0)
			goto bad;
		memcpy(c->oid.id, p, 32);
		if ((rc = fw_rd_varint(&r, &c->count)) < 0 ||
		    (rc = fw_rd_varint(&r, &c->bytes)) < 0 ||
		    (rc = fw_rd_varint(&r, &c->stored)) < 0)
			goto bad;
		if (i > 0 && memcmp(out->keys + (i - 1) * klen, c->key, klen) >= 0) {
			rc = fw_error_set(FW_ECORRUPT, "node keys out of order");
			goto bad;
		}
		out->sizes[i] = (uint32_t)(klen + 40);
	}
	if (fw_rd_left(&r) != 0) {
		rc = fw_error_set(FW_ECORRUPT, "trailing bytes in node");
		goto bad;
	}
	goto done;
bad:
	{
		char hex[FW_OID_HEXSZ + 1];
		fw_oid_tohex(hex, oid);
		rc = fw_error_wrap(FW_ECORRUPT, "node %s", hex);
	}
done:
	if (rc < 0)
		fw_ptree_loaded_release(t, out);
	fw_buf_release(&b);
	return rc;
}

static int
load_any(const fw_ptree *t, int height, const fw_oid *oid, fw_ptree_loaded **out)
{
	fw_ptree_loaded *l = calloc(1, sizeof(*l));
	int rc;

	*out = NULL;
	if (l == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	if (height == 0) {
		rc = t->leaf->load(t->ctx, oid, l);
		l->height = 0;
		l->oid = *oid;
	} else {
		rc = fw_ptree_node_load(t, oid, l);
	}
	if (rc < 0) {
		free(l);
		return rc;
	}
	l->refs = 1;
	*out = l;
	return 0;
}

static void
unref(const fw_ptree *t, fw_ptree_loaded *l)
{
	if (l && --l->refs == 0) {
		fw_ptree_loaded_release(t, l);
		free(l);
	}
}

/* --- the cursor over the old nodes of one height --- */

struct cursor {
	const fw_ptree *t;
	int top, h;
	fw_ptree_child root;
	fw_ptree_loaded *lv[MAX_HEIGHT + 1];
	uint32_t idx[MAX_HEIGHT + 1];
};

static const fw_ptree_child *
cur_node(struct cursor *c)
{
	if (c->h == c->top)
		return &c->root;
	return &c->lv[c->h + 1]->children[c->idx[c->h + 1]];
}

static int
cur_load_level(struct cursor *c, int g, const fw_ptree_child *node)
{
	if (c->lv[g] && fw_oid_cmp(&c->lv[g]->oid, &node->oid) == 0)
		return 0;
	unref(c->t, c->lv[g]);
	c->lv[g] = NULL;
	return load_any(c->t, g, &node->oid, &c->lv[g]);
}

static int
cur_seek(struct cursor *c, const uint8_t *key)
{
	const fw_ptree_child *node = &c->root;
	int rc;

	for (int g = c->top; g > c->h; g--) {
		fw_ptree_loaded *l;
		uint32_t i;
		if ((rc = cur_load_level(c, g, node)) < 0)
			return rc;
		l = c->lv[g];
		/* binary search: first child whose last key >= key */
		uint32_t lo = 0, hi = l->n;
		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;
			if (kcmp(c->t, l->children[mid].key, key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		i = lo < l->n ? lo : l->n - 1;
		c->idx[g] = i;
		node = &l->children[i];
	}
	return 0;
}

/* 1 when moved, 0 at the end of the level. */
static int
cur_next(struct cursor *c)
{
	int g, rc;

	for (g = c->h + 1; g <= c->top; g++)
		if (c->idx[g] + 1 < c->lv[g]->n)
			break;
	if (g > c->top)
		return 0;
	c->idx[g]++;
	for (g = g - 1; g > c->h; g--) {
		if ((rc = cur_load_level(c, g, &c->lv[g + 1]->children[c->idx[g + 1]])) < 0)
			return rc;
		c->idx[g] = 0;
	}
	return 1;
}

static void
cur_release(struct cursor *c)
{
	for (int g = 0; g <= MAX_HEIGHT; g++)
		unref(c->t, c->lv[g]);
}

/* --- output of one level: the nodes replaced and written --- */

struct outlist {
	fw_ptree_edit *e;
	fw_ptree_child *child;	/* for PUTs: e[i].ref indexes this */
	size_t n, cap, nchild, capchild;
};

static int
out_add(struct outlist *o, const uint8_t *key, size_t klen, int op,
    const fw_ptree_child *c)
{
	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;
		fw_ptree_edit *e = realloc(o->e, cap * sizeof(*e));
		if (e == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		o->e = e;
		o->cap = cap;
	}
	fw_ptree_edit *e = &o->e[o->n++];
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, klen);
	e->op = (uint8_t)op;
	e->size = (uint32_t)(klen + 40);
	e->ref = -1;
	if (c) {
		if (o->nchild == o->capchild) {
			size_t cap = o->capchild ? o->capchild * 2 : 64;
			fw_ptree_child *nc = realloc(o->child, cap * sizeof(*nc));
			if (nc == NULL)
				return fw_error_set(FW_ENOMEM, "out of memory");
			o->child = nc;
			o->capchild = cap;
		}
		o->child[o->nchild] = *c;
		e->ref = (int64_t)o->nchild++;
	}
	return 0;
}

static void
out_release(struct outlist *o)
{
	free(o->e);
	free(o->child);
	memset(o, 0, sizeof(*o));
}

static _Thread_local size_t sort_klen;

static int
edit_cmp(const void *a, const void *b)
{
	const fw_ptree_edit *x = a, *y = b;
	int c = memcmp(x->key, y->key, sort_klen);

	if (c)
		return c;
	if (x->op != y->op)
		return x->op == FW_EDIT_DEL ? -1 : 1;
	return x->ref < y->ref ? -1 : x->ref > y->ref;
}

/* Sorts, and merges a DEL and a PUT of the same key into a PUT (or nothing
 * when the node written is the node replaced). */
static void
out_finish(const fw_ptree *t, struct outlist *o, const struct outlist *old_children,
    fw_ptree_loaded *unused)
{
	size_t w = 0;

	(void)old_children;
	(void)unused;
	sort_klen = t->klen;
	if (o->n > 1)
		qsort(o->e, o->n, sizeof(*o->e), edit_cmp);
	for (size_t i = 0; i < o->n; i++) {
		fw_ptree_edit *e = &o->e[i];
		if (e->op == FW_EDIT_DEL && i + 1 < o->n &&
		    memcmp(o->e[i + 1].key, e->key, t->klen) == 0 &&
		    o->e[i + 1].op == FW_EDIT_PUT) {
			/* e->ref of a DEL holds the replaced node's index */
			fw_ptree_edit *p = &o->e[i + 1];
			if (e->ref >= 0 && fw_oid_cmp(&o->child[e->ref].oid,
			    &o->child[p->ref].oid) == 0) {
				i++;
				continue;
			}
			continue;	/* the PUT replaces it */
		}
		o->e[w++] = *e;
	}
	o->n = w;
}

/* --- building nodes --- */

struct chunk {
	fw_ptree_ent *ents;
	size_t n, cap;
	uint64_t bytes;
	fw_ptree_loaded *srcs[64];
	int nsrc;
};

static int
chunk_push(const fw_ptree *t, struct chunk *ch, const fw_ptree_ent *e)
{
	(void)t;
	if (ch->n == ch->cap) {
		size_t cap = ch->cap ? ch->cap * 2 : 256;
		fw_ptree_ent *ne = realloc(ch->ents, cap * sizeof(*ne));
		if (ne == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		ch->ents = ne;
		ch->cap = cap;
	}
	ch->ents[ch->n++] = *e;
	if (e->src && (ch->nsrc == 0 || ch->srcs[ch->nsrc - 1] != e->src)) {
		if (ch->nsrc == 64)
			return fw_error_set(FW_EINVALID, "node spans too many old nodes");
		e->src->refs++;
		ch->srcs[ch->nsrc++] = e->src;
	}
	ch->bytes += e->size;
	return 0;
}

static void
chunk_reset(const fw_ptree *t, struct chunk *ch)
{
	for (int i = 0; i < ch->nsrc; i++)
		unref(t, ch->srcs[i]);
	ch->nsrc = 0;
	ch->n = 0;
	ch->bytes = 0;
}

static int
node_build(const fw_ptree *t, int height, const fw_ptree_ent *ents, size_t n,
    const fw_ptree_child *edit_children, const fw_ptree_edit *edits,
    fw_ptree_child *out)
{
	fw_buf b = FW_BUF_INIT;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fw_buf_addc(&b, NODE_VERSION)) < 0 ||
	    (rc = fw_buf_addc(&b, (char)height)) < 0 ||
	    (rc = fw_buf_addc(&b, (char)t->klen)) < 0 ||
	    (rc = fw_buf_add_varint(&b, n)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		const fw_ptree_child *c = ents[i].edit >= 0 ?
		    &edit_children[edits[ents[i].edit].ref] :
		    &ents[i].src->children[ents[i].row];
		if ((rc = fw_buf_add(&b, c->key, t->klen)) < 0 ||
		    (rc = fw_buf_add(&b, c->oid.id, 32)) < 0 ||
		    (rc = fw_buf_add_varint(&b, c->count)) < 0 ||
		    (rc = fw_buf_add_varint(&b, c->bytes)) < 0 ||
		    (rc = fw_buf_add_varint(&b, c->stored)) < 0)
			goto done;
		out->count += c->count;
		out->bytes += c->bytes;
		out->stored += c->stored;
		memcpy(out->key, c->key, t->klen);
	}
	uint64_t stored = 0;
	if ((rc = fw_obj_put(t->os, &out->oid, &stored, t->node_type, b.data, b.len)) < 0)
		goto done;
	out->stored += stored;
	out->nent = (uint32_t)n;
	rc = 0;
done:
	fw_buf_release(&b);
	return rc;
}

/* A leaf being built on the pool. It owns a copy of its entries and the
 * references to the old leaves they come from; the main thread reaps jobs in
 * order, so reference counts are only ever touched by one thread. */
struct job {
	const fw_ptree *t;
	fw_ptree_ent *ents;
	size_t n;
	const fw_ptree_edit *edits;
	fw_ptree_child out;
	size_t child_idx;
	int rc;
	char err[1024];
	atomic_int done;
	fw_ptree_loaded *srcs[64];
	int nsrc;
};

struct jobs {
	struct job **v;
	size_t n, cap, reaped;
};

struct level {
	int h, top;
	const fw_ptree_edit *e;
	size_t ne;
	const fw_ptree_child *edit_children;	/* internal levels: PUT payloads */
	struct jobs *jobs;
};

static void
run_job(void *arg)
{
	struct job *j = arg;

	j->rc = j->t->leaf->build(j->t->ctx, j->ents, j->n, j->edits, &j->out);
	if (j->rc < 0)
		snprintf(j->err, sizeof(j->err), "%s", fw_error_last());
	atomic_store(&j->done, 1);
}

/* Takes finished jobs, oldest first; with wait, all of them. */
static int
reap(const fw_ptree *t, struct jobs *js, struct outlist *out, int wait)
{
	int rc = 0;

	if (wait && t->pool)
		fw_pool_wait(t->pool);
	while (js->reaped < js->n) {
		struct job *j = js->v[js->reaped];
		if (!atomic_load(&j->done))
			break;
		if (j->rc < 0 && rc == 0)
			rc = fw_error_set(j->rc, "%s", j->err);
		else if (j->rc == 0)
			out->child[j->child_idx] = j->out;
		for (int i = 0; i < j->nsrc; i++)
			unref(t, j->srcs[i]);
		free(j->ents);
		free(j);
		js->v[js->reaped++] = NULL;
	}
	return rc;
}

static int
emit_async(const fw_ptree *t, const struct level *lv, struct chunk *ch,
    struct outlist *out)
{
	struct jobs *js = lv->jobs;
	struct job *j = calloc(1, sizeof(*j));
	fw_ptree_child placeholder;
	int rc;

	if (j == NULL || (j->ents = malloc(ch->n * sizeof(*j->ents))) == NULL) {
		free(j);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	if (js->n == js->cap) {
		size_t cap = js->cap ? js->cap * 2 : 64;
		struct job **v = realloc(js->v, cap * sizeof(*v));
		if (v == NULL) {
			free(j->ents);
			free(j);
			return fw_error_set(FW_ENOMEM, "out of memory");
		}
		js->v = v;
		js->cap = cap;
	}
	memcpy(j->ents, ch->ents, ch->n * sizeof(*j->ents));
	j->n = ch->n;
	j->t = t;
	j->edits = lv->e;
	memcpy(j->srcs, ch->srcs, (size_t)ch->nsrc * sizeof(*j->srcs));
	j->nsrc = ch->nsrc;
	ch->nsrc = 0;
	ch->n = 0;
	ch->bytes = 0;
	memset(&placeholder, 0, sizeof(placeholder));
	memcpy(placeholder.key, j->ents[j->n - 1].key, t->klen);
	if ((rc = out_add(out, placeholder.key, t->klen, FW_EDIT_PUT, &placeholder)) < 0) {
		for (int i = 0; i < j->nsrc; i++)
			unref(t, j->srcs[i]);
		free(j->ents);
		free(j);
		return rc;
	}
	j->child_idx = out->nchild - 1;
	js->v[js->n++] = j;
	fw_pool_submit(t->pool, run_job, j);
	return reap(t, js, out, 0);
}

static int
emit(const fw_ptree *t, const struct level *lv, struct chunk *ch, struct outlist *out)
{
	fw_ptree_child c;
	int rc;

	if (ch->n == 0)
		return 0;
	if (lv->h == 0 && t->pool && lv->jobs)
		return emit_async(t, lv, ch, out);
	if (lv->h == 0)
		rc = t->leaf->build(t->ctx, ch->ents, ch->n, lv->e, &c);
	else
		rc = node_build(t, lv->h, ch->ents, ch->n, lv->edit_children, lv->e, &c);
	if (rc < 0)
		return rc;
	if ((rc = out_add(out, c.key, t->klen, FW_EDIT_PUT, &c)) < 0)
		return rc;
	chunk_reset(t, ch);
	return 0;
}

static int
feed(const fw_ptree *t, const struct level *lv, struct chunk *ch,
    const fw_ptree_ent *e, struct outlist *out)
{
	uint64_t before = ch->bytes;
	int rc;

	if ((rc = chunk_push(t, ch, e)) < 0)
		return rc;
	if (fw_ptree_boundary(t, e->key, lv->h, before, ch->bytes))
		return emit(t, lv, ch, out);
	return 0;
}

/*
 * The leaves a level-0 pass will read, loaded ahead on the pool: the pass
 * itself runs on one thread, and loading a leaf (its header, keys and sizes,
 * checked) and preparing what its edits need (leaf_ops.prepare: a patch's
 * old column) was most of that thread's time in a spread relabel, while the
 * builders waited for it. The list holds the leaf of each edit, in key
 * order; a leaf the pass reads beyond them (where re-chunking runs on) it
 * loads itself.
 */
#define PF_AHEAD 8

struct pf_slot {
	const fw_ptree *t;
	struct prefetch *pf;
	fw_oid oid;
	const fw_ptree_edit *e;	/* the edits that fall in the leaf */
	size_t ne;
	fw_ptree_loaded *l;
	int rc, done;
	char *err;		/* the message of a failed load */
};

struct prefetch {
	struct pf_slot *v;
	size_t n, next, submitted;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int inited;
};

static void
pf_run(void *arg)
{
	struct pf_slot *s = arg;
	const fw_ptree *t = s->t;
	int rc;

	if ((rc = load_any(t, 0, &s->oid, &s->l)) == 0 && t->leaf->prepare &&
	    (rc = t->leaf->prepare(t->ctx, s->e, s->ne, s->l)) < 0) {
		unref(t, s->l);
		s->l = NULL;
	}
	if (rc < 0)
		s->err = strdup(fw_error_last());
	pthread_mutex_lock(&s->pf->mu);
	s->rc = rc;
	s->done = 1;
	pthread_cond_broadcast(&s->pf->cv);
	pthread_mutex_unlock(&s->pf->mu);
}

/* Lists the leaves of the edits; 0 with pf->n == 0 when not worth it. */
static int
pf_init(const fw_ptree *t, const struct level *lv, const fw_ptree_child *root,
    struct prefetch *pf)
{
	fw_ptree_root r = { .top = *root, .height = lv->top, .empty = 0 };
	fw_ptree_finder f;
	fw_ptree_child leaf;
	size_t cap = 0;
	int rc = 0;

	memset(pf, 0, sizeof(*pf));
	if (t->pool == NULL || lv->h != 0 || lv->top < 1 || lv->ne < 2 ||
	    t->leaf->load == NULL)
		return 0;
	pthread_mutex_init(&pf->mu, NULL);
	pthread_cond_init(&pf->cv, NULL);
	pf->inited = 1;
	fw_ptree_finder_init(&f, t, &r);
	for (size_t i = 0; i < lv->ne; i++) {
		if ((rc = fw_ptree_finder_find(&f, lv->e[i].key, &leaf)) == FW_ENOTFOUND) {
			rc = 0;
			break;	/* past the last key: the rest go to the last leaf */
		}
		if (rc < 0)
			break;
		if (pf->n && fw_oid_cmp(&pf->v[pf->n - 1].oid, &leaf.oid) == 0) {
			pf->v[pf->n - 1].ne++;
			continue;
		}
		if (pf->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct pf_slot *nv = realloc(pf->v, nc * sizeof(*nv));
			if (nv == NULL) {
				rc = fw_error_set(FW_ENOMEM, "out of memory");
				break;
			}
			pf->v = nv;
			cap = nc;
		}
		struct pf_slot *s = &pf->v[pf->n++];
		memset(s, 0, sizeof(*s));
		s->t = t;
		s->pf = pf;
		s->oid = leaf.oid;
		s->e = &lv->e[i];
		s->ne = 1;
	}
	fw_ptree_finder_release(&f);
	return rc;
}

static void
pf_fill(struct prefetch *pf)
{
	size_t from = pf->submitted;

	while (pf->submitted < pf->n && pf->submitted < pf->next + PF_AHEAD)
		pf->submitted++;
	/* Ahead of queued builds (the pass waits for these, and the builds
	 * wait for the pass), the nearest leaf first: each goes to the head
	 * of the queue, so the farthest goes in first. */
	for (size_t k = pf->submitted; k > from; k--) {
		struct pf_slot *s = &pf->v[k - 1];
		if (fw_pool_submit_first(s->t->pool, pf_run, s) < 0)
			pf_run(s);
	}
}

static void
pf_wait(struct prefetch *pf, struct pf_slot *s)
{
	pthread_mutex_lock(&pf->mu);
	while (!s->done)
		pthread_cond_wait(&pf->cv, &pf->mu);
	pthread_mutex_unlock(&pf->mu);
}

/* The leaf oid, from the prefetch when it is among the next ones. */
static int
pf_take(const fw_ptree *t, struct prefetch *pf, const fw_oid *oid, fw_ptree_loaded **out)
{
	pf_fill(pf);
	for (size_t k = pf->next; k < pf->submitted; k++) {
		struct pf_slot *s = &pf->v[k];
		if (fw_oid_cmp(&s->oid, oid) != 0)
			continue;
		pf->next = k + 1;
		pf_fill(pf);
		pf_wait(pf, s);
		if (s->rc < 0)
			return fw_error_set(s->rc, "%s", s->err ? s->err : "out of memory");
		*out = s->l;
		s->l = NULL;
		return 0;
	}
	return load_any(t, 0, oid, out);
}

/* Waits for every prefetch and drops what the pass did not take. */
static void
pf_release(const fw_ptree *t, struct prefetch *pf)
{
	for (size_t k = 0; k < pf->submitted; k++) {
		pf_wait(pf, &pf->v[k]);
		unref(t, pf->v[k].l);
	}
	for (size_t k = 0; k < pf->n; k++)
		free(pf->v[k].err);
	if (pf->inited) {
		pthread_mutex_destroy(&pf->mu);
		pthread_cond_destroy(&pf->cv);
	}
	free(pf->v);
}

/* One level: old nodes at height lv->h merged with lv->e. */
static int
pass(const fw_ptree *t, const struct level *lv, const fw_ptree_child *root,
    struct outlist *out)
{
	struct cursor c;
	struct chunk ch;
	struct prefetch pf;
	size_t i = 0;
	int rc = 0, more;

	memset(&c, 0, sizeof(c));
	memset(&ch, 0, sizeof(ch));
	memset(&pf, 0, sizeof(pf));
	if (lv->h > lv->top) {
		/* No old nodes at this height: chunk the edits (all PUTs). */
		for (; i < lv->ne; i++) {
			fw_ptree_ent e = { .size = lv->e[i].size, .edit = (int64_t)i };
			if (lv->e[i].op != FW_EDIT_PUT)
				continue;	/* a delete or patch of nothing */
			memcpy(e.key, lv->e[i].key, t->klen);
			if ((rc = feed(t, lv, &ch, &e, out)) < 0)
				goto done;
		}
		rc = emit(t, lv, &ch, out);
		goto done;
	}
	c.t = t;
	c.top = lv->top;
	c.h = lv->h;
	c.root = *root;
	if (lv->ne == 0)
		goto done;
	if ((rc = cur_seek(&c, lv->e[0].key)) < 0)
		goto done;
	if ((rc = pf_init(t, lv, root, &pf)) < 0)
		goto done;
	for (;;) {
		const fw_ptree_child *node = cur_node(&c);
		fw_ptree_loaded *old;
		fw_ptree_child replaced = *node;
		uint32_t j = 0;
		int is_last;

		if ((rc = pf.n ? pf_take(t, &pf, &node->oid, &old) :
		    load_any(t, lv->h, &node->oid, &old)) < 0)
			goto done;
		/* Is there a node after this one? Peek by moving the cursor. */
		more = cur_next(&c);
		if (more < 0) {
			unref(t, old);
			rc = more;
			goto done;
		}
		is_last = !more;
		if ((rc = out_add(out, replaced.key, t->klen, FW_EDIT_DEL, &replaced)) < 0) {
			unref(t, old);
			goto done;
		}
		/* A chunk that starts where this old node starts sees, up to the
		 * first edit, the entries and byte counts the node was cut from:
		 * none of them was a boundary but the node's last, so they go in
		 * without asking fw_ptree_boundary (half the entries of a row
		 * group one patch lands in). */
		if (ch.n == 0 && old->n > 1) {
			uint32_t lo = 0, hi = old->n - 1;
			if (i < lv->ne && (is_last || kcmp(t, lv->e[i].key, replaced.key) <= 0))
				while (lo < hi) {
					uint32_t mid = lo + (hi - lo) / 2;
					if (kcmp(t, old->keys + (size_t)mid * t->klen, lv->e[i].key) < 0)
						lo = mid + 1;
					else
						hi = mid;
				}
			else
				lo = hi;
			for (; j < lo && rc == 0; j++) {
				fw_ptree_ent e = { .src = old, .edit = -1, .row = j,
				    .size = old->sizes[j] };
				memcpy(e.key, old->keys + (size_t)j * t->klen, t->klen);
				rc = chunk_push(t, &ch, &e);
			}
		}
		while (rc == 0 && (j < old->n || (i < lv->ne &&
		    (is_last || kcmp(t, lv->e[i].key, replaced.key) <= 0)))) {
			const fw_ptree_edit *ed = i < lv->ne ? &lv->e[i] : NULL;
			int cmp;
			fw_ptree_ent e = { .src = NULL, .edit = -1 };

			if (ed && !is_last && kcmp(t, ed->key, replaced.key) > 0)
				ed = NULL;
			if (j >= old->n)
				cmp = 1;
			else if (ed == NULL)
				cmp = -1;
			else
				cmp = kcmp(t, old->keys + (size_t)j * t->klen, ed->key);
			if (cmp < 0) {
				memcpy(e.key, old->keys + (size_t)j * t->klen, t->klen);
				e.size = old->sizes[j];
				e.src = old;
				e.row = j++;
				rc = feed(t, lv, &ch, &e, out);
				continue;
			}
			memcpy(e.key, ed->key, t->klen);
			e.edit = (int64_t)i++;
			if (cmp == 0) {
				e.src = old;
				e.row = j++;
			}
			if (ed->op == FW_EDIT_DEL)
				continue;
			if (ed->op == FW_EDIT_PATCH) {
				if (cmp != 0)
					continue;	/* nothing to patch */
				rc = t->leaf->patched_size(t->ctx, ed, old, e.row, &e.size);
				if (rc == 0)
					rc = feed(t, lv, &ch, &e, out);
				continue;
			}
			e.size = ed->size;
			rc = feed(t, lv, &ch, &e, out);
		}
		unref(t, old);
		if (rc < 0)
			goto done;
		if (ch.n == 0) {
			/* At a boundary: untouched nodes until the next edit stay. */
			if (i >= lv->ne || is_last)
				break;
			if (kcmp(t, lv->e[i].key, cur_node(&c)->key) > 0 &&
			    (rc = cur_seek(&c, lv->e[i].key)) < 0)
				goto done;
			continue;
		}
		if (is_last) {
			rc = emit(t, lv, &ch, out);
			break;
		}
	}
done:
	pf_release(t, &pf);
	if (lv->jobs) {
		int jrc = reap(t, lv->jobs, out, 1);
		if (rc == 0)
			rc = jrc;
	}
	chunk_reset(t, &ch);
	free(ch.ents);
	cur_release(&c);
	if (rc == 0)
		out_finish(t, out, NULL, NULL);
	return rc;
}

static int
collapse(const fw_ptree *t, fw_ptree_root *r)
{
	while (r->height > 0) {
		fw_ptree_loaded l;
		int rc = fw_ptree_node_load(t, &r->top.oid, &l);
		if (rc < 0)
			return rc;
		if (l.n != 1) {
			fw_ptree_loaded_release(t, &l);
			break;
		}
		r->top = l.children[0];
		r->height--;
		fw_ptree_loaded_release(t, &l);
	}
	return 0;
}

/* The passes from height lv->h up, lv giving that height's edits, until
 * nothing changes above or one root is left. */
static int
apply_from(const fw_ptree *t, fw_ptree_root *out, const fw_ptree_root *root,
    struct level lv)
{
	struct outlist prev = { 0 }, cur = { 0 };
	struct jobs jobs = { NULL, 0, 0, 0 };
	int rc = 0;

	lv.jobs = &jobs;
	for (;;) {
		memset(&cur, 0, sizeof(cur));
		if ((rc = pass(t, &lv, &root->top, &cur)) < 0)
			goto done;
		if (lv.h < lv.top && cur.n == 0)
			goto done;	/* nothing changed above: the old root stands */
		if (lv.h >= lv.top) {
			size_t nput = 0, last = 0;
			if (lv.h == lv.top && cur.n == 0)
				goto done;
			for (size_t i = 0; i < cur.n; i++)
				if (cur.e[i].op == FW_EDIT_PUT) {
					nput++;
					last = i;
				}
			if (nput == 0) {
				memset(out, 0, sizeof(*out));
				out->empty = 1;
				goto done;
			}
			if (nput == 1) {
				out->top = cur.child[cur.e[last].ref];
				out->height = lv.h;
				out->empty = 0;
				rc = collapse(t, out);
				goto done;
			}
			/* Keep only the PUTs: they are the whole next level. */
			size_t w = 0;
			for (size_t i = 0; i < cur.n; i++)
				if (cur.e[i].op == FW_EDIT_PUT)
					cur.e[w++] = cur.e[i];
			cur.n = w;
		}
		out_release(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		lv.h++;
		lv.e = prev.e;
		lv.ne = prev.n;
		lv.edit_children = prev.child;
		if (lv.h > MAX_HEIGHT) {
			rc = fw_error_set(FW_EINVALID, "tree too tall");
			goto done;
		}
	}
done:
	out_release(&prev);
	out_release(&cur);
	free(jobs.v);
	return rc;
}

int
fw_ptree_apply(const fw_ptree *t, fw_ptree_root *out, const fw_ptree_root *root,
    const fw_ptree_edit *edits, size_t nedits)
{
	struct level lv = { 0 };

	*out = *root;
	if (nedits == 0)
		return 0;
	/* The passes rely on it; callers sort without comparing keys. */
	for (size_t i = 1; i < nedits; i++)
		if (kcmp(t, edits[i - 1].key, edits[i].key) >= 0)
			return fw_error_set(FW_EINVALID, "internal error: tree edits out of order");
	lv.h = 0;
	lv.top = root->empty ? -1 : root->height;
	lv.e = edits;
	lv.ne = nedits;
	return apply_from(t, out, root, lv);
}

int
fw_ptree_replace_leaves(const fw_ptree *t, fw_ptree_root *out, const fw_ptree_root *root,
    const fw_ptree_child *leaves, size_t n)
{
	fw_ptree_edit *e;
	struct level lv = { 0 };
	int rc;

	*out = *root;
	if (n == 0)
		return 0;
	if (root->empty)
		return fw_error_set(FW_EINVALID, "internal error: leaves replaced in an empty tree");
	for (size_t i = 1; i < n; i++)
		if (kcmp(t, leaves[i - 1].key, leaves[i].key) >= 0)
			return fw_error_set(FW_EINVALID, "internal error: leaves out of order");
	if (root->height == 0) {
		if (n != 1 || kcmp(t, leaves[0].key, root->top.key) != 0)
			return fw_error_set(FW_EINVALID, "internal error: leaf replaced is not the root");
		out->top = leaves[0];
		return 0;
	}
	if ((e = calloc(n, sizeof(*e))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		memcpy(e[i].key, leaves[i].key, t->klen);
		e[i].op = FW_EDIT_PUT;
		e[i].size = (uint32_t)(t->klen + 40);	/* what an internal entry counts */
		e[i].ref = (int64_t)i;
	}
	lv.h = 1;
	lv.top = root->height;
	lv.e = e;
	lv.ne = n;
	lv.edit_children = leaves;
	rc = apply_from(t, out, root, lv);
	free(e);
	return rc;
}

static int
walk(const fw_ptree *t, const fw_ptree_child *node, int height, const uint8_t *lo,
    const uint8_t *hi, int (*cb)(void *arg, const fw_ptree_child *leaf), void *arg)
{
	fw_ptree_loaded l;
	int rc;

	if (height == 0)
		return cb(arg, node);
	if ((rc = fw_ptree_node_load(t, &node->oid, &l)) < 0)
		return rc;
	for (uint32_t i = 0; i < l.n && rc == 0; i++) {
		if (lo && kcmp(t, l.children[i].key, lo) < 0)
			continue;
		if (hi && i > 0 && kcmp(t, l.children[i - 1].key, hi) >= 0)
			break;
		rc = walk(t, &l.children[i], height - 1, lo, hi, cb, arg);
	}
	fw_ptree_loaded_release(t, &l);
	return rc;
}

int
fw_ptree_walk_leaves(const fw_ptree *t, const fw_ptree_root *root,
    const uint8_t *lo, const uint8_t *hi,
    int (*cb)(void *arg, const fw_ptree_child *leaf), void *arg)
{
	if (root->empty)
		return 0;
	return walk(t, &root->top, root->height, lo, hi, cb, arg);
}

void
fw_ptree_finder_init(fw_ptree_finder *f, const fw_ptree *t, const fw_ptree_root *root)
{
	memset(f, 0, sizeof(*f));
	f->t = t;
	f->root = root;
}

void
fw_ptree_finder_release(fw_ptree_finder *f)
{
	for (int h = 0; h <= FW_PTREE_FIND_HEIGHT; h++)
		if (f->path[h].n) {
			fw_ptree_loaded_release(f->t, &f->path[h]);
			memset(&f->path[h], 0, sizeof(f->path[h]));
		}
}

int
fw_ptree_finder_find(fw_ptree_finder *f, const uint8_t *key, fw_ptree_child *out)
{
	const fw_ptree *t = f->t;
	fw_ptree_child node;
	int rc;

	if (f->root->empty)
		return FW_ENOTFOUND;
	node = f->root->top;
	if (kcmp(t, node.key, key) < 0)
		return FW_ENOTFOUND;
	if (f->root->height > FW_PTREE_FIND_HEIGHT)
		return fw_error_set(FW_ECORRUPT, "tree of height %d: corrupt", f->root->height);
	for (int h = f->root->height; h > 0; h--) {
		fw_ptree_loaded *l = &f->path[h];
		uint32_t lo = 0, hi;
		if (l->n == 0 || fw_oid_cmp(&l->oid, &node.oid) != 0) {
			if (l->n)
				fw_ptree_loaded_release(t, l);
			memset(l, 0, sizeof(*l));
			if ((rc = fw_ptree_node_load(t, &node.oid, l)) < 0) {
				memset(l, 0, sizeof(*l));
				return rc;
			}
		}
		hi = l->n;
		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;
			if (kcmp(t, l->children[mid].key, key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		node = l->children[lo < l->n ? lo : l->n - 1];
	}
	*out = node;
	return 0;
}

int
fw_ptree_find_leaf(const fw_ptree *t, const fw_ptree_root *root,
    const uint8_t *key, fw_ptree_child *out)
{
	fw_ptree_finder f;
	int rc;

	fw_ptree_finder_init(&f, t, root);
	rc = fw_ptree_finder_find(&f, key, out);
	fw_ptree_finder_release(&f);
	return rc;
}
