/*
 * The plan of a three-way merge (see core/merge.c): each side's changes since
 * the merge base, from diff(base, ours) and diff(base, theirs), combined per
 * id and per field into edits of ours and conflicts; then the merge commit.
 */
#include "internal.h"
#include "fw/diff.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/merge.h"
#include "merge_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fchg {
	char *name;
	struct fval old, nw;
};

struct chg {
	char *id;
	size_t idlen;
	uint8_t base_key[16], new_key[16];
	int before, after;
	struct fchg *f;
	size_t nf;
};

struct chgset {
	struct chg *v;
	size_t n, cap;
};

struct act {
	uint8_t key[16];
	int op, iop;
	fw_rec rec;
};

static int
oom(void)
{
	return fw_error_set(FW_ENOMEM, "out of memory");
}

static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 16;
	void *p = realloc(*v, c * size);
	if (p == NULL)
		return oom();
	*v = p;
	*cap = c;
	return 0;
}

static int
fval_set(struct fval *v, uint8_t kind, const char *val, uint32_t len)
{
	v->kind = kind;
	v->len = len;
	v->val = malloc(len + 1);
	if (v->val == NULL)
		return oom();
	if (len)
		memcpy(v->val, val, len);
	v->val[len] = '\0';
	return 0;
}

static int
fval_eq(const struct fval *a, const struct fval *b)
{
	return a->kind == b->kind && a->len == b->len && memcmp(a->val, b->val, a->len) == 0;
}

static const struct fval missing = { FW_KIND_MISSING, (char *)"", 0 };

static void
chg_release(struct chg *c)
{
	for (size_t i = 0; i < c->nf; i++) {
		free(c->f[i].name);
		free(c->f[i].old.val);
		free(c->f[i].nw.val);
	}
	free(c->f);
	free(c->id);
}

static void
chgset_release(struct chgset *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		chg_release(&cs->v[i]);
	free(cs->v);
	memset(cs, 0, sizeof(*cs));
}

static int
collect(void *arg, const fw_diff_entry *e)
{
	struct chgset *cs = arg;
	struct chg *c;
	int rc;

	if ((rc = grow((void **)&cs->v, &cs->cap, cs->n, sizeof(*cs->v))) < 0)
		return rc;
	c = &cs->v[cs->n++];
	memset(c, 0, sizeof(*c));
	c->id = strndup(e->id, e->idlen);
	c->idlen = e->idlen;
	memcpy(c->base_key, e->key, 16);
	memcpy(c->new_key, e->key, 16);
	c->before = e->op != '+';
	c->after = e->op != '-';
	c->f = calloc(e->nfields + 1, sizeof(*c->f));
	if (c->id == NULL || c->f == NULL)
		return oom();
	for (size_t i = 0; i < e->nfields; i++) {
		const fw_diff_field *f = &e->fields[i];
		struct fchg *g = &c->f[c->nf++];
		if ((g->name = strdup(f->name)) == NULL ||
		    (rc = fval_set(&g->old, f->old_kind, f->old_val, f->old_len)) < 0 ||
		    (rc = fval_set(&g->nw, f->new_kind, f->new_val, f->new_len)) < 0)
			return rc < 0 ? rc : oom();
	}
	return 0;
}

static int
id_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	return c ? c : (al > bl) - (al < bl);
}

static int
chg_cmp(const void *x, const void *y)
{
	const struct chg *a = x, *b = y;
	int c = id_cmp(a->id, a->idlen, b->id, b->idlen);

	return c ? c : b->before - a->before;	/* a removal before an addition */
}

static const struct fchg *
find_f(const struct chg *c, const char *name)
{
	for (size_t i = 0; i < c->nf; i++)
		if (strcmp(c->f[i].name, name) == 0)
			return &c->f[i];
	return NULL;
}

/* Sorts by id and turns a removal and addition of one id into a change of
 * the fields that differ. */
