/*
 * The tokenizer object: what tokenizer.json's normalizer, pre_tokenizer,
 * decoder and added_tokens say, its lifetime, and decoding.
 */
#include "tokenizer_impl.h"
#include "fw/error.h"
#include "fw/json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The pre-tokenization regex of GPT-2, which ByteLevel applies when its
 * use_regex is true (the reference hard-codes it the same way). */
static const char gpt2_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

void
fw_ids_release(fw_ids *ids)
{
	free(ids->v);
	ids->v = NULL;
	ids->n = ids->cap = 0;
}

int
fw_ids_push(fw_ids *ids, uint32_t id)
{
	if (ids->n == ids->cap) {
		size_t cap = ids->cap ? ids->cap * 2 : 64;
		uint32_t *v = realloc(ids->v, cap * sizeof(*v));
		if (v == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		ids->v = v;
		ids->cap = cap;
	}
	ids->v[ids->n++] = id;
	return 0;
}

static const char *
type_of(struct json_object *v)
{
	struct json_object *t;

	if (v == NULL || !json_object_is_type(v, json_type_object) ||
	    !json_object_object_get_ex(v, "type", &t) ||
	    !json_object_is_type(t, json_type_string))
		return NULL;
	return json_object_get_string(t);
}

/* A boolean field with its default. */
static int
bool_field(struct json_object *v, const char *key, int dflt)
{
	struct json_object *f;

	if (!json_object_object_get_ex(v, key, &f) || json_object_is_type(f, json_type_null))
		return dflt;
	return json_object_get_boolean(f);
}

static int
unsupported(fw_tokenizer *tok, const char *part, const char *type)
{
	return fw_error_set(FW_EUNSUPPORTED, "%s: %s %s is not supported", tok->name,
	    part, type ? type : "without a type");
}

static int
add_normalizer(fw_tokenizer *tok, struct json_object *v, int depth)
{
	static const struct { const char *name; enum tok_norm n; } kinds[] = {
		{ "NFC", NORM_NFC }, { "NFD", NORM_NFD }, { "NFKC", NORM_NFKC },
		{ "NFKD", NORM_NFKD },
	};
	const char *type = type_of(v);
	struct json_object *list;
	int rc;

	if (type && strcmp(type, "Sequence") == 0 && depth < 4 &&
	    json_object_object_get_ex(v, "normalizers", &list) &&
	    json_object_is_type(list, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(list); i++)
			if ((rc = add_normalizer(tok, json_object_array_get_idx(list, i),
			    depth + 1)) < 0)
				return rc;
		return 0;
	}
	for (size_t i = 0; type && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(type, kinds[i].name) != 0)
			continue;
		if (tok->nnorm == (int)(sizeof(tok->norm) / sizeof(tok->norm[0])))
			return fw_error_set(FW_EUNSUPPORTED, "%s: too many normalizers",
			    tok->name);
		tok->norm[tok->nnorm++] = kinds[i].n;
		return 0;
	}
	return unsupported(tok, "normalizer", type);
}

/*
 * The reference compiles these patterns with Oniguruma, whose \s is Unicode's
 * White_Space. PCRE2's \s (and even \p{Xsp}) also matches U+180E, which
 * stopped being a space in Unicode 6.3, so \s and \S are spelled out as the
 * White_Space code points and their complement.
 */
#define WS "\\t\\n\\x0B\\f\\r\\x20\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}" \
	"\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"
#define NOT_WS "\\x{0}-\\x{8}\\x{E}-\\x{1F}\\x{21}-\\x{84}\\x{86}-\\x{9F}" \
	"\\x{A1}-\\x{167F}\\x{1681}-\\x{1FFF}\\x{200B}-\\x{2027}\\x{202A}-\\x{202E}" \
	"\\x{2030}-\\x{205E}\\x{2060}-\\x{2FFF}\\x{3001}-\\x{10FFFF}"

