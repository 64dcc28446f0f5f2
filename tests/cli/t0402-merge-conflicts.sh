#!/bin/sh
# Conflicts: the same field changed both ways, a record changed on one side
# and removed on the other, the same id added twice differently (equal adds
# are no conflict); the merge stops with nothing committed and a state that
# fw conflicts, fw resolve, fw merge --continue / --abort and fw status read;
# --strategy ours|theirs resolves all.
. "$(dirname "$0")/lib.sh"

G="git --git-dir=.fw/git"
"$FW" init >/dev/null
"$FW" corpus create sft >/dev/null
i=1
while [ $i -le 10 ]; do
	printf '{"id":"r%d","reward":0,"tags":["a"],"outcome":{"ok":true,"turns":%d}}\n' $i $i
	i=$((i + 1))
done >a.jsonl
"$FW" add sft a.jsonl >/dev/null && "$FW" commit sft -m v1 >/dev/null
"$FW" branch sft@x >/dev/null
# main: r1 reward 1, r2 removed, r3 turns 5, new n1 and n2, r4 tags b
printf '{"id":"r1","reward":1}\n{"id":"r3","outcome":{"ok":true,"turns":5}}\n{"id":"r4","tags":["b"]}\n' >m.jsonl
"$FW" add sft m.jsonl --patch >/dev/null
printf '{"id":"n1","reward":1}\n{"id":"n2","reward":2}\n' >mn.jsonl
"$FW" add sft mn.jsonl >/dev/null
"$FW" rm sft r2 >/dev/null
"$FW" commit sft -m main >/dev/null
# x: r1 reward 2, r2 reward 3, r3 ok false (another key: no conflict),
# n1 added differently, n2 added equal, r4 tags b too (equal: no conflict)
"$FW" switch sft@x >/dev/null
printf '{"id":"r1","reward":2}\n{"id":"r2","reward":3}\n{"id":"r3","outcome":{"ok":false,"turns":3}}\n{"id":"r4","tags":["b"]}\n' >x.jsonl
"$FW" add sft x.jsonl --patch >/dev/null
printf '{"id":"n1","reward":5}\n{"id":"n2","reward":2}\n' >xn.jsonl
"$FW" add sft xn.jsonl >/dev/null
"$FW" commit sft -m x >/dev/null
"$FW" switch sft@main >/dev/null
main=$($G rev-parse refs/heads/sft/main)

expect_fail "stops on conflicts" 1 "3 conflicting records merging sft@x into sft@main" "$FW" merge sft@x
expect_eq "nothing committed" "$($G rev-parse refs/heads/sft/main)" "$main"
expect_eq "status shows the merge" "$("$FW" status sft | sed -n 2p)" \
    "  (merging sft@x: see fw conflicts sft; then fw merge --continue sft or --abort sft)"
expect_eq "status --json" "$("$FW" status sft --json | sed 's/.*"merging"://')" '"sft@x"}'
expect_eq "conflicts --json" "$("$FW" conflicts sft --json)" \
'{"id":"n1","field":"reward","base":null,"ours":1,"theirs":5,"resolved":null}
{"id":"r1","field":"reward","base":0,"ours":1,"theirs":2,"resolved":null}
{"id":"r2","field":null,"base":{"id":"r2","reward":0,"outcome":{"ok":true,"turns":2},"tags":["a"]},"ours":null,"theirs":{"id":"r2","reward":3,"outcome":{"ok":true,"turns":2},"tags":["a"]},"resolved":null}'
expect_eq "conflicts text" "$("$FW" conflicts sft | head -4)" 'n1 reward (unresolved)
    base:   (absent)
    ours:   1
    theirs: 5'
expect_fail "a second merge waits" 1 "is in progress" "$FW" merge sft@x
expect_fail "continue with conflicts left" 1 "3 conflicting records" "$FW" merge --continue sft
expect_fail "resolve a record without conflict" 1 "has no conflict" "$FW" resolve sft r9 --ours
expect_fail "resolve needs one way" 2 "one of --ours" "$FW" resolve sft r1

