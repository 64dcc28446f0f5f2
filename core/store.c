#include "internal.h"
#include "fw/error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/sha.h>
#include <yaml.h>

int
fw_git_error(int gitrc, const char *what, ...)
{
	const git_error *e = git_error_last();
	char buf[1024];
	va_list ap;
	int code = FW_EIO;

	va_start(ap, what);
	vsnprintf(buf, sizeof(buf), what, ap);
	va_end(ap);
	if (gitrc == GIT_ENOTFOUND)
		code = FW_ENOTFOUND;
	else if (gitrc == GIT_EAMBIGUOUS)
		code = FW_EAMBIGUOUS;
	else if (gitrc == GIT_EMODIFIED || gitrc == GIT_ELOCKED)
		code = FW_ECONFLICT;
	else if (gitrc == GIT_EEXISTS)
		code = FW_EEXISTS;
	else if (gitrc == GIT_EINVALIDSPEC)
		code = FW_EINVALID;
	return fw_error_set(code, "%s: %s", buf, e && e->message ? e->message : "git error");
}

void
fw_idhash2(uint8_t out[8], uint32_t *check, const char *id, size_t len)
{
	unsigned char h[32];

	static atomic_int weak = -1;	/* asked once: a commit hashes every id */

	fw_sha256(h, id, len);
	/* Test hook: keep one byte so that tests can make ids collide (the
	 * check bytes stay whole, as two colliding real ids' would differ). */
	if (atomic_load(&weak) < 0)
		atomic_store(&weak, getenv("FW_TEST_WEAK_IDHASH") != NULL);
	if (check) {
		*check = fw_be32(h + 8);
		if (*check == 0)
			*check = 1;	/* 0 stands for "not known" */
	}
	if (atomic_load(&weak))
		memset(h + 1, 0, 7);
	memcpy(out, h, 8);
}

void
fw_idhash(uint8_t out[8], const char *id, size_t len)
{
	fw_idhash2(out, NULL, id, len);
}

uint64_t
fw_now_ns(void)
{
	const char *env = getenv("FW_NOW");
	struct timespec ts;

	if (env && *env)
		return strtoull(env, NULL, 10);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
git_init_once(void)
{
	static int done;

	if (!done) {
		git_libgit2_init();
		/* Objects and refs are ours to sync (objstore flush, ref fsync). */
		git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
		done = 1;
	}
}

static int
mkdir_p(const char *path)
{
	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		return fw_error_errno("cannot create %s", path);
	return 0;
}

int
fw_store_init(const char *dir)
{
	char fw[PATH_MAX], p[PATH_MAX + 32];
	git_repository *repo = NULL;
	struct stat st;
	FILE *f;
	int rc;

	git_init_once();
	if (dir == NULL)
		dir = ".";
	if (mkdir_p(dir) < 0)
		return FW_EIO;
	snprintf(fw, sizeof(fw), "%s/.fw", dir);
	if (stat(fw, &st) == 0)
		return fw_error_set(FW_EEXISTS, "a store exists already in %s", fw);
	if ((rc = mkdir_p(fw)) < 0)
		return rc;
	snprintf(p, sizeof(p), "%s/git", fw);
	if ((rc = git_repository_init(&repo, p, 1)) < 0)
		return fw_git_error(rc, "cannot create %s", p);
	/* Bare repositories keep no reflogs by default; fw's history of branch
	 * moves (resets, deletions) lives in them. */
	git_config *cfg = NULL;
	if ((rc = git_repository_config(&cfg, repo)) == 0) {
		rc = git_config_set_string(cfg, "core.logAllRefUpdates", "always");
		git_config_free(cfg);
	}
	git_repository_free(repo);
	if (rc < 0)
		return fw_git_error(rc, "cannot configure %s", p);
	static const char *const subdirs[] = { "objects", "stage", "locks" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", fw, subdirs[i]);
		if ((rc = mkdir_p(p)) < 0)
			return rc;
	}
	snprintf(p, sizeof(p), "%s/config.yaml", fw);
	if ((f = fopen(p, "w")) == NULL)
		return fw_error_errno("cannot create %s", p);
	fprintf(f, "# fw store settings\nformat: %d\n", FW_STORE_FORMAT);
	if (fclose(f) != 0)
		return fw_error_errno("cannot write %s", p);
	return 0;
}

/* A small decimal integer, optionally negative: 1 with *out, 0 otherwise. */
static int
yaml_int(const yaml_node_t *v, int *out)
{
	size_t n = v && v->type == YAML_SCALAR_NODE ? v->data.scalar.length : 0;
	size_t i = n && v->data.scalar.value[0] == '-' ? 1 : 0;
	int x = 0;

	if (i == n)
		return 0;
	for (; i < n; i++) {
		unsigned char c = v->data.scalar.value[i];
		if (c < '0' || c > '9' || x >= 100000)
			return 0;
		x = x * 10 + (c - '0');
	}
	*out = v->data.scalar.value[0] == '-' ? -x : x;
	return 1;
}

static int
key_is(const yaml_node_t *k, const char *name)
{
	size_t n = strlen(name);

	return k && k->type == YAML_SCALAR_NODE && k->data.scalar.length == n &&
	    memcmp(k->data.scalar.value, name, n) == 0;
}

int
fw_store_config_parse(const char *yaml, size_t len, fw_store_config *out)
{
	yaml_document_t doc;
	yaml_node_t *root;
	int rc = 0, have_doc = 0;

	out->format = 0;
	out->level = FW_OBJ_LEVEL_DEFAULT;
	if ((rc = fw_yaml_load(&doc, yaml, len, "")) < 0)
		goto done;
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || root->type != YAML_MAPPING_NODE) {
		rc = fw_error_set(FW_EINVALID, "line %lu: not a mapping",
		    root ? (unsigned long)root->start_mark.line + 1 : 1ul);
		goto done;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	    p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&doc, p->value);
		unsigned long line = v ? (unsigned long)v->start_mark.line + 1 : 1ul;
		int x;
		if (key_is(k, "format")) {
			if (!yaml_int(v, &x) || x <= 0) {
				rc = fw_error_set(FW_EINVALID,
				    "line %lu: format must be a positive integer", line);
				goto done;
			}
			out->format = x;
		} else if (key_is(k, "compression_level")) {
			if (!yaml_int(v, &x) || x < 1 || x > 19) {
				rc = fw_error_set(FW_EINVALID, "line %lu: compression_level must be "
				    "an integer from 1 to 19", line);
				goto done;
			}
			out->level = x;
		}
	}
	if (out->format == 0)
		rc = fw_error_set(FW_EINVALID, "no format key");
