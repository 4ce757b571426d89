import { rmdir } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { FileStorage } from "../../src/storage/file-storage.js";
import { Layout } from "../../src/storage/layout.js";
import { makeTempDir } from "../helpers/temp-dir.js";

describe("FileStorage", () => {
  it("tryLock gives one holder at a time and reports contention as undefined", async () => {
    const dir = await makeTempDir();
    const storage = new FileStorage({ dir, staleLockMs: 2_000 });
    const lock = await storage.tryLock("key.pdf");
    expect(lock).toBeDefined();
    if (lock) onTestFinished(() => lock.release());
    expect(await storage.tryLock("key.pdf")).toBeUndefined();
    expect(await new FileStorage({ dir, staleLockMs: 2_000 }).tryLock("key.pdf")).toBeUndefined();
    const other = await storage.tryLock("key");
    expect(other).toBeDefined();
    await other?.release();
  });

  it("reports a lost lock to onLockLost", async () => {
    const dir = await makeTempDir();
    const lost: string[] = [];
    const storage = new FileStorage({
      dir,
      staleLockMs: 2_000,
      onLockLost: (lockPath) => lost.push(lockPath),
    });
    const lock = await storage.tryLock("key");
    const lockPath = new Layout(dir).lockPath("key");
    await rmdir(lockPath);
    for (let i = 0; i < 60 && lost.length === 0; i++) await sleep(50);
    expect(lost).toEqual([lockPath]);
    expect(lock?.lost).toBe(true);
    await expect(lock?.release()).resolves.toBeUndefined();
  });
});
