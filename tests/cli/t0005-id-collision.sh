#!/bin/sh
# Ids whose hashes share the 8 bytes the index keeps must never be taken for
# each other. FW_TEST_WEAK_IDHASH keeps one hash byte so collisions are easy.
. "$(dirname "$0")/lib.sh"

export FW_TEST_WEAK_IDHASH=1 FW_NOW=1700000000000000000
"$FW" init >/dev/null
"$FW" corpus create c >/dev/null
byte() { printf '%s' "$1" | sha256sum | cut -c1-2; }
target=$(byte a)
other=""
i=0
while [ -z "$other" ]; do
	[ "$(byte "x$i")" = "$target" ] && other="x$i"
	i=$((i + 1))
done
printf '{"id":"a","v":1}\n' >a.jsonl
"$FW" add c a.jsonl >/dev/null && "$FW" commit c -m a >/dev/null
expect_fail "cat --id of a colliding absent id" 1 "no record with id '$other'" "$FW" cat c --id "$other"
printf '{"id":"%s","v":2}\n' "$other" >o.jsonl
"$FW" add c o.jsonl >/dev/null
expect_fail "commit refuses an id colliding with a stored one" 1 "shares the first 8 bytes" "$FW" commit c -m o
expect_eq "the stored record is intact" "$("$FW" cat c)" '{"id":"a","v":1}'
expect_eq "the colliding record stays staged" "$("$FW" status c --json | jq .replace)" 1
rm -rf .fw/stage/c
"$FW" rm c "$other" >/dev/null
expect_fail "commit refuses to delete through a colliding id" 1 "shares the first 8 bytes" "$FW" commit c -m rm
expect_eq "the stored record is still there" "$("$FW" cat c)" '{"id":"a","v":1}'
rm -rf .fw/stage/c
printf '{"id":"a","v":3}\n{"id":"%s","v":4}\n' "$other" >both.jsonl
"$FW" add c both.jsonl >/dev/null
expect_fail "commit refuses two colliding staged ids" 1 "share the first 8 bytes" "$FW" commit c -m both
finish
