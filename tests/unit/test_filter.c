/*
 * The filter language: one table of expressions with the records each must
 * select, checked against the three evaluators. The expected sets are written
 * by hand from docs/filter.md, not computed by the code under test.
 *   - record evaluation (fw_filter_match) must give exactly the expected set;
 *   - vectorised evaluation over the records' columns must agree row for row,
 *     on the whole set and on every window of 1 to 3 rows, on decoded columns
 *     and on builder columns;
 *   - statistics of every window may say NONE only where no row of it
 *     matches, ALL only where every row does.
 */
#include "harness.h"
#include "fw/column.h"
#include "fw/error.h"
#include "fw/filter.h"
#include "fw/json.h"

#include <stdlib.h>

static const char *const records[] = {
	/* 0 */ "{\"id\":\"a0\",\"source\":\"swe-agent\",\"reward\":1,\"tags\":[\"bugfix\",\"python\"],"
	    "\"outcome\":{\"tests_passed\":12,\"resolved\":true},\"messages\":["
	    "{\"role\":\"system\",\"content\":\"You are helpful\"},"
	    "{\"role\":\"user\",\"content\":\"Fix the bug\"},"
	    "{\"role\":\"assistant\",\"content\":\"Done\",\"tool_calls\":[{\"name\":\"edit\"}]}],\"ts\":100}",
	/* 1 */ "{\"id\":\"a1\",\"source\":\"swe-agent\",\"reward\":0,\"tags\":[\"feature\"],"
	    "\"outcome\":{\"tests_passed\":0,\"resolved\":false},\"messages\":["
	    "{\"role\":\"user\",\"content\":\"Add a feature\"},{\"role\":\"assistant\",\"content\":\"ok\"}],\"ts\":101}",
	/* 2 */ "{\"id\":\"a2\",\"source\":\"tau\",\"reward\":-0.5,\"tags\":[],\"messages\":["
	    "{\"role\":\"user\",\"content\":\"Book a flight\"},{\"role\":\"tool\",\"content\":\"{}\"},"
	    "{\"role\":\"tool\",\"content\":\"[]\"},{\"role\":\"assistant\",\"content\":\"Booked\"}],"
	    "\"ts\":102,\"chosen\":\"yes\",\"rejected\":\"no\"}",
	/* 3 */ "{\"id\":\"a3\",\"source\":\"tau\",\"reward\":1.0,\"chosen\":null,\"messages\":[],\"ts\":103}",
	/* 4 */ "{\"id\":\"a4\",\"source\":\"SWE-Agent\",\"reward\":0.25,\"tags\":[\"bugfix\"],\"ts\":104,"
	    "\"pref\":{\"chosen\":\"A\",\"rejected\":\"B\"}}",
	/* 5 */ "{\"id\":\"a5\",\"source\":\"human\",\"reward\":null,\"tags\":[\"eval\",\"held-out\"],\"ts\":105}",
	/* 6 */ "{\"id\":\"a6\",\"reward\":\"1\",\"source\":\"swe-agent\",\"ts\":106}",
	/* 7 */ "{\"id\":\"a7\",\"source\":\"tau\",\"reward\":9007199254740993,\"ts\":107}",
	/* 8 */ "{\"id\":\"a8\",\"source\":\"tau\",\"reward\":123456789012345678901234567890,\"ts\":108}",
	/* 9 */ "{\"id\":\"a9\",\"source\":\"\\u00dcn\\u00efc\\u00f6d\\u00e9\",\"reward\":2,"
	    "\"tags\":[\"bugfix\",\"\\u00fcn\\u00ef\"],\"messages\":[{\"role\":\"user\","
	    "\"content\":\"h\\u00e9llo w\\u00f6rld\"}],\"ts\":109}",
	/* 10 */ "{\"id\":\"a10\",\"source\":\"swe-agent\",\"reward\":true,\"ts\":110}",
	/* 11 */ "{\"id\":\"a11\",\"source\":\"\",\"reward\":-3,\"tags\":\"bugfix\",\"ts\":111,"
	    "\"note\":\"say \\\"hi\\\"\\u0000end\"}",
	/* 12 */ "{\"id\":\"a12\",\"source\":\"swe\",\"reward\":0.0,\"outcome\":{\"tests_passed\":5,"
	    "\"resolved\":true,\"detail\":{\"score\":0.9}},\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
	    "{\"role\":\"tool\",\"content\":\"y\"},{\"role\":\"assistant\",\"content\":\"z\",\"tool_calls\":[]}],"
	    "\"ts\":112}",
	/* 13 */ "{\"id\":\"a13\",\"source\":\"swe-bench\",\"reward\":1e2,\"task\":{\"user_id\":\"u1\","
	    "\"split\":\"test\"},\"ts\":113}",
	/* 14 */ "{\"id\":\"a14\",\"source\":\"tau-bench\",\"reward\":-0,\"task\":{\"user_id\":\"u2\","
	    "\"split\":\"train\"},\"tags\":[1,2,3],\"ts\":114}",
	/* 15 */ "{\"id\":\"a15\",\"source\":\"swe-agent\",\"reward\":0.5,\"messages\":[{\"role\":\"assistant\","
	    "\"content\":null}],\"outcome\":null,\"ts\":115}",
	/* 16 */ "{\"id\":\"a16\"}",
	/* 17 */ "{\"id\":\"a17\",\"source\":\"tau\",\"reward\":1,\"tags\":[\"bugfix\"],\"flag\":true,\"ts\":117,"
	    "\"messages\":[{\"role\":\"user\",\"content\":\"line1\\nline2\"},{\"role\":\"assistant\","
	    "\"content\":\"ANSWER: 42\"}]}",
	/* 18 */ "{\"id\":\"a18\",\"source\":\"swe-agent\",\"reward\":1,\"flag\":false,\"meta\":{\"a\":1,"
	    "\"b\":[1,2]},\"ts\":118,\"chosen\":{\"text\":\"c\"}}",
	/* 19 */ "{\"id\":\"a19\",\"source\":\"tau\",\"reward\":-9223372036854775808,\"tags\":[null,\"x\"],"
	    "\"ts\":119,\"score\":[1,2]}",
};
#define NREC ((int)(sizeof(records) / sizeof(records[0])))

