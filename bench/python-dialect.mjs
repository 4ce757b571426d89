// Times the python key dialect on the 1 MB report-like document against the floor
// sha256(JSON.stringify(doc)), next to the default dialect. Run after `npm run build`:
//   node bench/python-dialect.mjs
import { createHash } from "node:crypto";
import { cacheKey, cacheKeyOfText } from "../dist/index.js";
import { reportDocument } from "./report-document.mjs";

const doc = reportDocument(1_000_000);
const text = JSON.stringify(doc);

/** Median milliseconds of `runs` calls, after a warm-up. */
function median(fn, runs = 25) {
  for (let i = 0; i < 5; i++) fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return times.sort((a, b) => a - b)[runs >> 1];
}

const floor = median(() => createHash("sha256").update(JSON.stringify(doc)).digest("hex"));
const rows = [
  ["cacheKey(doc)", () => cacheKey(doc)],
  ['cacheKey(doc, { dialect: "python" })', () => cacheKey(doc, { dialect: "python" })],
  ["cacheKeyOfText(text)", () => cacheKeyOfText(text)],
  [
    'cacheKeyOfText(text, { dialect: "python" })',
    () => cacheKeyOfText(text, { dialect: "python" }),
  ],
];
console.log(`floor sha256(JSON.stringify(doc)): ${floor.toFixed(1)} ms (${text.length} bytes)`);
for (const [name, fn] of rows) {
  const ms = median(fn);
  console.log(`${name.padEnd(46)} ${ms.toFixed(1).padStart(7)} ms  ${(ms / floor).toFixed(2)}x`);
}
