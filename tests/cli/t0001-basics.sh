#!/bin/sh
# init, corpus, add, status, commit, log, show, cat on a small corpus, and
# the git side of the store.
. "$(dirname "$0")/lib.sh"

export FW_NOW=1700000000000000000
check "init" "$FW" init
expect_fail "init twice" 1 "exists already" "$FW" init
check "corpus create" "$FW" corpus create sft
expect_fail "corpus create twice" 1 "exists already" "$FW" corpus create sft
expect_fail "an option-like name is an unknown option" 2 "unknown option" "$FW" corpus create -x
for name in ../x A x/y .x "" "-x" "a..b" "x.lock" "$(printf 'a%.0s' $(seq 65))"; do
	expect_fail "corpus name '$name' refused" 1 "bad corpus name" "$FW" corpus create -- "$name"
done
expect_eq "corpus list" "$("$FW" corpus list)" "$(printf 'sft\tmain')"

cat >r.jsonl <<'J'
{"id":"a","reward":1.50,"messages":[{"role":"user","content":"hi"}],"n":123456789012345678901234567890}
{"id":"b","reward":0.1,"tags":["x"],"flag":null}
{"id":"c","reward":-0,"big":1E400}
J
expect_eq "add" "$("$FW" add sft r.jsonl)" "staged 3 records for sft"
expect_eq "status" "$("$FW" status sft)" "sft@main: 3 to add, 0 to replace, 0 to delete, 0 to patch (1 staged batch)"
c1=$("$FW" commit sft -m "first version")
expect_eq "commit prints an id" "$(echo "$c1" | grep -cE '^[0-9a-f]{40}$')" 1
expect_fail "commit with nothing staged" 1 "nothing staged" "$FW" commit sft -m again
expect_eq "status after commit" "$("$FW" status sft)" "sft@main: nothing staged"

# Exactly what went in, up to key order: numbers keep their text.
"$FW" cat sft | jq -cS . | sort >got
jq -cS . r.jsonl | sort >want
expect_eq "cat gives back the records" "$(cmp -s got want && echo same)" same
expect_eq "numbers keep their text" "$("$FW" cat sft --id a | grep -o '"reward":1.50')" '"reward":1.50'
expect_eq "big integer kept" "$("$FW" cat sft --id a | grep -o '123456789012345678901234567890')" 123456789012345678901234567890
expect_eq "-0 and 1E400 kept" "$("$FW" cat sft --id c)" '{"id":"c","reward":-0,"big":1E400}'
expect_eq "explicit null kept" "$("$FW" cat sft --id b | grep -c '"flag":null')" 1
expect_eq "cat --limit" "$("$FW" cat sft --limit 2 | wc -l)" 2
expect_fail "cat unknown id" 1 "no record with id 'zz'" "$FW" cat sft --id zz

# upsert, delete, patch
printf '{"id":"a","reward":2}\n{"id":"d","reward":3}\n' >u.jsonl
"$FW" add sft u.jsonl >/dev/null
"$FW" rm sft b >/dev/null
printf '{"id":"c","reward":9}\n' >p.jsonl
"$FW" add sft p.jsonl --patch >/dev/null
expect_eq "status counts each kind" "$("$FW" status sft)" "sft@main: 1 to add, 1 to replace, 1 to delete, 1 to patch (3 staged batches)"
c2=$("$FW" commit sft -m "second")
expect_eq "upsert replaced a" "$("$FW" cat sft --id a)" '{"id":"a","reward":2}'
expect_eq "patch set one field" "$("$FW" cat sft --id c)" '{"id":"c","reward":9,"big":1E400}'
expect_fail "deleted b is gone" 1 "no record" "$FW" cat sft --id b
expect_eq "records" "$("$FW" cat sft | wc -l)" 3

# revisions
expect_eq "sft@main~1 is the first version" "$("$FW" cat sft@main~1 | wc -l)" 3
expect_eq "commit prefix" "$("$FW" cat "sft@$(echo "$c1" | cut -c1-8)" --id b | grep -c '"b"')" 1
expect_eq "sft^ is sft~1" "$("$FW" log sft^ --oneline | head -1 | cut -c1-12)" "$(echo "$c1" | cut -c1-12)"
expect_fail "unknown revision" 1 "unknown revision" "$FW" cat sft@nope
expect_fail "short prefix" 1 "unknown revision" "$FW" cat sft@abc
expect_fail "past the first version" 1 "past the first version" "$FW" cat sft~9
expect_fail "unknown corpus" 1 "no corpus 'nope'" "$FW" cat nope

# log and show
expect_eq "log --oneline" "$("$FW" log sft --oneline | cut -c14-)" "$(printf 'second\nfirst version\ncreate corpus sft')"
expect_eq "log -n 1" "$("$FW" log sft -n 1 --json | jq -r .message)" "second"
expect_eq "log --json records" "$("$FW" log sft --json | jq -s 'map(.records)|join(",")' -r)" "3,3,0"
expect_eq "show --json" "$("$FW" show sft --json | jq -c '[.records,.commit==$c]' --arg c "$c2")" "[3,true]"
expect_eq "show" "$("$FW" show sft | grep -c '^records  3$')" 1

