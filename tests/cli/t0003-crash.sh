#!/bin/sh
# SIGKILL at every write point of fw add and fw commit (FW_TEST_CRASH_AFTER_WRITES
# makes the process kill itself at its Nth durable write). Afterwards the branch
# is at the old or the new version, every object reads, git fsck passes, and
# every record is either still staged or committed: committing what is left
# always ends at the same records.
. "$(dirname "$0")/lib.sh"

export FW_NOW=1700000000000000000
"$FW" init base >/dev/null
cd base
"$FW" corpus create c >/dev/null
i=0
while [ $i -lt 300 ]; do
	printf '{"id":"r%d","reward":%d,"messages":[{"role":"user","content":"text %d %d"}]}\n' $i $((i % 3)) $i $((i * 7))
	i=$((i + 1))
done >../v1.jsonl
i=250
while [ $i -lt 400 ]; do
	printf '{"id":"r%d","reward":9,"messages":[{"role":"assistant","content":"new %d"}]}\n' $i $i
	i=$((i + 1))
done >../v2.jsonl
"$FW" add c ../v1.jsonl >/dev/null && "$FW" commit c -m v1 >/dev/null
old=$("$FW" cat c | md5sum)
cd ..
cp -a base ref
(cd ref && "$FW" add c ../v2.jsonl >/dev/null && "$FW" commit c -m v2 >/dev/null)
new=$(cd ref && "$FW" cat c | md5sum)
[ "$old" != "$new" ] && ok || bad "v1 and v2 should differ"

# kills BASE FILE WANT_OLD WANT_NEW STAGED: fw add of FILE into a copy of
# BASE killed at each write point stages all of it or nothing; fw commit
# killed at each write point leaves the branch at the old or the new version,
# and committing what is left ends at the new one.
kills() {
	kb=$1 kf=$2 kold=$3 knew=$4 kstaged=$5
	n=1
	while :; do
		rm -rf s && cp -a "$kb" s
		(cd s && FW_TEST_CRASH_AFTER_WRITES=$n "$FW" add c "$kf" >/dev/null 2>&1) 2>/dev/null
		rc=$?
		staged=$(cd s && "$FW" status c --json | jq '.add + .replace')
		case "$staged" in 0|"$kstaged") ok ;; *) bad "$mode: add killed at write $n: $staged records staged" ;; esac
		[ $rc -eq 0 ] && break
		n=$((n + 1))
		[ $n -gt 20 ] && { bad "$mode: add never finished"; break; }
	done
	expect_eq "$mode: add has write points" "$([ $n -gt 1 ] && echo yes)" yes
	n=1
	while :; do
		rm -rf s && cp -a "$kb" s
		(cd s && "$FW" add c "$kf" >/dev/null &&
		    FW_TEST_CRASH_AFTER_WRITES=$n "$FW" commit c -m v2 >/dev/null 2>&1) 2>/dev/null
		rc=$?
		now=$(cd s && "$FW" cat c 2>&1 | md5sum)
		if [ "$now" = "$kold" ] || [ "$now" = "$knew" ]; then ok; else bad "$mode: commit killed at write $n: branch at neither version"; fi
		check "$mode: git fsck after a kill at write $n" git --git-dir=s/.fw/git fsck
		# What is left staged, committed, ends at the new version exactly.
		(cd s && "$FW" commit c -m again >/dev/null 2>&1)
		expect_eq "$mode: records after a kill at write $n" "$(cd s && "$FW" cat c | md5sum)" "$knew"
		check "$mode: fw fsck after a kill at write $n" sh -c "cd s && '$FW' fsck"
		[ $rc -eq 0 ] && break
		n=$((n + 1))
		[ $n -gt 200 ] && { bad "$mode: commit never finished"; break; }
	done
	expect_eq "$mode: commit has many write points" "$([ $n -gt 5 ] && echo yes)" yes
}

# Inline batches, and batches staged as chunks (FW_STAGE_CHUNK_MIN=0): into
# a corpus (the commit reads records back from the chunk) and into an empty
# one (it takes the chunk whole).
"$FW" init empty >/dev/null && (cd empty && "$FW" corpus create c >/dev/null)
none=$(cd empty && "$FW" cat c | md5sum)
for mode in off 0; do
	export FW_STAGE_CHUNK_MIN=$mode
	kills base ../v2.jsonl "$old" "$new" 150
	kills empty ../v1.jsonl "$none" "$old" 300
done
finish
