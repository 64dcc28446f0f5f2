/*
 * fw_filter_match_columns: a filter over the decoded columns of a row group.
 *
 * Conditions of the common shapes (a column compared with a literal, `in` a
 * literal list, a null test, exists(), a bare boolean column) run as loops
 * over the column's kind, number and payload arrays for a selection of rows.
 * `and`/`or` narrow the selection: the cheap conditions run first, and the
 * others run row by row through the one evaluator of filter_eval.c, on the
 * rows still undecided, parsing a JSON payload only when a row needs it.
 * Reordering the operands of `and`/`or` is safe because conditions have no
 * side effects and never fail on data.
 */
#include "filter_int.h"
#include "fw/error.h"
#include "fw/json.h"

#include <stdlib.h>
#include <string.h>

struct vctx {
	struct filter_ctx row;		/* per-row evaluation */
	const fw_column **cols;		/* per filter column */
	uint32_t nrows;
};

static int
oom(void)
{
	return fw_error_set(FW_ENOMEM, "out of memory");
}

static int
is_scalar_lit(const struct fnode *n)
{
	return n->type == N_LIT && n->lit.kind != FW_KIND_ARRAY;
}

/* Whether n runs as a column kernel (see vpred). */
static int
is_fast(const struct fnode *n)
{
	switch (n->type) {
	case N_CMP:
		return filter_is_colpath(n->kid[0]) && n->kid[1]->type == N_LIT;
	case N_NULLTEST:
		return filter_is_colpath(n->kid[0]) || n->kid[0]->type == N_LIT;
	case N_IN:
		return filter_is_colpath(n->kid[0]) && n->kid[1]->type == N_LIT &&
		    n->kid[1]->lit.kind == FW_KIND_ARRAY;
	case N_CALL:
		return n->fn == FN_EXISTS && filter_is_colpath(n->kid[0]);
	case N_PATH:
		return filter_is_colpath(n);
	case N_LIT:
		return 1;
	case N_NOT:
		return is_fast(n->kid[0]);
	case N_AND:
	case N_OR:
		for (size_t k = 0; k < n->nkid; k++)
			if (!is_fast(n->kid[k]))
				return 0;
		return 1;
	}
	return 0;
}

static uint8_t
kind_at(const fw_column *col, uint32_t r)
{
	return col ? col->kind[r] : FW_KIND_MISSING;
}

/* column op scalar literal, with the rules of cmp_vals in filter_eval.c. */
static void
k_cmp_scalar(const fw_column *col, int op, const fval *l, const uint32_t *sel,
    uint32_t nsel, uint8_t *out)
{
	uint32_t j;

	if (col == NULL || l->kind == FW_KIND_NULL) {
		for (j = 0; j < nsel; j++)
			out[sel[j]] = 0;
		return;
	}
	const uint8_t *kind = col->kind;
	switch (l->kind) {
	case FW_KIND_NUMBER: {
		const double ld = l->num;
		const int64_t li = l->i;
		if (col->num == NULL)
			break;	/* a builder column: rows decide one by one below */
		for (j = 0; j < nsel; j++) {
			uint32_t r = sel[j];
			if (kind[r] != FW_KIND_NUMBER) {
				out[r] = 0;
				continue;
			}
			int c = l->is_int && col->is_int[r] ?
			    (col->ints[r] > li) - (col->ints[r] < li) :
			    (col->num[r] > ld) - (col->num[r] < ld);
			out[r] = (uint8_t)filter_op_holds(op, c);
		}
		return;
	}
	case FW_KIND_STRING:
		for (j = 0; j < nsel; j++) {
			uint32_t r = sel[j];
			if (kind[r] != FW_KIND_STRING) {
				out[r] = 0;
				continue;
			}
			out[r] = (uint8_t)filter_op_holds(op, filter_bytes_cmp(
			    col->data + col->off[r], col->off[r + 1] - col->off[r],
			    l->s, l->len));
		}
		return;
	case FW_KIND_TRUE:
	case FW_KIND_FALSE:
		for (j = 0; j < nsel; j++) {
			uint32_t r = sel[j];
			int b = kind[r] == FW_KIND_TRUE || kind[r] == FW_KIND_FALSE;
			out[r] = (uint8_t)(b && (op == OP_EQ ? kind[r] == l->kind :
			    op == OP_NE ? kind[r] != l->kind : 0));
		}
		return;
	}
	for (j = 0; j < nsel; j++) {	/* numbers of a column without num[] */
		uint32_t r = sel[j];
		double d;
		int64_t i;
		uint8_t isint;
		if (kind[r] != FW_KIND_NUMBER) {
			out[r] = 0;
			continue;
		}
		(void)filter_num_parse(col->data + col->off[r],
		    col->off[r + 1] - col->off[r], &d, &i, &isint);
		out[r] = (uint8_t)filter_op_holds(op,
		    filter_num_cmp(d, i, isint, l->num, l->i, l->is_int));
	}
}

