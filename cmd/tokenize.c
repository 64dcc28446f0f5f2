/* fw tokenize: encode and decode text with a model's tokenizer.json. */
#include "cmd.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/tokenizer.h"

#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"fw tokenize --tokenizer FILE [--special] [--json] <TEXT",
	"fw tokenize --tokenizer FILE --template NAME|FILE --messages [--json] <MESSAGES",
	"fw tokenize --tokenizer FILE [--template NAME|FILE] [--special] --jsonl <IN.jsonl",
	"fw tokenize --tokenizer FILE --decode [--json | --jsonl] <IDS",
	NULL
};

struct opts {
	const char *tokenizer, *template;
	int messages, json, jsonl, decode, special;
};

struct ctx {
	struct opts o;
	fw_tokenizer *tok;
	fw_chat_template *tpl;
	fw_ids ids;
	fw_buf mask, out, text;
};

static int
read_all(FILE *f, fw_buf *b)
{
	for (;;) {
		if (fw_buf_grow(b, 1 << 16) < 0)
			return FW_ENOMEM;
		size_t got = fread(b->data + b->len, 1, b->cap - b->len - 1, f);
		b->len += got;
		b->data[b->len] = 0;
		if (got == 0)
			break;
	}
	if (ferror(f))
		return fw_error_errno("cannot read standard input");
	return 0;
}

static int
put_u32s(fw_buf *b, const uint32_t *v, size_t n, const char *sep)
{
	char tmp[16];

	for (size_t i = 0; i < n; i++) {
		int k = 15;
		uint32_t x = v[i];
		tmp[k] = 0;
		do {
			tmp[--k] = (char)('0' + x % 10);
			x /= 10;
		} while (x);
		if ((i && fw_buf_adds(b, sep) < 0) || fw_buf_add(b, tmp + k, (size_t)(15 - k)) < 0)
			return FW_ENOMEM;
	}
	return 0;
}

static int
put_mask(fw_buf *b, const fw_buf *mask, const char *sep)
{
	for (size_t i = 0; i < mask->len; i++)
		if ((i && fw_buf_adds(b, sep) < 0) || fw_buf_addc(b, mask->data[i] ? '1' : '0') < 0)
			return FW_ENOMEM;
	return 0;
}

/* {"ids":[...]} or {"ids":[...],"mask":[...]} */
static int
put_json_ids(struct ctx *c, int with_mask)
{
	if (fw_buf_adds(&c->out, "{\"ids\":[") < 0 ||
	    put_u32s(&c->out, c->ids.v, c->ids.n, ",") < 0 ||
	    fw_buf_addc(&c->out, ']') < 0)
		return FW_ENOMEM;
	if (with_mask && (fw_buf_adds(&c->out, ",\"mask\":[") < 0 ||
	    put_mask(&c->out, &c->mask, ",") < 0 || fw_buf_addc(&c->out, ']') < 0))
		return FW_ENOMEM;
	return fw_buf_adds(&c->out, "}\n");
}

/* Bytes as a JSON string; a cut character (ids sliced mid-character) becomes
 * U+FFFD, as the reference's decode does. */
static int
put_json_text(fw_buf *b, const char *s, size_t n)
{
	fw_buf clean = FW_BUF_INIT;
	int rc;

	if (!fw_utf8_valid(s, n)) {
		for (size_t i = 0; i < n;) {
			size_t k = 1;
			unsigned char u = (unsigned char)s[i];
			if (u >= 0x80) {
				k = (u & 0xe0) == 0xc0 ? 2 : (u & 0xf0) == 0xe0 ? 3 :
				    (u & 0xf8) == 0xf0 ? 4 : 0;
				if (k == 0 || k > n - i || !fw_utf8_valid(s + i, k)) {
					fw_buf_adds(&clean, "\xef\xbf\xbd");
					i++;
					continue;
				}
			}
			fw_buf_add(&clean, s + i, k);
			i += k;
		}
		s = clean.data ? clean.data : "";
		n = clean.len;
	}
	rc = fw_json_quote(b, s, n);
	fw_buf_release(&clean);
	return rc;
}

/* Reads ids for --decode: a JSON array, or numbers separated by white space
 * or commas. */
