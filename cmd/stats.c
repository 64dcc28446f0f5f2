#include "cmd.h"
#include "fw/error.h"
#include "fw/filter.h"
#include "fw/json.h"
#include "fw/maint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
	"fw stats CORPUS[@REV] [--where EXPR] [--json]",
	NULL,
};

static void
jnum(fw_buf *b, double v)
{
	if (isfinite(v))
		fw_buf_printf(b, "%.17g", v);
	else
		fw_buf_printf(b, "null");
}

static void
jstr(fw_buf *b, const char *s)
{
	fw_json_quote(b, s, strlen(s));
}

static void
print_json(const fw_rev *rev, const fw_stats *st, const char *where)
{
	fw_buf b = FW_BUF_INIT;

	fw_buf_printf(&b, "{\"corpus\":");
	jstr(&b, rev->corpus);
	fw_buf_printf(&b, ",\"commit\":\"%s\",\"where\":", rev->commit);
	if (where)
		jstr(&b, where);
	else
		fw_buf_printf(&b, "null");
	fw_buf_printf(&b, ",\"records\":%llu,\"bytes\":%llu,\"stored\":%llu,"
	    "\"row_groups\":%llu,\"row_groups_read\":%llu,\"row_groups_skipped\":%llu,"
	    "\"columns\":[", (unsigned long long)st->records, (unsigned long long)st->bytes,
	    (unsigned long long)st->stored, (unsigned long long)st->groups,
	    (unsigned long long)st->groups_read, (unsigned long long)st->groups_skipped);
	for (size_t i = 0; i < st->ncols; i++) {
		const fw_stats_column *c = &st->cols[i];
		fw_buf_printf(&b, "%s{\"name\":", i ? "," : "");
		jstr(&b, c->name);
		fw_buf_printf(&b, ",\"type\":\"%s\",\"count\":%llu,\"nulls\":%llu,\"bytes\":%llu,"
		    "\"numbers\":%llu", c->type, (unsigned long long)c->count,
		    (unsigned long long)c->nulls, (unsigned long long)c->bytes,
		    (unsigned long long)c->nnum);
		if (c->nnum) {
			fw_buf_printf(&b, ",\"min\":");
			jnum(&b, c->min);
			fw_buf_printf(&b, ",\"max\":");
			jnum(&b, c->max);
			fw_buf_printf(&b, ",\"mean\":");
			jnum(&b, c->sum / (double)c->nnum);
		}
		fw_buf_printf(&b, "}");
	}
	fw_buf_printf(&b, "],\"reward\":{\"count\":%llu,\"zero\":%llu,\"one\":%llu",
	    (unsigned long long)st->reward_n, (unsigned long long)st->reward_zero,
	    (unsigned long long)st->reward_one);
	if (st->reward_n) {
		fw_buf_printf(&b, ",\"min\":");
		jnum(&b, st->reward_min);
		fw_buf_printf(&b, ",\"max\":");
		jnum(&b, st->reward_max);
		fw_buf_printf(&b, ",\"bins\":[");
		for (int i = 0; i < FW_STATS_BINS; i++)
			fw_buf_printf(&b, "%s%llu", i ? "," : "", (unsigned long long)st->reward_bins[i]);
		fw_buf_printf(&b, "]");
	}
	fw_buf_printf(&b, "},\"messages\":{\"records\":%llu,\"without\":%llu",
	    (unsigned long long)st->msg_n, (unsigned long long)st->msg_other);
	if (st->msg_n) {
		fw_buf_printf(&b, ",\"min\":%llu,\"median\":%llu,\"p90\":%llu,\"max\":%llu,\"mean\":",
		    (unsigned long long)st->msg_min, (unsigned long long)st->msg_p50,
		    (unsigned long long)st->msg_p90, (unsigned long long)st->msg_max);
		jnum(&b, (double)st->msg_total / (double)st->msg_n);
		fw_buf_printf(&b, ",\"buckets\":[");
		int first = 1;
		for (int k = 0; k < 33; k++) {
			if (!st->msg_buckets[k])
				continue;
			fw_buf_printf(&b, "%s{\"from\":%llu,\"to\":%llu,\"records\":%llu}",
			    first ? "" : ",", k ? 1ull << (k - 1) : 0ull,
			    k ? (1ull << k) - 1 : 0ull, (unsigned long long)st->msg_buckets[k]);
			first = 0;
		}
		fw_buf_printf(&b, "]");
	}
	fw_buf_printf(&b, "},\"sources\":{\"distinct\":%llu,\"without\":%llu,\"top\":[",
	    (unsigned long long)st->source_distinct, (unsigned long long)st->source_other);
	for (size_t i = 0; i < st->nsources; i++) {
		fw_buf_printf(&b, "%s{\"source\":", i ? "," : "");
		jstr(&b, st->sources[i].name);
		fw_buf_printf(&b, ",\"records\":%llu}", (unsigned long long)st->sources[i].count);
	}
	fw_buf_printf(&b, "]}}\n");
	fwrite(b.data, 1, b.len, stdout);
	fw_buf_release(&b);
}

