// prune racing live writers and live lock holders: while children rewrite entries in a loop, read
// them, and hold generation locks with slow generators, the parent prunes again and again with
// bounds and maxAgeMs. Nothing live is removed: a live holder's lock survives every prune (no
// second generation starts while it generates), the slow generation publishes its entry whole, no
// version written after a prune started removing is removed by that prune (compare-and-delete),
// readers never get a partial entry; a dead holder's lock is removed.
//
// Versions: every put writes a size of its own, so an evict event (key, size) names the version a
// prune removed; each writer reads its key right after each put.

import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CacheManager } from "../../../src/index.js";
import { useTempDir } from "../../helpers/temp-dir.js";
import {
  type CallOutcome,
  repetitions,
  sha256,
  sleep,
  useWorkers,
  type Worker,
  type WorkerEvent,
} from "./workers.js";

const staleLockMs = 2_000;
const pruneOptions = { maxEntries: 16, maxBytes: 40_000, maxAgeMs: 1_500 };
const keysPerWriter = 8;
const putters = 3;
const slowSize = 8 * 1024;

interface EvictMessage {
  key: string;
  size: number;
  reason: string;
}

interface PruneRun {
  startedAt: number;
  endedAt: number;
  /** When this prune's first eviction was published: its scan was over by then. */
  firstEvictAt: number | undefined;
  evicts: (EvictMessage & { at: number })[];
}

interface CheckerTally {
  gets: number;
  hits: number;
  bad: number;
}

