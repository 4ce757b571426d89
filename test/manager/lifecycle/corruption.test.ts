import { existsSync } from "node:fs";
import { open, rename, truncate, unlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CacheManager, fileSystemSeam } from "../../../src/manager/cache-manager.js";
import type { CacheManagerOptions } from "../../../src/manager/options.js";
import { type FileSystem, nodeFileSystem } from "../../../src/storage/file-system.js";
import { Layout } from "../../../src/storage/layout.js";
import { makeTempDir } from "../../helpers/temp-dir.js";
import { newCache, observe, reattachRecord, setLastUse } from "./helpers.js";

type Damage = (layout: Layout, name: string) => Promise<void>;

/** Flips the first byte of a file in place: same size, different bytes. */
async function flipFirstByte(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, 0);
    byte[0] = (byte[0] ?? 0) ^ 0xff;
    await handle.write(byte, 0, 1, 0);
  } finally {
    await handle.close();
  }
}

/**
 * Damages an entry, then checks the whole story: `get` misses, the `corruptions` counter moves
 * by one, a `clarity-cache:corrupt` event names the entry, the damaged files are gone, and
 * `getOrCreate` regenerates.
 */
async function expectDamageHandled(
  damage: Damage,
  reason: RegExp,
  options: Omit<CacheManagerOptions, "dir"> & { recordMayStay?: boolean } = {},
): Promise<void> {
  const { recordMayStay = false, ...managerOptions } = options;
  const { cache, layout } = await newCache(managerOptions);
  await cache.put("report", "original bytes", { extension: ".pdf" });
  // Damage strikes an entry written a while ago, not one whose write is landing right now.
  await setLastUse(layout, "report.pdf", 60_000);
  await damage(layout, "report.pdf");
  const corrupt = observe("corrupt");
  const misses = observe("miss");

  expect(await cache.get("report", { extension: ".pdf" })).toBeUndefined();
  expect((await cache.stats()).corruptions).toBe(1);
  expect(corrupt).toHaveLength(1);
  expect(corrupt[0]).toMatchObject({ dir: cache.dir, key: "report", extension: ".pdf" });
  expect(corrupt[0]?.reason).toMatch(reason);
  expect(misses).toMatchObject([{ key: "report", reason: "corrupt" }]);
  expect(existsSync(layout.entryPath("report.pdf"))).toBe(false);
  if (recordMayStay && existsSync(layout.recordPath("report.pdf"))) {
    // A record that names other data may belong to a write landing now, so it may be left for
    // prune; it vouches for nothing meanwhile.
    expect(await cache.get("report", { extension: ".pdf" })).toBeUndefined();
  } else {
    expect(existsSync(layout.recordPath("report.pdf"))).toBe(false);
  }

  const entry = await cache.getOrCreateEntry("report", () => "regenerated", {
    extension: ".pdf",
  });
  expect(entry.source).toBe("generated");
  expect(await cache.get("report", { extension: ".pdf" })).toEqual(Buffer.from("regenerated"));
  expect((await cache.stats()).corruptions).toBe(1);
}

describe("damaged entries are misses, removed, counted and regenerated", () => {
  it("a truncated data file (size and mtime differ; the same file, changed in place)", async () => {
    await expectDamageHandled(
      (layout, name) => truncate(layout.entryPath(name), 3),
      /modified after it was published/,
      { recordMayStay: true },
    );
  });

  it("a truncated data file whose identity still matches the record (only the size differs)", async () => {
    await expectDamageHandled(async (layout, name) => {
      await truncate(layout.entryPath(name), 3);
      // The record vouches for this very file again, but still says 14 bytes.
      await reattachRecord(layout, name);
    }, /size differs|describes other data/);
  });

  it('same-size different bytes with verify "full"', async () => {
    await expectDamageHandled(
      async (layout, name) => {
        await flipFirstByte(layout.entryPath(name));
        // Bit rot keeps the file's identity: make the record vouch for the changed file.
        await reattachRecord(layout, name);
      },
      /SHA-256 differs/,
      { verify: "full" },
    );
  });

  it('same-size different bytes with verify "size" are served: "size" checks size and identity, not content', async () => {
    const { cache, layout } = await newCache({ verify: "size" });
    await cache.put("k", "original bytes");
    await flipFirstByte(layout.entryPath("k"));
    await reattachRecord(layout, "k");
    const served = await cache.get("k");
    expect(served?.subarray(1).toString()).toBe("riginal bytes");
    expect(served?.[0]).toBe("o".charCodeAt(0) ^ 0xff);
    expect((await cache.stats()).corruptions).toBe(0);
  });

  it("a missing record", async () => {
    await expectDamageHandled((layout, name) => unlink(layout.recordPath(name)), /no record/);
  });

  it("a garbage record", async () => {
    await expectDamageHandled(
      (layout, name) => writeFile(layout.recordPath(name), "{not json"),
      /record is unreadable/,
    );
  });

  it("a record of another format", async () => {
    await expectDamageHandled(
      (layout, name) => writeFile(layout.recordPath(name), '{"format":2}'),
      /record is unreadable/,
    );
  });

  it("data replaced by a hand-written file of the same size (identity differs), also with verify size", async () => {
    await expectDamageHandled(
      async (layout, name) => {
        const handWritten = join(layout.dir, "hand-written.tmp");
        await writeFile(handWritten, "ORIGINAL BYTES");
        await rename(handWritten, layout.entryPath(name));
      },
      /describes other data/,
      { verify: "size", recordMayStay: true },
    );
  });

  it("data rewritten in place with the same bytes: its mtime changed, so the record no longer vouches for it", async () => {
    await expectDamageHandled(
      (layout, name) => writeFile(layout.entryPath(name), "original bytes"),
      /modified after it was published/,
      { recordMayStay: true },
    );
  });
});

