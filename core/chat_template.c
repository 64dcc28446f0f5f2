/*
 * Chat templates as data: reading the YAML (libyaml's document API) into a
 * struct fw_chat_template, and the built-in templates, which the build embeds
 * from core/templates/NAME.yaml (build/gen/chat_templates.c).
 */
#include "chat_template.h"
#include "fw/error.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Generated from core/templates/NAME.yaml by the Makefile. */
struct chat_builtin {
	const char *name;
	const unsigned char *yaml;
	size_t len;
};
extern const struct chat_builtin fw_chat_builtin_templates[];

static const char *const role_names[ROLE_N] = { "system", "user", "assistant",
	"tool" };

int
chat_role_index(const char *name)
{
	for (int i = 0; i < ROLE_N; i++)
		if (strcmp(name, role_names[i]) == 0)
			return i;
	return -1;
}

enum field_kind { F_STR, F_BOOL, F_INT, F_ARGS, F_CONTENT, F_REASONING, F_PAIR };

struct field {
	const char *key;
	enum field_kind kind;
	size_t off;		/* in struct chat_role */
	size_t off2;		/* F_PAIR: the second string */
};

#define R(f) offsetof(struct chat_role, f)
static const struct field role_fields[] = {
	{ "prefix", F_STR, R(prefix), 0 },
	{ "suffix", F_STR, R(suffix), 0 },
	{ "end", F_STR, R(end), 0 },
	{ "group_prefix", F_STR, R(group_prefix), 0 },
	{ "group_suffix", F_STR, R(group_suffix), 0 },
	{ "trim", F_BOOL, R(trim), 0 },
	{ "content", F_CONTENT, R(content_json), 0 },
	{ "train", F_BOOL, R(train), 0 },
	{ "tool_call", F_STR, R(tool_call), 0 },
	{ "join", F_STR, R(join), 0 },
	{ "arguments", F_ARGS, R(args), 0 },
	{ "tool_calls_replace_content", F_BOOL, R(calls_replace_content), 0 },
	{ "max_tool_calls", F_INT, R(max_tool_calls), 0 },
	{ "reasoning", F_REASONING, 0, 0 },
	{ "always", F_BOOL, 0, 0 },	/* system_first only; checked there */
	{ NULL, F_STR, 0, 0 },
};
static const struct field reasoning_fields[] = {
	{ "open", F_STR, R(think_open), 0 },
	{ "close", F_STR, R(think_close), 0 },
	{ "format", F_STR, R(think_format), 0 },
	{ "not_query", F_PAIR, R(not_query_prefix), R(not_query_suffix) },
	{ NULL, F_STR, 0, 0 },
};
#undef R

struct ctx {
	yaml_document_t *doc;
	const char *name;
	fw_chat_template *t;
};

static int
bad(struct ctx *c, yaml_node_t *n, const char *fmt, const char *what)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, what);
	return fw_error_set(FW_EINVALID, "bad template %s:%lu: %s", c->name,
	    n ? (unsigned long)n->start_mark.line + 1 : 0ul, msg);
}

