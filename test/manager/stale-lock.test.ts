import { existsSync, utimesSync } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CacheInProgressError } from "../../src/errors/cache-in-progress-error.js";
import { CacheManager } from "../../src/manager/cache-manager.js";
import { Layout } from "../../src/storage/layout.js";
import { makeTempDir } from "../helpers/temp-dir.js";

const staleLockMs = 2_000;

/** Leaves a lock directory for `name` as a holder that died `ageMs` ago would. */
async function deadHolderLock(dir: string, name: string, ageMs: number): Promise<string> {
  const layout = new Layout(dir);
  const path = layout.lockPath(name);
  await mkdir(path, { recursive: true });
  const when = new Date(Date.now() - ageMs);
  utimesSync(path, when, when);
  return path;
}

describe("a lock left by a dead holder (in process, aged with utimes)", () => {
  it("is taken over once older than staleLockMs: the caller generates", async () => {
    const dir = await makeTempDir();
    await deadHolderLock(dir, "key.pdf", staleLockMs + 3_000);
    const cache = new CacheManager({ dir, staleLockMs, lockTimeoutMs: 0 });
    const entry = await cache.getOrCreateEntry("key", () => "regenerated", { extension: ".pdf" });
    expect(entry).toMatchObject({ source: "generated", data: Buffer.from("regenerated") });
    expect(await readdir(new Layout(dir).locksDir)).toEqual([]);
  });

  it("blocks while younger than staleLockMs", async () => {
    const dir = await makeTempDir();
    const lock = await deadHolderLock(dir, "key", staleLockMs - 1_500);
    const cache = new CacheManager({ dir, staleLockMs, lockTimeoutMs: 0 });
    await expect(cache.getOrCreate("key", () => "x")).rejects.toBeInstanceOf(CacheInProgressError);
    expect(existsSync(lock)).toBe(true);
    expect(await cache.has("key")).toBe(false);
  });

  it("is taken over by a waiter once it turns stale, within staleLockMs plus a poll", async () => {
    const dir = await makeTempDir();
    // 1.5 s old: it turns stale about 500 ms from now.
    await deadHolderLock(dir, "key", staleLockMs - 500);
    const cache = new CacheManager({ dir, staleLockMs });
    const startedAt = performance.now();
    const entry = await cache.getOrCreateEntry("key", () => "taken over");
    const waited = performance.now() - startedAt;
    expect(entry.source).toBe("generated");
    expect(waited).toBeGreaterThanOrEqual(400);
    expect(waited).toBeLessThan(5_000);
  });

  it("several managers on the directory racing for it generate once", async () => {
    const dir = await makeTempDir();
    await deadHolderLock(dir, "key", staleLockMs + 3_000);
    let calls = 0;
    const generate = () => {
      calls++;
      return "once";
    };
    const managers = [1, 2, 3].map(() => new CacheManager({ dir, staleLockMs }));
    const entries = await Promise.all(managers.map((m) => m.getOrCreateEntry("key", generate)));
    expect(calls).toBe(1);
    expect(entries.every((e) => e.data.toString() === "once")).toBe(true);
  });
});
