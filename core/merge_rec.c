/*
 * Records as a merge handles them: owned fw_rec built from fields, read from
 * a version by id, parsed from a resolution's JSON; and the key-by-key merge
 * of json object fields.
 */
#include "merge_int.h"
#include "fw/diff.h"
#include "fw/error.h"
#include "fw/json.h"

#include <stdlib.h>
#include <string.h>

/* An owned record of these fields (MISSING ones left out unless keep). */
int
fw_mrec_from(fw_rec *out, const struct pf *p, size_t n, int keep_missing)
{
	size_t size = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++)
		size += strlen(p[i].name) + p[i].v->len;
	out->f = calloc(n + 1, sizeof(*out->f));
	out->mem = malloc(size + 1);
	if (!out->f || !out->mem) {
		fw_rec_free(out);
		return fw_error_set(FW_ENOMEM, "out of memory");
	}
	char *q = out->mem;
	for (size_t i = 0; i < n; i++) {
		if (p[i].v->kind == FW_KIND_MISSING && !keep_missing)
			continue;
		fw_field *f = &out->f[out->n++];
		f->namelen = (uint32_t)strlen(p[i].name);
		memcpy(q, p[i].name, f->namelen);
		f->name = q;
		q += f->namelen;
		memcpy(q, p[i].v->val, p[i].v->len);
		f->payload = q;
		f->len = p[i].v->len;
		f->kind = p[i].v->kind;
		q += f->len;
	}
	return 0;
}

int
fw_mrec_copy(fw_rec *out, const fw_rec *r)
{
	struct pf *p = calloc(r->n + 1, sizeof(*p));
	struct fval *v = calloc(r->n + 1, sizeof(*v));
	char **names = calloc(r->n + 1, sizeof(*names));
	int rc = 0;

	if (!p || !v || !names) {
		rc = fw_error_set(FW_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < r->n; i++) {
		names[i] = strndup(r->f[i].name, r->f[i].namelen);
		if (names[i] == NULL) {
			rc = fw_error_set(FW_ENOMEM, "out of memory");
			goto done;
		}
		v[i].kind = r->f[i].kind;
		v[i].val = (char *)r->f[i].payload;
		v[i].len = r->f[i].len;
		p[i].name = names[i];
		p[i].v = &v[i];
	}
	rc = fw_mrec_from(out, p, r->n, 1);
done:
	if (names)
		for (size_t i = 0; i < r->n; i++)
			free(names[i]);
	free(names);
	free(p);
	free(v);
	return rc;
}

int
fw_mrec_json(fw_buf *b, const fw_rec *r)
{
	fw_buf_reset(b);
	fw_buf_addc(b, '{');
	for (size_t i = 0; i < r->n; i++) {
		if (i)
			fw_buf_addc(b, ',');
		fw_json_quote(b, r->f[i].name, r->f[i].namelen);
		fw_buf_addc(b, ':');
		fw_value_json(b, r->f[i].kind, r->f[i].payload, r->f[i].len);
	}
	return fw_buf_addc(b, '}');
}

/* The record id of a version (through the id index); 0 when absent. */
int
fw_mrec_fetch(fw_store *s, const fw_roots *r, const char *id, size_t idlen, fw_rec *out,
    uint8_t key[16])
{
	fw_ptree t;
	fw_ptree_child leaf;
	fw_rg rg;
	uint8_t h[8];
	uint64_t time;
	int rc;

	memset(out, 0, sizeof(*out));
	fw_idhash(h, id, idlen);
	if ((rc = fw_index_lookup(s->os, &r->index, h, &time)) <= 0)
		return rc;
	fw_put_be64(key, time);
	memcpy(key + 8, h, 8);
	fw_data_tree_init(&t, s->os, NULL);
	if ((rc = fw_ptree_find_leaf(&t, &r->data, key, &leaf)) < 0)
		return rc == FW_ENOTFOUND ? 0 : rc;
	if ((rc = fw_rg_load(s->os, &rg, &leaf.oid, 1)) < 0)
		return rc;
	uint32_t row;
	for (row = 0; row < rg.n && memcmp(rg.keys + (size_t)row * 16, key, 16) != 0; row++)
		;
	rc = 0;
	if (row < rg.n) {
		struct pf *p = calloc(rg.ncols + 1, sizeof(*p));
		struct fval *v = calloc(rg.ncols + 1, sizeof(*v));
		size_t n = 0;
		if (!p || !v)
			rc = fw_error_set(FW_ENOMEM, "out of memory");
		for (size_t k = 0; k < rg.ncols && rc == 0; k++) {
			fw_column *c;
			if ((rc = fw_rg_column(s->os, &rg, rg.cols[k].name, &c)) < 0)
				break;
			if (c->kind[row] == FW_KIND_MISSING)
				continue;
			v[n].kind = c->kind[row];
			v[n].val = c->data + c->off[row];
			v[n].len = c->off[row + 1] - c->off[row];
			p[n].name = rg.cols[k].name;
			p[n].v = &v[n];
			n++;
		}
		if (rc == 0 && (rc = fw_mrec_from(out, p, n, 0)) == 0)
			rc = 1;
		free(p);
		free(v);
	}
	fw_rg_release(&rg);
	return rc;
}

/* A record from JSON text (a resolution file). */
int
fw_mrec_parse(fw_rec *out, const char *json, size_t len)
{
	fw_buf buf = FW_BUF_INIT;
	fw_json_member *m = NULL;
	size_t n = 0, cap = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = fw_json_split_object(json, len, &buf, &m, &n, &cap)) < 0)
		goto done;
	struct pf *p = calloc(n + 1, sizeof(*p));
	struct fval *v = calloc(n + 1, sizeof(*v));
	char **names = calloc(n + 1, sizeof(*names));
	if (!p || !v || !names)
		rc = fw_error_set(FW_ENOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++) {
		if ((names[i] = strndup(buf.data + m[i].name_off, m[i].name_len)) == NULL)
			rc = fw_error_set(FW_ENOMEM, "out of memory");
		v[i].kind = (uint8_t)m[i].kind;
		v[i].val = buf.data + m[i].off;
		v[i].len = (uint32_t)m[i].len;
		p[i].name = names[i];
		p[i].v = &v[i];
	}
	if (rc == 0)
		rc = fw_mrec_from(out, p, n, 0);
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	free(p);
	free(v);
