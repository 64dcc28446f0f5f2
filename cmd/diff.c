#include "cmd.h"
#include "fw/diff.h"
#include "fw/error.h"
#include "fw/json.h"
#include "fw/store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const usage[] = {
	"fw diff A B [--stat] [--json] [--id ID]... [--columns C,...] [--limit N]",
	"fw diff A..B|A...B [--stat] [--json] [--id ID]... [--columns C,...] [--limit N]",
	NULL,
};

struct out {
	int stat, json, color;
	struct fw_strlist ids;
	const char *columns;
	uint64_t limit, shown;
	uint64_t added, removed, modified;
	int64_t messages;
	struct colcount { const char *name; uint64_t n; } cc[256];
	size_t ncc;
	fw_buf b;
};

#define C(o, code) ((o)->color ? "\033[" code "m" : "")

static int
want_col(const struct out *o, const char *name)
{
	const char *p = o->columns;
	size_t n = strlen(name);

	if (p == NULL)
		return 1;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && memcmp(p, name, n) == 0)
			return 1;
		p += len + (e != NULL);
	}
	return 0;
}

static int
want_id(const struct out *o, const fw_diff_entry *e)
{
	if (o->ids.n == 0)
		return 1;
	for (int i = 0; i < o->ids.n; i++)
		if (strlen(o->ids.v[i]) == e->idlen && memcmp(o->ids.v[i], e->id, e->idlen) == 0)
			return 1;
	return 0;
}

static int64_t
array_len(uint8_t kind, const char *val, uint32_t len)
{
	struct json_object *j = NULL;
	int64_t n = 0;

	if (kind != FW_KIND_ARRAY || fw_json_parse(&j, val, len) < 0)
		return 0;
	n = (int64_t)json_object_array_length(j);
	json_object_put(j);
	return n;
}

/* Splits s into lines (pointers into s). */
static size_t
split_lines(const char *s, size_t len, const char ***lines, size_t **lens)
{
	size_t n = 0, cap = 16;
	const char **v = malloc(cap * sizeof(*v));
	size_t *l = malloc(cap * sizeof(*l));

	for (size_t i = 0; v && l && i <= len;) {
		const char *e = memchr(s + i, '\n', len - i);
		size_t k = e ? (size_t)(e - (s + i)) : len - i;
		if (n == cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(*v));
			l = realloc(l, cap * sizeof(*l));
			if (!v || !l)
				break;
		}
		v[n] = s + i;
		l[n++] = k;
		i += k + 1;
		if (e == NULL)
			break;
	}
	*lines = v;
	*lens = l;
	return v && l ? n : 0;
}

/*
 * A line diff of two texts: the longest common subsequence of their lines by
 * dynamic programming (hand-written; texts of fields are short enough that
 * the quadratic table is fine, and beyond 4,000,000 cells both texts are
 * shown whole).
 */
static void
line_diff(struct out *o, const char *x, size_t xl, const char *y, size_t yl)
{
	const char **a, **b;
	size_t *al, *bl;
	size_t n = split_lines(x, xl, &a, &al), m = split_lines(y, yl, &b, &bl);
	uint32_t *t = NULL;

	if ((uint64_t)(n + 1) * (m + 1) <= 4000000)
		t = calloc((n + 1) * (m + 1), sizeof(*t));
	if (t == NULL) {
		for (size_t i = 0; i < n; i++)
			printf("    %s-%.*s%s\n", C(o, "31"), (int)al[i], a[i], C(o, "0"));
		for (size_t j = 0; j < m; j++)
			printf("    %s+%.*s%s\n", C(o, "32"), (int)bl[j], b[j], C(o, "0"));
		goto done;
	}
#define T(i, j) t[(i) * (m + 1) + (j)]
	for (size_t i = n; i-- > 0;)
		for (size_t j = m; j-- > 0;)
			T(i, j) = al[i] == bl[j] && memcmp(a[i], b[j], al[i]) == 0 ? T(i + 1, j + 1) + 1 :
			    T(i + 1, j) > T(i, j + 1) ? T(i + 1, j) : T(i, j + 1);
	size_t i = 0, j = 0;
	while (i < n || j < m) {
		if (i < n && j < m && al[i] == bl[j] && memcmp(a[i], b[j], al[i]) == 0) {
			printf("     %.*s\n", (int)al[i], a[i]);
			i++, j++;
		} else if (i < n && (j == m || T(i + 1, j) >= T(i, j + 1))) {
			printf("    %s-%.*s%s\n", C(o, "31"), (int)al[i], a[i], C(o, "0"));
			i++;
		} else {
			printf("    %s+%.*s%s\n", C(o, "32"), (int)bl[j], b[j], C(o, "0"));
			j++;
		}
	}
#undef T
done:
	free(t);
	free(a);
	free(al);
	free(b);
	free(bl);
}

