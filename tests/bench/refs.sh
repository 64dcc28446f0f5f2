#!/bin/sh
# Times fw branch, tag and switch (and branch --delete, reset, tag --delete)
# on a corpus of N records (default 1,000,000), to show that they cost the
# same whatever the corpus size: they write refs, never data.
#   FW=build/fw sh tests/bench/refs.sh [DIR] [N]
# DIR (default /tmp/fw-bench-refs) keeps the store between runs: the corpus
# is built once (awk-generated records of about 120 bytes).
set -eu
: "${FW:?FW must name the fw binary}"
dir=${1:-/tmp/fw-bench-refs}
n=${2:-1000000}
mkdir -p "$dir"
cd "$dir"
if [ ! -d .fw ]; then
	"$FW" init >/dev/null
	"$FW" corpus create big >/dev/null
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++)
		printf "{\"id\":\"r%07d\",\"reward\":%d,\"messages\":[{\"role\":\"user\",\"content\":\"task %d step %d\"}]}\n",
		    i, i % 5, i % 977, i }' >records.jsonl
	"$FW" add big records.jsonl >/dev/null
	"$FW" commit big -m "$n records" >/dev/null
	"$FW" corpus create empty >/dev/null
	rm -f records.jsonl
fi
ms() { # ms COMMAND...: wall milliseconds of one run
	t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
	echo $(( (t1 - t0) / 1000000 ))
}
objs() { find .fw/objects -type f | wc -l; du -sb .fw/objects | cut -f1; }
before=$(objs)
for c in big empty; do
	recs=$("$FW" show "$c" --json 2>/dev/null | sed -n 's/.*"records":\([0-9]*\).*/\1/p')
	for k in 1 2 3; do
		b=$(ms "$FW" branch "$c@b$k")
		t=$(ms "$FW" tag "$c@t$k" -m "bench")
		s=$(ms "$FW" switch "$c@b$k")
		s2=$(ms "$FW" switch "$c@main")
		r=$(ms "$FW" reset "$c@b$k" "$c@main")
		d=$(ms "$FW" branch --delete "$c@b$k")
		td=$(ms "$FW" tag --delete "$c@t$k")
		echo "$c ($recs records) run $k: branch $b ms, tag $t ms, switch $s ms, switch back $s2 ms, reset $r ms, branch --delete $d ms, tag --delete $td ms"
	done
done
after=$(objs)
[ "$before" = "$after" ] && echo "objects unchanged: $(echo $before)" || echo "OBJECTS CHANGED: $before -> $after"
