/*
 * Rendering a message list with a chat template into text and spans, and
 * encoding it. The rules follow the Jinja chat templates the built-ins stand
 * for (Qwen 3's, Llama 3.1's); each choice is named where it is made.
 */
#include "chat_template.h"
#include "fw/error.h"
#include "fw/json.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

struct out {
	fw_buf *text;
	fw_span *v;
	size_t n, cap;
};

static int
emit(struct out *o, const char *s, size_t n, unsigned flags)
{
	int rc;

	if (n == 0)
		return 0;
	if (o->n && o->v[o->n - 1].flags == flags) {
		o->v[o->n - 1].len += n;
	} else {
		if (o->n == o->cap) {
			size_t cap = o->cap ? o->cap * 2 : 32;
			fw_span *v = realloc(o->v, cap * sizeof(*v));
			if (v == NULL)
				return fw_error_set(FW_ENOMEM, "out of memory");
			o->v = v;
			o->cap = cap;
		}
		o->v[o->n].off = o->text->len;
		o->v[o->n].len = n;
		o->v[o->n].flags = flags;
		o->n++;
	}
	if ((rc = fw_buf_add(o->text, s, n)) < 0)
		return rc;
	return 0;
}

static int
emit_str(struct out *o, const char *s, unsigned flags)
{
	return emit(o, s, strlen(s), flags);
}

/*
 * Python's json.dumps(v, ensure_ascii=False), which is what transformers'
 * tojson filter calls (and what @huggingface/jinja imitates): ", " and ": "
 * separators, keys in their order, only '"', '\\' and control characters
 * escaped. Written by hand: json-c prints neither these separators nor
 * unescaped '/'. Numbers keep their text as fw parsed it.
 */
static int
tojson(fw_buf *b, struct json_object *v, int depth)
{
	int rc = 0, first = 1;

	if (depth > FW_JSON_MAX_DEPTH)
		return fw_error_set(FW_EINVALID, "JSON nested too deep");
	switch (json_object_get_type(v)) {
	case json_type_null:
		return fw_buf_adds(b, "null");
	case json_type_boolean:
		return fw_buf_adds(b, json_object_get_boolean(v) ? "true" : "false");
	case json_type_int:
	case json_type_double:
		return fw_buf_adds(b, fw_json_number_text(v));
	case json_type_string: {
		const unsigned char *s = (const unsigned char *)json_object_get_string(v);
		size_t n = (size_t)json_object_get_string_len(v);
		if ((rc = fw_buf_addc(b, '"')) < 0)
			return rc;
		for (size_t i = 0; i < n && rc == 0; i++) {
			unsigned c = s[i];
			switch (c) {
			case '"': rc = fw_buf_adds(b, "\\\""); break;
			case '\\': rc = fw_buf_adds(b, "\\\\"); break;
			case '\n': rc = fw_buf_adds(b, "\\n"); break;
			case '\r': rc = fw_buf_adds(b, "\\r"); break;
			case '\t': rc = fw_buf_adds(b, "\\t"); break;
			case '\b': rc = fw_buf_adds(b, "\\b"); break;
			case '\f': rc = fw_buf_adds(b, "\\f"); break;
			default:
				rc = c < 0x20 ? fw_buf_printf(b, "\\u%04x", c) :
				    fw_buf_addc(b, (char)c);
			}
		}
		return rc < 0 ? rc : fw_buf_addc(b, '"');
	}
	case json_type_array:
		if ((rc = fw_buf_addc(b, '[')) < 0)
			return rc;
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			if ((i && (rc = fw_buf_adds(b, ", ")) < 0) ||
			    (rc = tojson(b, json_object_array_get_idx(v, i), depth + 1)) < 0)
				return rc;
		}
		return fw_buf_addc(b, ']');
	case json_type_object:
		if ((rc = fw_buf_addc(b, '{')) < 0)
			return rc;
		json_object_object_foreach(v, key, val) {
			struct json_object *k = json_object_new_string(key);
			if (k == NULL)
				return fw_error_set(FW_ENOMEM, "out of memory");
			if (!first)
				rc = fw_buf_adds(b, ", ");
			if (rc == 0)
				rc = tojson(b, k, depth + 1);
			json_object_put(k);
			if (rc < 0 || (rc = fw_buf_adds(b, ": ")) < 0 ||
			    (rc = tojson(b, val, depth + 1)) < 0)
				return rc;
			first = 0;
		}
		return fw_buf_addc(b, '}');
	}
	return 0;
}

