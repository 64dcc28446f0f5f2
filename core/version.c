/*
 * A version is a git commit whose tree holds schema.yaml, DATA and INDEX.
 * DATA and INDEX are small text files, one "name value" per line:
 *   root <object id | none>    the root node (or leaf) of the prolly tree
 *   height <n>                 0 when the root is a leaf
 *   key <hex>                  the root's last key
 *   records <n>                entries below the root
 *   bytes <n>                  their raw bytes
 *   stored <n>                 stored bytes of every object below the root
 */
#include "internal.h"
#include "fw/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
root_format(const fw_ptree_root *r, size_t klen, fw_buf *b)
{
	char hex[FW_OID_HEXSZ + 1], key[2 * FW_PTREE_MAX_KEY + 1];

	fw_buf_reset(b);
	if (r->empty)
		return fw_buf_printf(b, "root none\nheight 0\nrecords 0\nbytes 0\nstored 0\n");
	fw_oid_tohex(hex, &r->top.oid);
	for (size_t i = 0; i < klen; i++)
		snprintf(key + 2 * i, 3, "%02x", r->top.key[i]);
	return fw_buf_printf(b, "root %s\nheight %d\nkey %s\nrecords %llu\nbytes %llu\nstored %llu\n",
	    hex, r->height, key, (unsigned long long)r->top.count,
	    (unsigned long long)r->top.bytes, (unsigned long long)r->top.stored);
}

int
fw_roots_format(const fw_roots *r, fw_buf *data_txt, fw_buf *index_txt)
{
	int rc;

	if ((rc = root_format(&r->data, FW_ROWKEY_LEN, data_txt)) < 0)
		return rc;
	return root_format(&r->index, FW_IDKEY_LEN, index_txt);
}

static int
root_parse(fw_ptree_root *r, size_t klen, const char *txt, size_t len, const char *what)
{
	char line[256];
	size_t i = 0;
	int have_root = 0;

	memset(r, 0, sizeof(*r));
	r->empty = 1;
	while (i < len) {
		size_t j = i;
		while (j < len && txt[j] != '\n')
			j++;
		if (j - i >= sizeof(line))
			return fw_error_set(FW_ECORRUPT, "%s: line too long", what);
		memcpy(line, txt + i, j - i);
		line[j - i] = '\0';
		i = j + 1;
		char *sp = strchr(line, ' ');
		if (sp == NULL)
			continue;
		*sp++ = '\0';
		if (strcmp(line, "root") == 0) {
			have_root = 1;
			if (strcmp(sp, "none") == 0)
				continue;
			if (fw_oid_fromhex(&r->top.oid, sp) < 0)
				return fw_error_set(FW_ECORRUPT, "%s: bad root '%s'", what, sp);
			r->empty = 0;
		} else if (strcmp(line, "height") == 0) {
			r->height = atoi(sp);
			if (r->height < 0 || r->height > 32)
				return fw_error_set(FW_ECORRUPT, "%s: bad height", what);
		} else if (strcmp(line, "key") == 0) {
			if (strlen(sp) != 2 * klen)
				return fw_error_set(FW_ECORRUPT, "%s: bad key", what);
			for (size_t k = 0; k < klen; k++) {
				unsigned v;
				if (sscanf(sp + 2 * k, "%2x", &v) != 1)
					return fw_error_set(FW_ECORRUPT, "%s: bad key", what);
				r->top.key[k] = (uint8_t)v;
			}
		} else if (strcmp(line, "records") == 0) {
			r->top.count = strtoull(sp, NULL, 10);
		} else if (strcmp(line, "bytes") == 0) {
			r->top.bytes = strtoull(sp, NULL, 10);
		} else if (strcmp(line, "stored") == 0) {
			r->top.stored = strtoull(sp, NULL, 10);
		}
	}
	if (!have_root)
		return fw_error_set(FW_ECORRUPT, "%s: no root line", what);
	return 0;
}

int
fw_roots_parse(fw_roots *r, const char *data_txt, size_t dlen,
    const char *index_txt, size_t ilen)
{
	int rc;

	if ((rc = root_parse(&r->data, FW_ROWKEY_LEN, data_txt, dlen, "DATA")) < 0)
		return rc;
	return root_parse(&r->index, FW_IDKEY_LEN, index_txt, ilen, "INDEX");
}

static int
read_blob(fw_store *s, git_tree *tree, const char *name, fw_buf *out, const git_oid *cid)
{
	const git_tree_entry *e = git_tree_entry_byname(tree, name);
	git_blob *blob = NULL;
	int rc;

	if (e == NULL) {
		char hex[GIT_OID_HEXSZ + 1];
		git_oid_tostr(hex, sizeof(hex), cid);
		return fw_error_set(FW_ECORRUPT, "commit %s has no %s: not an fw version", hex, name);
	}
	if ((rc = git_blob_lookup(&blob, s->repo, git_tree_entry_id(e))) < 0)
		return fw_git_error(rc, "cannot read %s", name);
	fw_buf_reset(out);
	rc = fw_buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return rc;
}

