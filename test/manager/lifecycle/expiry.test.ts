import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { entryKeys, newCache, observe, readRecord } from "./helpers.js";

// Lifetimes of a few milliseconds, then a sleep well past them: no tight wall-clock bound.
const short = 5;
const pastShort = () => sleep(30);

describe("expiry", () => {
  it("the manager's ttlMs applies to put: expired, the entry is invisible to get, has, info, entries and stats", async () => {
    const { cache, layout } = await newCache({ ttlMs: short });
    await cache.put("short", "x");
    const record = await readRecord(layout, "short");
    expect(record.expiresAt).toBe(record.createdAt + short);
    await pastShort();
    const misses = observe("miss");
    expect(await cache.get("short")).toBeUndefined();
    expect(misses).toMatchObject([{ key: "short", reason: "expired" }]);
    expect(await cache.has("short")).toBe(false);
    expect(await cache.info("short")).toBeUndefined();
    expect(await entryKeys(cache)).toEqual([]);
    expect(await cache.stats()).toMatchObject({ entries: 0, bytes: 0, misses: 1, hits: 0 });
    // Invisible, not removed: the file stays until prune or a rewrite.
    expect(existsSync(cache.pathFor("short"))).toBe(true);
  });

  it("a non-expired entry is visible everywhere", async () => {
    const { cache } = await newCache({ ttlMs: 60_000 });
    await cache.put("long", "abc");
    await pastShort();
    expect(await cache.get("long")).toEqual(Buffer.from("abc"));
    expect(await cache.has("long")).toBe(true);
    expect((await cache.info("long"))?.expiresAt).toBeInstanceOf(Date);
    expect(await entryKeys(cache)).toEqual(["long"]);
    expect(await cache.stats()).toMatchObject({ entries: 1, bytes: 3 });
  });

  it("a per-entry ttlMs on put overrides the manager's, both ways", async () => {
    const { cache } = await newCache({ ttlMs: short });
    await cache.put("kept", "x", { ttlMs: 60_000 });
    await cache.put("default", "x");
    const { cache: untimed } = await newCache();
    await untimed.put("brief", "x", { ttlMs: short });
    await untimed.put("forever", "x");
    await pastShort();
    expect(await cache.get("kept")).toEqual(Buffer.from("x"));
    expect(await cache.get("default")).toBeUndefined();
    expect(await untimed.get("brief")).toBeUndefined();
    expect(await untimed.get("forever")).toEqual(Buffer.from("x"));
    expect((await untimed.info("forever"))?.expiresAt).toBeUndefined();
  });

  it("getOrCreate applies the manager's ttlMs and a per-entry override", async () => {
    const { cache } = await newCache({ ttlMs: short });
    await cache.getOrCreate("default", () => "d");
    await cache.getOrCreate("kept", () => "k", { ttlMs: 60_000 });
    await pastShort();
    expect(await cache.has("default")).toBe(false);
    expect(await cache.has("kept")).toBe(true);

    const { cache: untimed } = await newCache();
    await untimed.getOrCreate("brief", () => "b", { ttlMs: short });
    await pastShort();
    expect(await untimed.has("brief")).toBe(false);
  });

  it("getOrCreate regenerates an expired entry (source generated), with a fresh lifetime", async () => {
    const { cache } = await newCache({ ttlMs: short });
    await cache.put("k", "old");
    await pastShort();
    let calls = 0;
    const entry = await cache.getOrCreateEntry("k", () => `new ${++calls}`, { ttlMs: 60_000 });
    expect(entry.source).toBe("generated");
    expect(entry.data.toString()).toBe("new 1");
    expect(await cache.get("k")).toEqual(Buffer.from("new 1"));
    const again = await cache.getOrCreateEntry("k", () => `new ${++calls}`);
    expect(again.source).toBe("hit");
    expect(calls).toBe(1);
  });

  it("prune removes expired entries and reports them; unexpired ones stay", async () => {
    const { cache, layout } = await newCache();
    await cache.put("gone", "12345", { ttlMs: short });
    await cache.put("stays", "12");
    await pastShort();
    const evicted = observe("evict");
    const report = await cache.prune();
    expect(report).toMatchObject({
      removedEntries: 1,
      freedBytes: 5,
      remainingEntries: 1,
      remainingBytes: 2,
    });
    expect(existsSync(cache.pathFor("gone"))).toBe(false);
    expect(existsSync(layout.recordPath("gone"))).toBe(false);
    expect(existsSync(cache.pathFor("stays"))).toBe(true);
    expect(evicted).toMatchObject([{ key: "gone", reason: "expired", size: 5 }]);
  });
});
