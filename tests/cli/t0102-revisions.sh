#!/bin/sh
# Revisions: tag, branch and commit prefix with ~N, ^N and @{N}; the order
# tag > branch > commit; ambiguous prefixes and unknown names list the
# candidates; hostile names are refused by every command before git sees them.
. "$(dirname "$0")/lib.sh"

export FW_NOW=1700000000000000000
export GIT_AUTHOR_DATE="1700000000 +0000" GIT_COMMITTER_DATE="1700000000 +0000"
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
G="git --git-dir=.fw/git"
"$FW" init >/dev/null
"$FW" corpus create sft >/dev/null
"$FW" corpus create dpo >/dev/null
for i in 1 2 3 4; do
	printf '{"id":"r%d"}\n' $i >$i.jsonl
	"$FW" add sft $i.jsonl >/dev/null
	"$FW" commit sft -m "v$i" >/dev/null
done
c() { "$FW" log "$1" --oneline -n 1 2>&1 | cut -c1-12; }
h() { $G rev-parse "$1" | cut -c1-12; }
root=$(h refs/heads/sft/main~4)

expect_eq "CORPUS" "$(c sft)" "$(h refs/heads/sft/main)"
expect_eq "CORPUS~N" "$(c sft~2)" "$(h refs/heads/sft/main~2)"
expect_eq "CORPUS@BRANCH~N" "$(c sft@main~4)" "$root"
expect_eq "~ alone is ~1" "$(c sft@main~)" "$(h refs/heads/sft/main~1)"
expect_eq "~~ is ~2" "$(c sft@main~~)" "$(h refs/heads/sft/main~2)"
expect_eq "^ alone is ^1" "$(c sft^)" "$(h refs/heads/sft/main^)"
expect_eq "^0 is the commit" "$(c sft@main^0)" "$(h refs/heads/sft/main)"
expect_eq "~1^1~1" "$(c sft@main~1^1~1)" "$(h refs/heads/sft/main~3)"
expect_fail "past the first version" 1 "goes back past the first version" "$FW" log sft~5
expect_fail "^2 of a commit with one parent" 1 "goes back past" "$FW" log sft^2
expect_fail "a stray character" 1 "bad revision" "$FW" log sft@main~1x

# ^N: a merge commit (made with git; fw's merge comes later)
a=$($G rev-parse refs/heads/sft/main~1)
b=$($G rev-parse refs/heads/sft/main~2)
m=$($G commit-tree -p "$a" -p "$b" -m merge "$a^{tree}")
"$FW" branch sft@m "$m" >/dev/null
expect_eq "^2 is the second parent" "$(c sft@m^2)" "$(echo "$b" | cut -c1-12)"
expect_eq "^1 the first" "$(c sft@m^1)" "$(echo "$a" | cut -c1-12)"
expect_eq "^2~1" "$(c sft@m^2~1)" "$(h refs/heads/sft/main~3)"

# commit prefixes: 4 digits or more, of this corpus only
full=$($G rev-parse refs/heads/sft/main~2)
expect_eq "commit prefix" "$(c "sft@$(echo "$full" | cut -c1-7)")" "$(echo "$full" | cut -c1-12)"
expect_eq "whole commit id" "$(c "sft@$full")" "$(echo "$full" | cut -c1-12)"
expect_eq "upper-case prefix" "$(c "sft@$(echo "$full" | cut -c1-8 | tr a-f A-F)~1")" "$(h refs/heads/sft/main~3)"
expect_fail "3 digits are no prefix" 1 "unknown revision" "$FW" log "sft@$(echo "$full" | cut -c1-3)"
dpo=$($G rev-parse refs/heads/dpo/main)
expect_fail "a commit of another corpus is not this corpus's" 1 "unknown revision" "$FW" log "sft@$(echo "$dpo" | cut -c1-10)"
expect_eq "it is dpo's" "$(c "dpo@$(echo "$dpo" | cut -c1-10)")" "$(echo "$dpo" | cut -c1-12)"

