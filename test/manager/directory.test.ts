import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { CacheManager } from "../../src/manager/cache-manager.js";
import { makeTempDir } from "../helpers/temp-dir.js";

/** Runs the test from `dir` as the working directory, restoring it afterwards. */
function chdirForTest(dir: string): void {
  const cwd = process.cwd();
  process.chdir(dir);
  onTestFinished(() => {
    process.chdir(cwd);
  });
}

describe("the cache directory", () => {
  it("defaults to $CLARITY_CACHE_DIR", async () => {
    const root = await makeTempDir();
    const dir = join(root, "from-env");
    vi.stubEnv("CLARITY_CACHE_DIR", dir);
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
    const cache = new CacheManager();
    expect(cache.dir).toBe(dir);
    await cache.put("key", "x");
    expect(existsSync(join(dir, "key"))).toBe(true);
    expect(new CacheManager({}).dir).toBe(dir);
  });

  it("defaults to <cwd>/.clarity_cache without $CLARITY_CACHE_DIR", async () => {
    const root = await makeTempDir();
    chdirForTest(root);
    vi.stubEnv("CLARITY_CACHE_DIR", undefined);
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
    const cache = new CacheManager();
    expect(cache.dir).toBe(join(process.cwd(), ".clarity_cache"));
    await cache.put("key", "x");
    expect(await readdir(root)).toEqual([".clarity_cache"]);
    expect(existsSync(join(root, ".clarity_cache", "key"))).toBe(true);
  });

  it("an empty $CLARITY_CACHE_DIR counts as unset (as XDG does), not as an invalid dir option", async () => {
    const root = await makeTempDir();
    chdirForTest(root);
    vi.stubEnv("CLARITY_CACHE_DIR", "");
    onTestFinished(() => {
      vi.unstubAllEnvs();
    });
    expect(new CacheManager().dir).toBe(join(process.cwd(), ".clarity_cache"));
  });

  it("is absolute, a relative dir resolved against the working directory", async () => {
    const root = await makeTempDir();
    chdirForTest(root);
    const cache = new CacheManager({ dir: "some/rel/../cache" });
    expect(isAbsolute(cache.dir)).toBe(true);
    expect(cache.dir).toBe(join(process.cwd(), "some", "cache"));
    expect(cache.pathFor("key", { extension: ".pdf" })).toBe(join(cache.dir, "key.pdf"));
  });

  it("is not created by the constructor nor by reads, and is created by the first write", async () => {
    const root = await makeTempDir();
    const dir = join(root, "deep", "cache");
    const cache = new CacheManager({ dir });
    expect(cache.pathFor("key")).toBe(join(dir, "key"));
    expect(await cache.get("key")).toBeUndefined();
    expect(await cache.has("key")).toBe(false);
    expect(await cache.delete("key")).toBe(false);
    expect(await cache.clear()).toBe(0);
    expect(await readdir(root)).toEqual([]);

    await cache.put("key", "x");
    expect(existsSync(join(dir, "key"))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual([".clarity-cache", "key"]);
  });

  it("is created by getOrCreate on a miss", async () => {
    const root = await makeTempDir();
    const dir = join(root, "cache");
    const cache = new CacheManager({ dir });
    expect(await cache.getOrCreate("key", () => "x")).toEqual(Buffer.from("x"));
    expect(existsSync(join(dir, "key"))).toBe(true);
  });
});
