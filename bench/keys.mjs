// The key benchmark: what cacheKey costs on a 1 MB report-like document, against the floor of
// hashing the unsorted, unquantized JSON.stringify output, and against the naive way of getting
// a canonical key (a quantizing copy with toFixed, serialized by fast-json-stable-stringify).
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import stableStringify from "fast-json-stable-stringify";
import { reportDocument } from "./report-document.mjs";

export const name = "keys";
export const description =
  "cacheKey on a 1 MB report-like document, against sha256(JSON.stringify)";

/** cacheKey's median time may be at most this many times the floor's. */
export const maxRatio = 3;

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

/** The naive quantizing copy: toFixed(8) on every non-integer number. */
function naiveQuantize(value) {
  if (typeof value === "number") {
    return Number.isInteger(value) ? value : Number(value.toFixed(8));
  }
  if (Array.isArray(value)) return value.map(naiveQuantize);
  if (value !== null && typeof value === "object") {
    const copy = {};
    for (const key of Object.keys(value)) copy[key] = naiveQuantize(value[key]);
    return copy;
  }
  return value;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * Runs the section and prints its table.
 *
 * @param {{ lib: typeof import("../dist/index.js"); rounds: number; log: (line: string) => void }} context
 * @returns {{ ok: boolean; results: { label: string; medianMs: number; ratio: number }[] }}
 */
export function run({ lib, rounds, log }) {
  const doc = reportDocument(1_000_000, 42);
  const bytes = Buffer.byteLength(JSON.stringify(doc));
  const candidates = [
    { label: "sha256(JSON.stringify(doc))  (floor)", fn: () => sha256(JSON.stringify(doc)) },
    { label: "cacheKey(doc)", fn: () => lib.cacheKey(doc), checked: true },
    {
      label: "fjss(toFixed quantize-copy)  (naive)",
      fn: () => sha256(stableStringify(naiveQuantize(doc))),
    },
  ];

  // The naive path must compute the same key on this document (it has no exact ties); if it
  // did not, the comparison would be meaningless.
  const agree = candidates[1].fn() === candidates[2].fn();

  for (const candidate of candidates) {
    candidate.times = [];
    for (let i = 0; i < 3; i++) candidate.fn(); // warm up
  }
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so that no candidate always runs after the same one.
    for (let i = 0; i < candidates.length; i++) {
      const candidate = candidates[(round + i) % candidates.length];
      const start = performance.now();
      candidate.fn();
      candidate.times.push(performance.now() - start);
    }
  }

  const floor = median(candidates[0].times);
  const results = candidates.map(({ label, times }) => ({
    label,
    medianMs: median(times),
    ratio: median(times) / floor,
  }));
  log(`keys: ${(bytes / 1e6).toFixed(2)} MB document, ${rounds} rounds, median`);
  for (const { label, medianMs, ratio } of results) {
    log(
      `  ${label.padEnd(40)} ${medianMs.toFixed(2).padStart(8)} ms  ${ratio.toFixed(2).padStart(5)}×`,
    );
  }
  log(`  cacheKey and the naive path agree on the key: ${agree ? "yes" : "NO"}`);

  const keyRatio = results[1].ratio;
  const ok = keyRatio <= maxRatio && agree;
  if (keyRatio > maxRatio) {
    log(`  FAIL: cacheKey is ${keyRatio.toFixed(2)}× the floor (limit ${maxRatio}×)`);
  }
  return { ok, results };
}
