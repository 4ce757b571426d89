import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { createHash } from "node:crypto";
import { mkdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { onTestFinished } from "vitest";
import { CacheManager } from "../../../src/manager/cache-manager.js";
import type { EntryInfo } from "../../../src/manager/entry-info.js";
import type { CacheManagerOptions } from "../../../src/manager/options.js";
import {
  dataIdentity,
  type EntryRecord,
  parseRecord,
  serializeRecord,
} from "../../../src/storage/entry-record.js";
import { Layout } from "../../../src/storage/layout.js";
import { makeTempDir } from "../../helpers/temp-dir.js";

/** A manager over a fresh temp dir, with its layout. */
export async function newCache(
  options: Omit<CacheManagerOptions, "dir"> = {},
): Promise<{ cache: CacheManager; dir: string; layout: Layout }> {
  const dir = await makeTempDir();
  return { cache: new CacheManager({ dir, ...options }), dir, layout: new Layout(dir) };
}

/** The parsed record of an entry; throws if it is missing or malformed. */
export async function readRecord(layout: Layout, name: string): Promise<EntryRecord> {
  const record = parseRecord(await readFile(layout.recordPath(name), "utf8"));
  if (record === undefined) throw new Error(`no well-formed record for ${name}`);
  return record;
}

/** Rewrites an entry's record so that it vouches for the data file as it is now. */
export async function reattachRecord(
  layout: Layout,
  name: string,
  changes: Partial<EntryRecord> = {},
): Promise<void> {
  const record = await readRecord(layout, name);
  const identity = dataIdentity(await stat(layout.entryPath(name)));
  await writeFile(
    layout.recordPath(name),
    serializeRecord({ ...record, data: identity, ...changes }),
  );
}

/** Sets an entry's last use (its record's mtime) to `msAgo` before now. */
export async function setLastUse(layout: Layout, name: string, msAgo: number): Promise<void> {
  const at = new Date(Date.now() - msAgo);
  await utimes(layout.recordPath(name), at, at);
}

/** The mtime of an entry's record, in ms. */
export async function recordMtime(layout: Layout, name: string): Promise<number> {
  return (await stat(layout.recordPath(name))).mtimeMs;
}

/** Every message published on `clarity-cache:<event>` during the test. */
export function observe(event: string): Record<string, unknown>[] {
  const messages: Record<string, unknown>[] = [];
  const name = `clarity-cache:${event}`;
  const listener = (message: unknown) => {
    messages.push(message as Record<string, unknown>);
  };
  subscribe(name, listener);
  onTestFinished(() => {
    unsubscribe(name, listener);
  });
  return messages;
}

/** Every entry `entries()` yields. */
export async function allEntries(cache: CacheManager): Promise<EntryInfo[]> {
  const result: EntryInfo[] = [];
  for await (const entry of cache.entries()) result.push(entry);
  return result;
}

/** The keys `entries()` yields, sorted. */
export async function entryKeys(cache: CacheManager): Promise<string[]> {
  return (await allEntries(cache)).map((entry) => entry.key + entry.extension).sort();
}

/**
 * Writes `count` entries straight to disk, as the storage lays them out (data, then a record
 * vouching for it), without fsyncs: fast set-up for scans over many entries.
 */
export async function plantEntries(
  layout: Layout,
  count: number,
  options: { prefix?: string; size?: number; createdAt?: number; expiresAt?: number | null } = {},
): Promise<string[]> {
  const { prefix = "p", size = 4, createdAt = Date.now(), expiresAt = null } = options;
  await mkdir(layout.recordsDir, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}${i}`;
    const data = Buffer.alloc(size, i % 256);
    await writeFile(layout.entryPath(name), data);
    const record = serializeRecord({
      size,
      sha256: createHash("sha256").update(data).digest("hex"),
      createdAt,
      expiresAt,
      data: dataIdentity(await stat(layout.entryPath(name))),
      metadata: {},
    });
    await writeFile(layout.recordPath(name), record);
    names.push(name);
  }
  return names;
}
