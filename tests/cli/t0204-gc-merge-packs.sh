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
finish
