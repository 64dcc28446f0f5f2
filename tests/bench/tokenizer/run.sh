#!/bin/sh
# Tokenizer benchmark (docs/benchmarks.md, "Tokenizer"): fw's encoding speed
# on one core against the reference JavaScript tokenizers, on the same texts
# (every text of the shared oracles) in the same run, plus load time and
# memory. Called by tests/bench/run.sh (make bench); runs alone as
#   sh tests/bench/tokenizer/run.sh
# Needs node and npm (it installs tiktoken and @huggingface/tokenizers into
# tests/bench/tokenizer/node_modules, which git ignores) and jq.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
data=${FW_DATA:-$root/../shared/data}
FW=${FW:-$root/build/fw}
REPEAT=${REPEAT:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

if [ ! -d "$data/tokenizers" ]; then
	echo "tokenizer bench: no shared data at $data; skipped"
	exit 0
fi
# one core: everything runs on the same CPU, one at a time
pin=""
command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"

make -C "$root" -s build/libfw.a >/dev/null
cc -O2 -std=c11 -D_GNU_SOURCE -I"$root/include" $(pkg-config --cflags json-c zlib) \
	"$here/bench.c" "$root/build/libfw.a" \
	$(pkg-config --libs json-c libpcre2-8 libutf8proc yaml-0.1 zlib) -lm -o "$out/bench"
if [ ! -d "$here/node_modules/tiktoken" ] || [ ! -d "$here/node_modules/@huggingface/tokenizers" ]; then
	(cd "$here" && npm install --no-audit --no-fund --silent >/dev/null)
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
for name in qwen3 gpt4o; do
	dir=$data/tokenizers/$name
	$pin "$out/bench" "$dir/tokenizer.json" "$dir/oracle.jsonl.gz" "$REPEAT" |
		sed "s/^{/{\"tokenizer\":\"$name\",/" >>"$out/results.jsonl"
	(cd "$here" && $pin node bench.mjs "$name" "$data" "$REPEAT") |
		sed "s/^{/{\"tokenizer\":\"$name\",/" >>"$out/results.jsonl"
	if [ -x "$FW" ]; then
		# the command line end to end: load, JSON in, JSON out
		gzip -dc "$dir/oracle.jsonl.gz" | jq -c '{text}' >"$out/in.jsonl"
		bytes=$(gzip -dc "$dir/oracle.jsonl.gz" | jq -j '.text' | wc -c)
		start=$(date +%s.%N)
		$pin "$FW" tokenize --tokenizer "$dir/tokenizer.json" --jsonl <"$out/in.jsonl" >"$out/ids.jsonl"
		end=$(date +%s.%N)
		awk -v n="$name" -v b="$bytes" -v s="$start" -v e="$end" 'BEGIN {
			printf "{\"tokenizer\":\"%s\",\"impl\":\"fw tokenize --jsonl (whole command)\",\"bytes\":%d,\"seconds\":%.4f,\"mb_per_s\":%.2f}\n",
			    n, b, e - s, b / 1e6 / (e - s) }' >>"$out/results.jsonl"
	fi
done
node "$here/report.mjs" "$out/results.jsonl"