static int
normalise(struct chgset *cs)
{
	size_t w = 0;
	int rc;

	if (cs->n > 1)
		qsort(cs->v, cs->n, sizeof(*cs->v), chg_cmp);
	for (size_t i = 0; i < cs->n; i++) {
		struct chg *a = &cs->v[i], *b = i + 1 < cs->n ? &cs->v[i + 1] : NULL;
		if (b && id_cmp(a->id, a->idlen, b->id, b->idlen) == 0 && a->before && !a->after &&
		    !b->before && b->after) {
			struct chg m = { .id = a->id, .idlen = a->idlen, .before = 1, .after = 1 };
			memcpy(m.base_key, a->base_key, 16);
			memcpy(m.new_key, b->new_key, 16);
			m.f = calloc(a->nf + b->nf + 1, sizeof(*m.f));
			if (m.f == NULL)
				return oom();
			for (int side = 0; side < 2; side++) {
				const struct chg *p = side ? b : a;
				for (size_t k = 0; k < p->nf; k++) {
					const char *name = p->f[k].name;
					if (side && find_f(a, name))
						continue;
					const struct fchg *x = find_f(a, name), *y = find_f(b, name);
					const struct fval *ov = x ? &x->old : &missing, *nv = y ? &y->nw : &missing;
					if (fval_eq(ov, nv))
						continue;
					struct fchg *g = &m.f[m.nf++];
					if ((g->name = strdup(name)) == NULL ||
					    (rc = fval_set(&g->old, ov->kind, ov->val, ov->len)) < 0 ||
					    (rc = fval_set(&g->nw, nv->kind, nv->val, nv->len)) < 0)
						return rc < 0 ? rc : oom();
				}
			}
			a->id = NULL;
			chg_release(a);
			chg_release(b);
			cs->v[w++] = m;
			i++;
			continue;
		}
		cs->v[w++] = *a;
	}
	cs->n = w;
	return 0;
}

/* --- the plan --- */

static int
add_act(struct plan *p, const uint8_t key[16], int op, int iop, fw_rec *rec)
{
	int rc;

	if ((rc = grow((void **)&p->a, &p->capa, p->na, sizeof(*p->a))) < 0) {
		fw_rec_free(rec);
		return rc;
	}
	struct act *a = &p->a[p->na++];
	memcpy(a->key, key, 16);
	a->op = op;
	a->iop = iop;
	a->rec = *rec;
	memset(rec, 0, sizeof(*rec));
	return 0;
}

static char *
json_dup(const struct fval *v)
{
	fw_buf b = FW_BUF_INIT;

	if (v == NULL || v->kind == FW_KIND_MISSING)
		return NULL;
	fw_value_json(&b, v->kind, v->val, v->len);
	fw_buf_addc(&b, '\0');
	return fw_buf_detach(&b, NULL);
}

static int
add_conf(struct plan *p, const char *id, const char *field, char *base, char *ours,
    char *theirs, int how)
{
	int rc;

	if ((rc = grow((void **)&p->c, &p->capc, p->nc, sizeof(*p->c))) < 0) {
		free(base);
		free(ours);
		free(theirs);
		return rc;
	}
	struct conf *c = &p->c[p->nc++];
	c->id = strdup(id);
	c->field = field ? strdup(field) : NULL;
	c->base = base;
	c->ours = ours;
	c->theirs = theirs;
	c->resolution = how;
	return 0;
}

static char *
rec_json_dup(const fw_rec *r)
{
	fw_buf b = FW_BUF_INIT;

	if (r == NULL || r->f == NULL)
		return NULL;
	fw_mrec_json(&b, r);
	fw_buf_addc(&b, '\0');
	return fw_buf_detach(&b, NULL);
}

static int
resolution_of(const struct plan *p, const char *id, const char **json)
{
	*json = NULL;
	if (p->st)
		for (size_t i = p->st->nr; i-- > 0;)
			if (strcmp(p->st->r[i].id, id) == 0) {
				*json = p->st->r[i].json;
				return p->st->r[i].how;
			}
	return p->strategy;
}

static uint64_t
key_time(const uint8_t *key)
{
	return fw_be64(key);
}

