/*
 * The filter's semantics, once: values, comparisons, functions, paths. Both
 * fw_filter_match (a json-c record) and the per-row fallback of the
 * vectorised evaluator (a row of decoded columns) run this code, so the two
 * cannot disagree; the column kernels of filter_vec.c are checked against it
 * by tests/unit/test_filter.c. The rules are written in docs/filter.md.
 */
#include "filter_int.h"
#include "fw/error.h"
#include "fw/json.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* PCRE2's default match limit is 10 million steps; a filter runs per row, so
 * one pathological row should fail fast instead. */
#define FILTER_REGEX_MATCH_LIMIT 1000000
#define FILTER_REGEX_DEPTH_LIMIT 10000

int
filter_num_parse(const char *s, size_t n, double *d, int64_t *i, uint8_t *is_int)
{
	return fw_json_number_parse(s, n, d, i, is_int);
}

int
filter_bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	if (c)
		return c < 0 ? -1 : 1;
	return (an > bn) - (an < bn);
}

size_t
filter_utf8_len(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t j = 0; j < n; j++)
		k += ((unsigned char)s[j] & 0xc0) != 0x80;
	return k;
}

int
filter_is_colpath(const struct fnode *n)
{
	return n->type == N_PATH && n->root == ROOT_RECORD && n->nstep == 1;
}

void
filter_ctx_init(struct filter_ctx *c, const fw_filter *f)
{
	memset(c, 0, sizeof(*c));
	c->f = f;
}

void
filter_ctx_row_reset(struct filter_ctx *c)
{
	for (size_t k = 0; k < c->ntmp; k++)
		free(c->tmp[k]);
	c->ntmp = 0;
}

void
filter_ctx_release(struct filter_ctx *c)
{
	filter_ctx_row_reset(c);
	free(c->tmp);
	if (c->md)
		pcre2_match_data_free(c->md);
	if (c->mctx)
		pcre2_match_context_free(c->mctx);
	fw_buf_release(&c->ca);
	fw_buf_release(&c->cb);
	fw_buf_release(&c->key);
}

static int
keep_str(struct filter_ctx *c, char *s)
{
	if (c->ntmp == c->captmp) {
		size_t cap = c->captmp ? c->captmp * 2 : 8;
		char **v = realloc(c->tmp, cap * sizeof(*v));
		if (v == NULL) {
			free(s);
			return fw_error_set(FW_ENOMEM, "out of memory");
		}
		c->tmp = v;
		c->captmp = cap;
	}
	c->tmp[c->ntmp++] = s;
	return 0;
}

static int
corrupt(void)
{
	return fw_error_set(FW_ECORRUPT, "filter: malformed JSON in a column value");
}

static int
json_val(struct json_object *js, fval *v)
{
	memset(v, 0, sizeof(*v));
	if (js == NULL) {
		v->kind = FW_KIND_NULL;
		return 0;
	}
	switch (json_object_get_type(js)) {
	case json_type_null:
		v->kind = FW_KIND_NULL;
		return 0;
	case json_type_boolean:
		v->kind = json_object_get_boolean(js) ? FW_KIND_TRUE : FW_KIND_FALSE;
		return 0;
	case json_type_int: {
		/* json-c prints an int64 exactly, so its value is its text's;
		 * INT64_MAX may be a clamped or unsigned value: read the text. */
		int64_t i = json_object_get_int64(js);
		v->kind = FW_KIND_NUMBER;
		if (i != INT64_MAX) {
			v->num = (double)i;
			v->i = i;
			v->is_int = 1;
			return 0;
		}
		break;
	}
	case json_type_double: {
		/* A fraction or an exponent: not an integer, and json-c's value is
		 * strtod of the text. Integral values may come from integer text
		 * (big integers, -0): read the text as a column would. */
		double d = json_object_get_double(js);
		v->kind = FW_KIND_NUMBER;
		if (d != floor(d) || fabs(d) > 9.3e18) {
			v->num = d;
			return 0;
		}
		break;
	}
	case json_type_string:
		v->kind = FW_KIND_STRING;
		v->s = json_object_get_string(js);
		v->len = (size_t)json_object_get_string_len(js);
		return 0;
	case json_type_array:
		v->kind = FW_KIND_ARRAY;
		v->js = js;
		return 0;
	case json_type_object:
		v->kind = FW_KIND_OBJECT;
		v->js = js;
		return 0;
	}
	if (v->kind != FW_KIND_NUMBER) {
		v->kind = FW_KIND_MISSING;
		return 0;
	}
	v->s = fw_json_number_text(js);
	v->len = strlen(v->s);
	return filter_num_parse(v->s, v->len, &v->num, &v->i, &v->is_int);
}

