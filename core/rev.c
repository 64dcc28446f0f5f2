/*
 * Revisions: "corpus" (its current branch) or "corpus@rev", rev being a tag,
 * a branch or a commit id prefix (at least 4 hex digits), tried in that
 * order; then optionally @{N} (the Nth previous position of that branch, or
 * of the current branch for "corpus@{N}", from its reflog); then any number
 * of ~N (N first parents back) and ^N (the Nth parent).
 */
#include "internal.h"
#include "fw/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
fw_ref_commit(fw_store *s, const char *name, git_oid *out)
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
root_of(fw_store *s, const git_oid *id, git_oid *root)
{
	git_commit *c = NULL;
	int rc;

	git_oid_cpy(root, id);
	for (;;) {
		if ((rc = git_commit_lookup(&c, s->repo, root)) < 0)
			return rc;
		if (git_commit_parentcount(c) == 0)
			break;
		git_oid_cpy(root, git_commit_parent_id(c, 0));
		git_commit_free(c);
	}
	git_commit_free(c);
	return 0;
}

int
fw_commit_in_corpus(fw_store *s, const char *corpus, const git_oid *commit)
{
	fw_buf cur = FW_BUF_INIT, ref = FW_BUF_INIT;
	git_oid head, r1, r2;
	int rc;

	if ((rc = fw_corpus_current_branch(s, corpus, &cur)) < 0)
		goto done;
	fw_ref_branch(&ref, corpus, cur.data);
	if ((rc = fw_ref_commit(s, ref.data, &head)) < 0 ||
	    (rc = root_of(s, &head, &r1)) < 0) {
		rc = fw_git_error(rc, "cannot read %s", ref.data);
		goto done;
	}
	rc = root_of(s, commit, &r2) == 0 && git_oid_equal(&r1, &r2);
done:
	fw_buf_release(&cur);
	fw_buf_release(&ref);
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

struct prefix_arg {
	fw_store *s;
	const char *corpus;
	const char *hex;
	size_t len;
	git_oid found[8];
	size_t n;
};

static int
prefix_cb(const git_oid *id, void *arg)
{
	struct prefix_arg *a = arg;
	char hex[GIT_OID_HEXSZ + 1];
	git_odb *odb = NULL;
	git_object_t type;
	size_t size;

	git_oid_tostr(hex, sizeof(hex), id);
	if (strncasecmp(hex, a->hex, a->len) != 0)
		return 0;
	if (git_repository_odb(&odb, a->s->repo) < 0)
		return 0;
	int ok = git_odb_read_header(&size, &type, odb, id) == 0 && type == GIT_OBJECT_COMMIT;
	git_odb_free(odb);
	if (!ok || fw_commit_in_corpus(a->s, a->corpus, id) != 1)
		return 0;
	for (size_t i = 0; i < a->n && i < 8; i++)
		if (git_oid_equal(&a->found[i], id))
			return 0;	/* the same object loose and packed */
	if (a->n < 8)
		git_oid_cpy(&a->found[a->n], id);
	a->n++;
	return 0;
}

/* The commits of corpus whose id starts with hex: 1 and *id when one, 0 when
 * none, FW_EAMBIGUOUS naming them when several. */
static int
commit_prefix(fw_store *s, const char *corpus, const char *spec, const char *hex,
    size_t len, git_oid *id)
{
	struct prefix_arg a = { .s = s, .corpus = corpus, .hex = hex, .len = len };
	git_odb *odb = NULL;
	fw_buf msg = FW_BUF_INIT;
	int rc;

	if ((rc = git_repository_odb(&odb, s->repo)) < 0)
		return fw_git_error(rc, "cannot open the git objects");
	rc = git_odb_foreach(odb, prefix_cb, &a);
	git_odb_free(odb);
	if (rc < 0)
		return fw_git_error(rc, "cannot list the git objects");
	if (a.n == 0)
		return 0;
	if (a.n == 1) {
		git_oid_cpy(id, &a.found[0]);
		return 1;
	}
	fw_buf_printf(&msg, "ambiguous revision '%s': %zu commits of %s start with %s:", spec,
	    a.n, corpus, hex);
	for (size_t i = 0; i < a.n && i < 8; i++) {
		char h[GIT_OID_HEXSZ + 1];
		git_oid_tostr(h, sizeof(h), &a.found[i]);
		fw_buf_printf(&msg, " %s@%.12s", corpus, h);
	}
	rc = fw_error_set(FW_EAMBIGUOUS, "%s; give more digits", msg.data);
	fw_buf_release(&msg);
	return rc;
}

/* The Nth previous position of a branch, from its reflog. */
static int
reflog_nth(fw_store *s, const char *spec, const char *corpus, const char *branch,
    size_t n, git_oid *id)
{
	fw_buf ref = FW_BUF_INIT;
	git_reflog *log = NULL;
	const git_reflog_entry *e;
	int rc;

	fw_ref_branch(&ref, corpus, branch);
	if ((rc = git_reflog_read(&log, s->repo, ref.data)) < 0) {
		rc = fw_git_error(rc, "cannot read the reflog of %s@%s", corpus, branch);
		goto done;
	}
	if (git_reflog_entrycount(log) == 0) {
		rc = fw_error_set(FW_ENOTFOUND, "revision '%s': %s@%s has no reflog entries "
		    "(fw gc --expire-reflogs drops them)", spec, corpus, branch);
		goto done;
	}
	if (n >= git_reflog_entrycount(log) || (e = git_reflog_entry_byindex(log, n)) == NULL) {
		rc = fw_error_set(FW_ENOTFOUND, "revision '%s': %s@%s has %zu position%s in its "
		    "reflog (@{0} to @{%zu})", spec, corpus, branch, git_reflog_entrycount(log),
		    git_reflog_entrycount(log) == 1 ? "" : "s", git_reflog_entrycount(log) - 1);
		goto done;
	}
	git_oid_cpy(id, git_reflog_entry_id_new(e));
	rc = 0;
done:
	git_reflog_free(log);
	fw_buf_release(&ref);
	return rc;
}

/* spec for a message: control characters shown as '?', at most 220 bytes. */
static const char *
printable(char *buf, size_t size, const char *spec)
{
	size_t i;

	for (i = 0; spec[i] && i + 1 < size; i++)
		buf[i] = (unsigned char)spec[i] < 0x20 || spec[i] == 0x7f ? '?' : spec[i];
	buf[i] = '\0';
	return buf;
}

int
fw_rev_resolve(fw_store *s, fw_rev *out, const char *raw)
{
	/* messages show the revision without its control characters */
	char shown[221];
	const char *spec = printable(shown, sizeof(shown), raw);
	const char *at = strchr(raw, '@'), *p;
	fw_buf ref = FW_BUF_INIT, base = FW_BUF_INIT, msg = FW_BUF_INIT;
	git_oid id;
	int rc = 0, found = 0, is_branch = 0, has_reflog = 0;
	size_t nth = 0;

	memset(out, 0, sizeof(*out));
	size_t clen = at ? (size_t)(at - raw) : strcspn(raw, "~^");
	if (clen == 0 || clen >= sizeof(out->corpus)) {
		rc = fw_error_set(FW_EINVALID, "bad revision '%s': expected CORPUS[@REV]", spec);
		goto done;
	}
	memcpy(out->corpus, raw, clen);
	if ((rc = fw_corpus_name_check(out->corpus)) < 0)
		goto done;
	if (!fw_corpus_exists(s, out->corpus)) {
		rc = fw_error_set(FW_ENOTFOUND, "no corpus '%s' (see 'fw corpus list')", out->corpus);
		goto done;
	}
	p = at ? at + 1 : raw + clen;
	if (at && *p != '{') {
		size_t blen = strcspn(p, "~^@");
		fw_buf_add(&base, p, blen);
		p += blen;
		if ((rc = fw_refname_check("revision", base.data)) < 0) {
			rc = fw_error_wrap(rc, "bad revision '%s'", spec);
			goto done;
		}
		if (*p == '@' && p[1] != '{') {
			rc = fw_error_set(FW_EINVALID, "bad revision '%s': '@' must be followed "
			    "by {N}", spec);
			goto done;
		}
		if (*p == '@')
			p++;
	} else {
		fw_buf cur = FW_BUF_INIT;
		rc = fw_corpus_current_branch(s, out->corpus, &cur);
		fw_buf_adds(&base, cur.data);
		fw_buf_release(&cur);
		if (rc < 0)
			goto done;
	}
	if (*p == '{') {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(p + 1, &end, 10);
		if (!isdigit((unsigned char)p[1]) || *end != '}' || errno || v > 1000000000ull) {
			rc = fw_error_set(FW_EINVALID, "bad revision '%s': expected @{N}, N a "
			    "number", spec);
			goto done;
		}
		has_reflog = 1;
		nth = (size_t)v;
		p = end + 1;
	}
	/* tag, then branch, then commit prefix */
	fw_ref_tag(&ref, out->corpus, base.data);
	if (fw_ref_commit(s, ref.data, &id) == 0) {
		found = 1;
	} else {
		fw_ref_branch(&ref, out->corpus, base.data);
		if (fw_ref_commit(s, ref.data, &id) == 0)
			found = is_branch = 1;
	}
	if (has_reflog) {
		if (!is_branch) {
			rc = fw_error_set(found ? FW_EINVALID : FW_ENOTFOUND, "bad revision '%s': "
			    "@{N} follows a branch, and %s@%s is %s", spec, out->corpus, base.data,
			    found ? "a tag" : "no branch");
			goto done;
		}
		if ((rc = reflog_nth(s, spec, out->corpus, base.data, nth, &id)) < 0)
			goto done;
	}
	if (!found && base.len >= 4 && base.len <= GIT_OID_HEXSZ && is_hex(base.data, base.len)) {
		if ((rc = commit_prefix(s, out->corpus, spec, base.data, base.len, &id)) < 0)
			goto done;
		found = rc == 1;
	}
	if (!found) {
		fw_buf_printf(&msg, "unknown revision '%s': no tag, branch or commit '%s' in "
		    "corpus '%s'", spec, base.data, out->corpus);
		fw_refname_suggest(s, out->corpus, base.data, &msg);
		rc = fw_error_set(FW_ENOTFOUND, "%s", msg.data);
		goto done;
	}
	if (is_branch && !has_reflog && *p == '\0')
		snprintf(out->branch, sizeof(out->branch), "%s", base.data);
	/* ~N and ^N */
	while (*p) {
		char op = *p++;
		long n = 1;
		if (op != '~' && op != '^') {
			rc = fw_error_set(FW_EINVALID, "bad revision '%s' at '%c'", spec,
			    (unsigned char)p[-1] < 0x20 || p[-1] == 0x7f ? '?' : p[-1]);
			goto done;
		}
		if (isdigit((unsigned char)*p)) {
			char *end;
			errno = 0;
			n = strtol(p, &end, 10);
			p = end;
			if (errno || n > 1000000) {
				rc = fw_error_set(FW_EINVALID, "bad revision '%s': %c%s is too large",
				    spec, op, "N");
				goto done;
			}
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
	fw_buf_release(&msg);
	return rc;
}

/* 1 when rev, holding '@', names a corpus before it ("sft@v3", "dpo@main");
 * 0 when it is a branch's reflog relative to the corpus ("main@{1}"). */
static int
whole_spec(fw_store *s, const char *corpus, const char *rev)
{
	size_t n = strcspn(rev, "@");
	char name[80];

	if (n >= sizeof(name))
		return 1;
	memcpy(name, rev, n);
	name[n] = '\0';
	return strcmp(name, corpus) == 0 || fw_corpus_exists(s, name) || rev[n + 1] != '{';
}

int
fw_rev_resolve_in(fw_store *s, fw_rev *out, const char *corpus, const char *rev)
{
	fw_buf spec = FW_BUF_INIT;
	int rc;

	if (rev == NULL || *rev == '\0')
		fw_buf_adds(&spec, corpus);
	else if (rev[0] == '@')
		fw_buf_printf(&spec, "%s%s", corpus, rev);
	else if (strchr(rev, '@') && whole_spec(s, corpus, rev))
		fw_buf_adds(&spec, rev);
	else
		fw_buf_printf(&spec, "%s@%s", corpus, rev);
	rc = fw_rev_resolve(s, out, spec.data);
	if (rc == 0 && strcmp(out->corpus, corpus) != 0)
		rc = fw_error_set(FW_EINVALID, "revision '%s' is of corpus %s, not %s", rev,
		    out->corpus, corpus);
	fw_buf_release(&spec);
	return rc;
}
