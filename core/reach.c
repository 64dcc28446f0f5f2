/*
 * What a store keeps alive: every commit reachable from a ref (any ref under
 * refs/, whatever made it: branches, tags, refs/fw/...) or from a reflog
 * entry (old and new ids; the reflog files are listed from disk, so the logs
 * of refs that no longer exist count too). fw fsck checks these commits and
 * fw gc keeps the objects they reach. Staged segments hold records, not
 * object ids: they reach no object.
 */
#include "internal.h"
#include "reach.h"
#include "fw/error.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct root {
	git_oid oid;
	char label[300];	/* "corpus@branch", or a ref name */
	char corpus[80];
};

struct roots {
	struct root *v;
	size_t n, cap;
};

static int
roots_add(struct roots *r, const git_oid *oid, const char *refname, int reflog)
{
	struct root *x;
	const char *rest = NULL;

	if (git_oid_is_zero(oid))
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct root *nv = realloc(r->v, cap * sizeof(*nv));
		if (nv == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		r->v = nv;
		r->cap = cap;
	}
	x = &r->v[r->n++];
	memset(x, 0, sizeof(*x));
	x->oid = *oid;
	if (strncmp(refname, "refs/heads/", 11) == 0)
		rest = refname + 11;
	else if (strncmp(refname, "refs/tags/", 10) == 0)
		rest = refname + 10;
	else if (strncmp(refname, "refs/fw/current/", 16) == 0)
		rest = refname + 16;
	if (rest && strchr(rest, '/')) {
		size_t cl = (size_t)(strchr(rest, '/') - rest);
		snprintf(x->corpus, sizeof(x->corpus), "%.*s", (int)cl, rest);
		if (reflog) {
			char hex[GIT_OID_HEXSZ + 1];
			git_oid_tostr(hex, 13, oid);
			snprintf(x->label, sizeof(x->label), "%s@%s", x->corpus, hex);
		} else {
			snprintf(x->label, sizeof(x->label), "%s@%s", x->corpus, rest + cl + 1);
		}
	} else if (rest) {
		snprintf(x->corpus, sizeof(x->corpus), "%s", rest);
		snprintf(x->label, sizeof(x->label), "%s", refname);
	} else {
		snprintf(x->label, sizeof(x->label), "%s%s", refname, reflog ? " (reflog)" : "");
	}
	return 0;
}

static int
add_refs(fw_store *s, struct roots *r)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int rc, grc;

	if ((grc = git_reference_iterator_new(&it, s->repo)) < 0)
		return fw_git_error(grc, "cannot list refs");
	while ((grc = git_reference_next(&ref, it)) == 0) {
		git_object *obj = NULL;
		rc = 0;
		/* A symbolic ref names another ref, which is listed itself. One
		 * whose commit cannot be read is a root all the same: the walk
		 * reports it. */
		if (git_reference_type(ref) == GIT_REFERENCE_DIRECT) {
			if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0)
				rc = roots_add(r, git_object_id(obj), git_reference_name(ref), 0);
			else if (git_reference_target(ref))
				rc = roots_add(r, git_reference_target(ref), git_reference_name(ref), 0);
		}
		git_object_free(obj);
		git_reference_free(ref);
		if (rc < 0) {
			git_reference_iterator_free(it);
			return rc;
		}
	}
	git_reference_iterator_free(it);
	if (grc != GIT_ITEROVER)
		return fw_git_error(grc, "cannot list refs");
	return 0;
}

typedef int (*reflog_fn)(fw_store *s, const char *refname, git_reflog *log, void *arg);

/* Every reflog file under logs/, as the ref name it belongs to. */
static int
each_reflog(fw_store *s, const char *logs, const char *name, reflog_fn fn, void *arg)
{
	char path[8192];
	DIR *d;
	struct dirent *de;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", logs, name);
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT || errno == ENOTDIR ? 0 :
		    fw_error_errno("cannot read %s", path);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char sub[2048];
		struct stat st;
		git_reflog *log = NULL;

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s%s%s", name, *name ? "/" : "", de->d_name);
		snprintf(path, sizeof(path), "%s/%s", logs, sub);
		if (stat(path, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			rc = each_reflog(s, logs, sub, fn, arg);
			continue;
		}
		int grc = git_reflog_read(&log, s->repo, sub);
		if (grc < 0) {
			rc = fw_git_error(grc, "cannot read the reflog of %s", sub);
			break;
		}
		rc = fn(s, sub, log, arg);
		git_reflog_free(log);
	}
	closedir(d);
	return rc;
}

static int
entry_expired(const git_reflog_entry *e, int64_t before)
{
	const git_signature *c = git_reflog_entry_committer(e);

	return before > 0 && c && (int64_t)c->when.time < before;
}

