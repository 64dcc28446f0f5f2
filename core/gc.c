/*
 * fw gc: marks every object that a version reachable from a ref or a reflog
 * entry reaches (core/reach.c), then has the object store remove the others
 * (fw_objstore_collect). Two things keep a writer running at the same time
 * safe:
 *   - gc holds the commit lock of every corpus from before it marks until it
 *     has swept, so no commit can write objects or move a branch meanwhile
 *     (a commit that holds a lock makes gc fail at once: try again);
 *   - nothing younger than the grace period is removed (packs, loose objects,
 *     temporary files), which covers writers that take no corpus lock: an
 *     fw add's temporary segment, and whatever a future writer does between
 *     writing objects and publishing a ref to them.
 */
#include "internal.h"
#include "reach.h"
#include "fw/error.h"
#include "fw/maint.h"

#include <git2/sys/odb_backend.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct mark {
	fw_store *s;
	fw_oidset set;
	fw_ptree dt, it;
	uint64_t versions;
	git_packbuilder *pb;	/* the git objects reached, to pack */
};

static int
mark_tree(struct mark *m, const fw_ptree *t, const fw_oid *oid, int height)
{
	int rc;

	if ((rc = fw_oidset_add(&m->set, oid)) <= 0)
		return rc;
	if (height > 0) {
		fw_ptree_loaded l;
		if ((rc = fw_ptree_node_load(t, oid, &l)) < 0)
			return rc;
		for (uint32_t i = 0; i < l.n && rc == 0; i++)
			rc = mark_tree(m, t, &l.children[i].oid, height - 1);
		fw_ptree_loaded_release(t, &l);
		return rc;
	}
	if (t == &m->dt) {
		fw_rg rg;
		if ((rc = fw_rg_load(m->s->os, &rg, oid, 0)) < 0)
			return rc;
		if ((rc = fw_oidset_add(&m->set, &rg.keys_oid)) >= 0)
			rc = fw_oidset_add(&m->set, &rg.sizes_oid);
		for (size_t k = 0; k < rg.ncols && rc >= 0; k++)
			rc = fw_oidset_add(&m->set, &rg.cols[k].oid);
		fw_rg_release(&rg);
		return rc < 0 ? rc : 0;
	}
	return 0;	/* an index leaf refers to nothing */
}

static int
mark_commit(void *arg, const git_oid *commit, const char *label, int err)
{
	struct mark *m = arg;
	fw_roots roots;
	int rc;

	if (err < 0)
		return fw_error_wrap(err, "gc: nothing removed");
	if (m->pb && (rc = git_packbuilder_insert_commit(m->pb, commit)) < 0)
		return fw_git_error(rc, "gc: cannot pack %s", label);
	if ((rc = fw_reach_is_version(m->s, commit)) <= 0)
		return rc < 0 ? fw_error_wrap(rc, "gc: %s", label) : 0;
	if ((rc = fw_commit_read(m->s, commit, NULL, &roots, NULL)) < 0)
		return fw_error_wrap(rc, "gc: %s", label);
	m->versions++;
	if (!roots.data.empty &&
	    (rc = mark_tree(m, &m->dt, &roots.data.top.oid, roots.data.height)) < 0)
		goto bad;
	if (!roots.index.empty &&
	    (rc = mark_tree(m, &m->it, &roots.index.top.oid, roots.index.height)) < 0)
		goto bad;
	return 0;
bad:
	/* Cannot know what an unreadable object refers to: keep everything. */
	return fw_error_wrap(rc, "gc: a version of %s cannot be read (run fw fsck); "
	    "nothing removed", label);
}

/* Staged chunks' column objects wait for a commit: every sealed segment's
 * are kept (a segment still being written is younger than the grace). */
static int
mark_op(void *arg, const fw_seg_op *o)
{
	(void)arg;
	(void)o;
	return 0;
}

static int
mark_chunk(void *arg, uint32_t num, const fw_chunk *ch)
{
	struct mark *m = arg;
	int rc = 0;

	(void)num;
	for (size_t k = 0; k < ch->ncols && rc >= 0; k++)
		rc = fw_oidset_add(&m->set, &ch->cols[k].oid);
	return rc < 0 ? rc : 0;
}

