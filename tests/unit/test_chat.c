/* Chat templates: the chatml built-in against Qwen 3's own Jinja template as
 * rendered by Hugging Face's implementation (tests/data/chat), the llama3
 * built-in against hand-checked Llama 3.1 strings, masks, and errors. */
#include "harness.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/tokenizer.h"

#include <stdlib.h>
#include <zlib.h>

#define EXPECTED "tests/data/chat/qwen3-tau-bench.jsonl.gz"

static int
read_gz(const char *path, fw_buf *b)
{
	gzFile f = gzopen(path, "rb");
	int n = 0;

	if (f == NULL)
		return -1;
	while (fw_buf_grow(b, 1 << 20) == 0 &&
	    (n = gzread(f, b->data + b->len, (unsigned)(b->cap - b->len - 1))) > 0) {
		b->len += (size_t)n;
		b->data[b->len] = 0;
	}
	gzclose(f);
	return n < 0 ? -1 : 0;
}

static struct json_object *
parse(const char *s)
{
	struct json_object *v = NULL;

	CHECK_OK(fw_json_parse(&v, s, strlen(s)));
	return v;
}

static size_t
first_diff(const char *a, size_t na, const char *b, size_t nb)
{
	size_t i = 0;

	while (i < na && i < nb && a[i] == b[i])
		i++;
	return i;
}

static size_t
count_id(const fw_ids *ids, uint32_t id)
{
	size_t k = 0;

	for (size_t i = 0; i < ids->n; i++)
		k += ids->v[i] == id;
	return k;
}

void
test_chat_chatml_reference(void)
{
	fw_buf all = FW_BUF_INIT, text = FW_BUF_INIT, mask = FW_BUF_INIT;
	fw_chat_template *t = NULL;
	fw_tokenizer *tok = NULL;
	fw_ids ids = FW_IDS_INIT, plain = FW_IDS_INIT;
	size_t convs = 0, bad = 0, bad_ids = 0, trained = 0, total = 0;
	char path[4096];
	uint32_t im_start = 0, im_end = 0;

	CHECK_OK(fw_chat_template_open(&t, "chatml"));
	if (t == NULL || read_gz(EXPECTED, &all) < 0) {
		CHECK_MSG(0, "cannot read %s", EXPECTED);
		fw_chat_template_free(t);
		return;
	}
	if (t_data_dir()) {
		snprintf(path, sizeof(path), "%s/tokenizers/qwen3/tokenizer.json",
		    t_data_dir());
		CHECK_OK(fw_tokenizer_load(&tok, path));
		CHECK_OK(fw_tokenizer_token_id(tok, "<|im_start|>", &im_start));
		CHECK_OK(fw_tokenizer_token_id(tok, "<|im_end|>", &im_end));
	} else {
		fprintf(stderr, "  skip: no shared data, chat ids not checked\n");
	}
	for (char *line = all.data, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		struct json_object *o = NULL, *msgs, *want, *task;
		fw_span *spans = NULL;
		size_t nspans = 0;
		nl = strchr(line, '\n');
		if (fw_json_parse(&o, line, nl ? (size_t)(nl - line) : strlen(line)) < 0 ||
		    !json_object_object_get_ex(o, "messages", &msgs) ||
		    !json_object_object_get_ex(o, "text", &want) ||
		    !json_object_object_get_ex(o, "task_id", &task)) {
			CHECK_MSG(0, "line %zu of %s unreadable", convs + 1, EXPECTED);
			json_object_put(o);
			break;
		}
		fw_buf_reset(&text);
		CHECK_OK(fw_chat_template_render(&spans, &nspans, t, msgs, &text));
		const char *w = json_object_get_string(want);
		size_t wn = (size_t)json_object_get_string_len(want);
		if (text.len != wn || memcmp(text.data, w, wn) != 0) {
			size_t at = first_diff(text.data, text.len, w, wn);
			if (bad++ < 3)
				fprintf(stderr, "  conversation %s: differs at %zu: "
				    "\"%.40s\" want \"%.40s\"\n", json_object_get_string(task),
				    at, text.data + at, w + at);
		}
		free(spans);
		if (tok) {
			/* ids equal encoding the whole rendered text with control
			 * tokens parsed, except where message text spells one */
			int injected = strstr(json_object_get_string(task), "edge-6") != NULL;
			ids.n = plain.n = 0;
			fw_buf_reset(&mask);
			CHECK_OK(fw_chat_encode(tok, t, msgs, &ids, &mask));
			CHECK_OK(fw_tokenizer_encode(tok, w, wn, FW_TOK_SPECIAL, &plain));
			CHECK(mask.len == ids.n);
			int same = ids.n == plain.n && memcmp(ids.v, plain.v,
			    ids.n * sizeof(uint32_t)) == 0;
			if (same == injected && bad_ids++ < 3)
				fprintf(stderr, "  conversation %s: chat ids %s plain ids\n",
				    json_object_get_string(task), same ? "equal" : "differ from");
			if (injected) {
				/* the message text's control strings stay text */
				CHECK_INT(count_id(&ids, im_start), 2);
				CHECK_INT(count_id(&ids, im_end), 2);
			}
			for (size_t i = 0; i < ids.n && i < mask.len; i++) {
				trained += mask.data[i];
				/* a turn's start is never learned; an end is learned
				 * only after the assistant */
				if (ids.v[i] == im_start)
					CHECK(mask.data[i] == 0);
			}
			total += ids.n;
		}
		convs++;
		json_object_put(o);
	}
	fprintf(stderr, "  chatml: %zu conversations, %zu differ from the reference; "
	    "%zu tokens, %zu trained, %zu id mismatches\n", convs, bad, total, trained,
	    bad_ids);
	CHECK(convs >= 200);
	CHECK_INT(bad, 0);
	CHECK_INT(bad_ids, 0);
	CHECK(tok == NULL || (trained > 0 && trained < total));
	fw_tokenizer_free(tok);
	fw_chat_template_free(t);
	fw_buf_release(&all);
	fw_buf_release(&text);
	fw_buf_release(&mask);
	fw_ids_release(&ids);
	fw_ids_release(&plain);
}

