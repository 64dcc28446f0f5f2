#!/bin/sh
# Filter benchmark: rows/s of filters over a row group's columns and over
# json-c records, and row groups skipped by statistics. Results and the
# machine they came from are in docs/benchmarks.md ("Filter").
#   sh tests/bench/filter/run.sh [ROWS [ROWS_PER_GROUP]]
set -eu
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
make -s build/filter-bench >&2
exec build/filter-bench "$@"
