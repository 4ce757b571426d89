import { randomUUID } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { errorCode, ioError } from "./fs-errors.js";
import type { FileSystem } from "./file-system.js";

// Windows reports a rename over a file that a scanner or reader holds open as EPERM, EBUSY or
// EACCES for a moment; write-file-atomic 7 no longer retries them.
const transientRenameCodes = new Set(["EPERM", "EBUSY", "EACCES"]);
const renameRetryDelaysMs = [5, 10, 20, 40, 80, 160, 320, 500];

/** A staged file: written, fsynced and checked, not yet visible under its final name. */
export interface StagedFile {
  path: string;
  /** The staged file's inode and mtime, which the rename that publishes it keeps. */
  ino: number;
  mtimeMs: number;
}

/**
 * Writes `data` to a new staging file in `stagingDir`: write-file-atomic writes it (its own
 * temp file, fsynced, closed, renamed), then its size is checked against `data`, since
 * write-file-atomic ignores a short write (a full disk, or more than 2 GiB in one `write` on
 * Linux). Failures reject with {@link CacheIOError}, leaving no staging file.
 */
export async function stageFile(
  fs: FileSystem,
  stagingDir: string,
  baseName: string,
  data: Uint8Array,
): Promise<StagedFile> {
  const path = join(stagingDir, `${baseName}.${randomUUID()}`);
  try {
    try {
      await fs.writeFileAtomic(path, data);
    } catch (error) {
      throw ioError("write", path, error);
    }
    let stat: { size: number; ino: number; mtimeMs: number };
    try {
      stat = await fs.stat(path);
    } catch (error) {
      throw ioError("check", path, error);
    }
    if (stat.size !== data.byteLength) {
      const shortWrite = Object.assign(
        new Error(`short write: ${stat.size} of ${data.byteLength} bytes`),
        { code: "ESHORTWRITE" },
      );
      throw ioError("write", path, shortWrite);
    }
    return { path, ino: stat.ino, mtimeMs: stat.mtimeMs };
  } catch (error) {
    await fs.unlink(path).catch(() => undefined);
    throw error;
  }
}

/**
 * Renames a staged file over `target`, retrying Windows' transient rename errors. The staged
 * file is removed if the rename fails.
 */
export async function renameStaged(fs: FileSystem, staged: string, target: string): Promise<void> {
  try {
    await renameWithRetry(fs, staged, target);
  } catch (error) {
    await fs.unlink(staged).catch(() => undefined);
    throw error;
  }
}

/** Fsyncs `target`'s directory, so that a rename into it is durable. */
export async function syncDirectoryOf(fs: FileSystem, target: string): Promise<void> {
  try {
    await fs.syncDirectory(dirname(target));
  } catch (error) {
    throw ioError("sync the directory of", target, error);
  }
}

/** {@link renameStaged}, then {@link syncDirectoryOf}. */
export async function publishStaged(fs: FileSystem, staged: string, target: string): Promise<void> {
  await renameStaged(fs, staged, target);
  await syncDirectoryOf(fs, target);
}

/**
 * Publishes `data` at `target` so that a reader sees the old file or all of the new one, and the
 * new one survives a crash once this resolves: {@link stageFile}, then {@link publishStaged}.
 */
export async function writeAtomically(
  fs: FileSystem,
  stagingDir: string,
  target: string,
  data: Uint8Array,
): Promise<void> {
  const staged = await stageFile(fs, stagingDir, basename(target), data);
  await publishStaged(fs, staged.path, target);
}

async function renameWithRetry(fs: FileSystem, from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.rename(from, to);
      return;
    } catch (error) {
      const delay = renameRetryDelaysMs[attempt];
      const code = errorCode(error);
      if (
        delay === undefined ||
        code === undefined ||
        !transientRenameCodes.has(code) ||
        fs.platform !== "win32"
      ) {
        throw ioError("publish", to, error);
      }
      await sleep(delay);
    }
  }
}