static int
mark_staged(void *arg, const char *corpus)
{
	struct mark *m = arg;
	fw_seg *segs = NULL;
	size_t n = 0;
	int rc;

	if ((rc = fw_seg_list(m->s, corpus, &segs, &n)) < 0)
		return fw_error_wrap(rc, "gc: nothing removed");
	for (size_t i = 0; i < n && rc == 0; i++)
		if ((rc = fw_seg_scan(&segs[i], mark_op, mark_chunk, m)) < 0)
			rc = fw_error_wrap(rc, "gc: nothing removed");
	fw_seg_list_free(segs, n);
	return rc;
}

static int
keep(void *arg, const fw_oid *id)
{
	return fw_oidset_has(&((struct mark *)arg)->set, id);
}

struct locks {
	fw_store *s;
	int *fds;
	size_t n;
};

/* Takes locks/NAME.lock, without waiting: busy is the message when it is
 * held. */
static int
lock_file(struct locks *l, const char *name, const char *busy)
{
	char path[4096];
	int fd, *nf;

	snprintf(path, sizeof(path), "%s/locks/%s.lock", l->s->dir, name);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) < 0)
		return fw_error_errno("cannot open %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return fw_error_set(FW_ELOCKED, "%s", busy);
		errno = e;
		return fw_error_errno("cannot lock %s", path);
	}
	if ((nf = realloc(l->fds, (l->n + 1) * sizeof(*nf))) == NULL) {
		close(fd);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	l->fds = nf;
	l->fds[l->n++] = fd;
	return 0;
}

static int
lock_one(void *arg, const char *corpus)
{
	char busy[300];

	snprintf(busy, sizeof(busy), "a commit of corpus '%s' is running; nothing removed, "
	    "try gc again", corpus);
	return lock_file(arg, corpus, busy);
}

/* Temporary segments of fw add runs that were killed. */
static int
stage_leftovers(fw_store *s, int64_t grace, int dry_run, fw_objstore_gc_result *res)
{
	char dir[4096], path[8192];
	DIR *d, *sd;
	struct dirent *de, *se;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s/stage", s->dir);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : fw_error_errno("cannot read %s", dir);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((sd = opendir(path)) == NULL)
			continue;
		while (rc == 0 && (se = readdir(sd)) != NULL) {
			struct stat st;
			if (strncmp(se->d_name, ".tmp-", 5) != 0 ||
			    fstatat(dirfd(sd), se->d_name, &st, 0) < 0 ||
			    (int64_t)(time(NULL) - st.st_mtime) < grace)
				continue;
			res->tmp_removed++;
			res->bytes_freed += (uint64_t)st.st_size;
			if (!dry_run && unlinkat(dirfd(sd), se->d_name, 0) < 0 && errno != ENOENT)
				rc = fw_error_errno("cannot remove %s/%s", path, se->d_name);
			if (!dry_run)
				fw_crash_point("gc staged leftover removed");
		}
		closedir(sd);
	}
	closedir(d);
	return rc;
}

/*
 * After a commit or a merge: every commit writes a pack and every read looks
 * through every pack's index, so once FW_AUTO_MERGE_PACKS (default 50) packs
 * under 1 MiB have piled up, they are merged into one, keeping every object
 * (git's gc --auto acts past 50 packs too). At most 50 MiB is copied, and
 * only a store of many small commits ever gets there. It runs under the gc
 * lock, taken without waiting: while a gc runs, nothing is done (that gc
 * merges the packs itself).
 */
int
fw_store_auto_compact(fw_store *s, uint64_t *merged)
{
	struct locks lk = { s, NULL, 0 };
	const char *env = getenv("FW_AUTO_MERGE_PACKS");
	long long min = 50;
	int rc;

	*merged = 0;
	if (env && *env) {
		char *end;
		min = strtoll(env, &end, 10);
		if (*end || min < 0)
			return fw_error_set(FW_EINVALID, "FW_AUTO_MERGE_PACKS must be a count, not '%s'",
			    env);
	}
	if (min == 0)
		return 0;
	if ((rc = lock_file(&lk, ".gc", "")) < 0) {
		if (rc == FW_ELOCKED) {
			fw_error_clear();
			return 0;
		}
		return rc;
	}
	rc = fw_objstore_compact(s->os, (uint64_t)1 << 20, (size_t)min, merged);
	close(lk.fds[0]);
	free(lk.fds);
	return rc;
}

/* --- the git side --- */

/*
 * Every commit writes its commit, tree and blobs into .fw/git as loose
 * files (four or five a commit, each taking a disk block). gc packs the
 * commits it reached, their trees and blobs, the annotated tags refs point
 * at, every other loose object and every object of the older git packs
 * into one git pack, makes it durable, and then removes the loose objects
 * and the older packs that it holds (all of them, unless one could not be
 * read whole). Nothing is pruned. A kill leaves at worst objects in two
 * places.
 */
