import { existsSync, statSync, utimesSync } from "node:fs";
import { mkdir, readdir, rmdir, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { CacheLockError } from "../../src/errors/cache-lock-error.js";
import { FileLocker } from "../../src/storage/file-lock.js";
import type { StorageLock } from "../../src/storage/storage.js";
import { makeTempDir } from "../helpers/temp-dir.js";

const staleMs = 2_000;

/** Releases `lock` when the test ends, so that no refresh timer outlives it. */
function releaseAfter(lock: StorageLock | undefined): StorageLock | undefined {
  if (lock) onTestFinished(() => lock.release());
  return lock;
}

/** Sets a path's mtime (and atime) `ageMs` into the past. */
function age(path: string, ageMs: number): void {
  const when = new Date(Date.now() - ageMs);
  utimesSync(path, when, when);
}

async function lockPathIn(): Promise<string> {
  return join(await makeTempDir(), "entry.lock");
}

describe("FileLocker", () => {
  it("takes a free lock as a directory, and reports contention as undefined", async () => {
    const path = await lockPathIn();
    const one = new FileLocker({ staleMs });
    const lock = releaseAfter(await one.tryLock(path));
    expect(lock).toBeDefined();
    expect(lock?.lost).toBe(false);
    expect(statSync(path).isDirectory()).toBe(true);
    // The same locker, and another one (another process's view), both see contention.
    expect(await one.tryLock(path)).toBeUndefined();
    expect(await new FileLocker({ staleMs }).tryLock(path)).toBeUndefined();
  });

  it("can be taken again after release, which removes the directory", async () => {
    const path = await lockPathIn();
    const locker = new FileLocker({ staleMs });
    const first = await locker.tryLock(path);
    await first?.release();
    expect(existsSync(path)).toBe(false);
    const second = releaseAfter(await new FileLocker({ staleMs }).tryLock(path));
    expect(second).toBeDefined();
    expect(existsSync(path)).toBe(true);
  });

  it("a second release is harmless", async () => {
    const path = await lockPathIn();
    const lock = await new FileLocker({ staleMs }).tryLock(path);
    await lock?.release();
    await expect(lock?.release()).resolves.toBeUndefined();
  });

  it("a holder taken over before its release leaves the successor's lock in place", async () => {
    const path = await lockPathIn();
    const lost: string[] = [];
    const holder = await new FileLocker({
      staleMs,
      onLost: (lockPath) => lost.push(lockPath),
    }).tryLock(path);
    // What a successor's takeover leaves: a new lock directory with a fresh mtime, while the
    // old holder's refresh timer has not run yet (its event loop was blocked).
    await rmdir(path);
    await mkdir(path);
    const later = new Date(Date.now() + 5_000);
    await utimes(path, later, later);
    await holder?.release();
    expect(existsSync(path)).toBe(true);
    expect(holder?.lost).toBe(true);
    expect(lost).toEqual([path]);
  });

  it("a release while a takeover holds the reclaim guard leaves the lock to the reclaimer", async () => {
    const path = await lockPathIn();
    const holder = await new FileLocker({ staleMs }).tryLock(path);
    await mkdir(`${path}.reclaim`);
    await holder?.release();
    expect(existsSync(path)).toBe(true);
    expect(holder?.lost).toBe(true);
    // The releaser never removes a guard it did not make.
    expect(existsSync(`${path}.reclaim`)).toBe(true);
  });

  it("a holder whose event loop was blocked past staleMs stops refreshing and reports the lock lost", async () => {
    const path = await lockPathIn();
    const lost: string[] = [];
    const holder = await new FileLocker({ staleMs: 2_000, onLost: (p) => lost.push(p) }).tryLock(
      path,
    );
    const mtimeBefore = statSync(path).mtimeMs;
    // Block the event loop past staleMs: the refresh timer (due after staleMs / 2) runs late.
    const until = Date.now() + 2_200;
    while (Date.now() < until) {
      // busy: a frozen holder
    }
    for (let waited = 0; lost.length === 0 && waited < 3_000; waited += 20) await sleep(20);
    expect(lost).toEqual([path]);
    expect(holder?.lost).toBe(true);
    // It did not refresh a directory that a successor may own by now.
    expect(statSync(path).mtimeMs).toBe(mtimeBefore);
    await holder?.release();
  });

  it("withMutex runs one critical section at a time and removes the mutex after", async () => {
    const path = await lockPathIn();
    const locker = new FileLocker({ staleMs });
    let inside = 0;
    let most = 0;
    const critical = async () => {
      inside++;
      most = Math.max(most, inside);
      await sleep(5);
      inside--;
    };
    await Promise.all(Array.from({ length: 5 }, () => locker.withMutex(path, critical)));
    expect(most).toBe(1);
    expect(existsSync(path)).toBe(false);
  });

  it("withMutex takes over a mutex a dead writer left, once it is older than staleMs", async () => {
    const path = await lockPathIn();
    await mkdir(path);
    const past = new Date(Date.now() - 3 * staleMs);
    utimesSync(path, past, past);
    let ran = false;
    await new FileLocker({ staleMs }).withMutex(path, () => {
      ran = true;
      return Promise.resolve();
    });
    expect(ran).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it("withMutex rejects with CacheLockError when the mutex cannot be made", async () => {
    const root = await makeTempDir();
    await writeFile(join(root, "file"), "x");
    const error: unknown = await new FileLocker({ staleMs })
      .withMutex(join(root, "file", "m"), () => Promise.resolve())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheLockError);
    expect((error as CacheLockError).code).toBe("CACHE_LOCK_FAILED");
  });

  it("a release that cannot remove the lock rejects with CacheLockError and its cause", async () => {
    const path = await lockPathIn();
    const lock = await new FileLocker({ staleMs }).tryLock(path);
    const { atime, mtime } = await stat(path);
    await writeFile(join(path, "intruder"), "x");
    // Put the holder's mtime back: a changed mtime would mean "taken over", not "cannot remove".
    await utimes(path, atime, mtime);
    const error: unknown = await lock?.release().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheLockError);
    expect((error as CacheLockError).code).toBe("CACHE_LOCK_FAILED");
    expect(((error as CacheLockError).cause as NodeJS.ErrnoException).code).toBe("ENOTEMPTY");
  });

  it("a lock whose parent is a file rejects with CacheLockError (CACHE_LOCK_FAILED) and its cause", async () => {
    const root = await makeTempDir();
    const parent = join(root, "locks");
    await writeFile(parent, "a file");
    const error: unknown = await new FileLocker({ staleMs })
      .tryLock(join(parent, "entry.lock"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheLockError);
    expect((error as CacheLockError).code).toBe("CACHE_LOCK_FAILED");
    expect(((error as CacheLockError).cause as NodeJS.ErrnoException).code).toBe("ENOTDIR");
  });

  it("a lock in a missing folder rejects with CacheLockError", async () => {
    const root = await makeTempDir();
    const error: unknown = await new FileLocker({ staleMs })
      .tryLock(join(root, "missing", "entry.lock"))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheLockError);
    expect(((error as CacheLockError).cause as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("takes over a stale lock directory (a dead holder's) and refreshes it", async () => {
    const path = await lockPathIn();
    await mkdir(path);
    age(path, staleMs + 5_000);
    const lock = releaseAfter(await new FileLocker({ staleMs }).tryLock(path));
    expect(lock).toBeDefined();
    expect(statSync(path).mtimeMs).toBeGreaterThan(Date.now() - staleMs);
    expect(existsSync(`${path}.reclaim`)).toBe(false);
  });

  it("does not take over a lock directory younger than staleMs", async () => {
    const path = await lockPathIn();
    await mkdir(path);
    age(path, staleMs - 1_000);
    expect(await new FileLocker({ staleMs }).tryLock(path)).toBeUndefined();
    expect(existsSync(path)).toBe(true);
  });

  it("clears a leftover stale reclaim guard, reporting contention meanwhile; the next try takes over", async () => {
    const path = await lockPathIn();
    const guard = `${path}.reclaim`;
    await mkdir(path);
    await mkdir(guard);
    age(path, staleMs + 5_000);
    age(guard, staleMs + 5_000);
    const locker = new FileLocker({ staleMs });
    expect(await locker.tryLock(path)).toBeUndefined();
    expect(existsSync(guard)).toBe(false);
    expect(releaseAfter(await locker.tryLock(path))).toBeDefined();
  });

  it("a fresh reclaim guard (a reclaim in progress) makes the attempt report contention", async () => {
    const path = await lockPathIn();
    const guard = `${path}.reclaim`;
    await mkdir(path);
    await mkdir(guard);
    age(path, staleMs + 5_000);
    const locker = new FileLocker({ staleMs });
    expect(await locker.tryLock(path)).toBeUndefined();
    expect(await locker.tryLock(path)).toBeUndefined();
    expect(existsSync(path)).toBe(true);
    expect(existsSync(guard)).toBe(true);
    // Once the reclaimer is done (its guard gone), the stale lock is taken over.
    await rmdir(guard);
    expect(releaseAfter(await locker.tryLock(path))).toBeDefined();
  });

  it("a stale lock whose reclaim guard cannot be created rejects with CacheLockError, not contention", async () => {
    // The guard's name is the lock's plus ".reclaim": past 255 bytes it cannot exist (ENAMETOOLONG).
    const path = join(await makeTempDir(), `${"x".repeat(245)}.lock`);
    await mkdir(path);
    age(path, staleMs + 5_000);
    const error: unknown = await new FileLocker({ staleMs }).tryLock(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheLockError);
    expect(((error as CacheLockError).cause as NodeJS.ErrnoException).code).toBe("ENAMETOOLONG");
    expect(existsSync(path)).toBe(true);
  });

  it("a stale lock that cannot be removed rejects with CacheLockError and drops its guard", async () => {
    const path = await lockPathIn();
    await mkdir(path);
    await writeFile(join(path, "intruder"), "x");
    age(path, staleMs + 5_000);
    const error: unknown = await new FileLocker({ staleMs }).tryLock(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheLockError);
    expect(((error as CacheLockError).cause as NodeJS.ErrnoException).code).toBe("ENOTEMPTY");
    expect(existsSync(`${path}.reclaim`)).toBe(false);
  });

  it("exactly one of several lockers racing for a stale lock wins", async () => {
    const root = await makeTempDir();
    for (let round = 0; round < 20; round++) {
      const path = join(root, `entry-${round}.lock`);
      await mkdir(path);
      age(path, staleMs + 5_000);
      const lockers = Array.from({ length: 4 }, () => new FileLocker({ staleMs }));
      const locks = await Promise.all(lockers.map((locker) => locker.tryLock(path)));
      const winners = locks.filter((lock) => lock !== undefined);
      expect(winners).toHaveLength(1);
      await winners[0]?.release();
      expect(existsSync(`${path}.reclaim`)).toBe(false);
    }
  });

  it("a lost lock is reported to onLost, never thrown, and its release resolves", async () => {
    const path = await lockPathIn();
    const lost: [string, Error][] = [];
    const locker = new FileLocker({
      staleMs,
      onLost: (lockPath, error) => lost.push([lockPath, error]),
    });
    const lock = await locker.tryLock(path);
    expect(lock).toBeDefined();
    // Someone removes the lock directory: the next refresh (every staleMs / 2) finds it gone.
    await rmdir(path);
    for (let i = 0; i < 60 && lost.length === 0; i++) await sleep(50);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.[0]).toBe(path);
    expect(lost[0]?.[1]).toBeInstanceOf(Error);
    expect(lock?.lost).toBe(true);
    await expect(lock?.release()).resolves.toBeUndefined();
  });

  it("a lost lock without onLost does not crash", async () => {
    const path = await lockPathIn();
    const lock = await new FileLocker({ staleMs }).tryLock(path);
    await rmdir(path);
    for (let i = 0; i < 60 && lock?.lost !== true; i++) await sleep(50);
    expect(lock?.lost).toBe(true);
    await expect(lock?.release()).resolves.toBeUndefined();
  });

  it("warmUp leaves no scratch lock behind", async () => {
    const root = await makeTempDir();
    const locker = new FileLocker({ staleMs });
    await locker.warmUp(join(root, ".warm-up"));
    expect(await readdir(root)).toEqual([]);
    const lock = releaseAfter(await locker.tryLock(join(root, "entry.lock")));
    expect(lock).toBeDefined();
    // After the warm-up, a new lock's mtime is not in the future.
    expect(statSync(join(root, "entry.lock")).mtimeMs).toBeLessThanOrEqual(Date.now() + 5);
  });
});
