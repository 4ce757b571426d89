// Shared helpers of the lifecycle benchmarks: interleaved timing of contenders, medians, temp
// directories and a plain-text table.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";

/** The median of a list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The smallest of a list of numbers. */
export const min = (values) => Math.min(...values);

/**
 * Times contenders side by side. Each contender is `{ label, op(i), batch? }` (sync or async).
 * After `warmUp` calls of each, every round runs `batch` (or the contender's own `batch`)
 * sequential calls of each contender, in an
 * order rotated every round so that no contender always follows the same one; a round's figure
 * is the mean time per call of its batch. Returns each contender with `times` (ms per call, one
 * per round), `median` and `min`.
 */
export async function interleave(contenders, { rounds, batch, warmUp = batch }) {
  const counters = contenders.map(() => 0);
  const runBatch = async (index, defaultCalls) => {
    const { op } = contenders[index];
    const calls = contenders[index].batch ?? defaultCalls;
    const start = performance.now();
    for (let call = 0; call < calls; call++) await op(counters[index]++);
    const perCall = (performance.now() - start) / calls;
    // Let work a batch left in the background (a hit's recorded use) land before the next one.
    await sleep(2);
    return perCall;
  };
  for (let index = 0; index < contenders.length; index++) await runBatch(index, warmUp);
  const times = contenders.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let offset = 0; offset < contenders.length; offset++) {
      const index = (round + offset) % contenders.length;
      times[index].push(await runBatch(index, batch));
    }
  }
  return contenders.map((contender, index) => ({
    ...contender,
    times: times[index],
    median: median(times[index]),
    min: min(times[index]),
  }));
}

/**
 * Times pairs of contenders call by call: every round runs, for each pair (in an order rotated
 * every round), `batch` calls of `a` and of `b` alternately (`a b a b …`, or `b a b a …` every
 * other round), each call timed on its own, so that both meet the same noise. Returns, per pair,
 * the per-call times of `a` and `b` per round (`{ times, median, min }` each) and `ratios`: per
 * round, b's mean over a's; `ratio` is their median. With `settleMs`, every call is followed by
 * a pause, so that work a call leaves in the background (a hit's recorded use) is not charged to
 * the next one.
 */
export async function alternate(pairs, { rounds, warmUp = 10, settleMs = 0 }) {
  const results = pairs.map(() => ({ a: [], b: [], ratios: [] }));
  let counter = 0;
  const timed = async (op) => {
    const start = performance.now();
    await op(counter++);
    const elapsed = performance.now() - start;
    if (settleMs > 0) await sleep(settleMs);
    return elapsed;
  };
  for (const { a, b } of pairs) {
    for (let call = 0; call < warmUp; call++) {
      await a(counter++);
      await b(counter++);
    }
  }
  for (let round = 0; round < rounds; round++) {
    for (let offset = 0; offset < pairs.length; offset++) {
      const index = (round + offset) % pairs.length;
      const { a, b, batch } = pairs[index];
      let sumA = 0;
      let sumB = 0;
      for (let call = 0; call < batch; call++) {
        if ((round + call) % 2 === 0) {
          sumA += await timed(a);
          sumB += await timed(b);
        } else {
          sumB += await timed(b);
          sumA += await timed(a);
        }
      }
      await sleep(2);
      results[index].a.push(sumA / batch);
      results[index].b.push(sumB / batch);
      results[index].ratios.push(sumB / sumA);
    }
  }
  const summary = (times) => ({ times, median: median(times), min: min(times) });
  return pairs.map((pair, index) => ({
    ...pair,
    a: summary(results[index].a),
    b: summary(results[index].b),
    ratios: results[index].ratios,
    ratio: median(results[index].ratios),
  }));
}

/** Times one async operation `rounds` times, one after another. */
export async function repeat(rounds, op) {
  const times = [];
  for (let round = 0; round < rounds; round++) {
    const start = performance.now();
    await op(round);
    times.push(performance.now() - start);
  }
  return { times, median: median(times), min: min(times), max: Math.max(...times) };
}

/** Runs `task(i)` for i in 0..count-1 with at most `concurrency` running at a time. */
export async function pool(count, concurrency, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** A new temp directory, and a function that removes it. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `clarity-cache-bench-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A deterministic pseudo-random integer generator (mulberry32) for picking keys. */
export function randomInts(seed) {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % below) | 0;
  };
}

/** Milliseconds with a sensible number of decimals. */
export function ms(value) {
  if (value >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (value >= 10) return `${value.toFixed(1)} ms`;
  if (value >= 1) return `${value.toFixed(2)} ms`;
  return `${value.toFixed(3)} ms`;
}

/** Prints rows (arrays of cells) as a table whose first column is left-aligned. */
export function table(log, header, rows) {
  const all = [header, ...rows].map((row) => row.map(String));
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column].length)));
  const line = (row) =>
    row.map((cell, column) =>
      (column === 0 ? cell.padEnd : cell.padStart).call(cell, widths[column]),
    );
  log(`  ${line(all[0]).join("  ")}`);
  log(`  ${widths.map((width) => "-".repeat(width)).join("  ")}`);
  for (const row of all.slice(1)) log(`  ${line(row).join("  ")}`);
}

/** A verdict cell: "ok" or "MISSED". */
export const verdict = (met) => (met ? "ok" : "MISSED");

/** The machine's load, to read the figures by: on a shared machine it is often far above its cores. */
export function loadNote() {
  const [one, five] = loadavg();
  return `load average ${one.toFixed(1)} (1 min), ${five.toFixed(1)} (5 min) on ${cpus().length} cores`;
}