static int
parse_ids(const char *s, fw_ids *ids)
{
	const char *p = s;

	while (*p) {
		if (strchr(" \t\r\n,[]", *p)) {
			p++;
			continue;
		}
		if (*p < '0' || *p > '9')
			return fw_error_set(FW_EINVALID, "bad token id at byte %zu: "
			    "expected a number", (size_t)(p - s));
		unsigned long long v = 0;
		while (*p >= '0' && *p <= '9' && v <= UINT32_MAX)
			v = v * 10 + (unsigned long long)(*p++ - '0');
		if (v > UINT32_MAX)
			return fw_error_set(FW_EINVALID, "token id too large at byte %zu",
			    (size_t)(p - s));
		if (fw_ids_push(ids, (uint32_t)v) < 0)
			return FW_ENOMEM;
	}
	return 0;
}

static int
json_ids(struct json_object *arr, fw_ids *ids)
{
	if (!json_object_is_type(arr, json_type_array))
		return fw_error_set(FW_EINVALID, "\"ids\" is not an array");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *v = json_object_array_get_idx(arr, i);
		int64_t x = json_object_get_int64(v);
		if (!json_object_is_type(v, json_type_int) || x < 0 || x > UINT32_MAX)
			return fw_error_set(FW_EINVALID, "\"ids\"[%zu] is not a token id", i);
		if (fw_ids_push(ids, (uint32_t)x) < 0)
			return FW_ENOMEM;
	}
	return 0;
}

static int
encode_messages(struct ctx *c, struct json_object *msgs)
{
	if (c->tpl == NULL)
		return fw_error_set(FW_EINVALID, "messages need a chat template "
		    "(--template NAME|FILE)");
	return fw_chat_encode(c->tok, c->tpl, msgs, &c->ids, &c->mask);
}

/* One line of --jsonl. */
static int
do_line(struct ctx *c, const char *line, size_t len)
{
	struct json_object *o = NULL, *v;
	int rc;

	c->ids.n = 0;
	fw_buf_reset(&c->mask);
	if ((rc = fw_json_parse(&o, line, len)) < 0)
		return rc;
	if (!json_object_is_type(o, json_type_object)) {
		rc = fw_error_set(FW_EINVALID, "not a JSON object");
	} else if (c->o.decode) {
		fw_buf_reset(&c->text);
		if (!json_object_object_get_ex(o, "ids", &v))
			rc = fw_error_set(FW_EINVALID, "no \"ids\"");
		else if ((rc = json_ids(v, &c->ids)) == 0 &&
		    (rc = fw_tokenizer_decode(c->tok, c->ids.v, c->ids.n, &c->text)) == 0 &&
		    (rc = fw_buf_adds(&c->out, "{\"text\":")) == 0 &&
		    (rc = put_json_text(&c->out, c->text.data ? c->text.data : "",
		    c->text.len)) == 0)
			rc = fw_buf_adds(&c->out, "}\n");
	} else if (json_object_object_get_ex(o, "messages", &v)) {
		if ((rc = encode_messages(c, v)) == 0)
			rc = put_json_ids(c, 1);
	} else if (json_object_object_get_ex(o, "text", &v) &&
	    json_object_is_type(v, json_type_string)) {
		if ((rc = fw_tokenizer_encode(c->tok, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v),
		    c->o.special ? FW_TOK_SPECIAL : 0, &c->ids)) == 0)
			rc = put_json_ids(c, 0);
	} else {
		rc = fw_error_set(FW_EINVALID, "no \"text\" string or \"messages\"");
	}
	json_object_put(o);
	return rc;
}

static int
run_jsonl(struct ctx *c)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;

	while ((n = getline(&line, &cap, stdin)) >= 0) {
		lineno++;
		size_t len = (size_t)n;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		if ((rc = do_line(c, line, len)) < 0) {
			rc = fw_error_wrap(rc, "stdin:%zu", lineno);
			break;
		}
		if (c->out.len >= (1 << 16)) {
			fwrite(c->out.data, 1, c->out.len, stdout);
			fw_buf_reset(&c->out);
		}
	}
	if (rc == 0 && ferror(stdin))
		rc = fw_error_errno("cannot read standard input");
	free(line);
	return rc;
}

