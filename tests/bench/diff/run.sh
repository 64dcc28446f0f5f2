#!/bin/sh
# Diff and merge benchmark (docs/benchmarks.md, "Diff and merge"): on a corpus
# of N records, fw diff of two versions 1,000 records apart and fw merge of
# two branches with 1,000 changes each, against a full scan (fw cat) and what
# a user would do otherwise: fw cat both versions and diff(1) them, or
# git diff of the two JSON-lines exports.
#   FW=build/fw sh tests/bench/diff/run.sh [DIR] [N]
# DIR (default /tmp/fw-bench-diff) is removed at the end unless FW_BENCH_KEEP=1.
# N: default FW_BENCH_RECORDS, or 50,000 with FW_BENCH_QUICK=1, else 1,000,000.
set -eu
root=$(cd "$(dirname "$0")/../../.." && pwd)
FW=${FW:-$root/build/fw}
case $FW in /*) ;; *) FW=$(pwd)/$FW ;; esac
dir=${1:-/tmp/fw-bench-diff}
n=${FW_BENCH_RECORDS:-1000000}
[ "${FW_BENCH_QUICK:-0}" = 1 ] && n=50000
[ $# -ge 2 ] && n=$2
change=1000
export LC_ALL=C FW_AUTHOR_NAME=bench FW_AUTHOR_EMAIL=bench@localhost

now() { date +%s.%N; }
# t NAME COMMAND...: runs the command, stdout to /dev/null, keeps its seconds
t() {
	name=$1; shift
	s=$(now)
	"$@" >/dev/null || true	# diff(1) and git diff exit 1 on a difference
	e=$(now)
	eval "T_$name=$(echo "$e - $s" | bc)"
}
sh_c() { sh -c "$1"; }

rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
"$FW" init >/dev/null
"$FW" corpus create big >/dev/null
# FW_BENCH_WORDS words of filler in each record's assistant turn (default 0:
# records of about 200 bytes; 150 words make them about 1.2 KB)
awk -v n="$n" -v words="${FW_BENCH_WORDS:-0}" 'BEGIN { for (i = 0; i < n; i++) {
	text = ""
	for (k = 0; k < words; k++)
		text = text sprintf(" w%d", (i * 31 + k * 17) % 9973)
	printf "{\"id\":\"r%07d\",\"reward\":%d,\"tags\":[\"t%d\"],\"messages\":[{\"role\":\"system\",\"content\":\"You are agent %d.\"},{\"role\":\"user\",\"content\":\"task %d step %d: book the flight and report\"},{\"role\":\"assistant\",\"content\":\"done%s\"}]}\n",
	    i, i % 3, i % 7, i % 13, i, i * 7, text } }' >all.jsonl
"$FW" add big all.jsonl >/dev/null
"$FW" commit big -m v1 >/dev/null
"$FW" tag big@v1 >/dev/null
# patches of `change` records spread over the corpus (a stride, seeds differ)
patch() { awk -v n="$n" -v c="$change" -v off="$1" -v r="$2" 'BEGIN {
	for (k = 0; k < c; k++) printf "{\"id\":\"r%07d\",\"reward\":%d}\n", (k * int(n / c) + off) % n, r }'; }
"$FW" branch big@ours >/dev/null
"$FW" branch big@theirs >/dev/null
"$FW" branch big@app >/dev/null
"$FW" branch big@con >/dev/null
# spread: every (n/1000)th record relabelled, which touches every row group
patch 0 7 >p1.jsonl
"$FW" add big p1.jsonl --patch >/dev/null && "$FW" commit big -m spread >/dev/null
"$FW" tag big@spread >/dev/null
"$FW" switch big@ours >/dev/null
patch 3 8 >p2.jsonl
"$FW" add big p2.jsonl --patch >/dev/null && "$FW" commit big -m ours >/dev/null
"$FW" switch big@theirs >/dev/null
patch 5 9 >p3.jsonl
"$FW" add big p3.jsonl --patch >/dev/null && "$FW" commit big -m theirs >/dev/null
# local: 1,000 records appended (a new batch), and 1,000 relabelled that lie
# side by side in the corpus's order (one batch's records, by id hash)
"$FW" switch big@app >/dev/null
awk -v n="$n" -v c="$change" 'BEGIN { for (i = n; i < n + c; i++)
	printf "{\"id\":\"r%07d\",\"reward\":1,\"tags\":[\"new\"]}\n", i }' >app.jsonl
"$FW" add big app.jsonl >/dev/null && "$FW" commit big -m append >/dev/null
"$FW" switch big@con >/dev/null
"$FW" cat big@v1 | sed -n "$((n / 2 + 1)),$((n / 2 + change))p" |
    sed 's/^{"id":"\([^"]*\)".*/{"id":"\1","reward":5}/' >con.jsonl
