/*
 * fw merge: a three-way merge computed from two tree diffs, so that its cost
 * follows the changes on each side since the merge base, not the corpus.
 *
 * diff(base, ours) and diff(base, theirs) give each side's changes per id
 * (a record removed and added again in one side becomes a modification).
 * They are combined per id and per top-level field: a field changed on one
 * side takes that side; changed on both to the same value is no conflict; to
 * different values it is a conflict, unless both values and the base are
 * JSON objects that merge key by key (arrays are atomic); a record modified
 * on one side and removed on the other is a conflict; a record added on both
 * sides is a conflict in each field where the two differ. What theirs brings
 * becomes edits of ours (PUT of added records, DEL, PATCH of the fields that
 * change), applied as a commit applies staged edits (fw_commit_apply_edits),
 * with the parents (ours, theirs).
 *
 * On conflicts nothing is committed: .fw/merge/CORPUS/state names the three
 * commits and collects resolutions; it is written to a temporary file,
 * synced and renamed, so a crash leaves the old state or the new. The plan
 * itself is not stored: it is computed again from the three commits, which
 * is cheap and cannot go stale.
 */
#include "internal.h"
#include "fw/diff.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/merge.h"
#include "merge_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- entry points --- */

static int
oom(void)
{
	return fw_error_set(FW_ENOMEM, "out of memory");
}

static int
branch_head(fw_store *s, const char *corpus, const char *branch, git_oid *head)
{
	fw_buf ref = FW_BUF_INIT;
	int rc;

	fw_ref_branch(&ref, corpus, branch);
	rc = git_reference_name_to_id(head, s->repo, ref.data);
	if (rc < 0)
		rc = fw_git_error(rc, "cannot read %s@%s", corpus, branch);
	fw_buf_release(&ref);
	return rc;
}

/* Plans and, when nothing is left unresolved, commits; else writes state. */
static int
run_merge(fw_store *s, fw_merge_result *res, const char *corpus, struct state *st,
    int strategy, int write_state)
{
	struct plan p;
	fw_schema schema;
	git_oid cid;
	int rc;

	memset(&schema, 0, sizeof(schema));
	memset(&p, 0, sizeof(p));
	/* Most merges of curation branches need no record diff at all. */
	if ((rc = fw_mfast_merge(s, corpus, st, &res->modified, &cid)) <= 0) {
		if (rc == 0) {
			res->by_rowgroups = 1;
			goto committed;
		}
		goto done;
	}
	if ((rc = fw_mplan_make(s, &p, corpus, st, strategy, &schema)) < 0)
		goto done;
	res->added = p.added;
	res->removed = p.removed;
	res->modified = p.modified;
	res->conflicts = p.unresolved;
	if (p.unresolved) {
		if (write_state && (rc = fw_merge_state_write(s, corpus, st)) < 0)
			goto done;
		rc = fw_error_set(FW_ECONFLICT, "%llu conflicting record%s merging %s into %s@%s; "
		    "see fw conflicts %s, then fw resolve, fw merge --continue or --abort",
		    (unsigned long long)p.unresolved, p.unresolved == 1 ? "" : "s", st->name,
		    corpus, st->branch, corpus);
		goto done;
	}
	if ((rc = fw_mplan_commit(s, &p, corpus, st, &schema, &cid)) < 0)
		goto done;
committed:
	fw_crash_point("branch moved");
	git_oid_tostr(res->commit, sizeof(res->commit), &cid);
	rc = fw_merge_state_remove(s, corpus);
done:
	fw_mplan_release(&p);
	fw_schema_release(&schema);
	return rc;
}

