#!/bin/sh
# Flip one byte anywhere in the stored objects: reading fails with an error
# naming the object (or the pack), and never prints wrong data.
. "$(dirname "$0")/lib.sh"

export FW_NOW=1700000000000000000
"$FW" init base >/dev/null
cd base
"$FW" corpus create c >/dev/null
i=0
while [ $i -lt 200 ]; do
	printf '{"id":"r%d","reward":%d.5,"messages":[{"role":"user","content":"hello %d"}]}\n' $i $i $i
	i=$((i + 1))
done >../in.jsonl
"$FW" add c ../in.jsonl >/dev/null && "$FW" commit c -m v1 >/dev/null
"$FW" cat c >../expect
cd ..
pack=$(ls base/.fw/objects/pack/*.pack)
idx=$(ls base/.fw/objects/pack/*.idx)
size=$(wc -c <"$pack")
isize=$(wc -c <"$idx")

flip() { # FILE OFFSET: xor one byte with 0x20
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $(( b ^ 32 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

try() { # FILE OFFSET
	rm -rf s && cp -a base s
	f=s/${1#base/}
	chmod u+w "$f"
	flip "$f" "$2"
	(cd s && "$FW" cat c >../got 2>../err)
	rc=$?
	detected=0
	if [ $rc -eq 0 ]; then
		cmp -s got expect || { bad "flip at $1:$2: cat printed wrong data"; return; }
	else
		grep -q -E 'corrupt|cut short' err || { bad "flip at $1:$2: message: $(cat err)"; return; }
		grep -q -E 'object [0-9a-f]{64}|pack' err || { bad "flip at $1:$2: the message names no object"; return; }
		# what was printed before the failure is right
		head -c "$(wc -c <got)" expect | cmp -s - got || { bad "flip at $1:$2: wrong data before the error"; return; }
		detected=1
	fi
	# Objects cat does not read (the id index) are read by cat --id.
	if [ $detected -eq 0 ]; then
		(cd s && for k in 0 37 74 111 148 185 199; do "$FW" cat c --id r$k || exit 1; done >../got2 2>../err)
		if [ $? -ne 0 ]; then
			grep -q -E 'corrupt' err && detected=1
		fi
	fi
	[ $detected -eq 1 ] && ok || bad "flip at $1:$2 went unnoticed"
}

off=0
step=$(( size / 120 + 1 ))
while [ $off -lt "$size" ]; do
	try "$pack" $off
	off=$((off + step))
done
for off in 0 5 9 12 50 $((isize / 2)) $((isize - 1)); do
	try "$idx" $off
done

# An upsert reads the old columns it may keep without their SHA-256 check
# (core/rowgroup.c, same_values): a damaged one must still never pass as
# good. Damage the biggest object (the messages column), upsert whole
# records whose messages are the same or changed: either the commit fails
# naming an object, or it keeps the damaged object and reading it fails.
# A flipped byte almost never leaves a frame that decodes, so this covers
# the failure paths; test_store_upsert_checks (unit) puts a frame that does
# decode, to other content, and checks the comparison's own check.
"$FW" init up >/dev/null
i=0
while [ $i -lt 300 ]; do
	printf '{"id":"u%d","reward":%d,"messages":[{"role":"user","content":"question %d: why does the build of module %d fail on step %d"},{"role":"assistant","content":"because step %d reads a file that step %d writes"}]}\n' \
	    $i $((i % 2)) $i $((i % 17)) $((i % 5)) $((i % 5)) $((i % 7))
	i=$((i + 1))
done >up.jsonl
(cd up && "$FW" corpus create c >/dev/null && "$FW" add c ../up.jsonl >/dev/null &&
    "$FW" commit c -m v1 >/dev/null) || bad "upsert corpus"
head -n 10 up.jsonl | sed 's/"reward":[01]/"reward":7/' >same.jsonl
head -n 10 up.jsonl | sed 's/"reward":[01]/"reward":7/; s/question/QUESTION/' >changed.jsonl
upack=$(ls up/.fw/objects/pack/*.pack)
uidx=$(ls up/.fw/objects/pack/*.idx)
n=$(od -An -tu4 -j8 -N4 "$uidx" | tr -d ' ')
big_off=0 big_len=0 k=0
while [ $k -lt "$n" ]; do
	e=$((12 + 44 * k))
	o=$(od -An -tu8 -j $((e + 32)) -N8 "$uidx" | tr -d ' ')
	l=$(od -An -tu4 -j $((e + 40)) -N4 "$uidx" | tr -d ' ')
	[ "$l" -gt "$big_len" ] && big_off=$o big_len=$l
	k=$((k + 1))
done
for mode in same changed; do
	for part in 2 3 4 6; do
		rm -rf u && cp -a up u
		f=u/${upack#up/}
		chmod u+w "$f"
		flip "$f" $((big_off + big_len * (part - 1) / part))
		if (cd u && "$FW" add c "../$mode.jsonl" >/dev/null && "$FW" commit c -m ups) >out 2>err; then
			if (cd u && "$FW" cat c >../got 2>../err); then
				bad "upsert ($mode) over a damaged column: committed, and cat read it"
			elif grep -q -E 'corrupt.*|object [0-9a-f]{64}' err; then
				ok
			else
				bad "upsert ($mode): cat failed without naming the object: $(cat err)"
			fi
		elif grep -q -E 'object [0-9a-f]{64}' err && grep -q corrupt err; then
			ok
		else
			bad "upsert ($mode) over a damaged column: $(cat err)"
		fi
	done
done
rm -rf u up up.jsonl same.jsonl changed.jsonl
finish
