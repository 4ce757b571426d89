import { existsSync, mkdirSync, readdirSync, unlinkSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CacheManager, fileSystemSeam } from "../../../src/manager/cache-manager.js";
import { toEntryInfo } from "../../../src/manager/entry-info.js";
import type { CacheManagerOptions } from "../../../src/manager/options.js";
import { FileStorage } from "../../../src/storage/file-storage.js";
import { type FileSystem, nodeFileSystem } from "../../../src/storage/file-system.js";
import { Layout } from "../../../src/storage/layout.js";
import { makeTempDir } from "../../helpers/temp-dir.js";
import { entryKeys, observe, plantEntries, reattachRecord, setLastUse } from "./helpers.js";

const injected = (code: string) => Object.assign(new Error(`${code}: injected`), { code });

/** A manager whose file system is the real one with `overrides`. */
async function managerWith(
  overrides: Partial<FileSystem>,
  options: Omit<CacheManagerOptions, "dir"> = {},
): Promise<{ cache: CacheManager; layout: Layout; dir: string }> {
  const dir = await makeTempDir();
  const fileSystem: FileSystem = { ...nodeFileSystem, ...overrides };
  const cache = new CacheManager({ dir, ...options, [fileSystemSeam]: fileSystem } as never);
  return { cache, layout: new Layout(dir), dir };
}

describe("faults in the lifecycle's own I/O", () => {
  it("a use that cannot be recorded does not fail the hit", async () => {
    const { cache, layout } = await managerWith({
      utimes: () => Promise.reject(injected("EACCES")),
    });
    await cache.put("k", "x");
    await setLastUse(layout, "k", 3_600_000);
    expect(await cache.get("k")).toEqual(Buffer.from("x"));
    expect((await cache.stats()).hits).toBe(1);
    const info = await cache.info("k");
    expect(info?.lastAccessAt.getTime()).toBeLessThan(Date.now() - 1_800_000);
  });

  it("a use of an entry removed meanwhile is not an error", async () => {
    const dir = await makeTempDir();
    const storage = new FileStorage({ dir, staleLockMs: 2_000 });
    await expect(storage.touch("gone", Date.now())).resolves.toBeUndefined();
    await storage.write("k", Buffer.from("x"), {
      createdAt: 0,
      expiresAt: undefined,
      metadata: {},
    });
    const failing = new FileStorage({
      dir,
      staleLockMs: 2_000,
      fileSystem: { ...nodeFileSystem, utimes: () => Promise.reject(injected("EIO")) },
    });
    await expect(failing.touch("k", Date.now())).rejects.toMatchObject({
      code: "CACHE_IO",
      cause: { code: "EIO" },
    });
  });

  it("a record that cannot be staged: put rejects with CacheIOError, leaving no entry and no staging file", async () => {
    const { cache, layout } = await managerWith({
      writeFileAtomic: (path, data) =>
        path.includes(".record.")
          ? Promise.reject(injected("ENOSPC"))
          : nodeFileSystem.writeFileAtomic(path, data),
    });
    await expect(cache.put("k", "x")).rejects.toMatchObject({
      code: "CACHE_IO",
      cause: { code: "ENOSPC" },
    });
    expect(existsSync(layout.entryPath("k"))).toBe(false);
    expect(existsSync(layout.recordPath("k"))).toBe(false);
    expect(await readdir(layout.stagingDir)).toEqual([]);
  });

  it("a record that cannot be published, whose staged files cannot be removed either: put rejects with the rename's error", async () => {
    const dir = await makeTempDir();
    const layout = new Layout(dir);
    const fileSystem: FileSystem = {
      ...nodeFileSystem,
      rename: (from, to) =>
        to === layout.recordPath("k")
          ? Promise.reject(injected("EACCES"))
          : nodeFileSystem.rename(from, to),
      unlink: (path) =>
        path.startsWith(layout.stagingDir)
          ? Promise.reject(injected("EBUSY"))
          : nodeFileSystem.unlink(path),
    };
    const cache = new CacheManager({ dir, [fileSystemSeam]: fileSystem } as never);
    await expect(cache.put("k", "x")).rejects.toMatchObject({
      code: "CACHE_IO",
      cause: { code: "EACCES" },
    });
    expect(existsSync(cache.pathFor("k"))).toBe(false);
    expect(await cache.get("k")).toBeUndefined();
  });

  it("a failed unlink of a moved-aside file does not fail the removal", async () => {
    const { cache, layout } = await managerWith({
      unlink: (path) =>
        path.includes("removing.")
          ? Promise.reject(injected("EBUSY"))
          : nodeFileSystem.unlink(path),
    });
    await cache.put("k", "x");
    await writeFile(layout.recordPath("k"), "garbage");
    expect(await cache.get("k")).toBeUndefined();
    expect(existsSync(layout.entryPath("k"))).toBe(false);
    expect((await cache.stats()).corruptions).toBe(1);
  });
});

