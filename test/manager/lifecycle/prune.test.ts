import { existsSync } from "node:fs";
import { mkdir, readdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { CacheManager } from "../../../src/manager/cache-manager.js";
import { FileStorage } from "../../../src/storage/file-storage.js";
import type { Layout } from "../../../src/storage/layout.js";
import { makeTempDir } from "../../helpers/temp-dir.js";
import { entryKeys, newCache, observe, reattachRecord, setLastUse } from "./helpers.js";

const hour = 3_600_000;

async function age(path: string, msAgo: number): Promise<void> {
  const at = new Date(Date.now() - msAgo);
  await utimes(path, at, at);
}

/** Ten one-byte-per-index entries k0..k9 (k<i> holds i+1 bytes), k0 least recently used. */
async function tenEntries(cache: CacheManager, layout: Layout): Promise<void> {
  for (let i = 0; i < 10; i++) await cache.put(`k${i}`, "z".repeat(i + 1));
  for (let i = 0; i < 10; i++) await setLastUse(layout, `k${i}`, (10 - i) * 60_000);
}

describe("prune", () => {
  it("with nothing to do reports zeros, also before the directory exists", async () => {
    const dir = join(await makeTempDir(), "not-yet");
    const cache = new CacheManager({ dir });
    expect(await cache.prune()).toEqual({
      removedEntries: 0,
      freedBytes: 0,
      removedTempFiles: 0,
      removedLocks: 0,
      remainingEntries: 0,
      remainingBytes: 0,
    });
    expect(existsSync(dir)).toBe(false);
  });

  it("evicts least recently used entries down to the given bound itself, not 90 %", async () => {
    const { cache, layout } = await newCache();
    await tenEntries(cache, layout);
    const evicted = observe("evict");
    const report = await cache.prune({ maxEntries: 5 });
    expect(report).toMatchObject({
      removedEntries: 5,
      freedBytes: 1 + 2 + 3 + 4 + 5,
      remainingEntries: 5,
      remainingBytes: 6 + 7 + 8 + 9 + 10,
    });
    expect(await entryKeys(cache)).toEqual(["k5", "k6", "k7", "k8", "k9"]);
    expect(evicted.map((message) => message.key)).toEqual(["k0", "k1", "k2", "k3", "k4"]);
    expect(evicted[0]).toMatchObject({ reason: "prune", size: 1 });
    expect((await cache.stats()).evictions).toBe(5);
  });

  it("follows last use: a recently used old entry stays", async () => {
    const { cache, layout } = await newCache();
    await tenEntries(cache, layout);
    await cache.get("k0");
    await cache.prune({ maxBytes: 10 + 9 + 1 });
    expect(await entryKeys(cache)).toEqual(["k0", "k8", "k9"]);
  });

  it("uses the manager's bounds when none are given, down to the bound itself", async () => {
    const { cache, dir, layout } = await newCache();
    await tenEntries(cache, layout);
    const bounded = new CacheManager({ dir, maxBytes: 30 });
    const report = await bounded.prune();
    // Least recently used first until at most 30 bytes: k7+k8+k9 = 27, adding k6 would be 34.
    expect(report.remainingBytes).toBe(27);
    expect(await entryKeys(bounded)).toEqual(["k7", "k8", "k9"]);
  });

  it("maxAgeMs removes entries created longer ago, however recently used", async () => {
    const { cache, layout } = await newCache();
    await cache.put("old", "12345");
    await cache.put("young", "12");
    await reattachRecord(layout, "old", { createdAt: Date.now() - 2 * hour });
    expect(await cache.get("old")).toBeDefined(); // a recent use does not save it
    const evicted = observe("evict");
    const report = await cache.prune({ maxAgeMs: hour });
    expect(report).toMatchObject({ removedEntries: 1, freedBytes: 5, remainingEntries: 1 });
    expect(await entryKeys(cache)).toEqual(["young"]);
    expect(evicted).toMatchObject([{ key: "old", reason: "maxAge" }]);
  });

  it("removes expired and damaged entries, counting them in the report", async () => {
    const { cache, layout } = await newCache();
    await cache.put("expired", "123", { ttlMs: 1 });
    await cache.put("damaged", "1234567");
    await cache.put("fine", "12");
    await writeFile(layout.recordPath("damaged"), "garbage");
    await sleep(20);
    const corrupt = observe("corrupt");
    const report = await cache.prune();
    expect(report).toMatchObject({
      removedEntries: 2,
      freedBytes: 10,
      remainingEntries: 1,
      remainingBytes: 2,
    });
    expect(corrupt).toMatchObject([{ key: "damaged" }]);
    expect((await readdir(layout.dir)).filter((name) => !name.startsWith("."))).toEqual(["fine"]);
    expect(existsSync(layout.recordPath("expired"))).toBe(false);
    expect(existsSync(layout.recordPath("damaged"))).toBe(false);
    expect(await cache.stats()).toMatchObject({ corruptions: 1, evictions: 1 });
  });

  it("dryRun reports the same figures as the real run and removes nothing", async () => {
    const { cache, layout } = await newCache({ staleLockMs: 2_000 });
    await tenEntries(cache, layout);
    await cache.put("expired", "123", { ttlMs: 1 });
    await cache.put("damaged", "1234567");
    await writeFile(layout.recordPath("damaged"), "garbage");
    await cache.put("old", "1");
    await reattachRecord(layout, "old", { createdAt: Date.now() - 2 * hour });
    const staged = join(layout.stagingDir, "k1.leftover");
    await writeFile(staged, "partial");
    await age(staged, 2 * hour);
    const deadLock = layout.lockPath("dead");
    await mkdir(deadLock);
    await age(deadLock, 60_000);
    await sleep(20);

    const listing = async () => [
      ...(await readdir(layout.dir)),
      ...(await readdir(layout.recordsDir)),
      ...(await readdir(layout.stagingDir)),
      ...(await readdir(layout.locksDir)),
    ];
    const before = (await listing()).sort();
    const evicted = observe("evict");
    const options = { maxEntries: 4, maxAgeMs: hour };
    const dry = await cache.prune({ ...options, dryRun: true });
    expect((await listing()).sort()).toEqual(before);
    expect(evicted).toEqual([]);
    expect(await cache.stats()).toMatchObject({ evictions: 0, corruptions: 0 });

    const real = await cache.prune(options);
    expect(dry).toEqual(real);
    expect(real).toEqual({
      removedEntries: 1 + 1 + 1 + 6,
      freedBytes: 3 + 7 + 1 + (1 + 2 + 3 + 4 + 5 + 6),
      removedTempFiles: 1,
      removedLocks: 1,
      remainingEntries: 4,
      remainingBytes: 7 + 8 + 9 + 10,
    });
    expect(await entryKeys(cache)).toEqual(["k6", "k7", "k8", "k9"]);
  });

  it("the report's remaining figures equal stats() afterwards", async () => {
    const { cache, layout } = await newCache();
    await tenEntries(cache, layout);
    const report = await cache.prune({ maxBytes: 40 });
    const stats = await cache.stats();
    expect(report.remainingEntries).toBe(stats.entries);
    expect(report.remainingBytes).toBe(stats.bytes);
    expect(stats.bytes).toBeLessThanOrEqual(40);
  });

  it("removes staging files and orphan records older than the one-hour grace, keeps fresh ones", async () => {
    const { cache, layout } = await newCache();
    await cache.put("live", "x"); // prepares the directory
    const oldStage = join(layout.stagingDir, "a.11111111-1111-1111-1111-111111111111");
    const oldAtomicTemp = join(layout.stagingDir, "b.record.2222.1234567890");
    const freshStage = join(layout.stagingDir, "c.33333333-3333-3333-3333-333333333333");
    const oldOrphan = layout.recordPath("orphan");
    const freshOrphan = layout.recordPath("writing");
    for (const path of [oldStage, oldAtomicTemp, freshStage, oldOrphan, freshOrphan]) {
      await writeFile(path, "leftover");
    }
    await mkdir(join(layout.stagingDir, "a-directory"));
    for (const path of [oldStage, oldAtomicTemp, oldOrphan]) await age(path, hour + 60_000);
    await age(freshStage, hour - 60_000);
    // The record of a live entry is never a leftover, however old its last use.
    await setLastUse(layout, "live", 10 * hour);

    const report = await cache.prune();
    expect(report.removedTempFiles).toBe(3);
    expect(report.remainingEntries).toBe(1);
    expect(existsSync(oldStage)).toBe(false);
    expect(existsSync(oldAtomicTemp)).toBe(false);
    expect(existsSync(oldOrphan)).toBe(false);
    expect(existsSync(freshStage)).toBe(true);
    expect(existsSync(freshOrphan)).toBe(true);
    expect(existsSync(join(layout.stagingDir, "a-directory"))).toBe(true);
    expect(await cache.get("live")).toEqual(Buffer.from("x"));
  });

  it("removes a dead holder's lock older than 2 × staleLockMs; keeps a live holder's and a younger one", async () => {
    const { cache, dir, layout } = await newCache({ staleLockMs: 2_000 });
    await cache.put("x", "x");
    const holder = new FileStorage({ dir, staleLockMs: 2_000 });
    const live = await holder.tryLock("live");
    expect(live).toBeDefined();
    const dead = layout.lockPath("dead");
    const young = layout.lockPath("young");
    const deadGuard = `${layout.lockPath("other")}.reclaim`;
    await mkdir(dead);
    await mkdir(young);
    await mkdir(deadGuard);
    await age(dead, 4_000 + 1_000);
    await age(deadGuard, 4_000 + 1_000);
    // Stale for a waiter (older than staleLockMs), but within prune's grace of 2 × staleLockMs.
    await age(young, 3_000);

    const report = await cache.prune();
    expect(report.removedLocks).toBe(2);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(deadGuard)).toBe(false);
    expect(existsSync(young)).toBe(true);
    expect(existsSync(layout.lockPath("live"))).toBe(true);
    expect(live?.lost).toBe(false);
    await live?.release();
    expect(existsSync(layout.lockPath("live"))).toBe(false);
  });

  it.each<[string, Record<string, unknown>]>([
    ["maxBytes", { maxBytes: 0 }],
    ["maxBytes", { maxBytes: 1.5 }],
    ["maxEntries", { maxEntries: -1 }],
    ["maxEntries", { maxEntries: Number.NaN }],
    ["maxAgeMs", { maxAgeMs: 0 }],
    ["maxAgeMs", { maxAgeMs: Infinity }],
    ["maxAgeMs", { maxAgeMs: "1" }],
    ["dryRun", { dryRun: "yes" }],
    ["dryRun", { dryRun: 1 }],
    ["maxSize", { maxSize: 10 }],
  ])(
    "rejects a bad %s (%o) with CACHE_INVALID_OPTION and removes nothing",
    async (name, options) => {
      const { cache, layout } = await newCache();
      await cache.put("expired", "x", { ttlMs: 1 });
      await sleep(5);
      const error: unknown = await cache.prune(options as never).catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: "CACHE_INVALID_OPTION" });
      expect((error as Error).message).toContain(`"${name}"`);
      expect(existsSync(layout.entryPath("expired"))).toBe(true);
    },
  );

  it("rejects options that are not an object", async () => {
    const { cache } = await newCache();
    await expect(cache.prune(5 as never)).rejects.toMatchObject({ code: "CACHE_INVALID_OPTION" });
    await expect(cache.prune(null as never)).rejects.toMatchObject({
      code: "CACHE_INVALID_OPTION",
    });
  });
});
