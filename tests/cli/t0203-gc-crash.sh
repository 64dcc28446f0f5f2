#!/bin/sh
# SIGKILL at every durable step of fw gc (FW_TEST_CRASH_AFTER_WRITES): after
# each kill fsck finds the store clean and every kept version reads as
# before; a gc run afterwards ends at exactly the store an uninterrupted gc
# makes.
. "$(dirname "$0")/lib.sh"

g() { git --git-dir=.fw/git "$@"; }
gen() { awk -v a="$1" -v b="$2" 'BEGIN { pad = sprintf("%01000d", 0); for (i = a; i < b; i++)
	printf "{\"id\":\"r%d\",\"reward\":%d,\"messages\":[\"m%d %s\"]}\n", i, i % 5, i, pad }'; }

export FW_NOW=1700000000000000000
"$FW" init base >/dev/null
cd base
"$FW" corpus create c >/dev/null
# Branch x holds main's records (same ids, contents and arrival time, so the
# same row groups) and a second batch: committed first, x's pack ends up part
# reachable (to be rewritten) once x is gone; y's pack is all garbage (to be
# removed).
g branch c/x "$(g rev-parse c/main)"
g branch c/y "$(g rev-parse c/main)"
g symbolic-ref refs/fw/current/c refs/heads/c/x
gen 0 6000 >a.jsonl && "$FW" add c a.jsonl >/dev/null
gen 60000 61000 >a2.jsonl && FW_NOW=1700000001000000000 "$FW" add c a2.jsonl >/dev/null
"$FW" commit c -m x >/dev/null
g symbolic-ref refs/fw/current/c refs/heads/c/y
gen 50000 50500 >y.jsonl && "$FW" add c y.jsonl >/dev/null && "$FW" commit c -m y >/dev/null
g symbolic-ref refs/fw/current/c refs/heads/c/main
"$FW" add c a.jsonl >/dev/null && "$FW" commit c -m main >/dev/null
g update-ref -d refs/heads/c/x
g update-ref -d refs/heads/c/y
g reflog expire --expire=now --all
rm -f a.jsonl a2.jsonl y.jsonl
"$FW" cat c >../want
cd ..
export FW_GC_GRACE=0
listing() { (cd "$1/.fw/objects" && find . -type f | sort | xargs ls -l | awk '{ print $5, $NF }'); }
# Twice: with the small packs merged into one (the default), and with
# merging off (FW_GC_PACK_MERGE_MAX=0), where x's pack is rewritten and
# y's removed.
for merge in default 0; do
if [ $merge = 0 ]; then export FW_GC_PACK_MERGE_MAX=0; want='(1 packs rewritten, 1 removed, 0 merged'
else unset FW_GC_PACK_MERGE_MAX; want='(0 packs rewritten, 0 removed, 3 merged into one'; fi
rm -rf ref && cp -a base ref
(cd ref && "$FW" gc >../ref.out) || bad "gc of the reference copy"
grep -q -F "$want" ref.out && ok || bad "merge $merge: want '$want': $(cat ref.out)"
listing ref >ref.list
[ $merge = default ] && { expect_eq "one pack left" "$(ls ref/.fw/objects/pack/*.pack | wc -l)" 1; }

n=1
while :; do
	rm -rf s && cp -a base s
	(cd s && FW_TEST_CRASH_AFTER_WRITES=$n "$FW" gc >/dev/null 2>&1) 2>/dev/null
	rc=$?
	(cd s && "$FW" fsck >../fsck.out 2>&1) && ok || { bad "gc killed at step $n: fsck"; head -3 fsck.out; }
	(cd s && "$FW" cat c | cmp -s - ../want) && ok || bad "gc killed at step $n: records differ"
	git --git-dir=s/.fw/git fsck --no-dangling >/dev/null 2>&1 && ok || bad "gc killed at step $n: git fsck"
	(cd s && "$FW" gc >/dev/null) || bad "gc after a kill at step $n failed"
	listing s | cmp -s - ref.list && ok || { bad "gc killed at step $n, then run again: another store"; listing s | diff - ref.list | head -5; }
	[ $rc -eq 0 ] && break
	n=$((n + 1))
	[ $n -gt 40 ] && { bad "gc never finished"; break; }
done
[ $n -ge 6 ] && ok || bad "gc has only $n kill points"
done
finish
