/*
 * libFuzzer target for the filter parser, and a differential check of the
 * three evaluators: whatever parses is evaluated on a few fixed records, on
 * their columns and on their statistics, and any disagreement (or a NONE/ALL
 * that the rows contradict) traps.
 */
#include "fw/column.h"
#include "fw/error.h"
#include "fw/filter.h"
#include "fw/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const records[] = {
	"{\"id\":\"a\",\"source\":\"swe-agent\",\"reward\":1,\"tags\":[\"bugfix\",2],"
	"\"outcome\":{\"tests_passed\":3,\"ok\":true},\"messages\":[{\"role\":\"user\","
	"\"content\":\"h\\u00e9llo\"},{\"role\":\"tool\",\"content\":null}],\"flag\":true}",
	"{\"id\":\"b\",\"source\":\"tau\",\"reward\":-0.5,\"tags\":[],\"chosen\":null,"
	"\"messages\":[],\"flag\":false}",
	"{\"id\":\"c\",\"reward\":\"1\",\"source\":\"\",\"tags\":\"x\",\"outcome\":null}",
	"{\"id\":\"d\",\"reward\":9007199254740993,\"source\":\"TAU\",\"n\":1e400}",
	"{\"id\":\"e\"}",
};
#define NREC ((int)(sizeof(records) / sizeof(records[0])))

static struct json_object *recs[NREC];
static fw_column cols[16];
static const fw_column *colp[16];
static const char *names[16];
static fw_colstats stats[16];
static size_t ncols;

static void
add_row(fw_column *c, struct json_object *v, int present)
{
	fw_buf b = FW_BUF_INIT;

	if (!present)
		fw_column_append(c, FW_KIND_MISSING, NULL, 0);
	else if (v == NULL)
		fw_column_append(c, FW_KIND_NULL, NULL, 0);
	else if (json_object_is_type(v, json_type_boolean))
		fw_column_append(c, json_object_get_boolean(v) ? FW_KIND_TRUE :
		    FW_KIND_FALSE, NULL, 0);
	else if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
		fw_column_append(c, FW_KIND_NUMBER, fw_json_number_text(v),
		    strlen(fw_json_number_text(v)));
	else if (json_object_is_type(v, json_type_string))
		fw_column_append(c, FW_KIND_STRING, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
	else {
		fw_json_canon(&b, v);
		fw_column_append(c, json_object_is_type(v, json_type_array) ?
		    FW_KIND_ARRAY : FW_KIND_OBJECT, b.data, b.len);
	}
	fw_buf_release(&b);
}

static void
setup(void)
{
	for (int r = 0; r < NREC; r++) {
		if (fw_json_parse(&recs[r], records[r], strlen(records[r])) < 0)
			abort();
		json_object_object_foreach(recs[r], key, val) {
			size_t k;
			(void)val;
			for (k = 0; k < ncols; k++)
				if (strcmp(cols[k].name, key) == 0)
					break;
			if (k == ncols)
				fw_column_init(&cols[ncols++], key, FW_TYPE_JSON);
		}
	}
	for (size_t k = 0; k < ncols; k++) {
		fw_column tmp;
		fw_buf enc = FW_BUF_INIT;
		for (int r = 0; r < NREC; r++) {
			struct json_object *v = NULL;
			int present = json_object_object_get_ex(recs[r], cols[k].name, &v);
			add_row(&cols[k], v, present);
		}
		fw_column_encode(&cols[k], &enc);
		if (fw_column_decode(&tmp, cols[k].name, FW_TYPE_JSON, enc.data, enc.len) < 0 ||
		    fw_column_numbers(&tmp) < 0)
			abort();
		fw_column_release(&cols[k]);
		cols[k] = tmp;
		fw_buf_release(&enc);
		fw_column_stats(&cols[k], &stats[k]);
		colp[k] = &cols[k];
		names[k] = cols[k].name;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	fw_filter *f;
	char *expr;
	uint8_t rec[NREC], vec[NREC];
	int failed = 0;

	if (!ready) {
		setup();
		ready = 1;
	}
	if ((expr = malloc(size + 1)) == NULL)
		return 0;
	memcpy(expr, data, size);
	expr[size] = '\0';
	if (fw_filter_parse(&f, expr) < 0) {
		free(expr);
		return 0;
	}
	for (int r = 0; r < NREC; r++) {
		int m = fw_filter_match(f, recs[r]);
		failed |= m < 0;
		rec[r] = (uint8_t)(m > 0);
	}
	if (fw_filter_match_columns(f, colp, ncols, NREC, vec) < 0)
		failed = 1;
	if (!failed && memcmp(rec, vec, NREC) != 0)
		__builtin_trap();	/* record and column evaluation disagree */
	for (int a = 0; !failed && a < NREC; a++)
		for (int b = a + 1; b <= NREC; b++) {
			/* Statistics of rows a..b-1: built from the full columns'
			 * rows, as a writer would compute them. */
			fw_colstats st[16];
			for (size_t k = 0; k < ncols; k++) {
				fw_column sub;
				fw_column_init(&sub, cols[k].name, FW_TYPE_JSON);
				for (int r = a; r < b; r++)
					fw_column_append(&sub, cols[k].kind[r],
					    cols[k].data + cols[k].off[r],
					    cols[k].off[r + 1] - cols[k].off[r]);
				fw_column_stats(&sub, &st[k]);
				fw_column_release(&sub);
			}
			int s = fw_filter_check_stats(f, names, st, ncols, (uint32_t)(b - a));
			int any = memchr(rec + a, 1, (size_t)(b - a)) != NULL;
			int every = memchr(rec + a, 0, (size_t)(b - a)) == NULL;
			if ((s == FW_FILTER_NONE && any) || (s == FW_FILTER_ALL && !every))
				__builtin_trap();	/* unsound statistics answer */
		}
	(void)stats;
	fw_filter_free(f);
	free(expr);
	return 0;
}
