#!/bin/sh
# fw cat --where selects what the same condition selects in jq, skips row
# groups by their statistics, and reports a bad expression before reading.
. "$(dirname "$0")/lib.sh"

if ! have_data; then
	echo "skip: no shared data"; echo "0 passed, 0 failed"; exit 0
fi
"$FW" init >/dev/null
"$FW" corpus create t >/dev/null
"$FW" add t "$FW_DATA/trajectories/tau-bench/gpt-4o-airline.json" >/dev/null
"$FW" commit t -m tau >/dev/null
"$FW" cat t >all.jsonl

# expression | the same selection in jq
while IFS='|' read -r expr jqsel; do
	[ -z "$expr" ] && continue
	got=$("$FW" cat t --where "$expr" | jq -r .id | sort | md5sum)
	want=$(jq -r "select($jqsel) | .id" all.jsonl | sort | md5sum)
	expect_eq "--where '$expr'" "$got" "$want"
done <<'CASES'
reward > 0|.reward > 0
reward == 0 and trial >= 2|.reward == 0 and .trial >= 2
count(messages, role == "tool") >= 5|([.messages[] | select(.role == "tool")] | length) >= 5
any(messages, role == "assistant" and exists(tool_calls))|any(.messages[]; .role == "assistant" and has("tool_calls"))
task.user_id == "mia_li_3668"|.task.user_id == "mia_li_3668"
len(messages) > 20 or reward == 1|(.messages | length) > 20 or .reward == 1
messages[0].role == "system"|.messages[0].role == "system"
not (task_id in [0, 1, 2])|(.task_id | IN(0, 1, 2)) | not
nosuchfield != null|.nosuchfield != null
CASES
expect_eq "--where with --limit" "$("$FW" cat t --where 'reward > 0' --limit 3 | wc -l)" 3
expect_fail "a bad expression, with its column" 1 "expected a value at column 11" "$FW" cat t --where 'reward > ('
expect_fail "an unknown function" 1 "filter" "$FW" cat t --where 'frob(reward)'

# Two batches at different times: the second's row groups hold reward 1 only,
# the first's reward 0; statistics rule out a whole batch without reading it.
"$FW" corpus create a >/dev/null
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"id\":\"o%d\",\"reward\":0,\"pad\":\"%0800d\"}\n", i, i }' >old.jsonl
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"id\":\"n%d\",\"reward\":1,\"pad\":\"%0800d\"}\n", i, i }' >new.jsonl
FW_NOW=1000000000000000000 "$FW" add a old.jsonl >/dev/null
FW_NOW=2000000000000000000 "$FW" add a new.jsonl >/dev/null
"$FW" commit a -m two >/dev/null
FW_VERBOSE=1 "$FW" cat a --where 'reward > 0' 2>err | wc -l >n
expect_eq "selective filter: the new batch" "$(cat n)" 3000
skipped=$(sed -n 's/.* read, \([0-9]*\) skipped.*/\1/p' err)
expect_eq "row groups of the old batch skipped by statistics" "$([ "${skipped:-0}" -ge 1 ] && echo yes)" yes
finish
