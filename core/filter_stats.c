/*
 * fw_filter_check_stats: can a row group's rows match, judged from its column
 * statistics alone?
 *
 * An abstract interpretation: each value expression is summarised by the set
 * of kinds it can take over the row group (and, for numbers, an interval),
 * each condition by NONE, SOME or ALL. Every rule only ever widens: when a
 * rule does not know, the answer is SOME, so NONE and ALL stay sound.
 *
 * Numbers: statistics hold doubles, while two exact integers compare as
 * int64. Rounding to double is monotonic, so strict conclusions carry over;
 * a conclusion that needs two doubles to be *equal* holds only where doubles
 * are exact for integers (|x| < 2^53), which is what `exact` checks.
 */
#include "filter_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define K(kind) (1u << (kind))
#define K_NULLISH (K(FW_KIND_MISSING) | K(FW_KIND_NULL))
#define K_BOOL (K(FW_KIND_TRUE) | K(FW_KIND_FALSE))
#define K_ANY 0xffu

struct aval {
	uint32_t kinds;
	int range;		/* lo..hi bounds every NUMBER it can take */
	double lo, hi;
};

struct sctx {
	const fw_filter *f;
	const fw_colstats **st;	/* per filter column; NULL = absent */
};

static int tri(struct sctx *s, const struct fnode *n);

static int
exact(double x)
{
	return fabs(x) < 9007199254740992.0;
}

static void
aval_of(struct sctx *s, const struct fnode *n, struct aval *a)
{
	struct aval x;
	int t;

	memset(a, 0, sizeof(*a));
	switch (n->type) {
	case N_LIT:
		a->kinds = K(n->lit.kind);
		if (n->lit.kind == FW_KIND_NUMBER) {
			a->range = 1;
			a->lo = a->hi = n->lit.num;
		}
		return;
	case N_PATH: {
		const fw_colstats *st = n->root == ROOT_RECORD ? s->st[n->col] : NULL;
		if (n->root != ROOT_RECORD) {
			a->kinds = K_ANY;
		} else if (st == NULL) {
			a->kinds = K(FW_KIND_MISSING);
		} else if (n->nstep > 1) {
			/* Deeper values exist only inside arrays and objects. */
			a->kinds = !st->kinds || st->kinds & (K(FW_KIND_ARRAY) |
			    K(FW_KIND_OBJECT)) ? K_ANY : K(FW_KIND_MISSING);
		} else {
			/* No kinds recorded (statistics from a writer that does
			 * not keep them): anything. */
			a->kinds = st->kinds ? st->kinds : K_ANY;
			if (st->nnum > 0) {
				a->range = 1;
				a->lo = st->min;
				a->hi = st->max;
			}
		}
		return;
	}
	case N_CALL:
		if (n->fn == FN_LEN || n->fn == FN_LOWER || n->fn == FN_COUNT) {
			uint32_t from = n->fn == FN_LEN ? K(FW_KIND_STRING) |
			    K(FW_KIND_ARRAY) | K(FW_KIND_OBJECT) :
			    n->fn == FN_LOWER ? K(FW_KIND_STRING) : K(FW_KIND_ARRAY);
			aval_of(s, n->kid[0], &x);
			if (x.kinds & from)
				a->kinds |= n->fn == FN_LOWER ? K(FW_KIND_STRING) :
				    K(FW_KIND_NUMBER);
			if (x.kinds & ~from)
				a->kinds |= K(FW_KIND_MISSING);
			if (n->fn != FN_LOWER) {
				a->range = 1;
				a->lo = 0;
				a->hi = INFINITY;
			}
			return;
		}
		break;
	}
	t = tri(s, n);
	a->kinds = t == FW_FILTER_NONE ? K(FW_KIND_FALSE) :
	    t == FW_FILTER_ALL ? K(FW_KIND_TRUE) : K_BOOL;
}

/* Booleans are one type for comparisons. */
static uint32_t
types(uint32_t kinds)
{
	kinds &= ~K_NULLISH;
	if (kinds & K_BOOL)
		kinds = (kinds & ~K_BOOL) | K(FW_KIND_FALSE);
	return kinds;
}

