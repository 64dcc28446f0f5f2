/*
 * Model-based test of fw diff and fw merge: random adds, replacements, field
 * edits (reward, tags, outcome keys, messages) and deletions on two branches
 * from a common base, for many seeds. A straightforward in-memory three-way
 * merge, written here, gives the records and the conflict set that fw's must
 * equal; a diff applied to the older version must give the newer one.
 */
#include "harness.h"
#include "internal.h"
#include "ptree.h"
#include "fw/diff.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NIDS 16		/* b0..b9 in the base, n0..n5 new */
#define MISSING (-1)

struct mrec {
	int present;
	int reward, tag, msg;	/* MISSING or a value */
	int has_outcome, ok, n;	/* outcome keys MISSING or a value */
};

enum { F_REWARD, F_TAGS, F_OUTCOME, F_MESSAGES, NF };
static const char *const fname[NF] = { "reward", "tags", "outcome", "messages" };

static unsigned rng;

static unsigned
rnd(unsigned n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 16) % n;
}

static void
id_of(char *buf, int i)
{
	if (i < 10)
		sprintf(buf, "b%d", i);
	else
		sprintf(buf, "n%d", i - 10);
}

static void
rec_random(struct mrec *r, int whole)
{
	r->present = 1;
	r->reward = whole || rnd(4) ? (int)rnd(4) : MISSING;
	r->tag = whole || rnd(4) ? (int)rnd(3) : MISSING;
	r->msg = whole || rnd(4) ? (int)rnd(3) : MISSING;
	r->has_outcome = whole || rnd(4);
	r->ok = r->has_outcome ? (int)rnd(2) : MISSING;
	r->n = r->has_outcome && rnd(3) ? (int)rnd(3) : MISSING;
}

static void
outcome_json(char *b, const struct mrec *r)
{
	char *p = b;

	p += sprintf(p, "{");
	if (r->ok != MISSING)
		p += sprintf(p, "\"ok\":%s", r->ok ? "true" : "false");
	if (r->n != MISSING)
		p += sprintf(p, "%s\"n\":%d", r->ok != MISSING ? "," : "", r->n);
	sprintf(p, "}");
}

/* The record as JSON; only the fields in mask (all: -1), id always. */
static void
rec_json(char *b, int id, const struct mrec *r, int mask)
{
	char idb[16], oc[64];
	char *p = b;

	id_of(idb, id);
	p += sprintf(p, "{\"id\":\"%s\"", idb);
	if ((mask >> F_REWARD & 1) && r->reward != MISSING)
		p += sprintf(p, ",\"reward\":%d", r->reward);
	if ((mask >> F_TAGS & 1) && r->tag != MISSING)
		p += sprintf(p, ",\"tags\":[\"t%d\"]", r->tag);
	if ((mask >> F_OUTCOME & 1) && r->has_outcome) {
		outcome_json(oc, r);
		p += sprintf(p, ",\"outcome\":%s", oc);
	}
	if ((mask >> F_MESSAGES & 1) && r->msg != MISSING)
		p += sprintf(p, ",\"messages\":[{\"role\":\"user\",\"content\":\"m%d\"}]", r->msg);
	sprintf(p, "}");
}

static int
field_eq(const struct mrec *a, const struct mrec *b, int f)
{
	switch (f) {
	case F_REWARD: return a->reward == b->reward;
	case F_TAGS: return a->tag == b->tag;
	case F_MESSAGES: return a->msg == b->msg;
	default:
		return a->has_outcome == b->has_outcome &&
		    (!a->has_outcome || (a->ok == b->ok && a->n == b->n));
	}
}

static int
rec_eq(const struct mrec *a, const struct mrec *b)
{
	if (a->present != b->present)
		return 0;
	for (int f = 0; a->present && f < NF; f++)
		if (!field_eq(a, b, f))
			return 0;
	return 1;
}

static void
field_copy(struct mrec *d, const struct mrec *s, int f)
{
	switch (f) {
	case F_REWARD: d->reward = s->reward; break;
	case F_TAGS: d->tag = s->tag; break;
	case F_MESSAGES: d->msg = s->msg; break;
	default: d->has_outcome = s->has_outcome; d->ok = s->ok; d->n = s->n;
	}
}

/* --- driving fw --- */

static fw_store *S;
static char corpus[32];
static const char *tmp;
static int inplace;	/* random_op edits records in place only */
static int nfast;	/* merges done row group by row group */

static int
stage_lines(const char *text, int patch)
{
	char path[512];
	FILE *f;
	fw_stage_opts o = { .format = FW_FORMAT_JSONL, .patch = patch, .threads = 1 };
	fw_stage_result res;
	const char *files[1] = { path };

	snprintf(path, sizeof(path), "%s/in.jsonl", tmp);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return fw_stage_add(S, &res, corpus, files, 1, &o);
}