static int
rewrite_pattern(const char *p, size_t n, fw_buf *out)
{
	int in_class = 0, rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		if (p[i] == '\\' && i + 1 < n) {
			char c = p[i + 1];
			if (c == 's')
				rc = fw_buf_adds(out, in_class ? WS : "[" WS "]");
			else if (c == 'S')
				rc = fw_buf_adds(out, in_class ? NOT_WS : "[" NOT_WS "]");
			else
				rc = fw_buf_add(out, p + i, 2);
			i++;
			continue;
		}
		if (p[i] == '[' && !in_class) {
			in_class = 1;
			rc = fw_buf_addc(out, '[');
			/* a ']' right after '[' or '[^' is a literal */
			if (i + 1 < n && p[i + 1] == '^' && rc == 0) {
				rc = fw_buf_addc(out, '^');
				i++;
			}
			if (i + 1 < n && p[i + 1] == ']' && rc == 0) {
				rc = fw_buf_addc(out, ']');
				i++;
			}
			continue;
		}
		if (p[i] == ']' && in_class)
			in_class = 0;
		rc = fw_buf_addc(out, p[i]);
	}
	return rc;
}

static int
compile(fw_tokenizer *tok, const char *pattern, size_t len, pcre2_code **out,
    int *jit)
{
	fw_buf pat = FW_BUF_INIT;
	int err, rc;
	PCRE2_SIZE at;

	if ((rc = rewrite_pattern(pattern, len, &pat)) < 0)
		return rc;
	*out = pcre2_compile((PCRE2_SPTR)pat.data, pat.len, PCRE2_UTF | PCRE2_UCP,
	    &err, &at, NULL);
	fw_buf_release(&pat);
	if (*out == NULL) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(err, msg, sizeof(msg));
		return fw_error_set(FW_EUNSUPPORTED, "%s: pre_tokenizer Split regex "
		    "does not compile: %s", tok->name, (char *)msg);
	}
	/* without JIT (some platforms) pcre2_match interprets: slower, same result */
	*jit = pcre2_jit_compile(*out, PCRE2_JIT_COMPLETE) == 0;
	return 0;
}

static int
add_split(fw_tokenizer *tok, struct tok_pre *pre, struct json_object *v)
{
	static const struct { const char *name; enum tok_split_behavior b; } kinds[] = {
		{ "Removed", SPLIT_REMOVED }, { "Isolated", SPLIT_ISOLATED },
		{ "MergedWithPrevious", SPLIT_MERGED_PREV },
		{ "MergedWithNext", SPLIT_MERGED_NEXT }, { "Contiguous", SPLIT_CONTIGUOUS },
	};
	struct json_object *pat, *p, *beh;
	const char *b;
	int rc, found = 0;

	pre->kind = PRE_SPLIT;
	if (!json_object_object_get_ex(v, "behavior", &beh) ||
	    (b = json_object_get_string(beh)) == NULL)
		return fw_error_set(FW_EINVALID, "%s: pre_tokenizer Split has no "
		    "behavior", tok->name);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(b, kinds[i].name) == 0) {
			pre->behavior = kinds[i].b;
			found = 1;
		}
	if (!found)
		return unsupported(tok, "pre_tokenizer Split behavior", b);
	pre->invert = bool_field(v, "invert", 0);
	if (!json_object_object_get_ex(v, "pattern", &pat))
		return fw_error_set(FW_EINVALID, "%s: pre_tokenizer Split has no "
		    "pattern", tok->name);
	if (json_object_object_get_ex(pat, "Regex", &p) &&
	    json_object_is_type(p, json_type_string))
		return compile(tok, json_object_get_string(p),
		    (size_t)json_object_get_string_len(p), &pre->re, &pre->jit);
	if (json_object_object_get_ex(pat, "String", &p) &&
	    json_object_is_type(p, json_type_string)) {
		pre->literal_len = (size_t)json_object_get_string_len(p);
		pre->literal = malloc(pre->literal_len + 1);
		if (pre->literal == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		memcpy(pre->literal, json_object_get_string(p), pre->literal_len + 1);
		return 0;
	}
	rc = fw_error_set(FW_EUNSUPPORTED, "%s: pre_tokenizer Split pattern is "
	    "neither Regex nor String", tok->name);
	return rc;
}

