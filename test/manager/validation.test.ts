import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { CacheError } from "../../src/errors/cache-error.js";
import { CacheKeyError } from "../../src/errors/cache-key-error.js";
import { CacheManager } from "../../src/manager/cache-manager.js";
import { makeTempDir } from "../helpers/temp-dir.js";

/** A manager whose directory does not exist yet, inside a fresh temp dir that must stay empty. */
async function freshCache(): Promise<{ cache: CacheManager; root: string; dir: string }> {
  const root = await makeTempDir();
  const dir = join(root, "cache");
  return { cache: new CacheManager({ dir }), root, dir };
}

async function expectNothingWritten(root: string, dir: string): Promise<void> {
  expect(existsSync(dir)).toBe(false);
  expect(await readdir(root)).toEqual([]);
}

function expectError(
  error: unknown,
  type: typeof CacheError,
  code: string,
  naming: string | RegExp,
): void {
  expect(error).toBeInstanceOf(type);
  expect((error as CacheError).code).toBe(code);
  if (typeof naming === "string") expect((error as Error).message).toContain(naming);
  else expect((error as Error).message).toMatch(naming);
}

/** Runs `call` and returns what it threw or rejected with (fails if it succeeded). */
async function caught(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

const generate = () => "bytes";

/** Every public call that takes a key and an options object. */
const keyedCalls: [string, (cache: CacheManager, key: unknown, options?: unknown) => unknown][] = [
  ["pathFor", (c, k, o) => c.pathFor(k as string, o as never)],
  ["get", (c, k, o) => c.get(k as string, o as never)],
  ["put", (c, k, o) => c.put(k as string, "data", o as never)],
  ["has", (c, k, o) => c.has(k as string, o as never)],
  ["delete", (c, k, o) => c.delete(k as string, o as never)],
  ["getOrCreate", (c, k, o) => c.getOrCreate(k as string, generate, o as never)],
  ["getOrCreateEntry", (c, k, o) => c.getOrCreateEntry(k as string, generate, o as never)],
];

const invalidKeys: [string, unknown, string][] = [
  ["uppercase", "Abc", '"Abc"'],
  ["all uppercase", "ABC", '"ABC"'],
  ["a dot", "a.b", '"a.b"'],
  ["empty", "", '""'],
  ["201 characters", "a".repeat(201), `"${"a".repeat(201)}"`],
  ["a leading underscore", "_a", '"_a"'],
  ["a leading dash", "-a", '"-a"'],
  ["the device name con", "con", '"con"'],
  ["the device name nul", "nul", '"nul"'],
  ["the device name com1", "com1", '"com1"'],
  ["the device name lpt9", "lpt9", '"lpt9"'],
  ["a parent path", "../x", '"../x"'],
  ["a slash", "a/b", '"a/b"'],
  ["a backslash", "a\\b", JSON.stringify("a\\b")],
  ["a space", "a b", '"a b"'],
  ["a non-ASCII letter", "é", '"é"'],
  ["a number", 12, "12"],
  ["null", null, "null"],
  ["undefined", undefined, "undefined"],
  ["an object", { key: "a" }, "an object"],
  ["an array", ["a"], "an array"],
];

const invalidExtensions: [string, unknown, string][] = [
  ["no dot", "pdf", '"pdf"'],
  ["a dot alone", ".", '"."'],
  ["digits only", ".123", '".123"'],
  ["uppercase", ".PDF", '".PDF"'],
  ["two leading dots", "..pdf", '"..pdf"'],
  ["two parts", ".a.b", '".a.b"'],
  ["17 characters", `.${"a".repeat(17)}`, `".${"a".repeat(17)}"`],
  ["a slash", ".a/b", '".a/b"'],
  ["a number", 5, "5"],
  ["an object", {}, "an object"],
  ["an array", [".pdf"], "an array"],
];

describe("keys are checked before any I/O", () => {
  for (const [label, call] of keyedCalls) {
    it.each(invalidKeys)(`${label} rejects a key with %s`, async (_, key, named) => {
      const { cache, root, dir } = await freshCache();
      const error = await caught(() => call(cache, key));
      expectError(error, CacheKeyError, "CACHE_INVALID_KEY", named);
      expect(error).toBeInstanceOf(CacheError);
      await expectNothingWritten(root, dir);
    });
  }

  it("pathFor throws synchronously", async () => {
    const { cache } = await freshCache();
    expect(() => cache.pathFor("A")).toThrow(CacheKeyError);
  });
});

describe("extensions are checked before any I/O", () => {
  for (const [label, call] of keyedCalls) {
    it.each(invalidExtensions)(
      `${label} rejects an extension with %s`,
      async (_, extension, named) => {
        const { cache, root, dir } = await freshCache();
        const error = await caught(() => call(cache, "key", { extension }));
        expectError(error, CacheKeyError, "CACHE_INVALID_KEY", named);
        await expectNothingWritten(root, dir);
      },
    );
  }
});

describe("a null extension", () => {
  // Only an absent (undefined) extension means ""; null is a non-string like any other.
  it("is rejected by every call, not taken as the empty extension", async () => {
    const { cache, root, dir } = await freshCache();
    for (const [, call] of keyedCalls) {
      const error = await caught(() => call(cache, "key", { extension: null }));
      expectError(error, CacheKeyError, "CACHE_INVALID_KEY", "null");
    }
    await expectNothingWritten(root, dir);
  });
});

describe("valid edge cases are accepted", () => {
  const validKeys = ["a".repeat(200), "a_b-c", "com10", "lpt10", "0", "z9", "con-1", "a__"];
  it.each(validKeys)("key %s is stored and read back", async (key) => {
    const { cache, dir } = await freshCache();
    expect(await cache.put(key, "x")).toBe(join(dir, key));
    expect((await cache.get(key))?.toString()).toBe("x");
  });

  const validExtensions = ["", ".7z", ".pdf", ".a", `.${"a".repeat(16)}`, ".1a", ".mp4"];
  it.each(validExtensions)("extension %j is stored and read back", async (extension) => {
    const { cache, dir } = await freshCache();
    expect(await cache.put("key", "x", { extension })).toBe(join(dir, `key${extension}`));
    expect((await cache.get("key", { extension }))?.toString()).toBe("x");
  });

  it("an undefined extension is the empty one", async () => {
    const { cache, dir } = await freshCache();
    expect(cache.pathFor("key", { extension: undefined })).toBe(join(dir, "key"));
    expect(cache.pathFor("key", {})).toBe(join(dir, "key"));
  });
});

describe("constructor options", () => {
  const invalid: [string, unknown, string][] = [
    ["dir empty", { dir: "" }, '"dir"'],
    ["dir a number", { dir: 5 }, '"dir"'],
    ["dir null", { dir: null }, '"dir"'],
    ["lockTimeoutMs -1", { lockTimeoutMs: -1 }, '"lockTimeoutMs"'],
    ["lockTimeoutMs NaN", { lockTimeoutMs: Number.NaN }, '"lockTimeoutMs"'],
    ["lockTimeoutMs Infinity", { lockTimeoutMs: Number.POSITIVE_INFINITY }, '"lockTimeoutMs"'],
    ["lockTimeoutMs a string", { lockTimeoutMs: "5" }, '"lockTimeoutMs"'],
    ["lockTimeoutMs past the timer limit", { lockTimeoutMs: 2 ** 31 }, '"lockTimeoutMs"'],
    ["staleLockMs 1999", { staleLockMs: 1999 }, '"staleLockMs"'],
    ["staleLockMs NaN", { staleLockMs: Number.NaN }, '"staleLockMs"'],
    ["staleLockMs a string", { staleLockMs: "3000" }, '"staleLockMs"'],
    ["an unknown option", { lockTimeout: 5 }, '"lockTimeout"'],
    ["a misspelt dir", { directory: "x" }, '"directory"'],
    ["a string", "dir", "CacheManager options"],
    ["a number", 5, "CacheManager options"],
    ["null", null, "CacheManager options"],
    ["an array", [], "CacheManager options"],
  ];

  it.each(invalid)("rejects %s with CACHE_INVALID_OPTION naming it", async (_, options, named) => {
    const root = await makeTempDir();
    const cwd = process.cwd();
    process.chdir(root);
    onTestFinished(() => {
      process.chdir(cwd);
    });
    const error = await caught(() => new CacheManager(options as never));
    expectError(error, CacheError, "CACHE_INVALID_OPTION", named);
    expect(error).not.toBeInstanceOf(CacheKeyError);
    expect(await readdir(root)).toEqual([]);
  });

  it("accepts the bounds: lockTimeoutMs 0, staleLockMs 2000", async () => {
    const dir = await makeTempDir();
    expect(new CacheManager({ dir, lockTimeoutMs: 0, staleLockMs: 2000 }).dir).toBe(dir);
    expect(new CacheManager({ dir, lockTimeoutMs: 2 ** 31 - 1 }).dir).toBe(dir);
    // An option given as undefined is an absent option.
    const absent = { dir, lockTimeoutMs: undefined, staleLockMs: undefined };
    expect(new CacheManager(absent as never).dir).toBe(dir);
  });
});

describe("per-call options", () => {
  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, "5", null])(
    "getOrCreate rejects lockTimeoutMs %s",
    async (lockTimeoutMs) => {
      const { cache, root, dir } = await freshCache();
      let called = false;
      const error = await caught(() =>
        cache.getOrCreate(
          "key",
          () => {
            called = true;
            return "x";
          },
          { lockTimeoutMs } as never,
        ),
      );
      expectError(error, CacheError, "CACHE_INVALID_OPTION", '"lockTimeoutMs"');
      expect(called).toBe(false);
      await expectNothingWritten(root, dir);
    },
  );

  it.each([
    ["an object", { aborted: false }],
    ["a string", "signal"],
    ["an AbortController", new AbortController()],
    ["null", null],
  ])("getOrCreate rejects a signal that is %s", async (_, signal) => {
    const { cache, root, dir } = await freshCache();
    const error = await caught(() => cache.getOrCreate("key", generate, { signal } as never));
    expectError(error, CacheError, "CACHE_INVALID_OPTION", '"signal"');
    await expectNothingWritten(root, dir);
  });

  it.each([
    ["get", (c: CacheManager) => c.get("key", { lockTimeoutMs: 5 } as never), '"lockTimeoutMs"'],
    ["put", (c: CacheManager) => c.put("key", "x", { signal: 1 } as never), '"signal"'],
    ["has", (c: CacheManager) => c.has("key", { ext: ".pdf" } as never), '"ext"'],
    ["delete", (c: CacheManager) => c.delete("key", { extensions: "" } as never), '"extensions"'],
    ["pathFor", (c: CacheManager) => c.pathFor("key", { timeout: 1 } as never), '"timeout"'],
    [
      "getOrCreate",
      (c: CacheManager) => c.getOrCreate("key", generate, { lockTimeout: 5 } as never),
      '"lockTimeout"',
    ],
    ["get, options a string", (c: CacheManager) => c.get("key", ".pdf" as never), "options"],
    ["put, options null", (c: CacheManager) => c.put("key", "x", null as never), "options"],
  ])("%s rejects an unknown option or a non-object", async (_, call, named) => {
    const { cache, root, dir } = await freshCache();
    const error = await caught(() => call(cache));
    expectError(error, CacheError, "CACHE_INVALID_OPTION", named);
    await expectNothingWritten(root, dir);
  });

  it.each([
    ["a string", "generate"],
    ["undefined", undefined],
    ["an object", { generate }],
  ])("getOrCreate and getOrCreateEntry reject generate that is %s", async (_, fn) => {
    const { cache, root, dir } = await freshCache();
    for (const call of [
      () => cache.getOrCreate("key", fn as never),
      () => cache.getOrCreateEntry("key", fn as never),
    ]) {
      const error = await caught(call);
      expectError(error, CacheError, "CACHE_INVALID_OPTION", '"generate"');
    }
    await expectNothingWritten(root, dir);
  });

  it.each([
    ["a number", 42],
    ["null", null],
    ["undefined", undefined],
    ["an array of numbers", [1, 2, 3]],
    ["an ArrayBuffer", new ArrayBuffer(4)],
    ["a DataView", new DataView(new ArrayBuffer(4))],
    ["an object", { data: "x" }],
  ])("put rejects data that is %s", async (_, data) => {
    const { cache, root, dir } = await freshCache();
    const error = await caught(() => cache.put("key", data as never));
    expectError(error, CacheError, "CACHE_INVALID_OPTION", '"data"');
    await expectNothingWritten(root, dir);
  });
});
