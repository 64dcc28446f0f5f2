#!/bin/sh
# fw gc packs the git side: the commits, trees, blobs and annotated tags
# it reaches, every other loose object and every object of the older git
# packs go into one git pack; the loose copies and the older packs go.
# Nothing is pruned. Every ref, reflog revision and version reads as before, and
# git fsck accepts the store. Kills during it: t0203.
. "$(dirname "$0")/lib.sh"

g() { git --git-dir=.fw/git "$@"; }
loose() { find .fw/git/objects -path '*/pack' -prune -o -type f -print | wc -l; }
gpacks() { ls .fw/git/objects/pack/*.pack 2>/dev/null | wc -l; }
commit() { # N: a commit of record N
	printf '{"id":"r%d","reward":%d}\n' "$1" "$1" >in.jsonl
	"$FW" add c in.jsonl >/dev/null && "$FW" commit c -m "r$1" >/dev/null
}

"$FW" init >/dev/null
"$FW" corpus create c >/dev/null
for k in $(seq 12); do commit "$k"; done
"$FW" tag c@v1 -m "the first twelve" >/dev/null
expect_eq "an annotated tag" "$(g cat-file -t refs/tags/c/v1)" tag
"$FW" branch c@exp >/dev/null && "$FW" switch c@exp >/dev/null
for k in 20 21 22; do commit "$k"; done
"$FW" switch c@main >/dev/null
"$FW" reset c@main "$(g rev-parse c/main~2)" >/dev/null	# the two after stay in the reflog
n0=$(loose)
[ "$n0" -gt 60 ] && ok || bad "loose git objects before: $n0"
save() { # DIR: what every name reads
	mkdir -p "$1"
	"$FW" log c@main --oneline >"$1/main"; "$FW" log c@exp --oneline >"$1/exp"
	"$FW" cat c@v1 >"$1/v1"; "$FW" cat "c@main@{1}" >"$1/reflog1"; "$FW" show c@exp >"$1/show"
}
save before

"$FW" gc --dry-run >dry
grep -q -F "dry run: $n0 loose git objects (commits, trees, blobs) to pack, at most" dry && ok ||
    bad "dry run: $(cat dry)"
expect_eq "a dry run packs nothing" "$(loose) $(gpacks)" "$n0 0"

# the default grace period does not matter: packing removes nothing
"$FW" gc >out
grep -q -E '^[1-9][0-9]* loose git objects \(commits, trees, blobs\) packed' out && ok || bad "gc: $(cat out)"
expect_eq "no loose git object left" "$(loose)" 0
expect_eq "one git pack" "$(gpacks)" 1
save after
for f in main exp v1 reflog1 show; do
	cmp -s "before/$f" "after/$f" && ok || bad "$f reads differently after packing"
done
check "git fsck" g fsck --strict
"$FW" fsck >/dev/null 2>&1 && ok || bad "fw fsck after packing"
expect_eq "again: nothing to pack" "$("$FW" gc --json | jq .git_objects_packed)" 0
# a loose object no ref reaches is packed too (nothing is pruned), so that
# it does not make every later gc pack everything again
stray=$(echo stray | g hash-object -w --stdin)
"$FW" gc >/dev/null
expect_eq "the stray object, packed" "$(loose) $(g cat-file -t "$stray")" "0 blob"
expect_eq "and the gc after packs nothing" "$("$FW" gc --json | jq .git_objects_packed)" 0

# new commits are loose again; gc packs everything anew and the old pack,
# all of whose objects the new one holds, goes
commit 30
[ "$(loose)" -gt 0 ] && ok || bad "a commit writes loose objects"
"$FW" gc >/dev/null
expect_eq "one git pack after a second gc" "$(loose) $(gpacks)" "0 1"

# nothing is pruned: a commit reset away is packed while a reflog reaches
# it; once the reflogs are expired it is packed again, into the one pack
# (fw gc frees fw's objects, and leaves git's few bytes alone)
before40=$(g rev-parse c/main)
commit 40
gone=$(g rev-parse c/main)
"$FW" gc >/dev/null
"$FW" reset c@main "$before40" >/dev/null
commit 41
FW_GC_GRACE=0 "$FW" gc --expire-reflogs 0 >out || bad "gc --expire-reflogs: $(cat out)"
expect_eq "one pack still" "$(loose) $(gpacks)" "0 1"
expect_eq "with the commit no ref reaches" "$(g cat-file -t "$gone")" commit
check "git fsck after" g fsck --strict
"$FW" fsck >/dev/null 2>&1 && ok || bad "fw fsck after expiring"
expect_eq "main reads" "$("$FW" cat c | wc -l)" 12

# what a killed pack write leaves (libgit2's temporary pack, an index lock)
# goes once older than the grace period
echo x >.fw/git/objects/pack/pack_git2_AbC123
echo x >.fw/git/objects/pack/pack-0123.idx.lock
"$FW" gc >out
grep -q ', 0 leftover files' out && [ -f .fw/git/objects/pack/pack_git2_AbC123 ] && ok ||
    bad "young leftovers removed: $(cat out)"
FW_GC_GRACE=0 "$FW" gc >out
grep -q ', 2 leftover files' out && ok || bad "leftovers: $(cat out)"
expect_eq "both gone" "$(ls .fw/git/objects/pack | grep -c 'pack_git2_\|\.lock$')" 0
check "git fsck at the end" g fsck --strict
finish
