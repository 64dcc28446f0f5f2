#!/bin/sh
# fw tokenize: encoding, decoding, chat templates with masks, the batch form,
# refusals and error messages, and --help against the man page's SYNOPSIS.
set -u
: "${FW:?FW must name the fw binary}"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tiny=$root/tests/data/tokenizer/tiny.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect NAME WANT GOT
expect() { if [ "$2" = "$3" ]; then ok; else no "$1: want [$2] got [$3]"; fi; }
# expect_err NAME RC PATTERN -- CMD...: exit status and a message on stderr
expect_err() {
	name=$1 want_rc=$2 pat=$3; shift 4
	"$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
	if [ $rc -ne "$want_rc" ]; then no "$name: exit $rc, want $want_rc ($(cat "$tmp/err"))"; return; fi
	if grep -qF -- "$pat" "$tmp/err"; then ok; else no "$name: stderr [$(cat "$tmp/err")] lacks [$pat]"; fi
}

# --- a tiny tokenizer in the tree: runs without shared data
expect "encode" "259 264" "$(printf 'hello world' | "$FW" tokenize --tokenizer "$tiny")"
expect "encode json" '{"ids":[259,264]}' "$(printf 'hello world' | "$FW" tokenize -t "$tiny" --json)"
expect "special is text by default" "60 124 101 110 100 124 62" "$(printf '<|end|>' | "$FW" tokenize -t "$tiny")"
expect "--special parses it" "300" "$(printf '<|end|>' | "$FW" tokenize -t "$tiny" --special)"
expect "non-special added token" "301" "$(printf '<x>' | "$FW" tokenize -t "$tiny")"
expect "decode" "hello world<|end|>" "$(echo '259 264 300' | "$FW" tokenize -t "$tiny" --decode)"
expect "decode json array" '{"text":"hello world"}' "$(echo '[259, 264]' | "$FW" tokenize -t "$tiny" -d --json)"
expect "decode cut character" "$(printf '{"text":"\357\277\275"}')" "$(echo '195' | "$FW" tokenize -t "$tiny" -d --json)"
printf 'caf\303\251 \342\200\224 na\303\257ve\n\t x' >"$tmp/u"
expect "round trip" "$(od -c "$tmp/u")" "$("$FW" tokenize -t "$tiny" <"$tmp/u" | "$FW" tokenize -t "$tiny" -d | od -c)"
expect "NFC" "$(printf '\303\251' | od -c)" "$(printf 'e\314\201' | "$FW" tokenize -t "$tiny" | "$FW" tokenize -t "$tiny" -d | od -c)"

cat >"$tmp/t.yaml" <<'Y'
name: mine
roles:
  user: {prefix: "U:", suffix: "\n"}
  assistant: {prefix: "A:", end: "<|end|>", suffix: "\n"}
Y
printf '[{"role":"user","content":"hello"},{"role":"assistant","content":"hello <|end|>"}]' >"$tmp/m.json"
expect "messages" "$(printf '85 58 259 10 65 58 259 32 60 124 101 110 100 124 62 300 10\n0 0 0 0 0 0 1 1 1 1 1 1 1 1 1 1 0')" \
	"$("$FW" tokenize -t "$tiny" --template "$tmp/t.yaml" --messages <"$tmp/m.json")"
expect "messages json" '{"ids":[85,58,259,10,65,58,259,32,60,124,101,110,100,124,62,300,10],"mask":[0,0,0,0,0,0,1,1,1,1,1,1,1,1,1,1,0]}' \
	"$("$FW" tokenize -t "$tiny" --template "$tmp/t.yaml" -m --json <"$tmp/m.json")"
printf '{"text":"hello"}\n{"messages":[{"role":"user","content":"x"}]}\n\n{"text":"<|end|>","other":1}\n' >"$tmp/in.jsonl"
expect "jsonl" "$(printf '{"ids":[259]}\n{"ids":[85,58,120,10],"mask":[0,0,0,0]}\n{"ids":[300]}')" \
	"$("$FW" tokenize -t "$tiny" --template "$tmp/t.yaml" --special --jsonl <"$tmp/in.jsonl")"
printf '{"ids":[259,264]}\n{"ids":[]}\n' >"$tmp/ids.jsonl"
expect "jsonl decode" "$(printf '{"text":"hello world"}\n{"text":""}')" "$("$FW" tokenize -t "$tiny" -d --jsonl <"$tmp/ids.jsonl")"