static int
add_pre(fw_tokenizer *tok, struct json_object *v, int depth)
{
	const char *type = type_of(v);
	struct json_object *list;
	struct tok_pre *pre;
	int rc;

	if (type && strcmp(type, "Sequence") == 0 && depth < 4 &&
	    json_object_object_get_ex(v, "pretokenizers", &list) &&
	    json_object_is_type(list, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(list); i++)
			if ((rc = add_pre(tok, json_object_array_get_idx(list, i),
			    depth + 1)) < 0)
				return rc;
		return 0;
	}
	if (type == NULL || (strcmp(type, "Split") != 0 && strcmp(type, "ByteLevel") != 0))
		return unsupported(tok, "pre_tokenizer", type);
	if (tok->npre == (int)(sizeof(tok->pre) / sizeof(tok->pre[0])))
		return fw_error_set(FW_EUNSUPPORTED, "%s: too many pre-tokenizers",
		    tok->name);
	pre = &tok->pre[tok->npre++];
	if (strcmp(type, "Split") == 0)
		return add_split(tok, pre, v);
	pre->kind = PRE_BYTELEVEL;
	/* the reference's defaults when a field is missing */
	pre->add_prefix_space = bool_field(v, "add_prefix_space", 1);
	pre->use_regex = bool_field(v, "use_regex", 1);
	if (pre->use_regex && tok->gpt2_re == NULL)
		return compile(tok, gpt2_pattern, sizeof(gpt2_pattern) - 1, &tok->gpt2_re,
		    &tok->gpt2_jit);
	return 0;
}

static int
check_decoder(fw_tokenizer *tok, struct json_object *v, int depth)
{
	const char *type = type_of(v);
	struct json_object *list;
	int rc;

	if (type && strcmp(type, "ByteLevel") == 0)
		return 0;
	if (type && strcmp(type, "Sequence") == 0 && depth < 4 &&
	    json_object_object_get_ex(v, "decoders", &list) &&
	    json_object_is_type(list, json_type_array) &&
	    json_object_array_length(list) > 0) {
		for (size_t i = 0; i < json_object_array_length(list); i++)
			if ((rc = check_decoder(tok, json_object_array_get_idx(list, i),
			    depth + 1)) < 0)
				return rc;
		return 0;
	}
	return unsupported(tok, "decoder", v == NULL ||
	    json_object_is_type(v, json_type_null) ? "null" : type);
}