describe("prune racing live writers and live lock holders", () => {
  const tempDir = useTempDir();
  const spawnWorker = useWorkers();
  const figures: string[] = [];
  let current: PruneRun | undefined;
  let corruptDuringPrunes = 0;
  const onEvict = (message: unknown) => {
    if (current === undefined) return;
    const at = Date.now();
    current.firstEvictAt ??= at;
    current.evicts.push({ ...(message as EvictMessage), at });
  };
  const onCorrupt = () => {
    if (current !== undefined) corruptDuringPrunes++;
  };
  subscribe("clarity-cache:evict", onEvict);
  subscribe("clarity-cache:corrupt", onCorrupt);

  afterAll(() => {
    unsubscribe("clarity-cache:evict", onEvict);
    unsubscribe("clarity-cache:corrupt", onCorrupt);
    for (const line of figures) console.log(line);
  });

  const durationMs = repetitions(7_000, 20_000);
  it(
    "removes nothing live: live locks, slow generations, versions written after its scan",
    async () => {
      const cacheDir = join(tempDir(), "cache");
      const counterFile = join(tempDir(), "generations.log");
      const lockPath = (key: string) => join(cacheDir, ".clarity-cache", "locks", `${key}.lock`);
      // Each writer has keys of its own. Readers read the first writers' keys; nothing but the
      // prunes (and the writer's own read after each put) touches the last writer's keys, so that
      // whatever happens to them is the prunes' doing.
      const writerKeys = Array.from({ length: putters }, (_, writer) =>
        Array.from({ length: keysPerWriter }, (_, index) => `pool-${writer}-${index}`),
      );
      const readKeys = writerKeys.slice(0, -1).flat();
      const pruneOnlyKeys = new Set(writerKeys.at(-1));
      const common = { dir: cacheDir, staleLockMs };
      const cache = new CacheManager({ dir: cacheDir, staleLockMs });

      // A holder killed mid-generation: its lock is dead, and prune may remove it.
      const dead = spawnWorker({
        ...common,
        mode: "getOrCreate",
        key: "dead",
        generate: { delayMs: 60_000, size: slowSize },
      });
      await dead.next("generating");
      dead.kill();
      await dead.exited;
      expect(existsSync(lockPath("dead"))).toBe(true);

      // Writers: every version has a size of its own (stride = number of writers), so that an
      // evict event (key, size) names the version it removed.
      const writers = Array.from({ length: putters }, (_, index) =>
        spawnWorker({
          ...common,
          mode: "putter",
          keys: writerKeys[index],
          minSize: 200,
          sizeStride: putters,
          sizeOffset: index,
          checkAfterPut: true,
        }),
      );
      const readers = [
        spawnWorker({ ...common, mode: "checker", keys: readKeys, manager: { verify: "full" } }),
        spawnWorker({ ...common, mode: "checker", keys: readKeys }),
      ];
      await Promise.all([...writers, ...readers].map((worker) => worker.next("ready")));

      const startedAt = Date.now();
      let running = true;

      // Slow generations, one after another, each with a contender waiting on the same key.
      const holders: { key: string; holder: Worker; contender: Worker }[] = [];
      const runHolders = async () => {
        for (let index = 1; running; index++) {
          const key = `slow-${index}`;
          const spec = { ...common, mode: "getOrCreate", key, lockTimeoutMs: 30_000 };
          const holder = spawnWorker({
            ...spec,
            generate: { counterFile, delayMs: 2_500, size: slowSize },
          });
          await holder.next("generating");
          const contender = spawnWorker({ ...spec, generate: { counterFile, size: slowSize } });
          holders.push({ key, holder, contender });
          await Promise.all([holder.outcomes(30_000), contender.outcomes(30_000)]);
        }
      };

      // The holder of `key` is generating (so holds the lock) from its "generating" report to its
      // "generated" report.
      const liveHolders = () =>
        holders.filter(
          ({ holder }) =>
            holder.all("generating").length > 0 && holder.all("generated").length === 0,
        );

      const runs: PruneRun[] = [];
      let pruneWhileHeld = 0;
      let removedLocks = 0;
      let removedEntries = 0;
      const pruneOnce = async () => {
        const heldBefore = liveHolders();
        const run: PruneRun = {
          startedAt: Date.now(),
          endedAt: 0,
          firstEvictAt: undefined,
          evicts: [],
        };
        current = run;
        try {
          const report = await cache.prune(pruneOptions);
          removedLocks += report.removedLocks;
          removedEntries += report.removedEntries;
        } finally {
          current = undefined;
          run.endedAt = Date.now();
          runs.push(run);
        }
        // A holder that was generating before the prune and still is after it: its lock is there.
        const heldAfter = new Set(liveHolders());
        for (const { key, holder } of heldBefore) {
          if (![...heldAfter].some((held) => held.holder === holder)) continue;
          pruneWhileHeld++;
          expect(existsSync(lockPath(key)), `the live lock of ${key} survived a prune`).toBe(true);
        }
      };

      const runPrunes = async () => {
        while (Date.now() - startedAt < durationMs) {
          await pruneOnce();
          await sleep(Math.random() * 30);
        }
        running = false;
      };

      await Promise.all([runHolders(), runPrunes()]);
      for (const worker of [...writers, ...readers]) worker.stop();
      const [writerReports, readerReports] = await Promise.all([
        Promise.all(writers.map((worker) => worker.next("done"))),
        Promise.all(readers.map((worker) => worker.next("done"))),
      ]);
      expect(writerReports).toHaveLength(putters);
      for (const worker of [...writers, ...readers]) {
        expect((await worker.finished()).code).toBe(0);
        expect(worker.stderr).toBe("");
      }
      // The dead holder's lock goes once it is older than the sweep's grace (2 × staleLockMs).
      const deadline = Date.now() + 15_000;
      while (existsSync(lockPath("dead")) && Date.now() < deadline) {
        await sleep(250);
        await pruneOnce();
      }
      expect(existsSync(lockPath("dead")), "the dead holder's lock was removed").toBe(false);
      expect(removedLocks).toBeGreaterThanOrEqual(1);

      // Readers never got a partial or mismatched entry.
      let reads = 0;
      let hits = 0;
      for (const done of readerReports) {
        const tally = done.tally as CheckerTally;
        expect(tally.bad, "bad reads in a reader").toBe(0);
        reads += tally.gets;
        hits += tally.hits;
      }

      // Live holders: exactly one generation per slow key, the contender started none while
      // the holder generated, and both got the holder's whole bytes.
      const completed = holders.filter(({ holder }) => holder.all("done").length > 0);
      expect(completed.length).toBeGreaterThanOrEqual(1);
      const contenderSources: string[] = [];
      for (const { key, holder, contender } of completed) {
        const [held] = holder.all("done").flatMap((done) => done.outcomes as CallOutcome[]);
        const [waited] = (await contender.outcomes()).flat();
        expect(held?.source, `${key}: the holder generated`).toBe("generated");
        expect(held?.valid, `${key}: whole`).toBe(true);
        expect(waited?.valid, `${key}: the contender got whole bytes`).toBe(true);
        const heldUntil = holder.all("result")[0]?.t ?? Number.NaN;
        for (const started of contender.all("generating")) {
          expect(started.t, `${key}: no second generation while the holder held the lock`).toBe(
            Math.max(started.t, heldUntil),
          );
        }
        if (waited?.source === "waited") expect(waited.sha256).toBe(held?.sha256);
        contenderSources.push(waited?.source ?? "error");
      }

      // Compare-and-delete: a prune removes only the versions it scanned. An evict event names
      // the version removed (by its size); a version that a read right after its put could not
      // find must be one a prune evicted, and each key's last version is still on disk, whole,
      // unless a prune evicted that very version. Asserted for the keys only prunes touch;
      // counted for the others (which readers also read, and remove when they look damaged).
      const versions = new Map<number, WorkerEvent>();
      const lastVersion = new Map<string, WorkerEvent>();
      for (const writer of writers) {
        for (const put of writer.all("put")) {
          versions.set(put.size as number, put);
          lastVersion.set(put.key as string, put);
        }
      }
      let poolEvictions = 0;
      const evictedSizes = new Set<number>();
      for (const run of runs) {
        for (const evict of run.evicts) {
          if (!evict.key.startsWith("pool-")) continue;
          poolEvictions++;
          evictedSizes.add(evict.size);
          expect(versions.get(evict.size)?.key, "an evicted version was written").toBe(evict.key);
        }
      }
      const lost = writers.flatMap((writer) => writer.all("lost"));
      const lostUnexplained = lost.filter((event) => !evictedSizes.has(event.size as number));
      const vanished: string[] = [];
      for (const [key, version] of lastVersion) {
        if (evictedSizes.has(version.size as number)) continue;
        const data = await readFile(cache.pathFor(key)).catch(() => undefined);
        if (data === undefined || sha256(data) !== version.sha) vanished.push(key);
      }
      const isPruneOnly = (key: unknown) => pruneOnlyKeys.has(key as string);
      const pruneOnlyLost = lostUnexplained.filter((event) => isPruneOnly(event.key));
      const pruneOnlyVanished = vanished.filter(isPruneOnly);

      figures.push(
        `prune race: ${runs.length} prunes in ${Date.now() - startedAt} ms (${pruneWhileHeld} while ` +
          `a live lock was held, all survived), ${removedEntries} entries removed ` +
          `(${poolEvictions} evictions of writers' versions), ${removedLocks} dead locks removed; ` +
          `${versions.size} versions written; ${completed.length} slow generations (contenders: ` +
          `${contenderSources.join(",")}); readers ${reads} gets, ${hits} hits, 0 bad; corrupt ` +
          `events during prunes ${corruptDuringPrunes}; puts missing right after resolving ` +
          `${lost.length} (${lostUnexplained.length} not evicted by a prune, ${pruneOnlyLost.length} ` +
          `of keys only prunes touch); last versions gone though not evicted ${vanished.length} ` +
          `(${pruneOnlyVanished.length} of keys only prunes touch)`,
      );
      expect(pruneOnlyLost, "versions a prune removed though it never evicted them").toEqual([]);
      expect(pruneOnlyVanished, "last versions gone though no prune evicted them").toEqual([]);
      expect(versions.size).toBeGreaterThan(0);
      expect(pruneWhileHeld, "some prunes ran while a live lock was held").toBeGreaterThan(0);
    },
    durationMs + 60_000,
  );
});
