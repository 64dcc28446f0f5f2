#!/bin/sh
# Bad input to fw add: a clear error naming the file (and line), exit 1, and
# nothing of the file staged. Each case is a file body (printf format) and the
# message it must give.
. "$(dirname "$0")/lib.sh"

"$FW" init >/dev/null
"$FW" corpus create c >/dev/null
cat >strict.yaml <<'Y'
strict: true
columns:
- name: id
  type: str
- name: reward
  type: f64
- name: n
  type: i64
- name: ok
  type: bool
- name: messages
  type: json
Y
"$FW" corpus create s --schema strict.yaml >/dev/null

# corpus | name | body (printf format) | message pattern
while IFS='|' read -r corpus name body pat; do
	[ -z "$corpus" ] && continue
	printf "$body" >"$name"
	expect_fail "$name" 1 "$pat" "$FW" add "$corpus" "$name" --format jsonl
	expect_eq "$name: nothing staged" "$("$FW" status "$corpus" --json | jq '.add+.replace+.patch')" 0
done <<'CASES'
c|invalid-json.jsonl|{"id":"a"}\n{"id":"b",}\n|invalid-json.jsonl:2
c|truncated-last-line.jsonl|{"id":"a"}\n{"id":"b","x":[1,2|truncated-last-line.jsonl:2
c|bad-utf8.jsonl|{"id":"a"}\n{"id":"\377"}\n|bad-utf8.jsonl:2.*UTF-8
c|overlong-utf8.jsonl|{"id":"\300\257"}\n|overlong-utf8.jsonl:1.*UTF-8
c|lone-continuation.jsonl|{"id":"a\200"}\n|lone-continuation.jsonl:1.*UTF-8
c|surrogate-escape.jsonl|{"id":"a","t":"\\ud800"}\n|surrogate-escape.jsonl:1.*surrogate
c|nul-byte.jsonl|{"id":"a"}\n{"id":"b\000"}\n|nul-byte.jsonl:2.*NUL
c|id-number.jsonl|{"id":7}\n|id-number.jsonl:1.*id
c|id-null.jsonl|{"id":null}\n|id-null.jsonl:1.*id
c|id-object.jsonl|{"id":{"x":1}}\n|id-object.jsonl:1.*id
c|id-array.jsonl|{"id":["a"]}\n|id-array.jsonl:1.*id
c|id-empty.jsonl|{"id":""}\n|id-empty.jsonl:1.*id
c|record-array.jsonl|[1,2]\n|record-array.jsonl:1.*object
c|record-string.jsonl|"x"\n|record-string.jsonl:1.*object
c|record-number.jsonl|42\n|record-number.jsonl:1.*object
c|single-quotes.jsonl|{'id':'a'}\n|single-quotes.jsonl:1
c|trailing-garbage.jsonl|{"id":"a"} x\n|trailing-garbage.jsonl:1
c|two-values.jsonl|{"id":"a"}{"id":"b"}\n|two-values.jsonl:1
c|nan.jsonl|{"id":"a","r":NaN}\n|nan.jsonl:1
c|leading-zero.jsonl|{"id":"a","r":01}\n|leading-zero.jsonl:1
c|control-char.jsonl|{"id":"a\001"}\n|control-char.jsonl:1
c|bad-escape.jsonl|{"id":"a\\q"}\n|bad-escape.jsonl:1
c|unclosed-string.jsonl|{"id":"a}\n|unclosed-string.jsonl:1
c|missing-colon.jsonl|{"id" "a"}\n|missing-colon.jsonl:1
c|empty.jsonl||empty.jsonl.*empty
c|late-error.jsonl|{"id":"1"}\n{"id":"2"}\n{"id":"3"}\n{"id":"4"}\n{"id":"5"}\n{"id":"6"}\n{"id":"7"}\n{"id":"8"}\n{"id":"9"}\n{"id":10}\n|late-error.jsonl:10
s|strict-string-reward.jsonl|{"id":"a","reward":"high"}\n|strict-string-reward.jsonl:1.*"reward" is a string, schema says f64
s|strict-float-int.jsonl|{"id":"a","n":1.5}\n|strict-float-int.jsonl:1.*"n" is a number, schema says i64
s|strict-bool.jsonl|{"id":"a","ok":1}\n|strict-bool.jsonl:1.*"ok" is a number, schema says bool
s|strict-unknown-field.jsonl|{"id":"a","extra":1}\n|strict-unknown-field.jsonl:1.*not in the schema
s|strict-second-line.jsonl|{"id":"a","reward":1}\n{"id":"b","reward":[1]}\n|strict-second-line.jsonl:2
CASES

# deeply nested value
awk 'BEGIN { printf "{\"id\":\"a\",\"x\":"; for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; print "}" }' >deep.jsonl
expect_fail "100,000-deep nesting" 1 "deep.jsonl:1.*nested deeper" "$FW" add c deep.jsonl --format jsonl

# a field name longer than schema.yaml takes (256 bytes), inline and in a
# staged chunk: refused at add (it used to stage, and its commit wrote a
# schema no later command could read)
awk 'BEGIN { k = sprintf("%0257d", 0); printf "{\"id\":\"a\"}\n{\"id\":\"b\",\"%s\":1}\n", k }' >long-name.jsonl
expect_fail "257-byte field name" 1 "long-name.jsonl:2.*field name of 257 bytes" "$FW" add c long-name.jsonl
expect_fail "257-byte field name, chunked" 1 "long-name.jsonl:2.*field name of 257 bytes" \
    env FW_STAGE_CHUNK_MIN=0 "$FW" add c long-name.jsonl
expect_eq "long field name: nothing staged" "$(ls .fw/stage/c 2>/dev/null | wc -l)" 0
mkdir n256 && (cd n256 && "$FW" init >/dev/null && "$FW" corpus create c >/dev/null)
awk 'BEGIN { k = sprintf("%0256d", 0); printf "{\"id\":\"a\",\"%s\":1}\n", k }' >n256/in.jsonl
check "a 256-byte field name is staged, committed and read" sh -c \
    "cd n256 && '$FW' add c in.jsonl && '$FW' commit c -m long && '$FW' cat c --id a | grep -q 0000 && '$FW' show c >/dev/null"

# several files: all or nothing
printf '{"id":"ok1"}\n' >good.jsonl
expect_fail "a bad second file stages nothing" 1 "invalid-json.jsonl:2" "$FW" add c good.jsonl invalid-json.jsonl --format jsonl
expect_eq "nothing staged after a failed batch" "$("$FW" status c --json | jq .add)" 0
expect_eq "no segment left behind" "$(ls .fw/stage/c 2>/dev/null | wc -l)" 0

# other refusals
expect_fail "unknown corpus" 1 "no corpus 'nope'" "$FW" add nope good.jsonl
expect_fail "corpus name ../x" 1 "bad corpus name" "$FW" add ../x good.jsonl
expect_fail "missing file" 1 "cannot open missing.jsonl" "$FW" add c missing.jsonl
expect_fail "unknown format" 2 "format" "$FW" add c good.jsonl --format yaml
expect_fail "no file" 2 "usage" "$FW" add c
expect_fail "rm of an empty id" 1 "bad id" "$FW" rm c ""
# and good input still works after all that
check "good input" "$FW" add c good.jsonl --format jsonl
expect_eq "one record staged" "$("$FW" status c --json | jq .add)" 1
finish