# usage errors exit 2, --help exits 0
expect_fail "no command" 2 "usage" "$FW"
expect_fail "unknown command" 2 "not a command" "$FW" frobnicate
expect_fail "unknown option" 2 "unknown option" "$FW" cat sft --frob
expect_fail "missing -m" 2 "message" "$FW" commit sft
check "add --help" "$FW" add --help

# the git side
check "git fsck" git --git-dir=.fw/git fsck --strict
expect_eq "git log --all" "$(git --git-dir=.fw/git log --all --format=%s | head -1)" second
expect_eq "branch ref" "$(git --git-dir=.fw/git rev-parse refs/heads/sft/main)" "$c2"

# -C and FW_DIR
mkdir -p sub/deeper
expect_eq "found from a subdirectory" "$(cd sub/deeper && "$FW" cat sft | wc -l)" 3
expect_eq "-C" "$(cd / && "$FW" -C "$T" cat sft | wc -l)" 3
expect_eq "FW_DIR" "$(cd / && FW_DIR="$T" "$FW" cat sft | wc -l)" 3
expect_fail "outside a store" 1 "not in an fw store" sh -c "cd / && '$FW' cat sft"

# .fw/config.yaml: a newer store format is refused, a broken file is named,
# a missing one (fw init killed before writing it) is this fw's format
expect_eq "a new store is of format 2" "$(grep '^format:' .fw/config.yaml)" "format: 2"
cp .fw/config.yaml config.keep
printf 'format: 3\n' >.fw/config.yaml
expect_fail "a newer store format" 1 "has format 3, newer than this fw (format 2)" "$FW" corpus list
printf 'format: [1\n' >.fw/config.yaml
expect_fail "a broken config.yaml" 1 "config.yaml: line 2" "$FW" corpus list
printf 'format: one\n' >.fw/config.yaml
expect_fail "a format that is not a number" 1 "format must be a positive integer" "$FW" corpus list
rm .fw/config.yaml
check "no config.yaml" "$FW" corpus list
printf 'format: 1\nlater: [x]\n' >.fw/config.yaml
check "keys of later versions are left alone" "$FW" corpus list
for bad in 0 20 x -3 '[2]' ''; do
	printf 'format: 1\ncompression_level: %s\n' "$bad" >.fw/config.yaml
	expect_fail "compression_level '$bad'" 1 \
	    "config.yaml: line 2: compression_level must be an integer from 1 to 19" "$FW" corpus list
done
cp config.keep .fw/config.yaml

# A store of format 1 is read as it is and marked 2 when fw first writes to
# it (its column objects may then be front-coded, which a format-1 fw cannot
# read), its other lines kept
mkdir upg
"$FW" init upg >/dev/null
"$FW" -C upg corpus create c >/dev/null
printf '# mine\nformat: 1\ncompression_level: 3\nlater: [x]\n' >upg/.fw/config.yaml
"$FW" -C upg corpus list >/dev/null
"$FW" -C upg branch c@side >/dev/null
expect_eq "reading and branching leave format 1" "$(grep '^format:' upg/.fw/config.yaml)" "format: 1"
printf '{"id":"up1","text":"t"}\n' >up.jsonl
check "an add to a format-1 store" "$FW" -C upg add c "$PWD/up.jsonl"
expect_eq "the first write marks it format 2, the rest kept" "$(cat upg/.fw/config.yaml)" \
    "$(printf '# mine\nformat: 2\ncompression_level: 3\nlater: [x]')"
printf 'format: 1\n' >upg/.fw/config.yaml
check "a commit to a format-1 store" "$FW" -C upg commit c -m up
expect_eq "a commit marks it too" "$(cat upg/.fw/config.yaml)" "format: 2"
expect_eq "and reads back" "$("$FW" -C upg cat c)" '{"id":"up1","text":"t"}'

# compression_level is the zstd level of new objects: the same records take
# less room at 19 than at 1, and read back the same
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"id\":\"z%d\",\"text\":\"step %d: ran the tests, %d of %d passed; the failing one is test_%d in module m%d\"}\n", i, i, i % 97, 97, i % 13, i % 7 }' >levels.jsonl
for lv in 1 19; do
	mkdir "lv$lv"
	"$FW" init "lv$lv" >/dev/null
	printf 'format: 1\ncompression_level: %s\n' "$lv" >"lv$lv/.fw/config.yaml"
	"$FW" -C "lv$lv" corpus create c >/dev/null
	"$FW" -C "lv$lv" add c "$PWD/levels.jsonl" >/dev/null
	"$FW" -C "lv$lv" commit c -m levels >/dev/null
	"$FW" -C "lv$lv" cat c >"levels$lv.out"
