#!/bin/sh
# fw fsck: a clean store passes (with and without --full) and each kind of
# damage is found and named: flipped bytes in packs, a missing pack, a
# version whose id index and data tree disagree, DATA totals that lie, a cut
# staged segment.
. "$(dirname "$0")/lib.sh"

export FW_NOW=1700000000000000000
"$FW" init base >/dev/null
cd base
"$FW" corpus create c >/dev/null
# about 3 MB: several row groups under an internal node, and an index of
# several leaves
awk 'BEGIN { pad = sprintf("%0900d", 0); for (i = 0; i < 3000; i++)
	printf "{\"id\":\"r%d\",\"reward\":%d.5,\"source\":\"s%d\",\"messages\":[{\"role\":\"user\",\"content\":\"%d %s\"}]}\n", i, i % 7, i % 3, i, pad }' >../v1.jsonl
awk 'BEGIN { for (i = 2900; i < 3100; i++)
	printf "{\"id\":\"r%d\",\"reward\":1,\"messages\":[]}\n", i }' >../v2.jsonl
"$FW" add c ../v1.jsonl >/dev/null && "$FW" commit c -m v1 >/dev/null
export FW_NOW=1700000001000000000
"$FW" add c ../v2.jsonl >/dev/null && "$FW" commit c -m v2 >/dev/null
git --git-dir=.fw/git branch c/old "$(git --git-dir=.fw/git rev-parse c/main~1)"
echo '{"id":"staged","reward":0}' >../s.jsonl
"$FW" add c ../s.jsonl >/dev/null
cd ..

(cd base && "$FW" fsck >../out 2>../err)
expect_eq "clean store: exit 0" "$?" 0
expect_eq "clean store: nothing on stderr" "$(cat err)" ""
grep -q ' 0 problems$' out && ok || bad "summary: $(cat out)"
grep -q ' 3 versions' out && ok || bad "three versions (create, v1, v2): $(cat out)"
(cd base && "$FW" fsck --json >../out.json 2>../err)
expect_eq "--json, clean: exit 0" "$?" 0
expect_eq "--json, clean" "$(jq -c '[.versions,.problems,(.problem_lines|length),.objects>0]' out.json)" "[3,0,0,true]"
expect_eq "--json: one line" "$(wc -l <out.json)" 1
grep -q ' 1 staged segments (1 operations)' out && ok || bad "one staged segment: $(cat out)"
(cd base && "$FW" fsck --full >/dev/null 2>&1)
expect_eq "clean store, --full: exit 0" "$?" 0
check "git fsck" git --git-dir=base/.fw/git fsck --no-dangling
# Each object is checked once however many versions share it: the count is
# the number of distinct objects in the packs.
objs=0
for idx in base/.fw/objects/pack/*.idx; do
	objs=$((objs + $(od -An -tu4 -j8 -N4 "$idx" | tr -d ' ')))
done
expect_eq "objects counted once" "$(sed -n 's/.* versions, \([0-9]*\) objects.*/\1/p' out)" "$objs"
nrg=$(cd base && "$FW" stats c --json | jq .row_groups)
[ "$nrg" -ge 2 ] && ok || bad "want several row groups, have $nrg"