/* column == / != an array literal: canonical texts. */
static void
k_cmp_array(const fw_column *col, int op, const fval *l, const uint32_t *sel,
    uint32_t nsel, uint8_t *out)
{
	for (uint32_t j = 0; j < nsel; j++) {
		uint32_t r = sel[j];
		int eq;
		if (kind_at(col, r) != FW_KIND_ARRAY || (op != OP_EQ && op != OP_NE)) {
			out[r] = 0;
			continue;
		}
		eq = col->off[r + 1] - col->off[r] == l->len &&
		    memcmp(col->data + col->off[r], l->s, l->len) == 0;
		out[r] = (uint8_t)(op == OP_EQ ? eq : !eq);
	}
}

/* column in [literals]. */
static void
k_in(const fw_column *col, const fval *l, const uint32_t *sel, uint32_t nsel,
    uint8_t *out)
{
	for (uint32_t j = 0; j < nsel; j++) {
		uint32_t r = sel[j];
		uint8_t k = kind_at(col, r), hit = 0;
		for (size_t e = 0; e < l->nelem && !hit; e++) {
			const fval *x = &l->elem[e];
			if (k == FW_KIND_STRING && x->kind == FW_KIND_STRING)
				hit = col->off[r + 1] - col->off[r] == x->len &&
				    memcmp(col->data + col->off[r], x->s, x->len) == 0;
			else if (k == FW_KIND_NUMBER && x->kind == FW_KIND_NUMBER) {
				double d;
				int64_t i;
				uint8_t isint;
				if (col->num) {
					d = col->num[r];
					i = col->ints[r];
					isint = col->is_int[r];
				} else
					(void)filter_num_parse(col->data + col->off[r],
					    col->off[r + 1] - col->off[r], &d, &i, &isint);
				hit = filter_num_cmp(d, i, isint, x->num, x->i, x->is_int) == 0;
			} else if ((k == FW_KIND_TRUE || k == FW_KIND_FALSE) && x->kind == k)
				hit = 1;
		}
		out[r] = hit;
	}
}

static int vpred(struct vctx *v, const struct fnode *n, const uint32_t *sel,
    uint32_t nsel, uint8_t *out);

/* The per-row evaluator on the selected rows. */
static int
rows(struct vctx *v, const struct fnode *n, const uint32_t *sel, uint32_t nsel,
    uint8_t *out)
{
	for (uint32_t j = 0; j < nsel; j++) {
		v->row.row = sel[j];
		int r = filter_pred(&v->row, n);
		filter_ctx_row_reset(&v->row);
		if (r < 0)
			return r;
		out[sel[j]] = (uint8_t)r;
	}
	return 0;
}

/*
 * and / or: the fast operands narrow the selection vectorised; the others
 * then run row by row on what is left, all of them on one row before the
 * next, so that a row's parsed payloads serve every operand.
 */
static int
chain(struct vctx *v, const struct fnode *n, const uint32_t *sel, uint32_t nsel,
    uint8_t *out)
{
	const uint8_t decided = n->type == N_OR;	/* the value that ends the chain */
	uint32_t *cur = malloc(((size_t)nsel + 1) * sizeof(*cur)), ncur = nsel;
	uint8_t *tmp = malloc((size_t)v->nrows + 1);
	int rc = 0, slow = 0;

	if (cur == NULL || tmp == NULL) {
		rc = oom();
		goto done;
	}
	memcpy(cur, sel, (size_t)nsel * sizeof(*cur));
	for (uint32_t j = 0; j < nsel; j++)
		out[sel[j]] = !decided;
	for (size_t k = 0; k < n->nkid && ncur; k++) {
		if (!is_fast(n->kid[k])) {
			slow = 1;
			continue;
		}
		if ((rc = vpred(v, n->kid[k], cur, ncur, tmp)) < 0)
			goto done;
		uint32_t m = 0;
		for (uint32_t j = 0; j < ncur; j++) {
			uint32_t r = cur[j];
			if (tmp[r] == decided)
				out[r] = decided;
			else
				cur[m++] = r;
		}
		ncur = m;
	}
	for (uint32_t j = 0; slow && j < ncur; j++) {
		uint32_t r = cur[j];
		v->row.row = r;
		for (size_t k = 0; k < n->nkid; k++) {
			if (is_fast(n->kid[k]))
				continue;
			int x = filter_pred(&v->row, n->kid[k]);
			if (x < 0) {
				filter_ctx_row_reset(&v->row);
				rc = x;
				goto done;
			}
			if (x == decided) {
				out[r] = decided;
				break;
			}
		}
		filter_ctx_row_reset(&v->row);
	}
done:
	free(cur);
	free(tmp);
	return rc;
}

