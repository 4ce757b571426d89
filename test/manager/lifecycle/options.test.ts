import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CacheError } from "../../../src/errors/cache-error.js";
import { CacheManager } from "../../../src/manager/cache-manager.js";
import { makeTempDir } from "../../helpers/temp-dir.js";

function caught(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

function expectInvalidOption(error: unknown, name: string): void {
  expect(error).toBeInstanceOf(CacheError);
  expect((error as CacheError).code).toBe("CACHE_INVALID_OPTION");
  expect((error as CacheError).message).toContain(`"${name}"`);
}

/** A directory that does not exist yet: anything written would create it. */
async function unborn(): Promise<string> {
  return join(await makeTempDir(), "cache");
}

const badLifetimes: unknown[] = [0, -1, Number.NaN, Infinity, -Infinity, "1", null];
const badBounds: unknown[] = [0, 1.5, -1, Number.NaN, Infinity, 2 ** 53, "10", null];

describe("lifecycle options of the constructor", () => {
  it.each(badLifetimes)("ttlMs %o is rejected", async (value) => {
    const dir = await unborn();
    expectInvalidOption(
      caught(() => new CacheManager({ dir, ttlMs: value as number })),
      "ttlMs",
    );
    expect(existsSync(dir)).toBe(false);
  });

  it.each(badBounds)("maxBytes and maxEntries %o are rejected", async (value) => {
    const dir = await unborn();
    for (const name of ["maxBytes", "maxEntries"]) {
      expectInvalidOption(
        caught(() => new CacheManager({ dir, [name]: value })),
        name,
      );
    }
    expect(existsSync(dir)).toBe(false);
  });

  it.each(["md5", "", "FULL", 1, null])("verify %o is rejected", async (value) => {
    const dir = await unborn();
    expectInvalidOption(
      caught(() => new CacheManager({ dir, verify: value as "full" })),
      "verify",
    );
  });

  it("accepts the valid values", async () => {
    const dir = await unborn();
    const valid: Record<string, unknown>[] = [
      { ttlMs: 0.5 },
      { ttlMs: 1e12 },
      { maxBytes: 1, maxEntries: Number.MAX_SAFE_INTEGER },
      { verify: "size" },
      { verify: "full" },
      { ttlMs: undefined, maxBytes: undefined, maxEntries: undefined, verify: undefined },
    ];
    for (const options of valid) {
      expect(new CacheManager({ dir, ...options }).dir).toBe(dir);
    }
    expect(existsSync(dir)).toBe(false);
  });
});

describe("lifecycle options of put and getOrCreate", () => {
  const badWrites: [string, Record<string, unknown>][] = [
    ...badLifetimes.map((value): [string, Record<string, unknown>] => ["ttlMs", { ttlMs: value }]),
    ["metadata", { metadata: "text" }],
    ["metadata", { metadata: 5 }],
    ["metadata", { metadata: null }],
    ["metadata", { metadata: ["a", "b"] }],
    ["metadata", { metadata: { a: 1 } }],
    ["metadata", { metadata: { a: "ok", b: null } }],
    ["metadata", { metadata: { a: undefined } }],
  ];

  it.each(badWrites)("put rejects a bad %s (%o) and writes nothing", async (name, options) => {
    const dir = await unborn();
    const cache = new CacheManager({ dir });
    const error = await cache.put("k", "x", options as never).catch((e: unknown) => e);
    expectInvalidOption(error, name);
    expect(existsSync(dir)).toBe(false);
  });

  it.each(badWrites)(
    "getOrCreate rejects a bad %s (%o), writes nothing and does not generate",
    async (name, options) => {
      const dir = await unborn();
      const cache = new CacheManager({ dir });
      let called = false;
      const error = await cache
        .getOrCreate(
          "k",
          () => {
            called = true;
            return "x";
          },
          options as never,
        )
        .catch((e: unknown) => e);
      expectInvalidOption(error, name);
      expect(called).toBe(false);
      expect(existsSync(dir)).toBe(false);
    },
  );

  it("get, has, info and delete take no write options", async () => {
    const cache = new CacheManager({ dir: await unborn() });
    for (const call of [
      () => cache.get("k", { ttlMs: 5 } as never),
      () => cache.has("k", { metadata: {} } as never),
      () => cache.info("k", { ttlMs: 5 } as never),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "CACHE_INVALID_OPTION" });
    }
  });

  it("metadata with a null prototype is a plain object and accepted", async () => {
    const cache = new CacheManager({ dir: await unborn() });
    const metadata = Object.assign(Object.create(null) as Record<string, string>, { a: "1" });
    await cache.put("k", "x", { metadata });
    expect((await cache.info("k"))?.metadata).toEqual({ a: "1" });
  });
});
