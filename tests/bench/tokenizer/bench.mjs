// The reference JavaScript tokenizers on the same texts as fw, in the same run
// (tests/bench/tokenizer/run.sh): @huggingface/tokenizers with the model's
// tokenizer.json, and, for o200k_base, OpenAI's tiktoken (its WASM build).
// Prints one JSON line per implementation, with how many texts got the same
// ids as the oracle.
//
//   node bench.mjs NAME DATA_DIR [REPEAT]
import { Tokenizer } from "@huggingface/tokenizers";
import { get_encoding } from "tiktoken";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const [name, data, repeatArg] = process.argv.slice(2);
const repeat = Number(repeatArg ?? 3);
const dir = `${data}/tokenizers/${name}`;
const rows = gunzipSync(readFileSync(`${dir}/oracle.jsonl.gz`)).toString("utf8")
  .split("\n").filter(Boolean).map((l) => JSON.parse(l));
const bytes = rows.reduce((n, r) => n + Buffer.byteLength(r.text, "utf8"), 0);

function bench(impl, load, encode) {
  const t0 = performance.now();
  const enc = load();
  const loadMs = performance.now() - t0;
  let best = Infinity, first = 0, tokens = 0, same = 0;
  for (let r = 0; r < repeat + 1; r++) { // the first pass warms up
    const a = performance.now();
    tokens = 0;
    for (const row of rows) tokens += encode(enc, row.text).length;
    const s = (performance.now() - a) / 1e3;
    if (r === 0) first = s;
    else if (s < best) best = s;
  }
  for (const row of rows) {
    const ids = encode(enc, row.text);
    if (ids.length === row.ids.length && row.ids.every((x, i) => x === ids[i])) same++;
  }
  console.log(JSON.stringify({ impl, texts: rows.length, bytes, tokens, seconds: +best.toFixed(4),
    mb_per_s: +(bytes / 1e6 / best).toFixed(2), first_pass_mb_per_s: +(bytes / 1e6 / first).toFixed(2), load_ms: +loadMs.toFixed(1), oracle_equal: same }));
}

bench("@huggingface/tokenizers 0.2.0", () => new Tokenizer(
  JSON.parse(readFileSync(`${dir}/tokenizer.json`, "utf8")),
  JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, "utf8"))),
  (t, s) => t.encode(s, { add_special_tokens: false }).ids);
if (name === "gpt4o")
  bench("tiktoken 1.0.22 (o200k_base)", () => get_encoding("o200k_base"),
    (e, s) => e.encode(s, [], []));
