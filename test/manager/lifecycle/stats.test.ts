import { writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { CacheInProgressError } from "../../../src/errors/cache-in-progress-error.js";
import { CacheManager } from "../../../src/manager/cache-manager.js";
import type { CacheStats } from "../../../src/manager/cache-stats.js";
import { FileStorage } from "../../../src/storage/file-storage.js";
import { newCache } from "./helpers.js";

const zero: CacheStats = {
  entries: 0,
  bytes: 0,
  hits: 0,
  misses: 0,
  generated: 0,
  waited: 0,
  conflicts: 0,
  evictions: 0,
  corruptions: 0,
};

/** Runs `action` and returns how each figure of stats() moved. */
async function delta(cache: CacheManager, action: () => Promise<unknown>): Promise<CacheStats> {
  const before = await cache.stats();
  await action();
  const after = await cache.stats();
  const moved = { ...zero };
  for (const name of Object.keys(zero) as (keyof CacheStats)[]) {
    moved[name] = after[name] - before[name];
  }
  return moved;
}

describe("stats", () => {
  it("starts at zero on an empty directory", async () => {
    const { cache } = await newCache();
    expect(await cache.stats()).toEqual(zero);
  });

  it("entries and bytes are what is on disk, counting another manager's writes; records are not bytes", async () => {
    const { cache, dir } = await newCache();
    await cache.put("mine", "12345", { metadata: { long: "m".repeat(500) } });
    const other = new CacheManager({ dir });
    await other.put("theirs", "123", { extension: ".pdf" });
    expect(await cache.stats()).toEqual({ ...zero, entries: 2, bytes: 8 });
    await other.delete("mine");
    expect(await cache.stats()).toMatchObject({ entries: 1, bytes: 3 });
  });

  it("put moves only entries and bytes", async () => {
    const { cache } = await newCache();
    expect(await delta(cache, () => cache.put("k", "abc"))).toEqual({
      ...zero,
      entries: 1,
      bytes: 3,
    });
  });

  it("hits: a get hit and a getOrCreate hit, nothing else", async () => {
    const { cache } = await newCache();
    await cache.put("k", "abc");
    expect(await delta(cache, () => cache.get("k"))).toEqual({ ...zero, hits: 1 });
    expect(await delta(cache, () => cache.getOrCreate("k", () => "unused"))).toEqual({
      ...zero,
      hits: 1,
    });
    expect(
      await delta(cache, async () => {
        await cache.has("k");
        await cache.info("k");
        for await (const entry of cache.entries()) expect(entry.key).toBe("k");
      }),
    ).toEqual(zero);
  });

  it("misses: a get miss; a getOrCreate miss also counts its generation", async () => {
    const { cache } = await newCache();
    expect(await delta(cache, () => cache.get("absent"))).toEqual({ ...zero, misses: 1 });
    expect(await delta(cache, () => cache.getOrCreate("made", () => "ab"))).toEqual({
      ...zero,
      misses: 1,
      generated: 1,
      entries: 1,
      bytes: 2,
    });
  });

  it("generated does not move when the generator fails", async () => {
    const { cache } = await newCache();
    const moved = await delta(cache, () =>
      cache.getOrCreate("k", () => Promise.reject(new Error("boom"))).catch(() => undefined),
    );
    expect(moved).toEqual({ ...zero, misses: 1 });
  });

  it("waited: callers that joined a generation in this process, also through another manager", async () => {
    const { cache, dir } = await newCache();
    const other = new CacheManager({ dir });
    let release!: () => void;
    let started!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = new Promise<void>((resolve) => (started = resolve));
    const generate = async () => {
      started();
      await gate;
      return "made";
    };
    const first = cache.getOrCreateEntry("k", generate);
    await running;
    const second = cache.getOrCreateEntry("k", generate);
    const third = other.getOrCreateEntry("k", generate);
    release();
    const sources = (await Promise.all([first, second, third])).map((entry) => entry.source);
    expect(sources).toEqual(["generated", "waited", "waited"]);
    expect(await cache.stats()).toMatchObject({ generated: 1, waited: 1, misses: 1, hits: 0 });
    expect(await other.stats()).toMatchObject({ generated: 0, waited: 1 });
  });

  it("waited: an entry another process published while this one waited for its lock", async () => {
    const { cache, dir } = await newCache();
    const holder = new FileStorage({ dir, staleLockMs: 2_000 });
    const lock = await holder.tryLock("k");
    expect(lock).toBeDefined();
    const waiting = cache.getOrCreateEntry("k", () => "not this one");
    // Once its own read has missed, whatever it finds later is another's work.
    while ((await cache.stats()).misses === 0) await sleep(5);
    await new CacheManager({ dir }).put("k", "from the holder");
    await lock?.release();
    const entry = await waiting;
    expect(entry).toMatchObject({ source: "waited", data: Buffer.from("from the holder") });
    expect(await cache.stats()).toMatchObject({ waited: 1, generated: 0, misses: 1 });
  });

  it("conflicts: a caller that gave up waiting with CacheInProgressError", async () => {
    const { cache, dir } = await newCache();
    const holder = new FileStorage({ dir, staleLockMs: 2_000 });
    const lock = await holder.tryLock("k");
    onTestFinished(() => lock?.release());
    const moved = await delta(cache, async () => {
      const error = await cache
        .getOrCreate("k", () => "x", { lockTimeoutMs: 0 })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CacheInProgressError);
    });
    expect(moved).toEqual({ ...zero, misses: 1, conflicts: 1 });
  });

  it("evictions: entries removed by a bound or prune", async () => {
    const { cache } = await newCache({ maxEntries: 2 });
    await cache.put("a", "x");
    await cache.put("b", "x");
    expect((await delta(cache, () => cache.put("c", "x"))).evictions).toBe(2);
    expect((await delta(cache, () => cache.prune({ maxEntries: 1 }))).evictions).toBe(0);
    await cache.put("d", "x");
    expect((await delta(cache, () => cache.prune({ maxEntries: 1 }))).evictions).toBe(1);
  });

  it("corruptions: damaged entries found by a read", async () => {
    const { cache, layout } = await newCache();
    await cache.put("k", "abc");
    await writeFile(layout.recordPath("k"), "garbage");
    expect(await delta(cache, () => cache.has("k"))).toEqual(zero);
    expect(await delta(cache, () => cache.get("k"))).toEqual({
      ...zero,
      misses: 1,
      corruptions: 1,
    });
    expect(await delta(cache, () => cache.get("k"))).toEqual({ ...zero, misses: 1 });
  });

  it("counters belong to one manager", async () => {
    const { cache, dir } = await newCache();
    await cache.put("k", "abc");
    await cache.get("k");
    const other = new CacheManager({ dir });
    expect(await other.stats()).toEqual({ ...zero, entries: 1, bytes: 3 });
  });
});