/* The value whose JSON text is s[0..n) (from a column payload). */
static int
span_val(struct filter_ctx *c, const char *s, size_t n, fval *v)
{
	memset(v, 0, sizeof(*v));
	if (n == 0)
		return corrupt();
	switch (s[0]) {
	case '"':
		v->kind = FW_KIND_STRING;
		if (n < 2)
			return corrupt();
		v->s = s + 1;
		v->len = n - 2;
		if (memchr(v->s, '\\', v->len) != NULL) {
			fw_buf b = FW_BUF_INIT;
			int rc = filter_unescape(&b, v->s, v->len);
			if (rc < 0 || fw_buf_grow(&b, 1) < 0) {
				fw_buf_release(&b);
				return rc == -1 ? corrupt() : fw_error_set(FW_ENOMEM, "out of memory");
			}
			v->len = b.len;
			v->s = b.data;
			return keep_str(c, fw_buf_detach(&b, NULL));
		}
		return 0;
	case '[': v->kind = FW_KIND_ARRAY; break;
	case '{': v->kind = FW_KIND_OBJECT; break;
	case 't': v->kind = FW_KIND_TRUE; return 0;
	case 'f': v->kind = FW_KIND_FALSE; return 0;
	case 'n': v->kind = FW_KIND_NULL; return 0;
	default:
		v->kind = FW_KIND_NUMBER;
		v->s = s;
		v->len = n;
		return filter_num_parse(s, n, &v->num, &v->i, &v->is_int);
	}
	v->s = s;
	v->len = n;
	return 0;
}

static int
cell_val(const fw_column *col, uint32_t r, fval *v)
{
	memset(v, 0, sizeof(*v));
	v->kind = col->kind[r];
	v->s = col->data ? col->data + col->off[r] : "";
	v->len = col->off[r + 1] - col->off[r];
	if (v->kind == FW_KIND_NUMBER) {
		if (col->num == NULL)
			return filter_num_parse(v->s, v->len, &v->num, &v->i, &v->is_int);
		v->num = col->num[r];
		v->i = col->ints[r];
		v->is_int = col->is_int[r];
	}
	return 0;
}

/* The elements of an ARRAY value, whatever holds it. */
struct elems {
	const fval *arr;
	size_t k, n;
	struct filter_scan it;
};

static int
elems_begin(struct elems *e, const fval *arr)
{
	e->arr = arr;
	e->k = 0;
	if (arr->elem || (!arr->js && arr->len == 2)) {
		e->n = arr->nelem;
		return 0;
	}
	if (arr->js) {
		e->n = json_object_array_length(arr->js);
		return 0;
	}
	return filter_scan_begin(&e->it, arr->s, arr->len) < 0 ? corrupt() : 0;
}

/* 1 and the next element in *v, 0 at the end, or < 0. */
static int
elems_next(struct filter_ctx *c, struct elems *e, fval *v)
{
	const char *key, *val;
	size_t klen, vlen;
	int rc;

	if (e->arr->elem || e->arr->js || (!e->arr->js && e->arr->len == 2)) {
		if (e->k >= e->n)
			return 0;
		if (e->arr->elem)
			*v = e->arr->elem[e->k++];
		else if ((rc = json_val(json_object_array_get_idx(e->arr->js, e->k++), v)) < 0)
			return rc;
		return 1;
	}
	if ((rc = filter_scan_next(&e->it, &key, &klen, &val, &vlen)) <= 0)
		return rc < 0 ? corrupt() : 0;
	if ((rc = span_val(c, val, vlen, v)) < 0)
		return rc;
	return 1;
}

/* Number of elements or members of an ARRAY or OBJECT value. */
static int
count_of(const fval *v, size_t *n)
{
	struct filter_scan it;
	const char *key, *val;
	size_t klen, vlen;
	int rc;

	if (v->elem || (!v->js && v->len == 2)) {
		*n = v->nelem;
		return 0;
	}
	if (v->js) {
		*n = v->kind == FW_KIND_ARRAY ? json_object_array_length(v->js) :
		    (size_t)json_object_object_length(v->js);
		return 0;
	}
	*n = 0;
	if (filter_scan_begin(&it, v->s, v->len) < 0)
		return corrupt();
	while ((rc = filter_scan_next(&it, &key, &klen, &val, &vlen)) > 0)
		(*n)++;
	return rc < 0 ? corrupt() : 0;
}

