#!/bin/sh
# fw tag: annotated git tags that never move; listing with commit and record
# count; deletion recorded in the store log (fw reflog --deleted).
. "$(dirname "$0")/lib.sh"

export FW_NOW=1700000000000000000
"$FW" init >/dev/null
"$FW" corpus create sft >/dev/null
"$FW" corpus create dpo >/dev/null
printf '{"id":"a"}\n{"id":"b"}\n' >v1.jsonl
"$FW" add sft v1.jsonl >/dev/null
c1=$("$FW" commit sft -m v1)
printf '{"id":"c"}\n' >v2.jsonl
"$FW" add sft v2.jsonl >/dev/null
c2=$("$FW" commit sft -m v2)

expect_eq "tag the head" "$("$FW" tag sft@v2 -m 'SFT mix for run 17')" "created tag sft@v2"
expect_eq "tag a revision" "$("$FW" tag sft@v1 main~1)" "created tag sft@v1"
expect_eq "tag a whole revision" "$("$FW" tag sft@v0 sft@v1~1 --message=first)" "created tag sft@v0"
expect_fail "a tag never moves" 1 "tag sft@v2 exists already; a tag never moves" "$FW" tag sft@v2 main~1
expect_fail "not even to where it is" 1 "exists already" "$FW" tag sft@v2
expect_fail "there is no force" 2 "unknown option '--force'" "$FW" tag sft@v2 --force
expect_fail "a tag may not take a branch's name" 1 "exists already as a branch" "$FW" tag sft@main
"$FW" branch sft@rc >/dev/null
expect_fail "nor a branch a tag's" 1 "exists already as a tag" "$FW" branch sft@v1
expect_fail "tag of another corpus's revision" 1 "is of corpus dpo, not sft" "$FW" tag sft@x dpo@main
expect_fail "tag in an unknown corpus" 1 "no corpus 'zz'" "$FW" tag zz@v1
expect_fail "tag an unknown revision" 1 "did you mean sft@v1?" "$FW" tag sft@x v11
expect_eq "tags of one corpus only" "$("$FW" tag --list dpo)" ""

want=$(printf 'v0\t%s\t0 records\tfirst\nv1\t%.12s\t2 records\ttag sft@v1\nv2\t%.12s\t3 records\tSFT mix for run 17' \
    "$("$FW" log sft@main~2 --oneline | cut -c1-12)" "$c1" "$c2")
expect_eq "list" "$("$FW" tag --list sft)" "$want"
expect_eq "fw tag CORPUS lists" "$("$FW" tag sft)" "$want"
expect_eq "list --json" "$("$FW" tag -l sft --json | jq -c 'select(.tag=="v2") | [.commit,.records,.time,.message]')" "[\"$c2\",3,1700000000,\"SFT mix for run 17\\n\"]"
expect_fail "--json without --list" 2 "expected" "$FW" tag sft@x --json

# a tag is a revision; it stays when the branch moves on
expect_eq "cat CORPUS@TAG" "$("$FW" cat sft@v1 | wc -l)" 2
expect_eq "TAG~1" "$("$FW" log sft@v2~1 --oneline -n 1 | cut -c1-12)" "$(echo "$c1" | cut -c1-12)"
"$FW" rm sft a >/dev/null && "$FW" commit sft -m "drop a" >/dev/null
expect_eq "the tag does not move with the branch" "$("$FW" cat sft@v2 | wc -l)" 3

# git sees annotated tags made by fw's author
expect_eq "git: annotated tag" "$(git --git-dir=.fw/git cat-file -t refs/tags/sft/v2)" tag
expect_eq "git: tagger" "$(git --git-dir=.fw/git cat-file -p refs/tags/sft/v2 | grep '^tagger' | cut -d' ' -f2-4)" "test <test@example.com> 1700000000"
expect_eq "git: tag name" "$(git --git-dir=.fw/git cat-file -p refs/tags/sft/v2 | grep '^tag ')" "tag sft/v2"
expect_eq "git tag -l" "$(git --git-dir=.fw/git tag -l 'sft/*' | tr '\n' ' ')" "sft/v0 sft/v1 sft/v2 "
check "git fsck" git --git-dir=.fw/git fsck --strict

# delete: recorded in the store log
expect_eq "delete" "$("$FW" tag --delete sft@v1)" "deleted tag sft@v1"
expect_fail "deleted" 1 "unknown revision 'sft@v1'" "$FW" cat sft@v1
expect_fail "delete an unknown tag" 1 "no tag sft@v1" "$FW" tag -d sft@v1
tobj=$(git --git-dir=.fw/git rev-parse refs/fw/log/sft)
expect_eq "store log names the tag and its commit" "$("$FW" reflog --deleted sft | sed 's/^.*UTC  //')" "tag delete: sft@v1 was tag $tobj on commit $c1"
expect_eq "store log --json" "$("$FW" reflog --deleted sft --json | jq -r '.new')" "$tobj"
expect_eq "the deleted tag object is kept" "$(git --git-dir=.fw/git cat-file -t "$tobj")" tag
expect_eq "a tag may be made again after deletion" "$("$FW" tag sft@v1 main)" "created tag sft@v1"
"$FW" tag -d sft@v0 >/dev/null
expect_eq "store log newest first" "$("$FW" reflog --deleted sft | sed 's/^.*UTC  //' | cut -d' ' -f1-3)" "$(printf 'tag delete: sft@v0\ntag delete: sft@v1')"
expect_eq "store log -n 1" "$("$FW" reflog --deleted sft -n 1 | wc -l)" 1
expect_eq "empty store log" "$("$FW" reflog --deleted dpo)" ""
expect_fail "--deleted takes a corpus" 2 "expected one CORPUS" "$FW" reflog --deleted sft@main
check "git fsck after deletions" git --git-dir=.fw/git fsck --strict
finish