/* Expected sets: record numbers; "all" then "-k" to leave some out. */
static const struct { const char *expr, *want; } table[] = {
	/* numbers, all six operators, ints and doubles, big ints */
	{ "reward > 0", "0 3 4 7 8 9 13 15 17 18" },
	{ "reward >= 1", "0 3 7 8 9 13 17 18" },
	{ "reward < 0", "2 11 19" },
	{ "reward <= 0", "1 2 11 12 14 19" },
	{ "reward == 0", "1 12 14" },
	{ "reward != 0", "0 2 3 4 7 8 9 11 13 15 17 18 19" },
	{ "reward == 1", "0 3 17 18" },
	{ "reward == 1.0", "0 3 17 18" },
	{ "reward == \"1\"", "6" },
	{ "reward == true", "10" },
	{ "reward == null", "5 16" },
	{ "reward != null", "all -5 -16" },
	{ "null == reward", "5 16" },
	{ "reward == 9007199254740993", "7" },
	{ "reward == 9007199254740992", "" },
	{ "reward > 9007199254740992", "7 8" },
	{ "reward < -9223372036854775807", "19" },
	{ "reward == -9223372036854775808", "19" },
	{ "reward > 1e20", "8" },
	{ "reward == 100", "13" },
	{ "reward == -0", "1 12 14" },
	{ "0 < reward", "0 3 4 7 8 9 13 15 17 18" },
	{ "1 >= reward", "0 1 2 3 4 11 12 14 15 17 18 19" },
	{ "reward in [0, 1]", "0 1 3 12 14 17 18" },
	{ "reward in [1, \"1\", true]", "0 3 6 10 17 18" },
	{ "reward not in [0, 1]", "2 4 5 6 7 8 9 10 11 13 15 16 19" },
	{ "not reward > 0", "1 2 5 6 10 11 12 14 16 19" },
	{ "!(reward > 0)", "1 2 5 6 10 11 12 14 16 19" },
	{ "reward > 0 and reward < 1", "4 15" },
	{ "reward >= 0.25 and reward <= 0.5", "4 15" },
	{ "reward in []", "" },
	{ "reward == reward", "all -5 -16" },
	/* strings */
	{ "source == \"swe-agent\"", "0 1 6 10 15 18" },
	{ "source != \"swe-agent\"", "2 3 4 5 7 8 9 11 12 13 14 17 19" },
	{ "source in [\"swe\", \"tau\"]", "2 3 7 8 12 17 19" },
	{ "source == \"\\u00dcn\\u00efc\\u00f6d\\u00e9\"", "9" },
	{ "source == \"\xc3\x9cn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9\"", "9" },
	{ "source == \"\"", "11" },
	{ "source < \"swe\"", "4 5 11" },
	{ "source >= \"tau\"", "2 3 7 8 9 14 17 19" },
	{ "source > 1", "" },
	{ "source == id", "" },
	{ "\"swe\" in source", "" },
	{ "id == \"a16\"", "16" },
	{ "id in [\"a1\", \"a2\", \"a3\"]", "1 2 3" },
	{ "note == \"say \\\"hi\\\"\\u0000end\"", "11" },
	/* functions on strings */
	{ "lower(source) == \"swe-agent\"", "0 1 4 6 10 15 18" },
	{ "lower(source) == lower(\"SWE-AGENT\")", "0 1 4 6 10 15 18" },
	{ "lower(source) == \"\\u00fcn\\u00efc\\u00f6d\\u00e9\"", "9" },
	{ "len(lower(source)) == 9", "0 1 4 6 10 13 14 15 18" },
	{ "startswith(source, \"swe\")", "0 1 6 10 12 13 15 18" },
	{ "startswith(source, \"tau\")", "2 3 7 8 14 17 19" },
	{ "startswith(note, \"say\")", "11" },
	{ "contains(source, \"-\")", "0 1 4 6 10 13 14 15 18" },
	{ "contains(source, \"\")", "all -16" },
	{ "contains(note, \"\\u0000\")", "11" },
	{ "matches(source, \"^swe(-agent)?$\")", "0 1 6 10 12 15 18" },
	{ "matches(source, \"(?i)^swe-agent$\")", "0 1 4 6 10 15 18" },
	{ "matches(source, \"^.n\\u00efc\\u00f6d\\u00e9$\")", "9" },
	{ "matches(id, \"^a1[0-9]$\")", "10 11 12 13 14 15 16 17 18 19" },
	{ "matches(reward, \".\")", "6" },
	{ "len(source) == 7", "9" },
	{ "len(source) == 9", "0 1 4 6 10 13 14 15 18" },
	{ "len(source) == 0", "11" },
	{ "len(note) == 12", "11" },
	{ "len(reward) > 0", "6" },
	/* existence and nulls */
	{ "exists(source)", "all -16" },
	{ "exists(chosen)", "2 3 18" },
	{ "chosen != null", "2 18" },
	{ "chosen == null", "all -2 -18" },
	{ "exists(pref.chosen)", "4" },
	{ "pref.chosen != null and pref.rejected != null", "4" },
	{ "exists(reward) and reward == null", "5" },
	{ "not (reward == null) and not exists(tags)", "3 6 7 8 10 12 13 15 18" },
	{ "nosuchfield == null", "all" },
	{ "nosuchfield != null", "" },
	{ "nosuchfield > 0", "" },
	{ "not nosuchfield > 0", "all" },
	{ "ts == null", "16" },
	/* nested paths */
	{ "outcome.tests_passed > 0", "0 12" },
	{ "outcome.tests_passed == 0", "1" },
	{ "outcome.resolved == true", "0 12" },
	{ "outcome.resolved", "0 12" },
	{ "not outcome.resolved", "all -0 -12" },
	{ "outcome.resolved == false", "1" },
	{ "outcome == null", "all -0 -1 -12" },
	{ "outcome.detail.score > 0.5", "12" },
	{ "outcome.detail == null", "all -12" },
	{ "outcome[\"tests_passed\"] >= 5", "0 12" },
	{ "len(outcome) == 2", "0 1" },
	{ "len(outcome) == 3", "12" },
	{ "outcome.resolved == true or outcome.tests_passed == 0", "0 1 12" },
	{ "task.user_id == \"u1\"", "13" },
	{ "task.split in [\"test\", \"eval\"]", "13" },
	{ "task.user_id != null", "13 14" },
	{ "exists(task)", "13 14" },
	{ "meta.b == [1,2]", "18" },
	{ "meta.b[1] == 2", "18" },
	{ "meta.a == 1 and meta.b[0] == 1", "18" },
	/* array indexes, negative ones too */
	{ "messages[0].role == \"user\"", "1 2 9 12 17" },
	{ "messages[0].role == \"system\"", "0" },
	{ "messages[0][\"role\"] == \"system\"", "0" },
	{ "messages[-1].role == \"assistant\"", "0 1 2 12 15 17" },
	{ "messages[-1].content == \"Done\"", "0" },
	{ "messages[1].content == \"Fix the bug\"", "0" },
	{ "messages[5].role == null", "all" },
	{ "messages[-4].role == \"user\"", "2" },
	{ "messages[-5] == null", "all" },
	{ "exists(messages[0].tool_calls) or exists(messages[2].tool_calls)", "0 12" },
	/* len, count, any, all over arrays */
	{ "len(messages) == 0", "3" },
	{ "len(messages) >= 3", "0 2 12" },
	{ "len(messages) > 0", "0 1 2 9 12 15 17" },
	{ "count(messages, role == \"tool\") == 2", "2" },
	{ "count(messages, role == \"tool\") >= 1", "2 12" },
	{ "count(messages, role == \"tool\") == 0", "0 1 3 9 15 17" },
	{ "count(messages, true) == len(messages)", "0 1 2 3 9 12 15 17" },
	{ "count(messages, role == \"user\") > count(messages, role == \"assistant\")", "9" },
	{ "any(messages, role == \"tool\")", "2 12" },
	{ "all(messages, role == \"user\")", "3 9" },
	{ "all(messages, exists(content))", "0 1 2 3 9 12 15 17" },
	{ "any(messages, content == null)", "15" },
	{ "any(messages, exists(tool_calls))", "0 12" },
	{ "any(messages, len(tool_calls) > 0)", "0" },
	{ "any(messages, contains(content, \"\\n\"))", "17" },
	{ "any(messages, matches(content, \"^ANSWER: \\\\d+$\"))", "17" },
	{ "any(messages, lower(content) == \"h\\u00e9llo w\\u00f6rld\")", "9" },
	{ "any(messages, role == \"assistant\" and exists(tool_calls))", "0 12" },
	{ "$.source == \"tau\" and any(messages, $.reward > 0)", "17" },
	{ "any(messages, @.role == \"system\")", "0" },
	/* in, and arrays as values */
	{ "\"bugfix\" in tags", "0 4 9 17" },
	{ "\"eval\" in tags or \"held-out\" in tags", "5" },
	{ "2 in tags", "14" },
	{ "2.0 in tags", "14" },
	{ "null in tags", "" },
	{ "\"x\" in tags", "19" },
	{ "len(tags) == 0", "2" },
	{ "len(tags) == 6", "11" },
	{ "tags == [\"bugfix\"]", "4 17" },
	{ "tags == []", "2" },
	{ "tags != [\"bugfix\"]", "0 1 2 5 9 14 19" },
	{ "tags == [1, 2, 3]", "14" },
	{ "score == [1, 2]", "19" },
	{ "any(tags, @ == \"bugfix\")", "0 4 9 17" },
	{ "any(tags, startswith(@, \"held\"))", "5" },
	{ "count(tags, @ != null) == 1", "1 4 17 19" },
	{ "all(tags, @ > 0)", "2 14" },
	{ "all(tags, @ == \"bugfix\")", "2 4 17" },
	{ "any(tags, @ == null)", "19" },
	/* booleans */
	{ "flag", "17" },
	{ "flag == false", "18" },
	{ "not flag", "all -17" },
	{ "flag != true", "18" },
	/* and, or, not, both spellings, parentheses */
	{ "reward > 0 and source == \"swe-agent\"", "0 15 18" },
	{ "reward > 0 && source == \"swe-agent\"", "0 15 18" },
	{ "reward > 0 or source == \"swe-agent\"", "0 1 3 4 6 7 8 9 10 13 15 17 18" },
	{ "reward > 0 || chosen != null", "0 2 3 4 7 8 9 13 15 17 18" },
	{ "(reward > 0 or reward < 0) and not (source == \"tau\")", "0 4 9 11 13 15 18" },
	{ "source == \"tau\" and (reward == 1 or reward > 1000)", "3 7 8 17" },
	{ "not not (reward > 0)", "0 3 4 7 8 9 13 15 17 18" },
	{ "ts >= 110 and ts < 115", "10 11 12 13 14" },
	{ "ts > 200", "" },
	/* constants */
	{ "true", "all" },
	{ "false", "" },
	{ "null == null", "all" },
	{ "1 < 2", "all" },
	{ "\"a\" == \"a\"", "all" },
	{ "1 == \"1\"", "" },
};
#define NTABLE ((int)(sizeof(table) / sizeof(table[0])))