/* A record removed on one side and changed on the other. */
static int
modify_delete(struct plan *p, const struct chg *o, const struct chg *t)
{
	fw_rec base = { 0 }, ours = { 0 }, theirs = { 0 }, file = { 0 };
	uint8_t k[16];
	const char *json;
	int how = resolution_of(p, o->id, &json), rc;
	const struct chg *del = o->after ? t : o;
	struct pf *pf = calloc(del->nf + 1, sizeof(*pf));

	if (pf == NULL)
		return oom();
	for (size_t i = 0; i < del->nf; i++) {
		pf[i].name = del->f[i].name;
		pf[i].v = &del->f[i].old;
	}
	if ((rc = fw_mrec_from(&base, pf, del->nf, 0)) < 0)
		goto done;
	if (o->after && (rc = fw_mrec_fetch(p->s, &p->ours_roots, o->id, o->idlen, &ours, k)) < 0)
		goto done;
	if (t->after && (rc = fw_mrec_fetch(p->s, &p->theirs_roots, t->id, t->idlen, &theirs, k)) < 0)
		goto done;
	p->conflicted++;
	if ((rc = add_conf(p, o->id, NULL, rec_json_dup(&base), rec_json_dup(&ours),
	    rec_json_dup(&theirs), how)) < 0)
		goto done;
	if (how == FW_MERGE_ASK) {
		p->unresolved++;
	} else if (how == FW_MERGE_THEIRS || how == FW_MERGE_FILE) {
		if (how == FW_MERGE_FILE && (rc = fw_mrec_parse(&file, json, strlen(json))) < 0)
			goto done;
		if (!o->after) {	/* ours removed it: it comes back */
			fw_rec *r = how == FW_MERGE_FILE ? &file : &theirs;
			rc = add_act(p, t->new_key, FW_EDIT_PUT, FW_EDIT_PUT, r);
			p->added++;
		} else if (how == FW_MERGE_FILE) {
			rc = add_act(p, o->new_key, FW_EDIT_PUT, 0, &file);
			p->modified++;
		} else {
			rc = add_act(p, o->new_key, FW_EDIT_DEL, FW_EDIT_DEL, &file);
			p->removed++;
		}
	}
done:
	free(pf);
	fw_rec_free(&base);
	fw_rec_free(&ours);
	fw_rec_free(&theirs);
	fw_rec_free(&file);
	return rc;
}

