import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { CacheError } from "../../src/errors/cache-error.js";
import { CacheManager, type Generate } from "../../src/manager/cache-manager.js";
import { makeTempDir } from "../helpers/temp-dir.js";

async function newCache(): Promise<CacheManager> {
  return new CacheManager({ dir: await makeTempDir() });
}

/** No entry, no staging file and no lock are left for `key`. */
async function expectNothingLeft(cache: CacheManager, key: string): Promise<void> {
  expect(existsSync(cache.pathFor(key))).toBe(false);
  expect(await cache.has(key)).toBe(false);
  expect(await readdir(join(cache.dir, ".clarity-cache", "tmp"))).toEqual([]);
  expect(await readdir(join(cache.dir, ".clarity-cache", "locks"))).toEqual([]);
}

describe("a generator that fails", () => {
  const failures: [string, (error: Error) => Generate][] = [
    [
      "throws synchronously",
      (error) => () => {
        throw error;
      },
    ],
    [
      "rejects",
      (error) => async () => {
        await sleep(20);
        throw error;
      },
    ],
  ];

  it.each(failures)(
    "that %s: every joined caller gets the same error instance, nothing is written, the lock is released",
    async (_, makeGenerate) => {
      const cache = await newCache();
      const error = new Error("render failed");
      let calls = 0;
      const failing = makeGenerate(error);
      const generate: Generate = (ctx) => {
        calls++;
        return failing(ctx);
      };
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => cache.getOrCreateEntry("key", generate)),
      );
      expect(calls).toBe(1);
      for (const result of results) {
        expect(result.status).toBe("rejected");
        expect((result as PromiseRejectedResult).reason).toBe(error);
      }
      await expectNothingLeft(cache, "key");

      // The lock is free: the next call generates again, and succeeds.
      const entry = await cache.getOrCreateEntry("key", () => "second try", { lockTimeoutMs: 0 });
      expect(entry.source).toBe("generated");
      expect(entry.data.toString()).toBe("second try");
    },
  );

  it("passes a thrown non-Error value through unchanged", async () => {
    const cache = await newCache();
    const reason = { custom: "reason" };
    await expect(
      cache.getOrCreate("key", () => Promise.reject(reason as unknown as Error)),
    ).rejects.toBe(reason);
    await expectNothingLeft(cache, "key");
  });

  it("a failure does not wipe an entry another caller published before", async () => {
    const cache = await newCache();
    await cache.put("key", "good");
    await expect(
      cache.getOrCreate("key", () => {
        throw new Error("never called");
      }),
    ).resolves.toEqual(Buffer.from("good"));
  });
});

describe("a generator result that is not a string or bytes", () => {
  const results: [string, unknown][] = [
    ["a number", 42],
    ["an object", { data: "x" }],
    ["null", null],
    ["undefined", undefined],
    ["an array", [1, 2]],
    ["an ArrayBuffer", new ArrayBuffer(2)],
    ["a boolean", true],
  ];

  it.each(results)(
    "%s rejects with CACHE_INVALID_RESULT for every caller, and writes nothing",
    async (_, result) => {
      const cache = await newCache();
      const generate = (async () => {
        await sleep(10);
        return result;
      }) as unknown as Generate;
      const settled = await Promise.allSettled([
        cache.getOrCreate("key", generate),
        cache.getOrCreate("key", generate),
      ]);
      const [first, second] = settled.map((s) => (s as PromiseRejectedResult).reason as unknown);
      expect(first).toBeInstanceOf(CacheError);
      expect((first as CacheError).code).toBe("CACHE_INVALID_RESULT");
      expect((first as CacheError).message).toContain('"key"');
      expect(second).toBe(first);
      await expectNothingLeft(cache, "key");
      expect(await cache.getOrCreate("key", () => "valid")).toEqual(Buffer.from("valid"));
    },
  );

  it("a synchronous non-bytes result is rejected the same way", async () => {
    const cache = await newCache();
    const error: unknown = await cache
      .getOrCreate("key", (() => 7) as unknown as Generate)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheError);
    expect((error as CacheError).code).toBe("CACHE_INVALID_RESULT");
    await expectNothingLeft(cache, "key");
  });
});