static int
add_tags(git_packbuilder *pb, git_repository *repo)
{
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int grc;

	if ((grc = git_reference_iterator_new(&it, repo)) < 0)
		return fw_git_error(grc, "cannot list refs");
	while ((grc = git_reference_next(&ref, it)) == 0) {
		const git_oid *t = git_reference_type(ref) == GIT_REFERENCE_DIRECT ?
		    git_reference_target(ref) : NULL;
		git_object *obj = NULL;
		if (t && git_object_lookup(&obj, repo, t, GIT_OBJECT_TAG) == 0)
			grc = git_packbuilder_insert_recur(pb, t, NULL);
		git_object_free(obj);
		git_reference_free(ref);
		if (grc < 0)
			break;
	}
	git_reference_iterator_free(it);
	return grc < 0 && grc != GIT_ITEROVER ? fw_git_error(grc, "gc: cannot pack the tags") : 0;
}

/* Calls fn for every loose object file under objects/ (path, its id). */
static int
each_loose(const char *objdir, int (*fn)(void *arg, const char *path, const git_oid *id),
    void *arg)
{
	char dir[4200], path[4300], hex[GIT_OID_HEXSZ + 1];
	int rc = 0;

	for (int i = 0; i < 256 && rc == 0; i++) {
		DIR *d;
		struct dirent *de;
		snprintf(dir, sizeof(dir), "%s/%02x", objdir, i);
		if ((d = opendir(dir)) == NULL)
			continue;
		while (rc == 0 && (de = readdir(d)) != NULL) {
			git_oid id;
			if (strlen(de->d_name) != GIT_OID_HEXSZ - 2)
				continue;
			snprintf(hex, sizeof(hex), "%02x%s", i, de->d_name);
			if (git_oid_fromstr(&id, hex) < 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			rc = fn(arg, path, &id);
		}
		closedir(d);
	}
	return rc;
}

/* Every loose object goes into the pack, whether or not a ref reaches it
 * (nothing is pruned): else one no ref reaches would stay loose and make
 * every later gc pack everything again. */
static int
insert_loose(void *arg, const char *path, const git_oid *id)
{
	int grc = git_packbuilder_insert(arg, id, NULL);

	return grc < 0 ? fw_git_error(grc, "gc: cannot pack %s", path) : 0;
}

static int
insert_packed(const git_oid *id, void *arg)
{
	return git_packbuilder_insert(arg, id, NULL) < 0 ? -1 : 0;
}

/* An odb of one pack (its .idx path). */
static int
open_pack(git_odb **out, const char *idx)
{
	git_odb_backend *be = NULL;
	int grc;

	*out = NULL;
	if ((grc = git_odb_new(out)) < 0 || (grc = git_odb_backend_one_pack(&be, idx)) < 0) {
		git_odb_free(*out);
		*out = NULL;
		return fw_git_error(grc, "cannot open %s", idx);
	}
	/* the odb owns the backend once added, and frees it with itself */
	if ((grc = git_odb_add_backend(*out, be, 1)) < 0) {
		be->free(be);
		git_odb_free(*out);
		*out = NULL;
		return fw_git_error(grc, "cannot open %s", idx);
	}
	return 0;
}

/* Calls fn(arg, path) for each file in the git pack directory whose name
 * starts with prefix and ends with suffix; fn's non-zero return stops it. */
static int
each_pack_file(const char *packdir, const char *prefix, const char *suffix,
    int (*fn)(void *arg, const char *path, const char *name), void *arg)
{
	char path[4600];
	DIR *d = opendir(packdir);
	struct dirent *de;
	size_t pl = strlen(prefix), sl = strlen(suffix);
	int rc = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : fw_error_errno("cannot read %s", packdir);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		if (n < pl + sl || strncmp(de->d_name, prefix, pl) != 0 ||
		    strcmp(de->d_name + n - sl, suffix) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", packdir, de->d_name);
		rc = fn(arg, path, de->d_name);
	}
	closedir(d);
	return rc;
}

/* Every object of the older git packs goes into the new one too: nothing
 * is pruned, and there is one git pack after every gc. */
static int
insert_old_pack(void *arg, const char *path, const char *name)
{
	git_odb *old = NULL;
	int rc, grc;

	(void)name;
	if ((rc = open_pack(&old, path)) < 0)
		return rc;
	if ((grc = git_odb_foreach(old, insert_packed, arg)) < 0)
		rc = fw_git_error(grc, "gc: cannot pack the objects of %s", path);
	git_odb_free(old);
	return rc;
}

static int
count_one(void *arg, const char *path, const git_oid *id)
{
	(void)path;
	(void)id;
	(*(uint64_t *)arg)++;
	return 0;
}

struct prune_arg {
	git_odb *packed;
	uint64_t n;
	int rc;
};

static int
unlink_packed(void *arg, const char *path, const git_oid *id)
{
	struct prune_arg *a = arg;

	if (git_odb_exists(a->packed, id)) {
		if (unlink(path) < 0 && errno != ENOENT)
			return fw_error_errno("cannot remove %s", path);
		a->n++;
	}
	return 0;
}

static int
in_packed(const git_oid *id, void *arg)
{
	struct prune_arg *a = arg;

	if (!git_odb_exists(a->packed, id)) {
		a->rc = 1;	/* something only this pack has */
		return 1;
	}
	return 0;
}


/* What a killed git_packbuilder_write leaves in the git pack directory:
 * libgit2's temporary pack (pack_git2_*) and index lock (*.lock), removed
 * once older than the grace period. */
struct leftover_arg {
	int64_t grace;
	int dry_run;
	fw_objstore_gc_result *res;
};

static int
leftover(void *arg, const char *path, const char *name)
{
	struct leftover_arg *a = arg;
	struct stat st;

	(void)name;
	if (stat(path, &st) < 0 || (int64_t)(time(NULL) - st.st_mtime) < a->grace)
		return 0;
	a->res->tmp_removed++;
	a->res->bytes_freed += (uint64_t)st.st_size;
	if (!a->dry_run && unlink(path) < 0 && errno != ENOENT)
		return fw_error_errno("cannot remove %s", path);
	return 0;
}

static int
git_leftovers(const char *packdir, int64_t grace, int dry_run, fw_objstore_gc_result *res)
{
	struct leftover_arg a = { grace, dry_run, res };
	int rc;

	if ((rc = each_pack_file(packdir, "pack_git2_", "", leftover, &a)) < 0)
		return rc;
	return each_pack_file(packdir, "", ".lock", leftover, &a);
}

/* An older pack, removed when the new one holds all of its objects. */
struct old_arg {
	struct prune_arg *pa;
	const char *keep;	/* the new pack's name, pack-<hex>.idx */
};

static int
remove_old_pack(void *arg, const char *path, const char *name)
{
	struct old_arg *o = arg;
	char pack[4600];
	git_odb *old = NULL;
	int grc, rc = 0;

	if (strcmp(name, o->keep) == 0 || open_pack(&old, path) < 0) {
		fw_error_clear();
		return 0;	/* the new one, or not ours to judge */
	}
	o->pa->rc = 0;
	grc = git_odb_foreach(old, in_packed, o->pa);
	git_odb_free(old);
	if ((grc < 0 && grc != GIT_EUSER) || o->pa->rc != 0)
		return 0;
	/* the index first: a pack without one is never read */
	snprintf(pack, sizeof(pack), "%.*s.pack", (int)(strlen(path) - 4), path);
	if (unlink(path) < 0 && errno != ENOENT)
		rc = fw_error_errno("cannot remove %s", path);
	if (rc == 0 && unlink(pack) < 0 && errno != ENOENT)
		rc = fw_error_errno("cannot remove %s", pack);
	fw_crash_point("git old pack removed");
	return rc;
}

static int
pack_git(fw_store *s, git_packbuilder *pb, int dry_run, uint64_t *packed)
{
	char objdir[4096], packdir[4200], idx[4400], path[4600];
	struct prune_arg pa = { NULL, 0, 0 };
	uint64_t loose = 0;
	const char *name;
	int rc, grc;

	snprintf(objdir, sizeof(objdir), "%sobjects", git_repository_path(s->repo));
	snprintf(packdir, sizeof(packdir), "%s/pack", objdir);
	if ((rc = each_loose(objdir, count_one, &loose)) < 0)
		return rc;
	if (loose == 0)
		return 0;	/* packed already */
	if (dry_run) {
		*packed = loose;	/* at most: those the walk reached */
		return 0;
	}
	if ((rc = add_tags(pb, s->repo)) < 0 || (rc = each_loose(objdir, insert_loose, pb)) < 0 ||
	    (rc = each_pack_file(packdir, "pack-", ".idx", insert_old_pack, pb)) < 0)
		return rc;
	if (mkdir(packdir, 0777) < 0 && errno != EEXIST)
		return fw_error_errno("cannot create %s", packdir);
	if ((grc = git_packbuilder_write(pb, packdir, 0, NULL, NULL)) < 0)
		return fw_git_error(grc, "gc: cannot write the git pack");
	fw_crash_point("git pack written");
	name = git_packbuilder_name(pb);
	snprintf(idx, sizeof(idx), "%s/pack-%s.idx", packdir, name);
	if ((rc = open_pack(&pa.packed, idx)) < 0)
		return rc;
	/* the loose copies of what the pack holds */
	if ((rc = each_loose(objdir, unlink_packed, &pa)) < 0)
		goto done;
	*packed = pa.n;
	for (int i = 0; i < 256; i++) {	/* the emptied directories, as git does */
		snprintf(path, sizeof(path), "%s/%02x", objdir, i);
		rmdir(path);
	}
	fw_crash_point("git loose objects removed");
	/* older packs all of whose objects the new one holds: all of them */
	char keep[300];
	snprintf(keep, sizeof(keep), "pack-%s.idx", name);
	struct old_arg oa = { &pa, keep };
	if ((rc = each_pack_file(packdir, "pack-", ".idx", remove_old_pack, &oa)) == 0)
		rc = fw_fsync_dir(packdir);
done:
	git_odb_free(pa.packed);
	return rc;
}

int
fw_gc(fw_store *s, const fw_gc_opts *o, fw_objstore_gc_result *res, uint64_t *reachable)
{
	struct mark m;
	struct locks lk = { s, NULL, 0 };
	uint64_t nroots;
	int64_t grace = o->grace;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&m, 0, sizeof(m));
	*reachable = 0;
	if (grace < 0) {
		const char *env = getenv("FW_GC_GRACE");
		char *end;
		grace = FW_GC_GRACE_DEFAULT;
		if (env && *env) {
			long long v = strtoll(env, &end, 10);
			if (*end || v < 0)
				return fw_error_set(FW_EINVALID, "FW_GC_GRACE must be seconds, not '%s'",
				    env);
			grace = v;
		}
	}
	m.s = s;
	if ((rc = git_packbuilder_new(&m.pb, s->repo)) < 0)
		return fw_git_error(rc, "gc: cannot pack");
	git_packbuilder_set_threads(m.pb, 1);	/* the same pack every time */
	fw_data_tree_init(&m.dt, s->os, NULL);
	fw_index_tree_init(&m.it, s->os, s->os);
	/* One gc at a time, even in a store with no corpus to lock (no corpus
	 * name starts with a dot, so this lock is no corpus's). */
	if ((rc = lock_file(&lk, ".gc", "another fw gc is running; nothing removed")) < 0 ||
	    (rc = fw_corpus_list(s, lock_one, &lk)) < 0)
		goto done;
	/* Reflog entries to expire are dropped (or, in a dry run, only left
	 * out of the marking) while every lock is held. */
	if (o->expire_before > 0) {
		uint64_t dropped = 0;
		if ((rc = fw_reflogs_expire(s, o->expire_before, o->dry_run, &dropped)) < 0)
			goto done;
		if (o->expired)
			*o->expired = dropped;
	}
	if ((rc = fw_reach_commits_since(s, o->expire_before, mark_commit, &m, &nroots)) < 0)
		goto done;
	if ((rc = fw_corpus_list(s, mark_staged, &m)) < 0)
		goto done;
	*reachable = m.set.n;
	if ((rc = fw_objstore_collect(s->os, keep, &m, grace, o->dry_run, res)) < 0)
		goto done;
	if ((rc = stage_leftovers(s, grace, o->dry_run, res)) < 0)
		goto done;
	uint64_t packed = 0;
	char gpack[4200];
	snprintf(gpack, sizeof(gpack), "%sobjects/pack", git_repository_path(s->repo));
	if ((rc = git_leftovers(gpack, grace, o->dry_run, res)) < 0)
		goto done;
	rc = pack_git(s, m.pb, o->dry_run, &packed);
	if (o->git_packed)
		*o->git_packed = packed;
done:
	git_packbuilder_free(m.pb);
	for (size_t i = 0; i < lk.n; i++)
		close(lk.fds[i]);
	free(lk.fds);
	fw_oidset_release(&m.set);
	return rc;
}
