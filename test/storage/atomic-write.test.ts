import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CacheIOError } from "../../src/errors/cache-io-error.js";
import { writeAtomically } from "../../src/storage/atomic-write.js";
import { nodeFileSystem, type FileSystem } from "../../src/storage/file-system.js";
import { makeTempDir } from "../helpers/temp-dir.js";

async function setUp(): Promise<{ staging: string; target: string; dir: string }> {
  const dir = await makeTempDir();
  const staging = join(dir, ".staging");
  await mkdir(staging);
  return { dir, staging, target: join(dir, "entry.bin") };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

function injected(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`injected ${code}`), { code });
}

/** A win32 file system whose every rename fails with `cause`, counting the attempts. */
function renamesAlwaysFailing(cause: Error): { fs: FileSystem; renames: () => number } {
  let renames = 0;
  const fs: FileSystem = {
    ...nodeFileSystem,
    platform: "win32",
    rename: () => {
      renames++;
      return Promise.reject(cause);
    },
  };
  return { fs, renames: () => renames };
}

describe("writeAtomically", () => {
  it("writes exactly the bytes and leaves the staging folder empty", async () => {
    const { staging, target } = await setUp();
    const data = new Uint8Array([1, 2, 3, 4, 5, 6]).subarray(1, 4);
    await writeAtomically(nodeFileSystem, staging, target, data);
    expect([...(await readFile(target))]).toEqual([2, 3, 4]);
    expect(await readdir(staging)).toEqual([]);
  });

  it("replaces an existing file whole, and writes an empty file", async () => {
    const { staging, target } = await setUp();
    await writeFile(target, "old content, longer than the new");
    await writeAtomically(nodeFileSystem, staging, target, Buffer.from("new"));
    expect(await readFile(target, "utf8")).toBe("new");
    await writeAtomically(nodeFileSystem, staging, target, new Uint8Array(0));
    expect(await readFile(target)).toEqual(Buffer.alloc(0));
  });

  it("stages under a name that starts with the target's name and ends in a unique suffix", async () => {
    const { staging, target } = await setUp();
    const seen: string[] = [];
    const fs: FileSystem = {
      ...nodeFileSystem,
      writeFileAtomic: (path, data) => {
        seen.push(path);
        return nodeFileSystem.writeFileAtomic(path, data);
      },
    };
    await writeAtomically(fs, staging, target, Buffer.from("a"));
    await writeAtomically(fs, staging, target, Buffer.from("b"));
    expect(seen).toHaveLength(2);
    for (const path of seen) expect(path.startsWith(join(staging, "entry.bin."))).toBe(true);
    expect(seen[0]).not.toBe(seen[1]);
  });

  it("a writeFileAtomic failure rejects with CacheIOError and removes the staging file", async () => {
    const { staging, target } = await setUp();
    const cause = injected("ENOSPC");
    const fs: FileSystem = {
      ...nodeFileSystem,
      async writeFileAtomic(path) {
        await writeFile(path, "partial");
        throw cause;
      },
    };
    const error = await rejection(writeAtomically(fs, staging, target, Buffer.from("data")));
    expect(error).toBeInstanceOf(CacheIOError);
    expect((error as CacheIOError).cause).toBe(cause);
    expect((error as CacheIOError).message).toContain("ENOSPC");
    expect(await readdir(staging)).toEqual([]);
    expect(existsSync(target)).toBe(false);
  });

  it("a failure without an error code is wrapped too, its message naming no code", async () => {
    const { staging, target } = await setUp();
    const cause = new Error("no code here");
    const fs: FileSystem = { ...nodeFileSystem, writeFileAtomic: () => Promise.reject(cause) };
    const error = await rejection(writeAtomically(fs, staging, target, Buffer.from("x")));
    expect(error).toBeInstanceOf(CacheIOError);
    expect((error as CacheIOError).cause).toBe(cause);
    expect((error as CacheIOError).message).not.toMatch(/\(\w+\)$/);
    const nullFs: FileSystem = {
      ...nodeFileSystem,
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- a misbehaving fs
      writeFileAtomic: () => Promise.reject(null),
    };
    const nullError = await rejection(writeAtomically(nullFs, staging, target, Buffer.from("x")));
    expect(nullError).toBeInstanceOf(CacheIOError);
    expect((nullError as CacheIOError).cause).toBeNull();
  });

  it("a short write is detected, the old target kept, and the staging file removed", async () => {
    const { staging, target } = await setUp();
    await writeFile(target, "previous");
    const fs: FileSystem = {
      ...nodeFileSystem,
      writeFileAtomic: (path, data) => nodeFileSystem.writeFileAtomic(path, data.subarray(0, 3)),
    };
    const error = await rejection(writeAtomically(fs, staging, target, Buffer.from("12345")));
    expect(error).toBeInstanceOf(CacheIOError);
    expect(((error as CacheIOError).cause as NodeJS.ErrnoException).code).toBe("ESHORTWRITE");
    expect(await readFile(target, "utf8")).toBe("previous");
    expect(await readdir(staging)).toEqual([]);
  });

  it("a non-transient rename failure is not retried", async () => {
    const { staging, target } = await setUp();
    const cause = injected("EXDEV");
    const { fs, renames } = renamesAlwaysFailing(cause);
    const error = await rejection(writeAtomically(fs, staging, target, Buffer.from("x")));
    expect((error as CacheIOError).cause).toBe(cause);
    expect(renames()).toBe(1);
    expect(await readdir(staging)).toEqual([]);
  });

  it.each(["EPERM", "EBUSY", "EACCES"])(
    "on win32, rename %s is retried until it succeeds",
    async (code) => {
      const { staging, target } = await setUp();
      let renames = 0;
      const fs: FileSystem = {
        ...nodeFileSystem,
        platform: "win32",
        rename: (from, to) => {
          renames++;
          return renames <= 3 ? Promise.reject(injected(code)) : nodeFileSystem.rename(from, to);
        },
      };
      await writeAtomically(fs, staging, target, Buffer.from("retried"));
      expect(renames).toBe(4);
      expect(await readFile(target, "utf8")).toBe("retried");
    },
  );

  it("on win32, a rename that keeps failing gives up after a bounded number of tries", async () => {
    const { staging, target } = await setUp();
    const cause = injected("EPERM");
    const { fs, renames } = renamesAlwaysFailing(cause);
    const error = await rejection(writeAtomically(fs, staging, target, Buffer.from("x")));
    expect((error as CacheIOError).cause).toBe(cause);
    expect(renames()).toBe(9);
    expect(await readdir(staging)).toEqual([]);
  });

  it("a failing directory fsync rejects with CacheIOError after the publish", async () => {
    const { staging, target, dir } = await setUp();
    const cause = injected("EIO");
    const synced: string[] = [];
    const fs: FileSystem = {
      ...nodeFileSystem,
      syncDirectory: (path) => {
        synced.push(path);
        return Promise.reject(cause);
      },
    };
    const error = await rejection(writeAtomically(fs, staging, target, Buffer.from("x")));
    expect((error as CacheIOError).cause).toBe(cause);
    expect(synced).toEqual([dir]);
    expect(await readdir(staging)).toEqual([]);
  });

  it("nodeFileSystem.syncDirectory fsyncs a real directory, and skips it on win32", async () => {
    const { dir } = await setUp();
    await expect(nodeFileSystem.syncDirectory(dir)).resolves.toBeUndefined();
    await expect(nodeFileSystem.syncDirectory(join(dir, "missing"))).rejects.toMatchObject({
      code: "ENOENT",
    });
    const windows: FileSystem = { ...nodeFileSystem, platform: "win32" };
    await expect(windows.syncDirectory(join(dir, "missing"))).resolves.toBeUndefined();
  });
});
