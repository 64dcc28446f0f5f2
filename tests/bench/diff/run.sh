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
repeat=${FW_BENCH_REPEAT:-3}
# t NAME COMMAND...: runs the command, stdout to /dev/null, keeps its seconds
t() {
	name=$1; shift
	s=$(now)
	"$@" >/dev/null || true	# diff(1) and git diff exit 1 on a difference
	e=$(now)
	eval "T_$name=$(echo "$e - $s" | bc)"
}
# tb NAME COMMAND...: t, $repeat times (FW_BENCH_REPEAT, default 3); the
# fastest run counts: a single run of a few milliseconds is at the mercy of
# whatever else the machine does
tb() {
	name=$1; shift
	best=
	for _ in $(seq "$repeat"); do
		t "$name" "$@"
		v=$(eval "echo \$T_$name")
		if [ -z "$best" ] || [ "$(echo "$v < $best" | bc)" = 1 ]; then best=$v; fi
	done
	eval "T_$name=$best"
}
# tm NAME BRANCH COMMAND...: tb for a merge into BRANCH, which is put back
# where it was after each run but the last
tm() {
	name=$1 br=$2; shift 2
	old=$("$FW" log "big@$br" -n 1 --oneline | cut -d' ' -f1)
	best=
	for k in $(seq "$repeat"); do
		t "$name" "$@"
		v=$(eval "echo \$T_$name")
		if [ -z "$best" ] || [ "$(echo "$v < $best" | bc)" = 1 ]; then best=$v; fi
		[ "$k" = "$repeat" ] || "$FW" reset "big@$br" "$old" >/dev/null
	done
	eval "T_$name=$best"
}
sh_c() { sh -c "$1"; }

rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
"$FW" init >/dev/null
"$FW" corpus create big >/dev/null
# FW_BENCH_WORDS words of filler in each record's assistant turn (default
# 150: records of about 1.1 KB, near the 1.3 KB of the store benchmark's
# small corpus; 0 makes them about 200 bytes)
awk -v n="$n" -v words="${FW_BENCH_WORDS:-150}" 'BEGIN { for (i = 0; i < n; i++) {
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

tb scan "$FW" cat big@spread
tb diff "$FW" diff big@v1 big@spread
tb stat "$FW" diff big@v1 big@spread --stat
tb json "$FW" diff big@v1 big@spread --json
tb app "$FW" diff big@v1 big@app
tb con "$FW" diff big@v1 big@con
tb cons "$FW" diff big@v1 big@con --stat
t catdiff sh_c "'$FW' cat big@v1 >a.jsonl && '$FW' cat big@spread >b.jsonl && diff a.jsonl b.jsonl; true"
# git's diff refuses files of 1 GiB or more (xdiff's limit): say so rather
# than time a failure as if it were a diff
s=$(now)
grc=0
git diff --no-index --stat a.jsonl b.jsonl >/dev/null 2>gitdiff.err || grc=$?
e=$(now)
T_gitdiff=$(echo "$e - $s" | bc)
gitpct=
if [ "$grc" -gt 1 ] || grep -q "^fatal\|^error" gitdiff.err; then
	T_gitdiff="$T_gitdiff (failed: $(head -n 1 gitdiff.err); git does not diff files of 1 GiB or more)"
	gitpct=n/a
fi
tm mlocal app "$FW" merge big@con
"$FW" switch big@ours >/dev/null
tm merge ours "$FW" merge big@theirs
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
| git diff --no-index of the two exports, spread | $T_gitdiff | ${gitpct:-$(pct "$T_gitdiff")} |
EOT
cd /
[ "${FW_BENCH_KEEP:-0}" = 1 ] || rm -rf "$dir"
