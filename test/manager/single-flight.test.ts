import { readdir, readFile, symlink } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import {
  CacheManager,
  type CacheEntry,
  type GenerateContext,
} from "../../src/manager/cache-manager.js";
import { makeTempDir } from "../helpers/temp-dir.js";

/** A promise and its resolver, to hold a generation open as long as a test needs. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("getOrCreate in one process", () => {
  it("runs generate once for 50 concurrent calls on a cold key; all get the same bytes", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    let calls = 0;
    const generate = async () => {
      calls++;
      await sleep(30);
      return Buffer.from("the report");
    };
    const entries = await Promise.all(
      Array.from({ length: 50 }, () =>
        cache.getOrCreateEntry("report", generate, { extension: ".pdf" }),
      ),
    );
    expect(calls).toBe(1);
    for (const entry of entries) {
      expect(entry.data).toEqual(Buffer.from("the report"));
      expect(entry.key).toBe("report");
      expect(entry.path).toBe(cache.pathFor("report", { extension: ".pdf" }));
    }
    const sources = entries.map((entry) => entry.source);
    expect(sources.filter((source) => source === "generated")).toHaveLength(1);
    expect(sources.filter((source) => source === "waited")).toHaveLength(49);
    expect(await readFile(cache.pathFor("report", { extension: ".pdf" }), "utf8")).toBe(
      "the report",
    );

    const again = await cache.getOrCreateEntry("report", generate, { extension: ".pdf" });
    expect(again.source).toBe("hit");
    expect(again.data).toEqual(Buffer.from("the report"));
    expect(calls).toBe(1);
  });

  it("runs generate once when the calls start in separate ticks while it runs", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    const gate = deferred<string>();
    let calls = 0;
    const generate = () => {
      calls++;
      return gate.promise;
    };
    const first = cache.getOrCreateEntry("key", generate);
    const later: Promise<CacheEntry>[] = [];
    for (let i = 0; i < 5; i++) {
      await sleep(5);
      later.push(cache.getOrCreateEntry("key", generate));
    }
    gate.resolve("done");
    expect((await first).source).toBe("generated");
    for (const entry of await Promise.all(later)) {
      expect(entry.source).toBe("waited");
      expect(entry.data.toString()).toBe("done");
    }
    expect(calls).toBe(1);
  });

  it("gives generate the key and a live signal, and stores a string result as UTF-8", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    const seen: GenerateContext[] = [];
    const data = await cache.getOrCreate("the-key_1", (ctx) => {
      seen.push(ctx);
      return "ünïcode";
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.key).toBe("the-key_1");
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal);
    expect(seen[0]?.signal.aborted).toBe(false);
    expect(data).toEqual(Buffer.from("ünïcode", "utf8"));
    expect(await readFile(cache.pathFor("the-key_1"))).toEqual(Buffer.from("ünïcode", "utf8"));
  });

  it("accepts a synchronous generator and a Uint8Array view result", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const entry = await cache.getOrCreateEntry("view", () => backing.subarray(2, 5));
    expect(entry.source).toBe("generated");
    expect([...entry.data]).toEqual([1, 2, 3]);
    expect([...(await readFile(entry.path))]).toEqual([1, 2, 3]);
  });

  it("returns a hit without calling generate when the entry exists", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    await cache.put("key", "stored", { extension: ".txt" });
    let called = false;
    const entry = await cache.getOrCreateEntry(
      "key",
      () => {
        called = true;
        return "new";
      },
      { extension: ".txt" },
    );
    expect(entry).toEqual({
      key: "key",
      path: cache.pathFor("key", { extension: ".txt" }),
      data: Buffer.from("stored"),
      source: "hit",
    });
    expect(called).toBe(false);
    expect(await cache.getOrCreate("key", () => "new", { extension: ".txt" })).toEqual(
      Buffer.from("stored"),
    );
  });

  it("two managers on the same directory share one generation", async () => {
    const dir = await makeTempDir();
    const one = new CacheManager({ dir });
    const two = new CacheManager({ dir: join(dir, ".") });
    let calls = 0;
    const generate = async () => {
      calls++;
      await sleep(30);
      return "shared";
    };
    const entries = await Promise.all([
      one.getOrCreateEntry("key", generate),
      two.getOrCreateEntry("key", generate),
      one.getOrCreateEntry("key", generate),
      two.getOrCreateEntry("key", generate),
    ]);
    expect(calls).toBe(1);
    expect(entries.map((e) => e.source).sort()).toEqual([
      "generated",
      "waited",
      "waited",
      "waited",
    ]);
    expect(entries.every((e) => e.data.toString() === "shared")).toBe(true);
  });

  it("managers reaching one directory by two paths (a symlink) still generate once, through the lock", async () => {
    // Two paths mean two in-process flights, as two processes would have: the lock decides, and
    // the loser polls for the entry.
    const real = await makeTempDir();
    const link = join(await makeTempDir(), "link");
    await symlink(real, link, "dir");
    const one = new CacheManager({ dir: real });
    const two = new CacheManager({ dir: link });
    let calls = 0;
    let finishedAt = 0;
    const generate = async () => {
      calls++;
      await sleep(100);
      finishedAt = performance.now();
      return "once";
    };
    const settledAt: number[] = [];
    const entries = await Promise.all(
      [one, two].map(async (cache) => {
        const entry = await cache.getOrCreateEntry("key", generate, { extension: ".pdf" });
        settledAt.push(performance.now());
        return entry;
      }),
    );
    expect(calls).toBe(1);
    expect(entries.map((e) => e.source).sort()).toEqual(["generated", "waited"]);
    expect(entries.every((e) => e.data.toString() === "once")).toBe(true);
    // The waiter notices the entry soon after it is published (the contract: 50 ms; a generous
    // bound here, the machine being shared).
    expect(Math.max(...settledAt) - finishedAt).toBeLessThan(1000);
  });

  it("generates separately for different extensions, keys and directories", async () => {
    const dirA = await makeTempDir();
    const dirB = await makeTempDir();
    const a = new CacheManager({ dir: dirA });
    const b = new CacheManager({ dir: dirB });
    const made: string[] = [];
    const generator = (label: string) => async () => {
      made.push(label);
      await sleep(10);
      return label;
    };
    const results = await Promise.all([
      a.getOrCreate("key", generator("a-key")),
      a.getOrCreate("key", generator("a-key.pdf"), { extension: ".pdf" }),
      a.getOrCreate("other", generator("a-other")),
      b.getOrCreate("key", generator("b-key")),
    ]);
    expect(results.map(String)).toEqual(["a-key", "a-key.pdf", "a-other", "b-key"]);
    expect(made.sort()).toEqual(["a-key", "a-key.pdf", "a-other", "b-key"]);
  });

  it("leaves no lock and no staging file once the generation is done", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    await Promise.all([cache.getOrCreate("key", () => "x"), cache.getOrCreate("key", () => "y")]);
    expect(await readdir(join(cache.dir, ".clarity-cache", "tmp"))).toEqual([]);
    const locks = await readdir(join(cache.dir, ".clarity-cache", "locks"));
    expect(locks).toEqual([]);
  });

  it("a generation that follows a finished one starts fresh after delete", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    expect((await cache.getOrCreateEntry("key", () => "one")).source).toBe("generated");
    expect(await cache.delete("key")).toBe(true);
    const entry = await cache.getOrCreateEntry("key", () => "two");
    expect(entry.source).toBe("generated");
    expect(entry.data.toString()).toBe("two");
  });
});
