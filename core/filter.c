/*
 * The filter language's lexer and recursive-descent parser. The grammar is in
 * docs/filter.md; this file turns text into the tree of core/filter_int.h and
 * reports every error with its column before anything is evaluated.
 *
 * Two rules keep the tree shallow whatever the input, so that neither the
 * evaluators nor the fuzzer can exhaust the stack: `and`/`or` chains become
 * one n-ary node, and comparisons do not chain; nesting (parentheses, calls,
 * `not`) is counted against FW_FILTER_MAX_DEPTH.
 */
#include "filter_int.h"
#include "fw/error.h"
#include "fw/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tok {
	T_END, T_IDENT, T_NUMBER, T_STRING, T_LPAREN, T_RPAREN, T_LBRACK,
	T_RBRACK, T_COMMA, T_DOT, T_AT, T_DOLLAR, T_EQ, T_NE, T_LT, T_LE, T_GT,
	T_GE, T_AND, T_OR, T_NOT, T_IN, T_TRUE, T_FALSE, T_NULL,
};

struct parser {
	const char *s;
	size_t len;
	size_t i;		/* lexer position */
	int tok;		/* current token */
	size_t tpos, tend;	/* its bytes */
	fw_buf str;		/* decoded bytes of a T_STRING */
	int depth;
	int elem_depth;		/* > 0 inside the predicate of any/all/count */
	fw_filter *f;
};

static const struct {
	const char *name;
	int fn;
	int nargs;
} functions[] = {
	{ "len", FN_LEN, 1 }, { "exists", FN_EXISTS, 1 }, { "lower", FN_LOWER, 1 },
	{ "startswith", FN_STARTSWITH, 2 }, { "contains", FN_CONTAINS, 2 },
	{ "matches", FN_MATCHES, 2 }, { "count", FN_COUNT, 2 },
	{ "any", FN_ANY, 2 }, { "all", FN_ALL, 2 },
};
#define NFUNCTIONS (sizeof(functions) / sizeof(functions[0]))

/*
 * "filter: WHAT at column N", then the expression and a caret under column N.
 * Long expressions are shown as a window around the column, and control
 * characters as spaces, so that the caret lines up.
 */
static int
perr(struct parser *p, size_t pos, const char *fmt, ...)
{
	fw_buf m = FW_BUF_INIT;
	char what[512];
	size_t col = 1, from = 0, caret = 0, shown = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (pos > p->len)
		pos = p->len;
	for (size_t k = 0; k < pos; k++)
		if (((unsigned char)p->s[k] & 0xc0) != 0x80)
			col++;
	/* Show at most 60 characters before the column. */
	if (col > 61) {
		size_t skip = col - 61;
		while (from < pos && skip) {
			from++;
			while (from < pos && ((unsigned char)p->s[from] & 0xc0) == 0x80)
				from++;
			skip--;
		}
	}
	if (fw_buf_printf(&m, "filter: %s at column %zu\n  %s", what, col,
	    from ? "..." : "") < 0)
		goto oom;
	for (size_t k = from; k < p->len && shown < 120; k++) {
		unsigned char ch = (unsigned char)p->s[k];
		if ((ch & 0xc0) != 0x80) {
			shown++;
			if (k < pos)
				caret++;
		}
		if (fw_buf_addc(&m, ch < 0x20 || ch == 0x7f ? ' ' : (char)ch) < 0)
			goto oom;
	}
	if (fw_buf_adds(&m, "\n  ") < 0 || (from && fw_buf_adds(&m, "   ") < 0))
		goto oom;
	while (caret--)
		if (fw_buf_addc(&m, ' ') < 0)
			goto oom;
	if (fw_buf_addc(&m, '^') < 0)
		goto oom;
	fw_error_set(FW_EINVALID, "%s", m.data);
	fw_buf_release(&m);
	return FW_EINVALID;
oom:
	fw_buf_release(&m);
	return fw_error_set(FW_ENOMEM, "out of memory");
}

static int
oom(void)
{
	return fw_error_set(FW_ENOMEM, "out of memory");
}