/* Python's str.strip() white space (what Jinja's trim removes). */
static int
py_space(const char *s, size_t n, size_t at, size_t *len)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + at,
	    (utf8proc_ssize_t)(n - at), &cp);

	if (k <= 0)
		return 0;
	*len = (size_t)k;
	if ((cp >= 9 && cp <= 13) || (cp >= 0x1c && cp <= 0x20) || cp == 0x85)
		return 1;
	int c = utf8proc_get_property(cp)->category;
	return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL ||
	    c == UTF8PROC_CATEGORY_ZP;
}

static void
trim(const char **s, size_t *n)
{
	size_t k;

	while (*n && py_space(*s, *n, 0, &k)) {
		*s += k;
		*n -= k;
	}
	/* back up to the last character's start and test it */
	while (*n) {
		size_t at = *n - 1;
		while (at > 0 && ((unsigned char)(*s)[at] & 0xc0) == 0x80)
			at--;
		if (!py_space(*s, *n, at, &k))
			break;
		*n = at;
	}
}

static void
strip_nl(const char **s, size_t *n, int left, int right)
{
	while (left && *n && **s == '\n') {
		(*s)++;
		(*n)--;
	}
	while (right && *n && (*s)[*n - 1] == '\n')
		(*n)--;
}

static int
msg_content(struct json_object *m, size_t i, const char **s, size_t *n)
{
	struct json_object *c;

	/* null or absent content is "" (a turn that only calls tools) */
	if (!json_object_object_get_ex(m, "content", &c) ||
	    json_object_is_type(c, json_type_null)) {
		*s = "";
		*n = 0;
		return 0;
	}
	if (!json_object_is_type(c, json_type_string))
		return fw_error_set(FW_EINVALID, "message %zu: content is not a string", i);
	*s = json_object_get_string(c);
	*n = (size_t)json_object_get_string_len(c);
	return 0;
}

static const char *
msg_role(struct json_object *m)
{
	struct json_object *r;

	if (!json_object_is_type(m, json_type_object) ||
	    !json_object_object_get_ex(m, "role", &r) ||
	    !json_object_is_type(r, json_type_string))
		return NULL;
	return json_object_get_string(r);
}

static struct json_object *
tool_calls(struct json_object *m)
{
	struct json_object *c;

	if (!json_object_object_get_ex(m, "tool_calls", &c) ||
	    !json_object_is_type(c, json_type_array) || json_object_array_length(c) == 0)
		return NULL;
	return c;
}

/* Writes fmt with {{name}}-style fields taken from vars (NULL-terminated
 * name/value pairs); the literal text is the template's own (CONTROL). */
static int
emit_fmt(struct out *o, const char *fmt, unsigned flags, const char *const *vars,
    const size_t *lens)
{
	const char *p = fmt;
	int rc;

	while (*p) {
		const char *open = strstr(p, "{{"), *close;
		size_t k = 0;
		if (open == NULL || (close = strstr(open + 2, "}}")) == NULL)
			return emit_str(o, p, flags | FW_SPAN_CONTROL);
		for (; vars[2 * k]; k++)
			if (strlen(vars[2 * k]) == (size_t)(close - open - 2) &&
			    memcmp(vars[2 * k], open + 2, (size_t)(close - open - 2)) == 0)
				break;
		if (vars[2 * k] == NULL) {
			if ((rc = emit(o, p, (size_t)(open + 2 - p), flags | FW_SPAN_CONTROL)) < 0)
				return rc;
			p = open + 2;
			continue;
		}
		if ((rc = emit(o, p, (size_t)(open - p), flags | FW_SPAN_CONTROL)) < 0 ||
		    (rc = emit(o, vars[2 * k + 1], lens[k], flags)) < 0)
			return rc;
		p = close + 2;
	}
	return 0;
}

static int
emit_call(struct out *o, const struct chat_role *r, struct json_object *call,
    size_t i, unsigned flags)
{
	struct json_object *f = call, *name, *args;
	fw_buf a = FW_BUF_INIT;
	int rc;

	/* {"function": {"name", "arguments"}} (OpenAI) or {"name", "arguments"} */
	if (json_object_object_get_ex(call, "function", &f) == 0)
		f = call;
	if (!json_object_object_get_ex(f, "name", &name) ||
	    !json_object_is_type(name, json_type_string))
		return fw_error_set(FW_EINVALID, "message %zu: a tool call has no name", i);
	if (!json_object_object_get_ex(f, "arguments", &args))
		args = NULL;
	if (r->args == ARGS_AUTO && json_object_is_type(args, json_type_string))
		rc = fw_buf_add(&a, json_object_get_string(args),
		    (size_t)json_object_get_string_len(args));
	else
		rc = tojson(&a, args, 0);
	if (rc == 0) {
		const char *vars[] = { "name", json_object_get_string(name),
		    "arguments", a.data ? a.data : "", NULL };
		size_t lens[] = { (size_t)json_object_get_string_len(name), a.len };
		rc = emit_fmt(o, r->tool_call, flags, vars, lens);
	}
	fw_buf_release(&a);
	return rc;
}

