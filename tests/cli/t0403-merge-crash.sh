#!/bin/sh
# SIGKILL at every write point of fw merge (clean), of a merge stopped on
# conflicts, of fw resolve and of fw merge --continue: afterwards the branch is
# at its old head or at the merge commit, the merge state is readable or gone,
# git fsck passes, and finishing the merge gives the records of an unbroken run.
. "$(dirname "$0")/lib.sh"

G="git --git-dir=.fw/git"
export FW_NOW=1700000000000000000
export GIT_AUTHOR_DATE="1700000000 +0000" GIT_COMMITTER_DATE="1700000000 +0000"
"$FW" init base >/dev/null
cd base
"$FW" corpus create c >/dev/null
i=0
while [ $i -lt 300 ]; do
	printf '{"id":"r%d","reward":%d,"messages":[{"role":"user","content":"text %d"}]}\n' $i $((i % 3)) $i
	i=$((i + 1))
done >../v1.jsonl
"$FW" add c ../v1.jsonl >/dev/null && "$FW" commit c -m v1 >/dev/null
"$FW" branch c@x >/dev/null
printf '{"id":"r1","reward":7}\n{"id":"r2","reward":7}\n' >../o.jsonl
"$FW" add c ../o.jsonl --patch >/dev/null && "$FW" commit c -m ours >/dev/null
"$FW" switch c@x >/dev/null
printf '{"id":"r1","reward":8}\n{"id":"r200","reward":8}\n{"id":"new","reward":1}\n' >../t.jsonl
"$FW" add c ../t.jsonl >/dev/null && "$FW" rm c r100 >/dev/null && "$FW" commit c -m theirs >/dev/null
"$FW" switch c@main >/dev/null
old=$($G rev-parse refs/heads/c/main)
cd ..
# the reference: resolved r1 theirs
cp -a base ref
(cd ref && "$FW" merge c@x --strategy theirs >/dev/null)
want=$(cd ref && "$FW" cat c | md5sum)

# state: "none", "readable"; head: old or a merge commit of (old, x)
inspect() {
	head=$($G --git-dir=s/.fw/git rev-parse refs/heads/c/main 2>/dev/null)
	if [ "$head" = "$old" ]; then ok
	elif [ "$($G --git-dir=s/.fw/git log -1 --format=%P "$head")" = "$old $($G --git-dir=s/.fw/git rev-parse refs/heads/c/x)" ]; then ok
	else bad "$1: branch at neither the old head nor the merge"; fi
	check "$1: git fsck" git --git-dir=s/.fw/git fsck
	m=$(cd s && "$FW" status c --json | sed 's/.*"merging"://')
	case $m in 'null}'|'"c@x"}') ok ;; *) bad "$1: status reads '$m'" ;; esac
}
G=git

# 1. a merge stopped on conflicts: killed while writing its state
n=1
while :; do
	rm -rf s && cp -a base s
	(cd s && FW_TEST_CRASH_AFTER_WRITES=$n "$FW" merge c@x >/dev/null 2>&1) 2>/dev/null
	rc=$?
	inspect "conflicted merge killed at write $n"
	(cd s && { "$FW" merge --abort c >/dev/null 2>&1; "$FW" merge c@x --strategy theirs >/dev/null; })
	expect_eq "records after a kill at write $n" "$(cd s && "$FW" cat c | md5sum)" "$want"
	[ $rc -ne 137 ] && break
	n=$((n + 1))
	[ $n -gt 50 ] && { bad "merge never finished"; break; }
done

# 2. fw merge --strategy theirs and 3. fw merge --continue: killed at each write
for how in strategy continue; do
	n=1
	while :; do
		rm -rf s && cp -a base s
		if [ $how = strategy ]; then
			(cd s && FW_TEST_CRASH_AFTER_WRITES=$n "$FW" merge c@x --strategy theirs >/dev/null 2>&1) 2>/dev/null
		else
			(cd s && "$FW" merge c@x >/dev/null 2>&1; "$FW" resolve c r1 --theirs >/dev/null &&
			    FW_TEST_CRASH_AFTER_WRITES=$n "$FW" merge --continue c >/dev/null 2>&1) 2>/dev/null
		fi
		rc=$?
		inspect "$how killed at write $n"
		if [ "$($G --git-dir=s/.fw/git rev-parse refs/heads/c/main)" = "$old" ]; then
			(cd s && if [ $how = continue ]; then "$FW" merge --continue c >/dev/null
			    else "$FW" merge c@x --strategy theirs >/dev/null; fi)
		else
			(cd s && "$FW" merge --continue c >/dev/null 2>&1)	# removes a stale state
		fi
		expect_eq "$how: records after a kill at write $n" "$(cd s && "$FW" cat c | md5sum)" "$want"
		expect_eq "$how: no state left after write $n" "$(cd s && "$FW" status c --json | sed 's/.*"merging"://')" "null}"
		[ $rc -ne 137 ] && break
		n=$((n + 1))
		[ $n -gt 200 ] && { bad "$how never finished"; break; }
	done
	expect_eq "$how has write points" "$([ $n -gt 2 ] && echo yes)" yes
done

# 4. a clean merge of edits in place, done row group by row group
# (core/merge_fast.c), killed at each write
cd base
"$FW" branch c@y "$(git --git-dir=.fw/git rev-parse refs/heads/c/x~1)" >/dev/null
"$FW" switch c@y >/dev/null
printf '{"id":"r5","reward":9}\n{"id":"r250","tags":["t"]}\n' >../y.jsonl
"$FW" add c ../y.jsonl --patch >/dev/null && "$FW" commit c -m y >/dev/null
"$FW" switch c@main >/dev/null
cd ..
rm -rf ref && cp -a base ref
(cd ref && FW_VERBOSE=1 "$FW" merge c@y >/dev/null 2>../ref.err)
want=$(cd ref && "$FW" cat c | md5sum)
check "the in-place merge goes by row groups" grep -q "merge: row groups" ref.err
n=1
while :; do
	rm -rf s && cp -a base s
	(cd s && FW_TEST_CRASH_AFTER_WRITES=$n "$FW" merge c@y >/dev/null 2>&1) 2>/dev/null
	rc=$?
	head=$(git --git-dir=s/.fw/git rev-parse refs/heads/c/main)
	if [ "$head" = "$old" ]; then ok
	elif [ "$(git --git-dir=s/.fw/git log -1 --format=%P "$head")" = "$old $(git --git-dir=s/.fw/git rev-parse refs/heads/c/y)" ]; then ok
	else bad "row-group merge killed at write $n: branch at neither the old head nor the merge"; fi
	check "row-group merge killed at write $n: git fsck" git --git-dir=s/.fw/git fsck
	check "row-group merge killed at write $n: fw fsck" sh -c "cd s && '$FW' fsck >/dev/null"
	[ "$head" = "$old" ] && (cd s && "$FW" merge c@y >/dev/null)
	expect_eq "row-group merge: records after a kill at write $n" "$(cd s && "$FW" cat c | md5sum)" "$want"
	[ $rc -ne 137 ] && break
	n=$((n + 1))
	[ $n -gt 50 ] && { bad "the row-group merge never finished"; break; }
done
expect_eq "the row-group merge has write points" "$([ $n -gt 2 ] && echo yes)" yes
finish
