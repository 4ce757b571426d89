import type { StoredEntry } from "../storage/storage.js";

/** Bounds on a cache's size; an absent bound does not limit. */
export interface SizeBounds {
  maxBytes?: number | undefined;
  maxEntries?: number | undefined;
}

/** The total size of the entries' data, in bytes. */
export function totalSize(entries: readonly StoredEntry[]): number {
  return entries.reduce((sum, entry) => sum + entry.size, 0);
}

/** Least recently used first; equal uses by creation, then by name, so the order is total. */
export function byLeastRecentUse(a: StoredEntry, b: StoredEntry): number {
  return a.lastAccessAt - b.lastAccessAt || a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1);
}

/**
 * The entries to evict, least recently used first, so that what remains is within `bounds`
 * scaled by `fraction` (0.9 after a write, 1 for `prune`).
 */
export function selectEvictions(
  entries: readonly StoredEntry[],
  bounds: SizeBounds,
  fraction: number,
): StoredEntry[] {
  const byteLimit =
    bounds.maxBytes === undefined ? Infinity : Math.floor(bounds.maxBytes * fraction);
  const entryLimit =
    bounds.maxEntries === undefined ? Infinity : Math.floor(bounds.maxEntries * fraction);
  let bytes = totalSize(entries);
  let count = entries.length;
  if (bytes <= byteLimit && count <= entryLimit) return [];
  const victims: StoredEntry[] = [];
  for (const entry of [...entries].sort(byLeastRecentUse)) {
    if (bytes <= byteLimit && count <= entryLimit) break;
    victims.push(entry);
    bytes -= entry.size;
    count -= 1;
  }
  return victims;
}
