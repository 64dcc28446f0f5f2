/*
 * filter-bench: how fast filters run over a row group's columns, against the
 * same filters on json-c records, and how many row groups statistics skip.
 *
 *   build/filter-bench [ROWS [ROWS_PER_GROUP]]     (default 1000000 2000)
 *
 * Rows are generated one row group at a time (nothing holds the corpus),
 * modelled on agent trajectories: id, source (skewed over five agents),
 * reward (0, 1, fractions, some null), ts (arrival time, increasing),
 * tags, outcome {tests_passed, resolved} and messages (2 to 12 turns of
 * user/assistant/tool with 20 to 400 characters of content). Each row group's
 * columns go through fw_column_encode/fw_column_decode, as a reader gets
 * them. Only evaluation is timed (thread CPU time): building the json-c
 * records for the per-record figures is not, which flatters that path.
 */
#include "fw/column.h"
#include "fw/error.h"
#include "fw/filter.h"
#include "fw/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const filters[] = {
	"reward > 0",
	"reward > 0 and source == \"swe-agent\"",
	"source in [\"swe-agent\", \"tau-bench\"] and reward != null",
	"\"bugfix\" in tags",
	"outcome.resolved == true",
	"count(messages, role == \"tool\") >= 2",
};
#define NFILTERS (sizeof(filters) / sizeof(filters[0]))