static const char *
scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int
set_str(struct ctx *c, yaml_node_t *v, char **dst, const char *key)
{
	const char *s = scalar(v);

	if (s == NULL)
		return bad(c, v, "'%s' must be a string", key);
	if (strlen(s) != v->data.scalar.length)
		return bad(c, v, "'%s' holds a NUL character", key);
	char *d = strdup(s);
	if (d == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	free(*dst);
	*dst = d;
	return 0;
}

static int
set_bool(struct ctx *c, yaml_node_t *v, int *dst, const char *key)
{
	const char *s = scalar(v);

	if (s && strcmp(s, "true") == 0)
		*dst = 1;
	else if (s && strcmp(s, "false") == 0)
		*dst = 0;
	else
		return bad(c, v, "'%s' must be true or false", key);
	return 0;
}

static int
fields(struct ctx *c, yaml_node_t *map, const struct field *tab,
    struct chat_role *r, int is_system_first);

static int
set_field(struct ctx *c, const struct field *f, yaml_node_t *v,
    struct chat_role *r, int is_system_first)
{
	char *base = (char *)r;
	const char *s = scalar(v);

	switch (f->kind) {
	case F_STR:
		return set_str(c, v, (char **)(base + f->off), f->key);
	case F_BOOL:
		if (strcmp(f->key, "always") == 0) {
			if (!is_system_first)
				return bad(c, v, "'%s' belongs in system_first", f->key);
			return set_bool(c, v, &c->t->system_always, f->key);
		}
		return set_bool(c, v, (int *)(base + f->off), f->key);
	case F_INT: {
		char *end;
		errno = 0;
		long n = s ? strtol(s, &end, 10) : -1;
		if (s == NULL || errno || *end || n < 0)
			return bad(c, v, "'%s' must be a non-negative number", f->key);
		*(long *)(base + f->off) = n;
		return 0;
	}
	case F_ARGS:
		if (s && strcmp(s, "auto") == 0)
			r->args = ARGS_AUTO;
		else if (s && strcmp(s, "json") == 0)
			r->args = ARGS_JSON;
		else
			return bad(c, v, "'%s' must be auto or json", f->key);
		return 0;
	case F_CONTENT:
		if (s && strcmp(s, "text") == 0)
			r->content_json = 0;
		else if (s && strcmp(s, "json") == 0)
			r->content_json = 1;
		else
			return bad(c, v, "'%s' must be text or json", f->key);
		return 0;
	case F_REASONING:
		return fields(c, v, reasoning_fields, r, 0);
	case F_PAIR:
		if (v->type != YAML_SEQUENCE_NODE ||
		    v->data.sequence.items.top - v->data.sequence.items.start != 2)
			return bad(c, v, "'%s' must be a list of two strings", f->key);
		for (int i = 0; i < 2; i++) {
			yaml_node_t *it = yaml_document_get_node(c->doc,
			    v->data.sequence.items.start[i]);
			int rc = set_str(c, it, (char **)(base + (i ? f->off2 : f->off)),
			    f->key);
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	return 0;
}

static int
fields(struct ctx *c, yaml_node_t *map, const struct field *tab,
    struct chat_role *r, int is_system_first)
{
	int rc;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return bad(c, map, "%s must be a mapping", "a role");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	    p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		const char *key = scalar(k);
		const struct field *f = tab;
		while (f->key && (key == NULL || strcmp(f->key, key) != 0))
			f++;
		if (f->key == NULL)
			return bad(c, k, "unknown key '%s'", key ? key : "?");
		if ((rc = set_field(c, f, v, r, is_system_first)) < 0)
			return rc;
	}
	return 0;
}

static int
role_defaults(struct chat_role *r, int idx)
{
	char **strs[] = { &r->prefix, &r->suffix, &r->end, &r->group_prefix,
	    &r->group_suffix, &r->tool_call, &r->join, &r->think_open,
	    &r->think_close, &r->think_format, &r->not_query_prefix,
	    &r->not_query_suffix };

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (*strs[i] == NULL && (*strs[i] = strdup("")) == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
	if (idx == ROLE_ASSISTANT && r->train < 0)
		r->train = 1;
	if (r->train < 0)
		r->train = 0;
	return 0;
}

static void
role_release(struct chat_role *r)
{
	free(r->prefix); free(r->suffix); free(r->end);
	free(r->group_prefix); free(r->group_suffix);
	free(r->tool_call); free(r->join);
	free(r->think_open); free(r->think_close); free(r->think_format);
	free(r->not_query_prefix); free(r->not_query_suffix);
}

void
fw_chat_template_free(fw_chat_template *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->begin);
	role_release(&t->system_first);
	for (int i = 0; i < ROLE_N; i++)
		role_release(&t->role[i]);
	free(t);
}

static int
load_doc(struct ctx *c, yaml_node_t *root)
{
	int rc;

	if (root == NULL || root->type != YAML_MAPPING_NODE)
		return bad(c, root, "%s", "the template must be a mapping");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	    p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		const char *key = scalar(k);
		if (key == NULL)
			return bad(c, k, "%s", "keys must be strings");
		if (strcmp(key, "name") == 0)
			rc = set_str(c, v, &c->t->name, key);
		else if (strcmp(key, "begin") == 0)
			rc = set_str(c, v, &c->t->begin, key);
		else if (strcmp(key, "description") == 0)
			rc = scalar(v) ? 0 : bad(c, v, "'%s' must be a string", key);
		else if (strcmp(key, "system_first") == 0) {
			c->t->system_first.present = 1;
			rc = fields(c, v, role_fields, &c->t->system_first, 1);
		} else if (strcmp(key, "roles") == 0) {
			if (v->type != YAML_MAPPING_NODE)
				return bad(c, v, "%s", "roles must be a mapping");
			for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
			    q < v->data.mapping.pairs.top; q++) {
				yaml_node_t *rk = yaml_document_get_node(c->doc, q->key);
				const char *rn = scalar(rk);
				int idx = rn ? chat_role_index(rn) : -1;
				if (idx < 0)
					return bad(c, rk, "unknown role '%s' (roles are system, "
					    "user, assistant, tool)", rn ? rn : "?");
				c->t->role[idx].present = 1;
				if ((rc = fields(c, yaml_document_get_node(c->doc, q->value),
				    role_fields, &c->t->role[idx], 0)) < 0)
					return rc;
			}
			rc = 0;
		} else
			rc = bad(c, k, "unknown key '%s'", key);
		if (rc < 0)
			return rc;
	}
	if (!c->t->role[ROLE_USER].present || !c->t->role[ROLE_ASSISTANT].present)
		return bad(c, root, "%s", "roles user and assistant are required");
	return 0;
}

