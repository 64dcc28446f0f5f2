#!/bin/sh
# fw branch, fw switch, fw reset and fw reflog: creating, listing, deleting,
# staging per branch, rolling back; branch, tag and switch write no data and
# cost the same on a larger corpus; git sees the refs as in any repository.
. "$(dirname "$0")/lib.sh"

export FW_NOW=1700000000000000000
"$FW" init >/dev/null
"$FW" corpus create sft >/dev/null
printf '{"id":"a","r":1}\n{"id":"b","r":2}\n' >v1.jsonl
"$FW" add sft v1.jsonl >/dev/null
c1=$("$FW" commit sft -m v1)
c0=$("$FW" log sft@main~1 --oneline | cut -c1-12)

expect_eq "create at the current head" "$("$FW" branch sft@exp)" "created branch sft@exp"
expect_eq "create at a revision" "$("$FW" branch sft@old main~1)" "created branch sft@old"
expect_eq "create at a whole revision" "$("$FW" branch sft@old2 sft@old)" "created branch sft@old2"
expect_fail "create twice" 1 "exists already as a branch" "$FW" branch sft@exp
expect_fail "REV of another corpus" 1 "no corpus 'dpo'" "$FW" branch sft@x dpo@main
expect_fail "unknown REV" 1 "unknown revision" "$FW" branch sft@x nope
expect_fail "no corpus" 1 "no corpus 'zz'" "$FW" branch zz@x
expect_fail "no @ and a REV" 1 "expected CORPUS@NAME" "$FW" branch sft main
expect_eq "list" "$("$FW" branch --list sft)" "$(printf '  exp\t%.12s\t2 records\n* main\t%.12s\t2 records\n  old\t%s\t0 records\n  old2\t%s\t0 records' "$c1" "$c1" "$c0" "$c0")"
expect_eq "fw branch CORPUS lists" "$("$FW" branch sft)" "$("$FW" branch -l sft)"
expect_eq "branches point where asked" "$("$FW" log sft@old --oneline | head -1 | cut -c1-12)" "$c0"

# switch; staged batches belong to their branch
expect_eq "switch" "$("$FW" switch sft@exp)" "switched sft to branch exp"
expect_eq "status names the branch" "$("$FW" status sft)" "sft@exp: nothing staged"
printf '{"id":"c","r":3}\n' >c.jsonl
"$FW" add sft c.jsonl >/dev/null
"$FW" switch sft@main >/dev/null
expect_eq "status on main counts exp's batch apart" "$("$FW" status sft)" "$(printf 'sft@main: nothing staged\n  (1 batch staged on other branches: exp)')"
expect_eq "status --json" "$("$FW" status sft --json | jq -c '[.branch,.segments,.other_segments]')" '["main",0,1]'
expect_fail "commit on main has nothing" 1 "nothing staged for sft@main" "$FW" commit sft -m x
"$FW" switch sft@old >/dev/null
"$FW" add sft c.jsonl >/dev/null
"$FW" switch sft@main >/dev/null
expect_eq "two other branches, named in order" "$("$FW" status sft | tail -1)" "  (2 batches staged on other branches: exp, old)"
expect_eq "switch says what waits" "$("$FW" switch sft@exp | tail -1)" "1 staged batch of sft@exp will go into its next commit"
c2=$("$FW" commit sft -m "exp: add c")
expect_eq "exp has 3 records" "$("$FW" cat sft | wc -l)" 3
expect_eq "main still has 2" "$("$FW" cat sft@main | wc -l)" 2
expect_eq "old's batch still waits" "$("$FW" status sft --json | jq .other_segments)" 1
expect_eq "fw log CORPUS@BRANCH" "$("$FW" log sft@exp --oneline | head -1 | cut -c1-12)" "$(echo "$c2" | cut -c1-12)"
expect_fail "switch to an unknown branch" 1 "no branch sft@nope" "$FW" switch sft@nope
expect_fail "switch suggests" 1 "did you mean sft@exp" "$FW" switch sft@exq
expect_eq "switch to the current branch is fine" "$("$FW" switch sft@exp)" "switched sft to branch exp"

