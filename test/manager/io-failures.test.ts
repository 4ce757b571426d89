import { existsSync } from "node:fs";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { CacheIOError } from "../../src/errors/cache-io-error.js";
import { CacheLockError } from "../../src/errors/cache-lock-error.js";
import { CacheManager, fileSystemSeam } from "../../src/manager/cache-manager.js";
import { nodeFileSystem, type FileSystem } from "../../src/storage/file-system.js";
import { Layout } from "../../src/storage/layout.js";
import { makeTempDir } from "../helpers/temp-dir.js";

function fsError(code: string, syscall = "open"): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected, ${syscall}`), { code, syscall });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

function expectIOError(error: unknown, cause?: unknown): CacheIOError {
  expect(error).toBeInstanceOf(CacheIOError);
  const ioError = error as CacheIOError;
  expect(ioError.code).toBe("CACHE_IO");
  if (cause !== undefined) expect(ioError.cause).toBe(cause);
  else expect(ioError.cause).toBeInstanceOf(Error);
  return ioError;
}

const isStaging = (path: string) => path.includes(`${sep}.clarity-cache${sep}tmp${sep}`);

/** A manager over a file system whose `writeFileAtomic` fails (for staging files) while `fail` holds. */
async function managerWith(
  overrides: (fs: FileSystem) => Partial<FileSystem>,
): Promise<CacheManager> {
  const dir = await makeTempDir();
  const faulty: FileSystem = { ...nodeFileSystem };
  Object.assign(faulty, overrides(faulty));
  return new CacheManager({ dir, [fileSystemSeam]: faulty } as never);
}

/** No entry, no staging file, no lock left; the next getOrCreate locks and generates. */
async function expectCleanAndUsable(cache: CacheManager, key: string): Promise<void> {
  const layout = new Layout(cache.dir);
  expect(existsSync(cache.pathFor(key))).toBe(false);
  if (existsSync(layout.stagingDir)) expect(await readdir(layout.stagingDir)).toEqual([]);
  if (existsSync(layout.locksDir)) expect(await readdir(layout.locksDir)).toEqual([]);
  const entry = await cache.getOrCreateEntry(key, () => "recovered", { lockTimeoutMs: 0 });
  expect(entry).toMatchObject({ source: "generated", data: Buffer.from("recovered") });
  expect(await readFile(cache.pathFor(key), "utf8")).toBe("recovered");
}

describe("a regular file where the cache directory should be (real)", () => {
  async function blocked(): Promise<{ cache: CacheManager; dir: string }> {
    const dir = join(await makeTempDir(), "cache");
    await writeFile(dir, "not a directory");
    return { cache: new CacheManager({ dir }), dir };
  }

  it("get, has and delete reject with CacheIOError carrying ENOTDIR", async () => {
    const { cache } = await blocked();
    for (const call of [cache.get("key"), cache.has("key"), cache.delete("key")]) {
      const error = expectIOError(await rejection(call));
      expect((error.cause as NodeJS.ErrnoException).code).toBe("ENOTDIR");
    }
  });

  it("put, clear and getOrCreate reject with CacheIOError; generate is not called", async () => {
    const { cache } = await blocked();
    expectIOError(await rejection(cache.put("key", "x")));
    expectIOError(await rejection(cache.clear()));
    let called = false;
    expectIOError(
      await rejection(
        cache.getOrCreate("key", () => {
          called = true;
          return "x";
        }),
      ),
    );
    expect(called).toBe(false);
  });

  it("the manager works once the file is gone", async () => {
    const { cache, dir } = await blocked();
    expectIOError(await rejection(cache.put("key", "x")));
    expectIOError(await rejection(cache.getOrCreate("other", () => "x")));
    await rm(dir);
    expect(await cache.put("key", "x")).toBe(join(dir, "key"));
    await expectCleanAndUsable(cache, "other");
  });
});

describe("a cache directory removed while the manager lives (real)", () => {
  // An operator's `rm -rf` of the cache is a file-system event like any other: the manager must
  // stay usable, recreating the directory and its internals on the next write.
  it("put and getOrCreate work again after the directory is removed", async () => {
    const dir = join(await makeTempDir(), "cache");
    const cache = new CacheManager({ dir });
    await cache.put("key", "before");
    await rm(dir, { recursive: true });
    expect(await cache.get("key")).toBeUndefined();
    expect(await cache.put("key", "after")).toBe(join(dir, "key"));
    expect(await readFile(join(dir, "key"), "utf8")).toBe("after");
    const entry = await cache.getOrCreateEntry("other", () => "made", { lockTimeoutMs: 0 });
    expect(entry).toMatchObject({ source: "generated", data: Buffer.from("made") });
  });
});

describe("write failures through the seam", () => {
  it.each(["EACCES", "ENOSPC"])(
    "%s from writeFileAtomic: put and getOrCreate reject with it as cause; no partial entry, no staging file, no lock",
    async (code) => {
      let failing = true;
      const injected = fsError(code, "write");
      const cache = await managerWith(() => ({
        async writeFileAtomic(path, data) {
          if (failing && isStaging(path)) {
            // A full disk leaves half a temp file behind.
            await writeFile(path, data.subarray(0, data.byteLength >> 1));
            throw injected;
          }
          return nodeFileSystem.writeFileAtomic(path, data);
        },
      }));
      expectIOError(await rejection(cache.put("key", "payload bytes")), injected);
      expect(existsSync(cache.pathFor("key"))).toBe(false);
      let generated = 0;
      const calls = [1, 2, 3].map(() =>
        rejection(
          cache.getOrCreate("key", () => {
            generated++;
            return "payload bytes";
          }),
        ),
      );
      for (const error of await Promise.all(calls)) expectIOError(error, injected);
      expect(generated).toBe(1);
      failing = false;
      await expectCleanAndUsable(cache, "key");
    },
  );

  it("a short write is caught by the size check", async () => {
    let short = true;
    const cache = await managerWith(() => ({
      writeFileAtomic: (path, data) =>
        nodeFileSystem.writeFileAtomic(
          path,
          short && isStaging(path) ? data.subarray(0, data.byteLength - 1) : data,
        ),
    }));
    const error = expectIOError(await rejection(cache.put("key", "0123456789")));
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ESHORTWRITE");
    expect((error.cause as Error).message).toContain("9 of 10");
    expectIOError(await rejection(cache.getOrCreate("key", () => "0123456789")));
    short = false;
    await expectCleanAndUsable(cache, "key");
  });

  it("a failing stat of the staging file rejects with CacheIOError", async () => {
    let failing = true;
    const injected = fsError("EIO", "stat");
    const cache = await managerWith(() => ({
      stat: (path) =>
        failing && isStaging(path) ? Promise.reject(injected) : nodeFileSystem.stat(path),
    }));
    expectIOError(await rejection(cache.put("key", "x")), injected);
    failing = false;
    await expectCleanAndUsable(cache, "key");
  });

  it("a failing directory fsync rejects with CacheIOError; the lock is released", async () => {
    let failing = true;
    const injected = fsError("EIO", "fsync");
    const cache = await managerWith(() => ({
      syncDirectory: (path) =>
        failing && !path.includes(".clarity-cache")
          ? Promise.reject(injected)
          : nodeFileSystem.syncDirectory(path),
    }));
    expectIOError(await rejection(cache.put("key", "x")), injected);
    expectIOError(await rejection(cache.getOrCreate("other", () => "y")), injected);
    const layout = new Layout(cache.dir);
    expect(await readdir(layout.stagingDir)).toEqual([]);
    expect(await readdir(layout.locksDir)).toEqual([]);
    // The rename happened before the fsync failed: what is there is whole, never partial.
    expect(await cache.get("other")).toEqual(Buffer.from("y"));
    failing = false;
    await cache.delete("other");
    await expectCleanAndUsable(cache, "other");
  });

  it("a failing mkdir of the cache directory rejects with CacheIOError, and is retried on next use", async () => {
    let failing = true;
    const injected = fsError("EACCES", "mkdir");
    const cache = await managerWith(() => ({
      mkdir: (path, options) =>
        failing ? Promise.reject(injected) : nodeFileSystem.mkdir(path, options),
    }));
    expectIOError(await rejection(cache.put("key", "x")), injected);
    failing = false;
    await expectCleanAndUsable(cache, "key");
  });
});

describe("read failures through the seam", () => {
  it("EIO reading an entry: get and getOrCreate reject with it as cause; generate is not called", async () => {
    let failing = true;
    const injected = fsError("EIO", "read");
    const cache = await managerWith(() => ({
      readFileWithStat: (path) =>
        failing && !path.includes(".clarity-cache")
          ? Promise.reject(injected)
          : nodeFileSystem.readFileWithStat(path),
    }));
    expectIOError(await rejection(cache.get("key")), injected);
    let called = false;
    expectIOError(
      await rejection(
        cache.getOrCreate("key", () => {
          called = true;
          return "x";
        }),
      ),
      injected,
    );
    expect(called).toBe(false);
    failing = false;
    await expectCleanAndUsable(cache, "key");
  });

  it("EIO from the format file's read rejects the first write with CacheIOError", async () => {
    let failing = true;
    const injected = fsError("EIO", "read");
    const cache = await managerWith(() => ({
      readFile: (path) =>
        failing && path.endsWith(`${sep}format`)
          ? Promise.reject(injected)
          : nodeFileSystem.readFile(path),
    }));
    expectIOError(await rejection(cache.put("key", "x")), injected);
    failing = false;
    await expectCleanAndUsable(cache, "key");
  });

  it("EACCES from stat and unlink: has and delete reject with CacheIOError", async () => {
    const injected = fsError("EACCES", "stat");
    const cache = await managerWith(() => ({
      stat: () => Promise.reject(injected),
      unlink: () => Promise.reject(injected),
      listFiles: () => Promise.reject(injected),
    }));
    expectIOError(await rejection(cache.has("key")), injected);
    expectIOError(await rejection(cache.delete("key")), injected);
    expectIOError(await rejection(cache.clear()), injected);
  });
});

/**
 * A manager on `platform` whose rename of a staged entry into place (not its record's, nor
 * renames inside the internal folder) fails with `error` — the first `failures` times, or always.
 */
async function failingPublishRenames(
  platform: NodeJS.Platform,
  error: Error,
  failures = Infinity,
): Promise<{ cache: CacheManager; renames: () => number }> {
  let renames = 0;
  const cache = await managerWith(() => ({
    platform,
    async rename(from, to) {
      if (isStaging(from) && !to.includes(".clarity-cache")) {
        renames++;
        if (renames <= failures) throw error;
      }
      return nodeFileSystem.rename(from, to);
    },
  }));
  return { cache, renames: () => renames };
}

describe("Windows rename retries (platform win32 on the seam)", () => {
  it("a rename failing EBUSY twice, then succeeding, publishes the entry", async () => {
    const { cache, renames } = await failingPublishRenames("win32", fsError("EBUSY", "rename"), 2);
    await cache.put("key", "published");
    expect(renames()).toBe(3);
    expect(await readFile(cache.pathFor("key"), "utf8")).toBe("published");
    expect(await readdir(new Layout(cache.dir).stagingDir)).toEqual([]);
  });

  it("a rename that always fails EPERM rejects with CacheIOError after the retries", async () => {
    const injected = fsError("EPERM", "rename");
    const { cache, renames } = await failingPublishRenames("win32", injected);
    expectIOError(await rejection(cache.getOrCreate("key", () => "x")), injected);
    expect(renames()).toBeGreaterThan(3);
    const layout = new Layout(cache.dir);
    expect(await readdir(layout.stagingDir)).toEqual([]);
    expect(await readdir(layout.locksDir)).toEqual([]);
    expect(existsSync(cache.pathFor("key"))).toBe(false);
  });

  it("on Linux the same EBUSY is not retried", async () => {
    const injected = fsError("EBUSY", "rename");
    const { cache, renames } = await failingPublishRenames("linux", injected);
    expectIOError(await rejection(cache.put("key", "x")), injected);
    expect(renames()).toBe(1);
  });
});

describe("a lock that cannot be released", () => {
  it("does not fail the call: the entry is published and the lock is left to go stale", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    const lockPath = new Layout(cache.dir).lockPath("key");
    const entry = await cache.getOrCreateEntry("key", async () => {
      // Something drops a file into the held lock directory, so that removing it fails.
      await writeFile(join(lockPath, "intruder"), "x");
      return "published";
    });
    expect(entry).toMatchObject({ source: "generated", data: Buffer.from("published") });
    expect(await readFile(cache.pathFor("key"), "utf8")).toBe("published");
    expect(existsSync(lockPath)).toBe(true);
  });
});

describe("a lock that cannot be created", () => {
  it("rejects getOrCreate with CacheLockError, not contention; generate is not called", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    await cache.put("warm", "x");
    const layout = new Layout(cache.dir);
    await rm(layout.locksDir, { recursive: true });
    await writeFile(layout.locksDir, "a file where the locks folder was");
    let called = false;
    const error = await rejection(
      cache.getOrCreate(
        "key",
        () => {
          called = true;
          return "x";
        },
        { lockTimeoutMs: 10_000 },
      ),
    );
    expect(error).toBeInstanceOf(CacheLockError);
    expect((error as CacheLockError).code).toBe("CACHE_LOCK_FAILED");
    expect((error as CacheLockError).cause).toBeInstanceOf(Error);
    expect(called).toBe(false);
  });
});