/* Llama 3.1's format, checked by hand against the chat template of
 * meta-llama/Llama-3.1-8B-Instruct (no tools, default date). */
void
test_chat_llama3(void)
{
	static const struct { const char *msgs, *want; } cases[] = {
		{ "[{\"role\":\"user\",\"content\":\" Hi \"},"
		  "{\"role\":\"assistant\",\"content\":\"Hello!\\n\"}]",
		  "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
		  "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
		  "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
		  "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>" },
		{ "[{\"role\":\"system\",\"content\":\"Be brief.\"},"
		  "{\"role\":\"user\",\"content\":\"Weather?\"},"
		  "{\"role\":\"assistant\",\"content\":\"ignored\",\"tool_calls\":[{\"type\":"
		  "\"function\",\"function\":{\"name\":\"get\",\"arguments\":{\"city\":\"Paris\","
		  "\"n\":2}}}]},{\"role\":\"tool\",\"content\":\"sunny\"},"
		  "{\"role\":\"assistant\",\"content\":\"Sunny.\"}]",
		  "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
		  "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
		  "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n"
		  "Weather?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
		  "{\"name\": \"get\", \"parameters\": {\"city\": \"Paris\", \"n\": 2}}"
		  "<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n\n\"sunny\""
		  "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
		  "Sunny.<|eot_id|>" },
	};
	fw_chat_template *t = NULL;

	CHECK_OK(fw_chat_template_open(&t, "llama3"));
	if (t == NULL)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct json_object *m = parse(cases[i].msgs);
		fw_buf text = FW_BUF_INIT;
		fw_span *spans = NULL;
		size_t n = 0, trained = 0;
		CHECK_OK(fw_chat_template_render(&spans, &n, t, m, &text));
		CHECK_STR(text.data, cases[i].want);
		/* trained: the assistant's text and its <|eot_id|>, nothing else */
		fw_buf got = FW_BUF_INIT;
		for (size_t k = 0; k < n; k++) {
			if (!(spans[k].flags & FW_SPAN_TRAIN))
				continue;
			fw_buf_add(&got, text.data + spans[k].off, spans[k].len);
			if (k + 1 == n || !(spans[k + 1].flags & FW_SPAN_TRAIN))
				fw_buf_addc(&got, '|');
			trained++;
		}
		if (i == 0)
			CHECK_STR(got.data, "Hello!<|eot_id|>|");
		else
			CHECK_STR(got.data, "{\"name\": \"get\", \"parameters\": {\"city\": "
			    "\"Paris\", \"n\": 2}}<|eot_id|>|Sunny.<|eot_id|>|");
		fw_buf_release(&got);
		fw_buf_release(&text);
		free(spans);
		json_object_put(m);
	}
	/* two tool calls in one turn: the Llama 3.1 template refuses them too */
	struct json_object *two = parse("[{\"role\":\"assistant\",\"tool_calls\":["
	    "{\"function\":{\"name\":\"a\",\"arguments\":{}}},"
	    "{\"function\":{\"name\":\"b\",\"arguments\":{}}}]}]");
	fw_buf text = FW_BUF_INIT;
	fw_span *spans = NULL;
	size_t n;
	CHECK_INT(fw_chat_template_render(&spans, &n, t, two, &text), FW_EINVALID);
	CHECK(strstr(fw_error_last(), "message 0: 2 tool calls") != NULL);
	json_object_put(two);
	fw_buf_release(&text);
	fw_chat_template_free(t);
}