flip() { # FILE OFFSET: xor one byte with 0x20
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $(( b ^ 32 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# fsck exits 1 and every line names an object (or the pack it cannot open)
fsck_names() { # DESCRIPTION [PATTERN]
	(cd s && "$FW" fsck >../out 2>../err)
	rc=$?
	if [ $rc -ne 1 ]; then bad "$1: exit $rc, want 1"; return; fi
	if [ -n "${2:-}" ] && ! grep -q -E "$2" err; then
		bad "$1: no line matches '$2'"; sed 's/^/  /' err | head -3; return
	fi
	if grep -v -q -E '^fw fsck: (object [0-9a-f]{64} \((rg|rk|rs|col|node|ixl), in c@[0-9a-z]+\): |version [0-9a-f]{40}|staged segment)|^fw: .*pack' err; then
		bad "$1: a line names nothing"; sed 's/^/  /' err | head -3; return
	fi
	ok
}

for pack in base/.fw/objects/pack/*.pack; do
	size=$(wc -c <"$pack")
	off=8
	step=$(( size / 25 + 1 ))
	while [ $off -lt "$size" ]; do
		rm -rf s && cp -a base s
		f=s/${pack#base/}
		chmod u+w "$f"
		flip "$f" $off
		fsck_names "flip at $pack:$off" 'object [0-9a-f]{64}'
		off=$((off + step))
	done
done

# a pack gone: the objects are named as missing
rm -rf s && cp -a base s
newest=$(ls -t s/.fw/objects/pack/*.idx | head -1)
rm -f "$newest" "${newest%.idx}.pack"
fsck_names "a pack removed" 'not found'

# a version whose INDEX is an older version's: the two trees disagree and the
# rows the index lacks are named
rm -rf s && cp -a base s
g="git --git-dir=s/.fw/git"
v2=$($g rev-parse c/main) v1=$($g rev-parse c/main~1)
tree=$(printf '100644 blob %s\tDATA\n100644 blob %s\tINDEX\n100644 blob %s\tschema.yaml\n' \
    "$($g rev-parse $v2:DATA)" "$($g rev-parse $v1:INDEX)" "$($g rev-parse $v2:schema.yaml)" | $g mktree)
$g update-ref refs/heads/c/bad "$(echo bad | $g commit-tree "$tree" -p "$v2")"
fsck_names "index from another version" 'do not hold the same row keys'
grep -q 'is not in the id index' err && ok || bad "the rows are not named"
grep -q 'in c@bad)' err && ok || bad "the branch is not named: $(head -1 err)"

# DATA totals that do not match the tree
rm -rf s && cp -a base s
g="git --git-dir=s/.fw/git"
data=$($g cat-file blob "$v2:DATA" | sed 's/^records .*/records 7/' | $g hash-object -w --stdin)
tree=$(printf '100644 blob %s\tDATA\n100644 blob %s\tINDEX\n100644 blob %s\tschema.yaml\n' \
    "$data" "$($g rev-parse $v2:INDEX)" "$($g rev-parse $v2:schema.yaml)" | $g mktree)
$g update-ref refs/tags/c/liar "$(echo liar | $g commit-tree "$tree")"
fsck_names "DATA that lies" 'DATA says 7 records'

# a staged segment cut short
rm -rf s && cp -a base s
seg=$(ls s/.fw/stage/c/seg-*)
chmod u+w "$seg"
truncate -s -3 "$seg"
fsck_names "cut segment" 'staged segment .* corrupt'

# unreadable objects reached only from a reflog entry are found too
rm -rf s && cp -a base s
git --git-dir=s/.fw/git update-ref -d refs/heads/c/old
(cd s && "$FW" fsck >/dev/null 2>&1)
expect_eq "after deleting a branch: clean" "$?" 0

# a git commit missing: each root that reaches it says so, by name (c@old
# points at it, c@main has it as parent), the commits that can be read are
# still checked, and gc removes nothing
rm -rf s && cp -a base s
v1=$(git --git-dir=s/.fw/git rev-parse c/old)
rm -f "s/.fw/git/objects/$(echo "$v1" | cut -c1-2)/$(echo "$v1" | cut -c3-)"
(cd s && "$FW" fsck >../out 2>../err)
expect_eq "missing commit: exit 1" "$?" 1
grep -q 'ref (in c@main): history of c@main cannot be walked' err && ok || bad "main's history: $(cat err)"
grep -q 'ref (in c@old): commit of c@old cannot be read' err && ok || bad "c@old: $(cat err)"
grep -q ' 2 versions' out && ok || bad "the readable versions are checked: $(cat out)"
(cd s && "$FW" fsck --json >../out.json 2>../err)
expect_eq "--json, missing commit: exit 1" "$?" 1
expect_eq "--json: problems on stdout, not stderr" "$(cat err)" ""
expect_eq "--json: each problem a line" "$(jq '.problems == (.problem_lines|length) and .problems > 0' out.json)" true
jq -r '.problem_lines[]' out.json | grep -q '^ref (in c@old): commit of c@old cannot be read' && ok ||
    bad "--json names c@old: $(cat out.json)"
(cd s && FW_GC_GRACE=0 "$FW" gc >../out 2>../err)
expect_eq "gc with a commit missing fails" "$?" 1
grep -q 'nothing removed' err && ok || bad "gc: $(cat err)"

# --full compares the id index's checks (the 4 bytes of each id's SHA-256
# after its key's 8, which a commit compares instead of reading the stored
# id) with the ids themselves: a store whose index was given other checks
# passes without --full, which reads no id, and fails with it; one whose
# leaves keep no checks (version 1) passes both
for hook in FW_TEST_BAD_IDCHECK FW_TEST_IXL_V1; do
	rm -rf ck && "$FW" init ck >/dev/null && "$FW" -C ck corpus create c >/dev/null
	head -200 v1.jsonl >ck1.jsonl
	(cd ck && "$FW" add c ../ck1.jsonl >/dev/null && "$FW" commit c -m one >/dev/null)
	sed -n 201,300p v1.jsonl >ck2.jsonl
	(cd ck && env "$hook=1" "$FW" add c ../ck2.jsonl >/dev/null &&
	    env "$hook=1" "$FW" commit c -m two >/dev/null)
	(cd ck && "$FW" fsck >/dev/null 2>../err)
	expect_eq "$hook: fsck without --full: exit 0" "$?" 0
	(cd ck && "$FW" fsck --full >/dev/null 2>../err)
	rc=$?
	if [ "$hook" = FW_TEST_BAD_IDCHECK ]; then
		expect_eq "other id checks: fsck --full exits 1" "$rc" 1
		grep -q "the id index's id checks differ from the ids of the data tree's records" err &&
		    ok || bad "other id checks named: $(cat err)"
	else
		expect_eq "no id checks (version-1 leaves): fsck --full exits 0" "$rc" 0
	fi
done
finish