done:
	free(m);
	fw_buf_release(&buf);
	return rc;
}

const fw_field *
fw_mrec_field(const fw_rec *r, const char *name)
{
	return fw_rec_get(r, name, strlen(name));
}

/* Merges three JSON objects key by key into out: 1 merged, 0 a key changed
 * on both sides to different values. */
int
fw_mrec_object_merge(const struct fval *b, const struct fval *o, const struct fval *t, fw_buf *out)
{
	struct json_object *jb = NULL, *jo = NULL, *jt = NULL, *res = NULL;
	fw_buf x = FW_BUF_INIT, y = FW_BUF_INIT;
	int rc = 1;

	if ((b->kind != FW_KIND_OBJECT && b->kind != FW_KIND_MISSING) ||
	    (b->kind == FW_KIND_OBJECT && fw_json_parse(&jb, b->val, b->len) < 0) ||
	    fw_json_parse(&jo, o->val, o->len) < 0 || fw_json_parse(&jt, t->val, t->len) < 0) {
		rc = 0;
		goto done;
	}
	res = json_object_new_object();
	for (int side = 0; side < 3 && rc == 1; side++) {
		struct json_object *src = side == 0 ? jo : side == 1 ? jt : jb;
		if (src == NULL)
			continue;
		json_object_object_foreach(src, key, val) {
			struct json_object *vb = NULL, *vo = NULL, *vt = NULL, *pick;
			(void)val;
			if (json_object_object_get_ex(res, key, NULL))
				continue;
			if (side == 2 && (json_object_object_get_ex(jo, key, NULL) ||
			    json_object_object_get_ex(jt, key, NULL)))
				continue;
			if (jb)
				json_object_object_get_ex(jb, key, &vb);
			json_object_object_get_ex(jo, key, &vo);
			json_object_object_get_ex(jt, key, &vt);
			int ho = vo != NULL, ht = vt != NULL, hb = vb != NULL;
			fw_buf_reset(&x);
			fw_buf_reset(&y);
			if (ho)
				fw_json_canon(&x, vo);
			if (ht)
				fw_json_canon(&y, vt);
			int eq_ot = ho == ht && x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
			fw_buf z = FW_BUF_INIT;
			if (hb)
				fw_json_canon(&z, vb);
			int eq_ob = ho == hb && x.len == z.len && (x.len == 0 || memcmp(x.data, z.data, x.len) == 0);
			int eq_tb = ht == hb && y.len == z.len && (y.len == 0 || memcmp(y.data, z.data, y.len) == 0);
			fw_buf_release(&z);
			if (eq_ot || eq_tb)
				pick = ho ? vo : NULL;
			else if (eq_ob)
				pick = ht ? vt : NULL;
			else {
				rc = 0;
				break;
			}
			if (pick)
				json_object_object_add(res, key, json_object_get(pick));
		}
	}
	if (rc == 1 && fw_json_canon(out, res) < 0)
		rc = 0;
done:
	json_object_put(jb);
	json_object_put(jo);
	json_object_put(jt);
	json_object_put(res);
	fw_buf_release(&x);
	fw_buf_release(&y);
	return rc;
}

