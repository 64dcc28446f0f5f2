// Formats tests/bench/tokenizer/run.sh's JSON lines as a Markdown table with
// each implementation's speed relative to tiktoken (gpt4o) or to
// @huggingface/tokenizers (qwen3).
import { readFileSync } from "node:fs";

const rows = readFileSync(process.argv[2], "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
console.log("| tokenizer | implementation | MB/s | first pass MB/s | vs tiktoken | vs @huggingface/tokenizers | load ms (CPU ms) | load RSS MB |");
console.log("|---|---|---:|---:|---:|---:|---:|---:|");
for (const r of rows) {
  const same = rows.filter((x) => x.tokenizer === r.tokenizer);
  const tk = same.find((x) => x.impl.startsWith("tiktoken"));
  const hf = same.find((x) => x.impl.startsWith("@huggingface"));
  const ratio = (b) => (b ? (r.mb_per_s / b.mb_per_s).toFixed(1) + "x" : "");
  console.log(`| ${r.tokenizer} | ${r.impl} | ${r.mb_per_s.toFixed(2)} | ${r.first_pass_mb_per_s?.toFixed(2) ?? ""} | ` +
    `${ratio(tk)} | ${ratio(hf)} | ${r.load_ms ?? ""}${r.load_cpu_ms ? ` (${r.load_cpu_ms})` : ""} | ${r.load_rss_mb ?? ""} |`);
}
