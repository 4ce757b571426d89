import { join } from "node:path";

/**
 * The on-disk layout of a cache directory, format 1:
 *
 * ```text
 * <dir>/<key><extension>              an entry: exactly its bytes
 * <dir>/.clarity-cache/format         "1": the layout's format version
 * <dir>/.clarity-cache/tmp/           staging files of writes in progress
 * <dir>/.clarity-cache/records/<name>  an entry's record (see entry-record.ts); mtime = last use
 * <dir>/.clarity-cache/locks/<name>.lock/           a generation lock (a directory)
 * <dir>/.clarity-cache/locks/<name>.lock.reclaim/   the guard of a stale lock's reclaim
 * <dir>/.clarity-cache/locks/<name>.publish/        held by a writer around its two renames
 * ```
 *
 * Everything internal lives under a folder whose name begins with `.`, which no entry name can.
 */
export const layoutFormat = 1;

/** The paths of one cache directory. */
export class Layout {
  readonly internalDir: string;
  readonly formatFile: string;
  readonly stagingDir: string;
  readonly recordsDir: string;
  readonly locksDir: string;

  constructor(readonly dir: string) {
    this.internalDir = join(dir, ".clarity-cache");
    this.formatFile = join(this.internalDir, "format");
    this.stagingDir = join(this.internalDir, "tmp");
    this.recordsDir = join(this.internalDir, "records");
    this.locksDir = join(this.internalDir, "locks");
  }

  /** Where an entry's bytes live. */
  entryPath(name: string): string {
    return join(this.dir, name);
  }

  /** The record of an entry. */
  recordPath(name: string): string {
    return join(this.recordsDir, name);
  }

  /** The mutex that orders writers' publishes of one entry. */
  publishMutexPath(name: string): string {
    return join(this.locksDir, `${name}.publish`);
  }

  /** The lock directory of an entry. */
  lockPath(name: string): string {
    return join(this.locksDir, `${name}.lock`);
  }
}
