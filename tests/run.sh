#!/bin/sh
# Runs the unit tests and every command-line test, then prints one line
# "N passed, N failed" (counts of checks) and exits non-zero on any failure.
# FW and UNIT name the binaries under test; FW_DATA the shared data folder.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${FW:?FW must name the fw binary}" "${UNIT:?UNIT must name the unit test binary}"
export FW FW_DATA="${FW_DATA:-$(cd "$here/.." && pwd)/../shared/data}"
export LC_ALL=C
pass=0 fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

count() { # reads the last "N passed, N failed" line of $log
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -z "$line" ]; then fail=$((fail + 1)); echo "  (no result line)"; return; fi
	p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
	pass=$((pass + p)); fail=$((fail + f))
}

echo "== unit"
"$UNIT" >"$log" 2>&1; rc=$?
grep -v -E '^[0-9]+ passed, [0-9]+ failed' "$log"
count
[ $rc -ne 0 ] && [ "$(grep -c FAIL "$log")" = 0 ] && { echo "  unit runner exited $rc"; fail=$((fail + 1)); }

for t in "$here"/cli/t[0-9]*.sh; do
	[ -e "$t" ] || continue
	name=$(basename "$t" .sh)
	case "${FW_TESTS:-}" in ""|*"$name"*) ;; *) continue ;; esac
	start=$(date +%s)
	sh "$t" >"$log" 2>&1; rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	echo "== $name: ${line:-no result} ($(( $(date +%s) - start )) s)"
	if [ $rc -ne 0 ] || ! echo "$line" | grep -q ' 0 failed'; then
		grep -v -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 40
		[ -z "$line" ] && fail=$((fail + 1))
		[ -n "$line" ] && [ $rc -ne 0 ] && echo "$line" | grep -q ' 0 failed' && fail=$((fail + 1))
	fi
	[ -n "$line" ] && count
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