/* Both sides have the record after their changes. */
static int
both_changed(struct plan *p, const struct chg *o, const struct chg *t)
{
	struct pf *patch = calloc(o->nf + t->nf + 1, sizeof(*patch));
	struct fval *merged = calloc(o->nf + t->nf + 1, sizeof(*merged));
	size_t np = 0, nm = 0;
	const char *json;
	int how = resolution_of(p, o->id, &json), conflicts = 0, rc = 0;
	fw_buf mb = FW_BUF_INIT;

	if (!patch || !merged) {
		rc = oom();
		goto done;
	}
	for (int side = 0; side < 2 && rc == 0; side++) {
		const struct chg *c = side ? t : o;
		for (size_t i = 0; i < c->nf && rc == 0; i++) {
			const char *name = c->f[i].name;
			if (side && find_f(o, name))
				continue;
			const struct fchg *fo = find_f(o, name), *ft = find_f(t, name);
			const struct fval *vo = fo ? &fo->nw : NULL, *vt = ft ? &ft->nw : NULL;
			const struct fval *vb = fo ? &fo->old : ft ? &ft->old : &missing;
			if (o->before) {
				if (!ft)
					continue;		/* only ours changed it */
				if (!fo) {
					patch[np].name = name;	/* only theirs */
					patch[np++].v = vt;
					continue;
				}
			} else {
				/* added on both sides: the base is empty */
				vb = &missing;
				if (!vo)
					vo = &missing;
				if (!vt)
					vt = &missing;
			}
			if (fval_eq(vo, vt))
				continue;
			if (o->before && vo->kind == FW_KIND_OBJECT && vt->kind == FW_KIND_OBJECT) {
				fw_buf_reset(&mb);
				if ((rc = fw_mrec_object_merge(vb, vo, vt, &mb)) == 1) {
					rc = fval_set(&merged[nm], FW_KIND_OBJECT, mb.data, (uint32_t)mb.len);
					if (!fval_eq(&merged[nm], vo)) {
						patch[np].name = name;
						patch[np++].v = &merged[nm];
					}
					nm++;
					continue;
				}
			}
			conflicts++;
			if ((rc = add_conf(p, o->id, name, json_dup(vb), json_dup(vo), json_dup(vt),
			    how)) < 0)
				break;
			if (how == FW_MERGE_THEIRS) {
				patch[np].name = name;
				patch[np++].v = vt;
			}
		}
	}
	if (rc < 0)
		goto done;
	rc = 0;
	if (conflicts) {
		p->conflicted++;
		if (how == FW_MERGE_ASK)
			p->unresolved++;
	}
	fw_rec r = { 0 };
	if (conflicts && how == FW_MERGE_FILE) {
		if ((rc = fw_mrec_parse(&r, json, strlen(json))) == 0)
			rc = add_act(p, o->new_key, FW_EDIT_PUT, 0, &r);
		p->modified++;
	} else if (np && !(conflicts && how == FW_MERGE_ASK)) {
		if ((rc = fw_mrec_from(&r, patch, np, 1)) == 0)
			rc = add_act(p, o->new_key, FW_EDIT_PATCH, 0, &r);
		p->modified++;
	}
done:
	for (size_t i = 0; i < nm; i++)
		free(merged[i].val);
	free(merged);
	free(patch);
	fw_buf_release(&mb);
	return rc;
}

static int
combine(struct plan *p, const struct chg *o, const struct chg *t)
{
	fw_rec r = { 0 };
	int rc;

	if (o == NULL) {
		struct pf *pf = calloc(t->nf + 1, sizeof(*pf));
		if (pf == NULL)
			return oom();
		for (size_t i = 0; i < t->nf; i++) {
			pf[i].name = t->f[i].name;
			pf[i].v = &t->f[i].nw;
		}
		if (!t->before) {
			if ((rc = fw_mrec_from(&r, pf, t->nf, 0)) == 0)
				rc = add_act(p, t->new_key, FW_EDIT_PUT, FW_EDIT_PUT, &r);
			p->added++;
		} else if (!t->after) {
			rc = add_act(p, t->base_key, FW_EDIT_DEL, FW_EDIT_DEL, &r);
			p->removed++;
		} else {
			if ((rc = fw_mrec_from(&r, pf, t->nf, 1)) == 0)
				rc = add_act(p, t->base_key, FW_EDIT_PATCH, 0, &r);
			p->modified++;
		}
		free(pf);
		return rc;
	}
	if (t == NULL || (!o->after && !t->after))
		return 0;
	/* A record removed and added back unchanged on one side is unchanged
	 * there (only its row key moved). */
	if (!o->after && t->before && t->nf == 0)
		return 0;
	if (!t->after && o->before && o->nf == 0) {
		p->removed++;
		return add_act(p, o->new_key, FW_EDIT_DEL, FW_EDIT_DEL, &r);
	}
	if (!o->after || !t->after)
		return modify_delete(p, o, t);
	return both_changed(p, o, t);
}

void
fw_mplan_release(struct plan *p)
{
	for (size_t i = 0; i < p->na; i++)
		fw_rec_free(&p->a[i].rec);
	free(p->a);
	for (size_t i = 0; i < p->nc; i++) {
		free(p->c[i].id);
		free(p->c[i].field);
		free(p->c[i].base);
		free(p->c[i].ours);
		free(p->c[i].theirs);
	}
	free(p->c);
}

int
fw_mplan_rev(fw_rev *r, const char *corpus, const char *hex)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->corpus, sizeof(r->corpus), "%s", corpus);
	snprintf(r->commit, sizeof(r->commit), "%s", hex);
	return 0;
}

