import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { CacheManager } from "../../../src/manager/cache-manager.js";
import { makeTempDir } from "../../helpers/temp-dir.js";
import { allEntries, newCache, plantEntries } from "./helpers.js";

describe("entries()", () => {
  it("yields every valid, unexpired entry once, as EntryInfo, through async iteration", async () => {
    const { cache, dir } = await newCache();
    await cache.put("a", "1", { extension: ".pdf", metadata: { type: "pdf" } });
    await cache.put("b", "22");
    await new CacheManager({ dir }).put("c", "333", { ttlMs: 60_000 });
    const iterable = cache.entries();
    expect(typeof iterable[Symbol.asyncIterator]).toBe("function");
    const entries = await allEntries(cache);
    expect(entries.map((entry) => `${entry.key}${entry.extension}`).sort()).toEqual([
      "a.pdf",
      "b",
      "c",
    ]);
    const a = entries.find((entry) => entry.key === "a");
    expect(a).toMatchObject({
      extension: ".pdf",
      path: cache.pathFor("a", { extension: ".pdf" }),
      size: 1,
      metadata: { type: "pdf" },
    });
    expect(a).toEqual(await cache.info("a", { extension: ".pdf" }));
    expect(entries.find((entry) => entry.key === "c")?.expiresAt).toBeInstanceOf(Date);
  });

  it("yields none of the expired or damaged entries, nor internal or foreign files", async () => {
    const { cache, layout } = await newCache();
    await cache.put("good", "x");
    await cache.put("expired", "x", { ttlMs: 1 });
    await cache.put("garbage-record", "x");
    await writeFile(layout.recordPath("garbage-record"), "garbage");
    await cache.put("no-record", "x");
    await writeFile(layout.entryPath("no-record"), "rewritten by hand");
    await writeFile(join(layout.dir, "foreign"), "no record at all");
    await writeFile(join(layout.dir, "Not-An-Entry.TXT"), "x");
    await mkdir(join(layout.dir, "a-folder"));
    await sleep(20);
    expect((await allEntries(cache)).map((entry) => entry.key)).toEqual(["good"]);
  });

  it("yields nothing for a directory that does not exist yet", async () => {
    const cache = new CacheManager({ dir: join(await makeTempDir(), "later") });
    expect(await allEntries(cache)).toEqual([]);
  });

  it("yields each of many entries exactly once (scans in slices)", async () => {
    const { cache, layout } = await newCache();
    const names = await plantEntries(layout, 300);
    const keys = (await allEntries(cache)).map((entry) => entry.key);
    expect(keys).toHaveLength(300);
    expect(new Set(keys)).toEqual(new Set(names));
    expect(await cache.stats()).toMatchObject({ entries: 300, bytes: 1200 });
  });
});