/** A file system that publishes a newer entry just before the first entry file is moved aside. */
function replacingBeforeRemoval(
  dir: string,
  key: string,
): { fileSystem: FileSystem; replaced: () => boolean } {
  const layout = new Layout(dir);
  const writer = new CacheManager({ dir });
  let done = false;
  return {
    replaced: () => done,
    fileSystem: {
      ...nodeFileSystem,
      async rename(from, to) {
        if (!done && from === layout.entryPath(key) && to.includes("removing.")) {
          done = true;
          await writer.put(key, "newer");
        }
        return nodeFileSystem.rename(from, to);
      },
    },
  };
}

describe("an entry replaced between the scan and its removal is kept", () => {
  it("by eviction after a write", async () => {
    const dir = await makeTempDir();
    const layout = new Layout(dir);
    const { fileSystem, replaced } = replacingBeforeRemoval(dir, "a");
    const cache = new CacheManager({ dir, maxEntries: 2, [fileSystemSeam]: fileSystem } as never);
    await cache.put("a", "x");
    await cache.put("b", "x");
    await setLastUse(layout, "a", 60_000);
    const evicted = observe("evict");
    await cache.put("c", "x");
    expect(replaced()).toBe(true);
    expect(await cache.get("a")).toEqual(Buffer.from("newer"));
    expect(evicted.map((message) => message.key)).not.toContain("a");
    expect((await cache.stats()).evictions).toBe(evicted.length);
  });

  it("by prune, for a bound and for maxAgeMs, and the report does not count it", async () => {
    for (const options of [{ maxEntries: 1 }, { maxAgeMs: 60_000 }]) {
      const dir = await makeTempDir();
      const layout = new Layout(dir);
      const { fileSystem, replaced } = replacingBeforeRemoval(dir, "a");
      const cache = new CacheManager({ dir, [fileSystemSeam]: fileSystem } as never);
      await cache.put("a", "x");
      await cache.put("b", "yy");
      await reattachRecord(layout, "a", { createdAt: Date.now() - 120_000 });
      await setLastUse(layout, "a", 120_000);
      await setLastUse(layout, "b", 60_000);
      const report = await cache.prune(options);
      expect(replaced()).toBe(true);
      expect(await cache.get("a")).toEqual(Buffer.from("newer"));
      // The newer "a" is a live write: kept, and not made up for by evicting another entry.
      expect(report.removedEntries).toBe(0);
      expect(report.remainingEntries).toBe(2);
    }
  });
});

describe("keeping bounds with expired entries", () => {
  it("a write that may cross a bound removes expired entries first (reason expired), then evicts only if still over", async () => {
    const dir = await makeTempDir();
    const layout = new Layout(dir);
    const cache = new CacheManager({ dir, maxEntries: 3 });
    await cache.put("old", "x");
    await cache.put("a", "x");
    await cache.put("b", "x");
    // Expired a second ago: no sleep racing a short ttlMs on a loaded machine.
    await reattachRecord(layout, "old", { expiresAt: Date.now() - 1_000 });
    const evicted = observe("evict");
    await cache.put("c", "x");
    expect(evicted[0]).toMatchObject({ key: "old", reason: "expired" });
    expect(existsSync(cache.pathFor("old"))).toBe(false);
    // Without the expired entry, a, b and c are at the bound, not past it: nothing more goes.
    expect(evicted).toHaveLength(1);
    expect((await entryKeys(cache)).sort()).toEqual(["a", "b", "c"]);
  });
});

describe("scans racing removals", () => {
  it("an entry removed (or replaced by a folder) between the listing and its stat is skipped", async () => {
    const dir = await makeTempDir();
    const layout = new Layout(dir);
    const storage = new FileStorage({ dir, staleLockMs: 2_000 });
    const planted = new Set(await plantEntries(layout, 300));
    // The scan lists in directory order; the first slice of 256 is read at once, the rest after
    // a turn of the event loop.
    const listed = readdirSync(dir).filter((name) => planted.has(name));
    const [gone, folder] = listed.slice(-2) as [string, string];
    const scanning = storage.scan(Date.now());
    unlinkSync(layout.entryPath(gone));
    unlinkSync(layout.entryPath(folder));
    mkdirSync(layout.entryPath(folder));
    const { valid, damaged } = await scanning;
    expect(valid).toHaveLength(298);
    expect(damaged).toEqual([]);
  });
});

describe("toEntryInfo", () => {
  it("keeps a name that is no entry name whole, as the key", () => {
    const info = toEntryInfo(
      {
        name: "Odd.NAME",
        size: 1,
        sha256: "0".repeat(64),
        createdAt: 1,
        lastAccessAt: 2,
        expiresAt: undefined,
        metadata: {},
        identity: "1:2",
      },
      "/somewhere",
    );
    expect(info).toMatchObject({ key: "Odd.NAME", extension: "", path: "/somewhere" });
  });
});
