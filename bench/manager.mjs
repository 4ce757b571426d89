// The hit benchmark: what a cache hit of a 1 MiB entry costs, against reading the same file
// with a bare fs.promises.readFile (and, for verify: "full", readFile + SHA-256), side by side.
import { createHash, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { alternate, ms, table, loadNote, tempDir, verdict } from "./measure.mjs";

export const name = "hit";
export const description =
  'a hit of a 1 MiB entry (get, getOrCreate; verify "size" and "full") against a bare readFile';

/** A hit's median time may be at most this many times its floor's (issue 4's bar). */
export const maxRatio = 1.2;

const sha256 = (data) => createHash("sha256").update(data).digest("hex");

/**
 * Runs the section and prints its table.
 *
 * @param {{ lib: typeof import("../dist/index.js"); rounds: number; quick?: boolean; log: (line: string) => void }} context
 */
export async function run({ lib, rounds, quick = false, log }) {
  const { dir, remove } = tempDir("hit");
  try {
    const key = "report-1mib";
    const data = randomBytes(1024 * 1024);
    const bySize = new lib.CacheManager({ dir, verify: "size" });
    const byHash = new lib.CacheManager({ dir, verify: "full" });
    const path = await bySize.put(key, data, { extension: ".pdf" });
    const options = { extension: ".pdf" };
    const notGenerated = () => {
      throw new Error("a hit must not generate");
    };
    const check = (bytes) => {
      if (bytes?.byteLength !== data.byteLength) throw new Error("the hit returned other bytes");
    };

    const readOnly = async () => check(await readFile(path));
    const readHashed = async () => {
      const bytes = await readFile(path);
      sha256(bytes);
      check(bytes);
    };
    const pairs = [
      {
        label: 'get, verify "size"',
        floor: "fs.promises.readFile",
        barred: true,
        a: readOnly,
        b: async () => check(await bySize.get(key, options)),
      },
      {
        label: 'getOrCreate (hit), verify "size"',
        floor: "fs.promises.readFile",
        barred: false,
        a: readOnly,
        b: async () => check(await bySize.getOrCreate(key, notGenerated, options)),
      },
      {
        label: 'get, verify "full"',
        floor: "readFile + SHA-256",
        barred: true,
        a: readHashed,
        b: async () => check(await byHash.get(key, options)),
      },
      {
        label: 'getOrCreate (hit), verify "full"',
        floor: "readFile + SHA-256",
        barred: false,
        a: readHashed,
        b: async () => check(await byHash.getOrCreate(key, notGenerated, options)),
      },
    ];
    const batch = quick ? 40 : 100;
    for (const pair of pairs) pair.batch = batch;
    const results = await alternate(pairs, { rounds, warmUp: 20, settleMs: 1 });

    const rows = [];
    for (const { label, floor, barred, a, b, ratio } of results) {
      const met = ratio <= maxRatio;
      rows.push([
        label,
        floor,
        `${ms(a.min)} / ${ms(a.median)}`,
        `${ms(b.min)} / ${ms(b.median)}`,
        `${ratio.toFixed(2)}×`,
        `≤ ${maxRatio}× ${verdict(met)}${barred ? "" : " (not a bar)"}`,
      ]);
    }
    log(
      `hit: 1 MiB entry, ${rounds} rounds of ${batch} calls of each, alternating call by call with the floor; per call min / median of the rounds; ratio: median of the rounds' ratios`,
    );
    log(`  ${loadNote()}`);
    table(
      log,
      ["operation", "against", "floor: min / median", "operation: min / median", "ratio", "bar"],
      rows,
    );
    const checks = results.filter(({ barred }) => barred);
    for (const { label, floor, ratio } of checks) {
      if (ratio > maxRatio) {
        log(`  FAIL: ${label} is ${ratio.toFixed(2)}× ${floor} (limit ${maxRatio}×)`);
      }
    }
    return { ok: checks.every(({ ratio }) => ratio <= maxRatio), results };
  } finally {
    remove();
  }
}
