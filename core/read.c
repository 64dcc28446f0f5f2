/* Reading a version: fw_cat streams records in row-key order, one row group
 * at a time, so memory follows the row group, not the corpus. */
#include "internal.h"
#include "fw/error.h"
#include "fw/filter.h"
#include "fw/json.h"

#include <stdlib.h>
#include <string.h>

struct cat_ctx {
	fw_store *s;
	fw_cat_opts *o;
	int (*cb)(void *arg, const char *json, size_t len);
	void *arg;
	uint64_t emitted;
	fw_buf line;
	const uint8_t *only_key;	/* one row key, for --id */
	const char *only_id;
	int found;
};

static int
emit_row(struct cat_ctx *c, fw_rg *rg, fw_column **cols, uint32_t r)
{
	int rc, first = 1;

	fw_buf_reset(&c->line);
	fw_buf_addc(&c->line, '{');
	for (size_t k = 0; k < rg->ncols; k++) {
		fw_column *col = cols[k];
		if (col->kind[r] == FW_KIND_MISSING)
			continue;
		if (!first)
			fw_buf_addc(&c->line, ',');
		first = 0;
		fw_json_quote(&c->line, rg->cols[k].name, strlen(rg->cols[k].name));
		fw_buf_addc(&c->line, ':');
		if ((rc = fw_column_value_json(col, r, &c->line)) < 0)
			return rc;
	}
	if ((rc = fw_buf_addc(&c->line, '}')) < 0)
		return rc;
	c->emitted++;
	return c->cb(c->arg, c->line.data, c->line.len);
}

static int
cat_leaf(void *arg, const fw_ptree_child *leaf)
{
	struct cat_ctx *c = arg;
	fw_rg rg;
	fw_column **cols = NULL;
	int rc;

	uint8_t *match = NULL;

	if (c->o->limit && c->emitted >= c->o->limit)
		return 1;
	if ((rc = fw_rg_load(c->s->os, &rg, &leaf->oid, c->only_key != NULL)) < 0)
		return rc;
	if ((cols = calloc(rg.ncols + 1, sizeof(*cols))) == NULL) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	int by_stats = 0;
	if (c->o->where &&
	    (rc = fw_rg_select(c->s->os, &rg, c->o->where, &match, &by_stats)) != 0) {
		if (rc == 1) {
			c->o->groups_skipped += (uint64_t)by_stats;
			rc = 0;		/* nothing here matches */
		}
		goto done;
	}
	c->o->groups_read++;
	for (size_t k = 0; k < rg.ncols; k++)
		if ((rc = fw_rg_column(c->s->os, &rg, rg.cols[k].name, &cols[k])) < 0)
			goto done;
	for (uint32_t r = 0; r < rg.n; r++) {
		if (c->only_key && memcmp(rg.keys + (size_t)r * 16, c->only_key, 16) != 0)
			continue;
		if (c->only_key) {
			/* 8 hash bytes matched; the id itself must too. */
			fw_column *ids = NULL;
			for (size_t k = 0; k < rg.ncols; k++)
				if (strcmp(rg.cols[k].name, "id") == 0)
					ids = cols[k];
			if (ids == NULL || ids->off[r + 1] - ids->off[r] != strlen(c->only_id) ||
			    memcmp(ids->data + ids->off[r], c->only_id, strlen(c->only_id)) != 0)
				continue;
			c->found = 1;
		}
		if (match && !match[r])
			continue;
		if (c->o->limit && c->emitted >= c->o->limit) {
			rc = 1;
			goto done;
		}
		if ((rc = emit_row(c, &rg, cols, r)) != 0)
			goto done;
	}
	rc = 0;
done:
	free(match);
	free(cols);
	fw_rg_release(&rg);
	return rc;
}

int
fw_cat(fw_store *s, const fw_rev *rev, fw_cat_opts *o,
    int (*cb)(void *arg, const char *json, size_t len), void *arg)
{
	struct cat_ctx c = { s, o, cb, arg, 0, FW_BUF_INIT, NULL, NULL, 0 };
	fw_roots roots;
	fw_ptree t;
	int rc;

	if ((rc = fw_version_read(s, rev->commit, NULL, &roots)) < 0)
		return rc;
	fw_data_tree_init(&t, s->os, NULL);
	if (o->nids == 0) {
		rc = fw_ptree_walk_leaves(&t, &roots.data, NULL, NULL, cat_leaf, &c);
	} else {
		for (size_t i = 0; i < o->nids && rc >= 0; i++) {
			uint8_t key[16], h[8];
			uint64_t time;
			fw_idhash(h, o->ids[i], strlen(o->ids[i]));
			rc = fw_index_lookup(s->os, &roots.index, h, &time);
			if (rc == 0) {
				rc = fw_error_set(FW_ENOTFOUND, "no record with id '%s' in %s@%.12s",
				    o->ids[i], rev->corpus, rev->commit);
				break;
			}
			if (rc < 0)
				break;
			fw_put_be64(key, time);
			memcpy(key + 8, h, 8);
			c.only_key = key;
			c.only_id = o->ids[i];
			c.found = 0;
			rc = fw_ptree_walk_leaves(&t, &roots.data, key, key, cat_leaf, &c);
			if (rc >= 0 && !c.found && !(o->limit && c.emitted >= o->limit)) {
				rc = fw_error_set(FW_ENOTFOUND, "no record with id '%s' in %s@%.12s",
				    o->ids[i], rev->corpus, rev->commit);
				break;
			}
		}
	}
	fw_buf_release(&c.line);
	return rc < 0 ? rc : 0;
}