struct add_arg {
	struct roots *r;
	int64_t before;
};

static int
add_reflog(fw_store *s, const char *refname, git_reflog *log, void *arg)
{
	struct add_arg *a = arg;
	int rc = 0;

	(void)s;
	for (size_t i = 0; rc == 0 && i < git_reflog_entrycount(log); i++) {
		const git_reflog_entry *e = git_reflog_entry_byindex(log, i);
		if (entry_expired(e, a->before))
			continue;
		rc = roots_add(a->r, git_reflog_entry_id_new(e), refname, 1);
		if (rc == 0)
			rc = roots_add(a->r, git_reflog_entry_id_old(e), refname, 1);
	}
	return rc;
}

struct expire_arg {
	int64_t before;
	int dry_run;
	uint64_t dropped;
};

static int
expire_reflog(fw_store *s, const char *refname, git_reflog *log, void *arg)
{
	struct expire_arg *a = arg;
	size_t n = git_reflog_entrycount(log), dropped = 0;
	int grc;

	/* index 0 is the newest entry; drop from the oldest end */
	for (size_t i = n; i-- > 0;) {
		if (!entry_expired(git_reflog_entry_byindex(log, i), a->before))
			continue;
		dropped++;
		if (!a->dry_run && (grc = git_reflog_drop(log, i, 0)) < 0)
			return fw_git_error(grc, "cannot expire the reflog of %s", refname);
	}
	a->dropped += dropped;
	if (a->dry_run || dropped == 0)
		return 0;
	git_reference *ref = NULL;
	int exists = git_reference_lookup(&ref, s->repo, refname) == 0;
	git_reference_free(ref);
	if (dropped == n && !exists)
		grc = git_reflog_delete(s->repo, refname);
	else
		grc = git_reflog_write(log);
	return grc < 0 ? fw_git_error(grc, "cannot write the reflog of %s", refname) : 0;
}

int
fw_reflogs_expire(fw_store *s, int64_t before, int dry_run, uint64_t *dropped)
{
	struct expire_arg a = { before, dry_run, 0 };
	char logs[4096];
	int rc;

	snprintf(logs, sizeof(logs), "%s/logs", git_repository_path(s->repo));
	rc = each_reflog(s, logs, "", expire_reflog, &a);
	*dropped = a.dropped;
	return rc;
}

/*
 * The commits root reaches that no root walked before it did, each passed to
 * cb once, labelled by the first root that reaches it: a depth-first walk
 * over parents with one set of visited commits for all roots, so each
 * commit is read once. (A git revwalk per root that hid the roots before it
 * walked their histories again for every root: 602 roots over 301 commits
 * read 47,000 objects.) A commit that cannot be read is reported against
 * the root: "commit of ROOT cannot be read" for the root itself, "history of
 * ROOT cannot be walked" for one of its ancestors, by every root whose walk
 * meets it; the rest is walked on.
 */
static int
walk_root(fw_store *s, const struct root *rt, fw_oidset *seen, git_oid **stack, size_t *cap,
    fw_reach_cb cb, void *arg)
{
	size_t n = 0;
	git_oid start = rt->oid;
	git_object *o = NULL, *peeled = NULL;
	int rc = 0;

	if (*cap == 0) {
		if ((*stack = malloc(64 * sizeof(**stack))) == NULL)
			return fw_error_set(FW_ENOMEM, "out of memory");
		*cap = 64;
	}
	/* an annotated tag (a tag ref's reflog entries name the tag object)
	 * stands for the commit it tags */
	if (git_object_lookup(&o, s->repo, &rt->oid, GIT_OBJECT_ANY) == 0 &&
	    git_object_type(o) == GIT_OBJECT_TAG &&
	    git_object_peel(&peeled, o, GIT_OBJECT_COMMIT) == 0)
		start = *git_object_id(peeled);
	git_object_free(peeled);
	git_object_free(o);
	(*stack)[n++] = start;
	while (n && rc == 0) {
		git_oid oid = (*stack)[--n];
		fw_oid key;
		git_commit *c = NULL;
		char label[320], hex[GIT_OID_HEXSZ + 1];
		int is_root = git_oid_equal(&oid, &start), added, grc;

		memset(&key, 0, sizeof(key));
		memcpy(key.id, oid.id, GIT_OID_RAWSZ);
		if (fw_oidset_has(seen, &key))
			continue;
		/* one that cannot be read is not marked: every root that
		 * reaches it reports it */
		if ((grc = git_commit_lookup(&c, s->repo, &oid)) < 0) {
			rc = cb(arg, &rt->oid, rt->label, fw_git_error(grc, is_root ?
			    "commit of %s cannot be read" : "history of %s cannot be walked",
			    rt->label));
			continue;
		}
		if ((added = fw_oidset_add(seen, &key)) < 0) {
			git_commit_free(c);
			return added;
		}
		if (is_root)
			snprintf(label, sizeof(label), "%s", rt->label);
		else {
			git_oid_tostr(hex, 13, &oid);
			if (rt->corpus[0])
				snprintf(label, sizeof(label), "%s@%s", rt->corpus, hex);
			else
				snprintf(label, sizeof(label), "%s", hex);
		}
		rc = cb(arg, &oid, label, 0);
		for (unsigned p = git_commit_parentcount(c); rc == 0 && p-- > 0;) {
			if (n == *cap) {
				git_oid *ns = realloc(*stack, *cap * 2 * sizeof(*ns));
				if (ns == NULL) {
					rc = fw_error_set(FW_ENOMEM, "out of memory");
					break;
				}
				*stack = ns;
				*cap *= 2;
			}
			(*stack)[n++] = *git_commit_parent_id(c, p);
		}
		git_commit_free(c);
	}
	return rc;
}