/* Can a op b hold for some row, for all rows? Both are numbers in ranges. */
static void
range_cmp(int op, const struct aval *a, const struct aval *b, int *none, int *all)
{
	double al = a->lo, ah = a->hi, bl = b->lo, bh = b->hi;

	*none = *all = 0;
	switch (op) {
	case OP_EQ:
		*none = ah < bl || al > bh;
		*all = al == ah && bl == bh && al == bl && exact(al);
		break;
	case OP_NE:
		*none = al == ah && bl == bh && al == bl && exact(al);
		*all = ah < bl || al > bh;
		break;
	case OP_LT:
		*none = al > bh || (al == bh && exact(al));
		*all = ah < bl;
		break;
	case OP_LE:
		*none = al > bh;
		*all = ah < bl || (ah == bl && exact(ah));
		break;
	case OP_GT:
		*none = ah < bl || (ah == bl && exact(ah));
		*all = al > bh;
		break;
	case OP_GE:
		*none = ah < bl;
		*all = al > bh || (al == bh && exact(al));
		break;
	}
}

static int
tri_cmp(struct sctx *s, const struct fnode *n)
{
	struct aval a, b;
	uint32_t common;
	int none = 0, all = 0;

	aval_of(s, n->kid[0], &a);
	aval_of(s, n->kid[1], &b);
	common = types(a.kinds) & types(b.kinds);
	if (n->op != OP_EQ && n->op != OP_NE)
		common &= K(FW_KIND_NUMBER) | K(FW_KIND_STRING);
	if (common == 0)
		return FW_FILTER_NONE;
	if ((common & K(FW_KIND_NUMBER)) && a.range && b.range)
		range_cmp(n->op, &a, &b, &none, &all);
	if (common == K(FW_KIND_NUMBER) && none)
		return FW_FILTER_NONE;
	if (a.kinds == K(FW_KIND_NUMBER) && b.kinds == K(FW_KIND_NUMBER) && all)
		return FW_FILTER_ALL;
	/* One boolean against one boolean: decided. */
	if ((a.kinds == K(FW_KIND_TRUE) || a.kinds == K(FW_KIND_FALSE)) &&
	    (b.kinds == K(FW_KIND_TRUE) || b.kinds == K(FW_KIND_FALSE))) {
		int eq = a.kinds == b.kinds;
		if (n->op == OP_EQ)
			return eq ? FW_FILTER_ALL : FW_FILTER_NONE;
		if (n->op == OP_NE)
			return eq ? FW_FILTER_NONE : FW_FILTER_ALL;
	}
	return FW_FILTER_SOME;
}

static int
tri_in(struct sctx *s, const struct fnode *n)
{
	struct aval x, l;
	const struct fnode *list = n->kid[1];

	aval_of(s, n->kid[0], &x);
	if (types(x.kinds) == 0)
		return FW_FILTER_NONE;
	if (list->type != N_LIT) {
		aval_of(s, list, &l);
		return l.kinds & K(FW_KIND_ARRAY) ? FW_FILTER_SOME : FW_FILTER_NONE;
	}
	if (list->lit.kind != FW_KIND_ARRAY)
		return FW_FILTER_NONE;
	uint32_t lk = 0;
	int num_in_range = 0;
	for (size_t k = 0; k < list->lit.nelem; k++) {
		const fval *e = &list->lit.elem[k];
		lk |= K(e->kind);
		if (e->kind == FW_KIND_NUMBER && (!x.range ||
		    (e->num >= x.lo && e->num <= x.hi)))
			num_in_range = 1;
	}
	uint32_t common = types(x.kinds) & types(lk);
	if (!num_in_range)
		common &= ~K(FW_KIND_NUMBER);
	return common ? FW_FILTER_SOME : FW_FILTER_NONE;
}

