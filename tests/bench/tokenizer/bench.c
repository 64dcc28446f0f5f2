/*
 * fw's tokenizer speed on one core: loads a tokenizer.json (time and peak
 * memory), reads the texts of an oracle file (one JSON object a line with a
 * "text"), encodes all of them REPEAT times and prints one JSON line.
 *
 *   bench TOKENIZER.json ORACLE.jsonl.gz [REPEAT]
 *
 * Built and run by tests/bench/tokenizer/run.sh.
 */
#include "fw/error.h"
#include "fw/json.h"
#include "fw/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zlib.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
peak_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int
main(int argc, char **argv)
{
	fw_tokenizer *tok = NULL;
	fw_buf all = FW_BUF_INIT;
	fw_ids ids = FW_IDS_INIT;
	struct json_object **texts = NULL;
	size_t ntexts = 0, bytes = 0, tokens = 0;
	int repeat = argc > 3 ? atoi(argv[3]) : 3, n;
	gzFile f;

	if (argc < 3) {
		fprintf(stderr, "usage: bench TOKENIZER.json ORACLE.jsonl.gz [REPEAT]\n");
		return 2;
	}
	long rss0 = peak_rss_kb();
	double t0 = now(), c0 = cpu();
	if (fw_tokenizer_load(&tok, argv[1]) < 0) {
		fprintf(stderr, "bench: %s\n", fw_error_last());
		return 1;
	}
	double load_ms = (now() - t0) * 1e3, load_cpu_ms = (cpu() - c0) * 1e3;
	long rss_load = peak_rss_kb();
	if ((f = gzopen(argv[2], "rb")) == NULL) {
		fprintf(stderr, "bench: cannot open %s\n", argv[2]);
		return 1;
	}
	while (fw_buf_grow(&all, 1 << 20) == 0 &&
	    (n = gzread(f, all.data + all.len, (unsigned)(all.cap - all.len - 1))) > 0) {
		all.len += (size_t)n;
		all.data[all.len] = 0;
	}
	gzclose(f);
	for (char *line = all.data, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		struct json_object *o = NULL, *t;
		nl = strchr(line, '\n');
		if (fw_json_parse(&o, line, nl ? (size_t)(nl - line) : strlen(line)) < 0 ||
		    !json_object_object_get_ex(o, "text", &t)) {
			fprintf(stderr, "bench: bad line in %s\n", argv[2]);
			return 1;
		}
		texts = realloc(texts, sizeof(*texts) * (ntexts + 1));
		texts[ntexts++] = o;
		bytes += (size_t)json_object_get_string_len(t);
	}
	double best = 1e9, cold = 0;
	for (int r = 0; r < repeat + 1; r++) {	/* the first pass warms up */
		double a = now();
		tokens = 0;
		for (size_t i = 0; i < ntexts; i++) {
			struct json_object *t;
			json_object_object_get_ex(texts[i], "text", &t);
			ids.n = 0;
			if (fw_tokenizer_encode(tok, json_object_get_string(t),
			    (size_t)json_object_get_string_len(t), 0, &ids) < 0) {
				fprintf(stderr, "bench: %s\n", fw_error_last());
				return 1;
			}
			tokens += ids.n;
		}
		double s = now() - a;
		if (r == 0)
			cold = s;	/* an empty pre-token cache */
		else if (s < best)
			best = s;
	}
	printf("{\"impl\":\"fw (C library)\",\"texts\":%zu,\"bytes\":%zu,\"tokens\":%zu,"
	    "\"seconds\":%.4f,\"mb_per_s\":%.2f,\"first_pass_mb_per_s\":%.2f,"
	    "\"load_ms\":%.1f,\"load_cpu_ms\":%.1f,\"load_rss_mb\":%.1f,\"peak_rss_mb\":%.1f}\n",
	    ntexts, bytes, tokens, best, bytes / 1e6 / best, bytes / 1e6 / cold, load_ms, load_cpu_ms,
	    (rss_load - rss0) / 1024.0, peak_rss_kb() / 1024.0);
	for (size_t i = 0; i < ntexts; i++)
		json_object_put(texts[i]);
	free(texts);
	fw_ids_release(&ids);
	fw_buf_release(&all);
	fw_tokenizer_free(tok);
	return 0;
}