# a damaged state file is reported, never trusted; --abort still clears it
cp .fw/merge/sft/state state.keep
printf 'resolve 3 7231 -\n' >>.fw/merge/sft/state
expect_fail "a file resolution without its record" 1 "bad resolution in .*state; fw merge --abort sft starts over" "$FW" conflicts sft
cp state.keep .fw/merge/sft/state
printf 'message zz\n' >>.fw/merge/sft/state
expect_fail "a message that is not hex" 1 "bad message" "$FW" status sft
cp state.keep .fw/merge/sft/state

# abort: back to nothing
check "abort" "$FW" merge --abort sft
expect_eq "state gone" "$("$FW" status sft --json | sed 's/.*"merging"://')" "null}"
expect_fail "abort twice" 1 "no merge in progress" "$FW" merge --abort sft

# again, resolving each way
"$FW" merge sft@x >/dev/null 2>&1
check "resolve ours" "$FW" resolve sft r1 --ours
check "resolve theirs" "$FW" resolve sft r2 --theirs
printf '{"id":"n1","reward":7,"tags":["manual"]}\n' >n1.json
check "resolve file" "$FW" resolve sft n1 --file n1.json
printf '{"id":"zz","reward":7}\n' >bad.json
expect_fail "file of another id" 1 "is not 'n1'" "$FW" resolve sft n1 --file bad.json
expect_eq "resolutions listed" "$("$FW" conflicts sft --json | sed 's/.*"resolved"://')" '"file"}
"ours"}
"theirs"}'
expect_eq "continue" "$("$FW" merge --continue sft | sed 's/ (.*//')" \
    "merged into sft@main: 1 added, 0 removed, 2 modified"
expect_eq "merged records" "$("$FW" cat sft --id r1 --id r2 --id r3 --id n1 --id n2 --id r4)" \
'{"id":"r1","reward":1,"outcome":{"ok":true,"turns":1},"tags":["a"]}
{"id":"r2","reward":3,"outcome":{"ok":true,"turns":2},"tags":["a"]}
{"id":"r3","reward":0,"outcome":{"ok":false,"turns":5},"tags":["a"]}
{"id":"n1","reward":7,"tags":["manual"]}
{"id":"n2","reward":2}
{"id":"r4","reward":0,"outcome":{"ok":true,"turns":4},"tags":["b"]}'
expect_eq "two parents" "$($G log -1 --format=%P refs/heads/sft/main)" \
    "$main $($G rev-parse refs/heads/sft/x)"
check "git fsck" $G fsck --strict
expect_eq "no state" "$("$FW" status sft --json | sed 's/.*"merging"://')" "null}"

# --strategy, from the same start
"$FW" branch sft@o "$main" >/dev/null
"$FW" branch sft@t "$main" >/dev/null
"$FW" switch sft@o >/dev/null
check "strategy ours" "$FW" merge sft@x --strategy ours
expect_eq "ours kept" "$("$FW" cat sft --id r1 --id n1 | cut -c1-24)" '{"id":"r1","reward":1,"o
{"id":"n1","reward":1}'
expect_fail "r2 stays removed" 1 "no record" "$FW" cat sft --id r2
"$FW" switch sft@t >/dev/null
check "strategy theirs" "$FW" merge sft@x --strategy theirs
expect_eq "theirs taken" "$("$FW" cat sft --id r1 --id n1 --id r2 | cut -c1-24)" '{"id":"r1","reward":2,"o
{"id":"n1","reward":5}
{"id":"r2","reward":3,"o'
expect_fail "bad strategy" 2 "ours or theirs" "$FW" merge sft@x --strategy mine
# the branch moved during the merge: continue refuses
"$FW" switch sft@main >/dev/null
"$FW" branch sft@y "$main" >/dev/null
"$FW" switch sft@y >/dev/null
"$FW" merge sft@x >/dev/null 2>&1
printf '{"id":"r9","reward":9}\n' >r9.jsonl
"$FW" add sft r9.jsonl --patch >/dev/null && "$FW" commit sft -m moved >/dev/null
expect_fail "moved since" 1 "moved since the merge began" "$FW" merge --continue sft
check "abort after a move" "$FW" merge --abort sft
finish
