#!/bin/sh
# The curation scenario on tau-bench: one curator relabels the rewards of
# long successful runs on one branch, another removes the failed runs on
# another; the merge is conflict-free, and fw diff --stat from the base to the
# merge reports exactly those changes (counts and means computed here with jq).
. "$(dirname "$0")/lib.sh"

if ! have_data; then
	echo "skip: no shared data at $FW_DATA"
	echo "0 passed, 0 failed"
	exit 0
fi
G="git --git-dir=.fw/git"
"$FW" init >/dev/null
"$FW" corpus create tau >/dev/null
"$FW" add tau "$FW_DATA/trajectories/tau-bench/gpt-4o-airline.json" >/dev/null
"$FW" commit tau -m import >/dev/null
"$FW" tag tau@base >/dev/null
"$FW" cat tau >all.jsonl
"$FW" branch tau@relabel >/dev/null
"$FW" branch tau@clean >/dev/null

# relabel: successful runs of more than 20 messages get reward 0.8
"$FW" switch tau@relabel >/dev/null
jq -c 'select(.reward == 1 and (.messages | length) > 20) | {id, reward: 0.8}' all.jsonl >relabel.jsonl
nrel=$(wc -l <relabel.jsonl | tr -d ' ')
"$FW" add tau relabel.jsonl --patch >/dev/null && "$FW" commit tau -m relabel >/dev/null
# clean: failed runs go
"$FW" switch tau@clean >/dev/null
jq -r 'select(.reward == 0) | .id' all.jsonl >failed.txt
nfail=$(wc -l <failed.txt | tr -d ' ')
# shellcheck disable=SC2046
"$FW" rm tau $(cat failed.txt) >/dev/null && "$FW" commit tau -m "remove failed runs" >/dev/null
"$FW" switch tau@main >/dev/null
[ "$nrel" -gt 0 ] && [ "$nfail" -gt 0 ] && ok || bad "the scenario changes nothing ($nrel, $nfail)"

check "relabel fast-forwards" "$FW" merge tau@relabel
expect_eq "clean merges without conflict" "$("$FW" merge tau@clean | sed 's/ (.*//')" \
    "merged into tau@main: 0 added, $nfail removed, 0 modified"
expect_eq "a merge commit" "$($G log -1 --format=%P refs/heads/tau/main | wc -w | tr -d ' ')" 2

total=$(wc -l <all.jsonl | tr -d ' ')
old_mean=$(jq -s 'map(.reward) | add / length' all.jsonl)
new_mean=$(jq -s 'map(select(.reward != 0)) | map(if .reward == 1 and (.messages | length) > 20 then 0.8 else .reward end) | add / length' all.jsonl)
msgs=$(jq -s 'map(select(.reward == 0) | .messages | length) | add' all.jsonl)
want=$(awk -v a="$old_mean" -v b="$new_mean" -v m="$msgs" -v r="$nrel" -v f="$nfail" -v t="$total" 'BEGIN {
	printf "records: 0 added, %d removed, %d modified, %d unchanged\n", f, r, t - f - r
	printf "column reward: %d changed\n", r
	printf "reward mean: %.6g -> %.6g (%+.6g)\n", a, b, b - a
	printf "messages: %+d\n", -m }')
expect_eq "diff --stat base..merge" "$("$FW" diff tau@base tau --stat)" "$want"
expect_eq "the records" "$("$FW" cat tau | jq -cS . | sort | md5sum)" \
    "$(jq -cS 'select(.reward != 0) | if .reward == 1 and (.messages | length) > 20 then .reward = 0.8 else . end' all.jsonl | sort | md5sum)"
expect_eq "diff --json lists each change" "$("$FW" diff tau@base tau --json | jq -r .op | sort | uniq -c | tr -s ' ')" \
    "$(printf ' %d -\n %d ~' "$nfail" "$nrel")"
expect_eq "A...B shows one side" "$("$FW" diff tau@relabel...clean --stat | head -1)" \
    "records: 0 added, $nfail removed, 0 modified, $((total - nfail)) unchanged"
finish
