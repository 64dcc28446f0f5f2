#!/bin/sh
# Every file of ../shared/data/trajectories goes through fw add, fw commit and
# fw cat and comes back as the mapped records, compared with jq -cS against
# mappings written here in jq from docs/schema.md (an oracle independent of
# the importer's C code).
. "$(dirname "$0")/lib.sh"

if ! have_data; then
	echo "skip: no shared data at $FW_DATA"
	echo "0 passed, 0 failed"
	exit 0
fi
D=$FW_DATA/trajectories
"$FW" init >/dev/null

# tau-bench: one JSON array
"$FW" corpus create tau >/dev/null
check "add tau-bench" "$FW" add tau "$D/tau-bench/gpt-4o-airline.json"
check "commit tau-bench" "$FW" commit tau -m tau
"$FW" cat tau | jq -cS . | sort >got
jq -cS '.[] | {id: "tau-bench/gpt-4o-airline/\(.task_id)/\(.trial)", source: "tau-bench",
	domain: "airline", task: .info.task, messages: .traj, reward, outcome: .info.reward_info,
	task_id, trial} + (if (.info | del(.task, .reward_info)) == {} then {} else
	{info: (.info | del(.task, .reward_info))} end)' "$D/tau-bench/gpt-4o-airline.json" | sort >want
expect_eq "tau-bench: 200 records" "$(wc -l <got)" 200
expect_eq "tau-bench records as mapped" "$(cmp -s got want && echo same)" same
# the reward's text is kept, not re-printed: 0.0 and 1.0, as in the file
expect_eq "tau-bench reward text" "$("$FW" cat tau | grep -cE '\],"reward":[01]\.0,"outcome":')" 200
expect_eq "the file writes them so" "$(grep -cE '^    "reward": [01]\.0,$' "$D/tau-bench/gpt-4o-airline.json")" 200

# swe-agent: one record per .traj file
"$FW" corpus create swe >/dev/null
check "add swe-agent" "$FW" add swe "$D"/swe-agent/*.traj
check "commit swe-agent" "$FW" commit swe -m swe
expect_eq "swe-agent: one record a file" "$("$FW" cat swe | wc -l)" "$(ls "$D"/swe-agent/*.traj | wc -l)"
n_ok=0 n_all=0
for f in "$D"/swe-agent/*.traj; do
	id="swe-agent/$(basename "$f" .traj)"
	"$FW" cat swe --id "$id" >rec.json || { bad "swe-agent: no record $id"; continue; }
	n_all=$((n_all + 1))
	# outcome is info whole; trajectory and environment unchanged; one
	# message per history entry
	same=$(jq -n --slurpfile r rec.json --slurpfile s "$f" '
		($r[0].outcome == $s[0].info) and ($r[0].trajectory == $s[0].trajectory) and
		($r[0].source == "swe-agent") and
		(($s[0].history // []) | length) as $h |
		(if $h > 0 then ($r[0].messages | length) == $h else ($r[0].messages | length) > 0 end) and
		($r[0].messages | all(.role == "system" or .role == "user" or .role == "assistant" or .role == "tool"))')
	[ "$same" = true ] && n_ok=$((n_ok + 1))
done
expect_eq "swe-agent records as mapped" "$n_ok" "$n_all"

# hh-rlhf: preference pairs from gzip-compressed lines
"$FW" corpus create dpo >/dev/null
check "add hh-rlhf" "$FW" add dpo "$D/hh-rlhf/harmless-base-test.jsonl.gz"
check "commit hh-rlhf" "$FW" commit dpo -m dpo
expect_eq "hh-rlhf: 2312 pairs" "$("$FW" cat dpo | wc -l)" 2312
# every cleanly split pair rebuilds its input: prompt + chosen and
# prompt + rejected give back the two dialogues
"$FW" cat dpo | jq -r '
	def text(ms): [ms[] | "\n\n" + (if .role == "user" then "Human" else "Assistant" end) + ": " + .content] | join("");
	select((.tags // []) | index("hh-rlhf:unclean-split") | not) |
	(text(.prompt + .chosen) | @json) + "\t" + (text(.prompt + .rejected) | @json)' | sort >rebuilt
zcat "$D/hh-rlhf/harmless-base-test.jsonl.gz" | jq -r '(.chosen | @json) + "\t" + (.rejected | @json)' | sort >orig
clean=$(wc -l <rebuilt)
expect_eq "hh-rlhf: most pairs split cleanly" "$([ "$clean" -ge 2300 ] && echo yes)" yes
expect_eq "hh-rlhf: the clean pairs rebuild their dialogues" "$(comm -12 rebuilt orig | wc -l)" "$clean"

# the raw hh-rlhf lines as plain jsonl: ids are the SHA-256 of the record
"$FW" corpus create raw >/dev/null
zcat "$D/hh-rlhf/harmless-base-test.jsonl.gz" >raw.jsonl
check "add raw jsonl" "$FW" add raw raw.jsonl --format jsonl
check "commit raw jsonl" "$FW" commit raw -m raw
"$FW" cat raw | jq -cS 'del(.id)' | sort >got
jq -cS . raw.jsonl | sort >want
expect_eq "raw jsonl round trip" "$(cmp -s got want && echo same)" same
expect_eq "raw jsonl ids are distinct SHA-256 hex" "$("$FW" cat raw | jq -r .id | grep -cE '^[0-9a-f]{64}$')" \
	"$(sort -u raw.jsonl | wc -l)"

# the same files again: nothing new is written
expect_eq "re-adding tau-bench writes no object" \
	"$("$FW" add tau "$D/tau-bench/gpt-4o-airline.json" >/dev/null && "$FW" commit tau -m again --json | jq .objects_written)" 0
check "git fsck" git --git-dir=.fw/git fsck --strict
finish
