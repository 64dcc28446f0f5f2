/*
 * Revisions: "corpus" (its current branch) or "corpus@rev", rev being a tag,
 * a branch or a commit id prefix (at least 4 hex digits), tried in that
 * order, then any number of ~N (N first parents back) and ^N (the Nth parent).
 */
#include "internal.h"
#include "fw/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
ref_id(fw_store *s, const char *name, git_oid *out)
{
	git_reference *r = NULL, *res = NULL;
	git_object *obj = NULL;
	int rc;

	if ((rc = git_reference_lookup(&r, s->repo, name)) < 0)
		return rc;
	if ((rc = git_reference_resolve(&res, r)) == 0 &&
	    (rc = git_reference_peel(&obj, res, GIT_OBJECT_COMMIT)) == 0)
		git_oid_cpy(out, git_object_id(obj));
	git_object_free(obj);
	git_reference_free(res);
	git_reference_free(r);
	return rc;
}

static int
is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return n > 0;
}

int
fw_rev_resolve(fw_store *s, fw_rev *out, const char *spec)
{
	const char *at = strchr(spec, '@'), *suffix;
	fw_buf ref = FW_BUF_INIT, base = FW_BUF_INIT, cur = FW_BUF_INIT;
	git_oid id;
	int rc = 0, found = 0;

	memset(out, 0, sizeof(*out));
	size_t clen = at ? (size_t)(at - spec) : strcspn(spec, "~^");
	if (clen == 0 || clen >= sizeof(out->corpus)) {
		rc = fw_error_set(FW_EINVALID, "bad revision '%s': expected CORPUS[@REV]", spec);
		goto done;
	}
	memcpy(out->corpus, spec, clen);
	if ((rc = fw_corpus_name_check(out->corpus)) < 0)
		goto done;
	if (!fw_corpus_exists(s, out->corpus)) {
		rc = fw_error_set(FW_ENOTFOUND, "no corpus '%s' (see 'fw corpus list')", out->corpus);
		goto done;
	}
	const char *r = at ? at + 1 : spec + clen;
	size_t blen = strcspn(r, "~^");
	suffix = r + blen;
	fw_buf_add(&base, r, blen);
	if (blen == 0) {
		if (at) {
			rc = fw_error_set(FW_EINVALID, "bad revision '%s': nothing after '@'", spec);
			goto done;
		}
		if ((rc = fw_corpus_current_branch(s, out->corpus, &cur)) < 0)
			goto done;
		fw_buf_adds(&base, cur.data);
	}
	if (strstr(base.data, "..") || strchr(base.data, ':') || strchr(base.data, ' ') ||
	    strstr(base.data, "@{") || base.data[0] == '-' || base.len > 200) {
		rc = fw_error_set(FW_EINVALID, "bad revision '%s'", spec);
		goto done;
	}
	/* tag, then branch, then commit prefix */
	fw_buf_printf(&ref, "refs/tags/%s/%s", out->corpus, base.data);
	if (ref_id(s, ref.data, &id) == 0) {
		found = 1;
	} else {
		fw_ref_branch(&ref, out->corpus, base.data);
		if (ref_id(s, ref.data, &id) == 0) {
			found = 1;
			if (*suffix == '\0')
				snprintf(out->branch, sizeof(out->branch), "%s", base.data);
		}
	}
	if (!found && base.len >= 4 && is_hex(base.data, base.len)) {
		git_object *obj = NULL;
		git_oid pfx;
		if (git_oid_fromstrn(&pfx, base.data, base.len) == 0) {
			rc = git_object_lookup_prefix(&obj, s->repo, &pfx, base.len, GIT_OBJECT_COMMIT);
			if (rc == 0) {
				git_oid_cpy(&id, git_object_id(obj));
				found = 1;
			} else if (rc == GIT_EAMBIGUOUS) {
				rc = fw_error_set(FW_EAMBIGUOUS,
				    "commit prefix '%s' is ambiguous: give more digits", base.data);
				git_object_free(obj);
				goto done;
			}
			git_object_free(obj);
		}
	}
	if (!found) {
		rc = fw_error_set(FW_ENOTFOUND,
		    "unknown revision '%s': no tag, branch or commit '%s' in corpus '%s'",
		    spec, base.data, out->corpus);
		goto done;
	}
	/* ~N and ^N */
	for (const char *p = suffix; *p;) {
		char op = *p++;
		long n = 1;
		if (op != '~' && op != '^') {
			rc = fw_error_set(FW_EINVALID, "bad revision '%s' at '%s'", spec, p - 1);
			goto done;
		}
		if (isdigit((unsigned char)*p)) {
			char *end;
			n = strtol(p, &end, 10);
			p = end;
		}
		for (long k = 0; k < (op == '~' ? n : 1); k++) {
			git_commit *c = NULL, *parent = NULL;
			unsigned idx = op == '^' ? (unsigned)(n ? n - 1 : 0) : 0;
			if (op == '^' && n == 0)
				break;
			if ((rc = git_commit_lookup(&c, s->repo, &id)) < 0) {
				rc = fw_git_error(rc, "cannot read commit");
				goto done;
			}
			rc = git_commit_parent(&parent, c, idx);
			git_commit_free(c);
			if (rc < 0) {
				rc = fw_error_set(FW_ENOTFOUND, "revision '%s' goes back past the first "
				    "version of %s", spec, out->corpus);
				goto done;
			}
			git_oid_cpy(&id, git_commit_id(parent));
			git_commit_free(parent);
		}
	}
	git_oid_tostr(out->commit, sizeof(out->commit), &id);
	rc = 0;
done:
	fw_buf_release(&ref);
	fw_buf_release(&base);
	fw_buf_release(&cur);
	return rc;
}
