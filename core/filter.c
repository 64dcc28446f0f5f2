/*
 * The filter language's recursive-descent parser (the lexer is in
 * filter_lex.c). The grammar is in docs/filter.md; this file turns text into
 * the tree of core/filter_int.h and reports every error with its column
 * before anything is evaluated.
 *
 * Two rules keep the tree shallow whatever the input, so that neither the
 * evaluators nor the fuzzer can exhaust the stack: `and`/`or` chains become
 * one n-ary node, and comparisons do not chain; nesting (parentheses, calls,
 * `not`) is counted against FW_FILTER_MAX_DEPTH.
 */
#include "filter_int.h"
#include "fw/error.h"
#include "fw/json.h"

#include <stdlib.h>
#include <string.h>

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

static int
oom(void)
{
	return fw_error_set(FW_ENOMEM, "out of memory");
}

/* Room for n + 1 items in an array that holds n: capacities double (they are
 * powers of two), so that building a list of n items copies O(n) bytes. */
static void *
grow(void *p, size_t n, size_t size)
{
	if (n && (n & (n - 1)) != 0)
		return p;
	return realloc(p, (n ? 2 * n : 1) * size);
}

/* Whether the current token is a word (a name or a keyword). */
static int
is_word(const struct parser *p)
{
	char c = p->s[p->tpos];

	return p->tok != T_END && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c == '_');
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
	struct fnode **v = grow(n->kid, n->nkid, sizeof(*v));

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
	return filter_perr(p, p->tpos, "expected a literal (number, string, true, false or null)");
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
	if ((rc = fw_buf_addc(&canon, '[')) < 0 || (rc = filter_lex_next(p)) < 0)
		goto done;
	while (p->tok != T_RBRACK) {
		fval v;
		char *t;
		if (n->lit.nelem && (rc = fw_buf_addc(&canon, ',')) < 0)
			goto done;
		if (p->tok == T_LBRACK) {
			rc = filter_perr(p, p->tpos, "nested arrays are not supported in an array literal");
			goto done;
		}
		if ((rc = scalar_literal(p, &v, &t)) < 0)
			goto done;
		char **tv = grow(texts, ntexts, sizeof(*tv));
		fval *ev = grow(n->elems, n->lit.nelem, sizeof(*ev));
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
		if (rc < 0 || (rc = filter_lex_next(p)) < 0)
			goto done;
		if (p->tok == T_COMMA) {
			if ((rc = filter_lex_next(p)) < 0)
				goto done;
			if (p->tok == T_RBRACK) {
				rc = filter_perr(p, p->tpos, "expected a literal after ','");
				goto done;
			}
		} else if (p->tok != T_RBRACK) {
			rc = filter_perr(p, p->tpos, "expected ',' or ']'");
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
	rc = filter_lex_next(p);
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
	struct fstep *v = grow(n->step, n->nstep, sizeof(*v));

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
	char **v = grow(f->cols, f->ncols, sizeof(*v));
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
			if ((rc = filter_lex_next(p)) < 0)
				return rc;
			if (p->tok == T_END || !is_word(p))
				return filter_perr(p, p->tpos, "expected a field name after '.'");
			if ((rc = add_step(n, p->s + p->tpos, p->tend - p->tpos, 0)) < 0 ||
			    (rc = filter_lex_next(p)) < 0)
				return rc;
		} else if (p->tok == T_LBRACK) {
			if ((rc = filter_lex_next(p)) < 0)
				return rc;
			if (p->tok == T_STRING) {
				if (memchr(p->str.data, '\0', p->str.len) != NULL)
					return filter_perr(p, p->tpos, "a field name cannot hold a NUL");
				rc = add_step(n, p->str.data ? p->str.data : "", p->str.len, 0);
			} else if (p->tok == T_NUMBER) {
				fval v;
				char *t;
				if ((rc = scalar_literal(p, &v, &t)) < 0)
					return rc;
				free(t);
				if (!v.is_int)
					return filter_perr(p, p->tpos, "an index must be an integer");
				rc = add_step(n, NULL, 0, v.i);
			} else
				return filter_perr(p, p->tpos, "expected an index or a quoted field name");
			if (rc < 0 || (rc = filter_lex_next(p)) < 0)
				return rc;
			if (p->tok != T_RBRACK)
				return filter_perr(p, p->tpos, "expected ']'");
			if ((rc = filter_lex_next(p)) < 0)
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
		return filter_perr(p, pos, "unknown function '%.*s' (functions: len, exists, "
		    "lower, startswith, contains, matches, count, any, all)",
		    (int)(p->tend - p->tpos > 40 ? 40 : p->tend - p->tpos), p->s + p->tpos);
	if ((n = node_new(N_CALL, pos)) == NULL)
		return oom();
	n->fn = functions[k].fn;
	if (++p->depth > FW_FILTER_MAX_DEPTH) {
		rc = filter_perr(p, pos, "expression nested deeper than %d", FW_FILTER_MAX_DEPTH);
		goto done;
	}
	if ((rc = filter_lex_next(p)) < 0 || (rc = filter_lex_next(p)) < 0)	/* the name, then '(' */
		goto done;
	for (int a = 0; a < functions[k].nargs; a++) {
		struct fnode *arg;
		size_t apos = p->tpos;
		int elem = a == 1 && (n->fn == FN_COUNT || n->fn == FN_ANY || n->fn == FN_ALL);
		if (a > 0) {
			if (p->tok != T_COMMA) {
				rc = filter_perr(p, p->tpos, "expected ',' (%s takes %d arguments)",
				    functions[k].name, functions[k].nargs);
				goto done;
			}
			if ((rc = filter_lex_next(p)) < 0)
				goto done;
			apos = p->tpos;
		}
		if (p->tok == T_RPAREN) {
			rc = filter_perr(p, p->tpos, "%s takes %d argument%s", functions[k].name,
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
			rc = filter_perr(p, apos, "exists() takes a field path");
			goto done;
		}
		if (n->fn == FN_MATCHES && a == 1) {
			int err;
			PCRE2_SIZE eoff;
			if (arg->type != N_LIT || arg->lit.kind != FW_KIND_STRING) {
				rc = filter_perr(p, apos, "matches() takes a regular expression as a string literal");
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
				rc = filter_perr(p, apos, "bad regular expression: %s (at offset %zu of the pattern)",
				    (const char *)msg, (size_t)eoff);
				goto done;
			}
			/* JIT is an optimisation: without it PCRE2 interprets. */
			(void)pcre2_jit_compile(n->re, PCRE2_JIT_COMPLETE);
			p->f->nre++;
		}
	}
	if (p->tok == T_COMMA) {
		rc = filter_perr(p, p->tpos, "%s takes %d argument%s", functions[k].name,
		    functions[k].nargs, functions[k].nargs > 1 ? "s" : "");
		goto done;
	}
	if (p->tok != T_RPAREN) {
		rc = filter_perr(p, p->tpos, "expected ')'");
		goto done;
	}
	rc = filter_lex_next(p);
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
			return filter_perr(p, pos, "expression nested deeper than %d", FW_FILTER_MAX_DEPTH);
		if ((rc = filter_lex_next(p)) < 0 || (rc = parse_or(p, &n)) < 0)
			return rc;
		if (p->tok != T_RPAREN) {
			node_free(n);
			return filter_perr(p, p->tpos, "expected ')'");
		}
		p->depth--;
		if ((rc = filter_lex_next(p)) < 0) {
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
		if ((rc = scalar_literal(p, &n->lit, &n->text)) < 0 || (rc = filter_lex_next(p)) < 0) {
			node_free(n);
			return rc;
		}
		*out = n;
		return 0;
	case T_IDENT: case T_AT: case T_DOLLAR:
		break;
	case T_END:
		return filter_perr(p, pos, "expected a value");
	default:
		return filter_perr(p, pos, "expected a value, found '%.*s'",
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
		rc = filter_perr(p, pos, "'@' (the element) is only meaningful inside any(), all() or count()");
	else
		rc = 0;
	if (rc < 0 || (rc = filter_lex_next(p)) < 0 || (rc = path_steps(p, n)) < 0)
		goto fail;
	if (n->root == ROOT_RECORD) {
		if (n->nstep == 0 || n->step[0].key == NULL) {
			rc = filter_perr(p, pos + 1, "expected a field name after '$'");
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
		if ((rc = filter_lex_next(p)) < 0)
			goto done;
		if (p->tok != T_IN) {
			rc = filter_perr(p, pos, "expected 'in' after 'not' (or an operator between values)");
			goto done;
		}
		tok = T_IN;
		negate = 1;
	}
	if (!is_cmp_tok(tok) && tok != T_IN) {
		*out = a;
		return 0;
	}
	if ((rc = filter_lex_next(p)) < 0 || (rc = parse_value(p, &b)) < 0)
		goto done;
	if (is_cmp_tok(p->tok) || p->tok == T_IN) {
		rc = filter_perr(p, p->tpos, "comparisons do not chain: add parentheses");
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
		return filter_perr(p, pos, "expression nested deeper than %d", FW_FILTER_MAX_DEPTH);
	if ((rc = filter_lex_next(p)) < 0 || (rc = parse_not(p, &k)) < 0)
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
		if ((rc = filter_lex_next(p)) < 0)
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
		return filter_perr(&p, bad, "invalid UTF-8");
	}
	if ((f = calloc(1, sizeof(*f))) == NULL || (f->src = strdup(expr)) == NULL) {
		rc = oom();
		goto done;
	}
	p.f = f;
	if ((rc = filter_lex_next(&p)) < 0)
		goto done;
	if (p.tok == T_END) {
		rc = filter_perr(&p, 0, "empty expression");
		goto done;
	}
	if ((rc = parse_or(&p, &f->root)) < 0)
		goto done;
	if (p.tok != T_END) {
		if (p.tok == T_RPAREN)
			rc = filter_perr(&p, p.tpos, "unbalanced ')'");
		else
			rc = filter_perr(&p, p.tpos, "expected an operator ('and', 'or', '==', ...) "
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
