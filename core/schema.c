/*
 * schema.yaml: the corpus schema, read and written with libyaml.
 *
 *   strict: false          # true: refuse unknown fields and wrong types
 *   columns:
 *     - name: id
 *       type: str
 *       required: true
 */
#include "internal.h"
#include "fw/error.h"
#include "fw/json.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define MAX_COLUMNS 4096
#define MAX_NAME FW_FIELD_NAME_MAX

static const char default_yaml[] =
    "# fw corpus schema: one record is one trajectory.\n"
    "# Fields not listed here are kept as json columns (unless strict).\n"
    "strict: false\n"
    "columns:\n"
    "- name: id\n  type: str\n  required: true\n"
    "- name: source\n  type: str\n"
    "- name: task\n  type: json\n"
    "- name: messages\n  type: json\n"
    "- name: reward\n  type: f64\n"
    "- name: outcome\n  type: json\n"
    "- name: tags\n  type: json\n"
    "- name: prompt\n  type: json\n"
    "- name: chosen\n  type: json\n"
    "- name: rejected\n  type: json\n";

const char *
fw_schema_default_yaml(void)
{
	return default_yaml;
}

void
fw_schema_release(fw_schema *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->ncols; i++)
		free(s->cols[i].name);
	free(s->cols);
	memset(s, 0, sizeof(*s));
}