static int
vpred(struct vctx *v, const struct fnode *n, const uint32_t *sel, uint32_t nsel,
    uint8_t *out)
{
	const fw_column *col;
	uint32_t j;
	int rc;

	switch (n->type) {
	case N_AND:
	case N_OR:
		return chain(v, n, sel, nsel, out);
	case N_NOT:
		if ((rc = vpred(v, n->kid[0], sel, nsel, out)) < 0)
			return rc;
		for (j = 0; j < nsel; j++)
			out[sel[j]] = !out[sel[j]];
		return 0;
	}
	if (!is_fast(n))
		return rows(v, n, sel, nsel, out);
	if (n->type == N_LIT || (n->type == N_NULLTEST && n->kid[0]->type == N_LIT)) {
		/* A constant: the per-row evaluator answers once. */
		uint8_t one;
		uint32_t r0 = 0;
		if (nsel == 0)
			return 0;
		if ((rc = rows(v, n, &r0, 1, &one)) < 0)
			return rc;
		for (j = 0; j < nsel; j++)
			out[sel[j]] = one;
		return 0;
	}
	col = v->cols[(n->type == N_PATH ? n : n->kid[0])->col];
	switch (n->type) {
	case N_CMP:
		if (is_scalar_lit(n->kid[1]))
			k_cmp_scalar(col, n->op, &n->kid[1]->lit, sel, nsel, out);
		else
			k_cmp_array(col, n->op, &n->kid[1]->lit, sel, nsel, out);
		return 0;
	case N_IN:
		k_in(col, &n->kid[1]->lit, sel, nsel, out);
		return 0;
	case N_NULLTEST:
		for (j = 0; j < nsel; j++) {
			uint8_t k = kind_at(col, sel[j]);
			uint8_t isnull = k == FW_KIND_MISSING || k == FW_KIND_NULL;
			out[sel[j]] = n->op == OP_EQ ? isnull : !isnull;
		}
		return 0;
	case N_CALL:	/* exists() */
		for (j = 0; j < nsel; j++)
			out[sel[j]] = kind_at(col, sel[j]) != FW_KIND_MISSING;
		return 0;
	case N_PATH:	/* a bare column as a condition */
		for (j = 0; j < nsel; j++)
			out[sel[j]] = kind_at(col, sel[j]) == FW_KIND_TRUE;
		return 0;
	}
	return rows(v, n, sel, nsel, out);
}

int
fw_filter_match_columns(const fw_filter *f, const fw_column *const *cols,
    size_t ncols, uint32_t nrows, uint8_t *match)
{
	struct vctx v;
	uint32_t *sel = NULL;
	int rc = 0;

	memset(&v, 0, sizeof(v));
	filter_ctx_init(&v.row, f);
	v.nrows = nrows;
	v.cols = calloc(f->ncols + 1, sizeof(*v.cols));
	sel = malloc(((size_t)nrows + 1) * sizeof(*sel));
	if (v.cols == NULL || sel == NULL) {
		rc = oom();
		goto done;
	}
	for (size_t k = 0; k < f->ncols; k++)
		for (size_t c = 0; c < ncols; c++)
			if (cols[c] && cols[c]->name && strcmp(cols[c]->name, f->cols[k]) == 0) {
				if (cols[c]->n < nrows) {
					rc = fw_error_set(FW_EINVALID,
					    "filter: column '%s' has %u rows, the row group %u",
					    f->cols[k], cols[c]->n, nrows);
					goto done;
				}
				v.cols[k] = cols[c];
				break;
			}
	v.row.cols = v.cols;
	for (uint32_t r = 0; r < nrows; r++)
		sel[r] = r;
	rc = vpred(&v, f->root, sel, nrows, match);
done:
	filter_ctx_release(&v.row);
	free(v.cols);
	free(sel);
	return rc;
}