int
fw_commit_read(fw_store *s, const git_oid *cid, fw_schema *schema, fw_roots *roots,
    char **schema_text)
{
	git_commit *c = NULL;
	git_tree *tree = NULL;
	fw_buf sb = FW_BUF_INIT, db = FW_BUF_INIT, ib = FW_BUF_INIT;
	int rc;

	if (schema_text)
		*schema_text = NULL;
	if ((rc = git_commit_lookup(&c, s->repo, cid)) < 0) {
		rc = fw_git_error(rc, "cannot read commit");
		goto done;
	}
	if ((rc = git_commit_tree(&tree, c)) < 0) {
		rc = fw_git_error(rc, "cannot read commit tree");
		goto done;
	}
	if ((rc = read_blob(s, tree, "schema.yaml", &sb, cid)) < 0 ||
	    (rc = read_blob(s, tree, "DATA", &db, cid)) < 0 ||
	    (rc = read_blob(s, tree, "INDEX", &ib, cid)) < 0)
		goto done;
	if (schema && (rc = fw_schema_parse(schema, sb.data, sb.len)) < 0)
		goto done;
	if (roots && (rc = fw_roots_parse(roots, db.data, db.len, ib.data, ib.len)) < 0) {
		if (schema)
			fw_schema_release(schema);
		goto done;
	}
	if (schema_text)
		*schema_text = fw_buf_detach(&sb, NULL);
done:
	fw_buf_release(&sb);
	fw_buf_release(&db);
	fw_buf_release(&ib);
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

void
fw_ident(const char **name, const char **email)
{
	*name = getenv("FW_AUTHOR_NAME");
	*email = getenv("FW_AUTHOR_EMAIL");
	if (!*name || !**name)
		*name = getenv("USER") && *getenv("USER") ? getenv("USER") : "fw";
	if (!*email || !**email)
		*email = "fw@localhost";
}

int
fw_signature(git_signature **out)
{
	const char *name, *email;
	const char *now = getenv("FW_NOW");
	int rc;

	fw_ident(&name, &email);
	if (now && *now)
		rc = git_signature_new(out, name, email,
		    (git_time_t)(strtoull(now, NULL, 10) / 1000000000ull), 0);
	else
		rc = git_signature_now(out, name, email);
	if (rc < 0)
		return fw_git_error(rc, "cannot make a commit signature");
	return 0;
}

int
fw_commit_write(fw_store *s, git_oid *out, const fw_schema *schema,
    const fw_roots *roots, const char *message, const git_oid *parents,
    size_t nparents)
{
	fw_buf sb = FW_BUF_INIT, db = FW_BUF_INIT, ib = FW_BUF_INIT;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_odb *odb = NULL;
	git_commit *pc[2] = { NULL, NULL };
	git_oid blob, tid;
	int rc;

	if (nparents > 2)
		return fw_error_set(FW_EINVALID, "too many parents");
	if ((rc = fw_schema_emit(schema, &sb)) < 0 ||
	    (rc = fw_roots_format(roots, &db, &ib)) < 0)
		goto done;
	if ((rc = git_treebuilder_new(&tb, s->repo, NULL)) < 0) {
		rc = fw_git_error(rc, "cannot build a tree");
		goto done;
	}
	static const char *const names[] = { "schema.yaml", "DATA", "INDEX" };
	fw_buf *bufs[] = { &sb, &db, &ib };
	if ((rc = git_repository_odb(&odb, s->repo)) < 0) {
		rc = fw_git_error(rc, "cannot open the git object database");
		goto done;
	}
	for (int i = 0; i < 3; i++) {
		/* git_odb_write, not git_blob_create_from_buffer: it finds a blob
		 * that exists (the schema's, mostly) before it creates a file,
		 * where the blob stream creates a temporary file and drops it. */
		if ((rc = git_odb_write(&blob, odb, bufs[i]->data, bufs[i]->len,
		    GIT_OBJECT_BLOB)) < 0 ||
		    (rc = git_treebuilder_insert(NULL, tb, names[i], &blob,
		    GIT_FILEMODE_BLOB)) < 0) {
			rc = fw_git_error(rc, "cannot write %s", names[i]);
			goto done;
		}
	}
	if ((rc = git_treebuilder_write(&tid, tb)) < 0 ||
	    (rc = git_tree_lookup(&tree, s->repo, &tid)) < 0) {
		rc = fw_git_error(rc, "cannot write the tree");
		goto done;
	}
	for (size_t i = 0; i < nparents; i++)
		if ((rc = git_commit_lookup(&pc[i], s->repo, &parents[i])) < 0) {
			rc = fw_git_error(rc, "cannot read the parent commit");
			goto done;
		}
	if ((rc = fw_signature(&sig)) < 0)
		goto done;
	if ((rc = git_commit_create(out, s->repo, NULL, sig, sig, "UTF-8", message, tree,
	    nparents, (const git_commit **)pc)) < 0) {
		rc = fw_git_error(rc, "cannot write the commit");
		goto done;
	}
	fw_crash_point("commit object");
done:
	git_commit_free(pc[0]);
	git_commit_free(pc[1]);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_odb_free(odb);
	fw_buf_release(&sb);
	fw_buf_release(&db);
	fw_buf_release(&ib);
	return rc;
}

int
fw_commit_records(fw_store *s, const git_oid *id, uint64_t *records)
{
	fw_roots roots;
	int rc;

	*records = 0;
	if ((rc = fw_commit_read(s, id, NULL, &roots, NULL)) < 0)
		return rc;
	*records = roots.data.empty ? 0 : roots.data.top.count;
	return 0;
}

int
fw_version_read(fw_store *s, const char *commit_hex, fw_schema *schema, fw_roots *roots)
{
	git_oid cid;
	int rc;

	if ((rc = git_oid_fromstr(&cid, commit_hex)) < 0)
		return fw_git_error(rc, "bad commit id %s", commit_hex);
	return fw_commit_read(s, &cid, schema, roots, NULL);
}
