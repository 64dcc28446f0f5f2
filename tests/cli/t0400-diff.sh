#!/bin/sh
# fw diff: records added, removed and modified, field by field; --stat,
# --json, --id, --columns, --limit; A..B and A...B; two corpora matched by id;
# a long text field shows a line diff of itself alone; no colour or pager
# when standard output is not a terminal.
. "$(dirname "$0")/lib.sh"

"$FW" init >/dev/null
"$FW" corpus create sft >/dev/null
i=1
while [ $i -le 40 ]; do
	printf '{"id":"r%d","reward":%d,"tags":["a"],"messages":[{"role":"user","content":"hi %d"}]}\n' \
	    $i $((i % 3)) $i
	i=$((i + 1))
done >a.jsonl
"$FW" add sft a.jsonl >/dev/null
"$FW" commit sft -m v1 >/dev/null
"$FW" tag sft@v1 >/dev/null
"$FW" branch sft@side >/dev/null
printf '{"id":"r3","reward":5}\n{"id":"r4","tags":["b"]}\n' >p.jsonl
"$FW" add sft p.jsonl --patch >/dev/null
"$FW" rm sft r7 >/dev/null
printf '{"id":"new1","reward":1}\n' >n.jsonl
"$FW" add sft n.jsonl >/dev/null
"$FW" commit sft -m v2 >/dev/null

expect_eq "no change" "$("$FW" diff sft@v1 sft@v1)" ""
expect_eq "json lines" "$("$FW" diff sft@v1 sft --json | sort)" \
'{"op":"+","id":"new1","record":{"id":"new1","reward":1}}
{"op":"-","id":"r7","record":{"id":"r7","messages":[{"content":"hi 7","role":"user"}],"reward":1,"tags":["a"]}}
{"op":"~","id":"r3","fields":{"reward":{"old":0,"new":5}}}
{"op":"~","id":"r4","fields":{"tags":{"old":["a"],"new":["b"]}}}'
expect_eq "text block of a modified record" "$("$FW" diff sft@v1 sft --id r3)" '~ r3
    reward:
    -0
    +5'
expect_eq "added record" "$("$FW" diff sft@v1 sft --id new1)" '+ new1
    id: "new1"
    reward: 1'
expect_eq "--columns drops modified records without such a change" \
    "$("$FW" diff sft@v1 sft --columns tags --json | sort)" \
    '{"op":"+","id":"new1","record":{}}
{"op":"-","id":"r7","record":{"tags":["a"]}}
{"op":"~","id":"r4","fields":{"tags":{"old":["a"],"new":["b"]}}}'
expect_eq "--limit" "$("$FW" diff sft@v1 sft --json --limit 2 | wc -l | tr -d ' ')" 2
expect_eq "reversed" "$("$FW" diff sft sft@v1 --json --id r7 --id new1 | sort)" \
'{"op":"+","id":"r7","record":{"id":"r7","messages":[{"content":"hi 7","role":"user"}],"reward":1,"tags":["a"]}}
{"op":"-","id":"new1","record":{"id":"new1","reward":1}}'
expect_eq "--stat" "$("$FW" diff sft@v1 sft --stat)" 'records: 1 added, 1 removed, 2 modified, 37 unchanged
column reward: 1 changed
column tags: 1 changed
reward mean: 1 -> 1.125 (+0.125)
messages: -1'
expect_eq "--stat --json" "$("$FW" diff sft@v1 sft --stat --json)" \
    '{"added":1,"removed":1,"modified":2,"unchanged":37,"columns":{"reward":1,"tags":1},"reward_mean":{"old":1,"new":1.125},"messages":-1}'
expect_eq "A..B is A B" "$("$FW" diff sft@v1..main --json)" "$("$FW" diff sft@v1 sft@main --json)"
# side changes r1 after the fork; A...B shows only what side did
printf '{"id":"r1","reward":9}\n' >s.jsonl
"$FW" switch sft@side >/dev/null
"$FW" add sft s.jsonl --patch >/dev/null
"$FW" commit sft -m side >/dev/null
expect_eq "A...B from the merge base" "$("$FW" diff sft@main...side --json)" \
    '{"op":"~","id":"r1","fields":{"reward":{"old":1,"new":9}}}'
expect_eq "A..B shows both sides" "$("$FW" diff sft@main..side --json | wc -l | tr -d ' ')" 5