static int
commit(void)
{
	/* Distinct messages: the same edit on both branches within one second
	 * would otherwise be one commit, and the merge base would move past the
	 * model's. */
	static unsigned n;
	char msg[32];
	fw_commit_opts o = { .message = msg };
	fw_commit_result r;
	snprintf(msg, sizeof(msg), "op %u", ++n);
	int rc = fw_commit(S, &r, corpus, &o);

	return rc == FW_EEMPTY ? 0 : rc;
}

/* One random operation on a branch (already current), in fw and the model. */
static void
random_op(struct mrec *m)
{
	char buf[512], idb[16], oc[64];
	int id, tries = 0, op = (int)rnd(10);

	if (inplace)		/* edits only: no id added, removed or moved */
		op = 2 + op % 6;

	if (op <= 1) {		/* add an id that is absent */
		do
			id = (int)rnd(NIDS);
		while (m[id].present && ++tries < 50);
		if (m[id].present)
			return;
		/* new ids come in two variants, so both sides often add equal records */
		unsigned save = rng;
		rng = (unsigned)id * 7919u + rnd(2);
		rec_random(&m[id], 1);
		rng = save;
		rec_json(buf, id, &m[id], -1);
		strcat(buf, "\n");
		CHECK_OK(stage_lines(buf, 0));
		CHECK_OK(commit());
		return;
	}
	do
		id = (int)rnd(NIDS);
	while (!m[id].present && ++tries < 50);
	if (!m[id].present)
		return;
	id_of(idb, id);
	struct mrec *r = &m[id];
	switch (op) {
	case 2:			/* replace the whole record */
		rec_random(r, 0);
		rec_json(buf, id, r, -1);
		break;
	case 3:
	case 4:
		r->reward = (int)rnd(4);
		sprintf(buf, "{\"id\":\"%s\",\"reward\":%d}", idb, r->reward);
		break;
	case 5:
		r->tag = (int)rnd(3);
		sprintf(buf, "{\"id\":\"%s\",\"tags\":[\"t%d\"]}", idb, r->tag);
		break;
	case 6:			/* one key of the outcome */
		if (!r->has_outcome) {
			r->has_outcome = 1;
			r->ok = r->n = MISSING;
		}
		if (rnd(2))
			r->ok = (int)rnd(2);
		else
			r->n = (int)rnd(3);
		outcome_json(oc, r);
		sprintf(buf, "{\"id\":\"%s\",\"outcome\":%s}", idb, oc);
		break;
	case 7:
		r->msg = (int)rnd(3);
		sprintf(buf, "{\"id\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"m%d\"}]}",
		    idb, r->msg);
		break;
	default: {
		const char *ids[1] = { idb };
		r->present = 0;
		CHECK_OK(fw_stage_rm(S, corpus, ids, 1));
		CHECK_OK(commit());
		return;
	}
	}
	strcat(buf, "\n");
	CHECK_OK(stage_lines(buf, op != 2));
	CHECK_OK(commit());
}

/* --- the model's merge --- */

struct mconf {
	int id, field;		/* field -1: the whole record */
};

/* 3-way of one value: 0 and *pick (0 ours, 1 theirs) or 1 conflict. */
static int
merge3(int b, int o, int t, int *out)
{
	if (o == t || t == b) {
		*out = o;
		return 0;
	}
	if (o == b) {
		*out = t;
		return 0;
	}
	return 1;
}

static int
model_merge(const struct mrec *b, const struct mrec *o, const struct mrec *t, int strategy,
    struct mrec *out, struct mconf *conf, int *nconf)
{
	int nc = 0;

	for (int id = 0; id < NIDS; id++) {
		const struct mrec *B = &b[id], *O = &o[id], *T = &t[id];
		struct mrec *R = &out[id];
		if (!B->present) {
			*R = O->present ? *O : *T;
			if (O->present && T->present && !rec_eq(O, T)) {
				for (int f = 0; f < NF; f++)
					if (!field_eq(O, T, f))
						conf[nc++] = (struct mconf){ id, f };
				if (strategy == FW_MERGE_THEIRS)
					*R = *T;
			}
			continue;
		}
		if (!O->present && !T->present) {
			R->present = 0;
			continue;
		}
		if (!O->present || !T->present) {
			const struct mrec *live = O->present ? O : T;
			if (rec_eq(live, B)) {
				R->present = 0;
				continue;
			}
			conf[nc++] = (struct mconf){ id, -1 };
			*R = strategy == FW_MERGE_THEIRS ? *T : *O;
			continue;
		}
		*R = *O;
		for (int f = 0; f < NF; f++) {
			if (field_eq(O, B, f)) {
				field_copy(R, T, f);
				continue;
			}
			if (field_eq(T, B, f) || field_eq(O, T, f))
				continue;
			if (f == F_OUTCOME && O->has_outcome && T->has_outcome) {
				int bok = B->has_outcome ? B->ok : MISSING, bn = B->has_outcome ? B->n : MISSING;
				int ok, n;
				if (!merge3(bok, O->ok, T->ok, &ok) && !merge3(bn, O->n, T->n, &n)) {
					R->ok = ok;
					R->n = n;
					continue;
				}
			}
			conf[nc++] = (struct mconf){ id, f };
			if (strategy == FW_MERGE_THEIRS)
				field_copy(R, T, f);
		}
	}
	*nconf = nc;
	return 0;
}