static int
run_one(struct ctx *c)
{
	fw_buf in = FW_BUF_INIT;
	struct json_object *msgs = NULL;
	int rc;

	if ((rc = read_all(stdin, &in)) < 0)
		goto done;
	if (c->o.decode) {
		if ((rc = parse_ids(in.data, &c->ids)) < 0 ||
		    (rc = fw_tokenizer_decode(c->tok, c->ids.v, c->ids.n, &c->text)) < 0)
			goto done;
		if (c->o.json) {
			if ((rc = fw_buf_adds(&c->out, "{\"text\":")) < 0 ||
			    (rc = put_json_text(&c->out, c->text.data ? c->text.data : "",
			    c->text.len)) < 0 || (rc = fw_buf_adds(&c->out, "}\n")) < 0)
				goto done;
		} else if ((rc = fw_buf_add(&c->out, c->text.data, c->text.len)) < 0) {
			goto done;
		}
		goto done;
	}
	if (c->o.messages) {
		if ((rc = fw_json_parse(&msgs, in.data, in.len)) < 0) {
			rc = fw_error_wrap(rc, "stdin");
			goto done;
		}
		if ((rc = encode_messages(c, msgs)) < 0)
			goto done;
	} else if ((rc = fw_tokenizer_encode(c->tok, in.data ? in.data : "", in.len,
	    c->o.special ? FW_TOK_SPECIAL : 0, &c->ids)) < 0) {
		rc = fw_error_wrap(rc, "stdin");
		goto done;
	}
	if (c->o.json) {
		rc = put_json_ids(c, c->o.messages);
	} else {
		if ((rc = put_u32s(&c->out, c->ids.v, c->ids.n, " ")) < 0 ||
		    (rc = fw_buf_addc(&c->out, '\n')) < 0)
			goto done;
		if (c->o.messages && ((rc = put_mask(&c->out, &c->mask, " ")) < 0 ||
		    (rc = fw_buf_addc(&c->out, '\n')) < 0))
			goto done;
	}
done:
	json_object_put(msgs);
	fw_buf_release(&in);
	return rc;
}

int
cmd_tokenize(int argc, char **argv)
{
	struct ctx c;
	const struct fw_opt opts[] = {
		{ 't', "tokenizer", FW_OPT_STR, "FILE", "a Hugging Face tokenizer.json", &c.o.tokenizer },
		{ 0, "template", FW_OPT_STR, "NAME|FILE", "chat template: chatml, llama3, or a .yaml file", &c.o.template },
		{ 'm', "messages", FW_OPT_FLAG, NULL, "input is a JSON list of chat messages", &c.o.messages },
		{ 0, "special", FW_OPT_FLAG, NULL, "match special tokens (<|im_start|>...) in text", &c.o.special },
		{ 0, "json", FW_OPT_FLAG, NULL, "print one JSON object: {\"ids\":[...]}", &c.o.json },
		{ 0, "jsonl", FW_OPT_FLAG, NULL, "one JSON object a line in, one a line out", &c.o.jsonl },
		{ 'd', "decode", FW_OPT_FLAG, NULL, "read ids, print the text", &c.o.decode },
		FW_OPT_TABLE_END
	};
	char **args = NULL;
	int nargs = 0, rc;

	memset(&c, 0, sizeof(c));
	if ((rc = fw_opt_parse("tokenize", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs > 0) {
		rc = fw_usage_error("tokenize", usage, "unexpected argument '%s'", args[0]);
		free(args);
		return rc;
	}
	free(args);
	if (c.o.tokenizer == NULL)
		return fw_usage_error("tokenize", usage, "--tokenizer FILE is required");
	if (c.o.json && c.o.jsonl)
		return fw_usage_error("tokenize", usage, "--json and --jsonl exclude each other");
	if (c.o.messages && (c.o.jsonl || c.o.decode))
		return fw_usage_error("tokenize", usage, "--messages goes with neither --jsonl "
		    "(which takes {\"messages\": [...]} lines) nor --decode");
	if (c.o.messages && c.o.template == NULL)
		return fw_usage_error("tokenize", usage, "--messages needs --template");
	if (fw_tokenizer_load(&c.tok, c.o.tokenizer) < 0 ||
	    (c.o.template && fw_chat_template_open(&c.tpl, c.o.template) < 0)) {
		rc = fw_fail();
		goto done;
	}
	rc = c.o.jsonl ? run_jsonl(&c) : run_one(&c);
	if (c.out.len)
		fwrite(c.out.data, 1, c.out.len, stdout);
	rc = rc < 0 ? fw_fail() : 0;
done:
	fw_tokenizer_free(c.tok);
	fw_chat_template_free(c.tpl);
	fw_ids_release(&c.ids);
	fw_buf_release(&c.mask);
	fw_buf_release(&c.out);
	fw_buf_release(&c.text);
	return rc;
}