int
fw_reach_commits(fw_store *s, fw_reach_cb cb, void *arg, uint64_t *nroots)
{
	return fw_reach_commits_since(s, 0, cb, arg, nroots);
}

int
fw_reach_commits_since(fw_store *s, int64_t before, fw_reach_cb cb, void *arg,
    uint64_t *nroots)
{
	struct roots r = { NULL, 0, 0 };
	struct add_arg aa = { &r, before };
	fw_oidset seen = { 0 };
	git_oid *stack = NULL;
	size_t cap = 0;
	char logs[4096];
	int rc;

	*nroots = 0;
	snprintf(logs, sizeof(logs), "%s/logs", git_repository_path(s->repo));
	if ((rc = add_refs(s, &r)) < 0 || (rc = each_reflog(s, logs, "", add_reflog, &aa)) < 0)
		goto done;
	*nroots = r.n;
	for (size_t i = 0; i < r.n && rc == 0; i++)
		rc = walk_root(s, &r.v[i], &seen, &stack, &cap, cb, arg);
done:
	free(r.v);
	free(stack);
	fw_oidset_release(&seen);
	return rc;
}

/* --- sets of object ids --- */

static size_t
oid_slot(const fw_oid *id, size_t cap)
{
	size_t h;

	memcpy(&h, id->id, sizeof(h));
	return h & (cap - 1);
}

int
fw_oidset_has(const fw_oidset *s, const fw_oid *id)
{
	if (s->cap == 0)
		return 0;
	for (size_t i = oid_slot(id, s->cap);; i = (i + 1) & (s->cap - 1)) {
		if (!s->used[i])
			return 0;
		if (memcmp(s->ids[i].id, id->id, FW_OID_RAWSZ) == 0)
			return 1;
	}
}

int
fw_oidset_add(fw_oidset *s, const fw_oid *id)
{
	size_t i;

	if (fw_oidset_has(s, id))
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		fw_oid *nids = malloc(ncap * sizeof(*nids));
		uint8_t *nused = calloc(ncap, 1);
		if (nids == NULL || nused == NULL) {
			free(nids);
			free(nused);
			return fw_error_set(FW_ENOMEM, "out of memory");
		}
		for (size_t k = 0; k < s->cap; k++)
			if (s->used[k]) {
				for (i = oid_slot(&s->ids[k], ncap); nused[i]; i = (i + 1) & (ncap - 1))
					;
				nids[i] = s->ids[k];
				nused[i] = 1;
			}
		free(s->ids);
		free(s->used);
		s->ids = nids;
		s->used = nused;
		s->cap = ncap;
	}
	for (i = oid_slot(id, s->cap); s->used[i]; i = (i + 1) & (s->cap - 1))
		;
	s->ids[i] = *id;
	s->used[i] = 1;
	s->n++;
	return 1;
}

void
fw_oidset_release(fw_oidset *s)
{
	free(s->ids);
	free(s->used);
	memset(s, 0, sizeof(*s));
}

int
fw_reach_is_version(fw_store *s, const git_oid *commit)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int rc, grc;

	if ((grc = git_commit_lookup(&c, s->repo, commit)) < 0)
		return fw_git_error(grc, "cannot read commit");
	if ((grc = git_commit_tree(&tree, c)) < 0) {
		git_commit_free(c);
		return fw_git_error(grc, "cannot read commit tree");
	}
	rc = git_tree_entry_byname(tree, "DATA") != NULL &&
	    git_tree_entry_byname(tree, "INDEX") != NULL &&
	    git_tree_entry_byname(tree, "schema.yaml") != NULL;
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}