# a long text: only the changed line, not the record
printf '{"id":"t","text":"line one\\nline two\\nline three\\nline four"}\n' >t1.jsonl
printf '{"id":"t","text":"line one\\nline 2\\nline three\\nline four"}\n' >t2.jsonl
"$FW" corpus create txt >/dev/null
"$FW" add txt t1.jsonl >/dev/null && "$FW" commit txt -m 1 >/dev/null
"$FW" add txt t2.jsonl >/dev/null && "$FW" commit txt -m 2 >/dev/null
expect_eq "line diff of a long text" "$("$FW" diff txt~1 txt)" '~ t
    text:
     line one
    -line two
    +line 2
     line three
     line four'
expect_eq "no escape codes when not a terminal" "$("$FW" diff txt~1 txt | grep -c "$(printf '\033')")" 0
# on a terminal (script(1) gives one): colours, and NO_COLOR turns them off
if command -v script >/dev/null 2>&1; then
	esc=$(printf '\033')
	expect_eq "colours on a terminal" \
	    "$(PAGER=cat script -qc "'$FW' diff txt~1 txt" /dev/null | grep -c "${esc}\[31m-line two")" 1
	expect_eq "NO_COLOR" \
	    "$(NO_COLOR=1 PAGER=cat script -qc "'$FW' diff txt~1 txt" /dev/null | grep -c "$esc")" 0
fi

# two corpora: rows matched by id
"$FW" corpus create dpo >/dev/null
printf '{"id":"r3","reward":0,"tags":["a"],"messages":[{"role":"user","content":"hi 3"}]}\n{"id":"zz"}\n' >d.jsonl
"$FW" add dpo d.jsonl >/dev/null && "$FW" commit dpo -m d >/dev/null
expect_eq "two corpora" "$("$FW" diff sft@v1 dpo --stat --json | cut -d, -f1-4)" \
    '{"added":1,"removed":39,"modified":0,"unchanged":1'
# many row groups: pairs with the same keys are compared on a pool, and
# their records must come out in the order (and the form) of one thread
"$FW" corpus create big >/dev/null
awk 'BEGIN { for (i = 0; i < 60000; i++) printf "{\"id\":\"b%06d\",\"reward\":%d,\"text\":\"%s %d\"}\n",
    i, i % 5, "some words to make the record a few hundred bytes long, as a short trajectory is; " \
    "some words to make the record a few hundred bytes long, as a short trajectory is", i }' >big.jsonl
"$FW" add big big.jsonl >/dev/null && "$FW" commit big -m v1 >/dev/null && "$FW" tag big@v1 >/dev/null
awk 'BEGIN { for (i = 0; i < 60000; i += 97) printf "{\"id\":\"b%06d\",\"reward\":%d}\n", i, 7 }' >bp.jsonl
"$FW" add big bp.jsonl --patch >/dev/null
"$FW" rm big b030001 b000002 >/dev/null
printf '{"id":"bnew","reward":1}\n' >bn.jsonl
"$FW" add big bn.jsonl >/dev/null && "$FW" commit big -m v2 >/dev/null
groups=$(FW_VERBOSE=1 "$FW" diff big@v1 big 2>&1 >/dev/null | sed 's/.*: \([0-9]*\) row groups read.*/\1/')
check "the big corpus spans many row groups ($groups read)" [ "$groups" -ge 12 ]
one=$(FW_THREADS=1 "$FW" diff big@v1 big)
expect_eq "diff on a pool = diff on one thread" "$(FW_THREADS=2 "$FW" diff big@v1 big)" "$one"
expect_eq "--json on a pool = on one thread" "$(FW_THREADS=4 "$FW" diff big@v1 big --json | md5sum)" \
    "$(FW_THREADS=1 "$FW" diff big@v1 big --json | md5sum)"
expect_eq "modified records" "$(printf '%s\n' "$one" | grep -c '^~ ')" 619
expect_eq "removed, added" "$(printf '%s\n' "$one" | grep -c '^[-+] ')" 3
expect_eq "--stat on a pool" "$(FW_THREADS=2 "$FW" diff big@v1 big --stat | head -1)" \
    "records: 1 added, 2 removed, 619 modified, 59379 unchanged"
expect_eq "--limit stops with pairs in flight" "$(FW_THREADS=2 "$FW" diff big@v1 big --limit 3 | grep -c '^[~+-] ')" 3
expect_fail "unknown revision" 1 "unknown\|no " "$FW" diff sft@v1 sft@nope
expect_fail "one argument" 2 "expected two revisions" "$FW" diff sft
finish