# an ambiguous prefix lists the commits: make commits of the corpus (with
# git, on top of its head) until two share their first 4 digits
head=$($G rev-parse refs/heads/sft/main)
i=0
: >ids
while [ $i -lt 3000 ]; do
	$G commit-tree -p "$head" -m "probe $i" "$head^{tree}" >>ids
	i=$((i + 1))
	[ $((i % 50)) -eq 0 ] && dup=$(cut -c1-4 ids | sort | uniq -d | head -1) && [ -n "$dup" ] && break
done
expect_eq "found two commits sharing 4 digits" "$([ -n "$dup" ] && echo yes)" yes
# they must be reachable from the corpus: a branch at each
for id in $(grep "^$dup" ids); do "$FW" branch "sft@p$(echo "$id" | cut -c1-8)" "$id" >/dev/null; done
expect_fail "ambiguous prefix" 1 "ambiguous revision 'sft@$dup': 2 commits of sft start with $dup: sft@$dup" "$FW" log "sft@$dup"
expect_fail "ambiguous lists both" 1 "give more digits" "$FW" log "sft@$dup"
expect_eq "both named in the message" "$(grep -o "sft@$dup[0-9a-f]*" "$T/.err" | wc -l)" 3

# resolution order: tag, then branch, then commit
"$FW" tag sft@t1 main~1 >/dev/null
"$FW" branch sft@b1 main~2 >/dev/null
expect_eq "tag" "$(c sft@t1)" "$(h refs/heads/sft/main~1)"
expect_eq "branch" "$(c sft@b1)" "$(h refs/heads/sft/main~2)"
hexname=$(echo "$full" | cut -c1-6)
expect_eq "a hex branch name wins over the commit prefix" "$("$FW" branch "sft@$hexname" main >/dev/null; c "sft@$hexname")" "$(h refs/heads/sft/main)"
expect_eq "tag~1" "$(c sft@t1~1)" "$(h refs/heads/sft/main~2)"