# promote exp into main by reset, then roll back
"$FW" switch sft@main >/dev/null
out=$("$FW" reset sft@main sft@exp)
expect_eq "reset prints both positions" "$out" "sft@main: $(echo "$c1" | cut -c1-12) -> $(echo "$c2" | cut -c1-12) (the old position is sft@main@{1})"
expect_eq "main has 3 records" "$("$FW" cat sft | wc -l)" 3
expect_eq "reflog shows the reset" "$("$FW" reflog sft -n 1 | sed 's/ 20[0-9-]* [0-9:]* UTC / DATE /')" "$(echo "$c2" | cut -c1-12) sft@main@{0} DATE  reset: moving to sft@exp"
expect_eq "reflog of main, whole" "$("$FW" reflog sft@main | wc -l)" 3
expect_eq "sft@{1} is the old position" "$("$FW" log sft@{1} --oneline -n 1 | cut -c1-12)" "$(echo "$c1" | cut -c1-12)"
"$FW" reset sft@main sft@main@{1} >/dev/null
expect_eq "rolled back" "$("$FW" cat sft | wc -l)" 2
expect_eq "the rollback is in the reflog too" "$("$FW" reflog sft --json -n 1 | jq -r .message)" "reset: moving to sft@main@{1}"
expect_eq "reflog --json keys" "$("$FW" reflog sft --json -n 1 | jq -c 'keys')" '["index","message","new","old","time","who"]'
expect_eq "reflog names fw's author" "$("$FW" reflog sft --json -n 1 | jq -r .who)" "test <test@example.com>"
expect_fail "reset of an unknown branch" 1 "no branch sft@nope" "$FW" reset sft@nope main
expect_fail "reset to an unknown revision" 1 "unknown revision" "$FW" reset sft@main nope
expect_fail "reset needs REV" 2 "expected CORPUS@BRANCH and REV" "$FW" reset sft@main
expect_fail "reflog of an unknown branch" 1 "no branch sft@nope" "$FW" reflog sft@nope

# delete
expect_fail "delete the current branch" 1 "it is the current branch" "$FW" branch --delete sft@main
expect_fail "delete what nothing else reaches" 1 "no other branch or tag reaches" "$FW" branch -d sft@exp
expect_fail "--force only with --delete" 2 "expected" "$FW" branch sft@zz --force
expect_eq "delete a branch others reach" "$("$FW" branch -d sft@old2)" "deleted branch sft@old2"
expect_eq "--force deletes" "$("$FW" branch -d sft@exp --force)" "deleted branch sft@exp"
expect_eq "the store log keeps its position" "$("$FW" reflog --deleted sft -n 1 | sed 's/^.*UTC  //')" "branch delete: sft@exp was at $c2"
expect_eq "and can make it again" "$("$FW" branch sft@exp "$c2" && "$FW" cat sft@exp | wc -l)" "$(printf 'created branch sft@exp\n3')"
expect_fail "delete an unknown branch" 1 "no branch sft@nope" "$FW" branch -d sft@nope

# branch, tag and switch write no data and take little time on a larger corpus
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "{\"id\":\"r%06d\",\"reward\":%d,\"text\":\"step %d\"}\n", i, i % 5, i }' >big.jsonl
"$FW" corpus create big >/dev/null
"$FW" add big big.jsonl >/dev/null && "$FW" commit big -m big >/dev/null
objs() { find .fw/objects -type f | wc -l; du -sb .fw/objects | cut -f1; }
before=$(objs)
ms() { t0=$(date +%s%N); "$@" >/dev/null 2>&1 || echo FAILED; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
tb=$(ms "$FW" branch big@b1)
tt=$(ms "$FW" tag big@t1)
ts=$(ms "$FW" switch big@b1)
"$FW" add big big.jsonl >/dev/null	# 100,000 records staged on b1
tm=$(ms "$FW" switch big@main)
expect_eq "no object written by branch, tag, switch" "$(objs)" "$before"
expect_eq "switch counts the batches waiting, reading no staged record" "$("$FW" switch big@b1 | tail -1)" "1 staged batch of big@b1 will go into its next commit"
for x in "branch $tb" "tag $tt" "switch $ts" "switch-with-100,000-records-staged $tm"; do
	set -- $x
	echo "$1: $2 ms"
	expect_eq "$1 under 500 ms on 100,000 records" "$([ "$2" != FAILED ] && [ "$2" -lt 500 ] && echo fast)" fast
done

# git sees the branches and tags as in any repository
"$FW" tag sft@v1 main >/dev/null
printf '{"id":"d","r":4}\n' >d.jsonl
"$FW" add sft d.jsonl >/dev/null && "$FW" commit sft -m "main: add d" >/dev/null
g=$(git --git-dir=.fw/git log --graph --all --oneline --decorate)
expect_eq "git log --graph --all shows branches" "$(echo "$g" | grep -c 'sft/main')" 1
expect_eq "git log --graph --all shows tags" "$(echo "$g" | grep -c 'tag: sft/v1')" 1
expect_eq "git log --graph draws exp's fork" "$(echo "$g" | grep -c '^|/')" 1
expect_eq "git branch lists fw's branches" "$(git --git-dir=.fw/git branch --list 'sft/*' | sed 's/^[ *]*//' | tr '\n' ' ')" "sft/exp sft/main sft/old "
check "git fsck passes" git --git-dir=.fw/git fsck --strict
finish
