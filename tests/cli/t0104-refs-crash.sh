#!/bin/sh
# SIGKILL at every write point of branch, tag, switch, reset and the two
# deletions (FW_TEST_CRASH_AFTER_WRITES=N kills the process at its Nth durable
# write), and of a commit on a branch other than main. Afterwards each ref is
# at its old or its new position, git fsck passes, and running the command
# again finishes the job.
. "$(dirname "$0")/lib.sh"

export FW_NOW=1700000000000000000
G() { git --git-dir=s/.fw/git "$@"; }
"$FW" init base >/dev/null
cd base
"$FW" corpus create c >/dev/null
for i in 1 2 3; do
	printf '{"id":"r%d","v":%d}\n{"id":"q%d"}\n' $i $i $i >../$i.jsonl
	"$FW" add c ../$i.jsonl >/dev/null && "$FW" commit c -m "v$i" >/dev/null
done
"$FW" branch c@exp main~1 >/dev/null
"$FW" branch c@gone main~2 >/dev/null
"$FW" tag c@old main~2 >/dev/null
cd ..

# pos REF: the ref's id, or "none"
pos() { G rev-parse -q --verify "$1" 2>/dev/null || echo none; }
# crashloop NAME REF OLD NEW COMMAND...: kill COMMAND at each write point in a
# fresh copy of base; REF must be at OLD or NEW each time, and NEW at the end.
crashloop() {
	name=$1 ref=$2 old=$3 new=$4; shift 4
	n=1
	while :; do
		rm -rf s && cp -a base s
		(cd s && FW_TEST_CRASH_AFTER_WRITES=$n "$@" >/dev/null 2>&1) 2>/dev/null
		rc=$?
		now=$(pos "$ref")
		if [ "$now" = "$old" ] || [ "$now" = "$new" ]; then ok; else
			bad "$name killed at write $n: $ref at $now, want $old or $new"
		fi
		check "$name: git fsck after a kill at write $n" G fsck
		check "$name: the store reads after a kill at write $n" sh -c "cd s && '$FW' log c --oneline && '$FW' branch --list c && '$FW' tag --list c"
		# again, to the end: the command (or its effect) completes
		(cd s && "$@" >/dev/null 2>&1)
		expect_eq "$name: done after a kill at write $n and a rerun" "$(pos "$ref")" "$new"
		[ $rc -eq 0 ] && break
		n=$((n + 1))
		[ $n -gt 20 ] && { bad "$name never finished"; break; }
	done
	expect_eq "$name has write points" "$([ $n -gt 1 ] && echo yes)" yes
}
rm -rf s && cp -a base s
main=$(pos refs/heads/c/main)
main1=$(pos refs/heads/c/main~1)
gone=$(pos refs/heads/c/gone)
oldtag=$(pos refs/tags/c/old)

crashloop "branch" refs/heads/c/new none "$main" "$FW" branch c@new
crashloop "reset" refs/heads/c/exp "$main1" "$main" "$FW" reset c@exp main
crashloop "branch --delete" refs/heads/c/gone "$gone" none "$FW" branch --delete c@gone
# the deleted branch's position is in the store log
expect_eq "store log after branch --delete" "$(cd s && "$FW" reflog --deleted c --json | jq -r .new | head -1)" "$gone"
crashloop "tag --delete" refs/tags/c/old "$oldtag" none "$FW" tag --delete c@old
# tag: the ref is absent or names an annotated tag of main
n=1
while :; do
	rm -rf s && cp -a base s
	(cd s && FW_TEST_CRASH_AFTER_WRITES=$n "$FW" tag c@v9 >/dev/null 2>&1) 2>/dev/null
	rc=$?
	now=$(G rev-parse -q --verify 'refs/tags/c/v9^{commit}' 2>/dev/null || echo none)
	if [ "$now" = none ] || [ "$now" = "$main" ]; then ok; else bad "tag killed at write $n: at $now"; fi
	check "tag: git fsck after a kill at write $n" G fsck
	[ $rc -eq 0 ] && break
	n=$((n + 1))
	[ $n -gt 20 ] && { bad "tag never finished"; break; }
done
expect_eq "tag has write points" "$([ $n -gt 2 ] && echo yes)" yes
# switch: the current branch is the old or the new one
n=1
while :; do
	rm -rf s && cp -a base s
	(cd s && FW_TEST_CRASH_AFTER_WRITES=$n "$FW" switch c@exp >/dev/null 2>&1) 2>/dev/null
	rc=$?
	cur=$(G symbolic-ref refs/fw/current/c 2>&1)
	case "$cur" in refs/heads/c/main|refs/heads/c/exp) ok ;; *) bad "switch killed at write $n: current is $cur" ;; esac
	check "switch: git fsck after a kill at write $n" G fsck
	[ $rc -eq 0 ] && break
	n=$((n + 1))
	[ $n -gt 20 ] && { bad "switch never finished"; break; }
done
expect_eq "switch has a write point" "$([ $n -gt 1 ] && echo yes)" yes

# a commit on a branch other than main: exp moves, main does not
cp -a base base2
(cd base2 && "$FW" switch c@exp >/dev/null && "$FW" add c ../3.jsonl >/dev/null)
rm -rf base && mv base2 base
exp=$(G rev-parse refs/heads/c/exp)
n=1
while :; do
	rm -rf s && cp -a base s
	(cd s && FW_TEST_CRASH_AFTER_WRITES=$n "$FW" commit c -m "exp v3" >/dev/null 2>&1) 2>/dev/null
	rc=$?
	now=$(pos refs/heads/c/exp)
	if [ "$now" = "$exp" ] || [ "$(G rev-parse "$now^")" = "$exp" ]; then ok; else bad "commit on exp killed at write $n: exp at $now"; fi
	expect_eq "commit on exp killed at write $n: main did not move" "$(pos refs/heads/c/main)" "$main"
	check "commit on exp: git fsck after a kill at write $n" G fsck
	(cd s && "$FW" commit c -m again >/dev/null 2>&1)
	expect_eq "commit on exp: records after a kill at write $n" "$(cd s && "$FW" cat c | jq -r .id | sort | tr '\n' ' ')" "q1 q2 q3 r1 r2 r3 "
	[ $rc -eq 0 ] && break
	n=$((n + 1))
	[ $n -gt 100 ] && { bad "commit never finished"; break; }
done
finish
