// The scale benchmark: get/put/getOrCreate on a cache of 100,000 entries against the same calls
// on a cache of 100 entries, side by side; stats() and prune() over the 100,000 entries.
// --quick uses 10,000 entries.
import { randomBytes } from "node:crypto";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import {
  alternate,
  ms,
  pool,
  randomInts,
  repeat,
  table,
  loadNote,
  tempDir,
  verdict,
} from "./measure.mjs";

export const name = "scale";
export const description =
  "get/put/getOrCreate on 100,000 entries (--quick: 10,000) vs 100 entries; stats and prune over them";

/** A call on the large cache may take at most this many times the same call on the small one. */
export const maxRatio = 1.2;
/** stats() and prune() over the large cache must finish within this. */
export const maxScanMs = 5000;

const smallCount = 100;
const entrySize = 1024;
/** Writes in flight while the fixtures are made. */
const fixtureConcurrency = 64;

const keyOf = (index) => `entry-${index.toString(36).padStart(6, "0")}`;

/**
 * Runs the section and prints its table.
 *
 * @param {{ lib: typeof import("../dist/index.js"); rounds: number; quick?: boolean; log: (line: string) => void }} context
 */
export async function run({ lib, rounds, quick = false, log }) {
  const largeCount = quick ? 10_000 : 100_000;
  const small = tempDir("small");
  const large = tempDir("large");
  try {
    const data = randomBytes(entrySize);
    const fill = async (dir, count) => {
      const cache = new lib.CacheManager({ dir });
      const start = performance.now();
      await pool(count, fixtureConcurrency, (index) => cache.put(keyOf(index), data));
      return performance.now() - start;
    };
    await fill(small.dir, smallCount);
    log(
      `scale: writing ${largeCount.toLocaleString("en")} entries of ${entrySize} bytes with put…`,
    );
    const fillMs = await fill(large.dir, largeCount);
    log(
      `  made in ${ms(fillMs)} (${Math.round((largeCount / fillMs) * 1000)} puts/s, ${fixtureConcurrency} in flight)`,
    );

    // Managers made now, as a host's would be: no bounds, then with bounds far above the count
    // (so that nothing is evicted, but every write keeps count of the cache's size).
    const caches = {
      small: {
        count: smallCount,
        plain: new lib.CacheManager({ dir: small.dir }),
        bounded: new lib.CacheManager({ dir: small.dir, maxEntries: 10 * largeCount }),
      },
      large: {
        count: largeCount,
        plain: new lib.CacheManager({ dir: large.dir }),
        bounded: new lib.CacheManager({ dir: large.dir, maxEntries: 10 * largeCount }),
      },
    };
    // A bounded manager's first write scans the directory once to learn its size.
    const firstBoundedPut = {};
    for (const size of ["small", "large"]) {
      const start = performance.now();
      await caches[size].bounded.put(keyOf(0), data);
      firstBoundedPut[size] = performance.now() - start;
    }

    const generate = () => {
      throw new Error("a hit must not generate");
    };
    const check = (bytes) => {
      if (bytes?.byteLength !== entrySize) throw new Error("a hit returned other bytes");
    };
    const operations = [
      { label: "get", batch: 200, op: (cache, key) => cache.plain.get(key).then(check) },
      {
        label: "getOrCreate (hit)",
        batch: 200,
        op: (cache, key) => cache.plain.getOrCreate(key, generate).then(check),
      },
      { label: "put (replace)", batch: 30, op: (cache, key) => cache.plain.put(key, data) },
      {
        label: "put (replace), bounded",
        batch: 30,
        op: (cache, key) => cache.bounded.put(key, data),
      },
    ];
    const scaleBatch = quick ? 0.5 : 1;
    const pairs = operations.map(({ label, batch, op }, index) => {
      const pick = randomInts(index + 1);
      const on = (size) => () => op(caches[size], keyOf(pick(caches[size].count)));
      return { label, batch: Math.round(batch * scaleBatch), a: on("small"), b: on("large") };
    });
    const results = await alternate(pairs, { rounds });

    const rows = [];
    const checks = [];
    for (const { label, a: onSmall, b: onLarge, ratio } of results) {
      const met = ratio <= maxRatio;
      checks.push({ label, ratio, met });
      rows.push([
        label,
        `${ms(onSmall.min)} / ${ms(onSmall.median)}`,
        `${ms(onLarge.min)} / ${ms(onLarge.median)}`,
        `${ratio.toFixed(2)}×`,
        `≤ ${maxRatio}× ${verdict(met)}`,
      ]);
    }
    const countLabel = largeCount.toLocaleString("en");
    log(
      `  calls on random keys, ${rounds} rounds of ${pairs[0].batch} reads or ${pairs.at(-1).batch} writes on each cache, alternating call by call; per call min / median of the rounds; ratio: median of the rounds' ratios`,
    );
    log(`  ${loadNote()}`);
    table(
      log,
      ["operation", `${smallCount} entries`, `${countLabel} entries`, "ratio", "bar"],
      rows,
    );
    log(
      `  first put of a bounded manager (one scan of the directory): ${ms(firstBoundedPut.small)} on ${smallCount}, ${ms(firstBoundedPut.large)} on ${countLabel}`,
    );

    // Whole-directory operations over the large cache.
    const cache = caches.large.plain;
    const scanRounds = Math.min(rounds, quick ? 3 : 5);
    let present = (await cache.stats()).entries;
    const trim = 100;
    const scans = [
      { label: "stats()", op: () => cache.stats() },
      {
        label: `prune({ maxEntries: n - ${trim}, dryRun: true })`,
        op: async () => {
          const report = await cache.prune({ maxEntries: present - trim, dryRun: true });
          if (report.removedEntries !== trim) throw new Error("dryRun reported other figures");
        },
      },
      {
        label: `prune({ maxEntries: n - ${trim} })`,
        op: async () => {
          const report = await cache.prune({ maxEntries: present - trim });
          if (report.removedEntries !== trim) throw new Error("prune removed other entries");
          present = report.remainingEntries;
        },
      },
    ];
    const scanRows = [];
    for (const { label, op } of scans) {
      // The longest the event loop was held during the runs: what other requests of the host
      // wait at worst while a scan runs.
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const result = await repeat(scanRounds, op);
      delay.disable();
      const met = result.median < maxScanMs;
      checks.push({ label, ratio: undefined, met, medianMs: result.median });
      scanRows.push([
        label,
        ms(result.min),
        ms(result.median),
        ms(result.max),
        ms(delay.max / 1e6),
        `< ${maxScanMs / 1000} s ${verdict(met)}`,
      ]);
    }
    log(`  ${loadNote()}`);
    log(`  over ${countLabel} entries, ${scanRounds} runs each (n = entries present)`);
    table(log, ["operation", "min", "median", "max", "loop held (max)", "bar"], scanRows);

    for (const { label, ratio, met, medianMs } of checks) {
      if (met) continue;
      log(
        ratio === undefined
          ? `  FAIL: ${label} took ${ms(medianMs)} (limit ${maxScanMs / 1000} s)`
          : `  FAIL: ${label} is ${ratio.toFixed(2)}× slower on ${countLabel} entries (limit ${maxRatio}×)`,
      );
    }
    return { ok: checks.every(({ met }) => met), results, fillMs, firstBoundedPut };
  } finally {
    small.remove();
    large.remove();
  }
}