int
fw_merge(fw_store *s, fw_merge_result *res, const char *corpus, const char *theirs,
    const fw_merge_opts *o)
{
	struct state st;
	fw_buf branch = FW_BUF_INIT, msg = FW_BUF_INIT, ref = FW_BUF_INIT;
	fw_rev rt, ro, rb;
	git_oid head, tid;
	int lockfd = -1, rc;

	memset(res, 0, sizeof(*res));
	memset(&st, 0, sizeof(st));
	if ((rc = fw_corpus_current_branch(s, corpus, &branch)) < 0 ||
	    (rc = fw_corpus_lock(s, corpus, &lockfd)) < 0)
		goto done;
	snprintf(res->branch, sizeof(res->branch), "%s", branch.data);
	if ((rc = fw_merge_state_read(s, corpus, &st)) != 0) {
		if (rc == 1)
			rc = fw_error_set(FW_EEXISTS, "a merge of %s into %s@%s is in progress; "
			    "fw merge --continue %s or --abort %s", st.name, corpus, st.branch,
			    corpus, corpus);
		goto done;
	}
	if ((rc = fw_rev_resolve_in(s, &rt, corpus, theirs)) < 0)
		goto done;
	if (strcmp(rt.corpus, corpus) != 0) {
		rc = fw_error_set(FW_EINVALID, "cannot merge %s into corpus %s: another corpus",
		    theirs, corpus);
		goto done;
	}
	if ((rc = branch_head(s, corpus, branch.data, &head)) < 0)
		goto done;
	fw_mplan_rev(&ro, corpus, "");
	git_oid_tostr(ro.commit, sizeof(ro.commit), &head);
	if ((rc = fw_merge_base(s, &rb, &ro, &rt)) < 0)
		goto done;
	git_oid_fromstr(&tid, rt.commit);
	snprintf(st.ours, sizeof(st.ours), "%s", ro.commit);
	snprintf(st.theirs, sizeof(st.theirs), "%s", rt.commit);
	snprintf(st.base, sizeof(st.base), "%s", rb.commit);
	snprintf(st.branch, sizeof(st.branch), "%s", branch.data);
	snprintf(st.name, sizeof(st.name), "%s@%s", corpus, rt.branch[0] ? rt.branch : theirs);
	if (strcmp(rb.commit, rt.commit) == 0) {
		res->up_to_date = 1;
		snprintf(res->commit, sizeof(res->commit), "%s", ro.commit);
		goto done;
	}
	if (strcmp(rb.commit, ro.commit) == 0) {
		git_reference *nr = NULL;
		fw_ref_branch(&ref, corpus, branch.data);
		fw_buf_printf(&msg, "merge %s: fast-forward", st.name);
		rc = git_reference_create_matching(&nr, s->repo, ref.data, &tid, 1, &head, msg.data);
		git_reference_free(nr);
		if (rc < 0) {
			rc = rc == GIT_EMODIFIED || rc == GIT_ELOCKED ?
			    fw_error_set(FW_ECONFLICT, "%s@%s moved while merging; merge again",
			    corpus, branch.data) : fw_git_error(rc, "cannot move %s@%s", corpus,
			    branch.data);
			goto done;
		}
		res->fast_forward = 1;
		snprintf(res->commit, sizeof(res->commit), "%s", rt.commit);
		goto done;
	}
	if (o && o->message && *o->message)
		st.message = strdup(o->message);
	else {
		fw_buf_printf(&msg, "merge %s into %s@%s", st.name, corpus, branch.data);
		st.message = strdup(msg.data);
	}
	if (st.message == NULL) {
		rc = oom();
		goto done;
	}
	rc = run_merge(s, res, corpus, &st, o ? o->strategy : FW_MERGE_ASK, 1);
done:
	fw_merge_state_release(&st);
	fw_buf_release(&branch);
	fw_buf_release(&msg);
	fw_buf_release(&ref);
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

/* Reads the state of corpus's merge and checks that its branch is still
 * where the merge began (or at the merge commit: a merge that committed and
 * died before removing its state; the state goes). */
static int
state_open(fw_store *s, const char *corpus, struct state *st, int *done_already)
{
	fw_buf branch = FW_BUF_INIT;
	git_oid head;
	char hex[FW_OID_HEXSZ + 1];
	int rc;

	*done_already = 0;
	if ((rc = fw_merge_state_read(s, corpus, st)) <= 0) {
		if (rc == 0)
			rc = fw_error_set(FW_ENOTFOUND, "no merge in progress on %s", corpus);
		goto done;
	}
	if ((rc = branch_head(s, corpus, st->branch, &head)) < 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), &head);
	rc = 0;
	if (strcmp(hex, st->ours) != 0) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, s->repo, &head) == 0 && git_commit_parentcount(c) == 2) {
			char p0[FW_OID_HEXSZ + 1], p1[FW_OID_HEXSZ + 1];
			git_oid_tostr(p0, sizeof(p0), git_commit_parent_id(c, 0));
			git_oid_tostr(p1, sizeof(p1), git_commit_parent_id(c, 1));
			if (strcmp(p0, st->ours) == 0 && strcmp(p1, st->theirs) == 0)
				*done_already = 1;
		}
		git_commit_free(c);
		if (*done_already)
			rc = fw_merge_state_remove(s, corpus);
		else
			rc = fw_error_set(FW_ECONFLICT, "%s@%s moved since the merge began; "
			    "fw merge --abort %s and merge again", corpus, st->branch, corpus);
	}
done:
	fw_buf_release(&branch);
	if (rc < 0)
		fw_merge_state_release(st);
	return rc;
}

int
fw_merge_continue(fw_store *s, fw_merge_result *res, const char *corpus)
{
	struct state st;
	int lockfd = -1, done_already, rc;

	memset(res, 0, sizeof(*res));
	if ((rc = fw_corpus_lock(s, corpus, &lockfd)) < 0)
		return rc;
	if ((rc = state_open(s, corpus, &st, &done_already)) == 0) {
		snprintf(res->branch, sizeof(res->branch), "%s", st.branch);
		if (done_already) {
			git_oid head;
			if ((rc = branch_head(s, corpus, st.branch, &head)) == 0)
				git_oid_tostr(res->commit, sizeof(res->commit), &head);
		} else
			rc = run_merge(s, res, corpus, &st, FW_MERGE_ASK, 0);
		fw_merge_state_release(&st);
	}
	close(lockfd);
	return rc;
}

