#!/bin/sh
# fw gc merges small packs into one (every commit writes a pack; each read
# looks an object up in every pack): every version reads the same after,
# fsck is clean, a second gc does nothing, packs younger than the grace
# period and packs of FW_GC_PACK_MERGE_MAX bytes or more stay as they are,
# --dry-run only reports. Kills during a merge: t0203.
. "$(dirname "$0")/lib.sh"

npacks() { ls .fw/objects/pack/*.pack 2>/dev/null | wc -l; }
gen() { awk -v a="$1" -v b="$2" 'BEGIN { for (i = a; i < b; i++)
	printf "{\"id\":\"r%d\",\"reward\":%d,\"messages\":[{\"role\":\"user\",\"content\":\"hi %d\"}]}\n", i, i % 3, i }'; }

export FW_NOW=1700000000000000000
"$FW" init >/dev/null
"$FW" corpus create c >/dev/null
# one bigger batch first, then 30 small commits (upserts among them)
gen 0 20000 >in.jsonl && "$FW" add c in.jsonl >/dev/null && "$FW" commit c -m big >/dev/null
for k in $(seq 30); do
	gen $((k * 50 + 100000)) $((k * 50 + 100010)) >in.jsonl
	gen $((k * 7)) $((k * 7 + 2)) | sed 's/"reward":[0-9]/"reward":9/' >>in.jsonl
	"$FW" add c in.jsonl >/dev/null && "$FW" commit c -m "small $k" >/dev/null
done
expect_eq "a pack per commit" "$(npacks)" 31
mkdir want
for r in c c~1 c~10 c~30; do "$FW" cat "$r" >"want/$r"; done
biggest=$(ls -S .fw/objects/pack/*.pack | head -1)
bigsize=$(wc -c <"$biggest")

# young packs stay (the default grace period is an hour)
"$FW" gc >out
grep -q ' 0 merged into one' out && ok || bad "young packs merged: $(cat out)"
expect_eq "young packs stay" "$(npacks)" 31

export FW_GC_GRACE=0
"$FW" gc --dry-run >dry
grep -q -F '31 merged into one' dry && ok || bad "dry run: $(cat dry)"
expect_eq "dry run merges nothing" "$(npacks)" 31
"$FW" gc --dry-run --json >dry.json
expect_eq "--json: the same figures" \
    "$(jq -r '"\(.objects) objects, \(.reachable) reachable; would remove \(.removed) unreachable objects (\(.packs_rewritten) packs rewritten, \(.packs_removed) removed, \(.packs_merged) merged into one, \(.loose_removed) loose), \(.leftovers_removed) leftover files; \(.bytes_freed) bytes would be freed; \(.young_kept) unreachable"' dry.json)" \
    "$(head -1 dry | sed 's/^dry run: //; s/ objects kept as younger.*//')"
expect_eq "--json: a dry run" "$(jq .dry_run dry.json)" true

# packs of FW_GC_PACK_MERGE_MAX bytes or more stay: the big one here
FW_GC_PACK_MERGE_MAX=$bigsize "$FW" gc >out
grep -q -F '30 merged into one' out && ok || bad "merge below the limit: $(cat out)"
expect_eq "the big pack and one merged pack" "$(npacks)" 2
[ -f "$biggest" ] && ok || bad "the pack at the limit was rewritten"

# then all of them (the default limit is 16 MiB)
"$FW" gc >out
grep -q -F '2 merged into one' out && ok || bad "second merge: $(cat out)"
expect_eq "one pack" "$(npacks)" 1
expect_eq "and its index" "$(ls .fw/objects/pack/ | wc -l)" 2
for r in c c~1 c~10 c~30; do
	"$FW" cat "$r" | cmp -s - "want/$r" && ok || bad "$r reads differently after the merge"
done
"$FW" fsck >fsck.out 2>&1 && ok || { bad "fsck after the merge"; head -3 fsck.out; }
"$FW" gc >again
grep -q -F '(0 packs rewritten, 0 removed, 0 merged into one, 0 loose), 0 leftover files; 0 bytes freed' again &&
    ok || bad "a second gc did something: $(cat again)"

# commits go on, into packs of their own, and a later gc merges them again
gen 200000 200010 >in.jsonl && "$FW" add c in.jsonl >/dev/null && "$FW" commit c -m after >/dev/null
expect_eq "a new pack" "$(npacks)" 2
"$FW" gc >out
expect_eq "merged again" "$(npacks)" 1
expect_eq "records after" "$("$FW" cat c | wc -l)" $((20000 + 30 * 10 + 10))

# Without gc: once FW_AUTO_MERGE_PACKS (default 50) small packs have piled
# up, the commit that makes one more merges them, keeping every object
unset FW_GC_GRACE
small() { # N: a commit of record N
	printf '{"id":"s%d","reward":%d}\n' "$1" "$1" >s.jsonl
	"$FW" add c s.jsonl >/dev/null && "$FW" commit c -m "s$1" >/dev/null
}
"$FW" gc >/dev/null
for k in 1 2 3 4; do FW_AUTO_MERGE_PACKS=5 small $k; done
expect_eq "four small packs and the big one" "$(npacks)" 5
FW_AUTO_MERGE_PACKS=5 small 5
expect_eq "the fifth small pack: all five merged" "$(npacks)" 2
"$FW" fsck >/dev/null 2>&1 && ok || bad "fsck after an automatic merge"
expect_eq "every record" "$("$FW" cat c | wc -l)" $((20000 + 30 * 10 + 10 + 5))
for k in 6 7 8 9 10 11; do FW_AUTO_MERGE_PACKS=0 small $k; done
expect_eq "FW_AUTO_MERGE_PACKS=0: none merged" "$(npacks)" 8
# while a gc holds its lock, a commit merges nothing, and succeeds
(flock -x 9; FW_AUTO_MERGE_PACKS=5 small 12 && echo committed) 9>.fw/locks/.gc.lock >out
expect_eq "a commit while gc runs" "$(cat out) $(npacks)" "committed 9"
printf '{"id":"s13"}\n' >s.jsonl && "$FW" add c s.jsonl >/dev/null
FW_AUTO_MERGE_PACKS=x "$FW" commit c -m s13 >out 2>err
expect_eq "a bad FW_AUTO_MERGE_PACKS: the commit stands" "$? $(grep -c 'warning: small packs not merged' err)" "0 1"

# killed at every step of an automatic merge: fsck is clean and the
# records are the old or the new ones (stores in subdirectories, which fw
# finds before the one here)
printf '{"id":"k1"}\n' >k.jsonl
mkdir pre && cp -a .fw pre/
before=$("$FW" cat c | md5sum)
cp -a pre ref && (cd ref && "$FW" add c ../k.jsonl >/dev/null && FW_AUTO_MERGE_PACKS=5 "$FW" commit c -m k >/dev/null)
after=$(cd ref && "$FW" cat c | md5sum)
[ "$(find ref/.fw/objects/pack -name '*.pack' -size -1024k | wc -l)" -le 1 ] && ok ||
    bad "the reference left small packs: $(ls -l ref/.fw/objects/pack)"
n=1
while :; do
	rm -rf km && cp -a pre km
	(cd km && "$FW" add c ../k.jsonl >/dev/null &&
	    FW_AUTO_MERGE_PACKS=5 FW_TEST_CRASH_AFTER_WRITES=$n "$FW" commit c -m k >/dev/null 2>&1) 2>/dev/null
	rc=$?
	(cd km && "$FW" fsck >/dev/null 2>&1) && ok || bad "killed at step $n: fsck"
	got=$(cd km && "$FW" cat c | md5sum)
	[ "$got" = "$before" ] || [ "$got" = "$after" ] && ok || bad "killed at step $n: records"
	[ $rc -eq 0 ] && break
	n=$((n + 1))
	[ $n -gt 60 ] && { bad "the commit never finished"; break; }
done
[ $n -ge 5 ] && ok || bad "only $n kill points"
finish
