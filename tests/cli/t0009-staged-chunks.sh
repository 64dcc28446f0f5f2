#!/bin/sh
# Staged chunks (docs/design.md (n)): fw add builds the column objects of a big
# batch of puts. Whatever the commit then does with them (takes a chunk whole
# as a row group, or reads records back from it for an upsert, a patch, a
# deletion, a duplicate id, a second batch), the version is the one the inline
# path gives: the same commit id. FW_STAGE_CHUNK_MIN=0 stages every batch of
# puts as chunks, "off" none.
. "$(dirname "$0")/lib.sh"

export FW_NOW=1700000000000000000

# gen N START TAG: N records of about 420 bytes; every 997th has a field
# "late" the schema does not have; every 5th a null reward.
gen() {
	awk -v n="$1" -v start="$2" -v tag="$3" 'BEGIN {
		pad = sprintf("%0300d", 0)
		for (i = start; i < start + n; i++) {
			extra = (i % 997 == 5) ? ",\"late\":{\"k\":" i "}" : ""
			printf "{\"id\":\"r%d\",\"reward\":%s,\"messages\":[{\"role\":\"user\",\"content\":\"%s %d %s\"}],\"tags\":[\"t%d\"]%s}\n",
			    i, (i % 5 == 0 ? "null" : (i % 3) ".5"), tag, i, pad, i % 7, extra
		}
	}'
}
gen 20000 0 a >a.jsonl
gen 8000 15000 b >b.jsonl
i=0
while [ $i -lt 20000 ]; do printf '{"id":"r%d","reward":7}\n' $i; i=$((i + 311)); done >patch.jsonl
head -n 3000 a.jsonl >dup.jsonl
cat a.jsonl >>dup.jsonl
# the same ids again, later in the batch, with another reward: those win
{ cat a.jsonl; sed -n '1~7s/"reward":[^,]*/"reward":99/p' a.jsonl; } >later.jsonl

# scenario NAME STEPS: runs the shell STEPS in a new store for each mode and
# expects the same head commit and records.
scenario() {
	name=$1 steps=$2
	for mode in off 0; do
		rm -rf "s-$mode" && mkdir "s-$mode"
		(cd "s-$mode" && "$FW" init >/dev/null && "$FW" corpus create c >/dev/null &&
		    export FW_STAGE_CHUNK_MIN=$mode && eval "$steps") >"$name-$mode.out" 2>&1 ||
		    bad "$name ($mode): $(tail -n 2 "$name-$mode.out")"
	done
	expect_eq "$name: same commit with and without chunks" \
	    "$(cd s-0 && "$FW" show c --json | jq -r .commit)" \
	    "$(cd s-off && "$FW" show c --json | jq -r .commit)"
	expect_eq "$name: same records" "$(cd s-0 && "$FW" cat c | md5sum)" \
	    "$(cd s-off && "$FW" cat c | md5sum)"
}

scenario whole '"$FW" add c ../a.jsonl && "$FW" commit c -m a --json'
taken=$(tail -n 1 whole-0.out | jq .chunks_taken)
expect_eq "a new corpus takes every chunk as a row group ($taken)" \
    "$([ "${taken:-0}" -ge 3 ] && echo yes)" yes
expect_eq "every row group of it" "$taken" \
    "$(cd s-0 && "$FW" stats c --json 2>/dev/null | jq '.row_groups // empty')"
expect_eq "without chunks none is taken" "$(tail -n 1 whole-off.out | jq .chunks_taken)" 0
whole=$(cd s-0 && "$FW" cat c | md5sum)
expect_eq "a.jsonl stores the late field as a json column" \
    "$(cd s-0 && "$FW" show c --json | jq -r '.columns[] | select(.name == "late") | .type')" json

scenario upsert '"$FW" add c ../a.jsonl && "$FW" commit c -m a &&
    "$FW" add c ../b.jsonl && "$FW" status c --json >../status.json && "$FW" commit c -m b'
expect_eq "status counts a chunked batch" "$(jq -c '[.add, .replace]' status.json)" "[3000,5000]"
scenario two-batches '"$FW" add c ../a.jsonl && "$FW" add c ../b.jsonl && "$FW" commit c -m ab'
scenario patch-rm '"$FW" add c ../a.jsonl && "$FW" add c --patch ../patch.jsonl &&
    "$FW" rm c r5 r6 r19999 && "$FW" commit c -m p'
scenario duplicates '"$FW" add c ../dup.jsonl && "$FW" commit c -m dup'
expect_eq "duplicates: each id once" "$(cd s-0 && "$FW" show c --json | jq .records)" 20000
scenario later-wins '"$FW" add c ../later.jsonl && "$FW" commit c -m later'
expect_eq "later-wins: the later record of an id is the one kept" \
    "$(cd s-0 && "$FW" cat c --id r0 --id r7 --id r14 --id r1 | jq -c .reward | tr '\n' ' ')" "99 99 99 1.5 "
