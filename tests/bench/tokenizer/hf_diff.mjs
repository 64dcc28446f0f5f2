// Differential test: fw against the reference JavaScript tokenizer
// (@huggingface/tokenizers, the one that made the shared oracles) on random
// and adversarial strings that no oracle holds: combining marks, emoji
// sequences, every Unicode plane, long white space and digit runs, control
// characters, added-token strings. Also runs tokenizer.json variants that the
// shared files do not use (ByteLevel with its own regex and add_prefix_space,
// Split with invert and Removed, lstrip/rstrip added tokens, ignore_merges).
//
//   cd tests/bench/tokenizer && npm install
//   node hf_diff.mjs FW DATA_DIR [COUNT] [SEED]
//
// Prints one line per tokenizer and exits 1 on any difference.
import { Tokenizer } from "@huggingface/tokenizers";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [fw, data, countArg, seedArg] = process.argv.slice(2);
if (!fw || !data) {
  console.error("usage: node hf_diff.mjs FW DATA_DIR [COUNT] [SEED]");
  process.exit(2);
}
const COUNT = Number(countArg ?? 3000);
let seed = Number(seedArg ?? 12345) >>> 0;
function rand() { // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
const int = (n) => Math.floor(rand() * n);

// Random code points from ranges whose character properties have not changed
// since Unicode 14 (the tables of the PCRE2 fw links to; the Rust reference's
// Oniguruma has 15.0, this JS port its Node's 15.1 or 16): a character
// assigned later is a letter to one and unassigned to another. The round-trip
// property test in C (tests/unit/test_tokenizer.c) covers every plane.
const stableRanges = [[0x20, 0x7e], [0xa0, 0x2fff], [0x3000, 0x9fff], [0xac00, 0xd7a3],
  [0xe000, 0xfffd], [0x1f300, 0x1f5ff], [0x20000, 0x2a6df], [0xe0000, 0xe007f],
  [0xf0000, 0xffffd], [0x100000, 0x10fffd]];
function anyCodePoint() {
  const [lo, hi] = pick(stableRanges);
  return String.fromCodePoint(lo + int(hi - lo + 1));
}
const pieces = [
  () => "hello", () => " world", () => "Don't", () => " I'LL", () => "'s", () => "'Re",
  () => " ".repeat(1 + int(40)), () => "\t".repeat(1 + int(5)), () => "\n".repeat(1 + int(6)),
  () => "\r\n", () => " \n ", () => "\u00a0", () => "\u3000", () => "\u2028", () => "\u0085",
  () => "\u200b", () => "\u180e", () => "\u2009\u200a", () => "\u000b\u000c",
  () => String(int(1e9)), () => "0".repeat(1 + int(30)), () => "١٢٣", () => "１２３", () => "½²³",
  () => "e\u0301", () => "a" + "\u0300\u0301\u0302\u0303".slice(0, 1 + int(4)), () => "\u0301",
  () => "한국어", () => "\u1100\u1161\u11a8", () => "日本語のテキスト", () => "中文", () => "ไทย",
  () => "😀", () => "👩\u200d👩\u200d👧", () => "🇫🇷", () => "👍🏽", () => "❤\ufe0f", () => "\u{1f9d1}\u200d\u{1f4bb}",
  () => "<|im_start|>", () => "<|im_end|>", () => "<tool_call>", () => "<think>", () => "<|endoftext|>",
  () => "<|", () => "|>", () => "{\"a\": [1, 2.5e-3]}", () => "x = y + 1;", () => "https://example.com/a?b=c",
  () => "ﬁ", () => "Å", () => "ǅ", () => "\u0000", () => "\u0007", () => "\u007f", () => "\ufeff",
  () => "\ufffd", () => "\uffff", () => "\u{10ffff}", () => "\u{e0001}", () => "\u{1d400}",
  anyCodePoint, anyCodePoint, anyCodePoint,
];
function randomText() {
  let s = "";
  const n = 1 + int(rand() < 0.1 ? 200 : 20);
  for (let i = 0; i < n; i++) s += pick(pieces)();
  return s;
}
const texts = [
  "", " ", "  ", "\n", " ".repeat(5000), "9".repeat(3000), "ab".repeat(2000),
  "\u0301".repeat(300), "😀".repeat(500), "a\u0301".repeat(500),
];
while (texts.length < COUNT) texts.push(randomText());

// The JS port writes two things with JavaScript's own white space, which
// differs from Oniguruma's and Rust's (the real reference's) on U+FEFF (JS: a
// space) and U+0085 (JS: not one): the regex ByteLevel uses when use_regex is
// true, and lstrip/rstrip. Texts with either are left out of those variants,
// where the port is not the reference.
const JS_SPACE = new Set(["ByteLevel(add_prefix_space, use_regex)", "ByteLevel(use_regex)",
  "added lstrip/rstrip"]);

function variants(json) {
  const out = [["as is", json]];
  const clone = () => JSON.parse(JSON.stringify(json));
  let v = clone();
  v.pre_tokenizer = { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true };
  out.push(["ByteLevel(add_prefix_space, use_regex)", v]);
  v = clone();
  v.pre_tokenizer = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  out.push(["ByteLevel(use_regex)", v]);
  v = clone();
  v.pre_tokenizer = { type: "Sequence", pretokenizers: [
    { type: "Split", pattern: { String: " " }, behavior: "Isolated", invert: false },
    { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false }] };
  out.push(["Split(String, Isolated)", v]);
  v = clone();
  v.pre_tokenizer = { type: "Sequence", pretokenizers: [
    { type: "Split", pattern: { Regex: "\\s+" }, behavior: "Removed", invert: false },
    { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false }] };
  out.push(["Split(Removed)", v]);
  v = clone();
  v.model.ignore_merges = true;
  out.push(["ignore_merges", v]);
  v = clone();
  for (const t of v.added_tokens) { t.lstrip = true; t.rstrip = true; }
  out.push(["added lstrip/rstrip", v]);
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "fw-hfdiff-"));
let failed = 0;
try {
  writeFileSync(join(dir, "in.jsonl"), texts.map((text) => JSON.stringify({ text })).join("\n") + "\n");
  for (const name of ["qwen3", "gpt4o"]) {
    const base = JSON.parse(readFileSync(`${data}/tokenizers/${name}/tokenizer.json`, "utf8"));
    const config = JSON.parse(readFileSync(`${data}/tokenizers/${name}/tokenizer_config.json`, "utf8"));
    for (const [label, json] of variants(base)) {
      const path = join(dir, "tokenizer.json");
      writeFileSync(path, JSON.stringify(json));
      const ref = new Tokenizer(json, config);
      const out = execFileSync(fw, ["tokenize", "--tokenizer", path, "--special", "--jsonl"],
        { input: readFileSync(join(dir, "in.jsonl")), maxBuffer: 1 << 30 }).toString().trim().split("\n");
      let bad = 0, skipped = 0;
      texts.forEach((text, i) => {
        if (JS_SPACE.has(label) && /[\ufeff\u0085]/.test(text)) {
          skipped++;
          return;
        }
        const want = ref.encode(text, { add_special_tokens: false }).ids;
        const got = JSON.parse(out[i]).ids;
        if (want.length !== got.length || want.some((x, k) => x !== got[k])) {
          if (bad++ < 3) {
            let k = 0;
            while (k < want.length && want[k] === got[k]) k++;
            const dec = (ids) => (ids.length ? ref.decode(ids) : "");
            const at = dec(want.slice(0, k));
            console.log(`  ${name} ${label}: text ${i}, first difference at id ${k}, after ${JSON.stringify(at.slice(-20))}:\n` +
              `    want ${JSON.stringify(dec(want.slice(k, k + 6)))} ${want.slice(k, k + 6)}\n` +
              `    got  ${JSON.stringify(dec(got.slice(k, k + 6)))} ${got.slice(k, k + 6)}`);
          }
        }
      });
      console.log(`${name} ${label}: ${texts.length - skipped} texts, ${bad} differ`);
      failed += bad;
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