static int
is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_ident(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
hex4(const char *s, unsigned *v)
{
	*v = 0;
	for (int k = 0; k < 4; k++) {
		char h = s[k];
		*v <<= 4;
		if (h >= '0' && h <= '9') *v |= (unsigned)(h - '0');
		else if (h >= 'a' && h <= 'f') *v |= (unsigned)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F') *v |= (unsigned)(h - 'A' + 10);
		else return -1;
	}
	return 0;
}

static int
add_utf8(fw_buf *b, unsigned cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) { u[0] = (char)cp; n = 1; }
	else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3f)); n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f)); n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return fw_buf_add(b, u, n);
}

/* A string literal with JSON's escapes, decoded into p->str. */
static int
lex_string(struct parser *p)
{
	size_t i = p->i + 1;

	fw_buf_reset(&p->str);
	if (fw_buf_grow(&p->str, 16) < 0)
		return oom();
	while (i < p->len) {
		unsigned char ch = (unsigned char)p->s[i];
		if (ch == '"') {
			p->tok = T_STRING;
			p->i = i + 1;
			return 0;
		}
		if (ch < 0x20)
			return perr(p, i, "control character in a string (write it as an escape)");
		if (ch != '\\') {
			if (fw_buf_addc(&p->str, (char)ch) < 0)
				return oom();
			i++;
			continue;
		}
		if (i + 1 >= p->len)
			break;
		char e = p->s[i + 1], c = 0;
		switch (e) {
		case '"': c = '"'; break;
		case '\\': c = '\\'; break;
		case '/': c = '/'; break;
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u': break;
		default:
			return perr(p, i, "bad escape in a string");
		}
		if (e != 'u') {
			if (fw_buf_addc(&p->str, c) < 0)
				return oom();
			i += 2;
			continue;
		}
		unsigned u, u2;
		if (i + 6 > p->len || hex4(p->s + i + 2, &u) < 0)
			return perr(p, i, "bad \\u escape in a string");
		if (u >= 0xdc00 && u <= 0xdfff)
			return perr(p, i, "lone surrogate escape in a string");
		if (u >= 0xd800 && u <= 0xdbff) {
			if (i + 12 > p->len || p->s[i + 6] != '\\' || p->s[i + 7] != 'u' ||
			    hex4(p->s + i + 8, &u2) < 0 || u2 < 0xdc00 || u2 > 0xdfff)
				return perr(p, i, "lone surrogate escape in a string");
			u = 0x10000 + ((u - 0xd800) << 10) + (u2 - 0xdc00);
			i += 6;
		}
		if (add_utf8(&p->str, u) < 0)
			return oom();
		i += 6;
	}
	return perr(p, p->tpos, "unterminated string");
}

/* A number as JSON writes it, with an optional leading '-'. */
static int
lex_number(struct parser *p)
{
	size_t i = p->i;

	if (p->s[i] == '-')
		i++;
	if (i >= p->len || !is_digit(p->s[i]))
		return perr(p, p->i, "expected a number after '-'");
	if (p->s[i] == '0')
		i++;
	else
		while (i < p->len && is_digit(p->s[i]))
			i++;
	if (i < p->len && p->s[i] == '.') {
		i++;
		if (i >= p->len || !is_digit(p->s[i]))
			return perr(p, i, "expected a digit after '.'");
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit(p->s[i]))
			return perr(p, i, "expected a digit in the exponent");
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && (is_ident(p->s[i]) || p->s[i] == '.'))
		return perr(p, p->i, "bad number");
	p->tok = T_NUMBER;
	p->i = i;
	return 0;
}

