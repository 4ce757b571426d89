// Size bounds with several writer processes: each child puts many entries into one directory
// whose manager has maxEntries and maxBytes. When a child's put resolves, the bounds hold as far
// as its own writes go; once all have finished, one more write (or a prune) by any manager brings
// the directory within the bounds, stats() agrees with the disk, and every remaining entry reads
// back whole with verify: "full".

import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CacheManager } from "../../../src/index.js";
import { useTempDir } from "../../helpers/temp-dir.js";
import { makePayload, repetitions, sha256, useWorkers, verifyPayload } from "./workers.js";

const maxEntries = 50;
const maxBytes = 120_000;
const writers = 4;
const minSize = 512;
const maxSize = 4096;

interface FillerFigures {
  maxOwnEntries: number;
  maxOwnBytes: number;
  maxEntries: number;
  maxBytes: number;
}

/** The entries in `dir` now: its files whose names do not begin with ".". */
async function onDisk(dir: string): Promise<{ names: string[]; entries: number; bytes: number }> {
  const names: string[] = [];
  let bytes = 0;
  for (const name of await readdir(dir)) {
    if (name.startsWith(".")) continue;
    const info = await stat(join(dir, name)).catch(() => undefined);
    if (!info?.isFile()) continue;
    names.push(name);
    bytes += info.size;
  }
  return { names, entries: names.length, bytes };
}

describe("size bounds with concurrent writers in several processes", () => {
  const tempDir = useTempDir();
  const spawnWorker = useWorkers();
  const figures: string[] = [];

  afterAll(() => {
    for (const line of figures) console.log(line);
  });

  const rounds = repetitions(2, 2);
  const putsPerWriter = repetitions(120, 250);
  for (let round = 1; round <= rounds; round++) {
    const settle = round % 2 === 1 ? "put" : "prune";
    it(`hold per process, and after one more ${settle} for the whole directory (round ${round}/${rounds})`, async () => {
      const cacheDir = join(tempDir(), "cache");
      const bounds = { maxEntries, maxBytes };
      const children = Array.from({ length: writers }, (_, index) =>
        spawnWorker({
          mode: "filler",
          dir: cacheDir,
          prefix: `w${index}`,
          count: putsPerWriter,
          minSize,
          maxSize,
          barrier: true,
          manager: bounds,
        }),
      );
      await Promise.all(children.map((child) => child.next("ready")));
      for (const child of children) child.go();
      const reports = await Promise.all(
        children.map(async (child) => {
          const done = await child.next("done", 60_000);
          expect(await child.finished()).toEqual({ code: 0, signal: null });
          expect(child.stderr).toBe("");
          return done;
        }),
      );

      let evictions = 0;
      let peakEntries = 0;
      let peakBytes = 0;
      for (const done of reports) {
        const seen = done.figures as FillerFigures;
        // As far as a process's own writes go, the bounds hold when each of its puts resolves.
        expect(done.violations, `puts after which worker ${done.pid} broke a bound`).toEqual([]);
        expect(seen.maxOwnEntries).toBeLessThanOrEqual(maxEntries);
        expect(seen.maxOwnBytes).toBeLessThanOrEqual(maxBytes);
        evictions += done.evictions as number;
        peakEntries = Math.max(peakEntries, seen.maxEntries);
        peakBytes = Math.max(peakBytes, seen.maxBytes);
      }
      expect(evictions, "the bounds made the writers evict").toBeGreaterThan(0);

      const before = await onDisk(cacheDir);
      const cache = new CacheManager({ dir: cacheDir, ...bounds });
      if (settle === "put") {
        const data = makePayload(`final-${round}`, 2048);
        await cache.put("final", data, { metadata: { sha: sha256(data) } });
      } else {
        const report = await cache.prune();
        expect(report.remainingEntries).toBeLessThanOrEqual(maxEntries);
        expect(report.remainingBytes).toBeLessThanOrEqual(maxBytes);
      }
      const after = await onDisk(cacheDir);
      expect(after.entries, "entries on disk after the settling write").toBeLessThanOrEqual(
        maxEntries,
      );
      expect(after.bytes, "bytes on disk after the settling write").toBeLessThanOrEqual(maxBytes);
      if (settle === "put" && (before.entries + 1 > maxEntries || before.bytes + 2048 > maxBytes)) {
        // A write that takes the cache past a bound evicts down to 90 % of each bound.
        expect(after.entries).toBeLessThanOrEqual(Math.floor(maxEntries * 0.9));
        expect(after.bytes).toBeLessThanOrEqual(Math.floor(maxBytes * 0.9));
      }

      // stats() of a fresh manager agrees with the disk, entry for entry and byte for byte.
      const fresh = new CacheManager({ dir: cacheDir, verify: "full" });
      const stats = await fresh.stats();
      expect({ entries: stats.entries, bytes: stats.bytes }).toEqual({
        entries: after.entries,
        bytes: after.bytes,
      });

      // Nothing left damaged: every entry reads back whole, with its record's SHA-256.
      for (const name of after.names) {
        const info = await fresh.info(name);
        expect(info, `${name} has a valid record`).toBeDefined();
        const data = await fresh.get(name);
        expect(data, `${name} reads back`).toBeDefined();
        const bytes = data ?? Buffer.alloc(0);
        expect(verifyPayload(bytes), `${name} is whole`).toBe(true);
        expect(sha256(bytes)).toBe(info?.sha256);
        expect(info?.metadata.sha).toBe(info?.sha256);
        expect(sha256(await readFile(join(cacheDir, name)))).toBe(info?.sha256);
      }
      expect((await fresh.stats()).corruptions).toBe(0);

      // And no leftovers: every record has its entry, and no staging file remains.
      const internal = join(cacheDir, ".clarity-cache");
      const records = await readdir(join(internal, "records"));
      expect(records.filter((name) => !after.names.includes(name))).toEqual([]);
      expect(await readdir(join(internal, "tmp"))).toEqual([]);

      figures.push(
        `bounds round ${round} (${writers} writers × ${putsPerWriter} puts, maxEntries ${maxEntries}, ` +
          `maxBytes ${maxBytes}): ${evictions} evictions by the writers; peak seen by a writer ` +
          `${peakEntries} entries / ${peakBytes} bytes; after all ${before.entries} / ${before.bytes}; ` +
          `after one more ${settle} ${after.entries} / ${after.bytes}`,
      );
    }, 90_000);
  }
});
