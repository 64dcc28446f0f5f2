/*
 * fw/tokenizer.h - exact byte-level BPE from a Hugging Face tokenizer.json,
 * and chat templates that render a message list into ids with a loss mask.
 *
 * Supported tokenizer.json files: model "BPE" (no dropout, no byte_fallback,
 * no continuing_subword_prefix or end_of_word_suffix, optional ignore_merges),
 * a pre_tokenizer that is ByteLevel or a Sequence of Split and ByteLevel,
 * a normalizer that is null, NFC, NFD, NFKC, NFKD or a Sequence of those,
 * a ByteLevel decoder, and added_tokens. Everything is read from the file;
 * anything else is refused with FW_EUNSUPPORTED and a message naming the part
 * ("pre_tokenizer Metaspace is not supported"). The post_processor is not
 * applied: ids are those of encode(text, add_special_tokens=False).
 *
 * Ids are those the reference implementation (Hugging Face tokenizers) gives
 * for the same text, with one deliberate difference: added tokens marked
 * "special" (<|im_start|>, <|endoftext|>, ...) are matched in the text only
 * when FW_TOK_SPECIAL is given; by default their strings are ordinary text, so
 * a user message cannot inject control tokens. Added tokens that are not
 * special (Qwen's <tool_call>, <think>) are matched as the reference does.
 *
 * A fw_tokenizer keeps a cache and scratch space that encode changes: use one
 * tokenizer from one thread at a time (load one per thread).
 */
#ifndef FW_TOKENIZER_H
#define FW_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "fw/buf.h"

struct json_object;

typedef struct fw_tokenizer fw_tokenizer;
typedef struct fw_chat_template fw_chat_template;

/* A growable array of token ids; starts as FW_IDS_INIT, ends with
 * fw_ids_release. Encoders append to it. */
typedef struct fw_ids {
	uint32_t *v;
	size_t n;
	size_t cap;
} fw_ids;

#define FW_IDS_INIT { NULL, 0, 0 }

void fw_ids_release(fw_ids *ids);
/* Appends one id; 0 or FW_ENOMEM. */
int fw_ids_push(fw_ids *ids, uint32_t id);

/* Flags of fw_tokenizer_encode. */
enum {
	FW_TOK_SPECIAL = 1,	/* match special added tokens inside the text */
};

/*
 * Loads a tokenizer.json file. *out is set to NULL on entry and to a new
 * tokenizer (free with fw_tokenizer_free) on success. Errors: FW_EIO (the file
 * cannot be read), FW_EINVALID (not JSON, or a broken vocabulary or merge,
 * with the byte offset), FW_EUNSUPPORTED (a part fw does not implement, named
 * in the message), FW_ENOMEM.
 */
int fw_tokenizer_load(fw_tokenizer **out, const char *path);

/* Like fw_tokenizer_load on text[0..len); name is used in messages (may be
 * NULL). The text is not kept. */
int fw_tokenizer_parse(fw_tokenizer **out, const char *text, size_t len,
    const char *name);

void fw_tokenizer_free(fw_tokenizer *tok);

/*
 * Encodes text[0..len) (UTF-8) and appends the ids to *ids. Returns 0,
 * FW_EINVALID when the text is not valid UTF-8 ("invalid UTF-8 at byte N"),
 * or FW_ENOMEM. On failure *ids may hold part of the result.
 */
int fw_tokenizer_encode(fw_tokenizer *tok, const char *text, size_t len,
    unsigned flags, fw_ids *ids);

/*
 * Appends the bytes that ids[0..n) stand for to *out. The bytes are valid
 * UTF-8 when the ids came from encoding valid UTF-8 (decode(encode(x)) is x
 * after the tokenizer's normalizer); a slice of ids may cut a character.
 * Returns 0, FW_EINVALID for an id that is not in the vocabulary ("unknown
 * token id 999999 at position 3"), or FW_ENOMEM.
 */
int fw_tokenizer_decode(const fw_tokenizer *tok, const uint32_t *ids, size_t n,
    fw_buf *out);