static void
print_text(const fw_rev *rev, const fw_stats *st, const char *where)
{
	printf("version     %s@%.12s%s%s\n", rev->corpus, rev->commit, where ? " where " : "",
	    where ? where : "");
	printf("records     %llu\n", (unsigned long long)st->records);
	printf("bytes       %llu\n", (unsigned long long)st->bytes);
	printf("stored      %llu (the whole version)\n", (unsigned long long)st->stored);
	printf("row groups  %llu (%llu read, %llu skipped by their statistics)\n",
	    (unsigned long long)st->groups, (unsigned long long)st->groups_read,
	    (unsigned long long)st->groups_skipped);
	printf("\n%-20s %-5s %10s %10s %12s %12s %12s\n", "column", "type", "nulls", "numbers",
	    "min", "max", "mean");
	for (size_t i = 0; i < st->ncols; i++) {
		const fw_stats_column *c = &st->cols[i];
		printf("%-20s %-5s %10llu %10llu", c->name, c->type, (unsigned long long)c->nulls,
		    (unsigned long long)c->nnum);
		if (c->nnum)
			printf(" %12.6g %12.6g %12.6g", c->min, c->max, c->sum / (double)c->nnum);
		printf("\n");
	}
	printf("\nreward      %llu numbers, %llu are 0, %llu are 1\n",
	    (unsigned long long)st->reward_n, (unsigned long long)st->reward_zero,
	    (unsigned long long)st->reward_one);
	if (st->reward_n) {
		double w = (st->reward_max - st->reward_min) / FW_STATS_BINS;
		for (int i = 0; i < FW_STATS_BINS; i++)
			printf("  [%.6g, %.6g%c %llu\n", st->reward_min + w * i,
			    i == FW_STATS_BINS - 1 ? st->reward_max : st->reward_min + w * (i + 1),
			    i == FW_STATS_BINS - 1 ? ']' : ')', (unsigned long long)st->reward_bins[i]);
	}
	printf("\nmessages    %llu records with a messages array, %llu without\n",
	    (unsigned long long)st->msg_n, (unsigned long long)st->msg_other);
	if (st->msg_n) {
		printf("  min %llu, median %llu, p90 %llu, max %llu, mean %.2f\n",
		    (unsigned long long)st->msg_min, (unsigned long long)st->msg_p50,
		    (unsigned long long)st->msg_p90, (unsigned long long)st->msg_max,
		    (double)st->msg_total / (double)st->msg_n);
		for (int k = 0; k < 33; k++)
			if (st->msg_buckets[k])
				printf("  %llu-%llu %llu\n", k ? 1ull << (k - 1) : 0ull,
				    k ? (1ull << k) - 1 : 0ull, (unsigned long long)st->msg_buckets[k]);
	}
	printf("\nsources     %llu distinct, %llu records without one\n",
	    (unsigned long long)st->source_distinct, (unsigned long long)st->source_other);
	for (size_t i = 0; i < st->nsources; i++)
		printf("  %-30s %llu\n", st->sources[i].name, (unsigned long long)st->sources[i].count);
}

int
cmd_stats(int argc, char **argv)
{
	const char *where = NULL;
	int json = 0;
	const struct fw_opt opts[] = {
		{ 'w', "where", FW_OPT_STR, "EXPR", "only the records the filter selects (fw-filter(7))", &where },
		{ 0, "json", FW_OPT_FLAG, NULL, "print one JSON object", &json },
		FW_OPT_TABLE_END,
	};
	fw_filter *filter = NULL;
	fw_stats st;
	fw_rev rev;
	char **args;
	int nargs, rc;

	if ((rc = fw_opt_parse("stats", usage, opts, argc, argv, &args, &nargs)) != 0)
		return rc == 1 ? 0 : rc;
	if (nargs != 1) {
		free(args);
		return fw_usage_error("stats", usage, "expected one CORPUS[@REV]");
	}
	if (where && fw_filter_parse(&filter, where) < 0) {
		free(args);
		return fw_fail();
	}
	rc = fw_rev_resolve(cmd_store(), &rev, args[0]);
	if (rc == 0)
		rc = fw_stats_compute(cmd_store(), &st, &rev, filter);
	if (rc == 0) {
		if (json)
			print_json(&rev, &st, where);
		else
			print_text(&rev, &st, where);
		fw_stats_release(&st);
	}
	fw_filter_free(filter);
	free(args);
	return rc < 0 ? fw_fail() : 0;
}
