/*
 * Branches: refs/heads/CORPUS/BRANCH. Creating, switching and resetting write
 * one ref each (libgit2 writes it to a lock file, syncs and renames it), never
 * data, so they cost the same on any corpus. Deletions are recorded in the
 * corpus's store log first (core/reflog.c), since git drops a deleted ref's
 * reflog with it.
 */
#include "internal.h"
#include "fw/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Checks corpus and name and that the branch exists; its ref name in ref. */
static int
existing_branch(fw_store *s, const char *corpus, const char *name, fw_buf *ref, git_oid *head)
{
	fw_buf msg = FW_BUF_INIT;
	int rc;

	if ((rc = fw_corpus_name_check(corpus)) < 0 || (rc = fw_refname_check("branch", name)) < 0)
		return rc;
	if (!fw_corpus_exists(s, corpus))
		return fw_error_set(FW_ENOTFOUND, "no corpus '%s' (see 'fw corpus list')", corpus);
	fw_ref_branch(ref, corpus, name);
	if ((rc = fw_ref_commit(s, ref->data, head)) < 0) {
		if (rc != GIT_ENOTFOUND)
			return fw_git_error(rc, "cannot read %s", ref->data);
		fw_buf_printf(&msg, "no branch %s@%s (see 'fw branch --list %s')", corpus, name,
		    corpus);
		fw_refname_suggest(s, corpus, name, &msg);
		rc = fw_error_set(FW_ENOTFOUND, "%s", msg.data);
		fw_buf_release(&msg);
		return rc;
	}
	return 0;
}

int
fw_branch_create(fw_store *s, const char *corpus, const char *name, const char *rev)
{
	fw_buf ref = FW_BUF_INIT, msg = FW_BUF_INIT;
	git_reference *r = NULL;
	fw_rev at;
	git_oid id;
	int rc;

	if ((rc = fw_refname_available(s, corpus, name, "branch")) < 0 ||
	    (rc = fw_rev_resolve_in(s, &at, corpus, rev)) < 0)
		goto done;
	git_oid_fromstr(&id, at.commit);
	fw_ref_branch(&ref, corpus, name);
	fw_buf_printf(&msg, "branch: created from %s", rev && *rev ? rev : corpus);
	/* force 0: a branch made meanwhile by another process is not overwritten */
	if ((rc = git_reference_create(&r, s->repo, ref.data, &id, 0, msg.data)) < 0) {
		rc = rc == GIT_EEXISTS ?
		    fw_error_set(FW_EEXISTS, "%s@%s exists already as a branch", corpus, name) :
		    fw_git_error(rc, "cannot create %s@%s", corpus, name);
		goto done;
	}
	fw_crash_point("branch created");
	rc = 0;
done:
	git_reference_free(r);
	fw_buf_release(&ref);
	fw_buf_release(&msg);
	return rc;
}

int
fw_branch_list(fw_store *s, const char *corpus,
    int (*cb)(void *arg, const fw_ref_info *info), void *arg)
{
	fw_buf prefix = FW_BUF_INIT, cur = FW_BUF_INIT, ref = FW_BUF_INIT;
	char **names = NULL;
	size_t n = 0;
	int rc;

	if ((rc = fw_corpus_current_branch(s, corpus, &cur)) < 0)
		goto done;
	fw_buf_printf(&prefix, "refs/heads/%s/", corpus);
	if ((rc = fw_ref_names(s, prefix.data, &names, &n)) < 0)
		goto done;
	for (size_t i = 0; i < n && rc == 0; i++) {
		fw_ref_info info;
		git_oid id;
		memset(&info, 0, sizeof(info));
		snprintf(info.name, sizeof(info.name), "%s", names[i]);
		info.current = strcmp(names[i], cur.data) == 0;
		fw_ref_branch(&ref, corpus, names[i]);
		if ((rc = fw_ref_commit(s, ref.data, &id)) < 0) {
			rc = fw_git_error(rc, "cannot read %s", ref.data);
			break;
		}
		git_oid_tostr(info.commit, sizeof(info.commit), &id);
		if ((rc = fw_commit_records(s, &id, &info.records)) < 0)
			break;
		rc = cb(arg, &info);
	}
done:
	fw_ref_names_free(names, n);
	fw_buf_release(&prefix);
	fw_buf_release(&cur);
	fw_buf_release(&ref);
	return rc;
}

/* 1 when a branch (other than skip) or tag of corpus reaches id. */
static int
reached_elsewhere(fw_store *s, const char *corpus, const char *skip, const git_oid *id)
{
	static const char *const kinds[] = { "refs/heads/%s/", "refs/tags/%s/" };
	fw_buf prefix = FW_BUF_INIT, ref = FW_BUF_INIT;
	git_oid *tips = NULL;
	size_t ntips = 0;
	int rc = 0;

	for (int k = 0; k < 2 && rc >= 0; k++) {
		char **names = NULL;
		size_t n = 0;
		fw_buf_reset(&prefix);
		fw_buf_printf(&prefix, kinds[k], corpus);
		if ((rc = fw_ref_names(s, prefix.data, &names, &n)) < 0)
			break;
		git_oid *nt = realloc(tips, (ntips + n + 1) * sizeof(*nt));
		if (nt == NULL) {
			fw_ref_names_free(names, n);
			rc = fw_error_set(FW_ENOMEM, "out of memory");
			break;
		}
		tips = nt;
		for (size_t i = 0; i < n; i++) {
			if (k == 0 && strcmp(names[i], skip) == 0)
				continue;
			fw_buf_reset(&ref);
			fw_buf_printf(&ref, "%s%s", prefix.data, names[i]);
			if (fw_ref_commit(s, ref.data, &tips[ntips]) == 0)
				ntips++;
		}
		fw_ref_names_free(names, n);
	}
	if (rc >= 0) {
		rc = 0;
		for (size_t i = 0; i < ntips && !rc; i++)
			rc = git_oid_equal(&tips[i], id);
		if (!rc && ntips) {
			rc = git_graph_reachable_from_any(s->repo, id, tips, ntips);
			if (rc < 0)
				rc = fw_git_error(rc, "cannot walk the history of %s", corpus);
		}
	}
	free(tips);
	fw_buf_release(&prefix);
	fw_buf_release(&ref);
	return rc;
}