/* Appends text[0..len) after the tokenizer's normalizer (a copy when it has
 * none) to *out. FW_EINVALID for invalid UTF-8, FW_ENOMEM. */
int fw_tokenizer_normalize(const fw_tokenizer *tok, const char *text, size_t len,
    fw_buf *out);

/* The id of an added token or vocabulary entry whose text is s (for added
 * tokens, their content; for the vocabulary, the decoded bytes). FW_ENOTFOUND
 * when there is none. */
int fw_tokenizer_token_id(const fw_tokenizer *tok, const char *s, uint32_t *id);

/* One more than the largest id. */
uint32_t fw_tokenizer_vocab_size(const fw_tokenizer *tok);

/*
 * A rendered piece of text for fw_tokenizer_encode_spans. Special added tokens
 * are matched only inside spans with FW_SPAN_CONTROL (the template's own
 * text), never in message content. A token is marked 1 in the mask when any
 * of its bytes lies in a span with FW_SPAN_TRAIN.
 */
enum {
	FW_SPAN_CONTROL = 1,
	FW_SPAN_TRAIN = 2,
};

typedef struct fw_span {
	size_t off;	/* into the rendered text */
	size_t len;
	unsigned flags;
} fw_span;

/*
 * Encodes text[0..len), which spans[0..nspans) cover in order without gaps,
 * as one text (so ids equal those of encoding the whole rendered string), and
 * appends the ids to *ids and one byte (0 or 1) per id to *mask. Each span is
 * normalized on its own. Errors as fw_tokenizer_encode, and FW_EINVALID when
 * the spans do not cover the text.
 */
int fw_tokenizer_encode_spans(fw_tokenizer *tok, const char *text, size_t len,
    const fw_span *spans, size_t nspans, fw_ids *ids, fw_buf *mask);

/*
 * Chat templates, described as YAML data (docs/tokenizer.md gives the
 * format). Built-in ones: "chatml" (Qwen 2/3) and "llama3" (Llama 3.1).
 *
 * fw_chat_template_open takes a built-in name or the path of a YAML file (any
 * name with a '/' or ending in ".yaml"/".yml"). Errors: FW_ENOTFOUND (no such
 * built-in; the message lists them), FW_EIO, FW_EINVALID (a bad template, with
 * the line), FW_ENOMEM.
 */
int fw_chat_template_open(fw_chat_template **out, const char *name_or_path);
/* Parses a template from YAML text; name is used in messages. */
int fw_chat_template_parse(fw_chat_template **out, const char *yaml, size_t len,
    const char *name);
void fw_chat_template_free(fw_chat_template *t);
/* The names of the built-in templates, NULL-terminated. */
const char *const *fw_chat_template_builtins(void);

/*
 * Renders messages (a JSON array of OpenAI-style messages: role "system",
 * "user", "assistant" with optional "tool_calls" and "reasoning_content",
 * "tool"; "content" a string, null or absent) to text, appending to *text,
 * and sets *spans / *nspans to a new array (free with free()) that covers the
 * appended text in order; span offsets count from the start of text->data.
 * Adjacent spans differ in flags. Errors: FW_EINVALID for a message the
 * template cannot render ("message 3: role 'bot' is not in template chatml",
 * "message 0: 2 tool calls, the template allows 1"), FW_ENOMEM. On failure
 * *spans is NULL and *text may hold part of the rendering.
 */
int fw_chat_template_render(fw_span **spans, size_t *nspans,
    const fw_chat_template *t, struct json_object *messages, fw_buf *text);

/* Renders messages and encodes them with tok as one text (see
 * fw_tokenizer_encode_spans): appends the ids to *ids and one mask byte per id
 * to *mask. Errors as fw_chat_template_render and fw_tokenizer_encode. */
int fw_chat_encode(fw_tokenizer *tok, const fw_chat_template *t,
    struct json_object *messages, fw_ids *ids, fw_buf *mask);

#endif
