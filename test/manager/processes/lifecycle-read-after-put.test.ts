// A put that resolved stays: nothing but an eviction, a delete or a newer write may take it away.
// Readers in other processes that look at an entry while it is being rewritten (between the
// publish of its new record and of its new data) must not remove the write in progress; and two
// processes putting one key at the same time leave one of their entries, not none.

import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CacheManager } from "../../../src/index.js";
import { useTempDir } from "../../helpers/temp-dir.js";
import { repetitions, sha256, useWorkers, type WorkerEvent } from "./workers.js";
import { readFile } from "node:fs/promises";

const KiB = 1024;

interface CheckerTally {
  gets: number;
  hits: number;
  bad: number;
}

describe("a put that resolved", () => {
  const tempDir = useTempDir();
  const spawnWorker = useWorkers();
  const figures: string[] = [];

  afterAll(() => {
    for (const line of figures) console.log(line);
  });

  const puts = repetitions(100, 300);

  it("is still there right after, while readers in other processes read its key", async () => {
    const cacheDir = join(tempDir(), "cache");
    const writerKeys = [
      ["read-0", "read-1"],
      ["read-2", "read-3"],
    ];
    // One writer per key: only readers (which remove what they find damaged) touch its keys.
    const writers = writerKeys.map((keys) =>
      spawnWorker({
        mode: "putter",
        dir: cacheDir,
        keys,
        minSize: 1 * KiB,
        maxSize: 64 * KiB,
        count: puts,
        checkAfterPut: true,
        barrier: true,
      }),
    );
    const readers = [
      spawnWorker({
        mode: "checker",
        dir: cacheDir,
        keys: writerKeys.flat(),
        manager: { verify: "full" },
      }),
      spawnWorker({ mode: "checker", dir: cacheDir, keys: writerKeys.flat() }),
    ];
    // The writers start once the readers read.
    await Promise.all([...writers, ...readers].map((worker) => worker.next("ready")));
    for (const writer of writers) writer.go();
    await Promise.all(writers.map((writer) => writer.next("done", 120_000)));
    for (const reader of readers) reader.stop();
    const tallies = await Promise.all(readers.map((reader) => reader.next("done")));
    for (const worker of [...writers, ...readers]) {
      expect((await worker.finished()).code).toBe(0);
      expect(worker.stderr).toBe("");
    }

    const lost = writers.flatMap((writer) => writer.all("lost"));
    const corrupt = tallies.map((done) => JSON.stringify(done.corrupt)).join(" ");
    const reads = tallies.map((done) => (done.tally as CheckerTally).gets).join("+");
    for (const done of tallies) expect((done.tally as CheckerTally).bad).toBe(0);

    // And each key holds its last version.
    const cache = new CacheManager({ dir: cacheDir, verify: "full" });
    const vanished: string[] = [];
    for (const writer of writers) {
      const last = new Map<string, WorkerEvent>();
      for (const put of writer.all("put")) last.set(put.key as string, put);
      for (const [key, put] of last) {
        if ((await cache.info(key))?.sha256 !== put.sha) vanished.push(key);
      }
    }
    figures.push(
      `read after put: ${writers.length} writers × ${puts} puts, readers ${reads} reads; ` +
        `puts gone right after resolving: ${lost.length} ` +
        `(data file ${JSON.stringify(countBy(lost, "data"))}); readers' corrupt events ${corrupt}; ` +
        `keys whose last version is gone: ${vanished.length}`,
    );
    expect(lost, "puts that a reader removed while they were being written").toEqual([]);
    expect(vanished).toEqual([]);
  }, 150_000);

  const pairs = repetitions(150, 500);
  const sameKeyWriters = 4;
  it("of one key, at the same time as other processes' puts, leaves one of them", async () => {
    const cacheDir = join(tempDir(), "cache");
    const keys = Array.from({ length: pairs }, (_, index) => `same-${index}`);
    // Writers put the same keys in the same order, each put of a key starting in the same time
    // slot in every writer, so that the puts of one key overlap.
    const startAt = Date.now() + 1_500;
    const writers = Array.from({ length: sameKeyWriters }, (_, index) =>
      spawnWorker({
        mode: "putter",
        dir: cacheDir,
        keys,
        inOrder: true,
        count: pairs,
        minSize: 1 * KiB,
        sizeStride: sameKeyWriters,
        sizeOffset: index,
        startAt,
        slotMs: 25,
      }),
    );
    await Promise.all(writers.map((writer) => writer.next("done", 120_000)));
    for (const writer of writers) expect((await writer.finished()).code).toBe(0);

    const cache = new CacheManager({ dir: cacheDir, verify: "full" });
    const written = new Map<string, Set<string>>();
    for (const writer of writers) {
      for (const put of writer.all("put")) {
        const shas = written.get(put.key as string) ?? new Set<string>();
        shas.add(put.sha as string);
        written.set(put.key as string, shas);
      }
    }
    const empty: string[] = [];
    let dataLeft = 0;
    for (const key of keys) {
      const info = await cache.info(key);
      const onDisk = await readFile(cache.pathFor(key)).catch(() => undefined);
      const data = await cache.get(key);
      if (info === undefined || data === undefined) {
        // The last data file published and the last record published came from different puts.
        if (onDisk !== undefined && written.get(key)?.has(sha256(onDisk))) dataLeft++;
        empty.push(key);
        continue;
      }
      expect(written.get(key)?.has(info.sha256), `${key} holds a version that was put`).toBe(true);
      expect(sha256(data)).toBe(info.sha256);
      expect(sha256(await readFile(cache.pathFor(key)))).toBe(info.sha256);
    }
    figures.push(
      `same-key puts: ${pairs} keys put by ${sameKeyWriters} processes at once; keys left with no entry: ${empty.length} ` +
        `(of them with one put's whole data on disk, described by the other's record: ${dataLeft})`,
    );
    expect(empty, "keys that resolved puts left with no entry").toEqual([]);
  }, 150_000);
});

function countBy(events: readonly WorkerEvent[], field: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) {
    const value = String(event[field]);
    counts[value] = (counts[value] ?? 0) + 1;
  }
  return counts;
}
