import { randomUUID } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { errorCode, ioError } from "./fs-errors.js";
import type { FileSystem } from "./file-system.js";

// Windows reports a rename over a file that a scanner or reader holds open as EPERM, EBUSY or
// EACCES for a moment; write-file-atomic 7 no longer retries them.
const transientRenameCodes = new Set(["EPERM", "EBUSY", "EACCES"]);
const renameRetryDelaysMs = [5, 10, 20, 40, 80, 160, 320, 500];

/**
 * Publishes `data` at `target` so that a reader sees the old file or all of the new one, and the
 * new one survives a crash once this resolves:
 *
 * 1. write-file-atomic writes a staging file in `stagingDir` (its own temp file, fsynced,
 *    closed, renamed);
 * 2. the staging file's size is checked against `data`, since write-file-atomic ignores a short
 *    write (a full disk, or more than 2 GiB in one `write` on Linux);
 * 3. the staging file is renamed over `target`, retrying Windows' transient rename errors;
 * 4. `target`'s directory is fsynced, so that the rename itself is durable.
 *
 * Failures reject with {@link CacheIOError}; the staging file is removed.
 */
export async function writeAtomically(
  fs: FileSystem,
  stagingDir: string,
  target: string,
  data: Uint8Array,
): Promise<void> {
  const staging = join(stagingDir, `${basename(target)}.${randomUUID()}`);
  try {
    try {
      await fs.writeFileAtomic(staging, data);
    } catch (error) {
      throw ioError("write", staging, error);
    }
    let written: number;
    try {
      written = (await fs.stat(staging)).size;
    } catch (error) {
      throw ioError("check", staging, error);
    }
    if (written !== data.byteLength) {
      const shortWrite = Object.assign(
        new Error(`short write: ${written} of ${data.byteLength} bytes`),
        { code: "ESHORTWRITE" },
      );
      throw ioError("write", staging, shortWrite);
    }
    await renameWithRetry(fs, staging, target);
  } catch (error) {
    await fs.unlink(staging).catch(() => undefined);
    throw error;
  }
  try {
    await fs.syncDirectory(dirname(target));
  } catch (error) {
    throw ioError("sync the directory of", target, error);
  }
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