/* --- comparing --- */

struct lines {
	char **v;
	size_t n;
};

static int
canon_line(struct lines *l, const char *json, size_t len)
{
	fw_buf b = FW_BUF_INIT;
	int rc = fw_json_canon_text(&b, json, len);

	fw_buf_addc(&b, '\0');
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	l->v[l->n++] = fw_buf_detach(&b, NULL);
	return rc;
}

static int
cat_cb(void *arg, const char *json, size_t len)
{
	return canon_line(arg, json, len);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
joined(struct lines *l)
{
	fw_buf b = FW_BUF_INIT;

	qsort(l->v, l->n, sizeof(*l->v), str_cmp);
	for (size_t i = 0; i < l->n; i++) {
		fw_buf_printf(&b, "%s\n", l->v[i]);
		free(l->v[i]);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
	fw_buf_addc(&b, '\0');
	return fw_buf_detach(&b, NULL);
}

static char *
fw_records(const char *rev)
{
	struct lines l = { 0 };
	fw_rev r;
	fw_cat_opts o = { 0 };

	CHECK_OK(fw_rev_resolve(S, &r, rev));
	CHECK_OK(fw_cat(S, &r, &o, cat_cb, &l));
	return joined(&l);
}

static char *
model_records(const struct mrec *m)
{
	struct lines l = { 0 };
	char buf[512];

	for (int id = 0; id < NIDS; id++)
		if (m[id].present) {
			rec_json(buf, id, &m[id], -1);
			canon_line(&l, buf, strlen(buf));
		}
	return joined(&l);
}

/* A diff applied to the model of its old version must give its new one. */
struct dapply {
	struct json_object *recs[NIDS];
	int seen_mod[NIDS];
	int removals;		/* the pass: removals first (a record removed and added
				 * back has a new row key, before or after the old) */
};

static int
id_index(const char *id, size_t len)
{
	char b[16];

	for (int i = 0; i < NIDS; i++) {
		id_of(b, i);
		if (strlen(b) == len && memcmp(b, id, len) == 0)
			return i;
	}
	return -1;
}

static struct json_object *
value(uint8_t kind, const char *v, uint32_t len)
{
	fw_buf b = FW_BUF_INIT;
	struct json_object *j = NULL;

	fw_value_json(&b, kind, v, len);
	fw_json_parse(&j, b.data, b.len);
	fw_buf_release(&b);
	return j;
}

static int
apply_cb(void *arg, const fw_diff_entry *e)
{
	struct dapply *d = arg;
	int id = id_index(e->id, e->idlen);

	CHECK(id >= 0);
	if (id < 0 || (e->op == '-') != d->removals)
		return 0;
	if (e->op == '-') {
		json_object_put(d->recs[id]);
		d->recs[id] = NULL;
		return 0;
	}
	if (e->op == '+') {
		json_object_put(d->recs[id]);
		d->recs[id] = json_object_new_object();
	}
	CHECK(d->recs[id] != NULL);
	if (d->recs[id] == NULL)
		return 0;
	if (e->op == '~')
		d->seen_mod[id] = 1;
	for (size_t i = 0; i < e->nfields; i++) {
		const fw_diff_field *f = &e->fields[i];
		if (e->op == '~')
			CHECK(f->old_kind != f->new_kind || f->old_len != f->new_len ||
			    memcmp(f->old_val, f->new_val, f->old_len) != 0);
		if (f->new_kind == FW_KIND_MISSING)
			json_object_object_del(d->recs[id], f->name);
		else
			json_object_object_add(d->recs[id], f->name,
			    value(f->new_kind, f->new_val, f->new_len));
	}
	return 0;
}

static void
check_diff(const char *ra, const char *rb, const struct mrec *a, const struct mrec *b)
{
	struct dapply d;
	struct lines l = { 0 };
	fw_rev x, y;
	fw_diff_opts o = { 0 };
	char buf[512];

	memset(&d, 0, sizeof(d));
	for (int id = 0; id < NIDS; id++)
		if (a[id].present) {
			rec_json(buf, id, &a[id], -1);
			fw_json_parse(&d.recs[id], buf, strlen(buf));
		}
	CHECK_OK(fw_rev_resolve(S, &x, ra));
	CHECK_OK(fw_rev_resolve(S, &y, rb));
	d.removals = 1;
	CHECK_OK(fw_diff(S, &x, &y, &o, apply_cb, &d));
	d.removals = 0;
	CHECK_OK(fw_diff(S, &x, &y, &o, apply_cb, &d));
	for (int id = 0; id < NIDS; id++) {
		if (d.seen_mod[id])	/* a modification the model sees too */
			CHECK(!rec_eq(&a[id], &b[id]));
		if (d.recs[id]) {
			fw_buf c = FW_BUF_INIT;
			fw_json_canon(&c, d.recs[id]);
			canon_line(&l, c.data, c.len);
			fw_buf_release(&c);
			json_object_put(d.recs[id]);
		}
	}
	char *got = joined(&l), *want = model_records(b);
	CHECK_MSG(strcmp(got, want) == 0, "diff %s %s applied:\n%s\nmodel:\n%s", ra, rb, got, want);
	free(got);
	free(want);
}

struct cset {
	char v[64][40];
	int n;
};

static int
conf_cb(void *arg, const fw_conflict *c)
{
	struct cset *cs = arg;

	if (cs->n < 64)
		snprintf(cs->v[cs->n++], 40, "%s %s", c->id, c->field ? c->field : "*");
	return 0;
}

static int
cs_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Every id of the model present in rev has its own check in the id index
 * (a merge writes index entries for the records it brings in). */
static void
check_index(const char *rev, const struct mrec *m, unsigned seed)
{
	fw_rev r;
	fw_roots roots;
	git_oid cid;
	fw_index_reader ir;
	int bad = 0;

	CHECK_OK(fw_rev_resolve(S, &r, rev));
	git_oid_fromstr(&cid, r.commit);
	CHECK_OK(fw_commit_read(S, &cid, NULL, &roots, NULL));
	for (int i = 0; i < NIDS; i++) {
		char id[16];
		uint8_t key[8];
		uint32_t want, got = 0;
		uint64_t t;
		if (!m[i].present)
			continue;
		id_of(id, i);
		fw_idhash2(key, &want, id, strlen(id));
		/* a reader a lookup: a reader expects its keys in order */
		fw_index_reader_init(&ir, fw_store_objects(S), &roots.index);
		if (fw_index_reader_get(&ir, key, &t, &got) != 1 || got != want)
			bad++;
		fw_index_reader_release(&ir);
	}
	CHECK_MSG(bad == 0, "seed %u: %s: %d ids without their index check", seed, rev, bad);
}

static void
roots_of(const char *rev, fw_roots *roots)
{
	fw_rev r;
	git_oid cid;

	memset(roots, 0, sizeof(*roots));
	CHECK_OK(fw_rev_resolve(S, &r, rev));
	git_oid_fromstr(&cid, r.commit);
	CHECK_OK(fw_commit_read(S, &cid, NULL, roots, NULL));
}

/* A merge done row group by row group (core/merge_fast.c) wrote the trees
 * the general merge writes, byte for byte: main is merged again that way. */
static void
check_rowgroup_merge(unsigned seed, const fw_merge_opts *mo, const char *theirs,
    const char *pre)
{
	fw_roots a, b;
	fw_merge_result res;
	char rev[64];

	nfast++;
	snprintf(rev, sizeof(rev), "%s@main", corpus);
	roots_of(rev, &a);
	CHECK_OK(fw_branch_reset(S, corpus, "main", pre, NULL, NULL));
	setenv("FW_TEST_MERGE_BY_RECORDS", "1", 1);
	CHECK_OK(fw_merge(S, &res, corpus, theirs, mo));
	unsetenv("FW_TEST_MERGE_BY_RECORDS");
	CHECK(!res.by_rowgroups);
	roots_of(rev, &b);
	CHECK_MSG(fw_oid_cmp(&a.data.top.oid, &b.data.top.oid) == 0 &&
	    fw_oid_cmp(&a.index.top.oid, &b.index.top.oid) == 0 &&
	    a.data.top.count == b.data.top.count && a.data.top.bytes == b.data.top.bytes &&
	    a.data.top.stored == b.data.top.stored,
	    "seed %u: the row-group merge wrote other trees than the plan's", seed);
}

static void
one_seed(unsigned seed)
{
	struct mrec base[NIDS], ours[NIDS], theirs[NIDS], want[NIDS];
	struct mconf mc[NIDS * NF];
	char buf[8192], rev[64], rev2[64];
	int nmc;
	fw_merge_result res;
	fw_merge_opts mo = { 0 };

	rng = seed;
	snprintf(corpus, sizeof(corpus), "c%u", seed);
	CHECK_OK(fw_corpus_create(S, corpus, NULL));
	memset(base, 0, sizeof(base));
	buf[0] = '\0';
	for (int id = 0; id < 10; id++) {
		rec_random(&base[id], 0);
		rec_json(buf + strlen(buf), id, &base[id], -1);
		strcat(buf, "\n");
	}
	CHECK_OK(stage_lines(buf, 0));
	CHECK_OK(commit());
	CHECK_OK(fw_branch_create(S, corpus, "theirs", NULL));
	CHECK_OK(fw_branch_create(S, corpus, "base", NULL));
	memcpy(ours, base, sizeof(ours));
	memcpy(theirs, base, sizeof(theirs));
	int nops = 1 + (int)rnd(6);
	for (int i = 0; i < nops; i++)
		random_op(ours);
	CHECK_OK(fw_branch_switch(S, corpus, "theirs", NULL));
	nops = 1 + (int)rnd(6);
	for (int i = 0; i < nops; i++)
		random_op(theirs);
	CHECK_OK(fw_branch_switch(S, corpus, "main", NULL));
	CHECK_OK(fw_branch_create(S, corpus, "ours", NULL));

	snprintf(rev, sizeof(rev), "%s@base", corpus);
	snprintf(rev2, sizeof(rev2), "%s@main", corpus);
	check_diff(rev, rev2, base, ours);
	snprintf(rev2, sizeof(rev2), "%s@theirs", corpus);
	check_diff(rev, rev2, base, theirs);
	snprintf(rev, sizeof(rev), "%s@main", corpus);
	check_diff(rev, rev2, ours, theirs);

	/* the conflict set */
	model_merge(base, ours, theirs, FW_MERGE_ASK, want, mc, &nmc);
	int rc = fw_merge(S, &res, corpus, "theirs", &mo);
	if (nmc == 0) {
		CHECK_MSG(rc == 0, "seed %u: %s", seed, fw_error_last());
	} else {
		struct cset got = { .n = 0 }, exp = { .n = 0 };
		CHECK_INT(rc, FW_ECONFLICT);
		if (getenv("FW_MERGE_DEBUG"))
			fprintf(stderr, "seed %u: %d conflicts\n", seed, nmc);
		CHECK_OK(fw_merge_conflicts(S, corpus, conf_cb, &got));
		for (int i = 0; i < nmc; i++) {
			char idb[16];
			id_of(idb, mc[i].id);
			snprintf(exp.v[exp.n++], 40, "%s %s", idb, mc[i].field < 0 ? "*" :
			    fname[mc[i].field]);
		}
		qsort(got.v, (size_t)got.n, 40, cs_cmp);
		qsort(exp.v, (size_t)exp.n, 40, cs_cmp);
		int same = got.n == exp.n;
		for (int i = 0; same && i < got.n; i++)
			same = strcmp(got.v[i], exp.v[i]) == 0;
		CHECK_MSG(same, "seed %u: %d conflicts, model %d (first %s / %s)", seed, got.n,
		    exp.n, got.n ? got.v[0] : "-", exp.n ? exp.v[0] : "-");
		CHECK_OK(fw_merge_abort(S, corpus));
		/* resolved to one side */
		mo.strategy = seed % 2 ? FW_MERGE_THEIRS : FW_MERGE_OURS;
		model_merge(base, ours, theirs, mo.strategy, want, mc, &nmc);
		CHECK_OK(fw_merge(S, &res, corpus, "theirs", &mo));
	}
	if (res.by_rowgroups)
		check_rowgroup_merge(seed, &mo, "theirs", "ours");
	snprintf(rev, sizeof(rev), "%s@main", corpus);
	char *got = fw_records(rev), *exp = model_records(want);
	CHECK_MSG(strcmp(got, exp) == 0, "seed %u: merge\n%s\nmodel:\n%s", seed, got, exp);
	check_index(rev, want, seed);
	/* merging again changes nothing */
	CHECK_OK(fw_merge(S, &res, corpus, "theirs", &mo));
	CHECK(res.up_to_date);
	/* the other direction, with the other strategy, gives the same records */
	CHECK_OK(fw_branch_switch(S, corpus, "theirs", NULL));
	fw_merge_opts back = { .strategy = mo.strategy == FW_MERGE_THEIRS ? FW_MERGE_OURS :
	    mo.strategy == FW_MERGE_OURS ? FW_MERGE_THEIRS : FW_MERGE_ASK };
	CHECK_OK(fw_merge(S, &res, corpus, "ours", &back));
	snprintf(rev, sizeof(rev), "%s@theirs", corpus);
	char *got2 = fw_records(rev);
	CHECK_MSG(strcmp(got, got2) == 0, "seed %u: the other direction differs", seed);
	check_index(rev, want, seed);
	free(got);
	free(got2);
	free(exp);
}

void
test_merge_model(void)
{
	char dir[512];
	int seeds = getenv("FW_MERGE_SEEDS") ? atoi(getenv("FW_MERGE_SEEDS")) : 200;

	tmp = t_tmpdir();
	snprintf(dir, sizeof(dir), "%s/store", tmp);
	CHECK_OK(fw_store_init(dir));
	CHECK_OK(fw_store_open(&S, dir));
	if (S == NULL)
		return;
	for (int i = 0; i < seeds; i++)
		one_seed((unsigned)i + 1);
	/* edits in place only: most merges go row group by row group */
	inplace = 1;
	nfast = 0;
	for (int i = 0; i < seeds; i++)
		one_seed((unsigned)i + 100001);
	inplace = 0;
	if (getenv("FW_MERGE_DEBUG"))
		fprintf(stderr, "%d of %d in-place merges by row groups\n", nfast, seeds);
	CHECK_MSG(nfast >= seeds / 4, "%d of %d in-place merges went by row groups", nfast, seeds);
	fw_store_close(S);
	S = NULL;
}

/* --- merges of a corpus of several row groups, row group by row group --- */

#define RG_N 6000

struct rgrec {
	int reward, tag;
	int note;		/* -1: no note field */
	int pad;		/* > 0: a "pad" field of that many bytes */
};

static void
rg_line(fw_buf *b, int i, const struct rgrec *r)
{
	fw_buf_printf(b, "{\"id\":\"r%05d\",\"reward\":%d,\"tags\":[\"t%d\"]", i, r->reward,
	    r->tag);
	if (r->note >= 0)
		fw_buf_printf(b, ",\"note\":\"%s%d\"", r->note > 1000 ? "a longer note, " : "",
		    r->note);
	if (r->note == -2) {	/* past a row group's largest size: a cut after it */
		fw_buf_adds(b, ",\"note\":\"");
		for (int k = 0; k < (17 << 19) / 64; k++)
			fw_buf_adds(b, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
		fw_buf_addc(b, '"');
	}
	if (r->pad > 0) {
		fw_buf_adds(b, ",\"pad\":\"");
		for (int k = 0; k < r->pad; k++)
			fw_buf_addc(b, 'p');
		fw_buf_addc(b, '"');
	}
	fw_buf_adds(b, ",\"text\":\"");
	for (int k = 0; k < 120; k++)
		fw_buf_printf(b, "w%d ", (i * 31 + k * 17) % 9973);
	fw_buf_adds(b, "\"}");
}

static char *
rg_model(const struct rgrec *m)
{
	struct lines l = { 0 };
	fw_buf b = FW_BUF_INIT;

	for (int i = 0; i < RG_N; i++) {
		fw_buf_reset(&b);
		rg_line(&b, i, &m[i]);
		canon_line(&l, b.data, b.len);
	}
	fw_buf_release(&b);
	return joined(&l);
}

/* Stages the records of m that differ from was (whole records: a replace
 * keeps each record's row key) and commits them. */
static void
rg_commit(const struct rgrec *was, const struct rgrec *m)
{
	fw_buf b = FW_BUF_INIT;

	for (int i = 0; i < RG_N; i++)
		if (was == NULL || memcmp(&was[i], &m[i], sizeof(*m)) != 0) {
			rg_line(&b, i, &m[i]);
			fw_buf_addc(&b, '\n');
		}
	fw_buf_addc(&b, '\0');
	CHECK_OK(stage_lines(b.data, 0));
	CHECK_OK(commit());
	fw_buf_release(&b);
}

static void
rg_expect(const char *what, const struct rgrec *want)
{
	char rev[64];

	snprintf(rev, sizeof(rev), "%s@main", corpus);
	char *got = fw_records(rev), *exp = rg_model(want);
	CHECK_MSG(strcmp(got, exp) == 0, "%s: the merged records differ from the model's", what);
	free(got);
	free(exp);
}

/* A store in a new temporary directory with an empty corpus name, open in
 * S: 0, or -1 when it could not be made. */
static int
store_with_corpus(const char *name)
{
	char dir[512];

	tmp = t_tmpdir();
	snprintf(dir, sizeof(dir), "%s/store", tmp);
	CHECK_OK(fw_store_init(dir));
	CHECK_OK(fw_store_open(&S, dir));
	if (S == NULL)
		return -1;
	snprintf(corpus, sizeof(corpus), "%s", name);
	CHECK_OK(fw_corpus_create(S, corpus, NULL));
	return 0;
}

/* From main at base: branch t, ours committed on main (then branch pre
 * there when pre is not NULL), theirs on t; main is current again. */
static void
rg_sides(const char *t, const char *pre, const struct rgrec *base, const struct rgrec *ours,
    const struct rgrec *theirs)
{
	CHECK_OK(fw_branch_create(S, corpus, t, NULL));
	rg_commit(base, ours);
	if (pre)
		CHECK_OK(fw_branch_create(S, corpus, pre, NULL));
	CHECK_OK(fw_branch_switch(S, corpus, t, NULL));
	rg_commit(base, theirs);
	CHECK_OK(fw_branch_switch(S, corpus, "main", NULL));
}

void
test_merge_rowgroups(void)
{
	static struct rgrec base[RG_N], ours[RG_N], theirs[RG_N], want[RG_N];
	fw_merge_result res;
	fw_merge_opts mo = { 0 };
	fw_roots roots;
	char rev[64];

	if (store_with_corpus("rg") < 0)
		return;
	for (int i = 0; i < RG_N; i++)
		base[i] = (struct rgrec){ i % 4, i % 3, i % 50 == 0 ? i : -1, 0 };
	rg_commit(NULL, base);
	snprintf(rev, sizeof(rev), "%s@main", corpus);
	roots_of(rev, &roots);
	CHECK_MSG(roots.data.height >= 1, "the corpus is one row group: the test needs several");

	/* 1: disjoint relabels, and another field of the same rows */
	memcpy(ours, base, sizeof(ours));
	memcpy(theirs, base, sizeof(theirs));
	for (int i = 0; i < RG_N; i++) {
		if (i % 7 == 0)
			ours[i].reward = (base[i].reward + 1) % 10;
		if (i % 7 == 0 && i % 2)
			theirs[i].tag = 2 - base[i].tag;
		if (i % 11 == 3 && i % 7 != 0)
			theirs[i].reward = (base[i].reward + 2) % 10;
		want[i] = ours[i];
		want[i].tag = theirs[i].tag;
		if (i % 11 == 3 && i % 7 != 0)
			want[i].reward = theirs[i].reward;
	}
	rg_sides("t1", "pre1", base, ours, theirs);
	CHECK_OK(fw_merge(S, &res, corpus, "t1", &mo));
	CHECK(res.by_rowgroups);
	uint64_t nmod = 0;
	for (int i = 0; i < RG_N; i++)
		nmod += memcmp(&want[i], &ours[i], sizeof(want[i])) != 0;
	CHECK_INT((long long)res.modified, (long long)nmod);
	rg_expect("disjoint relabels", want);
	check_rowgroup_merge(1, &mo, "t1", "pre1");
	rg_expect("disjoint relabels, the plan's way", want);

	/* 2: values of other lengths on both sides: row sizes change */
	memcpy(base, want, sizeof(base));
	memcpy(ours, base, sizeof(ours));
	memcpy(theirs, base, sizeof(theirs));
	for (int i = 0; i < RG_N; i++) {
		if (i % 13 == 0)
			ours[i].reward = 100000 + i;
		if (i % 17 == 1)
			theirs[i].note = 5000 + i;
		if (i % 50 == 0)
			theirs[i].note = -1;	/* a field removed */
		want[i] = ours[i];
		want[i].note = theirs[i].note;
	}
	rg_sides("t2", "pre2", base, ours, theirs);
	CHECK_OK(fw_merge(S, &res, corpus, "t2", &mo));
	rg_expect("sizes changed", want);
	if (getenv("FW_MERGE_DEBUG"))
		fprintf(stderr, "sizes changed: by row groups %d\n", res.by_rowgroups);
	if (res.by_rowgroups)
		check_rowgroup_merge(2, &mo, "t2", "pre2");
	rg_expect("sizes changed, the plan's way", want);

	/* 3: a conflict stops it, and the plan reports it */
	memcpy(base, want, sizeof(base));
	memcpy(ours, base, sizeof(ours));
	memcpy(theirs, base, sizeof(theirs));
	ours[4321].reward = 7;
	theirs[4321].reward = 8;
	theirs[10].reward = 9;
	rg_sides("t3", NULL, base, ours, theirs);
	CHECK_INT(fw_merge(S, &res, corpus, "t3", &mo), FW_ECONFLICT);
	CHECK(!res.by_rowgroups);
	CHECK_INT((long long)res.conflicts, 1);
	CHECK_OK(fw_merge_abort(S, corpus));
	fw_merge_opts th = { .strategy = FW_MERGE_THEIRS };
	CHECK_OK(fw_merge(S, &res, corpus, "t3", &th));
	CHECK(!res.by_rowgroups);
	memcpy(want, theirs, sizeof(want));
	rg_expect("a conflict resolved to theirs", want);

	/* 4: a record grows past the largest row group: boundaries move, so
	 * the plan's merge cuts the row groups again */
	memcpy(base, want, sizeof(base));
	memcpy(ours, base, sizeof(ours));
	memcpy(theirs, base, sizeof(theirs));
	for (int i = 0; i < RG_N; i += 5)
		ours[i].reward = (base[i].reward + 3) % 10;
	theirs[RG_N / 2 + 1].note = -2;
	rg_sides("t5", NULL, base, ours, theirs);
	CHECK_OK(fw_merge(S, &res, corpus, "t5", &mo));
	CHECK(!res.by_rowgroups);
	memcpy(want, ours, sizeof(want));
	want[RG_N / 2 + 1].note = -2;
	rg_expect("a record past the largest row group", want);

	/* 5: a record added on one side: the plan's merge */
	memcpy(base, want, sizeof(base));
	CHECK_OK(fw_branch_create(S, corpus, "t4", NULL));
	memcpy(ours, base, sizeof(ours));
	ours[5].reward = 6;
	rg_commit(base, ours);
	CHECK_OK(fw_branch_switch(S, corpus, "t4", NULL));
	CHECK_OK(stage_lines("{\"id\":\"x1\",\"reward\":1}\n", 0));
	CHECK_OK(commit());
	CHECK_OK(fw_branch_switch(S, corpus, "main", NULL));
	CHECK_OK(fw_merge(S, &res, corpus, "t4", &mo));
	CHECK(!res.by_rowgroups);
	CHECK_INT((long long)res.added, 1);

	fw_store_close(S);
	S = NULL;
}

/* --- a merge whose two sides each keep every row group, but not together --- */

static int
leaf_cb(void *arg, const fw_ptree_child *leaf)
{
	fw_ptree_child *out = arg;

	if (out[0].count == 0)
		out[0] = *leaf;
	else if (out[1].count == 0)
		out[1] = *leaf;
	return 0;
}

/* 1 when a row group of these sizes (with extra bytes on two rows) is cut
 * by the chunker after its last row and nowhere before. */
static int
keeps_cut(const fw_ptree *t, const fw_rg *rg, uint32_t a, int64_t da, uint32_t b, int64_t db)
{
	uint64_t cum = 0;

	for (uint32_t r = 0; r < rg->n; r++) {
		uint64_t before = cum;
		cum += (uint64_t)((int64_t)rg->sizes[r] + (r == a ? da : 0) + (r == b ? db : 0));
		int cut = fw_ptree_boundary(t, rg->keys + (size_t)r * 16, 0, before, cum);
		if (cut != (r + 1 == rg->n))
			return 0;
	}
	return 1;
}

/*
 * Ours pads one record and theirs another of the same row group, each by
 * as many bytes as the group takes without the chunker cutting it
 * elsewhere, together by more: each side's tree is cut as the base's (so
 * the row-group merge walks down), but the merged sizes move a cut. The
 * row-group merge must see it and give way to the record merge, whose
 * tree is cut anew; a merge that kept the old cut would write other row
 * groups than the record merge for the same records.
 */
void
test_merge_rowgroups_cut(void)
{
	static struct rgrec base[RG_N], ours[RG_N], theirs[RG_N], want[RG_N];
	char rev[64];
	fw_ptree_child leaves[2];
	fw_merge_result res;
	fw_merge_opts mo = { 0 };
	fw_roots roots;
	fw_ptree t;
	fw_rg rg;
	fw_column *ids = NULL;

	if (store_with_corpus("cut") < 0)
		return;
	for (int i = 0; i < RG_N; i++)
		base[i] = (struct rgrec){ i % 4, i % 3, -1, 0 };
	rg_commit(NULL, base);
	snprintf(rev, sizeof(rev), "%s@main", corpus);
	roots_of(rev, &roots);
	fw_data_tree_init(&t, fw_store_objects(S), NULL);
	memset(leaves, 0, sizeof(leaves));
	CHECK_OK(fw_ptree_walk_leaves(&t, &roots.data, NULL, NULL, leaf_cb, leaves));
	CHECK_MSG(leaves[1].count > 0, "the corpus needs two row groups");
	/* the first row group: its keys and sizes, and its ids */
	CHECK_OK(fw_rg_load(fw_store_objects(S), &rg, &leaves[0].oid, 1));
	CHECK_OK(fw_rg_column(fw_store_objects(S), &rg, "id", &ids));
	if (ids == NULL || rg.n < 4) {
		fw_rg_release(&rg);
		return;
	}
	/* a pad of k bytes adds k + 7 to a record's size ("pad": 3 + the
	 * payload k + 2, plus the string's quotes in neither): what
	 * fw_fields_size counts, checked below against the stored sizes */
	uint32_t a = 0, b = 1;
	int64_t d = 0;
	for (int64_t x = 16; x < (int64_t)4 << 20 && d == 0; x += 16)
		if (keeps_cut(&t, &rg, a, x, b, 0) && keeps_cut(&t, &rg, a, 0, b, x) &&
		    !keeps_cut(&t, &rg, a, x, b, x))
			d = x;
	CHECK_MSG(d > 0, "no pair of pads found that only together move a cut");
	int ia = -1, ib = -1;
	for (int i = 0; i < RG_N; i++) {
		char id[16];
		snprintf(id, sizeof(id), "r%05d", i);
		if (ids->off[a + 1] - ids->off[a] == strlen(id) &&
		    memcmp(ids->data + ids->off[a], id, strlen(id)) == 0)
			ia = i;
		if (ids->off[b + 1] - ids->off[b] == strlen(id) &&
		    memcmp(ids->data + ids->off[b], id, strlen(id)) == 0)
			ib = i;
	}
	CHECK(ia >= 0 && ib >= 0);
	int64_t per = (int64_t)strlen("pad") + 2;	/* what fw_fields_size adds besides the payload */
	uint32_t old_a = rg.sizes[a];
	fw_rg_release(&rg);
	if (d == 0 || ia < 0 || ib < 0)
		return;

	memcpy(ours, base, sizeof(ours));
	memcpy(theirs, base, sizeof(theirs));
	ours[ia].pad = (int)(d - per);
	theirs[ib].pad = (int)(d - per);
	rg_sides("t", NULL, base, ours, theirs);
	/* the size the pad added is the one the search assumed */
	snprintf(rev, sizeof(rev), "%s@main", corpus);
	roots_of(rev, &roots);
	memset(leaves, 0, sizeof(leaves));
	CHECK_OK(fw_ptree_walk_leaves(&t, &roots.data, NULL, NULL, leaf_cb, leaves));
	CHECK_OK(fw_rg_load(fw_store_objects(S), &rg, &leaves[0].oid, 1));
	CHECK_INT((long long)rg.sizes[a] - old_a, (long long)d);
	fw_rg_release(&rg);
	CHECK_OK(fw_merge(S, &res, corpus, "t", &mo));
	CHECK_MSG(!res.by_rowgroups, "a merge that moves a cut went by row groups");
	memcpy(want, ours, sizeof(want));
	want[ib].pad = theirs[ib].pad;
	rg_expect("pads that move a cut together", want);
	fw_store_close(S);
	S = NULL;
}
