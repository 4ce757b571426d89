import { channel, subscribe, unsubscribe } from "node:diagnostics_channel";
import { utimes, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { diagnosticsChannels } from "../../../src/index.js";
import { emit } from "../../../src/manager/diagnostics.js";
import { FileStorage } from "../../../src/storage/file-storage.js";
import { newCache, observe } from "./helpers.js";

describe("diagnostics channels", () => {
  it("are named clarity-cache:<event> and exported as diagnosticsChannels", () => {
    expect(
      Object.fromEntries(Object.entries(diagnosticsChannels).map(([k, c]) => [k, c.name])),
    ).toEqual({
      hit: "clarity-cache:hit",
      miss: "clarity-cache:miss",
      generateStart: "clarity-cache:generate:start",
      generateEnd: "clarity-cache:generate:end",
      wait: "clarity-cache:wait",
      conflict: "clarity-cache:conflict",
      lockLost: "clarity-cache:lock:lost",
      evict: "clarity-cache:evict",
      corrupt: "clarity-cache:corrupt",
    });
    expect(diagnosticsChannels.hit).toBe(channel("clarity-cache:hit"));
  });

  it("hit and miss (with reason), also seen through the name of diagnosticsChannels.hit", async () => {
    const { cache } = await newCache();
    const hits: unknown[] = [];
    const listener = (message: unknown) => hits.push(message);
    subscribe(diagnosticsChannels.hit.name, listener);
    onTestFinished(() => {
      unsubscribe(diagnosticsChannels.hit.name, listener);
    });
    const misses = observe("miss");
    await cache.get("report", { extension: ".pdf" });
    await cache.put("report", "12345", { extension: ".pdf" });
    await cache.get("report", { extension: ".pdf" });
    await cache.put("short", "x", { ttlMs: 1 });
    await sleep(10);
    await cache.get("short");
    expect(hits).toEqual([{ dir: cache.dir, key: "report", extension: ".pdf", size: 5 }]);
    expect(misses).toEqual([
      { dir: cache.dir, key: "report", extension: ".pdf", reason: "absent" },
      { dir: cache.dir, key: "short", extension: "", reason: "expired" },
    ]);
  });

  it("generate:start and generate:end with size and duration", async () => {
    const { cache } = await newCache();
    const starts = observe("generate:start");
    const ends = observe("generate:end");
    await cache.getOrCreate("k", () => "1234", { extension: ".txt" });
    expect(starts).toEqual([{ dir: cache.dir, key: "k", extension: ".txt" }]);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ dir: cache.dir, key: "k", extension: ".txt", size: 4 });
    expect(ends[0]?.durationMs).toBeTypeOf("number");
    expect(ends[0]?.durationMs).toBeGreaterThanOrEqual(0);
    expect(ends[0]).not.toHaveProperty("error");
  });

  it("generate:end carries the error when the generator throws, and an invalid result's error", async () => {
    const { cache } = await newCache();
    const ends = observe("generate:end");
    const boom = new Error("boom");
    await expect(cache.getOrCreate("k", () => Promise.reject(boom))).rejects.toBe(boom);
    await expect(cache.getOrCreate("j", () => 42 as never)).rejects.toMatchObject({
      code: "CACHE_INVALID_RESULT",
    });
    expect(ends).toHaveLength(2);
    expect(ends[0]).toMatchObject({ key: "k", error: boom });
    expect(ends[0]).not.toHaveProperty("size");
    expect(ends[1]?.error).toMatchObject({ code: "CACHE_INVALID_RESULT" });
  });

  it("wait, when a caller joins a generation in progress", async () => {
    const { cache } = await newCache();
    const waits = observe("wait");
    let release!: () => void;
    let started!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const running = new Promise<void>((resolve) => (started = resolve));
    const first = cache.getOrCreate("k", async () => {
      started();
      await gate;
      return "x";
    });
    await running;
    const second = cache.getOrCreate("k", () => "unused");
    release();
    await Promise.all([first, second]);
    expect(waits).toEqual([{ dir: cache.dir, key: "k", extension: "" }]);
  });

  it("conflict, with the time waited", async () => {
    const { cache, dir } = await newCache();
    const conflicts = observe("conflict");
    const lock = await new FileStorage({ dir, staleLockMs: 2_000 }).tryLock("k.pdf");
    onTestFinished(() => lock?.release());
    await expect(
      cache.getOrCreate("k", () => "x", { extension: ".pdf", lockTimeoutMs: 30 }),
    ).rejects.toMatchObject({ code: "CACHE_IN_PROGRESS" });
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ dir: cache.dir, key: "k", extension: ".pdf" });
    expect(conflicts[0]?.waitedMs).toBeGreaterThanOrEqual(0);
  });

  it("evict, with size and reason", async () => {
    const { cache } = await newCache({ maxEntries: 1 });
    const evictions = observe("evict");
    await cache.put("a", "123");
    await cache.put("b", "4");
    expect(evictions.length).toBeGreaterThan(0);
    expect(evictions[0]).toEqual({
      dir: cache.dir,
      key: "a",
      extension: "",
      size: 3,
      reason: "maxEntries",
    });
  });

  it("corrupt, with the reason", async () => {
    const { cache, layout } = await newCache();
    const corrupt = observe("corrupt");
    await cache.put("k", "x", { extension: ".bin" });
    await writeFile(layout.recordPath("k.bin"), "garbage");
    await cache.get("k", { extension: ".bin" });
    expect(corrupt).toEqual([
      {
        dir: cache.dir,
        key: "k",
        extension: ".bin",
        reason: "the entry's record is unreadable",
      },
    ]);
  });

  it("lock:lost, when the manager's lock is taken over during its generation; the entry is still published", async () => {
    const { cache, layout } = await newCache({ staleLockMs: 2_000 });
    const lost = observe("lock:lost");
    const lockPath = layout.lockPath("k");
    const data = await cache.getOrCreate("k", async () => {
      // A successor's takeover rewrites the lock: its mtime is no longer the holder's.
      const later = new Date(Date.now() + 5_000);
      await utimes(lockPath, later, later);
      return "published anyway";
    });
    expect(data.toString()).toBe("published anyway");
    expect(await cache.get("k")).toEqual(Buffer.from("published anyway"));
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ dir: cache.dir, lockPath });
    expect(lost[0]?.error).toBeInstanceOf(Error);
  });

  it("with no subscriber, no message is built, and a whole lifecycle runs", async () => {
    for (const target of Object.values(diagnosticsChannels)) {
      expect(target.hasSubscribers).toBe(false);
    }
    emit(diagnosticsChannels.hit, () => {
      throw new Error("built a message nobody listens to");
    });
    const { cache, layout } = await newCache({ maxEntries: 2, staleLockMs: 2_000 });
    await cache.get("a");
    await cache.getOrCreate("a", () => "1");
    await cache.getOrCreate("a", () => "unused");
    await cache.put("b", "2");
    await cache.put("c", "3");
    await writeFile(layout.recordPath("c"), "garbage");
    await cache.get("c");
    await expect(cache.getOrCreate("d", () => Promise.reject(new Error("x")))).rejects.toThrow();
    expect(await cache.stats()).toMatchObject({ hits: 1, generated: 1, corruptions: 1 });
    expect((await cache.stats()).evictions).toBeGreaterThan(0);
  });

  it("a subscriber makes emit build and publish the message", () => {
    const seen = observe("evict");
    emit(diagnosticsChannels.evict, () => ({ built: true }));
    expect(seen).toEqual([{ built: true }]);
  });
});