int
fw_schema_find(const fw_schema *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->ncols; i++)
		if (s->cols[i].namelen == len && memcmp(s->cols[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

int
fw_schema_add(fw_schema *s, const char *name, size_t len, fw_type type)
{
	fw_schema_col *c;

	if (s->ncols >= MAX_COLUMNS)
		return fw_error_set(FW_EINVALID, "too many columns (at most %d)", MAX_COLUMNS);
	if ((c = realloc(s->cols, (s->ncols + 1) * sizeof(*c))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	s->cols = c;
	c = &s->cols[s->ncols];
	memset(c, 0, sizeof(*c));
	if ((c->name = strndup(name, len)) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	c->namelen = len;
	c->type = type;
	s->ncols++;
	return 0;
}

static const char *
scalar(yaml_document_t *d, yaml_node_t *n)
{
	(void)d;
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static int
parse_bool(const char *v, int *out)
{
	if (v && (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0)) {
		*out = 1;
		return 0;
	}
	if (v && (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0)) {
		*out = 0;
		return 0;
	}
	return -1;
}

static int
bad(yaml_node_t *n, const char *what)
{
	return fw_error_set(FW_EINVALID, "bad schema at line %lu: %s",
	    n ? (unsigned long)n->start_mark.line + 1 : 0ul, what);
}

static int
parse_column(fw_schema *s, yaml_document_t *d, yaml_node_t *m)
{
	const char *name = NULL, *type = "json";
	int required = 0, rc;
	fw_type t;

	if (m->type != YAML_MAPPING_NODE)
		return bad(m, "a column must be a mapping of name, type, required");
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	    p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(d, p->key);
		yaml_node_t *v = yaml_document_get_node(d, p->value);
		const char *key = scalar(d, k), *val = scalar(d, v);
		if (key == NULL || val == NULL)
			return bad(k, "column keys and values must be scalars");
		if (strcmp(key, "name") == 0)
			name = val;
		else if (strcmp(key, "type") == 0)
			type = val;
		else if (strcmp(key, "required") == 0) {
			if (parse_bool(val, &required) < 0)
				return bad(v, "required must be true or false");
		} else {
			char msg[300];
			snprintf(msg, sizeof(msg), "unknown column key '%.200s'", key);
			return bad(k, msg);
		}
	}
	if (name == NULL || !*name)
		return bad(m, "a column needs a name");
	if (strlen(name) > MAX_NAME || !fw_utf8_valid(name, strlen(name)))
		return bad(m, "a column name must be valid UTF-8 of at most 256 bytes");
	if (fw_schema_find(s, name, strlen(name)) >= 0) {
		char msg[300];
		snprintf(msg, sizeof(msg), "column '%.200s' declared twice", name);
		return bad(m, msg);
	}
	if (fw_type_parse(&t, type) < 0) {
		char msg[300];
		snprintf(msg, sizeof(msg), "%.250s", fw_error_last());
		return bad(m, msg);
	}
	if ((rc = fw_schema_add(s, name, strlen(name), t)) < 0)
		return rc;
	s->cols[s->ncols - 1].required = required;
	return 0;
}

int
fw_yaml_load(yaml_document_t *doc, const char *yaml, size_t len, const char *what)
{
	yaml_parser_t parser;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return fw_error_set(FW_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, doc))
		rc = fw_error_set(FW_EINVALID, "%sline %lu: %s", what,
		    (unsigned long)parser.problem_mark.line + 1,
		    parser.problem ? parser.problem : "unreadable YAML");
	yaml_parser_delete(&parser);
	return rc;
}

int
fw_schema_parse(fw_schema *out, const char *yaml, size_t len)
{
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = 0, have_doc = 0, have_id = 0;

	memset(out, 0, sizeof(*out));
	if ((rc = fw_yaml_load(&doc, yaml, len, "bad schema at ")) < 0)
		goto done;
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		rc = bad(root, "the schema must be a mapping with 'columns'");
		goto done;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	    rc == 0 && p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		const char *key = scalar(&doc, k);
		if (key == NULL) {
			rc = bad(k, "keys must be scalars");
		} else if (strcmp(key, "strict") == 0) {
			if (parse_bool(scalar(&doc, v), &out->strict) < 0)
				rc = bad(v, "strict must be true or false");
		} else if (strcmp(key, "columns") == 0) {
			if (v == NULL || v->type != YAML_SEQUENCE_NODE) {
				rc = bad(v, "columns must be a list");
				break;
			}
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			    rc == 0 && it < v->data.sequence.items.top; it++)
				rc = parse_column(out, &doc, yaml_document_get_node(&doc, *it));
		} else if (strcmp(key, "format") != 0) {
			char msg[300];
			snprintf(msg, sizeof(msg), "unknown key '%.200s'", key);
			rc = bad(k, msg);
		}
	}
	if (rc == 0) {
		int i = fw_schema_find(out, "id", 2);
		have_id = i >= 0 && out->cols[i].type == FW_TYPE_STR;
		if (i < 0)
			rc = fw_error_set(FW_EINVALID, "bad schema: it must declare 'id' (type str)");
		else if (!have_id)
			rc = fw_error_set(FW_EINVALID, "bad schema: 'id' must have type str");
		else
			out->cols[i].required = 1;
	}
done:
	if (have_doc)
		yaml_document_delete(&doc);
	if (rc < 0)
		fw_schema_release(out);
	return rc;
}

static int
emit_scalar(yaml_emitter_t *e, const char *s, int plain)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
	    1, 1, plain ? YAML_PLAIN_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
	return yaml_emitter_emit(e, &ev);
}

static int
buf_write(void *data, unsigned char *p, size_t n)
{
	return fw_buf_add(data, p, n) == 0;
}

int
fw_schema_emit(const fw_schema *s, fw_buf *out)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	int ok = 1;

	if (!yaml_emitter_initialize(&e))
		return fw_error_set(FW_ENOMEM, "out of memory");
	yaml_emitter_set_output(&e, buf_write, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = ok && yaml_emitter_emit(&e, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok = ok && yaml_emitter_emit(&e, &ev);
	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	ok = ok && yaml_emitter_emit(&e, &ev);
	ok = ok && emit_scalar(&e, "strict", 1) &&
	    emit_scalar(&e, s->strict ? "true" : "false", 1);
	ok = ok && emit_scalar(&e, "columns", 1);
	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
	ok = ok && yaml_emitter_emit(&e, &ev);
	for (size_t i = 0; ok && i < s->ncols; i++) {
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		    YAML_BLOCK_MAPPING_STYLE);
		ok = ok && yaml_emitter_emit(&e, &ev);
		ok = ok && emit_scalar(&e, "name", 1) && emit_scalar(&e, s->cols[i].name, 0);
		ok = ok && emit_scalar(&e, "type", 1) &&
		    emit_scalar(&e, fw_type_name(s->cols[i].type), 1);
		if (s->cols[i].required)
			ok = ok && emit_scalar(&e, "required", 1) && emit_scalar(&e, "true", 1);
		yaml_mapping_end_event_initialize(&ev);
		ok = ok && yaml_emitter_emit(&e, &ev);
	}
	yaml_sequence_end_event_initialize(&ev);
	ok = ok && yaml_emitter_emit(&e, &ev);
	yaml_mapping_end_event_initialize(&ev);
	ok = ok && yaml_emitter_emit(&e, &ev);
	yaml_document_end_event_initialize(&ev, 1);
	ok = ok && yaml_emitter_emit(&e, &ev);
	yaml_stream_end_event_initialize(&ev);
	ok = ok && yaml_emitter_emit(&e, &ev);
	if (!ok) {
		int rc = fw_error_set(FW_EINVALID, "cannot write the schema as YAML: %s",
		    e.problem ? e.problem : "emitter error");
		yaml_emitter_delete(&e);
		return rc;
	}
	yaml_emitter_delete(&e);
	return 0;
}