#define NFIELDS 7
static const char *const fields[NFIELDS] = {
	"id", "source", "reward", "ts", "tags", "outcome", "messages",
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double
now(void)
{
	struct timespec t;

	/* CPU time of this thread: the machine is shared, and time spent
	 * descheduled is not the filter's. */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void
text(fw_buf *b, size_t n)
{
	static const char *const words[] = { "the", "test", "fails", "because",
	    "function", "returns", "None", "patch", "file", "line", "error",
	    "flight", "booking", "user", "assert", "import", "def", "self" };
	size_t start = b->len;

	while (b->len - start < n) {
		fw_buf_adds(b, words[rnd() % (sizeof(words) / sizeof(words[0]))]);
		fw_buf_addc(b, ' ');
	}
}

/* One record's JSON text; row is its arrival order. */
static void
record(fw_buf *b, uint64_t row)
{
	static const char *const sources[] = { "swe-agent", "swe-agent", "swe-agent",
	    "tau-bench", "tau-bench", "openhands", "human", "aider" };
	static const char *const tags[] = { "bugfix", "feature", "python", "refactor",
	    "eval", "docs" };
	static const char *const roles[] = { "assistant", "tool", "user" };
	uint64_t r = rnd();

	fw_buf_reset(b);
	fw_buf_printf(b, "{\"id\":\"t%08llu\",\"source\":\"%s\",", (unsigned long long)row,
	    sources[r % 8]);
	switch ((r >> 3) % 8) {
	case 0: fw_buf_adds(b, "\"reward\":null,"); break;
	case 1: case 2: case 3: fw_buf_adds(b, "\"reward\":0,"); break;
	case 4: case 5: fw_buf_adds(b, "\"reward\":1,"); break;
	default: fw_buf_printf(b, "\"reward\":%.3f,", (double)(rnd() % 2001) / 1000.0 - 1.0);
	}
	/* Arrival time: ns since the first record, a few ms apart. */
	fw_buf_printf(b, "\"ts\":%llu,", (unsigned long long)(row * 3000000ull +
	    rnd() % 1000000));
	fw_buf_adds(b, "\"tags\":[");
	for (uint64_t k = 0, n = (r >> 6) % 4; k < n; k++)
		fw_buf_printf(b, "%s\"%s\"", k ? "," : "", tags[rnd() % 6]);
	fw_buf_adds(b, "],");
	if ((r >> 8) % 4 != 0)
		fw_buf_printf(b, "\"outcome\":{\"tests_passed\":%llu,\"resolved\":%s},",
		    (unsigned long long)(rnd() % 50), (r >> 10) % 3 == 0 ? "true" : "false");
	fw_buf_adds(b, "\"messages\":[{\"role\":\"system\",\"content\":\"You are a coding agent.\"}");
	for (uint64_t k = 0, n = 2 + (r >> 12) % 11; k < n; k++) {
		fw_buf_printf(b, ",{\"role\":\"%s\",\"content\":\"", k == 0 ? "user" :
		    roles[rnd() % 3]);
		text(b, 20 + rnd() % 380);
		fw_buf_adds(b, "\"}");
	}
	fw_buf_adds(b, "]}");
}

static void
append(fw_column *c, struct json_object *v, int present, fw_buf *tmp)
{
	if (!present) {
		fw_column_append(c, FW_KIND_MISSING, NULL, 0);
		return;
	}
	switch (json_object_get_type(v)) {
	case json_type_null:
		fw_column_append(c, FW_KIND_NULL, NULL, 0);
		break;
	case json_type_boolean:
		fw_column_append(c, json_object_get_boolean(v) ? FW_KIND_TRUE :
		    FW_KIND_FALSE, NULL, 0);
		break;
	case json_type_int:
	case json_type_double:
		fw_column_append(c, FW_KIND_NUMBER, fw_json_number_text(v),
		    strlen(fw_json_number_text(v)));
		break;
	case json_type_string:
		fw_column_append(c, FW_KIND_STRING, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		break;
	default:
		fw_buf_reset(tmp);
		fw_json_canon(tmp, v);
		fw_column_append(c, json_object_is_type(v, json_type_array) ?
		    FW_KIND_ARRAY : FW_KIND_OBJECT, tmp->data, tmp->len);
	}
}

int
main(int argc, char **argv)
{
	uint64_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
	uint32_t group = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 2000;
	fw_filter *f[NFILTERS], *sel[3], *warm;
	double tcol[NFILTERS] = { 0 }, trec[NFILTERS] = { 0 }, tstat = 0;
	uint64_t hits[NFILTERS] = { 0 }, groups = 0, skipped[3] = { 0 }, all[3] = { 0 };
	uint64_t selhits[3] = { 0 }, bytes = 0;
	struct json_object **recs;
	uint8_t *m1, *m2;
	fw_buf js = FW_BUF_INIT, tmp = FW_BUF_INIT, enc = FW_BUF_INIT;
	char selexpr[3][160];

	if (rows == 0 || group == 0) {
		fprintf(stderr, "usage: filter-bench [ROWS [ROWS_PER_GROUP]]\n");
		return 2;
	}
	/* Selective filters on arrival order: the last 1% of the corpus, and one
	 * hour of arrivals (1.2 M rows arrive per hour at 3 ms apart). */
	snprintf(selexpr[0], sizeof(selexpr[0]), "ts >= %llu",
	    (unsigned long long)(rows * 99 / 100 * 3000000ull));
	snprintf(selexpr[1], sizeof(selexpr[1]), "ts >= %llu and ts < %llu and reward > 0",
	    (unsigned long long)(rows / 2 * 3000000ull),
	    (unsigned long long)((rows / 2 + rows / 20) * 3000000ull));
	snprintf(selexpr[2], sizeof(selexpr[2]), "reward > 0 and source == \"swe-agent\"");
	for (size_t k = 0; k < NFILTERS; k++)
		if (fw_filter_parse(&f[k], filters[k]) < 0) {
			fprintf(stderr, "fw: %s\n", fw_error_last());
			return 1;
		}
	if (fw_filter_parse(&warm, "exists(id) and exists(reward)") < 0)
		return 1;
	for (size_t k = 0; k < 3; k++)
		if (fw_filter_parse(&sel[k], selexpr[k]) < 0) {
			fprintf(stderr, "fw: %s\n", fw_error_last());
			return 1;
		}
	recs = calloc(group, sizeof(*recs));
	m1 = malloc(group);
	m2 = malloc(group);
	if (!recs || !m1 || !m2)
		return 1;

	for (uint64_t base = 0; base < rows; base += group) {
		uint32_t n = rows - base < group ? (uint32_t)(rows - base) : group;
		fw_column cols[NFIELDS];
		const fw_column *cp[NFIELDS];
		fw_colstats st[NFIELDS];

		for (uint32_t r = 0; r < n; r++) {
			record(&js, base + r);
			bytes += js.len;
			if (fw_json_parse(&recs[r], js.data, js.len) < 0) {
				fprintf(stderr, "fw: %s\n", fw_error_last());
				return 1;
			}
		}
		for (int c = 0; c < NFIELDS; c++) {
			fw_column b;
			fw_column_init(&b, fields[c], FW_TYPE_JSON);
			for (uint32_t r = 0; r < n; r++) {
				struct json_object *v = NULL;
				int present = json_object_object_get_ex(recs[r], fields[c], &v);
				append(&b, v, present, &tmp);
			}
			fw_buf_reset(&enc);
			fw_column_encode(&b, &enc);
			if (fw_column_decode(&cols[c], fields[c], FW_TYPE_JSON, enc.data, enc.len) < 0 ||
			    fw_column_numbers(&cols[c]) < 0)
				return 1;
			fw_column_release(&b);
			fw_column_stats(&cols[c], &st[c]);
			cp[c] = &cols[c];
		}
		/* Warm both paths once, untimed, so that the first filter does not
		 * pay for the caches alone. */
		if (fw_filter_match_columns(warm, cp, NFIELDS, n, m1) < 0)
			return 1;
		for (uint32_t r = 0; r < n; r++)
			m2[r] = (uint8_t)fw_filter_match(warm, recs[r]);
		for (size_t k = 0; k < NFILTERS; k++) {
			double t0 = now();
			if (fw_filter_match_columns(f[k], cp, NFIELDS, n, m1) < 0) {
				fprintf(stderr, "fw: %s\n", fw_error_last());
				return 1;
			}
			double t1 = now();
			for (uint32_t r = 0; r < n; r++)
				m2[r] = (uint8_t)fw_filter_match(f[k], recs[r]);
			double t2 = now();
			tcol[k] += t1 - t0;
			trec[k] += t2 - t1;
			if (memcmp(m1, m2, n) != 0) {
				fprintf(stderr, "filter-bench: columns and records disagree on %s\n",
				    filters[k]);
				return 1;
			}
			for (uint32_t r = 0; r < n; r++)
				hits[k] += m1[r];
		}
		for (size_t k = 0; k < 3; k++) {
			double t0 = now();
			int s = fw_filter_check_stats(sel[k], fields, st, NFIELDS, n);
			tstat += now() - t0;
			if (fw_filter_match_columns(sel[k], cp, NFIELDS, n, m1) < 0)
				return 1;
			uint32_t h = 0;
			for (uint32_t r = 0; r < n; r++)
				h += m1[r];
			selhits[k] += h;
			if ((s == FW_FILTER_NONE && h) || (s == FW_FILTER_ALL && h != n)) {
				fprintf(stderr, "filter-bench: unsound statistics for %s\n", selexpr[k]);
				return 1;
			}
			skipped[k] += s == FW_FILTER_NONE;
			all[k] += s == FW_FILTER_ALL;
		}
		groups++;
		for (int c = 0; c < NFIELDS; c++)
			fw_column_release(&cols[c]);
		for (uint32_t r = 0; r < n; r++)
			json_object_put(recs[r]);
	}

	printf("filter-bench: %llu rows (%.0f MB of JSON), %llu row groups of %u rows\n",
	    (unsigned long long)rows, (double)bytes / 1e6, (unsigned long long)groups, group);
	printf("%-58s %14s %14s %8s %8s\n", "filter", "columns rows/s", "records rows/s",
	    "speed-up", "matched");
	for (size_t k = 0; k < NFILTERS; k++)
		printf("%-58s %12.1f M %12.1f M %7.1fx %7.1f%%\n", filters[k],
		    (double)rows / tcol[k] / 1e6, (double)rows / trec[k] / 1e6,
		    trec[k] / tcol[k], 100.0 * (double)hits[k] / (double)rows);
	printf("\nrow groups skipped by statistics (arrival-ordered corpus):\n");
	for (size_t k = 0; k < 3; k++)
		printf("  %-62s %5.1f%% skipped, %5.1f%% all-match, %5.2f%% of rows match\n",
		    selexpr[k], 100.0 * (double)skipped[k] / (double)groups,
		    100.0 * (double)all[k] / (double)groups,
		    100.0 * (double)selhits[k] / (double)rows);
	printf("  statistics check: %.2f us per row group and filter\n",
	    tstat / (double)(groups * 3) * 1e6);
	for (size_t k = 0; k < NFILTERS; k++)
		fw_filter_free(f[k]);
	for (size_t k = 0; k < 3; k++)
		fw_filter_free(sel[k]);
	fw_filter_free(warm);
	free(recs);
	free(m1);
	free(m2);
	fw_buf_release(&js);
	fw_buf_release(&tmp);
	fw_buf_release(&enc);
	return 0;
}
