#!/bin/sh
# fw gc never removes a reachable object: a store with branches, tags, a
# reset (kept by the reflog), a deleted branch and expired reflog entries
# (garbage), staged data on two branches; gc, then every version and every
# staged record reads back. --dry-run changes nothing and reports what gc then
# frees; the grace period keeps young objects; a running commit stops gc.
. "$(dirname "$0")/lib.sh"

g() { git --git-dir=.fw/git "$@"; }
gen() { # FROM TO TAG
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { for (i = a; i < b; i++)
		printf "{\"id\":\"r%d\",\"reward\":%d,\"tag\":\"%s\",\"messages\":[\"%s %d\"]}\n", i, i % 5, t, t, i }'
}
switch() { g symbolic-ref refs/fw/current/c "refs/heads/c/$1"; }
commit() { # FROM TO TAG
	gen "$1" "$2" "$3" >in.jsonl && "$FW" add c in.jsonl >/dev/null && "$FW" commit c -m "$3" >/dev/null
}

export FW_NOW=1700000000000000000
"$FW" init >/dev/null
"$FW" corpus create c >/dev/null
commit 0 2000 v1
g update-ref refs/tags/c/t1 "$(g rev-parse c/main)"
commit 1500 2500 v2
# a branch from v1 with its own version
g branch c/exp "$(g rev-parse c/t1)"
switch exp
commit 5000 5300 exp1
switch main
# a version reset away from: only main's reflog keeps it
commit 2500 2600 v3
v3=$(g rev-parse c/main)
g update-ref refs/heads/c/main "$(g rev-parse c/main~1)"
# garbage: a branch deleted with its reflog, and reflog entries expired
g branch c/tmp "$(g rev-parse c/main)"
switch tmp
commit 9000 9400 tmp1
tmp1=$(g rev-parse c/tmp)
switch main
g update-ref -d refs/heads/c/tmp
g branch c/tmp2 "$(g rev-parse c/main)"
switch tmp2
commit 7000 7300 tmp2
tmp2=$(g rev-parse c/tmp2)
switch main
g update-ref refs/heads/c/tmp2 "$(g rev-parse c/main)"
# (switching the current branch logs the commits it named, like HEAD's reflog)
g reflog expire --expire=now refs/heads/c/tmp2 refs/fw/current/c
# staged data: on main, and on exp (waiting while main is current)
gen 100000 100050 staged-main >sm.jsonl && "$FW" add c sm.jsonl >/dev/null
switch exp
gen 200000 200030 staged-exp >se.jsonl && "$FW" add c se.jsonl >/dev/null
switch main

# Every version any ref or reflog entry reaches, as fw cat prints it.
versions=$(g rev-list --all --reflog | sort)
expect_eq "versions to keep" "$(echo "$versions" | wc -l)" 5
echo "$versions" | grep -q "$v3" && ok || bad "the reset version is not in the reflog"
echo "$versions" | grep -q -e "$tmp1" -e "$tmp2" && bad "garbage versions still reachable" || ok
mkdir want
for v in $versions; do "$FW" cat "c@$(echo "$v" | cut -c1-12)" >"want/$v"; done

listing() { find .fw/objects -type f | sort | xargs ls -l | awk '{ print $5, $NF }'; }
listing >before
"$FW" fsck >/dev/null 2>&1 && ok || bad "fsck before gc"

# the grace period: everything is young, nothing goes
"$FW" gc >out
grep -q 'removed 0 unreachable objects' out && ok || bad "default grace: $(cat out)"
grep -q -E '; [1-9][0-9]* unreachable objects kept as younger' out && ok || bad "young garbage not counted: $(cat out)"
listing >after
cmp -s before after && ok || bad "gc within the grace period changed the store"

# dry run: reports, changes nothing
export FW_GC_GRACE=0
"$FW" gc --dry-run >dry
grep -q -E 'would remove [1-9][0-9]* unreachable objects' dry && ok || bad "dry run: $(cat dry)"
listing >after
cmp -s before after && ok || bad "--dry-run changed the store"

# gc for real
"$FW" gc >out || bad "gc failed"
grep -q -E "\(([1-9][0-9]* packs rewritten, [0-9]+ removed|[0-9]+ packs rewritten, [1-9][0-9]* removed|[0-9]+ packs rewritten, [0-9]+ removed, [1-9][0-9]* merged)" out && ok || bad "no pack rewritten, removed or merged: $(cat out)"
freed=$(sed -n 's/.*; \([0-9]*\) bytes freed.*/\1/p' out)
expect_eq "freed what the dry run said" "$freed" "$(sed -n 's/.*; \([0-9]*\) bytes would be freed.*/\1/p' dry)"
[ "${freed:-0}" -gt 0 ] && ok || bad "nothing freed: $(cat out)"
expect_eq "store shrank by that" $(( $(awk '{ s += $1 } END { print s }' before) - $(listing | awk '{ s += $1 } END { print s }') )) "$freed"
"$FW" fsck >fsck.out 2>&1 && ok || { bad "fsck after gc"; head -5 fsck.out; }
check "git fsck after gc" g fsck --no-dangling
for v in $versions; do
	"$FW" cat "c@$(echo "$v" | cut -c1-12)" >got 2>&1 && cmp -s got "want/$v" && ok ||
	    bad "version $v reads differently after gc"