static int
next(struct parser *p)
{
	static const struct { const char *w; int tok; } words[] = {
		{ "and", T_AND }, { "or", T_OR }, { "not", T_NOT }, { "in", T_IN },
		{ "true", T_TRUE }, { "false", T_FALSE }, { "null", T_NULL },
	};
	const char *s = p->s;
	int rc = 0;

	while (p->i < p->len && (s[p->i] == ' ' || s[p->i] == '\t' ||
	    s[p->i] == '\n' || s[p->i] == '\r'))
		p->i++;
	p->tpos = p->i;
	if (p->i >= p->len) {
		p->tok = T_END;
		p->tend = p->i;
		return 0;
	}
	char c = s[p->i], d = p->i + 1 < p->len ? s[p->i + 1] : 0;
	if (is_ident_start(c)) {
		size_t e = p->i;
		while (e < p->len && is_ident(s[e]))
			e++;
		p->tok = T_IDENT;
		for (size_t k = 0; k < sizeof(words) / sizeof(words[0]); k++)
			if (strlen(words[k].w) == e - p->i &&
			    memcmp(words[k].w, s + p->i, e - p->i) == 0)
				p->tok = words[k].tok;
		p->i = e;
	} else if (c == '"') {
		rc = lex_string(p);
	} else if (c == '-' || is_digit(c)) {
		rc = lex_number(p);
	} else {
		int two = 1;
		switch (c) {
		case '(': p->tok = T_LPAREN; break;
		case ')': p->tok = T_RPAREN; break;
		case '[': p->tok = T_LBRACK; break;
		case ']': p->tok = T_RBRACK; break;
		case ',': p->tok = T_COMMA; break;
		case '.': p->tok = T_DOT; break;
		case '@': p->tok = T_AT; break;
		case '$': p->tok = T_DOLLAR; break;
		case '<': p->tok = d == '=' ? (two = 2, T_LE) : T_LT; break;
		case '>': p->tok = d == '=' ? (two = 2, T_GE) : T_GT; break;
		case '!': p->tok = d == '=' ? (two = 2, T_NE) : T_NOT; break;
		case '=':
			if (d != '=')
				return perr(p, p->i, "expected '==' (a single '=' is not an operator)");
			p->tok = T_EQ; two = 2; break;
		case '&':
			if (d != '&')
				return perr(p, p->i, "expected '&&'");
			p->tok = T_AND; two = 2; break;
		case '|':
			if (d != '|')
				return perr(p, p->i, "expected '||'");
			p->tok = T_OR; two = 2; break;
		default:
			return perr(p, p->i, "unexpected character");
		}
		p->i += (size_t)two;
	}
	p->tend = p->i;
	return rc;
}

static void
node_free(struct fnode *n)
{
	if (n == NULL)
		return;
	for (size_t k = 0; k < n->nkid; k++)
		node_free(n->kid[k]);
	free(n->kid);
	for (size_t k = 0; k < n->nstep; k++)
		free(n->step[k].key);
	free(n->step);
	free(n->elems);
	free(n->text);
	if (n->re)
		pcre2_code_free(n->re);
	free(n);
}

static struct fnode *
node_new(int type, size_t pos)
{
	struct fnode *n = calloc(1, sizeof(*n));

	if (n) {
		n->type = type;
		n->pos = pos;
		n->col = -1;
	}
	return n;
}

static int
add_kid(struct fnode *n, struct fnode *k)
{
	struct fnode **v = realloc(n->kid, (n->nkid + 1) * sizeof(*v));

	if (v == NULL)
		return oom();
	n->kid = v;
	n->kid[n->nkid++] = k;
	return 0;
}

/* The text of the current token into a new literal node. */
static int
scalar_literal(struct parser *p, fval *v, char **text)
{
	*text = NULL;
	memset(v, 0, sizeof(*v));
	switch (p->tok) {
	case T_NUMBER: {
		size_t n = p->tend - p->tpos;
		if ((*text = malloc(n + 1)) == NULL)
			return oom();
		memcpy(*text, p->s + p->tpos, n);
		(*text)[n] = '\0';
		v->kind = FW_KIND_NUMBER;
		v->s = *text;
		v->len = n;
		return filter_num_parse(*text, n, &v->num, &v->i, &v->is_int);
	}
	case T_STRING:
		if ((*text = malloc(p->str.len + 1)) == NULL)
			return oom();
		memcpy(*text, p->str.data, p->str.len);
		(*text)[p->str.len] = '\0';
		v->kind = FW_KIND_STRING;
		v->s = *text;
		v->len = p->str.len;
		return 0;
	case T_TRUE: v->kind = FW_KIND_TRUE; return 0;
	case T_FALSE: v->kind = FW_KIND_FALSE; return 0;
	case T_NULL: v->kind = FW_KIND_NULL; return 0;
	}
	return perr(p, p->tpos, "expected a literal (number, string, true, false or null)");
}

