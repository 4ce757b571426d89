import { existsSync } from "node:fs";
import { mkdir, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileStorage } from "../../src/storage/file-storage.js";
import { Layout } from "../../src/storage/layout.js";
import { makeTempDir } from "../helpers/temp-dir.js";
import { plantEntries } from "../manager/lifecycle/helpers.js";

const hour = 3_600_000;

async function setup() {
  const dir = await makeTempDir();
  return { dir, layout: new Layout(dir), storage: new FileStorage({ dir, staleLockMs: 2_000 }) };
}

async function age(path: string, msAgo: number): Promise<void> {
  const at = new Date(Date.now() - msAgo);
  await utimes(path, at, at);
}

const write = (storage: FileStorage, name: string, data: string, expiresAt?: number) =>
  storage.write(name, Buffer.from(data), { createdAt: Date.now(), expiresAt, metadata: {} });

describe("FileStorage.scan", () => {
  it("tells valid, expired and damaged entries apart", async () => {
    const { storage, layout } = await setup();
    await write(storage, "valid.pdf", "1");
    await write(storage, "expired", "22", Date.now() - 1);
    await write(storage, "damaged", "333");
    await writeFile(layout.recordPath("damaged"), "garbage");
    const result = await storage.scan(Date.now());
    expect(result.valid.map((entry) => entry.name)).toEqual(["valid.pdf"]);
    expect(result.expired.map((entry) => entry.name)).toEqual(["expired"]);
    expect(result.damaged).toHaveLength(1);
    expect(result.damaged[0]).toMatchObject({
      reason: "the entry's record is unreadable",
      observed: { name: "damaged", size: 3, recordText: "garbage" },
    });
  });

  it("gives each entry its last use from its record's mtime, and 'now' decides expiry", async () => {
    const { storage, layout } = await setup();
    const expiresAt = Date.now() + hour;
    await write(storage, "k", "x", expiresAt);
    await age(layout.recordPath("k"), hour);
    const { valid } = await storage.scan(Date.now());
    expect(valid[0]?.lastAccessAt).toBeLessThan(Date.now() - hour / 2);
    expect((await storage.scan(expiresAt)).expired.map((entry) => entry.name)).toEqual(["k"]);
    expect((await storage.scan(expiresAt - 1)).valid.map((entry) => entry.name)).toEqual(["k"]);
  });

  it("ignores files no entry can be named, folders, and internal files", async () => {
    const { storage, layout } = await setup();
    await write(storage, "real", "x");
    for (const name of ["UPPER", "x.123", ".hidden", "k.toolongextension123", "con"]) {
      await writeFile(join(layout.dir, name), "x");
    }
    await mkdir(join(layout.dir, "folder"));
    const result = await storage.scan(Date.now());
    expect(result.valid.map((entry) => entry.name)).toEqual(["real"]);
    expect(result.expired).toEqual([]);
    expect(result.damaged).toEqual([]);
  });

  it("finds nothing in a directory that does not exist", async () => {
    const dir = join(await makeTempDir(), "absent");
    const storage = new FileStorage({ dir, staleLockMs: 2_000 });
    expect(await storage.scan(Date.now())).toEqual({ valid: [], expired: [], damaged: [] });
  });

  it("scans more entries than one slice, each once", async () => {
    const { storage, layout } = await setup();
    await plantEntries(layout, 300);
    const { valid } = await storage.scan(Date.now());
    expect(new Set(valid.map((entry) => entry.name)).size).toBe(300);
  });

  it("rejects with CacheIOError when the directory cannot be listed (a file in its place)", async () => {
    const dir = join(await makeTempDir(), "file");
    await writeFile(dir, "not a directory");
    const storage = new FileStorage({ dir, staleLockMs: 2_000 });
    await expect(storage.scan(Date.now())).rejects.toMatchObject({
      code: "CACHE_IO",
      cause: { code: "ENOTDIR" },
    });
  });

  it("rejects with CacheIOError when a record cannot be read (a folder, or the records folder is a file)", async () => {
    const { storage, layout } = await setup();
    await write(storage, "k", "x");
    await rm(layout.recordPath("k"));
    await mkdir(layout.recordPath("k"));
    await expect(storage.scan(Date.now())).rejects.toMatchObject({
      code: "CACHE_IO",
      cause: { code: "EISDIR" },
    });
    await rm(layout.recordsDir, { recursive: true });
    await writeFile(layout.recordsDir, "not a directory");
    await expect(storage.scan(Date.now())).rejects.toMatchObject({
      code: "CACHE_IO",
      cause: { code: "ENOTDIR" },
    });
  });
});

