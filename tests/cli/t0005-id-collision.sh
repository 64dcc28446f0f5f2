#!/bin/sh
# Ids whose hashes share the 8 bytes the index keeps must never be taken for
# each other. FW_TEST_WEAK_IDHASH keeps one hash byte so collisions are easy.
# The index keeps the next 8 bytes as each id's check (core/idindex.c); a
# store whose index leaves have none (FW_TEST_IXL_V1: as fw wrote them
# before the checks) must be just as safe, and takes checks as it is edited.
. "$(dirname "$0")/lib.sh"

export FW_TEST_WEAK_IDHASH=1 FW_NOW=1700000000000000000
byte() { printf '%s' "$1" | sha256sum | cut -c1-2; }
target=$(byte a)
other=""
i=0
while [ -z "$other" ]; do
	[ "$(byte "x$i")" = "$target" ] && other="x$i"
	i=$((i + 1))
done
for mode in v2 v1; do
	rm -rf .fw
	"$FW" init >/dev/null
	"$FW" corpus create c >/dev/null
	printf '{"id":"a","v":1}\n' >a.jsonl
	"$FW" add c a.jsonl >/dev/null
	if [ $mode = v1 ]; then FW_TEST_IXL_V1=1 "$FW" commit c -m a >/dev/null
	else "$FW" commit c -m a >/dev/null; fi
	expect_fail "$mode: cat --id of a colliding absent id" 1 "no record with id '$other'" "$FW" cat c --id "$other"
	printf '{"id":"%s","v":2}\n' "$other" >o.jsonl
	"$FW" add c o.jsonl >/dev/null
	expect_fail "$mode: commit refuses an id colliding with a stored one" 1 "shares the first 8 bytes" "$FW" commit c -m o
	expect_eq "$mode: the stored record is intact" "$("$FW" cat c)" '{"id":"a","v":1}'
	expect_eq "$mode: the colliding record stays staged" "$("$FW" status c --json | jq .replace)" 1
	rm -rf .fw/stage/c
	printf '{"id":"%s","v":5}\n' "$other" >o.jsonl
	"$FW" add c o.jsonl --patch >/dev/null
	expect_fail "$mode: commit refuses a patch through a colliding id" 1 "shares the first 8 bytes" "$FW" commit c -m p
	rm -rf .fw/stage/c
	"$FW" rm c "$other" >/dev/null
	expect_fail "$mode: commit refuses to delete through a colliding id" 1 "shares the first 8 bytes" "$FW" commit c -m rm
	expect_eq "$mode: the stored record is still there" "$("$FW" cat c)" '{"id":"a","v":1}'
	rm -rf .fw/stage/c
	printf '{"id":"a","v":3}\n{"id":"%s","v":4}\n' "$other" >both.jsonl
	"$FW" add c both.jsonl >/dev/null
	expect_fail "$mode: commit refuses two colliding staged ids" 1 "share the first 8 bytes" "$FW" commit c -m both
	rm -rf .fw/stage/c
	# the id itself: a patch, a replacement and a deletion go through
	printf '{"id":"a","v":6}\n' >p.jsonl
	"$FW" add c p.jsonl --patch >/dev/null && "$FW" commit c -m p >/dev/null
	expect_eq "$mode: a patch of the stored id" "$("$FW" cat c)" '{"id":"a","v":6}'
	printf '{"id":"a","w":7}\n{"id":"b","v":8}\n' >r.jsonl
	"$FW" add c r.jsonl >/dev/null && "$FW" commit c -m r >/dev/null
	expect_eq "$mode: a replacement of the stored id" "$("$FW" cat c --id a)" '{"id":"a","w":7}'
	expect_eq "$mode: fsck accepts the store" "$("$FW" fsck >/dev/null 2>&1; echo $?)" 0
	"$FW" rm c a >/dev/null && "$FW" commit c -m rm >/dev/null
	expect_eq "$mode: a deletion of the stored id" "$("$FW" cat c)" '{"id":"b","v":8}'
	expect_eq "$mode: fsck accepts the store after it" "$("$FW" fsck >/dev/null 2>&1; echo $?)" 0
done
finish