/* The schema of the merge: ours, with theirs' new columns; a column declared
 * with two types is refused rather than mixed. */
static int
merge_schema(const char *corpus, fw_schema *ours, const fw_schema *theirs)
{
	int rc;

	if (ours->strict != theirs->strict)
		return fw_error_set(FW_EINVALID, "cannot merge into %s: one side's schema is strict "
		    "and the other's is not", corpus);
	for (size_t i = 0; i < theirs->ncols; i++) {
		const fw_schema_col *c = &theirs->cols[i];
		int k = fw_schema_find(ours, c->name, strlen(c->name));
		if (k >= 0 && ours->cols[k].type != c->type)
			return fw_error_set(FW_EINVALID, "cannot merge into %s: column \"%s\" is %s on "
			    "our side and %s on theirs; change one schema first", corpus, c->name,
			    fw_type_name(ours->cols[k].type), fw_type_name(c->type));
		if (k < 0 && (rc = fw_schema_add(ours, c->name, strlen(c->name), c->type)) < 0)
			return rc;
	}
	return 0;
}

/* Computes the plan of merging theirs into ours from base. */
int
fw_mplan_make(fw_store *s, struct plan *p, const char *corpus, const struct state *st,
    int strategy, fw_schema *schema)
{
	struct chgset co = { 0 }, ct = { 0 };
	fw_schema ts;
	fw_rev rb, ro, rt;
	fw_diff_opts d1 = { 0 }, d2 = { 0 };
	int rc;

	memset(p, 0, sizeof(*p));
	memset(&ts, 0, sizeof(ts));
	p->s = s;
	p->st = st;
	p->strategy = strategy;
	fw_mplan_rev(&rb, corpus, st->base);
	fw_mplan_rev(&ro, corpus, st->ours);
	fw_mplan_rev(&rt, corpus, st->theirs);
	if ((rc = fw_version_read(s, st->ours, schema, &p->ours_roots)) < 0 ||
	    (rc = fw_version_read(s, st->theirs, &ts, &p->theirs_roots)) < 0 ||
	    (rc = merge_schema(corpus, schema, &ts)) < 0)
		goto done;
	if ((rc = fw_diff(s, &rb, &ro, &d1, collect, &co)) < 0 ||
	    (rc = fw_diff(s, &rb, &rt, &d2, collect, &ct)) < 0 ||
	    (rc = normalise(&co)) < 0 || (rc = normalise(&ct)) < 0)
		goto done;
	size_t i = 0, j = 0;
	while (rc == 0 && j < ct.n) {
		int cmp = i == co.n ? 1 : id_cmp(co.v[i].id, co.v[i].idlen, ct.v[j].id, ct.v[j].idlen);
		if (cmp < 0)
			i++;
		else if (cmp > 0)
			rc = combine(p, NULL, &ct.v[j++]);
		else
			rc = combine(p, &co.v[i++], &ct.v[j++]);
	}
	/* fields a resolution file brings become json columns */
	for (size_t k = 0; k < p->na && rc == 0; k++)
		for (size_t f = 0; f < p->a[k].rec.n && rc == 0; f++) {
			const fw_field *fl = &p->a[k].rec.f[f];
			if (fw_schema_find(schema, fl->name, fl->namelen) < 0) {
				if (schema->strict)
					rc = fw_error_set(FW_EINVALID, "field \"%.*s\" is not in the strict "
					    "schema", (int)fl->namelen, fl->name);
				else
					rc = fw_schema_add(schema, fl->name, fl->namelen, FW_TYPE_JSON);
			}
		}
done:
	fw_schema_release(&ts);
	chgset_release(&co);
	chgset_release(&ct);
	return rc;
}

static int
plan_edit_record(void *arg, int64_t ref, fw_rec *out)
{
	struct plan *p = arg;

	return fw_mrec_copy(out, &p->a[ref].rec);
}

