import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CacheManager } from "../../../src/manager/cache-manager.js";
import { allEntries, entryKeys, newCache, observe, recordMtime, setLastUse } from "./helpers.js";

const hour = 3_600_000;

describe("last use", () => {
  it("a get hit and a getOrCreate hit record a use (the record's mtime); a miss does not", async () => {
    const { cache, layout } = await newCache();
    await cache.put("a", "x");
    await cache.put("b", "x");
    await setLastUse(layout, "a", hour);
    await setLastUse(layout, "b", hour);
    const aged = await recordMtime(layout, "a");
    const before = Date.now();

    await cache.get("a");
    await cache.getOrCreate("b", () => "never called");
    await cache.get("c");
    await cache.stats(); // waits for the recorded uses to land
    expect(await recordMtime(layout, "a")).toBeGreaterThanOrEqual(before - 1);
    expect(await recordMtime(layout, "b")).toBeGreaterThanOrEqual(before - 1);
    const infos = await allEntries(cache);
    for (const info of infos) {
      expect(info.lastAccessAt.getTime()).toBeGreaterThan(aged + hour / 2);
      expect(info.lastAccessAt.getTime()).toBeGreaterThan(info.createdAt.getTime() - 1);
    }
  });

  it("has, info and entries are not uses", async () => {
    const { cache, layout } = await newCache();
    await cache.put("a", "x");
    await setLastUse(layout, "a", hour);
    const aged = await recordMtime(layout, "a");
    expect(await cache.has("a")).toBe(true);
    expect((await cache.info("a"))?.lastAccessAt.getTime()).toBe(Math.floor(aged));
    expect(await entryKeys(cache)).toEqual(["a"]);
    await cache.stats();
    expect(await recordMtime(layout, "a")).toBe(aged);
  });

  it("a new entry's last use is its creation", async () => {
    const { cache } = await newCache();
    await cache.put("a", "x");
    const info = await cache.info("a");
    expect(info).toBeDefined();
    if (info === undefined) return;
    const gap = info.lastAccessAt.getTime() - info.createdAt.getTime();
    // The record's mtime comes from the file system's (possibly coarse) clock.
    expect(gap).toBeGreaterThanOrEqual(-20);
    expect(gap).toBeLessThan(60_000);
  });
});

