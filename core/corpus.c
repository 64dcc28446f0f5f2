#include "internal.h"
#include "fw/error.h"

#include <stdlib.h>
#include <string.h>

int
fw_corpus_name_check(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64)
		return fw_error_set(FW_EINVALID,
		    "bad corpus name '%.80s': it must have 1 to 64 characters", name);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (i > 0 && (c == '.' || c == '_' || c == '-'));
		if (!ok)
			return fw_error_set(FW_EINVALID,
			    "bad corpus name '%.80s': use lower-case letters, digits and . _ - "
			    "(not first)", name);
	}
	if (strstr(name, "..") || name[n - 1] == '.' ||
	    (n >= 5 && strcmp(name + n - 5, ".lock") == 0))
		return fw_error_set(FW_EINVALID,
		    "bad corpus name '%s': no '..', no '.' or '.lock' at the end", name);
	return 0;
}

int
fw_corpus_exists(fw_store *s, const char *name)
{
	fw_buf ref = FW_BUF_INIT;
	git_reference *r = NULL;
	int rc;

	if (fw_corpus_name_check(name) < 0 || fw_ref_current(&ref, name) < 0) {
		fw_buf_release(&ref);
		return 0;
	}
	rc = git_reference_lookup(&r, s->repo, ref.data);
	git_reference_free(r);
	fw_buf_release(&ref);
	return rc == 0;
}

int
fw_corpus_current_branch(fw_store *s, const char *name, fw_buf *out)
{
	fw_buf ref = FW_BUF_INIT, prefix = FW_BUF_INIT;
	git_reference *r = NULL;
	const char *target;
	int rc;

	if ((rc = fw_corpus_name_check(name)) < 0)
		return rc;
	if ((rc = fw_ref_current(&ref, name)) < 0)
		goto done;
	if ((rc = git_reference_lookup(&r, s->repo, ref.data)) < 0) {
		rc = rc == GIT_ENOTFOUND ?
		    fw_error_set(FW_ENOTFOUND, "no corpus '%s' (see 'fw corpus list')", name) :
		    fw_git_error(rc, "cannot read %s", ref.data);
		goto done;
	}
	target = git_reference_symbolic_target(r);
	fw_buf_printf(&prefix, "refs/heads/%s/", name);
	if (target == NULL || strncmp(target, prefix.data, prefix.len) != 0) {
		rc = fw_error_set(FW_ECORRUPT, "%s does not name a branch of %s", ref.data, name);
		goto done;
	}
	fw_buf_reset(out);
	rc = fw_buf_adds(out, target + prefix.len);
done:
	git_reference_free(r);
	fw_buf_release(&ref);
	fw_buf_release(&prefix);
	return rc;
}

int
fw_corpus_create(fw_store *s, const char *name, const char *schema_yaml)
{
	fw_schema schema;
	fw_roots roots;
	fw_buf ref = FW_BUF_INIT, cur = FW_BUF_INIT, msg = FW_BUF_INIT;
	git_reference *r = NULL;
	git_oid cid;
	int rc;

	if ((rc = fw_corpus_name_check(name)) < 0)
		return rc;
	if (fw_corpus_exists(s, name))
		return fw_error_set(FW_EEXISTS, "corpus '%s' exists already", name);
	if (schema_yaml == NULL)
		schema_yaml = fw_schema_default_yaml();
	if ((rc = fw_schema_parse(&schema, schema_yaml, strlen(schema_yaml))) < 0)
		return rc;
	memset(&roots, 0, sizeof(roots));
	roots.data.empty = roots.index.empty = 1;
	fw_buf_printf(&msg, "create corpus %s\n", name);
	if ((rc = fw_commit_write(s, &cid, &schema, &roots, msg.data, NULL, 0)) < 0)
		goto done;
	fw_ref_branch(&ref, name, "main");
	if ((rc = git_reference_create(&r, s->repo, ref.data, &cid, 0, msg.data)) < 0) {
		rc = fw_git_error(rc, "cannot create %s", ref.data);
		goto done;
	}
	git_reference_free(r);
	r = NULL;
	fw_ref_current(&cur, name);
	if ((rc = git_reference_symbolic_create(&r, s->repo, cur.data, ref.data, 0,
	    "corpus create")) < 0) {
		rc = fw_git_error(rc, "cannot create %s", cur.data);
		goto done;
	}
	rc = 0;
done:
	git_reference_free(r);
	fw_schema_release(&schema);
	fw_buf_release(&ref);
	fw_buf_release(&cur);
	fw_buf_release(&msg);
	return rc;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
fw_corpus_list(fw_store *s, int (*cb)(void *arg, const char *name), void *arg)
{
	git_reference_iterator *it = NULL;
	const char *name;
	char **names = NULL;
	size_t n = 0;
	int rc;

	if ((rc = git_reference_iterator_glob_new(&it, s->repo, "refs/fw/current/*")) < 0)
		return fw_git_error(rc, "cannot list corpora");
	while ((rc = git_reference_next_name(&name, it)) == 0) {
		char **nn = realloc(names, (n + 1) * sizeof(*nn));
		if (nn == NULL) {
			rc = fw_error_set(FW_ENOMEM, "out of memory");
			goto done;
		}
		names = nn;
		names[n++] = strdup(name + strlen("refs/fw/current/"));
	}
	rc = 0;
	if (n > 1)
		qsort(names, n, sizeof(*names), str_cmp);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = cb(arg, names[i]);
done:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	git_reference_iterator_free(it);
	return rc;
}