/* [ literal, ... ]: its elements and its canonical JSON text. */
static int
array_literal(struct parser *p, struct fnode **out)
{
	struct fnode *n = node_new(N_LIT, p->tpos);
	fw_buf canon = FW_BUF_INIT;
	char **texts = NULL;
	size_t ntexts = 0;
	int rc;

	*out = NULL;
	if (n == NULL)
		return oom();
	n->lit.kind = FW_KIND_ARRAY;
	if ((rc = fw_buf_addc(&canon, '[')) < 0 || (rc = next(p)) < 0)
		goto done;
	while (p->tok != T_RBRACK) {
		fval v;
		char *t;
		if (n->lit.nelem && (rc = fw_buf_addc(&canon, ',')) < 0)
			goto done;
		if (p->tok == T_LBRACK) {
			rc = perr(p, p->tpos, "nested arrays are not supported in an array literal");
			goto done;
		}
		if ((rc = scalar_literal(p, &v, &t)) < 0)
			goto done;
		char **tv = realloc(texts, (ntexts + 1) * sizeof(*tv));
		fval *ev = realloc(n->elems, (n->lit.nelem + 1) * sizeof(*ev));
		if (tv)
			texts = tv;
		if (ev)
			n->elems = ev;
		if (!tv || !ev) {
			free(t);
			rc = oom();
			goto done;
		}
		texts[ntexts++] = t;
		n->elems[n->lit.nelem++] = v;
		switch (v.kind) {
		case FW_KIND_NUMBER: rc = fw_buf_add(&canon, v.s, v.len); break;
		case FW_KIND_STRING: rc = fw_json_quote(&canon, v.s, v.len); break;
		case FW_KIND_TRUE: rc = fw_buf_adds(&canon, "true"); break;
		case FW_KIND_FALSE: rc = fw_buf_adds(&canon, "false"); break;
		default: rc = fw_buf_adds(&canon, "null"); break;
		}
		if (rc < 0 || (rc = next(p)) < 0)
			goto done;
		if (p->tok == T_COMMA) {
			if ((rc = next(p)) < 0)
				goto done;
			if (p->tok == T_RBRACK) {
				rc = perr(p, p->tpos, "expected a literal after ','");
				goto done;
			}
		} else if (p->tok != T_RBRACK) {
			rc = perr(p, p->tpos, "expected ',' or ']'");
			goto done;
		}
	}
	if ((rc = fw_buf_addc(&canon, ']')) < 0)
		goto done;
	/* One allocation holds the canonical text and the element strings, so
	 * that the node owns a single block (n->text). */
	{
		size_t total = canon.len + 1;
		for (size_t k = 0; k < ntexts; k++)
			total += texts[k] ? n->elems[k].len + 1 : 0;
		char *blk = malloc(total), *w;
		if (blk == NULL) {
			rc = oom();
			goto done;
		}
		memcpy(blk, canon.data, canon.len + 1);
		w = blk + canon.len + 1;
		for (size_t k = 0; k < ntexts; k++) {
			if (!texts[k])
				continue;
			memcpy(w, texts[k], n->elems[k].len + 1);
			n->elems[k].s = w;
			w += n->elems[k].len + 1;
		}
		n->text = blk;
		n->lit.s = blk;
		n->lit.len = canon.len;
		n->lit.elem = n->elems;
	}
	rc = next(p);
done:
	for (size_t k = 0; k < ntexts; k++)
		free(texts[k]);
	free(texts);
	fw_buf_release(&canon);
	if (rc < 0)
		node_free(n);
	else
		*out = n;
	return rc;
}

static int
add_step(struct fnode *n, const char *key, size_t keylen, int64_t index)
{
	struct fstep *v = realloc(n->step, (n->nstep + 1) * sizeof(*v));

	if (v == NULL)
		return oom();
	n->step = v;
	v = &n->step[n->nstep];
	v->key = NULL;
	v->keylen = keylen;
	v->index = index;
	if (key) {
		if ((v->key = malloc(keylen + 1)) == NULL)
			return oom();
		memcpy(v->key, key, keylen);
		v->key[keylen] = '\0';
	}
	n->nstep++;
	return 0;
}