/* One step of a path from *v (in place): a member or an element. */
static int
step(struct filter_ctx *c, const struct fstep *st, fval *v)
{
	struct filter_scan it;
	const char *key, *val;
	size_t klen, vlen, n;
	int rc;

	if (st->key ? v->kind != FW_KIND_OBJECT : v->kind != FW_KIND_ARRAY) {
		memset(v, 0, sizeof(*v));
		return 0;
	}
	if (v->js) {
		struct json_object *js = v->js, *child;
		if (st->key) {
			if (!json_object_object_get_ex(js, st->key, &child)) {
				memset(v, 0, sizeof(*v));
				return 0;
			}
			return json_val(child, v);
		}
		int64_t len = (int64_t)json_object_array_length(js);
		int64_t ix = st->index < 0 ? len + st->index : st->index;
		if (ix < 0 || ix >= len) {
			memset(v, 0, sizeof(*v));
			return 0;
		}
		return json_val(json_object_array_get_idx(js, (size_t)ix), v);
	}
	int64_t ix = st->index;
	if (!st->key && ix < 0) {
		if ((rc = count_of(v, &n)) < 0)
			return rc;
		ix += (int64_t)n;
	}
	/* The text must be what its kind says: a key is looked up in an
	 * object and an index in an array (fuzz_filter_json passed an array's
	 * text as an object, and an empty key matched its elements). */
	if (filter_scan_begin(&it, v->s, v->len) < 0 || !it.obj != !st->key)
		return corrupt();
	while ((rc = filter_scan_next(&it, &key, &klen, &val, &vlen)) > 0) {
		if (st->key) {
			if (memchr(key, '\\', klen) != NULL) {
				fw_buf_reset(&c->key);
				if ((rc = filter_unescape(&c->key, key, klen)) < 0)
					return rc == -1 ? corrupt() : fw_error_set(FW_ENOMEM, "out of memory");
				key = c->key.data ? c->key.data : "";
				klen = c->key.len;
			}
			if (klen == st->keylen && memcmp(key, st->key, klen) == 0)
				return span_val(c, val, vlen, v);
		} else if (ix-- == 0)
			return span_val(c, val, vlen, v);
	}
	if (rc < 0)
		return corrupt();
	memset(v, 0, sizeof(*v));
	return 0;
}

static int
resolve(struct filter_ctx *c, const struct fnode *n, fval *out)
{
	size_t k = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (n->root == ROOT_ELEM)
		*out = c->elem;
	else if (c->cols) {
		const fw_column *col = c->cols[n->col];
		if (col == NULL)
			return 0;
		if ((rc = cell_val(col, c->row, out)) < 0)
			return rc;
		k = 1;
	} else if ((rc = json_val(c->rec, out)) < 0)
		return rc;
	for (; k < n->nstep && out->kind != FW_KIND_MISSING; k++)
		if ((rc = step(c, &n->step[k], out)) < 0)
			return rc;
	return 0;
}

static int
nullish(const fval *v)
{
	return v->kind == FW_KIND_MISSING || v->kind == FW_KIND_NULL;
}

static int
type_of(const fval *v)
{
	return v->kind == FW_KIND_TRUE ? FW_KIND_FALSE : v->kind;
}

static int
canon_text(fval *v, fw_buf *b, const char **s, size_t *len)
{
	int rc;

	if (v->s) {
		*s = v->s;
		*len = v->len;
		return 0;
	}
	fw_buf_reset(b);
	if ((rc = fw_json_canon(b, v->js)) < 0)
		return rc;
	*s = b->data;
	*len = b->len;
	return 0;
}

/* a op b: false for a null or missing operand and for different types. */
static int
cmp_vals(struct filter_ctx *c, int op, fval *a, fval *b)
{
	const char *as, *bs;
	size_t al, bl;
	int rc;

	if (nullish(a) || nullish(b) || type_of(a) != type_of(b))
		return 0;
	switch (a->kind) {
	case FW_KIND_NUMBER:
		return filter_op_holds(op, filter_num_cmp(a->num, a->i, a->is_int,
		    b->num, b->i, b->is_int));
	case FW_KIND_STRING:
		return filter_op_holds(op, filter_bytes_cmp(a->s, a->len, b->s, b->len));
	case FW_KIND_TRUE:
	case FW_KIND_FALSE:
		if (op == OP_EQ)
			return a->kind == b->kind;
		return op == OP_NE ? a->kind != b->kind : 0;
	}
	/* Arrays and objects: equal when their canonical texts are. */
	if (op != OP_EQ && op != OP_NE)
		return 0;
	if ((rc = canon_text(a, &c->ca, &as, &al)) < 0 ||
	    (rc = canon_text(b, &c->cb, &bs, &bl)) < 0)
		return rc;
	rc = al == bl && memcmp(as, bs, al) == 0;
	return op == OP_EQ ? rc : !rc;
}