done:
	if (have_doc)
		yaml_document_delete(&doc);
	return rc;
}

/* Refuses a store written by a newer fw. A store without config.yaml (an
 * fw init killed before writing it) is of this format: everything else it
 * needs is there. */
/* config.yaml of dir (p, its path) into b, at most about 1 MiB: 0, 1 when
 * there is none, <0 on an error. */
static int
read_config(const char *dir, char p[PATH_MAX + 32], fw_buf *b)
{
	char chunk[4096];
	size_t n;
	int rc = 0;
	FILE *f;

	snprintf(p, PATH_MAX + 32, "%s/config.yaml", dir);
	if ((f = fopen(p, "r")) == NULL)
		return errno == ENOENT ? 1 : fw_error_errno("cannot read %s", p);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b->len < (1u << 20))
		if ((rc = fw_buf_add(b, chunk, n)) < 0)
			break;
	if (rc == 0 && ferror(f))
		rc = fw_error_errno("cannot read %s", p);
	fclose(f);
	return rc;
}

static int
check_config(const char *dir, fw_store_config *cfg)
{
	char p[PATH_MAX + 32];
	fw_buf b = FW_BUF_INIT;
	int rc;

	cfg->format = FW_STORE_FORMAT;
	cfg->level = FW_OBJ_LEVEL_DEFAULT;
	if ((rc = read_config(dir, p, &b)) != 0) {
		fw_buf_release(&b);
		return rc < 0 ? rc : 0;
	}
	if ((rc = fw_store_config_parse(b.data ? b.data : "", b.len, cfg)) < 0)
		rc = fw_error_wrap(FW_ECORRUPT, "%s", p);
	else if (rc == 0 && cfg->format > FW_STORE_FORMAT)
		rc = fw_error_set(FW_EINVALID, "the store in %s has format %d, newer than this fw "
		    "(format %d): use a newer fw", dir, cfg->format, FW_STORE_FORMAT);
	fw_buf_release(&b);
	return rc;
}

