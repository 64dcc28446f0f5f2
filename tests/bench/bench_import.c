/*
 * Import throughput: reads a file with fw_import_file, mapping every record
 * to its canonical JSON (as `fw add` encodes records), and prints MB/s.
 *   build/bench_import FILE [THREADS...]
 */
#include "fw/error.h"
#include "fw/import.h"
#include "fw/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int
map_canon(void *arg, struct json_object *rec, fw_buf *out)
{
	(void)arg;
	return fw_json_canon(out, rec);
}

static int
sink_count(void *arg, const char *bytes, size_t len, size_t n)
{
	unsigned long long *out_bytes = arg;

	(void)bytes;
	(void)n;
	*out_bytes += len;
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_import FILE [THREADS...]\n");
		return 2;
	}
	for (int a = 2; a < (argc > 2 ? argc : 3); a++) {
		int threads = argc > 2 ? atoi(argv[a]) : 0;
		unsigned long long out_bytes = 0;
		fw_import_opts o = { FW_FORMAT_AUTO, threads, map_canon, sink_count, NULL, &out_bytes, NULL };
		fw_import_stats st;
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (fw_import_file(&st, argv[1], &o) < 0) {
			fprintf(stderr, "bench_import: %s\n", fw_error_last());
			return 1;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		printf("%s: format %s, threads %d, %llu records, %.1f MB in %.2f s: %.0f MB/s\n",
		    argv[1], fw_format_name(st.format), threads,
		    (unsigned long long)st.records, (double)st.bytes_in / 1e6, s,
		    (double)st.bytes_in / 1e6 / s);
	}
	return 0;
}
