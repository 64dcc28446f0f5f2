/* Versions and history: a commit's metadata with its totals. */
#include "internal.h"
#include "fw/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
fw_version_release(fw_version *v)
{
	if (v == NULL)
		return;
	free(v->schema_yaml);
	free(v->message);
	for (size_t i = 0; i < v->ncolumns; i++) {
		free(v->columns[i]);
		free(v->column_types[i]);
	}
	free(v->columns);
	free(v->column_types);
	memset(v, 0, sizeof(*v));
}

static int
load_commit(fw_store *s, fw_version *v, const git_oid *cid)
{
	git_commit *c = NULL;
	fw_schema schema;
	fw_roots roots;
	const git_signature *a;
	int rc;

	if ((rc = fw_commit_read(s, cid, &schema, &roots, &v->schema_yaml)) < 0)
		return rc;
	if ((rc = git_commit_lookup(&c, s->repo, cid)) < 0) {
		rc = fw_git_error(rc, "cannot read commit");
		goto done;
	}
	git_oid_tostr(v->rev.commit, sizeof(v->rev.commit), cid);
	v->message = strdup(git_commit_message(c) ? git_commit_message(c) : "");
	a = git_commit_author(c);
	snprintf(v->author, sizeof(v->author), "%s <%s>", a->name, a->email);
	v->time = (int64_t)git_commit_time(c);
	v->tz_minutes = git_commit_time_offset(c);
	v->nparents = (int)git_commit_parentcount(c);
	if (v->nparents > 2)
		v->nparents = 2;
	for (int i = 0; i < v->nparents; i++)
		git_oid_tostr(v->parents[i], sizeof(v->parents[i]), git_commit_parent_id(c, (unsigned)i));
	v->records = roots.data.empty ? 0 : roots.data.top.count;
	v->bytes = roots.data.empty ? 0 : roots.data.top.bytes;
	v->stored = (roots.data.empty ? 0 : roots.data.top.stored) +
	    (roots.index.empty ? 0 : roots.index.top.stored);
	v->data_height = roots.data.height;
	v->index_height = roots.index.height;
	if (!roots.data.empty)
		fw_oid_tohex(v->data_root, &roots.data.top.oid);
	if (!roots.index.empty)
		fw_oid_tohex(v->index_root, &roots.index.top.oid);
	v->columns = calloc(schema.ncols + 1, sizeof(char *));
	v->column_types = calloc(schema.ncols + 1, sizeof(char *));
	if (!v->columns || !v->column_types || !v->message) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < schema.ncols; i++) {
		v->columns[i] = strdup(schema.cols[i].name);
		v->column_types[i] = strdup(fw_type_name(schema.cols[i].type));
		v->ncolumns++;
	}
	rc = 0;
done:
	fw_schema_release(&schema);
	git_commit_free(c);
	return rc;
}

int
fw_version_load(fw_store *s, fw_version *out, const fw_rev *rev)
{
	git_oid cid;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = git_oid_fromstr(&cid, rev->commit)) < 0)
		return fw_git_error(rc, "bad commit id %s", rev->commit);
	if ((rc = load_commit(s, out, &cid)) < 0) {
		fw_version_release(out);
		return rc;
	}
	out->rev = *rev;
	return 0;
}

int
fw_log_walk(fw_store *s, const fw_rev *rev, size_t n,
    int (*cb)(void *arg, const fw_version *v), void *arg)
{
	git_oid cid;
	size_t count = 0;
	int rc, more = 1;

	if ((rc = git_oid_fromstr(&cid, rev->commit)) < 0)
		return fw_git_error(rc, "bad commit id %s", rev->commit);
	/* The first-parent chain, newest first: each step reads one commit, so
	 * -n N reads N (a sorted git revwalk read the whole history before it
	 * gave the first). */
	while (more && (n == 0 || count < n)) {
		fw_version v;
		memset(&v, 0, sizeof(v));
		if ((rc = load_commit(s, &v, &cid)) < 0) {
			fw_version_release(&v);
			return rc;
		}
		snprintf(v.rev.corpus, sizeof(v.rev.corpus), "%s", rev->corpus);
		more = v.nparents > 0 && git_oid_fromstr(&cid, v.parents[0]) == 0;
		rc = cb(arg, &v);
		fw_version_release(&v);
		if (rc != 0)
			return rc;
		count++;
	}
	return 0;
}