static int
dedit_cmp(const void *a, const void *b)
{
	return memcmp(((const fw_ptree_edit *)a)->key, ((const fw_ptree_edit *)b)->key, 16);
}

/* Writes the merge commit of st with what ap holds (edits or ready roots,
 * and the schema), giving it the branch, parents and messages of a merge,
 * and moves the branch from ours. Shared by both merges. */
int
fw_mplan_apply(fw_store *s, const char *corpus, const struct state *st, fw_commit_apply *ap,
    git_oid *cid, fw_roots *nroots)
{
	fw_buf ref = FW_BUF_INIT, rlog = FW_BUF_INIT, moved = FW_BUF_INIT, msg = FW_BUF_INIT;
	git_oid parents[2];
	int rc;

	if ((rc = git_oid_fromstr(&parents[0], st->ours)) < 0 ||
	    (rc = git_oid_fromstr(&parents[1], st->theirs)) < 0) {
		rc = fw_git_error(rc, "bad commit id");
		goto done;
	}
	fw_ref_branch(&ref, corpus, st->branch);
	fw_buf_adds(&msg, st->message ? st->message : "");
	if (msg.len && msg.data[msg.len - 1] != '\n')
		fw_buf_addc(&msg, '\n');
	fw_buf_printf(&rlog, "merge %s: %s", st->name, "three-way");
	fw_buf_printf(&moved, "%s@%s moved while merging; merge again", corpus, st->branch);
	ap->ref = ref.data;
	ap->head = &parents[0];
	ap->message = msg.data;
	ap->reflog = rlog.data;
	ap->moved = moved.data;
	ap->parents = parents;
	ap->nparents = 2;
	rc = fw_commit_apply_edits(s, ap, cid, nroots, NULL, NULL);
done:
	fw_buf_release(&ref);
	fw_buf_release(&rlog);
	fw_buf_release(&moved);
	fw_buf_release(&msg);
	return rc;
}

/* Writes the merge commit of plan p and moves the branch from ours. */
int
fw_mplan_commit(fw_store *s, struct plan *p, const char *corpus, const struct state *st,
    fw_schema *schema, git_oid *cid)
{
	fw_ptree_edit *de = calloc(p->na + 1, sizeof(*de)), *ie = calloc(p->na + 1, sizeof(*ie));
	fw_roots nroots;
	size_t nd = 0, ni = 0;
	int rc;

	if (!de || !ie) {
		rc = oom();
		goto done;
	}
	for (size_t i = 0; i < p->na; i++) {
		const struct act *a = &p->a[i];
		fw_ptree_edit *e = &de[nd++];
		memcpy(e->key, a->key, 16);
		e->op = (uint8_t)a->op;
		e->ref = (int64_t)i;
		if (a->op == FW_EDIT_PUT)
			e->size = fw_fields_size(a->rec.f, a->rec.n);
		if (a->iop) {
			fw_ptree_edit *x = &ie[ni++];
			memcpy(x->key, a->key + 8, 8);
			x->op = (uint8_t)a->iop;
			if (a->iop == FW_EDIT_PUT) {
				/* a PUT's record is whole: its id gives the check */
				const fw_field *f = fw_rec_get(&a->rec, "id", 2);
				uint8_t h[8];
				uint32_t chk;
				x->size = 16;
				x->ref = (int64_t)key_time(a->key);
				if (f && f->kind == FW_KIND_STRING) {
					fw_idhash2(h, &chk, f->payload, f->len);
					x->aux = chk;
				}
			}
		}
	}
	if (nd > 1)
		qsort(de, nd, sizeof(*de), dedit_cmp);
	if (ni > 1)
		qsort(ie, ni, sizeof(*ie), dedit_cmp);
	fw_commit_apply ap = {
		.schema = schema, .roots = &p->ours_roots, .dedits = de, .nd = nd, .iedits = ie,
		.ni = ni, .edit_record = plan_edit_record, .arg = p,
	};
	rc = fw_mplan_apply(s, corpus, st, &ap, cid, &nroots);
done:
	free(de);
	free(ie);
	return rc;
}
