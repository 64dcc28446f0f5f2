/*
 * The filter language's lexer: tokens, string and number literals as JSON
 * writes them, and the error messages with a column and a caret that every
 * parse error goes through.
 */
#include "filter_int.h"
#include "fw/error.h"
#include "fw/json.h"
#include "json_scan.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * "filter: WHAT at column N", then the expression and a caret under column N.
 * Long expressions are shown as a window around the column, and control
 * characters as spaces, so that the caret lines up.
 */
int
filter_perr(struct parser *p, size_t pos, const char *fmt, ...)
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

/* A string literal with JSON's escapes, decoded into p->str: the JSON
 * scanner finds its end (or the first error, at its position), and the JSON
 * unescaper decodes it. */
static int
lex_string(struct parser *p)
{
	struct scan c = { .s = p->s, .len = p->len, .i = p->i };

	fw_buf_reset(&p->str);
	if (fw_scan_string(&c) < 0) {
		if (strcmp(c.err, "unterminated string") == 0)
			return filter_perr(p, p->tpos, "unterminated string");
		if (strcmp(c.err, "control character in a string") == 0)
			return filter_perr(p, c.i, "control character in a string (write it as an "
			    "escape)");
		return filter_perr(p, c.i, "%s", c.err);
	}
	if (fw_json_unescape(&p->str, p->s + p->i + 1, c.i - p->i - 2) < 0)
		return oom();
	p->tok = T_STRING;
	p->i = c.i;
	return 0;
}

/* A number as JSON writes it, with an optional leading '-'. */
static int
lex_number(struct parser *p)
{
	size_t i = p->i;

	if (p->s[i] == '-')
		i++;
	if (i >= p->len || !is_digit(p->s[i]))
		return filter_perr(p, p->i, "expected a number after '-'");
	if (p->s[i] == '0')
		i++;
	else
		while (i < p->len && is_digit(p->s[i]))
			i++;
	if (i < p->len && p->s[i] == '.') {
		i++;
		if (i >= p->len || !is_digit(p->s[i]))
			return filter_perr(p, i, "expected a digit after '.'");
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit(p->s[i]))
			return filter_perr(p, i, "expected a digit in the exponent");
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && (is_ident(p->s[i]) || p->s[i] == '.'))
		return filter_perr(p, p->i, "bad number");
	p->tok = T_NUMBER;
	p->i = i;
	return 0;
}

int
filter_lex_next(struct parser *p)
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
				return filter_perr(p, p->i, "expected '==' (a single '=' is not an operator)");
			p->tok = T_EQ; two = 2; break;
		case '&':
			if (d != '&')
				return filter_perr(p, p->i, "expected '&&'");
			p->tok = T_AND; two = 2; break;
		case '|':
			if (d != '|')
				return filter_perr(p, p->i, "expected '||'");
			p->tok = T_OR; two = 2; break;
		default:
			return filter_perr(p, p->i, "unexpected character");
		}
		p->i += (size_t)two;
	}
	p->tend = p->i;
	return rc;
}
