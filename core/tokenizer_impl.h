/*
 * core/tokenizer_impl.h - what the tokenizer's files share (not public).
 *
 * The BPE works on raw bytes: every vocabulary string is turned back from the
 * GPT-2 byte-to-unicode alphabet into the bytes it stands for when loading, so
 * encoding never builds the mapped strings.
 */
#ifndef FW_TOKENIZER_IMPL_H
#define FW_TOKENIZER_IMPL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>

#include "fw/buf.h"
#include "fw/tokenizer.h"

#define TOK_NONE UINT32_MAX

/* Normalizer steps, applied in order. */
enum tok_norm { NORM_NFC = 1, NORM_NFD, NORM_NFKC, NORM_NFKD };

/* Split delimiter behaviours, as Hugging Face names them. */
enum tok_split_behavior {
	SPLIT_REMOVED, SPLIT_ISOLATED, SPLIT_MERGED_PREV, SPLIT_MERGED_NEXT,
	SPLIT_CONTIGUOUS
};

enum tok_pre_kind { PRE_SPLIT, PRE_BYTELEVEL };

struct tok_pre {
	enum tok_pre_kind kind;
	/* PRE_SPLIT */
	pcre2_code *re;		/* NULL for a literal String pattern */
	int jit;		/* re was JIT-compiled */
	char *literal;
	size_t literal_len;
	enum tok_split_behavior behavior;
	int invert;
	/* PRE_BYTELEVEL */
	int add_prefix_space;
	int use_regex;		/* splits with the GPT-2 pattern (tok->gpt2_re) */
};

struct tok_added {
	char *content;
	size_t len;
	uint32_t id;
	unsigned special : 1, normalized : 1, lstrip : 1, rstrip : 1,
	    single_word : 1;
};

/* A piece of normalized text the pre-tokenizers produce: text[off..off+len),
 * with a space in front when ByteLevel's add_prefix_space put one there. */
struct tok_piece {
	uint32_t off;
	uint32_t len;
	uint32_t prefix;
};

struct tok_pieces {
	struct tok_piece *v;
	size_t n, cap;
};

/* Entries of the id -> bytes table, bytes in tok->arena. */
enum { ENTRY_PRESENT = 1, ENTRY_ADDED = 2 };
struct tok_entry {
	uint32_t off;
	uint32_t len;
	uint32_t flags;
};

struct tok_merge {
	uint64_t pair;		/* left id << 32 | right id; 0 marks empty */
	uint32_t rank;
	uint32_t id;
};

struct tok_cache_slot {
	uint64_t hash;
	uint32_t key_off, key_len;
	uint32_t ids_off, ids_n;
};

struct fw_tokenizer {
	char *name;

	/* id -> bytes (arena), for decoding */
	struct tok_entry *entries;
	uint32_t nentries;	/* one more than the largest id */
	uint32_t entries_cap;
	fw_buf arena;

	/* bytes -> id for strings BPE can produce (open addressing); the key
	 * bytes are arena[off..off+len) */
	struct tok_vslot {
		uint32_t hash, id, off, len;
	} *vmap;		/* id TOK_NONE marks an empty slot */
	uint32_t vmap_mask;
	uint32_t byte_id[256];

	/* (left, right) -> (rank, merged id) */
	struct tok_merge *merges;
	uint32_t merges_mask, merges_used;

	struct tok_added *added;
	size_t nadded;
	uint8_t added_first[256];	/* 1 if some added token starts with it */

	enum tok_norm norm[8];
	int nnorm;
	struct tok_pre pre[8];
	int npre;
	pcre2_code *gpt2_re;
	int gpt2_jit;
	int ignore_merges;

	/* encode scratch: reused to avoid allocations per call */
	pcre2_match_data *md;
	fw_buf norm_buf;
	fw_buf prefix_buf;
	struct tok_pieces pieces, pieces2, ranges;
	uint32_t *sym_id;
	uint32_t *sym_len;
	int32_t *sym_prev, *sym_next;
	size_t sym_cap;
	void *heap;
	size_t heap_cap;

	/* per pre-token cache of BPE results */
	struct tok_cache_slot *cache;
	uint32_t cache_mask, cache_used;
	fw_buf cache_keys;
	fw_ids cache_ids;
};

/* bpe.c */
uint64_t tok_hash(const void *p, size_t n);
int tok_vmap_init(fw_tokenizer *tok, size_t n);
/* Maps arena[off..off+len) to id (a later put of the same bytes wins). */
void tok_vmap_put(fw_tokenizer *tok, uint32_t off, uint32_t len, uint32_t id);
uint32_t tok_vmap_get(const fw_tokenizer *tok, const char *s, size_t n);
int tok_merges_init(fw_tokenizer *tok, size_t n);
int tok_merges_put(fw_tokenizer *tok, uint32_t left, uint32_t right,
    uint32_t rank, uint32_t id);
/* BPE of one pre-token (prefix: a space before s), appended to ids; when offs
 * is not NULL, the end offset (into s, counting the prefix) of each token. */
int tok_bpe(fw_tokenizer *tok, const char *s, size_t n, int prefix, fw_ids *ids,
    fw_ids *ends);
void tok_cache_free(fw_tokenizer *tok);

/* pretok.c */
int tok_normalize(const fw_tokenizer *tok, const char *s, size_t n, fw_buf *out);
int tok_pretokenize(fw_tokenizer *tok, const char *s, size_t n,
    struct tok_pieces *out);
int tok_pieces_push(struct tok_pieces *p, uint32_t off, uint32_t len,
    uint32_t prefix);
/* GPT-2's byte -> code point map and its inverse (-1: not in the alphabet). */
uint32_t tok_byte_cp(unsigned b);
int tok_cp_to_byte(uint32_t cp);
/* Decodes one UTF-8 character at s (valid input); returns its length. */
int tok_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* tokenizer_json.c: makes entries[id] exist (zeroed when new). */
int tok_entries_reserve(fw_tokenizer *tok, uint32_t id);

/* tokenizer.c: interprets one top-level part of tokenizer.json ("normalizer",
 * "pre_tokenizer", "decoder", "added_tokens"); v is NULL when absent. */
int tok_configure(fw_tokenizer *tok, const char *what, struct json_object *v);

#endif
