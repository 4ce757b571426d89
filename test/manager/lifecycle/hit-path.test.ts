import { describe, expect, it } from "vitest";
import { isCacheError } from "../../../src/errors/cache-error.js";
import { CacheManager, fileSystemSeam } from "../../../src/manager/cache-manager.js";
import type { CacheManagerOptions } from "../../../src/manager/options.js";
import { type FileSystem, nodeFileSystem } from "../../../src/storage/file-system.js";
import { makeTempDir } from "../../helpers/temp-dir.js";

/** A manager whose file system counts the uses it records, and can fail the record's read. */
async function instrumented(): Promise<{
  cache: CacheManager;
  touches: string[];
  failRecordReads: (error: Error | undefined) => void;
}> {
  const touches: string[] = [];
  let recordReadError: Error | undefined;
  const fileSystem: FileSystem = {
    ...nodeFileSystem,
    utimes: (path, time) => {
      touches.push(path);
      return nodeFileSystem.utimes(path, time);
    },
    readSmallFileSync: (path) => {
      if (recordReadError !== undefined) throw recordReadError;
      return nodeFileSystem.readSmallFileSync(path);
    },
  };
  const dir = await makeTempDir();
  const cache = new CacheManager({ dir, [fileSystemSeam]: fileSystem } as CacheManagerOptions);
  return {
    cache,
    touches,
    failRecordReads: (error) => {
      recordReadError = error;
    },
  };
}

describe("a hit", () => {
  it("records a use of an entry at most once a second per process", async () => {
    const { cache, touches } = await instrumented();
    await cache.put("a", "1");
    await cache.put("b", "2");
    for (let i = 0; i < 5; i++) await cache.get("a");
    await cache.getOrCreate("a", () => "never");
    await cache.get("b");
    // Wait for the uses to land (a scan waits for them).
    await cache.stats();
    expect(touches.filter((path) => path.endsWith("a"))).toHaveLength(1);
    expect(touches.filter((path) => path.endsWith("b"))).toHaveLength(1);
    expect((await cache.stats()).hits).toBe(7);
  });

  it("rejects with CacheIOError when the record cannot be read, and the manager stays usable", async () => {
    const { cache, failRecordReads } = await instrumented();
    await cache.put("a", "1");
    const injected = Object.assign(new Error("i/o error"), { code: "EIO" });
    failRecordReads(injected);
    const error: unknown = await cache.get("a").catch((e: unknown) => e);
    expect(isCacheError(error, "CACHE_IO")).toBe(true);
    expect((error as Error).cause).toBe(injected);
    failRecordReads(undefined);
    expect(await cache.get("a")).toEqual(Buffer.from("1"));
  });
});