/* A long text, or an array (its elements one a line, so that one changed
 * message shows alone), is shown as a line diff. */
static int
long_value(uint8_t kind, uint32_t len, const char *val)
{
	return (kind == FW_KIND_STRING && (len > 80 || memchr(val, '\n', len))) ||
	    (kind == FW_KIND_ARRAY && len > 80);
}

static void
text_of(fw_buf *b, uint8_t kind, const char *val, uint32_t len)
{
	fw_buf_reset(b);
	if (kind == FW_KIND_STRING) {
		fw_buf_add(b, val, len);
		return;
	}
	struct json_object *j = NULL;
	if (fw_json_parse(&j, val, len) < 0)
		return;
	for (size_t i = 0; i < json_object_array_length(j); i++) {
		fw_json_canon(b, json_object_array_get_idx(j, i));
		fw_buf_addc(b, '\n');
	}
	if (b->len)
		b->len--;
	fw_buf_addc(b, '\0');
	b->len--;
	json_object_put(j);
}

static void
print_text(struct out *o, const fw_diff_entry *e)
{
	const char *col = e->op == '+' ? "32" : e->op == '-' ? "31" : "33";

	printf("%s%c %.*s%s\n", o->color ? (e->op == '+' ? "\033[32m" : e->op == '-' ?
	    "\033[31m" : "\033[33m") : "", e->op, (int)e->idlen, e->id, C(o, "0"));
	(void)col;
	for (size_t i = 0; i < e->nfields; i++) {
		const fw_diff_field *f = &e->fields[i];
		if (!want_col(o, f->name))
			continue;
		if (e->op == '+' || e->op == '-') {
			fw_buf_reset(&o->b);
			if (e->op == '+')
				fw_value_json(&o->b, f->new_kind, f->new_val, f->new_len);
			else
				fw_value_json(&o->b, f->old_kind, f->old_val, f->old_len);
			printf("    %s: %.*s\n", f->name, (int)o->b.len, o->b.data);
			continue;
		}
		if (f->old_kind == f->new_kind && long_value(f->old_kind, f->old_len, f->old_val) &&
		    long_value(f->new_kind, f->new_len, f->new_val)) {
			fw_buf x = FW_BUF_INIT;
			printf("    %s:\n", f->name);
			text_of(&x, f->old_kind, f->old_val, f->old_len);
			text_of(&o->b, f->new_kind, f->new_val, f->new_len);
			line_diff(o, x.data ? x.data : "", x.len, o->b.data ? o->b.data : "", o->b.len);
			fw_buf_release(&x);
			continue;
		}
		fw_buf_reset(&o->b);
		if (f->old_kind == FW_KIND_MISSING)
			fw_buf_adds(&o->b, "(absent)");
		fw_value_json(&o->b, f->old_kind, f->old_val, f->old_len);
		printf("    %s:\n    %s-%.*s%s\n", f->name, C(o, "31"), (int)o->b.len, o->b.data, C(o, "0"));
		fw_buf_reset(&o->b);
		if (f->new_kind == FW_KIND_MISSING)
			fw_buf_adds(&o->b, "(absent)");
		fw_value_json(&o->b, f->new_kind, f->new_val, f->new_len);
		printf("    %s+%.*s%s\n", C(o, "32"), (int)o->b.len, o->b.data, C(o, "0"));
	}
}

static void
print_json(struct out *o, const fw_diff_entry *e)
{
	fw_buf *b = &o->b;
	int first = 1;

	fw_buf_reset(b);
	fw_buf_printf(b, "{\"op\":\"%c\",\"id\":", e->op);
	fw_json_quote(b, e->id, e->idlen);
	fw_buf_adds(b, e->op == '~' ? ",\"fields\":{" : ",\"record\":{");
	for (size_t i = 0; i < e->nfields; i++) {
		const fw_diff_field *f = &e->fields[i];
		if (!want_col(o, f->name))
			continue;
		if (!first)
			fw_buf_addc(b, ',');
		first = 0;
		fw_json_quote(b, f->name, strlen(f->name));
		fw_buf_addc(b, ':');
		if (e->op == '+')
			fw_value_json(b, f->new_kind, f->new_val, f->new_len);
		else if (e->op == '-')
			fw_value_json(b, f->old_kind, f->old_val, f->old_len);
		else {
			fw_buf_addc(b, '{');
			if (f->old_kind != FW_KIND_MISSING) {
				fw_buf_adds(b, "\"old\":");
				fw_value_json(b, f->old_kind, f->old_val, f->old_len);
			}
			if (f->new_kind != FW_KIND_MISSING) {
				fw_buf_adds(b, f->old_kind != FW_KIND_MISSING ? ",\"new\":" : "\"new\":");
				fw_value_json(b, f->new_kind, f->new_val, f->new_len);
			}
			fw_buf_addc(b, '}');
		}
	}
	fw_buf_adds(b, "}}");
	printf("%.*s\n", (int)b->len, b->data);
}