static int
register_column(struct parser *p, struct fnode *n)
{
	fw_filter *f = p->f;
	const struct fstep *s = &n->step[0];

	for (size_t k = 0; k < f->ncols; k++)
		if (strcmp(f->cols[k], s->key) == 0) {
			n->col = (int)k;
			return 0;
		}
	char **v = realloc(f->cols, (f->ncols + 1) * sizeof(*v));
	if (v == NULL)
		return oom();
	f->cols = v;
	if ((f->cols[f->ncols] = strdup(s->key)) == NULL)
		return oom();
	n->col = (int)f->ncols++;
	return 0;
}

/* Steps after a path's root: .name, [index], ["key"]. */
static int
path_steps(struct parser *p, struct fnode *n)
{
	int rc;

	for (;;) {
		if (p->tok == T_DOT) {
			if ((rc = next(p)) < 0)
				return rc;
			if (p->tok == T_END || !is_ident_start(p->s[p->tpos]))
				return perr(p, p->tpos, "expected a field name after '.'");
			if ((rc = add_step(n, p->s + p->tpos, p->tend - p->tpos, 0)) < 0 ||
			    (rc = next(p)) < 0)
				return rc;
		} else if (p->tok == T_LBRACK) {
			if ((rc = next(p)) < 0)
				return rc;
			if (p->tok == T_STRING) {
				if (memchr(p->str.data, '\0', p->str.len) != NULL)
					return perr(p, p->tpos, "a field name cannot hold a NUL");
				rc = add_step(n, p->str.data ? p->str.data : "", p->str.len, 0);
			} else if (p->tok == T_NUMBER) {
				fval v;
				char *t;
				if ((rc = scalar_literal(p, &v, &t)) < 0)
					return rc;
				free(t);
				if (!v.is_int)
					return perr(p, p->tpos, "an index must be an integer");
				rc = add_step(n, NULL, 0, v.i);
			} else
				return perr(p, p->tpos, "expected an index or a quoted field name");
			if (rc < 0 || (rc = next(p)) < 0)
				return rc;
			if (p->tok != T_RBRACK)
				return perr(p, p->tpos, "expected ']'");
			if ((rc = next(p)) < 0)
				return rc;
		} else
			return 0;
	}
}

static int parse_or(struct parser *p, struct fnode **out);

static int
parse_call(struct parser *p, struct fnode **out)
{
	struct fnode *n;
	size_t k, pos = p->tpos;
	int rc;

	*out = NULL;
	for (k = 0; k < NFUNCTIONS; k++)
		if (strlen(functions[k].name) == p->tend - p->tpos &&
		    memcmp(functions[k].name, p->s + p->tpos, p->tend - p->tpos) == 0)
			break;
	if (k == NFUNCTIONS)
		return perr(p, pos, "unknown function '%.*s' (functions: len, exists, "
		    "lower, startswith, contains, matches, count, any, all)",
		    (int)(p->tend - p->tpos > 40 ? 40 : p->tend - p->tpos), p->s + p->tpos);
	if ((n = node_new(N_CALL, pos)) == NULL)
		return oom();
	n->fn = functions[k].fn;
	if (++p->depth > FW_FILTER_MAX_DEPTH) {
		rc = perr(p, pos, "expression nested deeper than %d", FW_FILTER_MAX_DEPTH);
		goto done;
	}
	if ((rc = next(p)) < 0 || (rc = next(p)) < 0)	/* the name, then '(' */
		goto done;
	for (int a = 0; a < functions[k].nargs; a++) {
		struct fnode *arg;
		size_t apos = p->tpos;
		int elem = a == 1 && (n->fn == FN_COUNT || n->fn == FN_ANY || n->fn == FN_ALL);
		if (a > 0) {
			if (p->tok != T_COMMA) {
				rc = perr(p, p->tpos, "expected ',' (%s takes %d arguments)",
				    functions[k].name, functions[k].nargs);
				goto done;
			}
			if ((rc = next(p)) < 0)
				goto done;
			apos = p->tpos;
		}
		if (p->tok == T_RPAREN) {
			rc = perr(p, p->tpos, "%s takes %d argument%s", functions[k].name,
			    functions[k].nargs, functions[k].nargs > 1 ? "s" : "");
			goto done;
		}
		p->elem_depth += elem;
		rc = parse_or(p, &arg);
		p->elem_depth -= elem;
		if (rc < 0)
			goto done;
		if ((rc = add_kid(n, arg)) < 0) {
			node_free(arg);
			goto done;
		}
		if (n->fn == FN_EXISTS && arg->type != N_PATH) {
			rc = perr(p, apos, "exists() takes a field path");
			goto done;
		}
		if (n->fn == FN_MATCHES && a == 1) {
			int err;
			PCRE2_SIZE eoff;
			if (arg->type != N_LIT || arg->lit.kind != FW_KIND_STRING) {
				rc = perr(p, apos, "matches() takes a regular expression as a string literal");
				goto done;
			}
			n->re = pcre2_compile((PCRE2_SPTR)arg->lit.s, arg->lit.len,
			    PCRE2_UTF | PCRE2_NO_UTF_CHECK, &err, &eoff, NULL);
			if (n->re == NULL) {
				PCRE2_UCHAR msg[160];
				if (err == PCRE2_ERROR_NOMEMORY) {
					rc = oom();
					goto done;
				}
				pcre2_get_error_message(err, msg, sizeof(msg));
				rc = perr(p, apos, "bad regular expression: %s (at offset %zu of the pattern)",
				    (const char *)msg, (size_t)eoff);
				goto done;
			}
			/* JIT is an optimisation: without it PCRE2 interprets. */
			(void)pcre2_jit_compile(n->re, PCRE2_JIT_COMPLETE);
			p->f->nre++;
		}
	}
	if (p->tok == T_COMMA) {
		rc = perr(p, p->tpos, "%s takes %d argument%s", functions[k].name,
		    functions[k].nargs, functions[k].nargs > 1 ? "s" : "");
		goto done;
	}
	if (p->tok != T_RPAREN) {
		rc = perr(p, p->tpos, "expected ')'");
		goto done;
	}
	rc = next(p);
	p->depth--;
done:
	if (rc < 0)
		node_free(n);
	else
		*out = n;
	return rc;
}