int
fw_merge_abort(fw_store *s, const char *corpus)
{
	struct state st;
	int lockfd = -1, rc;

	if ((rc = fw_corpus_lock(s, corpus, &lockfd)) < 0)
		return rc;
	rc = fw_merge_state_read(s, corpus, &st);
	if (rc == 0)
		rc = fw_error_set(FW_ENOTFOUND, "no merge in progress on %s", corpus);
	else if (rc == 1) {
		fw_merge_state_release(&st);
		rc = fw_merge_state_remove(s, corpus);
	} else {
		/* an unreadable state is removed too: abort must always work */
		rc = fw_merge_state_remove(s, corpus);
	}
	close(lockfd);
	return rc;
}

int
fw_merge_conflicts(fw_store *s, const char *corpus,
    int (*cb)(void *arg, const fw_conflict *c), void *arg)
{
	struct state st;
	struct plan p;
	fw_schema schema;
	int done_already, rc;

	memset(&schema, 0, sizeof(schema));
	if ((rc = state_open(s, corpus, &st, &done_already)) < 0)
		return rc;
	if (done_already)
		return 0;
	if ((rc = fw_mplan_make(s, &p, corpus, &st, FW_MERGE_ASK, &schema)) == 0)
		for (size_t i = 0; i < p.nc && rc == 0; i++) {
			fw_conflict c = { p.c[i].id, p.c[i].field, p.c[i].base, p.c[i].ours,
			    p.c[i].theirs, p.c[i].resolution };
			rc = cb(arg, &c);
		}
	fw_mplan_release(&p);
	fw_schema_release(&schema);
	fw_merge_state_release(&st);
	return rc;
}

int
fw_merge_resolve(fw_store *s, const char *corpus, const char *id, int how,
    const char *record_json)
{
	struct state st;
	struct plan p;
	fw_schema schema;
	fw_buf canon = FW_BUF_INIT;
	int lockfd = -1, done_already, rc, found = 0;

	memset(&schema, 0, sizeof(schema));
	memset(&p, 0, sizeof(p));
	if ((rc = fw_corpus_lock(s, corpus, &lockfd)) < 0)
		return rc;
	if ((rc = state_open(s, corpus, &st, &done_already)) < 0)
		goto out;
	if (done_already) {
		rc = fw_error_set(FW_ENOTFOUND, "no merge in progress on %s", corpus);
		goto out;
	}
	if ((rc = fw_mplan_make(s, &p, corpus, &st, FW_MERGE_ASK, &schema)) < 0)
		goto done;
	for (size_t i = 0; i < p.nc; i++)
		if (strcmp(p.c[i].id, id) == 0)
			found = 1;
	if (!found) {
		rc = fw_error_set(FW_ENOTFOUND, "record '%s' has no conflict in the merge of %s",
		    id, st.name);
		goto done;
	}
	if (how == FW_MERGE_FILE) {
		fw_rec r;
		const fw_field *f;
		if ((rc = fw_mrec_parse(&r, record_json, strlen(record_json))) < 0)
			goto done;
		f = fw_mrec_field(&r, "id");
		if (f == NULL || f->kind != FW_KIND_STRING || f->len != strlen(id) ||
		    memcmp(f->payload, id, f->len) != 0)
			rc = fw_error_set(FW_EINVALID, "the record's \"id\" is not '%s'", id);
		else
			rc = fw_mrec_json(&canon, &r);
		fw_rec_free(&r);
		if (rc < 0)
			goto done;
		fw_buf_addc(&canon, '\0');
	}
	void *v = realloc(st.r, (st.nr + 1) * sizeof(*st.r));
	if (v == NULL) {
		rc = oom();
		goto done;
	}
	st.r = v;
	st.r[st.nr].id = strdup(id);
	st.r[st.nr].how = how;
	st.r[st.nr].json = how == FW_MERGE_FILE ? fw_buf_detach(&canon, NULL) : NULL;
	st.nr++;
	rc = fw_merge_state_write(s, corpus, &st);
done:
	fw_mplan_release(&p);
	fw_merge_state_release(&st);
out:
	fw_schema_release(&schema);
	fw_buf_release(&canon);
	close(lockfd);
	return rc;
}

int
fw_merge_in_progress(fw_store *s, const char *corpus, char *theirs)
{
	struct state st;
	int rc = fw_merge_state_read(s, corpus, &st);

	if (rc == 1) {
		snprintf(theirs, 256, "%.255s", st.name);
		fw_merge_state_release(&st);
	}
	return rc;
}