int
fw_branch_delete(fw_store *s, const char *corpus, const char *name, int force)
{
	fw_buf ref = FW_BUF_INIT, cur = FW_BUF_INIT, msg = FW_BUF_INIT;
	git_reference *r = NULL;
	git_oid head;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	if ((rc = existing_branch(s, corpus, name, &ref, &head)) < 0 ||
	    (rc = fw_corpus_current_branch(s, corpus, &cur)) < 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), &head);
	if (strcmp(cur.data, name) == 0) {
		rc = fw_error_set(FW_ECONFLICT, "cannot delete %s@%s: it is the current branch "
		    "(fw switch to another first)", corpus, name);
		goto done;
	}
	if (!force) {
		if ((rc = reached_elsewhere(s, corpus, name, &head)) < 0)
			goto done;
		if (rc == 0) {
			rc = fw_error_set(FW_ECONFLICT, "cannot delete %s@%s: no other branch or "
			    "tag reaches its head %.12s; --force deletes it (the position stays "
			    "in 'fw reflog --deleted %s')", corpus, name, hex, corpus);
			goto done;
		}
	}
	if ((rc = git_reference_lookup(&r, s->repo, ref.data)) < 0) {
		rc = fw_git_error(rc, "cannot read %s", ref.data);
		goto done;
	}
	fw_buf_printf(&msg, "branch delete: %s@%s was at %s", corpus, name, hex);
	rc = fw_ref_delete_logged(s, corpus, r, &head, msg.data, ref.data);
done:
	git_reference_free(r);
	fw_buf_release(&ref);
	fw_buf_release(&cur);
	fw_buf_release(&msg);
	return rc;
}

int
fw_branch_switch(fw_store *s, const char *corpus, const char *name, uint64_t *waiting)
{
	fw_buf ref = FW_BUF_INIT, cur = FW_BUF_INIT, old = FW_BUF_INIT, msg = FW_BUF_INIT;
	fw_buf oldref = FW_BUF_INIT;
	git_reference *r = NULL;
	git_oid head;
	int rc;

	if ((rc = existing_branch(s, corpus, name, &ref, &head)) < 0 ||
	    (rc = fw_corpus_current_branch(s, corpus, &old)) < 0)
		goto done;
	if (strcmp(old.data, name) == 0)
		goto done;
	fw_ref_current(&cur, corpus);
	fw_ref_branch(&oldref, corpus, old.data);
	fw_buf_printf(&msg, "switch: from %s to %s", old.data, name);
	/* Compare-and-swap: a concurrent switch is not silently overwritten. */
	if ((rc = git_reference_symbolic_create_matching(&r, s->repo, cur.data, ref.data, 1,
	    oldref.data, msg.data)) < 0) {
		rc = rc == GIT_EMODIFIED ?
		    fw_error_set(FW_ECONFLICT, "the current branch of %s changed meanwhile; "
		    "try again", corpus) :
		    fw_git_error(rc, "cannot switch %s to %s", corpus, name);
		goto done;
	}
	fw_crash_point("branch switched");
	rc = 0;
done:
	if (rc == 0 && waiting) {
		fw_seg *segs = NULL;
		size_t nsegs = 0;
		*waiting = 0;
		if (fw_seg_list(s, corpus, &segs, &nsegs) == 0)
			for (size_t i = 0; i < nsegs; i++)
				*waiting += strcmp(segs[i].branch, name) == 0;
		fw_seg_list_free(segs, nsegs);
	}
	git_reference_free(r);
	fw_buf_release(&ref);
	fw_buf_release(&cur);
	fw_buf_release(&old);
	fw_buf_release(&oldref);
	fw_buf_release(&msg);
	return rc;
}

int
fw_branch_reset(fw_store *s, const char *corpus, const char *name, const char *rev,
    char *old_commit, char *new_commit)
{
	fw_buf ref = FW_BUF_INIT, msg = FW_BUF_INIT;
	git_reference *r = NULL;
	git_oid head, id;
	fw_rev to;
	int rc;

	if ((rc = existing_branch(s, corpus, name, &ref, &head)) < 0 ||
	    (rc = fw_rev_resolve_in(s, &to, corpus, rev)) < 0)
		goto done;
	git_oid_fromstr(&id, to.commit);
	fw_buf_printf(&msg, "reset: moving to %s", rev);
	if ((rc = git_reference_create_matching(&r, s->repo, ref.data, &id, 1, &head,
	    msg.data)) < 0) {
		rc = rc == GIT_EMODIFIED ?
		    fw_error_set(FW_ECONFLICT, "%s@%s moved while resetting; look at it and "
		    "reset again", corpus, name) :
		    fw_git_error(rc, "cannot move %s@%s", corpus, name);
		goto done;
	}
	fw_crash_point("branch reset");
	if (old_commit)
		git_oid_tostr(old_commit, FW_OID_HEXSZ + 1, &head);
	if (new_commit)
		git_oid_tostr(new_commit, FW_OID_HEXSZ + 1, &id);
	rc = 0;
done:
	git_reference_free(r);
	fw_buf_release(&ref);
	fw_buf_release(&msg);
	return rc;
}