/* A literal, an array literal, a path, a call or a parenthesised expression. */
static int
parse_value(struct parser *p, struct fnode **out)
{
	struct fnode *n = NULL;
	size_t pos = p->tpos;
	int rc;

	*out = NULL;
	switch (p->tok) {
	case T_LPAREN:
		if (++p->depth > FW_FILTER_MAX_DEPTH)
			return perr(p, pos, "expression nested deeper than %d", FW_FILTER_MAX_DEPTH);
		if ((rc = next(p)) < 0 || (rc = parse_or(p, &n)) < 0)
			return rc;
		if (p->tok != T_RPAREN) {
			node_free(n);
			return perr(p, p->tpos, "expected ')'");
		}
		p->depth--;
		if ((rc = next(p)) < 0) {
			node_free(n);
			return rc;
		}
		*out = n;
		return 0;
	case T_LBRACK:
		return array_literal(p, out);
	case T_NUMBER: case T_STRING: case T_TRUE: case T_FALSE: case T_NULL:
		if ((n = node_new(N_LIT, pos)) == NULL)
			return oom();
		if ((rc = scalar_literal(p, &n->lit, &n->text)) < 0 || (rc = next(p)) < 0) {
			node_free(n);
			return rc;
		}
		*out = n;
		return 0;
	case T_IDENT: case T_AT: case T_DOLLAR:
		break;
	case T_END:
		return perr(p, pos, "expected a value");
	default:
		return perr(p, pos, "expected a value, found '%.*s'",
		    (int)(p->tend - p->tpos), p->s + p->tpos);
	}
	if (p->tok == T_IDENT) {
		size_t save = p->i;
		while (save < p->len && (p->s[save] == ' ' || p->s[save] == '\t' ||
		    p->s[save] == '\n' || p->s[save] == '\r'))
			save++;
		if (save < p->len && p->s[save] == '(')
			return parse_call(p, out);
	}
	if ((n = node_new(N_PATH, pos)) == NULL)
		return oom();
	n->root = p->elem_depth > 0 && p->tok != T_DOLLAR ? ROOT_ELEM : ROOT_RECORD;
	if (p->tok == T_IDENT)
		rc = add_step(n, p->s + p->tpos, p->tend - p->tpos, 0);
	else if (p->tok == T_AT && p->elem_depth == 0)
		rc = perr(p, pos, "'@' (the element) is only meaningful inside any(), all() or count()");
	else
		rc = 0;
	if (rc < 0 || (rc = next(p)) < 0 || (rc = path_steps(p, n)) < 0)
		goto fail;
	if (n->root == ROOT_RECORD) {
		if (n->nstep == 0 || n->step[0].key == NULL) {
			rc = perr(p, pos + 1, "expected a field name after '$'");
			goto fail;
		}
		if ((rc = register_column(p, n)) < 0)
			goto fail;
	}
	*out = n;
	return 0;
fail:
	node_free(n);
	return rc;
}

