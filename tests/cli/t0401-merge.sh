#!/bin/sh
# fw merge: up to date, fast-forward, a clean three-way merge per field and
# per json key (a git merge commit with two parents that git fsck accepts),
# and the refusals: another corpus, schemas that declare a column twice over.
. "$(dirname "$0")/lib.sh"

G="git --git-dir=.fw/git"
"$FW" init >/dev/null
"$FW" corpus create sft >/dev/null
i=1
while [ $i -le 20 ]; do
	printf '{"id":"r%d","reward":%d,"tags":["a"],"outcome":{"ok":true,"turns":%d}}\n' $i $((i % 3)) $i
	i=$((i + 1))
done >a.jsonl
"$FW" add sft a.jsonl >/dev/null && "$FW" commit sft -m v1 >/dev/null
"$FW" branch sft@relabel >/dev/null
"$FW" branch sft@clean >/dev/null

expect_eq "up to date" "$("$FW" merge sft@relabel)" "sft@main is up to date with sft@relabel"

# relabel: rewards and one outcome key; fast-forward into main
"$FW" switch sft@relabel >/dev/null
printf '{"id":"r1","reward":9}\n{"id":"r2","outcome":{"ok":false,"turns":2}}\n' >p.jsonl
"$FW" add sft p.jsonl --patch >/dev/null && "$FW" commit sft -m relabel >/dev/null
"$FW" switch sft@main >/dev/null
out=$("$FW" merge sft@relabel)
expect_eq "fast-forward" "$out" "fast-forward sft@main to $($G rev-parse refs/heads/sft/relabel | cut -c1-12)"
expect_eq "main is relabel" "$($G rev-parse refs/heads/sft/main)" "$($G rev-parse refs/heads/sft/relabel)"

# clean: removes r5, adds r30, changes another key of r2's outcome and r3's tags
"$FW" switch sft@clean >/dev/null
"$FW" rm sft r5 >/dev/null
printf '{"id":"r2","outcome":{"ok":true,"turns":7}}\n{"id":"r3","tags":["b"]}\n' >q.jsonl
"$FW" add sft q.jsonl --patch >/dev/null
printf '{"id":"r30","reward":1}\n' >n.jsonl
"$FW" add sft n.jsonl >/dev/null && "$FW" commit sft -m clean >/dev/null
"$FW" switch sft@main >/dev/null
expect_eq "three-way" "$("$FW" merge sft@clean -m "merge clean" | sed 's/ (.*//')" \
    "merged into sft@main: 1 added, 1 removed, 2 modified"
expect_eq "two parents" "$($G log -1 --format=%P refs/heads/sft/main)" \
    "$($G rev-parse refs/heads/sft/relabel) $($G rev-parse refs/heads/sft/clean)"
expect_eq "message" "$($G log -1 --format=%s refs/heads/sft/main)" "merge clean"
check "git fsck" $G fsck --strict
expect_eq "json keys merged" "$("$FW" cat sft --id r2)" \
    '{"id":"r2","reward":2,"outcome":{"ok":false,"turns":7},"tags":["a"]}'
expect_eq "both sides' fields" "$("$FW" cat sft --id r1 --id r3 --id r30)" \
    '{"id":"r1","reward":9,"outcome":{"ok":true,"turns":1},"tags":["a"]}
{"id":"r3","reward":0,"outcome":{"ok":true,"turns":3},"tags":["b"]}
{"id":"r30","reward":1}'
expect_fail "r5 is gone" 1 "no record with id 'r5'" "$FW" cat sft --id r5
expect_eq "records" "$("$FW" cat sft | wc -l | tr -d ' ')" 20
expect_eq "diff from the base" "$("$FW" diff sft@clean~1 sft --stat | head -1)" \
    "records: 1 added, 1 removed, 3 modified, 16 unchanged"
expect_eq "merging again" "$("$FW" merge sft@clean)" "sft@main is up to date with sft@clean"
expect_eq "the index finds every record" "$("$FW" cat sft | sed 's/.*"id":"\([^"]*\)".*/\1/' |
    while read -r id; do "$FW" cat sft --id "$id" >/dev/null || echo "$id"; done)" ""

# columns new on either side (json) are unioned
"$FW" corpus create u >/dev/null
printf '{"id":"a","reward":1}\n{"id":"b","reward":2}\n' >u.jsonl
"$FW" add u u.jsonl >/dev/null && "$FW" commit u -m 1 >/dev/null
"$FW" branch u@x >/dev/null
printf '{"id":"a","note":"hello"}\n' >un.jsonl
"$FW" add u un.jsonl --patch >/dev/null && "$FW" commit u -m note >/dev/null
"$FW" switch u@x >/dev/null
printf '{"id":"b","judge":{"score":3}}\n' >uj.jsonl
"$FW" add u uj.jsonl --patch >/dev/null && "$FW" commit u -m judge >/dev/null
"$FW" switch u@main >/dev/null
check "merge with new columns on both sides" "$FW" merge u@x
expect_eq "both new columns" "$("$FW" cat u --id a --id b)" '{"id":"a","reward":1,"note":"hello"}
{"id":"b","reward":2,"judge":{"score":3}}'

# refusals
"$FW" corpus create dpo >/dev/null
expect_fail "another corpus" 1 "is of corpus dpo, not sft" "$FW" merge sft@dpo@main
expect_fail "no such branch" 1 "unknown revision" "$FW" merge sft@nope
expect_fail "no branch named" 2 "expected CORPUS@BRANCH" "$FW" merge sft
# a side whose schema declares reward as str (made with git): refused, named
"$FW" branch sft@typed sft@clean~1 >/dev/null
"$FW" switch sft@typed >/dev/null
printf '{"id":"r4","reward":4}\n' >t.jsonl
"$FW" add sft t.jsonl --patch >/dev/null && "$FW" commit sft -m typed >/dev/null
"$FW" switch sft@main >/dev/null
head=$($G rev-parse refs/heads/sft/typed)
$G show "$head:schema.yaml" | awk '/name: reward/ { print; getline; print "  type: str"; next } { print }' >s.yaml
blob=$($G hash-object -w s.yaml)
tree=$($G ls-tree "$head" | sed "s/[0-9a-f]\{40\}\tschema.yaml/$blob\tschema.yaml/" | $G mktree)
c=$(GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@e $G commit-tree -p "$head" -m retyped "$tree")
$G update-ref refs/heads/sft/typed "$c"
before=$($G rev-parse refs/heads/sft/main)
expect_fail "different types" 1 'column "reward" is f64 on our side and str on theirs' "$FW" merge sft@typed
expect_eq "nothing moved" "$($G rev-parse refs/heads/sft/main)" "$before"
expect_eq "no merge state" "$("$FW" status sft --json | sed 's/.*"merging"://')" "null}"
finish
