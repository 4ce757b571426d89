import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CacheManager, fileSystemSeam } from "../../../src/manager/cache-manager.js";
import type { CacheManagerOptions } from "../../../src/manager/options.js";
import { FileStorage } from "../../../src/storage/file-storage.js";
import { type FileSystem, nodeFileSystem } from "../../../src/storage/file-system.js";
import { Layout } from "../../../src/storage/layout.js";
import type { Observed } from "../../../src/storage/storage.js";
import { makeTempDir } from "../../helpers/temp-dir.js";

async function setup(fileSystem?: FileSystem) {
  const dir = await makeTempDir();
  const options = { dir, staleLockMs: 2_000, ...(fileSystem && { fileSystem }) };
  return {
    dir,
    layout: new Layout(dir),
    storage: new FileStorage(options),
    cache: new CacheManager({ dir, verify: "full" }),
  };
}

/** What a reader saw of a damaged entry (here: a garbage record). */
async function observeDamage(storage: FileStorage, name: string): Promise<Observed> {
  const result = await storage.read(name, { verify: "full", now: Date.now() });
  if (result.kind !== "corrupt") throw new Error(`expected a damaged entry, got ${result.kind}`);
  return result.observed;
}

async function expectIntact(cache: CacheManager, layout: Layout, key: string, data: string) {
  expect(await readFile(layout.entryPath(key), "utf8")).toBe(data);
  expect(existsSync(layout.recordPath(key))).toBe(true);
  expect(await cache.get(key)).toEqual(Buffer.from(data));
  expect((await cache.stats()).corruptions).toBe(0);
}

