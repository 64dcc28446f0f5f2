/*
 * Branch and tag names: one checker for every command and the resolver, so
 * that a hostile name is refused with a message and never reaches git;
 * listing a corpus's ref names; the "did you mean" suggestions.
 */
#include "internal.h"
#include "fw/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FW_REFNAME_MAX 200

int
fw_refname_check(const char *kind, const char *name)
{
	size_t n = strlen(name);
	fw_buf full = FW_BUF_INIT;
	int valid = 0;

	if (n == 0)
		return fw_error_set(FW_EINVALID, "bad %s name '': it is empty", kind);
	if (n > FW_REFNAME_MAX)
		return fw_error_set(FW_EINVALID, "bad %s name '%.40s...': it has %zu bytes, "
		    "at most %d", kind, name, n, FW_REFNAME_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f)
			return fw_error_set(FW_EINVALID, "bad %s name: it holds the control "
			    "character 0x%02x at byte %zu", kind, c, i);
		if (c == ' ')
			return fw_error_set(FW_EINVALID, "bad %s name '%s': it holds a space",
			    kind, name);
		if (strchr("~^:?*[\\/@", c))
			return fw_error_set(FW_EINVALID, "bad %s name '%s': it holds '%c' "
			    "(no ~ ^ : ? * [ \\ / @)", kind, name, c);
	}
	if (name[0] == '-' || name[0] == '.')
		return fw_error_set(FW_EINVALID, "bad %s name '%s': it starts with '%c'",
		    kind, name, name[0]);
	if (strstr(name, ".."))
		return fw_error_set(FW_EINVALID, "bad %s name '%s': it holds '..'", kind, name);
	if (name[n - 1] == '.' || (n >= 5 && strcmp(name + n - 5, ".lock") == 0))
		return fw_error_set(FW_EINVALID, "bad %s name '%s': it ends with '.' or "
		    "'.lock'", kind, name);
	/* Second opinion: git's own rules, on the whole ref name. */
	fw_buf_printf(&full, "refs/tags/c/%s", name);
	if (git_reference_name_is_valid(&valid, full.data) < 0 || !valid) {
		fw_buf_release(&full);
		return fw_error_set(FW_EINVALID, "bad %s name '%s': git refuses it", kind, name);
	}
	fw_buf_release(&full);
	return 0;
}

int
fw_refspec_split(const char *spec, const char *kind, char corpus[80], char name[256])
{
	const char *at = strchr(spec, '@');
	int rc;

	corpus[0] = name[0] = '\0';
	if (at == NULL)
		return fw_error_set(FW_EINVALID, "bad %s '%s': expected CORPUS@NAME", kind, spec);
	if ((size_t)(at - spec) >= 80)
		return fw_error_set(FW_EINVALID, "bad corpus name in '%.80s'", spec);
	memcpy(corpus, spec, (size_t)(at - spec));
	corpus[at - spec] = '\0';
	if ((rc = fw_corpus_name_check(corpus)) < 0)
		return rc;
	if ((rc = fw_refname_check(kind, at + 1)) < 0)
		return rc;
	snprintf(name, 256, "%s", at + 1);
	return 0;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
fw_ref_names(fw_store *s, const char *prefix, char ***out, size_t *nout)
{
	git_reference_iterator *it = NULL;
	fw_buf glob = FW_BUF_INIT;
	const char *name;
	char **v = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	*nout = 0;
	fw_buf_printf(&glob, "%s*", prefix);
	if ((rc = git_reference_iterator_glob_new(&it, s->repo, glob.data)) < 0) {
		rc = fw_git_error(rc, "cannot list %s", prefix);
		goto done;
	}
	while ((rc = git_reference_next_name(&name, it)) == 0) {
		const char *short_name = name + strlen(prefix);
		if (strchr(short_name, '/'))
			continue;
		char **nv = realloc(v, (n + 1) * sizeof(*nv));
		if (nv == NULL || (nv[n] = strdup(short_name)) == NULL) {
			if (nv)
				v = nv;
			rc = fw_error_set(FW_ENOMEM, "out of memory");
			goto done;
		}
		v = nv;
		n++;
	}
	if (rc != GIT_ITEROVER) {
		rc = fw_git_error(rc, "cannot list %s", prefix);
		goto done;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), str_cmp);
	*out = v;
	*nout = n;
	v = NULL;
	n = 0;
	rc = 0;
done:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	git_reference_iterator_free(it);
	fw_buf_release(&glob);
	return rc;
}