scenario pinned-then-append '"$FW" add c ../b.jsonl && "$FW" commit c -m b &&
    "$FW" add c ../a.jsonl && "$FW" commit c -m a'

# The staged segment holds ids and chunk entries, not the records.
rm -rf s && mkdir s && cd s && "$FW" init >/dev/null && "$FW" corpus create c >/dev/null
FW_STAGE_CHUNK_MIN=0 "$FW" add c ../a.jsonl >/dev/null
seg=$(cat .fw/stage/c/seg-*.fws | wc -c)
expect_eq "a chunked segment is small ($seg bytes for $(wc -c <../a.jsonl))" \
    "$([ "$seg" -lt $(($(wc -c <../a.jsonl) / 10)) ] && echo yes)" yes

# gc keeps what staged chunks name, even past the grace period.
FW_GC_GRACE=0 "$FW" gc >/dev/null 2>&1
check "fsck after gc with a chunked batch staged" "$FW" fsck
check "commit after gc" "$FW" commit c -m a
expect_eq "records after gc" "$("$FW" cat c | md5sum)" "$whole"
cd ..

# Staged objects that went missing: fsck names them, the commit fails and
# the branch stays.
rm -rf s && mkdir s && cd s && "$FW" init >/dev/null && "$FW" corpus create c >/dev/null
before=$("$FW" show c --json | jq -r .commit)
ls .fw/objects/pack/ >../packs.before 2>/dev/null
FW_STAGE_CHUNK_MIN=0 "$FW" add c ../a.jsonl >/dev/null
for p in $(ls .fw/objects/pack/ | grep -v -x -F -f ../packs.before); do rm ".fw/objects/pack/$p"; done
expect_fail "fsck names a missing staged column" 1 "staged column" "$FW" fsck
"$FW" commit c -m a >/dev/null 2>commit.err
expect_eq "commit fails without the staged objects" "$?" 1
expect_eq "the error names the object" "$(grep -c 'object [0-9a-f]\{64\} (column .* of a staged chunk) is missing' commit.err)" 1
expect_eq "the branch stays" "$("$FW" show c --json | jq -r .commit)" "$before"
cd ..

# A bad record after chunks were built: nothing staged.
rm -rf s && mkdir s && cd s && "$FW" init >/dev/null && "$FW" corpus create c >/dev/null
{ cat ../a.jsonl; echo '{"id":"bad",'; } >../bad.jsonl
expect_fail "bad last line of a chunked batch" 1 "bad.jsonl:20001" \
    env FW_STAGE_CHUNK_MIN=0 "$FW" add c ../bad.jsonl
expect_eq "nothing staged" "$(ls .fw/stage/c 2>/dev/null | wc -l)" 0
expect_fail "FW_STAGE_CHUNK_MIN must be a number" 1 "FW_STAGE_CHUNK_MIN" \
    env FW_STAGE_CHUNK_MIN=lots "$FW" add c ../a.jsonl
cd ..

# A spread patch over a store with one byte flipped: the commit loads the
# row groups it patches ahead, on other threads (core/ptree.c). It fails
# naming the object, or commits what a sound store gives (then cat reads
# that, or fails naming an object); it never commits other records.
rm -rf base && mkdir base && cd base && "$FW" init >/dev/null && "$FW" corpus create c >/dev/null
"$FW" add c ../a.jsonl >/dev/null && "$FW" commit c -m a >/dev/null
cd ..
rm -rf good && cp -a base good
(cd good && "$FW" add c --patch ../patch.jsonl >/dev/null && "$FW" commit c -m p >/dev/null &&
    "$FW" cat c >../patched)
flip() { # FILE OFFSET: xor one byte with 0x20
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $(( b ^ 32 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
for pack in base/.fw/objects/pack/*.pack; do
	size=$(wc -c <"$pack")
	off=7
	while [ "$off" -lt "$size" ]; do
		rm -rf s && cp -a base s
		f=s/${pack#base/}
		chmod u+w "$f"
		flip "$f" "$off"
		if (cd s && "$FW" add c --patch ../patch.jsonl >/dev/null 2>../err &&
		    "$FW" commit c -m p >/dev/null 2>../err); then
			if (cd s && "$FW" cat c >../got 2>../err); then
				cmp -s got patched && ok || bad "flip at $off: the patch committed other records"
			else
				grep -q -E 'object [0-9a-f]{64}' err && ok || bad "flip at $off: $(cat err)"
			fi
		else
			grep -q -E 'corrupt' err && grep -q -E 'object [0-9a-f]{64}|pack' err && ok ||
			    bad "flip at $off: commit failed with: $(cat err)"
		fi
		off=$((off + size / 25 + 1))
	done
done

# The real data, each format.
if have_data; then
	tr="$FW_DATA/trajectories"
	scenario real '"$FW" add c "$tr"/tau-bench/gpt-4o-airline.json &&
	    "$FW" add c "$tr"/swe-agent/*.traj && "$FW" add c "$tr"/hh-rlhf/harmless-base-test.jsonl.gz &&
	    "$FW" commit c -m real'
fi
finish
