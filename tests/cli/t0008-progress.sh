#!/bin/sh
# Long work shows progress on standard error when it is a terminal, and only
# then: fw add in MB, fw commit in records, each line labelled.
. "$(dirname "$0")/lib.sh"

if ! command -v script >/dev/null 2>&1; then
	echo "skip: no script(1) to make a terminal"; echo "0 passed, 0 failed"; exit 0
fi
"$FW" init >/dev/null
"$FW" corpus create c >/dev/null
awk 'BEGIN { for (i = 0; i < 60000; i++) printf "{\"id\":\"r%d\",\"text\":\"%0400d\"}\n", i, i }' >big.jsonl
script -qc "'$FW' add c big.jsonl; '$FW' commit c -m big" /dev/null >tty.out 2>&1
expect_eq "add shows labelled progress on a terminal" "$(tr '\r' '\n' <tty.out | grep -c '^add: .*% (.* of .* MB)')" \
	"$(tr '\r' '\n' <tty.out | grep -c '^add: ')"
expect_eq "there is some" "$(tr '\r' '\n' <tty.out | grep -c '^add: ' | awk '{ print ($1 > 0) }')" 1
expect_eq "commit shows records" "$(tr '\r' '\n' <tty.out | grep -c '^commit: .*records)' | awk '{ print ($1 > 0) }')" 1
"$FW" add c big.jsonl 2>err >/dev/null
"$FW" commit c -m again 2>>err >/dev/null
expect_eq "no progress when standard error is not a terminal" "$(wc -c <err)" 0
finish
