/**
 * The record of an entry, format 1: a small JSON file beside the entry's bytes, at
 * `.clarity-cache/records/<name>`.
 *
 * ```json
 * {"format":1,"size":5,"sha256":"…","createdAt":1733300000000,"expiresAt":null,
 *  "data":"8012345:1733300000000.123","metadata":{"content-type":"application/pdf"}}
 * ```
 *
 * `data` is the identity of the data file the record describes (inode and mtime, which a
 * rename keeps): a record never vouches for other bytes, even of the same size, so a crash
 * between publishing the record and publishing the data is a miss, never a wrong record. The
 * record file's own mtime is the entry's last use, set by the library on every hit.
 */
export const recordFormat = 1;

/** What a record says about its entry. */
export interface EntryRecord {
  size: number;
  sha256: string;
  createdAt: number;
  expiresAt: number | null;
  /** The identity of the data file: `<inode>:<mtimeMs>`. */
  data: string;
  metadata: Record<string, string>;
}

/** The identity of a data file, as a record stores it. */
export function dataIdentity(stat: { ino: number; mtimeMs: number }): string {
  return `${stat.ino}:${stat.mtimeMs}`;
}

/** The record as the bytes of its file. */
export function serializeRecord(record: EntryRecord): string {
  return JSON.stringify({ format: recordFormat, ...record });
}

/** Reads a record's text; `undefined` for anything that is not a well-formed format-1 record. */
export function parseRecord(text: string): EntryRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const { size, sha256, createdAt, expiresAt, data, metadata } = record;
  if (
    record.format !== recordFormat ||
    !Number.isSafeInteger(size) ||
    (size as number) < 0 ||
    typeof sha256 !== "string" ||
    !/^[0-9a-f]{64}$/.test(sha256) ||
    typeof createdAt !== "number" ||
    !Number.isFinite(createdAt) ||
    (expiresAt !== null && (typeof expiresAt !== "number" || !Number.isFinite(expiresAt))) ||
    typeof data !== "string" ||
    !isStringRecord(metadata)
  ) {
    return undefined;
  }
  return { size: size as number, sha256, createdAt, expiresAt, data, metadata };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === "string")
  );
}
