/*
 * What callers of fw_diff need besides the walk: the merge base of two
 * revisions, a column's totals from row group statistics (fw diff --stat),
 * and a value as JSON text.
 */
#include "internal.h"
#include "fw/diff.h"
#include "fw/error.h"
#include "fw/json.h"

#include <stdlib.h>
#include <string.h>

int
fw_merge_base(fw_store *s, fw_rev *out, const fw_rev *a, const fw_rev *b)
{
	git_oid x, y, m;
	int rc;

	*out = *a;
	out->branch[0] = '\0';
	if ((rc = git_oid_fromstr(&x, a->commit)) < 0 || (rc = git_oid_fromstr(&y, b->commit)) < 0)
		return fw_git_error(rc, "bad commit id");
	if ((rc = git_merge_base(&m, s->repo, &x, &y)) < 0) {
		if (rc == GIT_ENOTFOUND)
			return fw_error_set(FW_ENOTFOUND, "%s@%.12s and %s@%.12s share no history",
			    a->corpus, a->commit, b->corpus, b->commit);
		return fw_git_error(rc, "cannot find the merge base");
	}
	git_oid_tostr(out->commit, sizeof(out->commit), &m);
	return 0;
}

struct totals {
	fw_store *s;
	const char *name;
	double sum;
	uint64_t count;
};

static int
totals_leaf(void *arg, const fw_ptree_child *leaf)
{
	struct totals *t = arg;
	fw_rg rg;
	int rc;

	if ((rc = fw_rg_load(t->s->os, &rg, &leaf->oid, 0)) < 0)
		return rc;
	size_t k = fw_rg_find(&rg, t->name);
	if (k != (size_t)-1 && rg.cols[k].st.nnum) {
		t->sum += rg.cols[k].st.sum;
		t->count += rg.cols[k].st.nnum;
	}
	fw_rg_release(&rg);
	return 0;
}

int
fw_column_totals(fw_store *s, const fw_rev *rev, const char *name, double *sum,
    uint64_t *count)
{
	struct totals t = { s, name, 0, 0 };
	fw_roots r;
	fw_ptree tr;
	int rc;

	*sum = 0;
	*count = 0;
	if ((rc = fw_version_read(s, rev->commit, NULL, &r)) < 0)
		return rc;
	fw_data_tree_init(&tr, s->os, NULL);
	if ((rc = fw_ptree_walk_leaves(&tr, &r.data, NULL, NULL, totals_leaf, &t)) < 0)
		return rc;
	*sum = t.sum;
	*count = t.count;
	return 0;
}

int
fw_value_json(fw_buf *b, uint8_t kind, const char *val, uint32_t len)
{
	switch (kind) {
	case FW_KIND_MISSING:
		return 0;
	case FW_KIND_NULL:
		return fw_buf_adds(b, "null");
	case FW_KIND_FALSE:
		return fw_buf_adds(b, "false");
	case FW_KIND_TRUE:
		return fw_buf_adds(b, "true");
	case FW_KIND_STRING:
		return fw_json_quote(b, val, len);
	default:
		return fw_buf_add(b, val, len);
	}
}
