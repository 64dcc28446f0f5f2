/*
 * core/filter_int.h - the compiled form of a filter, shared by the parser
 * (filter.c), the row evaluator (filter_eval.c), the vectorised evaluator
 * (filter_vec.c) and the statistics check (filter_stats.c). Not public.
 */
#ifndef FW_FILTER_INT_H
#define FW_FILTER_INT_H

#include "fw/filter.h"
#include "fw/buf.h"
#include "fw/column.h"

#include <json-c/json.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

enum fnode_type {
	N_LIT,		/* a literal value, arrays of literals included */
	N_PATH,		/* a field path */
	N_AND, N_OR,	/* n-ary, so that long chains do not deepen the tree */
	N_NOT,
	N_CMP,		/* kid[0] op kid[1]; a literal operand is always kid[1] */
	N_NULLTEST,	/* kid[0] == null (op OP_EQ) or != null (op OP_NE) */
	N_IN,		/* kid[0] in kid[1] */
	N_CALL,
};

enum fop { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

enum ffn {
	FN_LEN, FN_EXISTS, FN_LOWER, FN_STARTSWITH, FN_CONTAINS, FN_MATCHES,
	FN_COUNT, FN_ANY, FN_ALL,
};

enum froot {
	ROOT_RECORD,	/* a top-level field: the first step names a column */
	ROOT_ELEM,	/* the element of any()/all()/count() being tested */
};

/*
 * A value during evaluation. kind is an fw_kind. STRING: s/len are the raw
 * bytes. NUMBER: num, and i with is_int when it is an exact int64 (parsed
 * from the text exactly as fw_column_decode does). ARRAY/OBJECT: either js
 * (a json-c value, record evaluation) or s/len, the value's canonical JSON
 * text (column payloads and the values inside them, literals); array
 * literals also list their elements.
 */
typedef struct fval {
	uint8_t kind;
	uint8_t is_int;
	const char *s;
	size_t len;
	double num;
	int64_t i;
	struct json_object *js;
	const struct fval *elem;
	size_t nelem;
} fval;

struct fstep {
	char *key;		/* NULL for an index step */
	size_t keylen;
	int64_t index;
};

struct fnode {
	int type;
	int op;			/* enum fop for N_CMP and N_NULLTEST */
	int fn;			/* enum ffn for N_CALL */
	int root;		/* enum froot for N_PATH */
	int col;		/* N_PATH, ROOT_RECORD: index in fw_filter.cols */
	size_t pos;		/* byte offset in the source, for messages */
	struct fnode **kid;
	size_t nkid;
	fval lit;		/* N_LIT */
	fval *elems;		/* N_LIT array: its elements (owned) */
	char *text;		/* owned bytes behind lit.s */
	struct fstep *step;	/* N_PATH */
	size_t nstep;
	pcre2_code *re;		/* N_CALL matches() */
};

struct fw_filter {
	char *src;
	struct fnode *root;
	char **cols;		/* top-level fields read, each once */
	size_t ncols;
	size_t nre;		/* number of regular expressions */
};

/* Per-evaluation state: one per fw_filter_match call or per row group. */
struct filter_ctx {
	const fw_filter *f;
	struct json_object *rec;		/* record mode */
	const fw_column **cols;			/* column mode: per f->cols, NULL = absent */
	uint32_t row;
	fval elem;				/* any()/all()/count() element */
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	fw_buf ca, cb;				/* canonical text scratch */
	char **tmp;				/* strings made by lower(), per row */
	size_t ntmp, captmp;
	fw_buf key;				/* an escaped key, decoded */
};

/* Parsing (filter_lex.c, filter.c). */
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

/* Reads the next token into p->tok, p->tpos..p->tend (and p->str for a
 * string); 0 or an error from filter_perr. */
int filter_lex_next(struct parser *p);
/* Sets the three-line error "filter: WHAT at column N", the expression and a
 * caret under byte offset pos; returns FW_EINVALID (FW_ENOMEM if the message
 * cannot be built). */
int filter_perr(struct parser *p, size_t pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* In-place reading of JSON text (filter_scan.c). */
struct filter_scan {
	const char *s;
	size_t n, i;
	int obj, first;
};
/* Starts reading the array or object s[0..n); -1 if it is neither. */
int filter_scan_begin(struct filter_scan *it, const char *s, size_t n);
/* The next element (key NULL) or member (key and klen: the key's text
 * between its quotes, escapes undecoded) and its value's text. Returns 1, 0
 * at the end, -1 on malformed text. */
int filter_scan_next(struct filter_scan *it, const char **key, size_t *klen,
    const char **val, size_t *vlen);
/* Appends the decoded bytes of a string's text (between its quotes) to b:
 * 0, -1 on a bad escape, -2 when out of memory. */
int filter_unescape(fw_buf *b, const char *s, size_t n);

void filter_ctx_init(struct filter_ctx *c, const fw_filter *f);
/* Frees what the current row allocated (strings made by lower() and by
 * decoding escapes). */
void filter_ctx_row_reset(struct filter_ctx *c);
void filter_ctx_release(struct filter_ctx *c);

/* Evaluates n as a condition on the context's record or row: 1, 0 or < 0. */
int filter_pred(struct filter_ctx *c, const struct fnode *n);

/* Parses a number's text as fw_column_decode does; 0 or FW_ENOMEM. */
int filter_num_parse(const char *s, size_t n, double *d, int64_t *i,
    uint8_t *is_int);
/* -1, 0, 1: numbers compare as int64 when both are exact ints, else as doubles. */
static inline int
filter_num_cmp(double ad, int64_t ai, int aint, double bd, int64_t bi, int bint)
{
	if (aint && bint)
		return (ai > bi) - (ai < bi);
	return (ad > bd) - (ad < bd);
}
/* -1, 0, 1: bytewise, a shorter prefix first. */
int filter_bytes_cmp(const char *a, size_t an, const char *b, size_t bn);
/* Whether comparison result c (-1, 0, 1) satisfies op. */
static inline int
filter_op_holds(int op, int c)
{
	switch (op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	default: return c >= 0;
	}
}
/* Unicode code points in valid UTF-8 s[0..n). */
size_t filter_utf8_len(const char *s, size_t n);
/* Whether n reads a single top-level field (a column) directly. */
int filter_is_colpath(const struct fnode *n);

#endif