void
test_chat_template_errors(void)
{
	static const struct { const char *yaml, *msg; } cases[] = {
		{ "name: x\nroles:\n  user: {prefix: a}\n", "roles user and assistant are required" },
		{ "name: x\nroles:\n  user: {}\n  assistant: {}\n  bot: {}\n", "x:5: unknown role 'bot'" },
		{ "roles:\n  user: {prefx: a}\n  assistant: {}\n", "x:2: unknown key 'prefx'" },
		{ "roles:\n  user: {trim: maybe}\n  assistant: {}\n", "x:2: 'trim' must be true or false" },
		{ "roles: [\n", "bad template x:2" },
		{ "roles:\n  user: {}\n  assistant: {max_tool_calls: -1}\n", "'max_tool_calls' must be a non-negative number" },
		{ "roles:\n  user: {always: true}\n  assistant: {}\n", "'always' belongs in system_first" },
	};
	fw_chat_template *t = NULL;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(fw_chat_template_parse(&t, cases[i].yaml, strlen(cases[i].yaml),
		    "x"), FW_EINVALID);
		CHECK_MSG(strstr(fw_error_last(), cases[i].msg) != NULL, "%s", fw_error_last());
		CHECK(t == NULL);
	}
	CHECK_INT(fw_chat_template_open(&t, "vicuna"), FW_ENOTFOUND);
	CHECK(strstr(fw_error_last(), "chatml, llama3") != NULL);
	CHECK_INT(fw_chat_template_open(&t, "/nonexistent/t.yaml"), FW_EIO);

	const char *y = "roles:\n  user: {prefix: \"U:\", suffix: \"\\n\"}\n"
	    "  assistant: {prefix: \"A:\", end: \"<e>\", suffix: \"\\n\"}\n";
	CHECK_OK(fw_chat_template_parse(&t, y, strlen(y), "mine"));
	struct json_object *m = parse("[{\"role\":\"user\",\"content\":\"q\"},"
	    "{\"role\":\"assistant\",\"content\":\"a\"},{\"role\":\"bot\",\"content\":\"?\"}]");
	fw_buf text = FW_BUF_INIT;
	fw_span *spans = NULL;
	size_t n;
	CHECK_INT(fw_chat_template_render(&spans, &n, t, m, &text), FW_EINVALID);
	CHECK_STR(fw_error_last(), "message 2: role 'bot' is not in template mine");
	json_object_array_del_idx(m, 2, 1);
	CHECK_OK(fw_chat_template_render(&spans, &n, t, m, &text));
	CHECK_STR(text.data, "U:q\nA:a<e>\n");
	free(spans);
	json_object_put(m);
	fw_buf_release(&text);
	fw_chat_template_free(t);
}

/* The mask on real ids: exactly the assistant's text and its end token. */
void
test_chat_mask(void)
{
	char path[4096];
	fw_tokenizer *tok = NULL;
	fw_chat_template *t = NULL;
	fw_ids ids = FW_IDS_INIT, sel = FW_IDS_INIT;
	fw_buf mask = FW_BUF_INIT, got = FW_BUF_INIT;

	if (t_data_dir() == NULL) {
		fprintf(stderr, "  skip: no shared data for test_chat_mask\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/tokenizers/qwen3/tokenizer.json", t_data_dir());
	CHECK_OK(fw_tokenizer_load(&tok, path));
	CHECK_OK(fw_chat_template_open(&t, "chatml"));
	if (tok == NULL || t == NULL)
		goto done;
	struct json_object *m = parse("[{\"role\":\"user\",\"content\":\"Hi\"},"
	    "{\"role\":\"assistant\",\"content\":\"Sure.\",\"tool_calls\":[{\"function\":"
	    "{\"name\":\"f\",\"arguments\":{\"x\":1}}}]},{\"role\":\"tool\",\"content\":\"ok\"},"
	    "{\"role\":\"assistant\",\"content\":\"Done.\"}]");
	CHECK_OK(fw_chat_encode(tok, t, m, &ids, &mask));
	CHECK_INT(mask.len, ids.n);
	for (size_t i = 0; i < ids.n; i++) {
		if (mask.data[i])
			fw_ids_push(&sel, ids.v[i]);
		if (mask.data[i] && (i + 1 == ids.n || !mask.data[i + 1]))
			fw_ids_push(&sel, 0);	/* "!" marks the end of a run */
	}
	CHECK_OK(fw_tokenizer_decode(tok, sel.v, sel.n, &got));
	CHECK_STR(got.data, "Sure.\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}"
	    "\n</tool_call><|im_end|>!<think>\n\n</think>\n\nDone.<|im_end|>!");
	json_object_put(m);
done:
	fw_ids_release(&ids);
	fw_ids_release(&sel);
	fw_buf_release(&mask);
	fw_buf_release(&got);
	fw_chat_template_free(t);
	fw_tokenizer_free(tok);
}