describe("compare-and-delete: removing a damaged entry never removes a newer valid one", () => {
  it("a damaged entry observed before a new put replaced it: the new entry survives, data and record", async () => {
    const { cache, layout, storage } = await setup();
    await cache.put("k", "old");
    await writeFile(layout.recordPath("k"), "garbage");
    const observed = await observeDamage(storage, "k");
    await cache.put("k", "newer and valid");
    expect(await storage.removeIfUnchanged(observed)).toBe(false);
    await expectIntact(cache, layout, "k", "newer and valid");
  });

  it("the data still observed but a newer record published (a writer between its two publishes): the record is kept", async () => {
    const { cache, layout, storage } = await setup();
    await cache.put("k", "old");
    await writeFile(layout.recordPath("k"), "garbage");
    const observed = await observeDamage(storage, "k");
    await writeFile(layout.recordPath("k"), "a newer writer's record");
    expect(await storage.removeIfUnchanged(observed)).toBe(true);
    expect(existsSync(layout.entryPath("k"))).toBe(false);
    expect(await readFile(layout.recordPath("k"), "utf8")).toBe("a newer writer's record");
  });

  it("an unchanged damaged entry is removed, data and record", async () => {
    const { layout, storage, cache } = await setup();
    await cache.put("k", "old");
    await writeFile(layout.recordPath("k"), "garbage");
    expect(await storage.removeIfUnchanged(await observeDamage(storage, "k"))).toBe(true);
    expect(existsSync(layout.entryPath("k"))).toBe(false);
    expect(existsSync(layout.recordPath("k"))).toBe(false);
  });

  it("an eviction (no record text) removes the record only if it describes the removed data", async () => {
    const { layout, storage, cache } = await setup();
    await cache.put("k", "old");
    const described = await storage.describe("k", Date.now());
    if (described.kind !== "valid") throw new Error("expected a valid entry");
    const observed: Observed = {
      name: "k",
      identity: described.entry.identity,
      size: described.entry.size,
      recordText: undefined,
    };
    // A newer writer has published its record (for other data), not yet its data.
    const newerRecord = (await readFile(layout.recordPath("k"), "utf8")).replace(
      described.entry.identity,
      "1:2",
    );
    await writeFile(layout.recordPath("k"), newerRecord);
    expect(await storage.removeIfUnchanged(observed)).toBe(true);
    expect(existsSync(layout.entryPath("k"))).toBe(false);
    expect(await readFile(layout.recordPath("k"), "utf8")).toBe(newerRecord);
  });

  it("an eviction of an entry replaced meanwhile removes nothing", async () => {
    const { layout, storage, cache } = await setup();
    await cache.put("k", "old");
    const described = await storage.describe("k", Date.now());
    if (described.kind !== "valid") throw new Error("expected a valid entry");
    await cache.put("k", "newer");
    const removed = await storage.removeIfUnchanged({
      name: "k",
      identity: described.entry.identity,
      size: described.entry.size,
      recordText: undefined,
    });
    expect(removed).toBe(false);
    await expectIntact(cache, layout, "k", "newer");
  });

  it("an observation without data removes only a record whose text is unchanged", async () => {
    const { layout, storage } = await setup();
    await new CacheManager({ dir: layout.dir }).put("k", "x");
    const text = await readFile(layout.recordPath("k"), "utf8");
    const observed: Observed = { name: "k", identity: undefined, size: 0, recordText: "other" };
    expect(await storage.removeIfUnchanged(observed)).toBe(false);
    expect(await readFile(layout.recordPath("k"), "utf8")).toBe(text);
    expect(await storage.removeIfUnchanged({ ...observed, recordText: text })).toBe(false);
    expect(existsSync(layout.recordPath("k"))).toBe(false);
    expect(existsSync(layout.entryPath("k"))).toBe(true);
  });

  it("an entry already gone: nothing to remove", async () => {
    const { storage } = await setup();
    const observed: Observed = { name: "gone", identity: "1:2", size: 1, recordText: "x" };
    expect(await storage.removeIfUnchanged(observed)).toBe(false);
  });

  it("a still newer entry published while a wrongly moved one is checked wins (no link back over it)", async () => {
    const dir = await makeTempDir();
    const layout = new Layout(dir);
    const cache = new CacheManager({ dir });
    let racing = false;
    const racy: FileSystem = {
      ...nodeFileSystem,
      async stat(path) {
        const result = await nodeFileSystem.stat(path);
        if (racing && path.includes("removing.")) {
          racing = false;
          // Another writer publishes between the move aside and the link back.
          await cache.put("k", "newest");
        }
        return result;
      },
    };
    const storage = new FileStorage({ dir, staleLockMs: 2_000, fileSystem: racy });
    await cache.put("k", "old");
    const described = await storage.describe("k", Date.now());
    if (described.kind !== "valid") throw new Error("expected a valid entry");
    await cache.put("k", "newer");
    racing = true;
    const removed = await storage.removeIfUnchanged({
      name: "k",
      identity: described.entry.identity,
      size: described.entry.size,
      recordText: undefined,
    });
    expect(removed).toBe(false);
    expect(racing).toBe(false);
    await expectIntact(cache, layout, "k", "newest");
  });

  it("a move aside that fails (not ENOENT) rejects with CacheIOError, and a failed link back too", async () => {
    const dir = await makeTempDir();
    await new CacheManager({ dir }).put("k", "x");
    const eacces = () => Object.assign(new Error("EACCES: injected"), { code: "EACCES" });
    const noRename = new FileStorage({
      dir,
      staleLockMs: 2_000,
      fileSystem: { ...nodeFileSystem, rename: () => Promise.reject(eacces()) },
    });
    const observed: Observed = { name: "k", identity: "1:2", size: 1, recordText: undefined };
    await expect(noRename.removeIfUnchanged(observed)).rejects.toMatchObject({
      code: "CACHE_IO",
      cause: { code: "EACCES" },
    });
    const noLink = new FileStorage({
      dir,
      staleLockMs: 2_000,
      fileSystem: { ...nodeFileSystem, link: () => Promise.reject(eacces()) },
    });
    await expect(noLink.removeIfUnchanged(observed)).rejects.toMatchObject({ code: "CACHE_IO" });
  });

  it("the manager's read removes through compare-and-delete: a damaged read racing a new put keeps the new entry", async () => {
    const dir = await makeTempDir();
    const layout = new Layout(dir);
    const writer = new CacheManager({ dir });
    await writer.put("k", "old");
    await writeFile(layout.recordPath("k"), "garbage");
    let published = false;
    const racy: FileSystem = {
      ...nodeFileSystem,
      async rename(from, to) {
        if (!published && from === layout.entryPath("k")) {
          // The reader observed the damage; a writer publishes before the reader removes it.
          published = true;
          await writer.put("k", "new and valid");
        }
        return nodeFileSystem.rename(from, to);
      },
    };
    const reader = new CacheManager({ dir, [fileSystemSeam]: racy } as CacheManagerOptions);
    expect(await reader.get("k")).toBeUndefined();
    expect(published).toBe(true);
    expect((await reader.stats()).corruptions).toBe(1);
    await expectIntact(writer, layout, "k", "new and valid");
  });
});