done
"$FW" cat c@t1 | cmp -s - "want/$(g rev-parse c/t1)" && ok || bad "tag t1 after gc"
"$FW" cat c@exp | cmp -s - "want/$(g rev-parse c/exp)" && ok || bad "branch exp after gc"
"$FW" gc >again
grep -q 'removed 0 unreachable objects' again && grep -q '; 0 bytes freed' again && ok ||
    bad "a second gc found more: $(cat again)"

# the staged records were kept: commit them on their branches
check "commit staged on main" "$FW" commit c -m staged
expect_eq "staged on main" "$("$FW" cat c --where 'tag == "staged-main"' | wc -l)" 50
switch exp
check "commit staged on exp" "$FW" commit c -m staged
expect_eq "staged on exp" "$("$FW" cat c --where 'tag == "staged-exp"' | wc -l)" 30
expect_eq "exp keeps its records" "$("$FW" cat c | wc -l)" 2330
switch main

# leftovers of killed writers, and an unreachable loose object: removed once
# older than the grace period
unset FW_GC_GRACE
mkdir -p .fw/objects/ab
loose=.fw/objects/ab/$(printf '%062d' 0)
for f in .fw/objects/pack/.tmp-1-0.pack .fw/stage/c/.tmp-1-0-0 "$loose"; do
	echo junk >"$f" && touch -d '2 hours ago' "$f"
done
echo junk >.fw/objects/pack/.tmp-2-0.pack
"$FW" gc >out
grep -q ' 1 loose), 2 leftover files' out && ok || bad "leftovers: $(cat out)"
[ ! -e .fw/objects/pack/.tmp-1-0.pack ] && [ ! -e .fw/stage/c/.tmp-1-0-0 ] && [ ! -e "$loose" ] &&
    ok || bad "old leftovers still there"
[ -e .fw/objects/pack/.tmp-2-0.pack ] && ok || bad "a young temporary file was removed"

# a commit running (its corpus lock held) stops gc before it removes anything
flock .fw/locks/c.lock -c 'touch held; sleep 5' &
i=0; while [ ! -e held ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
FW_GC_GRACE=0 expect_fail "gc during a commit" 1 "commit of corpus 'c' is running" "$FW" gc
kill $! 2>/dev/null; wait 2>/dev/null
# --expire-reflogs: a version reset away from lives in the reflog until its
# entries are dropped; then gc frees it, and what the branches reach stays
mkdir rx && cd rx
"$FW" init >/dev/null && "$FW" corpus create r >/dev/null
printf '{"id":"a","text":"kept"}\n' >a.jsonl
"$FW" add r a.jsonl >/dev/null && v1=$("$FW" commit r -m v1)
printf '{"id":"b","text":"reset away from"}\n' >b.jsonl
"$FW" add r b.jsonl >/dev/null && "$FW" commit r -m v2 >/dev/null
"$FW" reset r@main "$v1" >/dev/null
"$FW" branch r@gone >/dev/null && "$FW" branch --delete r@gone >/dev/null
FW_GC_GRACE=0 "$FW" gc >out
grep -q ' 0 unreachable objects' out && ok || bad "the reflog keeps v2: $(cat out)"
check "v2 read from the reflog" "$FW" cat r@main@{1}
FW_GC_GRACE=0 "$FW" gc --expire-reflogs 30 >out
grep -q '^0 reflog entries expired' out && ok || bad "fresh entries kept: $(cat out)"
FW_GC_GRACE=0 "$FW" gc --dry-run --expire-reflogs 0 >out
grep -q 'would remove [1-9]' out && grep -q 'reflog entries would expire' out && ok ||
    bad "dry run: $(cat out)"
check "a dry run expires nothing" "$FW" cat r@main@{1}
FW_GC_GRACE=0 "$FW" gc --expire-reflogs 0 >out
grep -q 'removed [1-9][0-9]* unreachable' out && ok || bad "expired: $(cat out)"
expect_fail "the reset-away version is gone" 1 "has no reflog entries" "$FW" cat r@main@{1}
expect_eq "the branch's version stays" "$("$FW" cat r)" '{"id":"a","text":"kept"}'
check "fsck after expiry" "$FW" fsck
expect_fail "days are a number" 2 "number\|usage" "$FW" gc --expire-reflogs soon
cd ..

# one gc at a time, even in a store with no corpus
mkdir empty && (cd empty && "$FW" init >/dev/null)
flock empty/.fw/locks/.gc.lock -c 'touch held2; sleep 1' &
i=0; while [ ! -e held2 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
expect_fail "two gc at once" 1 "another fw gc is running" "$FW" -C empty gc
wait	# the lock goes with the sleep that holds it
check "gc of a store with no corpus" "$FW" -C empty gc
expect_fail "arguments" 2 "usage" "$FW" gc now
finish
