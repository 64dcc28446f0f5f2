/*
 * Byte-level BPE: the vocabulary map, the merge ranks, the merge loop and the
 * cache of results per pre-token.
 *
 * The merge loop follows the reference (Hugging Face tokenizers, Word::merge_all):
 * repeatedly merge the adjacent pair of lowest rank, the leftmost first, using
 * a min-heap of candidate merges that are checked again when popped. Ranks
 * are unique per pair, so "still the same rank" means "still the same merge".
 */
#include "tokenizer_impl.h"
#include "fw/error.h"

#include <stdlib.h>
#include <string.h>

/* Pre-tokens up to this many bytes are cached; longer ones are rare and
 * would fill the cache with one-off keys. */
#define CACHE_MAX_KEY 64
#define CACHE_SLOTS (1u << 17)

uint64_t
tok_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (n * 0xff51afd7ed558ccdull), w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
		s += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0x94d049bb133111ebull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}

int
tok_vmap_init(fw_tokenizer *tok, size_t n)
{
	uint32_t cap = 1024;

	while (cap < n * 2 && cap < (1u << 30))
		cap <<= 1;
	tok->vmap = malloc(sizeof(*tok->vmap) * cap);
	if (tok->vmap == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	for (uint32_t i = 0; i < cap; i++)
		tok->vmap[i].id = TOK_NONE;
	tok->vmap_mask = cap - 1;
	return 0;
}

void
tok_vmap_put(fw_tokenizer *tok, uint32_t off, uint32_t len, uint32_t id)
{
	const char *s = tok->arena.data + off;
	uint64_t h = tok_hash(s, len);
	uint32_t i = (uint32_t)h & tok->vmap_mask, h32 = (uint32_t)(h >> 32);

	for (;; i = (i + 1) & tok->vmap_mask) {
		struct tok_vslot *v = &tok->vmap[i];
		if (v->id == TOK_NONE || (v->hash == h32 && v->len == len &&
		    memcmp(tok->arena.data + v->off, s, len) == 0)) {
			v->hash = h32;
			v->id = id;
			v->off = off;
			v->len = len;
			return;
		}
	}
}

uint32_t
tok_vmap_get(const fw_tokenizer *tok, const char *s, size_t n)
{
	uint64_t h = tok_hash(s, n);
	uint32_t i = (uint32_t)h & tok->vmap_mask, h32 = (uint32_t)(h >> 32);

	if (tok->vmap == NULL)
		return TOK_NONE;
	for (;; i = (i + 1) & tok->vmap_mask) {
		const struct tok_vslot *v = &tok->vmap[i];
		if (v->id == TOK_NONE)
			return TOK_NONE;
		if (v->hash == h32 && v->len == n &&
		    memcmp(tok->arena.data + v->off, s, n) == 0)
			return v->id;
	}
}

int
tok_merges_init(fw_tokenizer *tok, size_t n)
{
	uint32_t cap = 1024;

	while (cap < n * 2 && cap < (1u << 30))
		cap <<= 1;
	tok->merges_used = 0;
	tok->merges = calloc(cap, sizeof(*tok->merges));
	if (tok->merges == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	tok->merges_mask = cap - 1;
	return 0;
}

static inline uint32_t
pair_slot(uint64_t key, uint32_t mask)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

static void
merges_insert(struct tok_merge *tab, uint32_t mask, const struct tok_merge *m)
{
	uint32_t i = pair_slot(m->pair, mask);

	while (tab[i].pair != 0 && tab[i].pair != m->pair)
		i = (i + 1) & mask;
	tab[i] = *m;
}

int
tok_merges_put(fw_tokenizer *tok, uint32_t left, uint32_t right, uint32_t rank,
    uint32_t id)
{
	struct tok_merge m = { ((uint64_t)left << 32 | right) + 1, rank, id };

	if (tok->merges_used >= (tok->merges_mask + 1) / 2) {
		uint32_t cap = (tok->merges_mask + 1) * 2;
		struct tok_merge *t = calloc(cap, sizeof(*t));
		if (t == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		for (uint32_t i = 0; i <= tok->merges_mask; i++)
			if (tok->merges[i].pair)
				merges_insert(t, cap - 1, &tok->merges[i]);
		free(tok->merges);
		tok->merges = t;
		tok->merges_mask = cap - 1;
	}
	/* a pair listed twice keeps its last rank, as the reference */
	uint32_t i = pair_slot(m.pair, tok->merges_mask);
	while (tok->merges[i].pair != 0 && tok->merges[i].pair != m.pair)
		i = (i + 1) & tok->merges_mask;
	if (tok->merges[i].pair == 0)
		tok->merges_used++;
	tok->merges[i] = m;
	return 0;
}

static inline const struct tok_merge *
merge_get(const fw_tokenizer *tok, uint32_t left, uint32_t right)
{
	uint64_t key = ((uint64_t)left << 32 | right) + 1;
	uint32_t i = pair_slot(key, tok->merges_mask);

	for (;; i = (i + 1) & tok->merges_mask) {
		const struct tok_merge *m = &tok->merges[i];
		if (m->pair == key)
			return m;
		if (m->pair == 0)
			return NULL;
	}
}

/* A min-heap of (rank << 32 | symbol index): lowest rank, then leftmost. */
static void
heap_push(uint64_t *h, size_t *n, uint64_t v)
{
	size_t i = (*n)++;

	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (h[p] <= v)
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = v;
}

static uint64_t
heap_pop(uint64_t *h, size_t *n)
{
	uint64_t top = h[0], v = h[--(*n)];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && h[c + 1] < h[c])
			c++;
		if (v <= h[c])
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = v;
	return top;
}

static int
reserve(fw_tokenizer *tok, size_t n)
{
	if (n <= tok->sym_cap)
		return 0;
	size_t cap = tok->sym_cap ? tok->sym_cap : 256;
	while (cap < n)
		cap *= 2;
	uint32_t *id = realloc(tok->sym_id, cap * sizeof(*id));
	if (id) tok->sym_id = id;
	uint32_t *len = realloc(tok->sym_len, cap * sizeof(*len));
	if (len) tok->sym_len = len;
	int32_t *prev = realloc(tok->sym_prev, cap * sizeof(*prev));
	if (prev) tok->sym_prev = prev;
	int32_t *next = realloc(tok->sym_next, cap * sizeof(*next));
	if (next) tok->sym_next = next;
	/* each merge pushes at most two candidates */
	uint64_t *heap = realloc(tok->heap, 3 * cap * sizeof(*heap));
	if (heap) tok->heap = heap;
	if (!id || !len || !prev || !next || !heap)
		return fw_error_set(FW_ENOMEM, "out of memory");
	tok->sym_cap = cap;
	return 0;
}

static void
push_candidate(const fw_tokenizer *tok, uint64_t *heap, size_t *nheap, int32_t i)
{
	int32_t j = tok->sym_next[i];

	if (j < 0)
		return;
	const struct tok_merge *m = merge_get(tok, tok->sym_id[i], tok->sym_id[j]);
	if (m)
		heap_push(heap, nheap, (uint64_t)m->rank << 32 | (uint32_t)i);
}

/* The merge loop on s[0..n); appends ids. */
static int
merge_word(fw_tokenizer *tok, const char *s, size_t n, fw_ids *ids)
{
	const unsigned char *u = (const unsigned char *)s;
	int32_t m = 0, head = -1, last = -1;
	size_t nheap = 0;
	int rc;

	if (n >= INT32_MAX)
		return fw_error_set(FW_EINVALID, "pre-token too long");
	if ((rc = reserve(tok, n)) < 0)
		return rc;
	uint64_t *heap = tok->heap;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = tok->byte_id[u[i]];
		if (id == TOK_NONE)
			continue;	/* no token and no unk: the reference drops it */
		tok->sym_id[m] = id;
		tok->sym_len[m] = 1;
		tok->sym_prev[m] = last;
		tok->sym_next[m] = -1;
		if (last >= 0)
			tok->sym_next[last] = m;
		else
			head = m;
		last = m++;
	}
	for (int32_t i = 0; i < m; i++)
		push_candidate(tok, heap, &nheap, i);
	while (nheap) {
		uint64_t top = heap_pop(heap, &nheap);
		int32_t i = (int32_t)(uint32_t)top, j;
		uint32_t rank = (uint32_t)(top >> 32);
		if (tok->sym_len[i] == 0 || (j = tok->sym_next[i]) < 0)
			continue;
		const struct tok_merge *mg = merge_get(tok, tok->sym_id[i], tok->sym_id[j]);
		if (mg == NULL || mg->rank != rank)
			continue;
		tok->sym_id[i] = mg->id;
		tok->sym_len[i] += tok->sym_len[j];
		tok->sym_len[j] = 0;
		tok->sym_next[i] = tok->sym_next[j];
		if (tok->sym_next[j] >= 0)
			tok->sym_prev[tok->sym_next[j]] = i;
		if (tok->sym_prev[i] >= 0)
			push_candidate(tok, heap, &nheap, tok->sym_prev[i]);
		push_candidate(tok, heap, &nheap, i);
	}
	for (int32_t i = head; i >= 0; i = tok->sym_next[i])
		if ((rc = fw_ids_push(ids, tok->sym_id[i])) < 0)
			return rc;
	return 0;
}

static int
cache_init(fw_tokenizer *tok)
{
	tok->cache = calloc(CACHE_SLOTS, sizeof(*tok->cache));
	if (tok->cache == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	tok->cache_mask = CACHE_SLOTS - 1;
	tok->cache_used = 0;
	return 0;
}

static void
cache_clear(fw_tokenizer *tok)
{
	memset(tok->cache, 0, sizeof(*tok->cache) * (tok->cache_mask + 1));
	tok->cache_used = 0;
	fw_buf_reset(&tok->cache_keys);
	tok->cache_ids.n = 0;
}

void
tok_cache_free(fw_tokenizer *tok)
{
	free(tok->cache);
	tok->cache = NULL;
	fw_buf_release(&tok->cache_keys);
	fw_ids_release(&tok->cache_ids);
}

static int
bpe_bytes(fw_tokenizer *tok, const char *s, size_t n, fw_ids *ids)
{
	struct tok_cache_slot *slot = NULL;
	uint64_t h = 0;
	size_t start = ids->n;
	int rc;

	if (tok->ignore_merges) {
		uint32_t id = tok_vmap_get(tok, s, n);
		if (id != TOK_NONE)
			return fw_ids_push(ids, id);
	}
	if (n == 1 && tok->byte_id[(unsigned char)s[0]] != TOK_NONE)
		return fw_ids_push(ids, tok->byte_id[(unsigned char)s[0]]);
	if (n <= CACHE_MAX_KEY) {
		if (tok->cache == NULL && (rc = cache_init(tok)) < 0)
			return rc;
		h = tok_hash(s, n) | 1;
		uint32_t i = (uint32_t)h & tok->cache_mask;
		for (;; i = (i + 1) & tok->cache_mask) {
			slot = &tok->cache[i];
			if (slot->hash == 0)
				break;
			if (slot->hash == h && slot->key_len == n &&
			    memcmp(tok->cache_keys.data + slot->key_off, s, n) == 0) {
				for (uint32_t k = 0; k < slot->ids_n; k++)
					if ((rc = fw_ids_push(ids,
					    tok->cache_ids.v[slot->ids_off + k])) < 0)
						return rc;
				return 0;
			}
		}
	}
	if ((rc = merge_word(tok, s, n, ids)) < 0)
		return rc;
	if (slot == NULL)
		return 0;
	if (tok->cache_used >= (tok->cache_mask + 1) / 4 * 3) {
		cache_clear(tok);
		return 0;	/* the slot pointer is stale; cache it next time */
	}
	slot->hash = h;
	slot->key_off = (uint32_t)tok->cache_keys.len;
	slot->key_len = (uint32_t)n;
	slot->ids_off = (uint32_t)tok->cache_ids.n;
	slot->ids_n = (uint32_t)(ids->n - start);
	tok->cache_used++;
	if ((rc = fw_buf_add(&tok->cache_keys, s, n)) < 0)
		return rc;
	for (size_t k = start; k < ids->n; k++)
		if ((rc = fw_ids_push(&tok->cache_ids, ids->v[k])) < 0)
			return rc;
	return 0;
}

int
tok_bpe(fw_tokenizer *tok, const char *s, size_t n, int prefix, fw_ids *ids,
    fw_ids *ends)
{
	size_t start = ids->n;
	int rc;

	if (prefix) {
		fw_buf *b = &tok->prefix_buf;
		fw_buf_reset(b);
		if ((rc = fw_buf_addc(b, ' ')) < 0 || (rc = fw_buf_add(b, s, n)) < 0)
			return rc;
		rc = bpe_bytes(tok, b->data, b->len, ids);
	} else {
		rc = bpe_bytes(tok, s, n, ids);
	}
	if (rc < 0 || ends == NULL)
		return rc;
	uint32_t end = 0;
	for (size_t k = start; k < ids->n; k++) {
		end += tok->entries[ids->v[k]].len;
		if ((rc = fw_ids_push(ends, end)) < 0)
			return rc;
	}
	return 0;
}