static int
on_entry(void *arg, const fw_diff_entry *e)
{
	struct out *o = arg;
	int any = e->op != '~';

	if (!want_id(o, e))
		return 0;
	for (size_t i = 0; i < e->nfields && !any; i++)
		any = want_col(o, e->fields[i].name);
	if (!any)
		return 0;
	if (o->stat) {
		e->op == '+' ? o->added++ : e->op == '-' ? o->removed++ : o->modified++;
		for (size_t i = 0; i < e->nfields; i++) {
			const fw_diff_field *f = &e->fields[i];
			if (strcmp(f->name, "messages") == 0)
				o->messages += array_len(f->new_kind, f->new_val, f->new_len) -
				    array_len(f->old_kind, f->old_val, f->old_len);
			if (e->op != '~' || !want_col(o, f->name))
				continue;
			size_t k;
			for (k = 0; k < o->ncc && strcmp(o->cc[k].name, f->name) != 0; k++)
				;
			if (k == o->ncc) {
				if (o->ncc == sizeof(o->cc) / sizeof(o->cc[0]))
					continue;
				o->cc[o->ncc].name = strdup(f->name);
				o->cc[o->ncc++].n = 0;
			}
			o->cc[k].n++;
		}
		return 0;
	}
	if (o->limit && o->shown >= o->limit)
		return 1;
	o->shown++;
	if (o->json)
		print_json(o, e);
	else
		print_text(o, e);
	if (ferror(stdout))
		return fw_error_set(FW_EIO, "cannot write standard output");
	return 0;
}

static int
cc_cmp(const void *x, const void *y)
{
	return strcmp(((const struct colcount *)x)->name, ((const struct colcount *)y)->name);
}

static int
print_stat(struct out *o, fw_store *s, const fw_rev *a, const fw_rev *b)
{
	fw_version va, vb;
	double sa, sb;
	uint64_t na, nb;
	int rc;

	if ((rc = fw_version_load(s, &va, a)) < 0)
		return rc;
	if ((rc = fw_version_load(s, &vb, b)) < 0) {
		fw_version_release(&va);
		return rc;
	}
	uint64_t unchanged = va.records - o->removed - o->modified;
	fw_version_release(&va);
	fw_version_release(&vb);
	if ((rc = fw_column_totals(s, a, "reward", &sa, &na)) < 0 ||
	    (rc = fw_column_totals(s, b, "reward", &sb, &nb)) < 0)
		return rc;
	if (o->json) {
		printf("{\"added\":%llu,\"removed\":%llu,\"modified\":%llu,\"unchanged\":%llu,"
		    "\"columns\":{", (unsigned long long)o->added, (unsigned long long)o->removed,
		    (unsigned long long)o->modified, (unsigned long long)unchanged);
		qsort(o->cc, o->ncc, sizeof(o->cc[0]), cc_cmp);
		for (size_t k = 0; k < o->ncc; k++)
			printf("%s\"%s\":%llu", k ? "," : "", o->cc[k].name, (unsigned long long)o->cc[k].n);
		printf("},\"reward_mean\":{\"old\":%.6g,\"new\":%.6g},\"messages\":%lld}\n",
		    na ? sa / na : 0.0, nb ? sb / nb : 0.0, (long long)o->messages);
		return 0;
	}
	printf("records: %llu added, %llu removed, %llu modified, %llu unchanged\n",
	    (unsigned long long)o->added, (unsigned long long)o->removed,
	    (unsigned long long)o->modified, (unsigned long long)unchanged);
	qsort(o->cc, o->ncc, sizeof(o->cc[0]), cc_cmp);
	for (size_t k = 0; k < o->ncc; k++)
		printf("column %s: %llu changed\n", o->cc[k].name, (unsigned long long)o->cc[k].n);
	printf("reward mean: %.6g -> %.6g (%+.6g)\n", na ? sa / na : 0.0, nb ? sb / nb : 0.0,
	    (nb ? sb / nb : 0.0) - (na ? sa / na : 0.0));
	printf("messages: %+lld\n", (long long)o->messages);
	return 0;
}