done
expect_eq "records read back at level 19" "$(wc -l <levels19.out | tr -d ' ')" 3000
expect_eq "records read back the same at levels 1 and 19" "$(cmp levels1.out levels19.out && echo same)" same
l1=$(du -sb lv1/.fw/objects | cut -f1) l19=$(du -sb lv19/.fw/objects | cut -f1)
expect_eq "level 19 stores less than level 1 ($l19 < $l1 bytes)" "$([ "$l19" -lt "$l1" ] && echo yes)" yes
rm -rf lv1 lv19 levels.jsonl levels1.out levels19.out

# a batch keeps its arrival order (docs/design.md (i)), and a later batch
# follows it, whatever the ids
"$FW" corpus create order >/dev/null
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "{\"id\":\"o%d\",\"n\":%d}\n", (i * 7919) % 3000, i }' >order1.jsonl
printf '{"id":"a-late","n":3000}\n{"id":"0-late","n":3001}\n' >order2.jsonl
"$FW" add order order1.jsonl >/dev/null && "$FW" commit order -m one >/dev/null
"$FW" add order order2.jsonl >/dev/null && "$FW" commit order -m two >/dev/null
expect_eq "cat gives records in the order they were added" \
    "$("$FW" cat order | jq -r .n | awk '$1 != NR - 1' | head -3)" ""
printf '{"id":"o5","n":-5}\n' >order3.jsonl
"$FW" add order order3.jsonl >/dev/null && "$FW" commit order -m upsert >/dev/null
expect_eq "an upsert keeps its record's place" \
    "$("$FW" cat order | jq -r .n | grep -n -- -5)" "$(awk '/"o5"/ { print NR ":-5" }' order1.jsonl)"

# log -n N reads N commits of the first-parent chain, not the whole history:
# with the oldest commit's object gone, -n 2 still works, a full log fails
"$FW" corpus create lg >/dev/null
for k in 1 2 3; do
	printf '{"id":"x%d"}\n' $k >lg.jsonl
	"$FW" add lg lg.jsonl >/dev/null && "$FW" commit lg -m "lg $k" >/dev/null
done
first=$(git --git-dir=.fw/git rev-parse lg/main~3)
mv ".fw/git/objects/$(echo "$first" | cut -c1-2)/$(echo "$first" | cut -c3-)" first.obj
expect_eq "log -n 2 reads two commits" "$("$FW" log lg -n 2 --oneline | cut -c14-)" "$(printf 'lg 3\nlg 2')"
expect_fail "a full log meets the missing commit" 1 "cannot read" "$FW" log lg
mv first.obj ".fw/git/objects/$(echo "$first" | cut -c1-2)/$(echo "$first" | cut -c3-)"
expect_eq "log after" "$("$FW" log lg --oneline | wc -l)" 4

# fw does not make libgit2 parse the system's CA bundle at start
# (link/nocerts.c, link/static_link.c): with a libgit2 built on mbedTLS linked
# as a shared object, its calls to load certificates bind to fw; linked
# statically, no certificate file is opened
if ldd "$FW" | grep -q libmbedx509; then
	expect_eq "libgit2's certificate loading binds to fw's stubs" \
	    "$(LD_DEBUG=bindings "$FW" corpus list 2>&1 >/dev/null |
	    grep "libgit2.*normal symbol .mbedtls_x509_crt_parse_\(file\|path\)" |
	    grep -c "to $FW ")" 2
elif command -v strace >/dev/null && [ -d /etc/ssl/certs ]; then
	expect_eq "a statically linked fw opens no certificate" \
	    "$(strace -f -e trace=open,openat "$FW" corpus list 2>&1 >/dev/null | grep -c /etc/ssl)" 0
fi
# nor does reading objects start OpenSSL (its configuration file, loaded by
# an EVP digest or by libssh2's initialisation of OpenSSL; objstore/objstore.c,
# link/static_link.c): a cat hashes every object it reads
# Linked statically, libgit2's SSH and TLS set-up is wrapped out
# (link/static_link.c): libssh2 is not linked at all, and mbedTLS gathers no
# entropy (128 bytes of getrandom for its random generator's seed)
if ! ldd "$FW" | grep -q libgit2; then
	if command -v nm >/dev/null; then
		expect_eq "a statically linked fw has no libssh2" \
		    "$(nm "$FW" | grep -cw libssh2_init)" 0
	fi
	if command -v strace >/dev/null; then
		expect_eq "a statically linked fw seeds no TLS random generator" \
		    "$(strace -f -e trace=getrandom "$FW" log lg -n 1 2>&1 >/dev/null |
		    grep -c 'getrandom(.*, 128,')" 0
	fi
fi
if command -v strace >/dev/null && ! ldd "$FW" | grep -q libssh2; then
	expect_eq "reading objects does not load openssl.cnf" \
	    "$(strace -f -e trace=open,openat "$FW" cat lg 2>&1 >/dev/null | grep -c 'openssl\.cnf')" 0
fi
finish