typedef struct {
	fw_column cols[32];
	const fw_column *ptr[32];
	const char *names[32];
	fw_colstats st[32];
	size_t n;
} colset;

static void
colset_release(colset *s)
{
	for (size_t k = 0; k < s->n; k++)
		fw_column_release(&s->cols[k]);
	s->n = 0;
}

/* Appends value v (a json-c value, or absent) as a column row, as a writer
 * would: number text, raw string bytes, canonical JSON for the rest. */
static int
append_value(fw_column *c, int present, struct json_object *v)
{
	fw_buf b = FW_BUF_INIT;
	int rc;

	if (!present)
		return fw_column_append(c, FW_KIND_MISSING, NULL, 0);
	switch (json_object_get_type(v)) {
	case json_type_null:
		return fw_column_append(c, FW_KIND_NULL, NULL, 0);
	case json_type_boolean:
		return fw_column_append(c, json_object_get_boolean(v) ? FW_KIND_TRUE :
		    FW_KIND_FALSE, NULL, 0);
	case json_type_int:
	case json_type_double: {
		const char *t = fw_json_number_text(v);
		return fw_column_append(c, FW_KIND_NUMBER, t, strlen(t));
	}
	case json_type_string:
		return fw_column_append(c, FW_KIND_STRING, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
	default:
		if ((rc = fw_json_canon(&b, v)) >= 0)
			rc = fw_column_append(c, json_object_is_type(v, json_type_array) ?
			    FW_KIND_ARRAY : FW_KIND_OBJECT, b.data, b.len);
		fw_buf_release(&b);
		return rc;
	}
}

/* Columns of recs[from..to), one per top-level field of any record; decoded
 * (as a reader sees them) unless builder is set. */
static void
build_columns(colset *s, struct json_object **recs, int from, int to, int builder)
{
	memset(s, 0, sizeof(*s));
	for (int r = 0; r < NREC; r++) {
		json_object_object_foreach(recs[r], key, val) {
			(void)val;
			size_t k;
			for (k = 0; k < s->n; k++)
				if (strcmp(s->cols[k].name, key) == 0)
					break;
			if (k == s->n && s->n < 32)
				fw_column_init(&s->cols[s->n++], key, FW_TYPE_JSON);
		}
	}
	for (size_t k = 0; k < s->n; k++) {
		fw_column *c = &s->cols[k];
		for (int r = from; r < to; r++) {
			struct json_object *v = NULL;
			int present = json_object_object_get_ex(recs[r], c->name, &v);
			CHECK_OK(append_value(c, present, v));
		}
		if (!builder) {
			fw_buf enc = FW_BUF_INIT;
			fw_column d;
			CHECK_OK(fw_column_encode(c, &enc));
			CHECK_OK(fw_column_decode(&d, c->name, c->type, enc.data, enc.len));
			CHECK_OK(fw_column_numbers(&d));
			fw_column_release(c);
			*c = d;
			fw_buf_release(&enc);
		}
		fw_column_stats(c, &s->st[k]);
		s->ptr[k] = c;
		s->names[k] = c->name;
	}
}

static void
want_set(const char *spec, uint8_t *want)
{
	const char *p = spec;
	int all = strncmp(spec, "all", 3) == 0;

	for (int r = 0; r < NREC; r++)
		want[r] = (uint8_t)all;
	if (all)
		p += 3;
	while (*p) {
		int del = 0;
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (*p == '-') {
			del = 1;
			p++;
		}
		long v = strtol(p, (char **)&p, 10);
		if (v >= 0 && v < NREC)
			want[v] = (uint8_t)!del;
	}
}

static void
show(const char *label, const uint8_t *m, int n)
{
	fprintf(stderr, "    %s:", label);
	for (int r = 0; r < n; r++)
		if (m[r])
			fprintf(stderr, " %d", r);
	fputc('\n', stderr);
}

static int stat_none, stat_all, stat_some;

void
test_filter_table(void)
{
	struct json_object *recs[NREC];
	colset full, builder, win[3][NREC];
	uint8_t want[NREC], got[NREC], vec[NREC];

	CHECK(NTABLE >= 100);
	for (int r = 0; r < NREC; r++) {
		CHECK_OK(fw_json_parse(&recs[r], records[r], strlen(records[r])));
	}
	build_columns(&full, recs, 0, NREC, 0);
	build_columns(&builder, recs, 0, NREC, 1);
	for (int w = 0; w < 3; w++)
		for (int a = 0; a + w + 1 <= NREC; a++)
			build_columns(&win[w][a], recs, a, a + w + 1, 0);

	for (int t = 0; t < NTABLE; t++) {
		fw_filter *f;
		int rc = fw_filter_parse(&f, table[t].expr);
		CHECK_MSG(rc == 0, "%s: %s", table[t].expr, fw_error_last());
		if (rc < 0)
			continue;
		want_set(table[t].want, want);
		for (int r = 0; r < NREC; r++)
			got[r] = (uint8_t)fw_filter_match(f, recs[r]);
		CHECK_MSG(memcmp(got, want, NREC) == 0, "record evaluation of %s",
		    table[t].expr);
		if (memcmp(got, want, NREC) != 0) {
			show("want", want, NREC);
			show("got ", got, NREC);
		}
		/* vectorised, all columns, decoded and builder */
		CHECK_OK(fw_filter_match_columns(f, full.ptr, full.n, NREC, vec));
		CHECK_MSG(memcmp(vec, got, NREC) == 0, "columns of %s", table[t].expr);
		if (memcmp(vec, got, NREC) != 0)
			show("vec ", vec, NREC);
		CHECK_OK(fw_filter_match_columns(f, builder.ptr, builder.n, NREC, vec));
		CHECK_MSG(memcmp(vec, got, NREC) == 0, "builder columns of %s", table[t].expr);
		/* whole set's statistics */
		int s = fw_filter_check_stats(f, full.names, full.st, full.n, NREC);
		int any = memchr(got, 1, NREC) != NULL, every = memchr(got, 0, NREC) == NULL;
		CHECK_MSG(s != FW_FILTER_NONE || !any, "stats NONE for %s", table[t].expr);
		CHECK_MSG(s != FW_FILTER_ALL || every, "stats ALL for %s", table[t].expr);
		/* windows of 1, 2, 3 rows: vectorised and statistics */
		for (int w = 0; w < 3; w++)
			for (int a = 0; a + w + 1 <= NREC; a++) {
				colset *cs = &win[w][a];
				uint32_t n = (uint32_t)w + 1;
				CHECK_OK(fw_filter_match_columns(f, cs->ptr, cs->n, n, vec));
				CHECK_MSG(memcmp(vec, got + a, n) == 0, "columns of %s, rows %d..%d",
				    table[t].expr, a, a + w);
				s = fw_filter_check_stats(f, cs->names, cs->st, cs->n, n);
				any = memchr(got + a, 1, n) != NULL;
				every = memchr(got + a, 0, n) == NULL;
				CHECK_MSG(s != FW_FILTER_NONE || !any, "stats NONE for %s, rows %d..%d",
				    table[t].expr, a, a + w);
				CHECK_MSG(s != FW_FILTER_ALL || every, "stats ALL for %s, rows %d..%d",
				    table[t].expr, a, a + w);
				stat_none += s == FW_FILTER_NONE;
				stat_all += s == FW_FILTER_ALL;
				stat_some += s == FW_FILTER_SOME;
			}
		fw_filter_free(f);
	}
	/* The statistics must decide often, or they help no reader. */
	CHECK(stat_none > 1000);
	CHECK(stat_all > 300);
	if (getenv("FW_TEST_VERBOSE"))
		fprintf(stderr, "  filter table: %d expressions, stats windows: "
		    "%d none, %d all, %d some\n", NTABLE, stat_none, stat_all, stat_some);
	colset_release(&full);
	colset_release(&builder);
	for (int w = 0; w < 3; w++)
		for (int a = 0; a + w + 1 <= NREC; a++)
			colset_release(&win[w][a]);
	for (int r = 0; r < NREC; r++)
		json_object_put(recs[r]);
}

/* Every error is found at parse time, with its column and a caret. */
void
test_filter_errors(void)
{
	static const struct { const char *expr, *msg; } cases[] = {
		{ "(reward > 0 and x", "filter: expected ')' at column 18" },
		{ "len(messages > 0", "filter: expected ')' at column 17" },
		{ "reward = 1", "filter: expected '==' (a single '=' is not an operator) at column 8" },
		{ "reward >", "filter: expected a value at column 9" },
		{ "reward > 0)", "filter: unbalanced ')' at column 11" },
		{ "reward > 0 source", "filter: expected an operator ('and', 'or', '==', ...) "
		  "or the end of the expression at column 12" },
		{ "", "filter: empty expression at column 1" },
		{ "   ", "filter: empty expression at column 1" },
		{ "foo(1)", "filter: unknown function 'foo' (functions: len, exists, lower, "
		  "startswith, contains, matches, count, any, all) at column 1" },
		{ "len(a, b)", "filter: len takes 1 argument at column 6" },
		{ "startswith(a)", "filter: expected ',' (startswith takes 2 arguments) at column 13" },
		{ "len()", "filter: len takes 1 argument at column 5" },
		{ "exists(1)", "filter: exists() takes a field path at column 8" },
		{ "matches(source, source)", "filter: matches() takes a regular expression "
		  "as a string literal at column 17" },
		{ "a == b == c", "filter: comparisons do not chain: add parentheses at column 8" },
		{ "a < b in c", "filter: comparisons do not chain: add parentheses at column 7" },
		{ "\"abc", "filter: unterminated string at column 1" },
		{ "x == \"a\\qb\"", "filter: bad escape in a string at column 8" },
		{ "x == \"\\ud800\"", "filter: lone surrogate escape in a string at column 7" },
		{ "x == \"a\tb\"", "filter: control character in a string (write it as an escape) at column 8" },
		{ "@ == 1", "filter: '@' (the element) is only meaningful inside any(), all() "
		  "or count() at column 1" },
		{ "$ == 1", "filter: expected a field name after '$' at column 2" },
		{ "$[0] == 1", "filter: expected a field name after '$' at column 2" },
		{ "messages[1.5]", "filter: an index must be an integer at column 10" },
		{ "messages[x]", "filter: expected an index or a quoted field name at column 10" },
		{ "messages[0", "filter: expected ']' at column 11" },
		{ "a.", "filter: expected a field name after '.' at column 3" },
		{ "a.1", "filter: expected a field name after '.' at column 3" },
		{ "x in [1, [2]]", "filter: nested arrays are not supported in an array literal at column 10" },
		{ "x in [1,]", "filter: expected a literal after ',' at column 9" },
		{ "x in [1 2]", "filter: expected ',' or ']' at column 9" },
		{ "x in [a]", "filter: expected a literal (number, string, true, false or null) at column 7" },
		{ "x == 1.", "filter: expected a digit after '.' at column 8" },
		{ "x == 1e", "filter: expected a digit in the exponent at column 8" },
		{ "x == 12abc", "filter: bad number at column 6" },
		{ "x == -", "filter: expected a number after '-' at column 6" },
		{ "x & y", "filter: expected '&&' at column 3" },
		{ "x | y", "filter: expected '||' at column 3" },
		{ "x not y", "filter: expected 'in' after 'not' (or an operator between values) at column 3" },
		{ "x == #", "filter: unexpected character at column 6" },
		{ "\"\xc3\xa9t\xc3\xa9\" == (", "filter: expected a value at column 11" },
		{ "x == \"\xff\"", "filter: invalid UTF-8 at column 7" },
		{ "and", "filter: expected a value, found 'and' at column 1" },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		fw_filter *f = (fw_filter *)1;
		int rc = fw_filter_parse(&f, cases[k].expr);
		const char *m = fw_error_last(), *nl = strchr(m, '\n');
		size_t first = nl ? (size_t)(nl - m) : strlen(m);
		CHECK_INT(rc, FW_EINVALID);
		CHECK(f == NULL);
		CHECK_MSG(first == strlen(cases[k].msg) && memcmp(m, cases[k].msg, first) == 0,
		    "%s: got \"%.*s\"", cases[k].expr, (int)first, m);
	}

	/* The whole message: the expression, and the caret under the column. */
	fw_filter *f;
	CHECK_INT(fw_filter_parse(&f, "len(messages > 0"), FW_EINVALID);
	CHECK_STR(fw_error_last(), "filter: expected ')' at column 17\n"
	    "  len(messages > 0\n"
	    "                  ^");
	/* Columns count characters, not bytes, so the caret lines up. */
	CHECK_INT(fw_filter_parse(&f, "source == \"\xc3\x9c\" and ="), FW_EINVALID);
	CHECK_STR(fw_error_last(), "filter: expected '==' (a single '=' is not an operator) "
	    "at column 19\n  source == \"\xc3\x9c\" and =\n                    ^");
	/* A bad regular expression is a parse error too. */
	CHECK_INT(fw_filter_parse(&f, "matches(x, \"a(b\")"), FW_EINVALID);
	CHECK(strncmp(fw_error_last(), "filter: bad regular expression: missing closing "
	    "parenthesis (at offset 3 of the pattern) at column 12", 95) == 0);

	/* Limits: nesting and length. */
	fw_buf b = FW_BUF_INIT;
	for (int k = 0; k < 100; k++)
		fw_buf_addc(&b, '(');
	fw_buf_adds(&b, "x");
	for (int k = 0; k < 100; k++)
		fw_buf_addc(&b, ')');
	CHECK_INT(fw_filter_parse(&f, b.data), FW_EINVALID);
	CHECK(strncmp(fw_error_last(), "filter: expression nested deeper than 64 at column 65", 53) == 0);
	fw_buf_reset(&b);
	for (int k = 0; k < 100; k++)
		fw_buf_adds(&b, "not ");
	fw_buf_adds(&b, "x");
	CHECK_INT(fw_filter_parse(&f, b.data), FW_EINVALID);
	fw_buf_reset(&b);
	for (int k = 0; k < 60; k++)
		fw_buf_adds(&b, "len(");
	fw_buf_adds(&b, "x");
	for (int k = 0; k < 60; k++)
		fw_buf_adds(&b, ")");
	CHECK_OK(fw_filter_parse(&f, b.data));
	fw_filter_free(f);
	/* A long chain is one node, not a deep tree. */
	fw_buf_reset(&b);
	fw_buf_adds(&b, "x == 0");
	for (int k = 1; k < 5000; k++)
		fw_buf_printf(&b, " or x == %d", k);
	CHECK_OK(fw_filter_parse(&f, b.data));
	struct json_object *rec;
	CHECK_OK(fw_json_parse(&rec, "{\"x\":4999}", 10));
	CHECK_INT(fw_filter_match(f, rec), 1);
	json_object_put(rec);
	fw_filter_free(f);
	fw_buf_reset(&b);
	while (b.len <= FW_FILTER_MAX_LEN)
		fw_buf_adds(&b, "x == 1 or ");
	fw_buf_adds(&b, "true");
	CHECK_INT(fw_filter_parse(&f, b.data), FW_EINVALID);
	CHECK_STR(fw_error_last(), "filter: expression longer than 65536 bytes");
	fw_buf_release(&b);
	CHECK_INT(fw_filter_parse(&f, NULL), FW_EINVALID);
}

/* What a reader needs: the columns to decode, the source text. */
void
test_filter_columns(void)
{
	fw_filter *f;
	const char *const *names;
	size_t n;

	CHECK_OK(fw_filter_parse(&f, "reward > 0 and source == \"x\" and "
	    "any(messages, role == \"tool\" and $.ts > 3) and reward < 9 and "
	    "outcome.resolved"));
	n = fw_filter_columns(f, &names);
	CHECK_INT(n, 5);
	if (n == 5) {
		CHECK_STR(names[0], "reward");
		CHECK_STR(names[1], "source");
		CHECK_STR(names[2], "messages");
		CHECK_STR(names[3], "ts");
		CHECK_STR(names[4], "outcome");
	}
	CHECK_STR(fw_filter_source(f), "reward > 0 and source == \"x\" and "
	    "any(messages, role == \"tool\" and $.ts > 3) and reward < 9 and "
	    "outcome.resolved");
	fw_filter_free(f);
	CHECK_OK(fw_filter_parse(&f, "true or 1 == 1"));
	CHECK_INT(fw_filter_columns(f, &names), 0);
	/* No column at all: every field is missing. */
	uint8_t m[3] = { 9, 9, 9 };
	CHECK_OK(fw_filter_match_columns(f, NULL, 0, 3, m));
	CHECK(m[0] == 1 && m[1] == 1 && m[2] == 1);
	fw_filter_free(f);
	fw_filter_free(NULL);

	/* A column shorter than the row group is refused. */
	fw_column c;
	const fw_column *cp = &c;
	fw_column_init(&c, "reward", FW_TYPE_F64);
	CHECK_OK(fw_column_append(&c, FW_KIND_NUMBER, "1", 1));
	CHECK_OK(fw_filter_parse(&f, "reward > 0"));
	CHECK_INT(fw_filter_match_columns(f, &cp, 1, 2, m), FW_EINVALID);
	CHECK_OK(fw_filter_match_columns(f, &cp, 1, 1, m));
	CHECK_INT(m[0], 1);
	/* Empty row groups: nothing to match. */
	CHECK_OK(fw_filter_match_columns(f, &cp, 1, 0, m));
	CHECK_INT(fw_filter_check_stats(f, NULL, NULL, 0, 0), FW_FILTER_NONE);
	/* Statistics decide the plain cases. */
	fw_colstats st;
	const char *nm = "reward";
	fw_column_stats(&c, &st);
	CHECK_INT(fw_filter_check_stats(f, &nm, &st, 1, 1), FW_FILTER_ALL);
	CHECK_INT(fw_filter_check_stats(f, NULL, NULL, 0, 1), FW_FILTER_NONE);
	fw_filter_free(f);
	CHECK_OK(fw_filter_parse(&f, "reward > 1"));
	CHECK_INT(fw_filter_check_stats(f, &nm, &st, 1, 1), FW_FILTER_NONE);
	fw_filter_free(f);
	CHECK_OK(fw_filter_parse(&f, "reward == null"));
	CHECK_INT(fw_filter_check_stats(f, NULL, NULL, 0, 1), FW_FILTER_ALL);
	/* Statistics without kinds decide nothing from kinds. */
	fw_colstats bare;
	memset(&bare, 0, sizeof(bare));
	bare.count = 1;
	CHECK_INT(fw_filter_check_stats(f, &nm, &bare, 1, 1), FW_FILTER_SOME);
	fw_filter_free(f);
	CHECK_OK(fw_filter_parse(&f, "reward > 0 or exists(reward) or reward.x == 1"));
	CHECK_INT(fw_filter_check_stats(f, &nm, &bare, 1, 1), FW_FILTER_SOME);
	fw_filter_free(f);
	fw_column_release(&c);
}

/* The examples of docs/filter.md parse. */
void
test_filter_doc_examples(void)
{
	static const char *const examples[] = {
		"reward > 0",
		"chosen != null and rejected != null",
		"source in [\"swe-agent\", \"tau-bench\"] and task.split == \"test\"",
		"count(messages, role == \"tool\") >= 2 and not \"flaky\" in tags",
		"reward >= 1 and outcome.tests_passed > 0 and source == \"swe-agent\"",
		"outcome.resolved and len(messages) <= 60",
		"pref.chosen != null and pref.chosen != pref.rejected",
		"task.split == \"test\"",
		"\"held-out\" in tags or matches(id, \"^eval-\")",
		"not (task.user_id in [\"u17\", \"u42\"])",
		"messages[0].role == \"system\" and messages[-1].role == \"assistant\"",
		"count(messages, role == \"tool\") >= 3",
		"any(messages, any(tool_calls, name == \"bash\"))",
		"all(messages, content != null)",
		"any(messages, role == \"assistant\" and matches(content, \"(?i)i cannot\"))",
		"reward == null or not exists(messages)",
		"lower(source) != source",
		"task[\"user-id\"] == 1 and $[\"my field\"] == 2 and x.in == x.null",
		"any(messages, role == \"assistant\" and $.reward > 0)",
		"not a == 1 or b",
	};
	for (size_t k = 0; k < sizeof(examples) / sizeof(examples[0]); k++) {
		fw_filter *f;
		int rc = fw_filter_parse(&f, examples[k]);
		CHECK_MSG(rc == 0, "%s: %s", examples[k], fw_error_last());
		fw_filter_free(f);
	}
	/* Nested any(): the inner predicate reads the inner element. */
	struct json_object *rec;
	fw_filter *f;
	const char *js = "{\"messages\":[{\"tool_calls\":[{\"name\":\"ls\"}]},"
	    "{\"tool_calls\":[{\"name\":\"bash\"}]}]}";
	CHECK_OK(fw_json_parse(&rec, js, strlen(js)));
	CHECK_OK(fw_filter_parse(&f, "any(messages, any(tool_calls, name == \"bash\"))"));
	CHECK_INT(fw_filter_match(f, rec), 1);
	fw_filter_free(f);
	CHECK_OK(fw_filter_parse(&f, "all(messages, any(tool_calls, name == \"bash\"))"));
	CHECK_INT(fw_filter_match(f, rec), 0);
	fw_filter_free(f);
	json_object_put(rec);
}

/* Column payloads are read in place: white space and escapes in them read
 * as json-c reads them, and malformed text is an error, not a crash. */
void
test_filter_scan(void)
{
	static const char *const payloads[] = {
		"{ \"a\" : [1, \"x\\u0041\", {\"k\\\"q\": true}] , \"b\":null, \"c\\u0064\": 2.50 }",
		"{\"a\":[],\"b\":{}}",
		"{\"a\":[\"xA\",\"\\ud83d\\ude00\",[[[]]],{\"\":\"\"}],\"cd\":-1}",
	};
	static const char *const exprs[] = {
		"o.a[1] == \"xA\"", "o.a[2][\"k\\\"q\"] == true", "o.a[-1][\"k\\\"q\"]",
		"len(o.a) == 3", "len(o.a) == 4", "o.b == null", "exists(o.b)", "\"xA\" in o.a",
		"o.cd == 2.5", "o.cd < 0", "len(o) == 3", "o.a[1] == \"\\ud83d\\ude00\"",
		"len(o.a[1]) == 1", "o.a[3][\"\"] == \"\"", "len(o.a[2]) == 1", "any(o.a, @ == 1)",
		"count(o.a, exists(@)) == len(o.a)", "len(o.b) == 0",
		"o.a == []", "o.a[0] == 1 and o.a[-3] == 1",
	};
	struct json_object *recs[3];
	fw_column c, d;
	const fw_column *cp = &d;
	fw_buf enc = FW_BUF_INIT;
	uint8_t m[3];

	fw_column_init(&c, "o", FW_TYPE_JSON);
	for (int k = 0; k < 3; k++) {
		char rec[512];
		snprintf(rec, sizeof(rec), "{\"o\":%s}", payloads[k]);
		CHECK_OK(fw_json_parse(&recs[k], rec, strlen(rec)));
		CHECK_OK(fw_column_append(&c, FW_KIND_OBJECT, payloads[k], strlen(payloads[k])));
	}
	CHECK_OK(fw_column_encode(&c, &enc));
	CHECK_OK(fw_column_decode(&d, "o", FW_TYPE_JSON, enc.data, enc.len));
	for (size_t e = 0; e < sizeof(exprs) / sizeof(exprs[0]); e++) {
		fw_filter *f;
		if (fw_filter_parse(&f, exprs[e]) < 0) {
			CHECK_MSG(0, "%s: %s", exprs[e], fw_error_last());
			continue;
		}
		CHECK_OK(fw_filter_match_columns(f, &cp, 1, 3, m));
		for (int k = 0; k < 3; k++)
			CHECK_MSG(m[k] == fw_filter_match(f, recs[k]), "%s on %s", exprs[e],
			    payloads[k]);
		fw_filter_free(f);
	}
	/* Some of these must hold, or the comparison above proves little. */
	fw_filter *f;
	CHECK_OK(fw_filter_parse(&f, "o.a[2][\"k\\\"q\"] and o.cd == 2.5 and "
	    "\"xA\" in o.a and len(o.a) == 3"));
	CHECK_OK(fw_filter_match_columns(f, &cp, 1, 3, m));
	CHECK(m[0] == 1 && m[1] == 0 && m[2] == 0);
	fw_filter_free(f);
	for (int k = 0; k < 3; k++)
		json_object_put(recs[k]);
	fw_column_release(&c);
	fw_column_release(&d);

	/* Malformed payloads: every truncation is an error or an answer. */
	const char *good = payloads[0];
	CHECK_OK(fw_filter_parse(&f, "len(o) > 0 and o.a[-1][\"k\\\"q\"] and \"xA\" in o.a"));
	for (size_t cut = 0; cut < strlen(good); cut++) {
		fw_column t;
		const fw_column *tp = &t;
		fw_column_init(&t, "o", FW_TYPE_JSON);
		CHECK_OK(fw_column_append(&t, FW_KIND_OBJECT, good, cut));
		int rc = fw_filter_match_columns(f, &tp, 1, 1, m);
		CHECK(rc == 0 || rc == FW_ECORRUPT);
		fw_column_release(&t);
	}
	fw_filter_free(f);
	/* A payload that is not what its kind says: an array's text as an
	 * object (an empty key once matched its elements), an object's as an
	 * array. Corrupt, not an answer (fuzz_filter_json found the first). */
	static const struct { fw_kind k; const char *p, *e; } lies[] = {
		{ FW_KIND_OBJECT, "[1]", "o[\"\"] == 1" },
		{ FW_KIND_OBJECT, "[{\"a\":1}]", "o.a == 1" },
		{ FW_KIND_ARRAY, "{\"a\":1}", "o[0] == 1" },
	};
	for (size_t k = 0; k < sizeof(lies) / sizeof(lies[0]); k++) {
		fw_column t;
		const fw_column *tp = &t;
		fw_column_init(&t, "o", FW_TYPE_JSON);
		CHECK_OK(fw_column_append(&t, lies[k].k, lies[k].p, strlen(lies[k].p)));
		CHECK_OK(fw_filter_parse(&f, lies[k].e));
		CHECK_INT(fw_filter_match_columns(f, &tp, 1, 1, m), FW_ECORRUPT);
		fw_filter_free(f);
		fw_column_release(&t);
	}
	fw_buf_release(&enc);
}

/* Invalid UTF-8 is found where it is, in linear time. */
void
test_filter_utf8(void)
{
	fw_buf b = FW_BUF_INIT;
	fw_filter *f;

	CHECK_INT(fw_filter_parse(&f, "x == \"\xc3\xa9\xe2\x82\""), FW_EINVALID);
	CHECK(strncmp(fw_error_last(), "filter: invalid UTF-8 at column 8", 33) == 0);
	CHECK_INT(fw_filter_parse(&f, "x == \"\xed\xa0\x80\""), FW_EINVALID);	/* a surrogate */
	CHECK(strncmp(fw_error_last(), "filter: invalid UTF-8 at column 7", 33) == 0);
	fw_buf_adds(&b, "x == \"");
	while (b.len < FW_FILTER_MAX_LEN - 10)
		fw_buf_adds(&b, "\xc3\xa9");
	fw_buf_adds(&b, "\x80\"");
	CHECK_INT(fw_filter_parse(&f, b.data), FW_EINVALID);
	CHECK(strstr(fw_error_last(), "invalid UTF-8 at column 32767") != NULL);
	fw_buf_release(&b);
}