static int
flip(int op)
{
	switch (op) {
	case OP_LT: return OP_GT;
	case OP_LE: return OP_GE;
	case OP_GT: return OP_LT;
	case OP_GE: return OP_LE;
	}
	return op;
}

static int
is_cmp_tok(int t)
{
	return t == T_EQ || t == T_NE || t == T_LT || t == T_LE || t == T_GT || t == T_GE;
}

/* value [ cmp value | [not] in value ] */
static int
parse_cmp(struct parser *p, struct fnode **out)
{
	struct fnode *a = NULL, *b = NULL, *n = NULL, *neg = NULL;
	int rc, tok, negate = 0;
	size_t pos;

	*out = NULL;
	if ((rc = parse_value(p, &a)) < 0)
		return rc;
	tok = p->tok;
	pos = p->tpos;
	if (tok == T_NOT) {
		/* `x not in list` */
		if ((rc = next(p)) < 0)
			goto done;
		if (p->tok != T_IN) {
			rc = perr(p, pos, "expected 'in' after 'not' (or an operator between values)");
			goto done;
		}
		tok = T_IN;
		negate = 1;
	}
	if (!is_cmp_tok(tok) && tok != T_IN) {
		*out = a;
		return 0;
	}
	if ((rc = next(p)) < 0 || (rc = parse_value(p, &b)) < 0)
		goto done;
	if (is_cmp_tok(p->tok) || p->tok == T_IN) {
		rc = perr(p, p->tpos, "comparisons do not chain: add parentheses");
		goto done;
	}
	static const int ops[] = { [T_EQ] = OP_EQ, [T_NE] = OP_NE, [T_LT] = OP_LT,
	    [T_LE] = OP_LE, [T_GT] = OP_GT, [T_GE] = OP_GE };
	if (tok == T_IN) {
		if ((n = node_new(N_IN, pos)) == NULL) {
			rc = oom();
			goto done;
		}
	} else if ((tok == T_EQ || tok == T_NE) &&
	    ((b->type == N_LIT && b->lit.kind == FW_KIND_NULL) ||
	     (a->type == N_LIT && a->lit.kind == FW_KIND_NULL))) {
		/* `x == null` and `x != null` test for null or missing. */
		if ((n = node_new(N_NULLTEST, pos)) == NULL) {
			rc = oom();
			goto done;
		}
		n->op = ops[tok];
		if (b->type == N_LIT && b->lit.kind == FW_KIND_NULL) {
			rc = add_kid(n, a);
			a = NULL;
		} else {
			rc = add_kid(n, b);
			b = NULL;
		}
		goto done;
	} else {
		if ((n = node_new(N_CMP, pos)) == NULL) {
			rc = oom();
			goto done;
		}
		n->op = ops[tok];
		if (a->type == N_LIT && b->type != N_LIT) {
			struct fnode *t = a;
			a = b;
			b = t;
			n->op = flip(n->op);
		}
	}
	if ((rc = add_kid(n, a)) < 0)
		goto done;
	a = NULL;
	if ((rc = add_kid(n, b)) < 0)
		goto done;
	b = NULL;
	if (negate) {
		if ((neg = node_new(N_NOT, pos)) == NULL || (rc = add_kid(neg, n)) < 0) {
			rc = oom();
			goto done;
		}
		n = neg;
		neg = NULL;
	}
done:
	node_free(a);
	node_free(b);
	node_free(neg);
	if (rc < 0)
		node_free(n);
	else
		*out = n;
	return rc;
}

