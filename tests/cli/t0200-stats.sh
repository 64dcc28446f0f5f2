#!/bin/sh
# fw stats on the real data (tau-bench, swe-agent, hh-rlhf in one corpus),
# every figure checked against the same figure computed by jq from the records
# that fw cat prints; and with --where, against jq's select.
. "$(dirname "$0")/lib.sh"

if ! have_data; then
	echo "skip: no shared data at $FW_DATA"
	echo "0 passed, 0 failed"
	exit 0
fi
D=$FW_DATA/trajectories
"$FW" init >/dev/null
"$FW" corpus create mix >/dev/null
check "add tau-bench" "$FW" add mix "$D/tau-bench/gpt-4o-airline.json"
check "add swe-agent" "$FW" add mix "$D"/swe-agent/*.traj
check "add hh-rlhf" "$FW" add mix "$D/hh-rlhf/harmless-base-test.jsonl.gz"
check "commit" "$FW" commit mix -m mix

# The oracle: from the records, in jq, the figures fw stats prints. Means are
# rounded (fw sums row group by row group, jq record by record).
cat >oracle.jq <<'JQ'
def r6: . * 1000000 | round;
def bitlen: if . == 0 then 0 else 1 + ((. / 2 | floor) | bitlen) end;
def nums($n): [.[] | .[$n] | select(type == "number")];
. as $recs | ($recs | length) as $nrec |
{
  records: $nrec,
  columns: [$cols[] | . as $c | ($recs | nums($c)) as $v | {
    name: $c,
    nulls: ([$recs[] | select((has($c) | not) or .[$c] == null)] | length),
    numbers: ($v | length)
  } + (if ($v | length) > 0 then {min: ($v | min), max: ($v | max), mean: ($v | add / length | r6)} else {} end)],
  reward: (($recs | nums("reward")) as $v | {count: ($v | length), zero: ([$v[] | select(. == 0)] | length),
    one: ([$v[] | select(. == 1)] | length)} + (if ($v | length) > 0 then
    ($v | min) as $lo | ($v | max) as $hi | {min: $lo, max: $hi, bins: [range(10) as $b |
      [$v[] | (if $hi > $lo then ((. - $lo) / ($hi - $lo) * 10 | floor) else 0 end) |
        if . > 9 then 9 else . end | select(. == $b)] | length]} else {} end)),
  messages: (([$recs[] | select(.messages | type == "array") | .messages | length] | sort) as $m |
    ($m | length) as $n | {records: $n, without: ($nrec - $n)} + (if $n > 0 then {
    min: $m[0], median: $m[(($n + 1) / 2 | floor) - 1], p90: $m[((9 * $n + 9) / 10 | floor) - 1],
    max: $m[-1], mean: ($m | add / length | r6),
    buckets: ($m | map(bitlen) | group_by(.) | map({b: .[0], records: length}) |
      map({from: (if .b == 0 then 0 else pow(2; .b - 1) end), to: (if .b == 0 then 0 else pow(2; .b) - 1 end), records}))} else {} end)),
  sources: (([$recs[] | .source | select(type == "string")] | group_by(.) |
    map({source: .[0], records: length}) | sort_by(-.records, .source)) as $s |
    {distinct: ($s | length), without: ([$recs[] | select(.source | type != "string")] | length),
     top: $s[:10]})
}
JQ
# fw's output in the same shape
cat >shape.jq <<'JQ'
def r6: . * 1000000 | round;
{records, columns: [.columns[] | {name, nulls, numbers} + (if .numbers > 0 then {min, max, mean: (.mean | r6)} else {} end)],
 reward, messages: (.messages | if .mean then .mean |= r6 else . end), sources}
JQ

compare() { # DESCRIPTION WHERE JQ-SELECT
	d=$1 sel=$3
	if [ -n "$2" ]; then "$FW" stats mix --where "$2" --json; else "$FW" stats mix --json; fi \
	    >stats.json || { bad "$d: fw stats failed"; return; }
	jq -S -f shape.jq stats.json >got
	"$FW" cat mix | jq -c "$sel" | jq -s -S --argjson cols "$(jq -c '[.columns[].name]' stats.json)" \
	    -f oracle.jq >want
	if cmp -s got want; then ok; else bad "$d: figures differ from jq's"; diff got want | head -20; fi
}

compare "all records" "" "."
compare "--where reward > 0" "reward > 0" "select(.reward > 0)"
expect_eq "records" "$(jq .records stats.json)" "$("$FW" cat mix --where 'reward > 0' | wc -l)"
compare "--where on a string" 'source == "swe-agent"' 'select(.source == "swe-agent")'
compare "--where on messages" 'len(messages) > 20' 'select((.messages | length) > 20)'

# The figures of the three sources, as the data holds them
"$FW" stats mix --json >stats.json
expect_eq "three sources" "$(jq -c '[.sources.top[].source] | sort' stats.json)" \
    '["hh-rlhf","swe-agent","tau-bench"]'
expect_eq "tau-bench rewards: 84 ones" \
    "$("$FW" stats mix --where 'source == "tau-bench"' --json | jq -c '[.reward.count, .reward.one, .reward.zero]')" \
    "$(jq -c '[length, ([.[] | select(.reward == 1)] | length), ([.[] | select(.reward == 0)] | length)]' \
    "$D/tau-bench/gpt-4o-airline.json")"
# Without --where every row group is read from its header; a filter that no
# row group's statistics allow skips them all.
expect_eq "no group skipped" "$(jq '.row_groups_skipped' stats.json)" 0
"$FW" stats mix --where 'reward > 100' --json >none.json
expect_eq "all groups skipped" "$(jq -c '[.records, .row_groups_read, .row_groups_skipped == .row_groups]' none.json)" '[0,0,true]'
expect_eq "totals equal fw show's" "$(jq -c '[.records, .bytes, .stored]' stats.json)" \
    "$("$FW" show mix --json | jq -c '[.records, .bytes, .stored]')"
# text output names the sections
"$FW" stats mix >text
for w in records reward messages sources; do
	grep -q "^$w " text && ok || bad "text output has no $w line"
done
expect_fail "bad filter" 1 "filter:" "$FW" stats mix --where 'reward >'
expect_fail "no such corpus" 1 "" "$FW" stats nope
expect_fail "two arguments" 2 "usage" "$FW" stats mix mix
[ -s want ] && [ "$(jq .messages.median want)" != null ] && ok || bad "the oracle computed nothing"
finish