void
fw_ref_names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
fw_refname_available(fw_store *s, const char *corpus, const char *name, const char *kind)
{
	fw_buf ref = FW_BUF_INIT;
	git_reference *r = NULL;
	int rc;

	if ((rc = fw_corpus_name_check(corpus)) < 0 || (rc = fw_refname_check(kind, name)) < 0)
		return rc;
	if (!fw_corpus_exists(s, corpus))
		return fw_error_set(FW_ENOTFOUND, "no corpus '%s' (see 'fw corpus list')", corpus);
	fw_ref_branch(&ref, corpus, name);
	if (git_reference_lookup(&r, s->repo, ref.data) == 0) {
		rc = fw_error_set(FW_EEXISTS, "%s@%s exists already as a branch%s", corpus, name,
		    strcmp(kind, "tag") == 0 ? "; a tag of that name would hide it" : "");
		goto done;
	}
	fw_ref_tag(&ref, corpus, name);
	if (git_reference_lookup(&r, s->repo, ref.data) == 0) {
		rc = strcmp(kind, "tag") == 0 ?
		    fw_error_set(FW_EEXISTS, "tag %s@%s exists already; a tag never moves "
		    "(make a new tag, or delete this one first)", corpus, name) :
		    fw_error_set(FW_EEXISTS, "%s@%s exists already as a tag", corpus, name);
		goto done;
	}
	rc = 0;
done:
	git_reference_free(r);
	fw_buf_release(&ref);
	return rc;
}

/* Levenshtein distance, capped: anything over cap reads cap + 1. */
static size_t
distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b), row[FW_REFNAME_MAX + 2];

	if ((la > lb ? la - lb : lb - la) > cap || lb > FW_REFNAME_MAX)
		return cap + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0], best;
		row[0] = i;
		best = row[0];
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t v = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < v)
				v = up + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > cap)
			return cap + 1;
	}
	return row[lb];
}

static int
close_to(const char *want, const char *have)
{
	size_t lw = strlen(want), lh = strlen(have), d = distance(want, have, 2);

	/* Within 2 edits, and fewer edits than the shorter name has characters
	 * ("v4" suggests "v3", not "m"). */
	if (d <= 2 && d < (lw < lh ? lw : lh))
		return 1;
	/* one a prefix of the other, sharing at least 2 characters */
	return lw >= 2 && lh >= 2 && strncmp(want, have, lw < lh ? lw : lh) == 0;
}

void
fw_refname_suggest(fw_store *s, const char *corpus, const char *name, fw_buf *msg)
{
	static const char *const kinds[] = { "refs/tags/", "refs/heads/" };
	git_reference_iterator *it = NULL;
	fw_buf glob = FW_BUF_INIT;
	const char *ref;
	int n = 0;

	for (int k = 0; k < 2; k++) {
		fw_buf_reset(&glob);
		fw_buf_printf(&glob, "%s%s/*", kinds[k], corpus);
		if (git_reference_iterator_glob_new(&it, s->repo, glob.data) < 0)
			continue;
		while (git_reference_next_name(&ref, it) == 0) {
			const char *short_name = ref + glob.len - 1;
			if (strchr(short_name, '/') || !close_to(name, short_name))
				continue;
			if (n >= 8)
				break;
			fw_buf_printf(msg, "%s%s@%s", n ? ", " : "; did you mean ", corpus,
			    short_name);
			n++;
		}
		git_reference_iterator_free(it);
		it = NULL;
	}
	if (n)
		fw_buf_adds(msg, "?");
	fw_buf_release(&glob);
}
