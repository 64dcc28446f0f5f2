#!/bin/sh
# Filter benchmark: rows/s of filters over a row group's columns and over
# json-c records, and row groups skipped by statistics. Results and the
# machine they came from are in docs/benchmarks.md ("Filter").
#   sh tests/bench/filter/run.sh [ROWS [ROWS_PER_GROUP]]
# Without ROWS: FW_BENCH_RECORDS, or 50,000 with FW_BENCH_QUICK=1, else 1,000,000.
set -eu
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
rows=${FW_BENCH_RECORDS:-1000000}
[ "${FW_BENCH_QUICK:-0}" = 1 ] && rows=50000
[ $# -ge 1 ] && rows=$1
group=${2:-2000}
make -s build/filter-bench >&2
echo "== filter: sh tests/bench/filter/run.sh $rows $group ($(nproc) cores)"
exec build/filter-bench "$rows" "$group"