/* Qwen 3's index of the last real user query (a user message that is not a
 * wrapped tool response); the message count less one when there is none. */
static size_t
last_query(const struct chat_role *r, struct json_object *msgs, size_t n)
{
	size_t lp = strlen(r->not_query_prefix), ls = strlen(r->not_query_suffix);

	for (size_t i = n; i-- > 0;) {
		struct json_object *m = json_object_array_get_idx(msgs, i);
		const char *role = msg_role(m), *s;
		size_t len;
		if (role == NULL || strcmp(role, "user") != 0 || msg_content(m, i, &s, &len) < 0)
			continue;
		if ((lp || ls) && len >= lp && len >= ls && strncmp(s, r->not_query_prefix, lp) == 0 &&
		    memcmp(s + len - ls, r->not_query_suffix, ls) == 0)
			continue;
		return i;
	}
	return n ? n - 1 : 0;
}

static int
emit_assistant(struct out *o, const struct chat_role *r, struct json_object *m,
    size_t i, size_t n, size_t lastq)
{
	unsigned tf = r->train ? FW_SPAN_TRAIN : 0;
	struct json_object *calls = tool_calls(m), *rc_field;
	const char *content, *reason = "";
	size_t clen, rlen = 0, ncalls = calls ? json_object_array_length(calls) : 0;
	int rc;

	if ((rc = msg_content(m, i, &content, &clen)) < 0)
		return rc;
	if (r->max_tool_calls && ncalls > (size_t)r->max_tool_calls)
		return fw_error_set(FW_EINVALID, "message %zu: %zu tool calls, the "
		    "template allows %ld", i, ncalls, r->max_tool_calls);
	if (*r->think_close) {
		const char *cl = r->think_close, *op = r->think_open;
		if (json_object_object_get_ex(m, "reasoning_content", &rc_field) &&
		    json_object_is_type(rc_field, json_type_string)) {
			reason = json_object_get_string(rc_field);
			rlen = (size_t)json_object_get_string_len(rc_field);
		} else if (memmem(content, clen, cl, strlen(cl))) {
			/* content.split(close)[0].rstrip('\n').split(open)[-1].lstrip('\n') */
			const char *first = memmem(content, clen, cl, strlen(cl)), *last = first, *h;
			reason = content;
			rlen = (size_t)(first - content);
			strip_nl(&reason, &rlen, 0, 1);
			while (*op && (h = memmem(reason, rlen, op, strlen(op))) != NULL) {
				rlen -= (size_t)(h + strlen(op) - reason);
				reason = h + strlen(op);
			}
			strip_nl(&reason, &rlen, 1, 0);
			/* content.split(close)[-1].lstrip('\n') */
			while ((h = memmem(last + strlen(cl), clen - (size_t)(last + strlen(cl) - content),
			    cl, strlen(cl))) != NULL)
				last = h;
			clen -= (size_t)(last + strlen(cl) - content);
			content = last + strlen(cl);
			strip_nl(&content, &clen, 1, 0);
		}
	}
	if (r->trim)
		trim(&content, &clen);
	if ((rc = emit_str(o, r->prefix, FW_SPAN_CONTROL)) < 0)
		return rc;
	int has_content = clen > 0;
	if (calls && r->calls_replace_content) {
		has_content = 0;
	} else if (*r->think_format && i > lastq && (i == n - 1 || rlen > 0)) {
		const char *c2 = content;
		size_t c2len = clen;
		strip_nl(&reason, &rlen, 1, 1);
		strip_nl(&c2, &c2len, 1, 0);
		const char *vars[] = { "reasoning", reason, NULL };
		if ((rc = emit_fmt(o, r->think_format, tf, vars, &rlen)) < 0 ||
		    (rc = emit(o, c2, c2len, tf)) < 0)
			return rc;
	} else if ((rc = emit(o, content, clen, tf)) < 0) {
		return rc;
	}
	for (size_t k = 0; k < ncalls; k++) {
		if ((k > 0 || has_content) && (rc = emit_str(o, r->join, tf | FW_SPAN_CONTROL)) < 0)
			return rc;
		if ((rc = emit_call(o, r, json_object_array_get_idx(calls, k), i, tf)) < 0)
			return rc;
	}
	if ((rc = emit_str(o, r->end, tf | FW_SPAN_CONTROL)) < 0 ||
	    (rc = emit_str(o, r->suffix, FW_SPAN_CONTROL)) < 0)
		return rc;
	return 0;
}

