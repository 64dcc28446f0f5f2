/*
 * Tags: annotated git tags, refs/tags/CORPUS/TAG, made with fw's signature.
 * A tag never moves: creating a tag that exists is an error and there is no
 * force. Deleting one records the tag object and its commit in the corpus's
 * store log first (core/reflog.c), since git drops a deleted ref's reflog.
 */
#include "internal.h"
#include "fw/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
fw_tag_create(fw_store *s, const char *corpus, const char *name, const char *rev,
    const char *message)
{
	fw_buf ref = FW_BUF_INIT, tagname = FW_BUF_INIT, msg = FW_BUF_INIT, log = FW_BUF_INIT;
	git_signature *sig = NULL;
	git_object *target = NULL;
	git_reference *r = NULL;
	git_oid cid, tid;
	fw_rev at;
	int rc;

	if ((rc = fw_refname_available(s, corpus, name, "tag")) < 0)
		goto done;
	if ((rc = fw_rev_resolve_in(s, &at, corpus, rev)) < 0)
		goto done;
	git_oid_fromstr(&cid, at.commit);
	if ((rc = git_object_lookup(&target, s->repo, &cid, GIT_OBJECT_COMMIT)) < 0) {
		rc = fw_git_error(rc, "cannot read commit %s", at.commit);
		goto done;
	}
	if (message && *message)
		fw_buf_adds(&msg, message);
	else
		fw_buf_printf(&msg, "tag %s@%s", corpus, name);
	if (msg.data[msg.len - 1] != '\n')
		fw_buf_addc(&msg, '\n');
	fw_buf_printf(&tagname, "%s/%s", corpus, name);
	if ((rc = fw_signature(&sig)) < 0)
		goto done;
	if ((rc = git_tag_annotation_create(&tid, s->repo, tagname.data, target, sig,
	    msg.data)) < 0) {
		rc = fw_git_error(rc, "cannot write tag %s@%s", corpus, name);
		goto done;
	}
	fw_crash_point("tag object");
	fw_ref_tag(&ref, corpus, name);
	fw_buf_printf(&log, "tag: %s@%s on %s", corpus, name, at.commit);
	/* force 0: a tag made meanwhile by another process is not replaced */
	if ((rc = git_reference_create(&r, s->repo, ref.data, &tid, 0, log.data)) < 0) {
		rc = rc == GIT_EEXISTS ?
		    fw_error_set(FW_EEXISTS, "tag %s@%s exists already; a tag never moves",
		    corpus, name) :
		    fw_git_error(rc, "cannot create tag %s@%s", corpus, name);
		goto done;
	}
	fw_crash_point("tag created");
	rc = 0;
done:
	git_reference_free(r);
	git_object_free(target);
	git_signature_free(sig);
	fw_buf_release(&ref);
	fw_buf_release(&tagname);
	fw_buf_release(&msg);
	fw_buf_release(&log);
	return rc;
}

int
fw_tag_list(fw_store *s, const char *corpus,
    int (*cb)(void *arg, const fw_ref_info *info), void *arg)
{
	fw_buf prefix = FW_BUF_INIT, ref = FW_BUF_INIT;
	char **names = NULL;
	size_t n = 0;
	int rc;

	if (!fw_corpus_exists(s, corpus))
		return fw_error_set(FW_ENOTFOUND, "no corpus '%s' (see 'fw corpus list')", corpus);
	fw_buf_printf(&prefix, "refs/tags/%s/", corpus);
	if ((rc = fw_ref_names(s, prefix.data, &names, &n)) < 0)
		goto done;
	for (size_t i = 0; i < n && rc == 0; i++) {
		fw_ref_info info;
		git_oid tid, cid;
		git_tag *tag = NULL;
		memset(&info, 0, sizeof(info));
		snprintf(info.name, sizeof(info.name), "%s", names[i]);
		fw_ref_tag(&ref, corpus, names[i]);
		if ((rc = git_reference_name_to_id(&tid, s->repo, ref.data)) < 0 ||
		    (rc = fw_ref_commit(s, ref.data, &cid)) < 0) {
			rc = fw_git_error(rc, "cannot read %s", ref.data);
			break;
		}
		git_oid_tostr(info.commit, sizeof(info.commit), &cid);
		if ((rc = fw_commit_records(s, &cid, &info.records)) < 0)
			break;
		if (git_tag_lookup(&tag, s->repo, &tid) == 0) {
			info.message = (char *)git_tag_message(tag);
			if (git_tag_tagger(tag))
				info.time = git_tag_tagger(tag)->when.time;
		}
		rc = cb(arg, &info);
		git_tag_free(tag);
	}
done:
	fw_ref_names_free(names, n);
	fw_buf_release(&prefix);
	fw_buf_release(&ref);
	return rc;
}

int
fw_tag_delete(fw_store *s, const char *corpus, const char *name)
{
	fw_buf ref = FW_BUF_INIT, msg = FW_BUF_INIT;
	git_reference *r = NULL;
	git_oid tid, cid;
	char th[GIT_OID_HEXSZ + 1], ch[GIT_OID_HEXSZ + 1];
	int rc;

	if ((rc = fw_corpus_name_check(corpus)) < 0 || (rc = fw_refname_check("tag", name)) < 0)
		goto done;
	if (!fw_corpus_exists(s, corpus)) {
		rc = fw_error_set(FW_ENOTFOUND, "no corpus '%s' (see 'fw corpus list')", corpus);
		goto done;
	}
	fw_ref_tag(&ref, corpus, name);
	if ((rc = git_reference_lookup(&r, s->repo, ref.data)) < 0) {
		if (rc == GIT_ENOTFOUND) {
			fw_buf_printf(&msg, "no tag %s@%s (see 'fw tag --list %s')", corpus, name,
			    corpus);
			fw_refname_suggest(s, corpus, name, &msg);
			rc = fw_error_set(FW_ENOTFOUND, "%s", msg.data);
		} else {
			rc = fw_git_error(rc, "cannot read %s", ref.data);
		}
		goto done;
	}
	if ((rc = git_reference_name_to_id(&tid, s->repo, ref.data)) < 0 ||
	    (rc = fw_ref_commit(s, ref.data, &cid)) < 0) {
		rc = fw_git_error(rc, "cannot read %s", ref.data);
		goto done;
	}
	git_oid_tostr(th, sizeof(th), &tid);
	git_oid_tostr(ch, sizeof(ch), &cid);
	fw_buf_printf(&msg, "tag delete: %s@%s was tag %s on commit %s", corpus, name, th, ch);
	rc = fw_ref_delete_logged(s, corpus, r, &tid, msg.data, ref.data);
done:
	git_reference_free(r);
	fw_buf_release(&ref);
	fw_buf_release(&msg);
	return rc;
}
