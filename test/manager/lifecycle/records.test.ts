import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { dataIdentity } from "../../../src/storage/entry-record.js";
import { newCache, readRecord } from "./helpers.js";

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

describe("the record of an entry", () => {
  it("put writes a format-1 record: size, sha256, createdAt, expiresAt, data identity, metadata", async () => {
    const { cache, layout } = await newCache();
    const before = Date.now();
    await cache.put("report", "hello", {
      extension: ".pdf",
      metadata: { "content-type": "application/pdf" },
    });
    const after = Date.now();
    const raw = JSON.parse(await readFile(layout.recordPath("report.pdf"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(raw.format).toBe(1);
    const record = await readRecord(layout, "report.pdf");
    expect(record.size).toBe(5);
    expect(record.sha256).toBe(sha256("hello"));
    expect(record.createdAt).toBeGreaterThanOrEqual(before);
    expect(record.createdAt).toBeLessThanOrEqual(after);
    expect(record.expiresAt).toBeNull();
    expect(record.data).toBe(dataIdentity(await stat(layout.entryPath("report.pdf"))));
    expect(record.metadata).toEqual({ "content-type": "application/pdf" });
  });

  it("getOrCreate writes the record of what it generated, with its ttl and metadata", async () => {
    const { cache, layout } = await newCache();
    const data = Buffer.from([1, 2, 3, 255]);
    await cache.getOrCreate("made", () => data, { ttlMs: 60_000, metadata: { by: "generator" } });
    const record = await readRecord(layout, "made");
    expect(record.size).toBe(4);
    expect(record.sha256).toBe(sha256(data));
    expect(record.expiresAt).toBe(record.createdAt + 60_000);
    expect(record.metadata).toEqual({ by: "generator" });
    expect(record.data).toBe(dataIdentity(await stat(layout.entryPath("made"))));
  });

  it("a rewrite replaces the record: new size, hash, identity and metadata", async () => {
    const { cache, layout } = await newCache();
    await cache.put("k", "first", { metadata: { v: "1" } });
    const first = await readRecord(layout, "k");
    await cache.put("k", "second!");
    const second = await readRecord(layout, "k");
    expect(second.size).toBe(7);
    expect(second.sha256).toBe(sha256("second!"));
    expect(second.data).not.toBe(first.data);
    expect(second.metadata).toEqual({});
  });
});

describe("info", () => {
  it("returns the EntryInfo of an entry", async () => {
    const { cache } = await newCache();
    const before = Date.now();
    const data = Buffer.from("some pdf bytes");
    const path = await cache.put("report", data, {
      extension: ".pdf",
      ttlMs: 3_600_000,
      metadata: { "content-type": "application/pdf", title: "Q3" },
    });
    const info = await cache.info("report", { extension: ".pdf" });
    expect(info).toBeDefined();
    if (info === undefined) return;
    expect(info.key).toBe("report");
    expect(info.extension).toBe(".pdf");
    expect(info.path).toBe(path);
    expect(info.size).toBe(data.byteLength);
    expect(info.sha256).toBe(sha256(await readFile(path)));
    expect(info.createdAt).toBeInstanceOf(Date);
    expect(info.createdAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(info.lastAccessAt.getTime()).toBeGreaterThanOrEqual(info.createdAt.getTime() - 20);
    expect(info.expiresAt?.getTime()).toBe(info.createdAt.getTime() + 3_600_000);
    expect(info.metadata).toEqual({ "content-type": "application/pdf", title: "Q3" });
  });

  it("has no expiresAt for an entry without a lifetime, and empty metadata by default", async () => {
    const { cache } = await newCache();
    await cache.put("plain", "x");
    const info = await cache.info("plain");
    expect(info).toBeDefined();
    expect(info && "expiresAt" in info).toBe(false);
    expect(info?.metadata).toEqual({});
    expect(info?.extension).toBe("");
  });

  it("hands out a copy of the metadata: changing it changes neither the record nor the next info", async () => {
    const { cache, layout } = await newCache();
    const metadata = { a: "1" };
    await cache.put("k", "x", { metadata });
    metadata.a = "changed after put";
    const info = await cache.info("k");
    expect(info?.metadata).toEqual({ a: "1" });
    if (info) info.metadata.a = "changed by the host";
    expect((await cache.info("k"))?.metadata).toEqual({ a: "1" });
    expect((await readRecord(layout, "k")).metadata).toEqual({ a: "1" });
  });

  it("is undefined for an absent entry and for another extension", async () => {
    const { cache } = await newCache();
    expect(await cache.info("missing")).toBeUndefined();
    await cache.put("k", "x", { extension: ".pdf" });
    expect(await cache.info("k")).toBeUndefined();
    expect(await cache.info("k", { extension: ".pdf" })).toBeDefined();
  });
});