static int
parse_not(struct parser *p, struct fnode **out)
{
	struct fnode *n, *k;
	size_t pos = p->tpos;
	int rc;

	*out = NULL;
	if (p->tok != T_NOT)
		return parse_cmp(p, out);
	if (++p->depth > FW_FILTER_MAX_DEPTH)
		return perr(p, pos, "expression nested deeper than %d", FW_FILTER_MAX_DEPTH);
	if ((rc = next(p)) < 0 || (rc = parse_not(p, &k)) < 0)
		return rc;
	p->depth--;
	if ((n = node_new(N_NOT, pos)) == NULL) {
		node_free(k);
		return oom();
	}
	if ((rc = add_kid(n, k)) < 0) {
		node_free(k);
		node_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

/* and_expr { and and_expr }, or not_expr { and not_expr }: one n-ary node. */
static int
parse_chain(struct parser *p, struct fnode **out, int tok)
{
	struct fnode *n = NULL, *k;
	size_t pos = p->tpos;
	int rc;

	*out = NULL;
	rc = tok == T_OR ? parse_chain(p, &k, T_AND) : parse_not(p, &k);
	if (rc < 0)
		return rc;
	if (p->tok != tok) {
		*out = k;
		return 0;
	}
	if ((n = node_new(tok == T_OR ? N_OR : N_AND, pos)) == NULL) {
		node_free(k);
		return oom();
	}
	for (;;) {
		if ((rc = add_kid(n, k)) < 0) {
			node_free(k);
			goto fail;
		}
		if (p->tok != tok)
			break;
		if ((rc = next(p)) < 0)
			goto fail;
		rc = tok == T_OR ? parse_chain(p, &k, T_AND) : parse_not(p, &k);
		if (rc < 0)
			goto fail;
	}
	*out = n;
	return 0;
fail:
	node_free(n);
	return rc;
}

static int
parse_or(struct parser *p, struct fnode **out)
{
	return parse_chain(p, out, T_OR);
}

int
fw_filter_parse(fw_filter **out, const char *expr)
{
	struct parser p;
	fw_filter *f = NULL;
	size_t len;
	int rc;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	if (expr == NULL)
		return fw_error_set(FW_EINVALID, "filter: no expression");
	len = strnlen(expr, FW_FILTER_MAX_LEN + 1);
	if (len > FW_FILTER_MAX_LEN)
		return fw_error_set(FW_EINVALID, "filter: expression longer than %d bytes",
		    FW_FILTER_MAX_LEN);
	p.s = expr;
	p.len = len;
	if (!fw_utf8_valid(expr, len)) {
		/* The first broken sequence, for the caret: walk sequence by
		 * sequence (linear, whatever the length). */
		size_t bad = 0;
		while (bad < len) {
			unsigned char ch = (unsigned char)expr[bad];
			size_t n = ch < 0x80 ? 1 : (ch & 0xe0) == 0xc0 ? 2 :
			    (ch & 0xf0) == 0xe0 ? 3 : (ch & 0xf8) == 0xf0 ? 4 : 1;
			if (n > len - bad || !fw_utf8_valid(expr + bad, n))
				break;
			bad += n;
		}
		return perr(&p, bad, "invalid UTF-8");
	}
	if ((f = calloc(1, sizeof(*f))) == NULL || (f->src = strdup(expr)) == NULL) {
		rc = oom();
		goto done;
	}
	p.f = f;
	if ((rc = next(&p)) < 0)
		goto done;
	if (p.tok == T_END) {
		rc = perr(&p, 0, "empty expression");
		goto done;
	}
	if ((rc = parse_or(&p, &f->root)) < 0)
		goto done;
	if (p.tok != T_END) {
		if (p.tok == T_RPAREN)
			rc = perr(&p, p.tpos, "unbalanced ')'");
		else
			rc = perr(&p, p.tpos, "expected an operator ('and', 'or', '==', ...) "
			    "or the end of the expression");
		goto done;
	}
	*out = f;
	f = NULL;
done:
	fw_buf_release(&p.str);
	fw_filter_free(f);
	return rc;
}

void
fw_filter_free(fw_filter *f)
{
	if (f == NULL)
		return;
	node_free(f->root);
	for (size_t k = 0; k < f->ncols; k++)
		free(f->cols[k]);
	free(f->cols);
	free(f->src);
	free(f);
}

const char *
fw_filter_source(const fw_filter *f)
{
	return f->src;
}

size_t
fw_filter_columns(const fw_filter *f, const char *const **names)
{
	*names = (const char *const *)f->cols;
	return f->ncols;
}