/* B of "A..B" may name a revision of A's corpus alone ("sft@v1..v2"). */
static int
resolve_pair(fw_store *s, fw_rev *a, fw_rev *b, const char *x, const char *y)
{
	int rc;

	if ((rc = fw_rev_resolve(s, a, x)) < 0)
		return rc;
	if (strchr(y, '@') == NULL && !fw_corpus_exists(s, y))
		return fw_rev_resolve_in(s, b, a->corpus, y);
	return fw_rev_resolve(s, b, y);
}

static FILE *pager;

static void
start_pager(void)
{
	const char *p = getenv("PAGER");

	if (!isatty(1))
		return;
	if (p == NULL || *p == '\0')
		p = "less -FRX";
	if (strcmp(p, "cat") == 0)
		return;
	fflush(stdout);
	if ((pager = popen(p, "w")) == NULL)
		return;
	dup2(fileno(pager), 1);
}

static void
end_pager(void)
{
	if (pager == NULL)
		return;
	fflush(stdout);
	close(1);
	pclose(pager);
}

int
cmd_diff(int argc, char **argv)
{
	struct out o;
	long limit = 0;
	const struct fw_opt opts[] = {
		{ 0, "stat", FW_OPT_FLAG, NULL, "counts: records added, removed, modified, unchanged; changed values per column; reward mean; messages", &o.stat },
		{ 0, "json", FW_OPT_FLAG, NULL, "one JSON object a line", &o.json },
		{ 0, "id", FW_OPT_LIST, "ID", "only the record with this id (repeatable)", &o.ids },
		{ 0, "columns", FW_OPT_STR, "C,...", "only these fields", &o.columns },
		{ 0, "limit", FW_OPT_INT, "N", "at most N records", &limit },
		FW_OPT_TABLE_END,
	};
	fw_diff_opts dopts = { 0 };
	fw_store *s = cmd_store();
	fw_rev a, b;
	char **args;
	int nargs, rc;

	memset(&o, 0, sizeof(o));
	if ((rc = fw_opt_parse("diff", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs == 1 && strstr(args[0], "..")) {
		char *spec = strdup(args[0]);
		char *dots = strstr(spec, "..");
		int three = dots[2] == '.';
		*dots = '\0';
		rc = resolve_pair(s, &a, &b, spec, dots + (three ? 3 : 2));
		if (rc == 0 && three) {
			fw_rev base;
			if ((rc = fw_merge_base(s, &base, &a, &b)) == 0)
				a = base;
		}
		free(spec);
	} else if (nargs == 2) {
		rc = resolve_pair(s, &a, &b, args[0], args[1]);
	} else {
		free(args);
		free(o.ids.v);
		return fw_usage_error("diff", usage, "expected two revisions, or A..B");
	}
	o.limit = (uint64_t)limit;
	o.color = !o.json && !o.stat && isatty(1) && getenv("NO_COLOR") == NULL;
	if (rc == 0 && !o.json)
		start_pager();
	/* Output names records by id, never by row key; --stat without --id
	 * only counts. */
	dopts.no_keys = 1;
	dopts.no_ids = o.stat && o.ids.n == 0;
	/* --stat then sums reward over every row group header of both
	 * versions: those the diff read, and those the two share, are read
	 * once (a header is under 1 KiB) */
	if (o.stat)
		fw_objstore_cache(fw_store_objects(s), "rg", (size_t)32 << 20);
	if (rc == 0) {
		rc = fw_diff(s, &a, &b, &dopts, on_entry, &o);
		if (rc == 1)
			rc = 0;
	}
	if (rc == 0 && o.stat)
		rc = print_stat(&o, s, &a, &b);
	if (getenv("FW_VERBOSE")) {
		fw_objstore_counters oc;
		fw_objstore_counters_get(fw_store_objects(s), &oc);
		fprintf(stderr, "fw: diff: %llu row groups read, %llu subtrees and %llu columns skipped; "
		    "%llu objects read (%llu bytes uncompressed)\n",
		    (unsigned long long)dopts.groups_read, (unsigned long long)dopts.subtrees_skipped,
		    (unsigned long long)dopts.columns_skipped, (unsigned long long)oc.gets,
		    (unsigned long long)oc.get_bytes);
	}
	end_pager();
	for (size_t k = 0; k < o.ncc; k++)
		free((char *)o.cc[k].name);
	fw_buf_release(&o.b);
	free(args);
	free(o.ids.v);
	return rc < 0 ? fw_fail() : 0;
}