describe("FileStorage.sweep", () => {
  const sweepOptions = (dryRun = false) => ({
    tempGraceMs: hour,
    lockGraceMs: 4_000,
    now: Date.now(),
    dryRun,
  });

  it("removes old staging files and records without data; keeps young ones, folders, and live records", async () => {
    const { storage, layout } = await setup();
    await write(storage, "live", "x");
    await age(layout.recordPath("live"), 2 * hour);
    const oldStaged = join(layout.stagingDir, "old");
    const youngStaged = join(layout.stagingDir, "young");
    const orphan = layout.recordPath("orphan");
    const youngOrphan = layout.recordPath("young-orphan");
    for (const path of [oldStaged, youngStaged, orphan, youngOrphan]) await writeFile(path, "x");
    await mkdir(join(layout.stagingDir, "folder"));
    await age(join(layout.stagingDir, "folder"), 2 * hour);
    await age(oldStaged, 2 * hour);
    await age(orphan, 2 * hour);

    expect(await storage.sweep(sweepOptions(true))).toEqual({
      removedTempFiles: 2,
      removedLocks: 0,
    });
    expect(existsSync(oldStaged) && existsSync(orphan)).toBe(true);
    expect(await storage.sweep(sweepOptions())).toEqual({ removedTempFiles: 2, removedLocks: 0 });
    expect(existsSync(oldStaged)).toBe(false);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(youngStaged)).toBe(true);
    expect(existsSync(youngOrphan)).toBe(true);
    expect(existsSync(layout.recordPath("live"))).toBe(true);
    expect(existsSync(join(layout.stagingDir, "folder"))).toBe(true);
  });

  it("removes dead locks and dead reclaim guards past the lock grace; keeps live and younger ones", async () => {
    const { storage, layout, dir } = await setup();
    const live = await new FileStorage({ dir, staleLockMs: 2_000 }).tryLock("live");
    await age(layout.lockPath("live"), 1_000);
    const dead = layout.lockPath("dead");
    const guard = `${layout.lockPath("x")}.reclaim`;
    const young = layout.lockPath("young");
    for (const path of [dead, guard, young]) await mkdir(path, { recursive: true });
    await age(dead, 10_000);
    await age(guard, 10_000);
    await age(young, 3_000);

    expect(await storage.sweep(sweepOptions(true))).toEqual({
      removedTempFiles: 0,
      removedLocks: 2,
    });
    expect(existsSync(dead) && existsSync(guard)).toBe(true);
    expect(await storage.sweep(sweepOptions())).toEqual({ removedTempFiles: 0, removedLocks: 2 });
    expect((await readdir(layout.locksDir)).sort()).toEqual(["live.lock", "young.lock"]);
    expect(live?.lost).toBe(false);
    await live?.release();
  });

  it("does not count a dead lock that a reclaimer is already removing", async () => {
    const { storage, layout } = await setup();
    const dead = layout.lockPath("dead");
    await mkdir(dead, { recursive: true });
    await mkdir(`${dead}.reclaim`);
    await age(dead, 10_000);
    // The guard is fresh: another reclaimer is at work, so this sweep leaves both alone.
    expect((await storage.sweep(sweepOptions())).removedLocks).toBe(0);
    expect(existsSync(dead)).toBe(true);
  });

  it("rejects with CacheLockError when a dead lock cannot be removed (a file where its folder should be)", async () => {
    const { storage, layout } = await setup();
    await mkdir(layout.locksDir, { recursive: true });
    const bogus = layout.lockPath("file");
    await writeFile(bogus, "not a lock directory");
    await age(bogus, 10_000);
    await expect(storage.sweep(sweepOptions())).rejects.toMatchObject({
      code: "CACHE_LOCK_FAILED",
    });
  });

  it("finds nothing in a directory that does not exist", async () => {
    const dir = join(await makeTempDir(), "absent");
    const storage = new FileStorage({ dir, staleLockMs: 2_000 });
    expect(await storage.sweep(sweepOptions())).toEqual({ removedTempFiles: 0, removedLocks: 0 });
  });

  it("rejects with CacheIOError when an internal folder cannot be listed", async () => {
    const { storage, layout } = await setup();
    await mkdir(layout.internalDir, { recursive: true });
    await writeFile(layout.stagingDir, "not a directory");
    await expect(storage.sweep(sweepOptions())).rejects.toMatchObject({
      code: "CACHE_IO",
      cause: { code: "ENOTDIR" },
    });
  });
});
