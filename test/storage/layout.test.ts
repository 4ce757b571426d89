import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CacheIOError } from "../../src/errors/cache-io-error.js";
import { CacheManager } from "../../src/manager/cache-manager.js";
import { entryName, parseEntryName } from "../../src/manager/entry-name.js";
import { Layout, layoutFormat } from "../../src/storage/layout.js";
import { makeTempDir } from "../helpers/temp-dir.js";

describe("Layout", () => {
  it("places entries in dir and internals under .clarity-cache", () => {
    const dir = join("/", "var", "cache");
    const layout = new Layout(dir);
    expect(layout.dir).toBe(dir);
    expect(layout.internalDir).toBe(join(dir, ".clarity-cache"));
    expect(layout.formatFile).toBe(join(dir, ".clarity-cache", "format"));
    expect(layout.stagingDir).toBe(join(dir, ".clarity-cache", "tmp"));
    expect(layout.locksDir).toBe(join(dir, ".clarity-cache", "locks"));
    expect(layout.entryPath("key.pdf")).toBe(join(dir, "key.pdf"));
    expect(layout.lockPath("key.pdf")).toBe(join(dir, ".clarity-cache", "locks", "key.pdf.lock"));
    expect(layoutFormat).toBe(1);
  });
});

describe("parseEntryName", () => {
  it.each([
    ["key", { key: "key", extension: "" }],
    ["key.pdf", { key: "key", extension: ".pdf" }],
    ["a_b-c.7z", { key: "a_b-c", extension: ".7z" }],
    ["com10.txt", { key: "com10", extension: ".txt" }],
  ])("parses %s", (name, parsed) => {
    expect(parseEntryName(name)).toEqual(parsed);
  });

  it.each([
    "README",
    "Key.pdf",
    "x.pdf.123",
    "key.pdf.lock",
    "a.123",
    "a.",
    ".clarity-cache",
    ".hidden",
    "",
    "con",
    "nul.pdf",
    "_a",
    "-a",
    "a".repeat(201),
    `a.${"b".repeat(17)}`,
    "entry.bin.5b0f8b4e-57a5-4b43-9d07-2e2f9c07a1b1",
    "entry.bin.123456789",
  ])("no entry is named %j", (name) => {
    expect(parseEntryName(name)).toBeUndefined();
  });

  it("inverts entryName for every valid key and extension", () => {
    const lower = Array.from("abcdefghijklmnopqrstuvwxyz");
    const alnum = [...lower, ...Array.from("0123456789")];
    const keyChar = fc.constantFrom(...alnum, "_", "-");
    const first = fc.constantFrom(...alnum);
    const key = fc
      .tuple(first, fc.array(keyChar, { maxLength: 199 }))
      .map(([head, tail]) => head + tail.join(""))
      .filter((k) => !/^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])$/.test(k));
    const extension = fc.oneof(
      fc.constant(""),
      fc
        .tuple(
          fc.array(fc.constantFrom(...alnum), { maxLength: 15 }),
          fc.constantFrom(...lower),
          fc.nat(16),
        )
        .map(([chars, letter, at]) => {
          const all = [...chars];
          all.splice(at % (all.length + 1), 0, letter);
          return `.${all.join("")}`;
        }),
    );
    fc.assert(
      fc.property(key, extension, (k, e) => {
        expect(parseEntryName(entryName(k, e))).toEqual({ key: k, extension: e });
      }),
    );
  });
});

describe("the layout format file", () => {
  it("is written as format 1 on the first write", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    await cache.put("key", "x");
    const layout = new Layout(cache.dir);
    expect(await readFile(layout.formatFile, "utf8")).toBe("1\n");
  });

  it("a directory that says format 1 (with spaces) is used as is", async () => {
    const dir = await makeTempDir();
    const layout = new Layout(dir);
    await mkdir(layout.internalDir, { recursive: true });
    await writeFile(layout.formatFile, " 1 \n");
    const cache = new CacheManager({ dir });
    await cache.put("key", "x");
    expect(await readFile(layout.formatFile, "utf8")).toBe(" 1 \n");
  });

  it("a directory that says format 2 rejects writes and generation with CacheIOError", async () => {
    const dir = await makeTempDir();
    const layout = new Layout(dir);
    await mkdir(layout.internalDir, { recursive: true });
    await writeFile(layout.formatFile, "2\n");
    const cache = new CacheManager({ dir });
    await expect(cache.put("key", "x")).rejects.toBeInstanceOf(CacheIOError);
    const error: unknown = await cache.getOrCreate("key", () => "x").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CacheIOError);
    expect((error as CacheIOError).code).toBe("CACHE_IO");
    expect((error as CacheIOError).message).toContain('"2"');
    expect(await cache.has("key")).toBe(false);
    expect(await readFile(layout.formatFile, "utf8")).toBe("2\n");
  });
});