# --- errors
printf 'ab\377cd' >"$tmp/bad"
expect_err "invalid UTF-8" 1 "fw: stdin: invalid UTF-8 at byte 2" -- "$FW" tokenize -t "$tiny" <"$tmp/bad"
printf '{"text":"a"}\n{"text":"a"\n' >"$tmp/bad.jsonl"
expect_err "bad JSON line" 1 "fw: stdin:2: invalid JSON" -- "$FW" tokenize -t "$tiny" --jsonl <"$tmp/bad.jsonl"
printf '{"text":"a"}\n{"txt":"a"}\n' >"$tmp/bad.jsonl"
expect_err "line without text" 1 'fw: stdin:2: no "text" string or "messages"' -- "$FW" tokenize -t "$tiny" --jsonl <"$tmp/bad.jsonl"
printf '{"messages":[]}\n' >"$tmp/nt.jsonl"
expect_err "messages without template" 1 "stdin:1: messages need a chat template" -- "$FW" tokenize -t "$tiny" --jsonl <"$tmp/nt.jsonl"
expect_err "unknown id" 1 "fw: unknown token id 999999 at position 1" -- sh -c "echo '259 999999' | \"$FW\" tokenize -t \"$tiny\" -d"
printf '{"model":{"type":"WordPiece","vocab":{"a":0}}}' >"$tmp/wp.json"
expect_err "WordPiece refused" 1 "model WordPiece is not supported" -- sh -c "echo a | \"$FW\" tokenize -t \"$tmp/wp.json\""
printf '{"pre_tokenizer":{"type":"Metaspace"},"decoder":{"type":"ByteLevel"},"model":{"type":"BPE","vocab":{"a":0},"merges":[]}}' >"$tmp/ms.json"
expect_err "Metaspace refused" 1 "pre_tokenizer Metaspace is not supported" -- sh -c "echo a | \"$FW\" tokenize -t \"$tmp/ms.json\""
sed 's/"byte_fallback": false/"byte_fallback": true/' "$tiny" >"$tmp/bf.json"
expect_err "byte_fallback refused" 1 "model byte_fallback is not supported" -- sh -c "echo a | \"$FW\" tokenize -t \"$tmp/bf.json\""
printf '{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}' >"$tmp/mg.json"
expect_err "merge out of vocabulary" 1 "merge 0: 'b' is not in the vocabulary" -- sh -c "echo a | \"$FW\" tokenize -t \"$tmp/mg.json\""
expect_err "missing file" 1 "cannot open $tmp/none.json" -- sh -c "echo a | \"$FW\" tokenize -t \"$tmp/none.json\""
printf 'roles:\n  user: {}\n  assistant: {sufix: x}\n' >"$tmp/bad.yaml"
expect_err "bad template" 1 "bad template $tmp/bad.yaml:3: unknown key 'sufix'" -- sh -c "echo '[]' | \"$FW\" tokenize -t \"$tiny\" --template \"$tmp/bad.yaml\" -m"
expect_err "unknown template" 1 "no built-in chat template 'vicuna' (there are chatml, llama3" -- sh -c "echo '[]' | \"$FW\" tokenize -t \"$tiny\" --template vicuna -m"
expect_err "no tokenizer" 2 "--tokenizer FILE is required" -- "$FW" tokenize --json
expect_err "messages need a template" 2 "--messages needs --template" -- "$FW" tokenize -t "$tiny" -m

# --- --help and the man page's SYNOPSIS say the same
if [ -f "$root/man/fw-tokenize.1" ]; then
	"$FW" tokenize --help | sed -n 's/^usage: //p; s/^   or: //p' >"$tmp/help"
	awk '/^\.SH SYNOPSIS/ {on=1; next} /^\.SH/ {on=0} on && !/^\./' "$root/man/fw-tokenize.1" |
		sed 's/\\-/-/g; s/\\fB//g; s/\\fI//g; s/\\fR//g; s/\\fP//g; s/\\&//g' >"$tmp/man"
	if cmp -s "$tmp/help" "$tmp/man"; then ok; else no "man SYNOPSIS differs from --help: $(diff "$tmp/help" "$tmp/man")"; fi
else
	no "man/fw-tokenize.1 is missing"
fi

# --- real tokenizers from shared data
data=${FW_DATA:-$root/../shared/data}
if [ -f "$data/tokenizers/qwen3/tokenizer.json" ]; then
	q=$data/tokenizers/qwen3/tokenizer.json g=$data/tokenizers/gpt4o/tokenizer.json
	expect "qwen3" "14990 1879 0" "$(printf 'hello world!' | "$FW" tokenize -t "$q")"
	expect "gpt4o" "24912 2375 0" "$(printf 'hello world!' | "$FW" tokenize -t "$g")"
	expect "qwen3 injected control token stays text" "27 91 318 4906 91 29" "$(printf '<|im_start|>' | "$FW" tokenize -t "$q")"
	printf '[{"role":"user","content":"Hi"},{"role":"assistant","content":"Yo"}]' >"$tmp/c.json"
	expect "qwen3 chatml" "$(printf '151644 872 198 13048 151645 198 151644 77091 198 151667 271 151668 271 64725 151645 198\n0 0 0 0 0 0 0 0 0 1 1 1 1 1 1 0')" \
		"$("$FW" tokenize -t "$q" --template chatml -m <"$tmp/c.json")"
	expect "qwen3 chatml decodes to the rendering" "$(printf '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nYo<|im_end|>\n')" \
		"$("$FW" tokenize -t "$q" --template chatml -m <"$tmp/c.json" | head -n 1 | "$FW" tokenize -t "$q" -d)"
else
	echo "skip: no shared data at $data (real tokenizers not checked)"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
