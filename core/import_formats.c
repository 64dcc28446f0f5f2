/*
 * The mapping of each input format to fw's unified record schema. The rules
 * (and why) are in docs/schema.md; this file follows them.
 */
#include "import_int.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/objstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
fw_imp_type_name(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_int:
	case json_type_double: return "a number";
	case json_type_string: return "a string";
	case json_type_array: return "an array";
	case json_type_object: return "an object";
	}
	return "unknown";
}

int
fw_imp_bad(int code, const char *name, size_t line)
{
	return fw_error_wrap(code, "bad record at %s:%zu", name, line);
}

int
fw_imp_check_id(struct json_object *rec)
{
	struct json_object *id;

	if (!json_object_object_get_ex(rec, "id", &id))
		return fw_error_set(FW_EINVALID, "no \"id\"");
	if (!json_object_is_type(id, json_type_string))
		return fw_error_set(FW_EINVALID,
		    "\"id\" is %s, must be a non-empty string", fw_imp_type_name(id));
	if (json_object_get_string_len(id) == 0)
		return fw_error_set(FW_EINVALID, "\"id\" is an empty string");
	if (!fw_utf8_valid(json_object_get_string(id),
	    (size_t)json_object_get_string_len(id)))
		return fw_error_set(FW_EINVALID,
		    "\"id\" is not valid UTF-8 (a lone surrogate escape?)");
	return 0;
}

void
fw_imp_sha256_hex(char out[65], const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];

	fw_sha256(md, p, n);
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = 0;
}