static int
emit_plain(struct out *o, const struct chat_role *r, struct json_object *m, size_t i)
{
	unsigned tf = r->train ? FW_SPAN_TRAIN : 0;
	struct json_object *c;
	const char *s;
	size_t len;
	fw_buf j = FW_BUF_INIT;
	int rc;

	if ((rc = emit_str(o, r->prefix, FW_SPAN_CONTROL)) < 0)
		return rc;
	if (r->content_json && json_object_object_get_ex(m, "content", &c)) {
		/* Llama 3.1 writes a tool result with tojson, strings included */
		if ((rc = tojson(&j, c, 0)) == 0)
			rc = emit(o, j.data, j.len, tf);
		fw_buf_release(&j);
	} else if ((rc = msg_content(m, i, &s, &len)) == 0) {
		if (r->trim)
			trim(&s, &len);
		rc = emit(o, s, len, tf);
	}
	if (rc < 0 || (rc = emit_str(o, r->end, tf | FW_SPAN_CONTROL)) < 0 ||
	    (rc = emit_str(o, r->suffix, FW_SPAN_CONTROL)) < 0)
		return rc;
	return 0;
}

int
fw_chat_template_render(fw_span **spans, size_t *nspans,
    const fw_chat_template *t, struct json_object *msgs, fw_buf *text)
{
	struct out o = { text, NULL, 0, 0 };
	size_t n, start = 0, lastq;
	int rc;

	*spans = NULL;
	*nspans = 0;
	if (!json_object_is_type(msgs, json_type_array))
		return fw_error_set(FW_EINVALID, "messages must be a JSON array");
	n = json_object_array_length(msgs);
	for (size_t i = 0; i < n; i++) {
		const char *role = msg_role(json_object_array_get_idx(msgs, i));
		if (role == NULL)
			return fw_error_set(FW_EINVALID, "message %zu has no role", i);
		int idx = chat_role_index(role);
		if (idx < 0 || !t->role[idx].present)
			return fw_error_set(FW_EINVALID, "message %zu: role '%s' is not in "
			    "template %s", i, role, t->name);
	}
	lastq = last_query(&t->role[ROLE_ASSISTANT], msgs, n);
	if ((rc = emit_str(&o, t->begin, FW_SPAN_CONTROL)) < 0)
		goto done;
	if (t->system_first.present) {
		struct json_object *m0 = n ? json_object_array_get_idx(msgs, 0) : NULL;
		if (m0 && strcmp(msg_role(m0), "system") == 0) {
			if ((rc = emit_plain(&o, &t->system_first, m0, 0)) < 0)
				goto done;
			start = 1;
		} else if (t->system_always) {
			struct json_object *empty = json_object_new_object();
			rc = empty ? emit_plain(&o, &t->system_first, empty, 0) :
			    fw_error_set(FW_ENOMEM, "out of memory");
			json_object_put(empty);
			if (rc < 0)
				goto done;
		}
	}
	for (size_t i = start; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(msgs, i);
		int idx = chat_role_index(msg_role(m));
		const struct chat_role *r = &t->role[idx];
		int grouped = *r->group_prefix || *r->group_suffix;
		int first_of_run = i == 0 ||
		    strcmp(msg_role(json_object_array_get_idx(msgs, i - 1)), msg_role(m)) != 0;
		int last_of_run = i + 1 == n ||
		    strcmp(msg_role(json_object_array_get_idx(msgs, i + 1)), msg_role(m)) != 0;
		if (grouped && first_of_run &&
		    (rc = emit_str(&o, r->group_prefix, FW_SPAN_CONTROL)) < 0)
			goto done;
		rc = idx == ROLE_ASSISTANT ? emit_assistant(&o, r, m, i, n, lastq) :
		    emit_plain(&o, r, m, i);
		if (rc < 0)
			goto done;
		if (grouped && last_of_run &&
		    (rc = emit_str(&o, r->group_suffix, FW_SPAN_CONTROL)) < 0)
			goto done;
	}
	*spans = o.v;
	*nspans = o.n;
	o.v = NULL;
	rc = 0;
done:
	free(o.v);
	return rc;
}

int
fw_chat_encode(fw_tokenizer *tok, const fw_chat_template *t,
    struct json_object *messages, fw_ids *ids, fw_buf *mask)
{
	fw_buf text = FW_BUF_INIT;
	fw_span *spans = NULL;
	size_t n = 0;
	int rc;

	if ((rc = fw_chat_template_render(&spans, &n, t, messages, &text)) == 0) {
		/* spans are offsets into text from its start */
		rc = fw_tokenizer_encode_spans(tok, text.data ? text.data : "", text.len,
		    spans, n, ids, mask);
	}
	free(spans);
	fw_buf_release(&text);
	return rc;
}