"$FW" add big con.jsonl --patch >/dev/null && "$FW" commit big -m contiguous >/dev/null
"$FW" switch big@app >/dev/null
stored=$(du -sk .fw/objects | cut -f1)

t scan "$FW" cat big@spread
t diff "$FW" diff big@v1 big@spread
t stat "$FW" diff big@v1 big@spread --stat
t json "$FW" diff big@v1 big@spread --json
t app "$FW" diff big@v1 big@app
t con "$FW" diff big@v1 big@con
t cons "$FW" diff big@v1 big@con --stat
t catdiff sh_c "'$FW' cat big@v1 >a.jsonl && '$FW' cat big@spread >b.jsonl && diff a.jsonl b.jsonl; true"
t gitdiff git diff --no-index --stat a.jsonl b.jsonl
t mlocal "$FW" merge big@con
"$FW" switch big@ours >/dev/null
t merge "$FW" merge big@theirs
got=$("$FW" diff big@v1 big@spread --stat | head -1)
merged=$("$FW" diff big@v1 big@ours --stat | head -1)
mlocal=$("$FW" diff big@v1 big@app --stat | head -1)
groups=$(FW_VERBOSE=1 "$FW" diff big@v1 big@spread 2>&1 >/dev/null | sed 's/fw: diff: //')
groupsc=$(FW_VERBOSE=1 "$FW" diff big@v1 big@con 2>&1 >/dev/null | sed 's/fw: diff: //')

pct() { echo "scale=2; 100 * $1 / $T_scan" | bc; }
cat <<EOT
== diff and merge: FW=$FW sh tests/bench/diff/run.sh $dir $n ($(nproc) cores)
corpus: $n records ($(wc -c <all.jsonl) bytes of JSON lines), ${stored} KiB stored
spread diff: $got ($groups)
contiguous diff: $groupsc
spread merge (v1 to merged): $merged
local merge (v1 to merged): $mlocal

| operation | seconds | % of a full scan |
|---|---|---|
| full scan: fw cat big@spread | $T_scan | 100 |
| fw diff, 1,000 spread relabels | $T_diff | $(pct "$T_diff") |
| fw diff --stat, spread | $T_stat | $(pct "$T_stat") |
| fw diff --json, spread | $T_json | $(pct "$T_json") |
| fw diff, 1,000 appended | $T_app | $(pct "$T_app") |
| fw diff, 1,000 contiguous relabels | $T_con | $(pct "$T_con") |
| fw diff --stat, contiguous | $T_cons | $(pct "$T_cons") |
| fw merge, 1,000 spread relabels each side | $T_merge | $(pct "$T_merge") |
| fw merge, 1,000 appended / 1,000 contiguous relabels | $T_mlocal | $(pct "$T_mlocal") |
| fw cat both + diff(1), spread | $T_catdiff | $(pct "$T_catdiff") |
| git diff --no-index of the two exports, spread | $T_gitdiff | $(pct "$T_gitdiff") |
EOT
cd /
[ "${FW_BENCH_KEEP:-0}" = 1 ] || rm -rf "$dir"