describe("eviction after a write that crosses a bound", () => {
  it("maxEntries: least recently used go first, not the oldest created", async () => {
    const { cache, layout } = await newCache({ maxEntries: 3 });
    for (const key of ["a", "b", "c"]) await cache.put(key, "x");
    await setLastUse(layout, "a", 3 * hour);
    await setLastUse(layout, "b", 2 * hour);
    await setLastUse(layout, "c", 1 * hour);
    expect(await cache.get("a")).toBeDefined(); // a: the oldest, now the most recently used
    const evicted = observe("evict");
    await cache.put("d", "x");
    // 4 > 3: down to 90 % of 3, so 2 remain.
    expect(await entryKeys(cache)).toEqual(["a", "d"]);
    expect(evicted.map((message) => message.key)).toEqual(["b", "c"]);
    expect(evicted[0]).toMatchObject({
      dir: cache.dir,
      extension: "",
      size: 1,
      reason: "maxEntries",
    });
    expect((await cache.stats()).evictions).toBe(2);
    expect(existsSync(layout.recordPath("b"))).toBe(false);
  });

  it("maxBytes: least recently used go first, down to 90 % of the bound", async () => {
    const { cache, layout } = await newCache({ maxBytes: 35 });
    for (const key of ["a", "b", "c"]) await cache.put(key, "0123456789");
    await setLastUse(layout, "a", 3 * hour);
    await setLastUse(layout, "b", 2 * hour);
    await setLastUse(layout, "c", 1 * hour);
    await cache.getOrCreate("a", () => "unused");
    const evicted = observe("evict");
    await cache.put("d", "0123456789");
    // 40 > 35: down to 31 (90 %): b goes, 30 remain.
    expect(await entryKeys(cache)).toEqual(["a", "c", "d"]);
    expect(evicted).toMatchObject([{ key: "b", size: 10, reason: "maxBytes" }]);
    expect(await cache.stats()).toMatchObject({ entries: 3, bytes: 30, evictions: 1 });
  });

  it("getOrCreate that crosses a bound evicts too, and resolves with its data", async () => {
    const { cache, layout } = await newCache({ maxEntries: 2 });
    await cache.put("a", "x");
    await cache.put("b", "x");
    await setLastUse(layout, "a", hour);
    const entry = await cache.getOrCreateEntry("c", () => "made");
    expect(entry).toMatchObject({ source: "generated", data: Buffer.from("made") });
    // 3 > 2: down to floor(1.8) = 1, the least recently used first.
    expect(await entryKeys(cache)).toEqual(["c"]);
  });

  it("keeps every bound after every write, and reaches 90 % after each write that crosses one", async () => {
    const maxEntries = 6;
    const maxBytes = 100;
    const { cache } = await newCache({ maxEntries, maxBytes });
    let state = { entries: 0, bytes: 0 };
    for (let i = 0; i < 24; i++) {
      const size = [7, 30, 1, 12, 45, 3][i % 6] ?? 1;
      const key = `k${i % 9}`;
      const previous = (await cache.info(key))?.size;
      await cache.put(key, "z".repeat(size));
      const after = await cache.stats();
      const crossedEntries = state.entries + (previous === undefined ? 1 : 0) > maxEntries;
      const crossedBytes = state.bytes - (previous ?? 0) + size > maxBytes;
      expect(after.entries).toBeLessThanOrEqual(maxEntries);
      expect(after.bytes).toBeLessThanOrEqual(maxBytes);
      if (crossedEntries || crossedBytes) {
        expect(after.entries).toBeLessThanOrEqual(0.9 * maxEntries);
        expect(after.bytes).toBeLessThanOrEqual(0.9 * maxBytes);
      }
      state = after;
    }
    expect((await cache.stats()).evictions).toBeGreaterThan(0);
  });

  it("both bounds at once: the one crossed brings the cache under 90 % of both", async () => {
    const { cache } = await newCache({ maxEntries: 10, maxBytes: 100 });
    for (let i = 0; i < 5; i++) await cache.put(`k${i}`, "z".repeat(20));
    const evicted = observe("evict");
    await cache.put("big", "z".repeat(20)); // 120 bytes > 100, 6 entries <= 10
    const stats = await cache.stats();
    expect(stats.bytes).toBeLessThanOrEqual(90);
    expect(stats.entries).toBeLessThanOrEqual(9);
    expect(evicted.every((message) => message.reason === "maxBytes")).toBe(true);

    const { cache: many } = await newCache({ maxEntries: 10, maxBytes: 1_000 });
    for (let i = 0; i < 11; i++) await many.put(`k${i}`, "z");
    expect(await many.stats()).toMatchObject({ entries: 9, evictions: 2 });
  });

  it("an entry larger than maxBytes itself: put resolves, and the bound holds (the entry is evicted too)", async () => {
    const { cache } = await newCache({ maxBytes: 100 });
    await cache.put("small", "z".repeat(10));
    const evicted = observe("evict");
    const path = await cache.put("huge", "z".repeat(500));
    expect(path).toBe(cache.pathFor("huge"));
    expect(await cache.stats()).toMatchObject({ entries: 0, bytes: 0, evictions: 2 });
    expect(evicted.map((message) => message.key).sort()).toEqual(["huge", "small"]);
    expect(await cache.get("huge")).toBeUndefined();
    const data = await cache.getOrCreate("huge", () => "z".repeat(500));
    expect(data.byteLength).toBe(500);
  });

  it("counts another manager's entries when it scans", async () => {
    const { cache, dir } = await newCache({ maxEntries: 4 });
    const other = new CacheManager({ dir });
    for (const key of ["o1", "o2", "o3", "o4"]) await other.put(key, "x");
    await cache.put("mine", "x");
    expect((await cache.stats()).entries).toBeLessThanOrEqual(3);
    expect(await cache.has("mine")).toBe(true);
  });
});
