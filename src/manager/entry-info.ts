import type { StoredEntry } from "../storage/storage.js";
import { parseEntryName } from "./entry-name.js";

/** What {@link CacheManager.info} and {@link CacheManager.entries} tell about an entry. */
export interface EntryInfo {
  /** The entry's key. */
  key: string;
  /** The entry's extension (`""` for none). */
  extension: string;
  /** Where the entry's bytes live ({@link CacheManager.pathFor}). */
  path: string;
  /** The size of the entry's data in bytes. */
  size: number;
  /** The SHA-256 of the entry's data, in lowercase hex. */
  sha256: string;
  /** When the entry was written. */
  createdAt: Date;
  /** When the entry was last used: its last hit of `get` or `getOrCreate`, else its creation. */
  lastAccessAt: Date;
  /** When the entry expires, if it has a lifetime. */
  expiresAt?: Date;
  /** The host metadata stored with the entry. */
  metadata: Record<string, string>;
}

/** The public view of a stored entry. */
export function toEntryInfo(entry: StoredEntry, path: string): EntryInfo {
  const { key, extension } = parseEntryName(entry.name) ?? { key: entry.name, extension: "" };
  return {
    key,
    extension,
    path,
    size: entry.size,
    sha256: entry.sha256,
    createdAt: new Date(entry.createdAt),
    lastAccessAt: new Date(entry.lastAccessAt),
    ...(entry.expiresAt !== undefined && { expiresAt: new Date(entry.expiresAt) }),
    metadata: { ...entry.metadata },
  };
}