static int
tri_call(struct sctx *s, const struct fnode *n)
{
	struct aval a, b;

	aval_of(s, n->kid[0], &a);
	switch (n->fn) {
	case FN_EXISTS:
		if (a.kinds == K(FW_KIND_MISSING))
			return FW_FILTER_NONE;
		return a.kinds & K(FW_KIND_MISSING) ? FW_FILTER_SOME : FW_FILTER_ALL;
	case FN_STARTSWITH:
	case FN_CONTAINS:
		aval_of(s, n->kid[1], &b);
		if (!(b.kinds & K(FW_KIND_STRING)))
			return FW_FILTER_NONE;
		/* fall through */
	case FN_MATCHES:
		return a.kinds & K(FW_KIND_STRING) ? FW_FILTER_SOME : FW_FILTER_NONE;
	case FN_ANY:
	case FN_ALL:
		return a.kinds & K(FW_KIND_ARRAY) ? FW_FILTER_SOME : FW_FILTER_NONE;
	}
	/* len(), lower(), count() as conditions: never `true`. */
	return FW_FILTER_NONE;
}

static int
tri(struct sctx *s, const struct fnode *n)
{
	struct aval a;
	int r, seen_none = 0, seen_all = 0, seen_some = 0;

	switch (n->type) {
	case N_AND:
	case N_OR:
		for (size_t k = 0; k < n->nkid; k++) {
			r = tri(s, n->kid[k]);
			seen_none |= r == FW_FILTER_NONE;
			seen_all |= r == FW_FILTER_ALL;
			seen_some |= r == FW_FILTER_SOME;
		}
		if (n->type == N_AND)
			return seen_none ? FW_FILTER_NONE :
			    seen_some ? FW_FILTER_SOME : FW_FILTER_ALL;
		return seen_all ? FW_FILTER_ALL :
		    seen_some ? FW_FILTER_SOME : FW_FILTER_NONE;
	case N_NOT:
		r = tri(s, n->kid[0]);
		return r == FW_FILTER_SOME ? r :
		    r == FW_FILTER_NONE ? FW_FILTER_ALL : FW_FILTER_NONE;
	case N_CMP:
		return tri_cmp(s, n);
	case N_NULLTEST:
		aval_of(s, n->kid[0], &a);
		if ((a.kinds & ~K_NULLISH) == 0)
			r = FW_FILTER_ALL;
		else if ((a.kinds & K_NULLISH) == 0)
			r = FW_FILTER_NONE;
		else
			return FW_FILTER_SOME;
		if (n->op == OP_NE)
			r = r == FW_FILTER_ALL ? FW_FILTER_NONE : FW_FILTER_ALL;
		return r;
	case N_IN:
		return tri_in(s, n);
	case N_CALL:
		if (n->fn != FN_LEN && n->fn != FN_LOWER && n->fn != FN_COUNT)
			return tri_call(s, n);
		break;
	}
	/* A value as a condition: true only when it is `true`. */
	aval_of(s, n, &a);
	if (!(a.kinds & K(FW_KIND_TRUE)))
		return FW_FILTER_NONE;
	return a.kinds == K(FW_KIND_TRUE) ? FW_FILTER_ALL : FW_FILTER_SOME;
}

int
fw_filter_check_stats(const fw_filter *f, const char *const *names,
    const fw_colstats *stats, size_t ncols, uint32_t nrows)
{
	const fw_colstats *byname[64], **st = byname;
	struct sctx s;
	int r;

	if (nrows == 0)
		return FW_FILTER_NONE;
	if (f->ncols > 64 && (st = calloc(f->ncols, sizeof(*st))) == NULL)
		return FW_FILTER_SOME;	/* no memory: the answer that is always sound */
	for (size_t k = 0; k < f->ncols; k++) {
		st[k] = NULL;
		for (size_t c = 0; c < ncols; c++)
			if (names[c] && strcmp(names[c], f->cols[k]) == 0) {
				st[k] = &stats[c];
				break;
			}
	}
	s.f = f;
	s.st = st;
	r = tri(&s, f->root);
	if (st != byname)
		free(st);
	return r;
}