int
fw_store_upgrade(fw_store *s)
{
	char p[PATH_MAX + 32], tmp[PATH_MAX + 64];
	fw_buf b = FW_BUF_INIT, out = FW_BUF_INIT;
	int rc, fd = -1, done = 0;

	if (s->format >= FW_STORE_FORMAT)
		return 0;
	/* a store of an older format was opened with its config.yaml */
	if ((rc = read_config(s->dir, p, &b)) > 0)
		rc = fw_error_set(FW_ENOTFOUND, "%s is gone", p);
	/* The top-level "format:" line becomes this format; every other line
	 * (comments, compression_level, keys of later versions) stays. */
	for (size_t at = 0; rc == 0 && at < b.len;) {
		const char *line = b.data + at, *nl = memchr(line, '\n', b.len - at);
		size_t len = nl ? (size_t)(nl - line) + 1 : b.len - at;
		if (!done && len >= 7 && memcmp(line, "format:", 7) == 0) {
			char v[32];
			snprintf(v, sizeof(v), "format: %d\n", FW_STORE_FORMAT);
			rc = fw_buf_adds(&out, v);
			done = 1;
		} else {
			rc = fw_buf_add(&out, line, len);
		}
		at += len;
	}
	if (rc == 0 && !done)
		rc = fw_error_set(FW_ECORRUPT, "%s: no format line to upgrade", p);
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", p, (long)getpid());
	if (rc == 0 && (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		rc = fw_error_errno("cannot create %s", tmp);
	if (rc == 0 && (write(fd, out.data, out.len) != (ssize_t)out.len || fsync(fd) < 0))
		rc = fw_error_errno("cannot write %s", tmp);
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = fw_error_errno("cannot write %s", tmp);
	if (rc == 0 && rename(tmp, p) < 0)
		rc = fw_error_errno("cannot replace %s", p);
	if (rc == 0)
		rc = fw_fsync_dir(s->dir);
	if (fd >= 0 && rc < 0)
		unlink(tmp);
	if (rc == 0)
		s->format = FW_STORE_FORMAT;
	fw_buf_release(&b);
	fw_buf_release(&out);
	return rc;
}

int
fw_store_open(fw_store **out, const char *dir)
{
	char cur[PATH_MAX], p[PATH_MAX + 32];
	const char *env = getenv("FW_DIR");
	fw_store *s = NULL;
	struct stat st;
	int rc;

	*out = NULL;
	git_init_once();
	if (env && *env)
		dir = env;
	if (dir ? realpath(dir, cur) == NULL : getcwd(cur, sizeof(cur)) == NULL)
		return fw_error_errno("cannot find directory %s", dir ? dir : ".");
	for (;;) {
		snprintf(p, sizeof(p), "%s/.fw/git", cur);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			break;
		if ((env && *env) || strcmp(cur, "/") == 0)
			return fw_error_set(FW_ENOTFOUND,
			    "not in an fw store (no .fw in %s%s); run 'fw init' first",
			    env && *env ? env : dir ? dir : "this directory",
			    env && *env ? "" : " or above");
		char *slash = strrchr(cur, '/');
		if (slash == cur)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return fw_error_set(FW_ENOMEM, "out of memory");
	s->root = strdup(cur);
	if (asprintf(&s->dir, "%s/.fw", strcmp(cur, "/") ? cur : "") < 0)
		s->dir = NULL;
	if (!s->root || !s->dir) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto fail;
	}
	fw_store_config cfg;
	if ((rc = check_config(s->dir, &cfg)) < 0)
		goto fail;
	if ((rc = git_repository_open_bare(&s->repo, p)) < 0) {
		rc = fw_git_error(rc, "cannot open %s", p);
		goto fail;
	}
	/* Reflog entries (branch moves, the store log) name fw's author too. */
	{
		const char *name, *email;
		fw_ident(&name, &email);
		if ((rc = git_repository_set_ident(s->repo, name, email)) < 0) {
			rc = fw_git_error(rc, "cannot set the reflog identity");
			goto fail;
		}
	}
	snprintf(p, sizeof(p), "%s/objects", s->dir);
	if ((rc = fw_objstore_open_local(&s->os, p)) < 0)
		goto fail;
	fw_objstore_set_level(s->os, cfg.level);
	s->format = cfg.format;
	*out = s;
	return 0;
fail:
	fw_store_close(s);
	return rc;
}

void
fw_store_close(fw_store *s)
{
	if (s == NULL)
		return;
	fw_objstore_free(s->os);
	git_repository_free(s->repo);
	free(s->root);
	free(s->dir);
	free(s);
}

const char *
fw_store_dir(const fw_store *s)
{
	return s->dir;
}

fw_objstore *
fw_store_objects(fw_store *s)
{
	return s->os;
}

int
fw_ref_branch(fw_buf *out, const char *corpus, const char *branch)
{
	fw_buf_reset(out);
	return fw_buf_printf(out, "refs/heads/%s/%s", corpus, branch);
}

int
fw_ref_tag(fw_buf *out, const char *corpus, const char *tag)
{
	fw_buf_reset(out);
	return fw_buf_printf(out, "refs/tags/%s/%s", corpus, tag);
}

int
fw_ref_storelog(fw_buf *out, const char *corpus)
{
	fw_buf_reset(out);
	return fw_buf_printf(out, "refs/fw/log/%s", corpus);
}

int
fw_ref_current(fw_buf *out, const char *corpus)
{
	fw_buf_reset(out);
	return fw_buf_printf(out, "refs/fw/current/%s", corpus);
}

uint64_t
fw_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