static int eval(struct filter_ctx *c, const struct fnode *n, fval *out);

static int
eval_in(struct filter_ctx *c, const struct fnode *n)
{
	struct elems it;
	fval x, a, e;
	int rc;

	if ((rc = eval(c, n->kid[0], &x)) < 0 || (rc = eval(c, n->kid[1], &a)) < 0)
		return rc;
	if (nullish(&x) || a.kind != FW_KIND_ARRAY)
		return 0;
	if ((rc = elems_begin(&it, &a)) < 0)
		return rc;
	while ((rc = elems_next(c, &it, &e)) > 0)
		if ((rc = cmp_vals(c, OP_EQ, &x, &e)) != 0)
			return rc;
	return rc;
}

static int
regex_match(struct filter_ctx *c, const struct fnode *n, const fval *s)
{
	int rc;

	if (c->md == NULL) {
		c->md = pcre2_match_data_create(1, NULL);
		c->mctx = pcre2_match_context_create(NULL);
		if (c->md == NULL || c->mctx == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		pcre2_set_match_limit(c->mctx, FILTER_REGEX_MATCH_LIMIT);
		pcre2_set_depth_limit(c->mctx, FILTER_REGEX_DEPTH_LIMIT);
	}
	rc = pcre2_match(n->re, (PCRE2_SPTR)s->s, s->len, 0, 0, c->md, c->mctx);
	if (rc >= 0)
		return 1;
	/* Not a match: no match, or a subject that is not valid UTF-8. */
	if (rc == PCRE2_ERROR_NOMATCH || (rc <= PCRE2_ERROR_UTF8_ERR1 &&
	    rc >= PCRE2_ERROR_UTF8_ERR21))
		return 0;
	if (rc == PCRE2_ERROR_NOMEMORY)
		return fw_error_set(FW_ENOMEM, "out of memory");
	PCRE2_UCHAR msg[160];
	pcre2_get_error_message(rc, msg, sizeof(msg));
	return fw_error_set(FW_EINVALID, "filter: matches() at column %zu: %s",
	    n->pos + 1, (const char *)msg);
}

/* any(), all() and count(): the predicate over each element of an array. */
static int
each(struct filter_ctx *c, const struct fnode *n, fval *arr, size_t *hits, size_t *len)
{
	fval saved = c->elem;
	struct elems it;
	int rc;

	*hits = *len = 0;
	if ((rc = elems_begin(&it, arr)) < 0)
		return rc;
	while ((rc = elems_next(c, &it, &c->elem)) > 0) {
		(*len)++;
		rc = filter_pred(c, n->kid[1]);
		if (rc < 0)
			break;
		*hits += (size_t)rc;
		/* any() and all() know their answer at the first hit or miss. */
		if ((n->fn == FN_ANY && rc) || (n->fn == FN_ALL && !rc)) {
			rc = 0;
			break;
		}
	}
	c->elem = saved;
	return rc < 0 ? rc : 0;
}

static void
set_count(fval *out, size_t k)
{
	memset(out, 0, sizeof(*out));
	out->kind = FW_KIND_NUMBER;
	out->num = (double)k;
	out->i = (int64_t)k;
	out->is_int = 1;
}

static int
lower(struct filter_ctx *c, const fval *s, fval *out)
{
	fw_buf b = FW_BUF_INIT;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s->s;
	utf8proc_ssize_t left = (utf8proc_ssize_t)s->len;
	int rc;

	if ((rc = fw_buf_grow(&b, s->len + 1)) < 0)
		return rc;
	while (left > 0) {
		utf8proc_int32_t cp;
		utf8proc_uint8_t u[4];
		utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
		if (n <= 0) {	/* not UTF-8: the byte as it is */
			n = 1;
			rc = fw_buf_addc(&b, (char)*p);
		} else
			rc = fw_buf_add(&b, u, (size_t)utf8proc_encode_char(
			    utf8proc_tolower(cp), u));
		if (rc < 0) {
			fw_buf_release(&b);
			return rc;
		}
		p += n;
		left -= n;
	}
	memset(out, 0, sizeof(*out));
	out->kind = FW_KIND_STRING;
	out->len = b.len;
	out->s = b.data;
	return keep_str(c, fw_buf_detach(&b, NULL));
}

/* A function's value; predicates give TRUE or FALSE. */
static int
call(struct filter_ctx *c, const struct fnode *n, fval *out)
{
	fval a, b;
	size_t hits = 0, len = 0;
	int rc, r = 0;

	memset(out, 0, sizeof(*out));
	out->kind = FW_KIND_MISSING;
	if ((rc = eval(c, n->kid[0], &a)) < 0)
		return rc;
	switch (n->fn) {
	case FN_LEN:
		if (a.kind == FW_KIND_STRING)
			set_count(out, filter_utf8_len(a.s, a.len));
		else if (a.kind == FW_KIND_ARRAY || a.kind == FW_KIND_OBJECT) {
			if ((rc = count_of(&a, &len)) < 0)
				return rc;
			set_count(out, len);
		}
		return 0;
	case FN_LOWER:
		return a.kind == FW_KIND_STRING ? lower(c, &a, out) : 0;
	case FN_COUNT:
		if (a.kind != FW_KIND_ARRAY)
			return 0;
		if ((rc = each(c, n, &a, &hits, &len)) < 0)
			return rc;
		set_count(out, hits);
		return 0;
	case FN_EXISTS:
		r = a.kind != FW_KIND_MISSING;
		break;
	case FN_ANY:
	case FN_ALL:
		if (a.kind != FW_KIND_ARRAY)
			break;
		if ((rc = each(c, n, &a, &hits, &len)) < 0)
			return rc;
		r = n->fn == FN_ANY ? hits > 0 : hits == len;
		break;
	case FN_MATCHES:
		if (a.kind == FW_KIND_STRING && (r = regex_match(c, n, &a)) < 0)
			return r;
		break;
	case FN_STARTSWITH:
	case FN_CONTAINS:
		if (a.kind != FW_KIND_STRING)
			break;
		if ((rc = eval(c, n->kid[1], &b)) < 0)
			return rc;
		if (b.kind != FW_KIND_STRING)
			break;
		if (n->fn == FN_STARTSWITH)
			r = a.len >= b.len && memcmp(a.s, b.s, b.len) == 0;
		else
			r = b.len == 0 || memmem(a.s, a.len, b.s, b.len) != NULL;
		break;
	}
	out->kind = r ? FW_KIND_TRUE : FW_KIND_FALSE;
	return 0;
}

static int
eval(struct filter_ctx *c, const struct fnode *n, fval *out)
{
	int r;

	switch (n->type) {
	case N_LIT:
		*out = n->lit;
		return 0;
	case N_PATH:
		return resolve(c, n, out);
	case N_CALL:
		return call(c, n, out);
	}
	if ((r = filter_pred(c, n)) < 0)
		return r;
	memset(out, 0, sizeof(*out));
	out->kind = r ? FW_KIND_TRUE : FW_KIND_FALSE;
	return 0;
}

int
filter_pred(struct filter_ctx *c, const struct fnode *n)
{
	fval a, b;
	int r;

	switch (n->type) {
	case N_AND:
	case N_OR:
		for (size_t k = 0; k < n->nkid; k++) {
			r = filter_pred(c, n->kid[k]);
			if (r < 0 || r == (n->type == N_OR))
				return r;
		}
		return n->type == N_AND;
	case N_NOT:
		r = filter_pred(c, n->kid[0]);
		return r < 0 ? r : !r;
	case N_CMP:
		if ((r = eval(c, n->kid[0], &a)) < 0 || (r = eval(c, n->kid[1], &b)) < 0)
			return r;
		return cmp_vals(c, n->op, &a, &b);
	case N_NULLTEST:
		if ((r = eval(c, n->kid[0], &a)) < 0)
			return r;
		return n->op == OP_EQ ? nullish(&a) : !nullish(&a);
	case N_IN:
		return eval_in(c, n);
	}
	/* A value as a condition: only `true` holds. */
	if ((r = eval(c, n, &a)) < 0)
		return r;
	return a.kind == FW_KIND_TRUE;
}

int
fw_filter_match(const fw_filter *f, struct json_object *rec)
{
	struct filter_ctx c;
	int rc;

	filter_ctx_init(&c, f);
	c.rec = rec;
	rc = filter_pred(&c, f->root);
	filter_ctx_release(&c);
	return rc;
}