# @{N}: positions from the branch's reflog
"$FW" branch sft@exp main~3 >/dev/null
"$FW" reset sft@exp main~2 >/dev/null
"$FW" reset sft@exp main >/dev/null
expect_eq "BRANCH@{0} is the branch" "$(c sft@exp@{0})" "$(h refs/heads/sft/main)"
expect_eq "BRANCH@{1}" "$(c sft@exp@{1})" "$(h refs/heads/sft/main~2)"
expect_eq "BRANCH@{2}" "$(c sft@exp@{2})" "$(h refs/heads/sft/main~3)"
expect_eq "BRANCH@{1}~1" "$(c sft@exp@{1}~1)" "$(h refs/heads/sft/main~3)"
expect_fail "past the reflog" 1 "sft@exp has 3 positions in its reflog (@{0} to @{2})" "$FW" log sft@exp@{3}
"$FW" switch sft@exp >/dev/null
expect_eq "CORPUS@{N}: the current branch's" "$(c sft@{1})" "$(h refs/heads/sft/main~2)"
expect_eq "CORPUS@{N}~N" "$(c sft@{2}~1)" "$(h refs/heads/sft/main~4)"
expect_eq "@{N} relative to the corpus, for branch" "$("$FW" branch sft@prev @{1} && c sft@prev)" "$(printf 'created branch sft@prev\n%s' "$(h refs/heads/sft/main~2)")"
expect_eq "BRANCH@{N} relative to the corpus, for reset" "$("$FW" reset sft@prev exp@{2} >/dev/null && c sft@prev)" "$(h refs/heads/sft/main~3)"
expect_eq "CORPUS@BRANCH@{N} whole, for reset" "$("$FW" reset sft@prev sft@exp@{0} >/dev/null && c sft@prev)" "$(h refs/heads/sft/main)"
expect_fail "a whole revision of another corpus" 1 "is of corpus dpo, not sft" "$FW" reset sft@prev dpo@main@{0}
"$FW" switch sft@main >/dev/null
expect_fail "@{N} after a tag" 1 "@{N} follows a branch" "$FW" log sft@t1@{1}
expect_fail "@{x}" 1 "expected @{N}" "$FW" log sft@exp@{x}
expect_fail "@{1" 1 "expected @{N}" "$FW" log sft@exp@{1
expect_fail "@ without {" 1 "must be followed by {N}" "$FW" log sft@exp@x

# unknown names suggest close ones
"$FW" tag sft@v3 >/dev/null
expect_fail "did you mean (edit distance)" 1 "did you mean sft@v3?" "$FW" log sft@v4
expect_fail "did you mean (a branch)" 1 "did you mean sft@main?" "$FW" log sft@mian
expect_fail "did you mean (prefix)" 1 "did you mean sft@exp?" "$FW" log sft@expe
expect_fail "nothing close: no suggestion" 1 "in corpus 'sft'$" "$FW" log sft@zzzzzzzz
expect_fail "unknown corpus" 1 "no corpus 'nope'" "$FW" log nope@main
expect_fail "nothing after @" 1 "it is empty" "$FW" log sft@

# hostile names: refused with a message by branch, tag, switch, reset and the
# resolver; none reaches git (no ref appears, nothing is written)
long=$(printf 'x%.0s' $(seq 201))
ctl=$(printf 'a\001b')
tab=$(printf 'a\tb')
del=$(printf 'a\177b')
nl=$(printf 'a\nb')
refs_before=$($G for-each-ref | md5sum; ls -R .fw/git/refs .fw/git/logs | md5sum)
n=0
for name in ".." "a..b" "a~1" "a^" "a:b" "a b" "$ctl" "$tab" "$del" "$nl" "-x" "a@{1}" "$long" \
    "a/b" 'a\b' "a*" "a?" "a[b" "x.lock" "x." "" ".x" "@" "a@b" "/x" "x/" "~" "^" ":" "a//b"; do
	n=$((n + 1))
	expect_fail "branch: hostile name $n refused" 1 "bad branch name" "$FW" branch "sft@$name"
	expect_fail "tag: hostile name $n refused" 1 "bad tag name" "$FW" tag "sft@$name"
	expect_fail "switch: hostile name $n refused" 1 "bad branch name" "$FW" switch "sft@$name"
	expect_fail "reset: hostile name $n refused" 1 "bad branch name" "$FW" reset "sft@$name" main
	expect_fail "branch --delete: hostile name $n refused" 1 "bad branch name" "$FW" branch -d "sft@$name"
	expect_fail "tag --delete: hostile name $n refused" 1 "bad tag name" "$FW" tag -d "sft@$name"
	expect_fail "resolver: hostile name $n refused" 1 "revision" "$FW" log "sft@$name"
done
expect_eq "at least 15 hostile names" "$([ $n -ge 15 ] && echo yes)" yes
expect_eq "no ref written for a hostile name" "$($G for-each-ref | md5sum; ls -R .fw/git/refs .fw/git/logs | md5sum)" "$refs_before"
expect_fail "control characters are not echoed" 1 "control character 0x01 at byte 1" "$FW" branch "sft@$ctl"
expect_eq "the message holds no control character" "$(tr -d '\n' <"$T/.err" | tr -d '[:print:]' | wc -c)" 0
esc=$(printf '\033[31m')
expect_fail "a control character after ~ is not echoed" 1 "bad revision 'sft~?\[31m' at '?'" "$FW" log "sft~$esc"
expect_eq "no escape in that message" "$(tr -d '\n' <"$T/.err" | tr -d '[:print:]' | wc -c)" 0
expect_fail "a long name says its length" 1 "it has 201 bytes, at most 200" "$FW" tag "sft@$long"
expect_eq "200 bytes are fine" "$("$FW" branch "sft@$(echo "$long" | cut -c1-200)" | cut -c1-25)" "created branch sft@xxxxxx"
expect_fail "hostile REV is refused too" 1 "bad revision" "$FW" branch sft@ok "main:x"
expect_fail "a hostile name is refused by reflog" 1 "bad branch name" "$FW" reflog "sft@a..b"
check "git fsck" $G fsck --strict
finish