int
fw_chat_template_parse(fw_chat_template **out, const char *yaml, size_t len,
    const char *name)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	fw_chat_template *t = NULL;
	struct ctx c = { &doc, name ? name : "template", NULL };
	int rc, have_doc = 0;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return fw_error_set(FW_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = fw_error_set(FW_EINVALID, "bad template %s:%lu: %s", c.name,
		    (unsigned long)parser.problem_mark.line + 1,
		    parser.problem ? parser.problem : "not YAML");
		goto done;
	}
	have_doc = 1;
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	c.t = t;
	t->system_first.train = -1;
	for (int i = 0; i < ROLE_N; i++)
		t->role[i].train = -1;
	if ((rc = load_doc(&c, yaml_document_get_root_node(&doc))) < 0)
		goto done;
	if ((rc = role_defaults(&t->system_first, ROLE_SYSTEM)) < 0)
		goto done;
	for (int i = 0; i < ROLE_N; i++)
		if ((rc = role_defaults(&t->role[i], i)) < 0)
			goto done;
	if ((t->name == NULL && (t->name = strdup(c.name)) == NULL) ||
	    (t->begin == NULL && (t->begin = strdup("")) == NULL)) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	*out = t;
	t = NULL;
	rc = 0;
done:
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fw_chat_template_free(t);
	return rc;
}

const char *const *
fw_chat_template_builtins(void)
{
	static const char *names[16];

	if (names[0] == NULL)
		for (int i = 0; fw_chat_builtin_templates[i].name && i < 15; i++)
			names[i] = fw_chat_builtin_templates[i].name;
	return names;
}

static int
is_path(const char *s)
{
	size_t n = strlen(s);

	return strchr(s, '/') != NULL || (n > 5 && strcmp(s + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(s + n - 4, ".yml") == 0);
}

int
fw_chat_template_open(fw_chat_template **out, const char *name)
{
	fw_buf text = FW_BUF_INIT, names = FW_BUF_INIT;
	FILE *f = NULL;
	int rc;

	*out = NULL;
	if (!is_path(name)) {
		for (int i = 0; fw_chat_builtin_templates[i].name; i++)
			if (strcmp(fw_chat_builtin_templates[i].name, name) == 0)
				return fw_chat_template_parse(out,
				    (const char *)fw_chat_builtin_templates[i].yaml,
				    fw_chat_builtin_templates[i].len, name);
		for (int i = 0; fw_chat_builtin_templates[i].name; i++)
			fw_buf_printf(&names, "%s%s", i ? ", " : "",
			    fw_chat_builtin_templates[i].name);
		rc = fw_error_set(FW_ENOTFOUND, "no built-in chat template '%s' (there "
		    "are %s; a file name ends in .yaml)", name,
		    names.data ? names.data : "none");
		fw_buf_release(&names);
		return rc;
	}
	if ((f = fopen(name, "rb")) == NULL)
		return fw_error_errno("cannot open %s", name);
	for (;;) {
		if ((rc = fw_buf_grow(&text, 65536)) < 0)
			goto done;
		size_t got = fread(text.data + text.len, 1, text.cap - text.len - 1, f);
		if (got == 0)
			break;
		text.len += got;
	}
	if (ferror(f)) {
		rc = fw_error_errno("cannot read %s", name);
		goto done;
	}
	rc = fw_chat_template_parse(out, text.data ? text.data : "", text.len, name);
done:
	fclose(f);
	fw_buf_release(&text);
	return rc;
}
