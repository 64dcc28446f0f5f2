/*
 * Reflogs: the positions a branch has had (git's reflog of
 * refs/heads/CORPUS/BRANCH, kept because fw init sets
 * core.logAllRefUpdates = always), and the corpus's store log: the reflog of
 * refs/fw/log/CORPUS, a ref that moves to each deleted branch's commit or
 * deleted tag's object, with a message naming what was deleted. Being a git
 * reflog, it travels with the repository and keeps those objects reachable.
 */
#include "internal.h"
#include "fw/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
fw_storelog_append(fw_store *s, const char *corpus, const git_oid *id, const char *message)
{
	fw_buf ref = FW_BUF_INIT;
	git_reference *r = NULL;
	int rc;

	fw_ref_storelog(&ref, corpus);
	if ((rc = git_reference_create(&r, s->repo, ref.data, id, 1, message)) < 0)
		rc = fw_git_error(rc, "cannot write the store log of %s", corpus);
	else
		fw_crash_point("store log");
	git_reference_free(r);
	fw_buf_release(&ref);
	return rc;
}

static int
walk(fw_store *s, const char *refname, size_t n,
    int (*cb)(void *arg, const fw_reflog_entry *e), void *arg)
{
	git_reflog *log = NULL;
	int rc;

	if ((rc = git_reflog_read(&log, s->repo, refname)) < 0)
		return fw_git_error(rc, "cannot read the reflog of %s", refname);
	size_t count = git_reflog_entrycount(log);
	if (n == 0 || n > count)
		n = count;
	rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const git_reflog_entry *ge = git_reflog_entry_byindex(log, i);
		const git_signature *who = git_reflog_entry_committer(ge);
		fw_reflog_entry e;
		memset(&e, 0, sizeof(e));
		e.index = i;
		git_oid_tostr(e.old_commit, sizeof(e.old_commit), git_reflog_entry_id_old(ge));
		git_oid_tostr(e.new_commit, sizeof(e.new_commit), git_reflog_entry_id_new(ge));
		if (who) {
			snprintf(e.who, sizeof(e.who), "%s <%s>", who->name, who->email);
			e.time = who->when.time;
		}
		e.message = git_reflog_entry_message(ge) ? git_reflog_entry_message(ge) : "";
		rc = cb(arg, &e);
	}
	git_reflog_free(log);
	return rc;
}

int
fw_reflog_branch(fw_store *s, const char *corpus, const char *branch, size_t n,
    int (*cb)(void *arg, const fw_reflog_entry *e), void *arg)
{
	fw_buf cur = FW_BUF_INIT, ref = FW_BUF_INIT, msg = FW_BUF_INIT;
	git_oid id;
	int rc;

	if ((rc = fw_corpus_name_check(corpus)) < 0)
		return rc;
	if (!fw_corpus_exists(s, corpus))
		return fw_error_set(FW_ENOTFOUND, "no corpus '%s' (see 'fw corpus list')", corpus);
	if (branch == NULL) {
		if ((rc = fw_corpus_current_branch(s, corpus, &cur)) < 0)
			goto done;
		branch = cur.data;
	} else if ((rc = fw_refname_check("branch", branch)) < 0) {
		goto done;
	}
	fw_ref_branch(&ref, corpus, branch);
	if (fw_ref_commit(s, ref.data, &id) < 0) {
		fw_buf_printf(&msg, "no branch %s@%s (a deleted branch's last position is in "
		    "'fw reflog --deleted %s')", corpus, branch, corpus);
		fw_refname_suggest(s, corpus, branch, &msg);
		rc = fw_error_set(FW_ENOTFOUND, "%s", msg.data);
		goto done;
	}
	rc = walk(s, ref.data, n, cb, arg);
done:
	fw_buf_release(&cur);
	fw_buf_release(&ref);
	fw_buf_release(&msg);
	return rc;
}

int
fw_reflog_deleted(fw_store *s, const char *corpus, size_t n,
    int (*cb)(void *arg, const fw_reflog_entry *e), void *arg)
{
	fw_buf ref = FW_BUF_INIT;
	git_reference *r = NULL;
	int rc;

	if ((rc = fw_corpus_name_check(corpus)) < 0)
		return rc;
	if (!fw_corpus_exists(s, corpus))
		return fw_error_set(FW_ENOTFOUND, "no corpus '%s' (see 'fw corpus list')", corpus);
	fw_ref_storelog(&ref, corpus);
	if (git_reference_lookup(&r, s->repo, ref.data) == 0)
		rc = walk(s, ref.data, n, cb, arg);
	git_reference_free(r);
	fw_buf_release(&ref);
	return rc;
}

int
fw_ref_delete_logged(fw_store *s, const char *corpus, git_reference *r,
    const git_oid *target, const char *msg, const char *what)
{
	int rc;

	if ((rc = fw_storelog_append(s, corpus, target, msg)) < 0)
		return rc;
	if ((rc = git_reference_delete(r)) < 0)
		return fw_git_error(rc, "cannot delete %s", what);
	fw_crash_point(what);
	return 0;
}