static int
add(struct json_object *o, const char *k, struct json_object *v)
{
	if (v == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	if (json_object_object_add(o, k, v) != 0) {
		json_object_put(v);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	return 0;
}

/* Adds a borrowed value (NULL is JSON null), taking a reference. */
static int
add_ref(struct json_object *o, const char *k, struct json_object *v)
{
	if (json_object_object_add(o, k, json_object_get(v)) != 0) {
		json_object_put(v);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	return 0;
}

static int
add_str(struct json_object *o, const char *k, const char *s, size_t n)
{
	return add(o, k, json_object_new_string_len(s, (int)n));
}

/* Copies every key of from, except those in skip (NULL-terminated), into to;
 * a key that to holds already is an error: the mapping never drops input. */
static int
copy_rest(struct json_object *to, struct json_object *from, const char *const *skip)
{
	json_object_object_foreach(from, k, v) {
		int skipped = 0;
		for (size_t i = 0; skip[i]; i++)
			if (strcmp(k, skip[i]) == 0)
				skipped = 1;
		if (skipped)
			continue;
		if (json_object_object_get_ex(to, k, NULL))
			return fw_error_set(FW_EINVALID,
			    "input field \"%s\" collides with the mapped field of that name", k);
		if (add_ref(to, k, v) < 0)
			return FW_ENOMEM;
	}
	return 0;
}

/* --- jsonl --- */

static int
jsonl_record(struct json_object *rec)
{
	fw_buf b = FW_BUF_INIT;
	char hex[65];
	int rc;

	if (json_object_object_get_ex(rec, "id", NULL))
		return fw_imp_check_id(rec);
	if ((rc = fw_json_canon(&b, rec)) < 0)
		goto done;
	fw_imp_sha256_hex(hex, b.data, b.len);
	rc = add_str(rec, "id", hex, 64);
done:
	fw_buf_release(&b);
	return rc;
}

/* --- hh-rlhf --- */

int
fw_imp_is_hh_pair(struct json_object *v)
{
	struct json_object *c, *r;

	return json_object_is_type(v, json_type_object) &&
	    json_object_object_length(v) == 2 &&
	    json_object_object_get_ex(v, "chosen", &c) &&
	    json_object_object_get_ex(v, "rejected", &r) &&
	    json_object_is_type(c, json_type_string) &&
	    json_object_is_type(r, json_type_string);
}

struct turn {
	int assistant;
	const char *s;
	size_t n;
};

struct turns {
	struct turn *v;
	size_t n, cap;
	int lead;	/* text before the first marker (kept as a user turn) */
};

/* Finds the next "\n\nHuman:" or "\n\nAssistant:" at or after p. */
static const char *
hh_marker(const char *p, const char *end, int *assistant, size_t *mlen)
{
	while (p < end && (p = memmem(p, (size_t)(end - p), "\n\n", 2)) != NULL) {
		size_t left = (size_t)(end - p);
		if (left >= 8 && memcmp(p, "\n\nHuman:", 8) == 0) {
			*assistant = 0;
			*mlen = 8;
			return p;
		}
		if (left >= 12 && memcmp(p, "\n\nAssistant:", 12) == 0) {
			*assistant = 1;
			*mlen = 12;
			return p;
		}
		p++;
	}
	return NULL;
}

static int
turns_push(struct turns *t, int assistant, const char *s, size_t n)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct turn *v = realloc(t->v, cap * sizeof(*v));
		if (v == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		t->v = v;
		t->cap = cap;
	}
	/* "Human: text": the one space after the colon is the marker's. */
	if (n && s[0] == ' ') {
		s++;
		n--;
	}
	t->v[t->n++] = (struct turn){ assistant, s, n };
	return 0;
}

static int
hh_parse(struct turns *t, const char *s, size_t n)
{
	const char *end = s + n, *p = s, *m;
	int asst = 0, next_asst;
	size_t mlen, next_mlen;

	/* Copies of the data set that were stripped start with "Human:". */
	if (n >= 6 && memcmp(s, "Human:", 6) == 0) {
		m = s;
		asst = 0;
		mlen = 6;
	} else if (n >= 10 && memcmp(s, "Assistant:", 10) == 0) {
		m = s;
		asst = 1;
		mlen = 10;
	} else
		m = hh_marker(p, end, &asst, &mlen);
	if (m != p) {
		/* Text before any marker: keep it as a user turn. */
		t->lead = 1;
		if (turns_push(t, 0, p, (size_t)((m ? m : end) - p)) < 0)
			return FW_ENOMEM;
		if (m == NULL)
			return 0;
	}
	while (m) {
		const char *body = m + mlen;
		const char *nm = hh_marker(body, end, &next_asst, &next_mlen);
		if (turns_push(t, asst, body, (size_t)((nm ? nm : end) - body)) < 0)
			return FW_ENOMEM;
		m = nm;
		asst = next_asst;
		mlen = next_mlen;
	}
	return 0;
}

static int
turn_eq(const struct turn *a, const struct turn *b)
{
	return a->assistant == b->assistant && a->n == b->n &&
	    memcmp(a->s, b->s, a->n) == 0;
}

static int
hh_messages(struct json_object **out, const struct turn *v, size_t n)
{
	struct json_object *a = json_object_new_array_ext((int)n), *m;

	*out = NULL;
	if (a == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if ((m = json_object_new_object()) == NULL ||
		    json_object_array_add(a, m) != 0) {
			json_object_put(m);
			json_object_put(a);
			return fw_error_set(FW_ENOMEM, "out of memory");
		}
		if (add(m, "role", json_object_new_string(v[i].assistant ?
		    "assistant" : "user")) < 0 ||
		    add_str(m, "content", v[i].s, v[i].n) < 0) {
			json_object_put(a);
			return FW_ENOMEM;
		}
	}
	*out = a;
	return 0;
}

static int
hh_record(struct json_object **out, struct json_object *line)
{
	static const char *const skip[] = { "chosen", "rejected", NULL };
	struct json_object *c, *r, *rec = NULL, *msgs;
	struct turns tc = { 0 }, tr = { 0 };
	fw_buf canon = FW_BUF_INIT;
	size_t i = 0, k;
	int rc = 0, clean;
	char hex[65];

	*out = NULL;
	if (!json_object_object_get_ex(line, "chosen", &c))
		return fw_error_set(FW_EINVALID, "no \"chosen\"");
	if (!json_object_object_get_ex(line, "rejected", &r))
		return fw_error_set(FW_EINVALID, "no \"rejected\"");
	if (!json_object_is_type(c, json_type_string))
		return fw_error_set(FW_EINVALID, "\"chosen\" is %s, must be a string",
		    fw_imp_type_name(c));
	if (!json_object_is_type(r, json_type_string))
		return fw_error_set(FW_EINVALID, "\"rejected\" is %s, must be a string",
		    fw_imp_type_name(r));
	if ((rc = hh_parse(&tc, json_object_get_string(c),
	    (size_t)json_object_get_string_len(c))) < 0 ||
	    (rc = hh_parse(&tr, json_object_get_string(r),
	    (size_t)json_object_get_string_len(r))) < 0)
		goto done;

	/* As TRL's hh-rlhf script: the prompt is the longest common run of
	 * turns; chosen and rejected are what follows. The split moves back
	 * until both completions start with an assistant turn. */
	while (i < tc.n && i < tr.n && turn_eq(&tc.v[i], &tr.v[i]))
		i++;
	k = i;
	while (k > 0 && !(k < tc.n && k < tr.n && tc.v[k].assistant &&
	    tr.v[k].assistant))
		k--;
	clean = !tc.lead && !tr.lead && k == i && k > 0 &&
	    tc.n == k + 1 && tr.n == k + 1 && tc.v[k].assistant && tr.v[k].assistant;

	if ((rec = json_object_new_object()) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	if (json_object_object_get_ex(line, "id", NULL)) {
		if ((rc = fw_imp_check_id(line)) < 0)
			goto done;
	} else {
		if ((rc = fw_buf_adds(&canon, "{\"chosen\":")) < 0 ||
		    (rc = fw_json_quote(&canon, json_object_get_string(c),
		    (size_t)json_object_get_string_len(c))) < 0 ||
		    (rc = fw_buf_adds(&canon, ",\"rejected\":")) < 0 ||
		    (rc = fw_json_quote(&canon, json_object_get_string(r),
		    (size_t)json_object_get_string_len(r))) < 0 ||
		    (rc = fw_buf_addc(&canon, '}')) < 0)
			goto done;
		fw_imp_sha256_hex(hex, canon.data, canon.len);
		fw_buf_reset(&canon);
		if ((rc = fw_buf_printf(&canon, "hh-rlhf/%.32s", hex)) < 0 ||
		    (rc = add_str(rec, "id", canon.data, canon.len)) < 0)
			goto done;
	}
	if ((rc = add(rec, "source", json_object_new_string("hh-rlhf"))) < 0)
		goto done;
	if ((rc = hh_messages(&msgs, tc.v, k)) < 0 ||
	    (rc = add(rec, "prompt", msgs)) < 0 ||
	    (rc = hh_messages(&msgs, tc.v + k, tc.n - k)) < 0 ||
	    (rc = add(rec, "chosen", msgs)) < 0 ||
	    (rc = hh_messages(&msgs, tr.v + k, tr.n - k)) < 0 ||
	    (rc = add(rec, "rejected", msgs)) < 0)
		goto done;
	if (!clean) {
		struct json_object *tags = json_object_new_array();
		if ((rc = add(rec, "tags", tags)) < 0)
			goto done;
		if (json_object_array_add(tags,
		    json_object_new_string("hh-rlhf:unclean-split")) != 0) {
			rc = fw_error_set(FW_ENOMEM, "out of memory");
			goto done;
		}
	}
	if ((rc = copy_rest(rec, line, skip)) < 0)
		goto done;
	*out = rec;
	rec = NULL;
done:
	json_object_put(rec);
	free(tc.v);
	free(tr.v);
	fw_buf_release(&canon);
	if (rc == FW_ENOMEM)
		fw_error_set(FW_ENOMEM, "out of memory");
	return rc;
}

int
fw_imp_line_record(struct json_object **rec, fw_format f)
{
	struct json_object *out = NULL;
	int rc;

	if (!json_object_is_type(*rec, json_type_object)) {
		rc = fw_error_set(FW_EINVALID, "a record must be a JSON object, not %s",
		    fw_imp_type_name(*rec));
		goto fail;
	}
	if (f == FW_FORMAT_HH_RLHF) {
		if ((rc = hh_record(&out, *rec)) < 0)
			goto fail;
		json_object_put(*rec);
		*rec = out;
		return 0;
	}
	if ((rc = jsonl_record(*rec)) < 0)
		goto fail;
	return 0;
fail:
	json_object_put(*rec);
	*rec = NULL;
	return rc;
}

/* --- whole-file formats --- */

/* The line of the byte that fw_json_parse's message names ("at byte N"),
 * counted in text; 1 when the message names none. */
static size_t
line_of_parse_error(const char *text, size_t len)
{
	const char *m = strstr(fw_error_last(), "at byte ");
	size_t at, line = 1;

	if (m == NULL || sscanf(m + 8, "%zu", &at) != 1)
		return 1;
	for (size_t i = 0; i + 1 < at && i < len; i++)
		line += text[i] == '\n';
	return line;
}

static size_t
count_lines(const char *p, const char *end)
{
	size_t n = 0;

	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* The end of the JSON value starting at p: balanced brackets outside
 * strings. Only finds the extent; fw_json_parse judges the bytes. */
static const char *
value_end(const char *p, const char *end)
{
	int depth = 0, in_str = 0;

	for (; p < end; p++) {
		char c = *p;
		if (in_str) {
			if (c == '\\')
				p++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '[' || c == '{')
			depth++;
		else if (c == ']' || c == '}') {
			if (depth == 0)
				return p;
			depth--;
		} else if (c == ',' && depth == 0)
			return p;
	}
	return end;
}

static const char *
skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int
num_text(fw_buf *b, struct json_object *v, const char *what)
{
	if (json_object_is_type(v, json_type_int) ||
	    json_object_is_type(v, json_type_double))
		return fw_buf_adds(b, fw_json_number_text(v));
	if (json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0 &&
	    memchr(json_object_get_string(v), '/', (size_t)json_object_get_string_len(v)) == NULL)
		return fw_buf_adds(b, json_object_get_string(v));
	return fw_error_set(FW_EINVALID, "\"%s\" is %s, must be a number or a "
	    "non-empty string without '/'", what, fw_imp_type_name(v));
}

static const char *
tau_domain_of(struct json_object *info)
{
	static const char *const keys[] = { "domain", "env", "env_name", NULL };
	struct json_object *v;

	for (int pass = 0; pass < 2; pass++) {
		struct json_object *o = info;
		if (pass == 1 && !json_object_object_get_ex(info, "task", &o))
			break;
		for (size_t i = 0; keys[i]; i++)
			if (json_object_is_type(o, json_type_object) &&
			    json_object_object_get_ex(o, keys[i], &v) &&
			    json_object_is_type(v, json_type_string) &&
			    json_object_get_string_len(v) > 0 &&
			    strchr(json_object_get_string(v), '/') == NULL)
				return json_object_get_string(v);
	}
	return NULL;
}

static int
tau_record(struct json_object **out, struct json_object *el, const char *stem)
{
	static const char *const skip[] = { "traj", "info", "reward", NULL };
	struct json_object *rec = NULL, *traj, *info = NULL, *v, *rest = NULL;
	const char *dom = NULL, *dash;
	fw_buf id = FW_BUF_INIT;
	int rc = 0;

	*out = NULL;
	if (!json_object_is_type(el, json_type_object))
		return fw_error_set(FW_EINVALID,
		    "array element is %s, must be an object", fw_imp_type_name(el));
	if (!json_object_object_get_ex(el, "traj", &traj))
		return fw_error_set(FW_EINVALID, "no \"traj\"");
	if (!json_object_is_type(traj, json_type_array))
		return fw_error_set(FW_EINVALID, "\"traj\" is %s, must be an array",
		    fw_imp_type_name(traj));
	if (json_object_object_get_ex(el, "info", &info) &&
	    !json_object_is_type(info, json_type_object))
		return fw_error_set(FW_EINVALID, "\"info\" is %s, must be an object",
		    fw_imp_type_name(info));
	if (json_object_object_get_ex(el, "reward", &v) &&
	    !json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double) &&
	    !json_object_is_type(v, json_type_null))
		return fw_error_set(FW_EINVALID, "\"reward\" is %s, must be a number",
		    fw_imp_type_name(v));
	if (info)
		dom = tau_domain_of(info);

	if ((rc = fw_buf_printf(&id, "tau-bench/%s/", dom ? dom : stem)) < 0)
		goto done;
	if (!json_object_object_get_ex(el, "task_id", &v)) {
		rc = fw_error_set(FW_EINVALID, "no \"task_id\"");
		goto done;
	}
	if ((rc = num_text(&id, v, "task_id")) < 0 || (rc = fw_buf_addc(&id, '/')) < 0)
		goto done;
	if (!json_object_object_get_ex(el, "trial", &v)) {
		rc = fw_error_set(FW_EINVALID, "no \"trial\"");
		goto done;
	}
	if ((rc = num_text(&id, v, "trial")) < 0)
		goto done;

	if ((rec = json_object_new_object()) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = add_str(rec, "id", id.data, id.len)) < 0 ||
	    (rc = add(rec, "source", json_object_new_string("tau-bench"))) < 0)
		goto done;
	/* The domain: from info, else from tau-bench's file naming
	 * (historical_trajectories/<model>-<domain>.json). */
	if (dom == NULL && (dash = strrchr(stem, '-')) != NULL &&
	    (strcmp(dash + 1, "airline") == 0 || strcmp(dash + 1, "retail") == 0))
		dom = dash + 1;
	if (dom && (rc = add(rec, "domain", json_object_new_string(dom))) < 0)
		goto done;
	if (info && json_object_object_get_ex(info, "task", &v) &&
	    (rc = add_ref(rec, "task", v)) < 0)
		goto done;
	if ((rc = add_ref(rec, "messages", traj)) < 0)
		goto done;
	if (json_object_object_get_ex(el, "reward", &v) &&
	    !json_object_is_type(v, json_type_null) &&
	    (rc = add_ref(rec, "reward", v)) < 0)
		goto done;
	if (info && json_object_object_get_ex(info, "reward_info", &v) &&
	    (rc = add_ref(rec, "outcome", v)) < 0)
		goto done;
	if (info) {
		static const char *const iskip[] = { "task", "reward_info", NULL };
		if ((rest = json_object_new_object()) == NULL) {
			rc = fw_error_set(FW_ENOMEM, "out of memory");
			goto done;
		}
		if ((rc = copy_rest(rest, info, iskip)) < 0)
			goto done;
		if (json_object_object_length(rest) > 0) {
			rc = add(rec, "info", rest);
			rest = NULL;
			if (rc < 0)
				goto done;
		}
	}
	if ((rc = copy_rest(rec, el, skip)) < 0)
		goto done;
	*out = rec;
	rec = NULL;
done:
	json_object_put(rest);
	json_object_put(rec);
	fw_buf_release(&id);
	return rc;
}

int
fw_imp_tau_bench(const struct fw_imp_whole *w, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *e;
	size_t line = 1, n = 0;
	int rc = 0;

	p = skip_ws(p, end);
	line += count_lines(text, p);
	if (p == end || *p != '[') {
		fw_error_set(FW_EINVALID, "a tau-bench file must hold a JSON array%s",
		    p == end ? "" : *p == '{' ? ", not an object" : "");
		return fw_imp_bad(FW_EINVALID, w->name, line);
	}
	p++;
	for (;;) {
		struct json_object *el = NULL, *rec = NULL;
		const char *start = skip_ws(p, end);

		line += count_lines(p, start);
		p = start;
		if (p < end && *p == ']' && n == 0) {
			p++;
			break;
		}
		e = value_end(p, end);
		if ((rc = fw_json_parse(&el, p, (size_t)(e - p))) < 0) {
			size_t l = line + line_of_parse_error(p, (size_t)(e - p)) - 1;
			if (e == p)
				fw_error_set(FW_EINVALID, "invalid JSON: %s", p == end ?
				    "the array is not closed" : "missing array element");
			return fw_imp_bad(rc, w->name, l);
		}
		rc = tau_record(&rec, el, w->stem);
		json_object_put(el);
		if (rc < 0)
			return fw_imp_bad(rc, w->name, line);
		if ((rc = w->emit(w->ctx, rec, line)) < 0)
			return rc;
		n++;
		line += count_lines(p, e);
		p = e;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == ']') {
			p++;
			break;
		}
		fw_error_set(FW_EINVALID, "invalid JSON: %s", p == end ?
		    "the array is not closed" : "expected ',' or ']'");
		return fw_imp_bad(FW_EINVALID, w->name, line);
	}
	e = skip_ws(p, end);
	if (e != end) {
		line += count_lines(p, e);
		fw_error_set(FW_EINVALID, "invalid JSON: unexpected data after the array");
		return fw_imp_bad(FW_EINVALID, w->name, line);
	}
	return 0;
}

/* --- swe-agent --- */

/* A history message as the unified message: role, content, tool_calls,
 * name as they are; tool_call_ids ([one id]) becomes tool_call_id; SWE-agent's
 * own keys (thought, action, agent, message_type, ...) are kept beside them. */
static int
swe_message(struct json_object **out, struct json_object *m, size_t i)
{
	struct json_object *o = NULL, *ids, *role;
	int rc;

	*out = NULL;
	if (!json_object_is_type(m, json_type_object))
		return fw_error_set(FW_EINVALID, "history[%zu] is %s, must be an object",
		    i, fw_imp_type_name(m));
	if (!json_object_object_get_ex(m, "role", &role) ||
	    !json_object_is_type(role, json_type_string))
		return fw_error_set(FW_EINVALID, "history[%zu] has no \"role\" string", i);
	if ((o = json_object_new_object()) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	if (json_object_object_get_ex(m, "tool_call_ids", &ids) &&
	    json_object_is_type(ids, json_type_array) &&
	    json_object_array_length(ids) == 1 &&
	    json_object_is_type(json_object_array_get_idx(ids, 0), json_type_string) &&
	    !json_object_object_get_ex(m, "tool_call_id", NULL)) {
		static const char *const skip[] = { "tool_call_ids", NULL };
		if ((rc = add_ref(o, "tool_call_id",
		    json_object_array_get_idx(ids, 0))) < 0 ||
		    (rc = copy_rest(o, m, skip)) < 0)
			goto fail;
	} else {
		static const char *const skip[] = { NULL };
		if ((rc = copy_rest(o, m, skip)) < 0)
			goto fail;
	}
	*out = o;
	return 0;
fail:
	json_object_put(o);
	return rc;
}

/* A trajectory step as turns: the model's response (thought and action
 * kept beside it) as an assistant turn, the observation as a user turn, as
 * SWE-agent shows observations to models without function calling. */
static int
swe_step(struct json_object *msgs, struct json_object *st, size_t i)
{
	static const char *const keep[] = { "thought", "action", NULL };
	struct json_object *a, *u, *v;
	int rc;

	if (!json_object_is_type(st, json_type_object))
		return fw_error_set(FW_EINVALID, "trajectory[%zu] is %s, must be an object",
		    i, fw_imp_type_name(st));
	if ((a = json_object_new_object()) == NULL || json_object_array_add(msgs, a)) {
		json_object_put(a);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	if ((rc = add(a, "role", json_object_new_string("assistant"))) < 0)
		return rc;
	if (json_object_object_get_ex(st, "response", &v))
		rc = add_ref(a, "content", v);
	else if (json_object_object_get_ex(st, "action", &v))
		rc = add_ref(a, "content", v);
	else
		rc = add(a, "content", json_object_new_string(""));
	if (rc < 0)
		return rc;
	for (size_t k = 0; keep[k]; k++)
		if (json_object_object_get_ex(st, keep[k], &v) &&
		    (rc = add_ref(a, keep[k], v)) < 0)
			return rc;
	if (!json_object_object_get_ex(st, "observation", &v) ||
	    json_object_is_type(v, json_type_null))
		return 0;
	if ((u = json_object_new_object()) == NULL || json_object_array_add(msgs, u)) {
		json_object_put(u);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	if ((rc = add(u, "role", json_object_new_string("user"))) < 0 ||
	    (rc = add_ref(u, "content", v)) < 0)
		return rc;
	return 0;
}

static int
swe_record(struct json_object **out, struct json_object *root, const char *stem)
{
	static const char *const skip[] = { "history", "info", NULL };
	struct json_object *rec = NULL, *msgs = NULL, *hist, *traj, *info, *m;
	fw_buf id = FW_BUF_INIT;
	int rc = 0;

	*out = NULL;
	if (!json_object_is_type(root, json_type_object))
		return fw_error_set(FW_EINVALID,
		    "a .traj file must hold one JSON object, not %s",
		    fw_imp_type_name(root));
	if ((msgs = json_object_new_array()) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	if (json_object_object_get_ex(root, "history", &hist) &&
	    !json_object_is_type(hist, json_type_null)) {
		if (!json_object_is_type(hist, json_type_array)) {
			rc = fw_error_set(FW_EINVALID, "\"history\" is %s, must be an array",
			    fw_imp_type_name(hist));
			goto done;
		}
		for (size_t i = 0; i < json_object_array_length(hist); i++) {
			if ((rc = swe_message(&m, json_object_array_get_idx(hist, i), i)) < 0)
				goto done;
			if (json_object_array_add(msgs, m) != 0) {
				json_object_put(m);
				rc = fw_error_set(FW_ENOMEM, "out of memory");
				goto done;
			}
		}
	} else if (json_object_object_get_ex(root, "trajectory", &traj)) {
		if (!json_object_is_type(traj, json_type_array)) {
			rc = fw_error_set(FW_EINVALID, "\"trajectory\" is %s, must be an array",
			    fw_imp_type_name(traj));
			goto done;
		}
		for (size_t i = 0; i < json_object_array_length(traj); i++)
			if ((rc = swe_step(msgs, json_object_array_get_idx(traj, i), i)) < 0)
				goto done;
	} else {
		rc = fw_error_set(FW_EINVALID, "no \"history\" and no \"trajectory\"");
		goto done;
	}
	if (json_object_array_length(msgs) == 0) {
		rc = fw_error_set(FW_EINVALID, "no messages: \"history\" or \"trajectory\" is empty");
		goto done;
	}
	if ((rec = json_object_new_object()) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = fw_buf_printf(&id, "swe-agent/%s", stem)) < 0 ||
	    (rc = add_str(rec, "id", id.data, id.len)) < 0 ||
	    (rc = add(rec, "source", json_object_new_string("swe-agent"))) < 0)
		goto done;
	rc = add(rec, "messages", msgs);
	msgs = NULL;
	if (rc < 0)
		goto done;
	if (json_object_object_get_ex(root, "info", &info) &&
	    (rc = add_ref(rec, "outcome", info)) < 0)
		goto done;
	if ((rc = copy_rest(rec, root, skip)) < 0)
		goto done;
	*out = rec;
	rec = NULL;
done:
	json_object_put(msgs);
	json_object_put(rec);
	fw_buf_release(&id);
	return rc;
}

int
fw_imp_swe_agent(const struct fw_imp_whole *w, const char *text, size_t len)
{
	struct json_object *root = NULL, *rec = NULL;
	int rc;

	if ((rc = fw_json_parse(&root, text, len)) < 0)
		return fw_imp_bad(rc, w->name, line_of_parse_error(text, len));
	rc = swe_record(&rec, root, w->stem);
	json_object_put(root);
	if (rc < 0)
		return fw_imp_bad(rc, w->name, 1);
	return w->emit(w->ctx, rec, 1);
}