static int
cmp_added(const void *a, const void *b)
{
	const struct tok_added *x = a, *y = b;

	/* longest first, so the first hit at a position is the longest */
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
add_tokens(fw_tokenizer *tok, struct json_object *v)
{
	size_t n;

	if (v == NULL || json_object_is_type(v, json_type_null))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return fw_error_set(FW_EINVALID, "%s: added_tokens is not an array",
		    tok->name);
	n = json_object_array_length(v);
	if ((tok->added = calloc(n + 1, sizeof(*tok->added))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(v, i), *id, *c;
		struct tok_added *a = &tok->added[tok->nadded];
		int64_t idv;
		if (!json_object_object_get_ex(t, "id", &id) ||
		    !json_object_is_type(id, json_type_int) ||
		    (idv = json_object_get_int64(id)) < 0 || idv >= (1 << 22) ||
		    !json_object_object_get_ex(t, "content", &c) ||
		    !json_object_is_type(c, json_type_string) ||
		    json_object_get_string_len(c) == 0)
			return fw_error_set(FW_EINVALID, "%s: added_tokens[%zu] needs an "
			    "id and a non-empty content", tok->name, i);
		a->len = (size_t)json_object_get_string_len(c);
		if ((a->content = malloc(a->len + 1)) == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		memcpy(a->content, json_object_get_string(c), a->len + 1);
		a->id = (uint32_t)idv;
		a->special = bool_field(t, "special", 0);
		a->normalized = bool_field(t, "normalized", !a->special);
		a->lstrip = bool_field(t, "lstrip", 0);
		a->rstrip = bool_field(t, "rstrip", 0);
		a->single_word = bool_field(t, "single_word", 0);
		tok->nadded++;
		tok->added_first[(unsigned char)a->content[0]] = 1;
		/* the id decodes to the token's text, not to a vocabulary entry */
		if (tok_entries_reserve(tok, a->id) < 0)
			return FW_ENOMEM;
		tok->entries[a->id].off = (uint32_t)tok->arena.len;
		tok->entries[a->id].len = (uint32_t)a->len;
		tok->entries[a->id].flags = ENTRY_PRESENT | ENTRY_ADDED;
		if (fw_buf_add(&tok->arena, a->content, a->len) < 0)
			return FW_ENOMEM;
	}
	qsort(tok->added, tok->nadded, sizeof(*tok->added), cmp_added);
	return 0;
}

int
tok_configure(fw_tokenizer *tok, const char *what, struct json_object *v)
{
	int rc;

	if (v && json_object_is_type(v, json_type_null))
		v = NULL;
	if (strcmp(what, "normalizer") == 0)
		return v ? add_normalizer(tok, v, 0) : 0;
	if (strcmp(what, "decoder") == 0)
		return check_decoder(tok, v, 0);
	if (strcmp(what, "added_tokens") == 0)
		return add_tokens(tok, v);
	if (strcmp(what, "pre_tokenizer") != 0)
		return 0;
	if (v && (rc = add_pre(tok, v, 0)) < 0)
		return rc;
	for (int i = 0; i < tok->npre; i++)
		if (tok->pre[i].kind == PRE_BYTELEVEL) {
			tok->md = pcre2_match_data_create(8, NULL);
			if (tok->md == NULL)
				return fw_error_set(FW_ENOMEM, "out of memory");
			return 0;
		}
	return fw_error_set(FW_EUNSUPPORTED, "%s: pre_tokenizer without ByteLevel "
	    "is not supported (only byte-level BPE is)", tok->name);
}

int
fw_tokenizer_load(fw_tokenizer **out, const char *path)
{
	fw_buf text = FW_BUF_INIT;
	FILE *f = NULL;
	int rc;

	*out = NULL;
	if ((f = fopen(path, "rb")) == NULL)
		return fw_error_errno("cannot open %s", path);
	for (;;) {
		if ((rc = fw_buf_grow(&text, 1 << 20)) < 0)
			goto done;
		size_t got = fread(text.data + text.len, 1, text.cap - text.len - 1, f);
		text.len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = fw_error_errno("cannot read %s", path);
		goto done;
	}
	rc = fw_tokenizer_parse(out, text.data, text.len, path);
done:
	if (f)
		fclose(f);
	fw_buf_release(&text);
	return rc;
}

void
fw_tokenizer_free(fw_tokenizer *tok)
{
	if (tok == NULL)
		return;
	for (int i = 0; i < tok->npre; i++) {
		pcre2_code_free(tok->pre[i].re);
		free(tok->pre[i].literal);
	}
	for (size_t i = 0; i < tok->nadded; i++)
		free(tok->added[i].content);
	free(tok->added);
	pcre2_code_free(tok->gpt2_re);
	pcre2_match_data_free(tok->md);
	free(tok->entries);
	fw_buf_release(&tok->arena);
	free(tok->vmap);
	free(tok->merges);
	fw_buf_release(&tok->norm_buf);
	fw_buf_release(&tok->prefix_buf);
	free(tok->pieces.v);
	free(tok->pieces2.v);
	free(tok->ranges.v);
	free(tok->sym_id);
	free(tok->sym_len);
	free(tok->sym_prev);
	free(tok->sym_next);
	free(tok->heap);
	tok_cache_free(tok);
	free(tok->name);
	free(tok);
}

int
fw_tokenizer_decode(const fw_tokenizer *tok, const uint32_t *ids, size_t n,
    fw_buf *out)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		const struct tok_entry *e;
		if (ids[i] >= tok->nentries ||
		    !((e = &tok->entries[ids[i]])->flags & ENTRY_PRESENT))
			return fw_error_set(FW_EINVALID, "unknown token id %u at "
			    "position %zu", ids[i], i);
		if ((rc = fw_buf_add(out, tok->arena.data + e->off, e->len)) < 0)
			return rc;
	}
	return 0;
}

int
fw_tokenizer_token_id(const fw_tokenizer *tok, const char *s, uint32_t *id)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < tok->nadded; i++)
		if (tok->added[i].len == n && memcmp(tok->added[i].content, s, n) == 0) {
			*id = tok->added[i].id;
			return 0;
		}
	*id = tok_vmap_get(tok, s, n);
	if (*id == TOK_NONE)
		return fw_error_set(FW_ENOTFOUND, "no token '%s' in %s", s, tok->name);
	return 0;
}

uint32_t
fw_tokenizer_vocab_size(const fw_tokenizer *tok)
{
	return tok->nentries;
}
