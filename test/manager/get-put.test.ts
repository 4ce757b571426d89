import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CacheManager } from "../../src/manager/cache-manager.js";
import { makeTempDir } from "../helpers/temp-dir.js";

async function newCache(): Promise<CacheManager> {
  return new CacheManager({ dir: await makeTempDir() });
}

describe("pathFor", () => {
  it("is the key and extension inside dir, whether or not the entry exists", async () => {
    const cache = await newCache();
    expect(cache.pathFor("abc")).toBe(join(cache.dir, "abc"));
    expect(cache.pathFor("abc", { extension: ".pdf" })).toBe(join(cache.dir, "abc.pdf"));
  });
});

describe("put and get", () => {
  it("stores a string as UTF-8, and the file at pathFor holds exactly those bytes", async () => {
    const cache = await newCache();
    const text = "héllo € 😀\n\u0000end";
    const path = await cache.put("text", text);
    expect(path).toBe(cache.pathFor("text"));
    const expected = Buffer.from(text, "utf8");
    expect(await readFile(path)).toEqual(expected);
    const read = await cache.get("text");
    expect(Buffer.isBuffer(read)).toBe(true);
    expect(read).toEqual(expected);
  });

  it("stores a Buffer", async () => {
    const cache = await newCache();
    const data = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    const path = await cache.put("buf", data, { extension: ".bin" });
    expect(await readFile(path)).toEqual(data);
    expect(await cache.get("buf", { extension: ".bin" })).toEqual(data);
  });

  it("stores only the viewed bytes of a Uint8Array subarray with an offset", async () => {
    const cache = await newCache();
    const backing = new Uint8Array(64).map((_, i) => i);
    const view = backing.subarray(10, 20);
    const path = await cache.put("view", view);
    const stored = await readFile(path);
    expect(stored.length).toBe(10);
    expect([...stored]).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(backing[10]).toBe(10);
  });

  it("stores an empty entry, which is an entry", async () => {
    const cache = await newCache();
    await cache.put("empty", "");
    expect(await cache.get("empty")).toEqual(Buffer.alloc(0));
    expect(await cache.has("empty")).toBe(true);
  });

  it("stores a large entry whole", async () => {
    const cache = await newCache();
    const data = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a);
    await cache.put("large", data);
    expect((await cache.get("large"))?.equals(data)).toBe(true);
  });

  it("replaces an existing entry", async () => {
    const cache = await newCache();
    await cache.put("key", "first, and longer");
    await cache.put("key", "second");
    expect((await cache.get("key"))?.toString()).toBe("second");
    expect(await readFile(cache.pathFor("key"), "utf8")).toBe("second");
  });

  it("returns undefined for a missing entry", async () => {
    const cache = await newCache();
    expect(await cache.get("missing")).toBeUndefined();
    await cache.put("other", "x");
    expect(await cache.get("missing")).toBeUndefined();
  });

  it("does not serve a file placed at pathFor by hand: it has no record, so it is a miss and removed", async () => {
    const cache = await newCache();
    const path = cache.pathFor("outside", { extension: ".txt" });
    await writeFile(path, "by hand");
    expect(await cache.get("outside", { extension: ".txt" })).toBeUndefined();
    expect(existsSync(path)).toBe(false);
    expect((await cache.stats()).corruptions).toBe(1);
  });

  it("leaves no staging file behind", async () => {
    const cache = await newCache();
    await cache.put("a", "1");
    await cache.put("b", "2", { extension: ".pdf" });
    expect(await readdir(join(cache.dir, ".clarity-cache", "tmp"))).toEqual([]);
    expect((await readdir(cache.dir)).sort()).toEqual([".clarity-cache", "a", "b.pdf"]);
  });

  it("distinguishes entries by extension", async () => {
    const cache = await newCache();
    await cache.put("a", "plain");
    await cache.put("a", "pdf", { extension: ".pdf" });
    expect((await cache.get("a"))?.toString()).toBe("plain");
    expect((await cache.get("a", { extension: ".pdf" }))?.toString()).toBe("pdf");
    expect(await cache.get("a", { extension: ".png" })).toBeUndefined();
    expect(await cache.delete("a", { extension: ".pdf" })).toBe(true);
    expect((await cache.get("a"))?.toString()).toBe("plain");
    expect(await cache.has("a", { extension: ".pdf" })).toBe(false);
  });

  it("two managers on one directory see each other's entries", async () => {
    const dir = await makeTempDir();
    const one = new CacheManager({ dir });
    const two = new CacheManager({ dir });
    await one.put("shared", "x");
    expect((await two.get("shared"))?.toString()).toBe("x");
  });
});

describe("has and delete", () => {
  it("has is true only for an existing entry file", async () => {
    const cache = await newCache();
    expect(await cache.has("key")).toBe(false);
    await cache.put("key", "x");
    expect(await cache.has("key")).toBe(true);
    expect(await cache.has("key", { extension: ".pdf" })).toBe(false);
  });

  it("has is false for a directory at the entry's path", async () => {
    const cache = await newCache();
    await mkdir(join(cache.dir, "folder"));
    expect(await cache.has("folder")).toBe(false);
  });

  it("delete removes the entry and says so, then says false", async () => {
    const cache = await newCache();
    await cache.put("key", "x");
    expect(await cache.delete("key")).toBe(true);
    expect(await cache.has("key")).toBe(false);
    expect(await cache.get("key")).toBeUndefined();
    expect(await cache.delete("key")).toBe(false);
  });
});

describe("clear", () => {
  it("removes every entry and counts them", async () => {
    const cache = await newCache();
    await cache.put("a", "1");
    await cache.put("a", "2", { extension: ".pdf" });
    await cache.put("b-c_d", "3", { extension: ".7z" });
    expect(await cache.clear()).toBe(3);
    expect(await cache.get("a")).toBeUndefined();
    expect(await cache.get("a", { extension: ".pdf" })).toBeUndefined();
    expect(await cache.clear()).toBe(0);
  });

  it("leaves internals and files that no entry can be named", async () => {
    const cache = await newCache();
    await cache.put("a", "1");
    await cache.getOrCreate("b", () => "2");
    const foreign = ["README", "Notes.txt", "x.pdf.123", "a.123", ".hidden", "con.pdf", "_x"];
    for (const name of foreign) await writeFile(join(cache.dir, name), "keep");
    expect(await cache.clear()).toBe(2);
    const left = (await readdir(cache.dir)).sort();
    expect(left).toEqual([".clarity-cache", ...foreign].sort());
    expect(await readFile(join(cache.dir, ".clarity-cache", "format"), "utf8")).toBe("1\n");
    // The manager still works after a clear.
    await cache.put("a", "again");
    expect((await cache.get("a"))?.toString()).toBe("again");
  });

  it("ignores a folder whose name could be an entry's (has says false for it)", async () => {
    const cache = await newCache();
    await cache.put("a", "1");
    await mkdir(join(cache.dir, "folder"));
    expect(await cache.has("folder")).toBe(false);
    expect(await cache.clear()).toBe(1);
    expect(await readdir(cache.dir)).toContain("folder");
  });

  it("is 0 on a directory that does not exist", async () => {
    const cache = new CacheManager({ dir: join(await makeTempDir(), "none") });
    expect(await cache.clear()).toBe(0);
  });
});