describe("a record without data (a writer died between its two publishes)", () => {
  it("is a miss, not a corruption; getOrCreate regenerates; prune removes it only after the grace", async () => {
    const { cache, layout } = await newCache();
    await cache.put("orphan", "bytes");
    await unlink(layout.entryPath("orphan"));
    const corrupt = observe("corrupt");
    const misses = observe("miss");
    expect(await cache.get("orphan")).toBeUndefined();
    expect(misses).toMatchObject([{ key: "orphan", reason: "absent" }]);
    expect(corrupt).toEqual([]);
    expect(await cache.has("orphan")).toBe(false);

    // Fresh: it could be a write in progress, so prune keeps it.
    expect((await cache.prune()).removedTempFiles).toBe(0);
    expect(existsSync(layout.recordPath("orphan"))).toBe(true);
    // Past the one-hour grace: a dead writer's leftover.
    const old = new Date(Date.now() - 2 * 3_600_000);
    await utimes(layout.recordPath("orphan"), old, old);
    expect((await cache.prune({ dryRun: true })).removedTempFiles).toBe(1);
    expect(existsSync(layout.recordPath("orphan"))).toBe(true);
    expect((await cache.prune()).removedTempFiles).toBe(1);
    expect(existsSync(layout.recordPath("orphan"))).toBe(false);
    expect((await cache.stats()).corruptions).toBe(0);
  });

  it("getOrCreate writes a new entry over it", async () => {
    const { cache, layout } = await newCache();
    await cache.put("orphan", "bytes");
    await unlink(layout.entryPath("orphan"));
    const entry = await cache.getOrCreateEntry("orphan", () => "fresh");
    expect(entry.source).toBe("generated");
    expect(await cache.get("orphan")).toEqual(Buffer.from("fresh"));
  });
});

describe("damaged entries seen by has, info and entries", () => {
  it("are not valid there, and are left for a read or prune to remove", async () => {
    const { cache, layout } = await newCache();
    await cache.put("bad", "bytes");
    await writeFile(layout.recordPath("bad"), "garbage");
    expect(await cache.has("bad")).toBe(false);
    expect(await cache.info("bad")).toBeUndefined();
    const names: string[] = [];
    for await (const entry of cache.entries()) names.push(entry.key);
    expect(names).toEqual([]);
    expect((await cache.stats()).entries).toBe(0);
    expect(existsSync(layout.entryPath("bad"))).toBe(true);
    const report = await cache.prune();
    expect(report).toMatchObject({ removedEntries: 1, freedBytes: 5, remainingEntries: 0 });
    expect(existsSync(layout.entryPath("bad"))).toBe(false);
    expect(existsSync(layout.recordPath("bad"))).toBe(false);
    expect((await cache.stats()).corruptions).toBe(1);
  });
});

describe("damage the read cannot see on disk (through the file-system seam)", () => {
  it("bytes read that differ in length from the file's stat are a miss", async () => {
    const dir = await makeTempDir();
    const layout = new Layout(dir);
    await new CacheManager({ dir }).put("k", "0123456789");
    const short: FileSystem = {
      ...nodeFileSystem,
      async readFileWithStat(path) {
        const read = await nodeFileSystem.readFileWithStat(path);
        return path === layout.entryPath("k") ? { ...read, data: read.data.subarray(0, 4) } : read;
      },
    };
    const cache = new CacheManager({ dir, [fileSystemSeam]: short } as CacheManagerOptions);
    const corrupt = observe("corrupt");
    expect(await cache.get("k")).toBeUndefined();
    expect(corrupt[0]?.reason).toMatch(/size differs/);
    expect((await cache.stats()).corruptions).toBe(1);
  });

  it("damage found only under the generation lock is removed, counted, and regenerated", async () => {
    const dir = await makeTempDir();
    const layout = new Layout(dir);
    await new CacheManager({ dir }).put("k", "bytes");
    await writeFile(layout.recordPath("k"), "garbage");
    let firstRead = true;
    const blind: FileSystem = {
      ...nodeFileSystem,
      async readFileWithStat(path) {
        if (firstRead && path === layout.entryPath("k")) {
          // The caller's own read sees nothing; the read under the lock sees the damage.
          firstRead = false;
          throw Object.assign(new Error("ENOENT: injected"), { code: "ENOENT" });
        }
        return nodeFileSystem.readFileWithStat(path);
      },
    };
    const cache = new CacheManager({ dir, [fileSystemSeam]: blind } as CacheManagerOptions);
    const corrupt = observe("corrupt");
    const entry = await cache.getOrCreateEntry("k", () => "regenerated");
    expect(entry.source).toBe("generated");
    expect(corrupt).toMatchObject([{ key: "k" }]);
    expect(corrupt[0]?.reason).toMatch(/unreadable/);
    expect(await cache.stats()).toMatchObject({ corruptions: 1, misses: 1, generated: 1 });
    expect(await cache.get("k")).toEqual(Buffer.from("regenerated"));
  });
});
