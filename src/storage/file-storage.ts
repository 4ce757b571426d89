import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { CacheIOError } from "../errors/cache-io-error.js";
import { parseEntryName } from "../manager/entry-name.js";
import { writeAtomically } from "./atomic-write.js";
import { FileLocker } from "./file-lock.js";
import { nodeFileSystem, type FileSystem } from "./file-system.js";
import { errorCode, ioError } from "./fs-errors.js";
import { Layout, layoutFormat } from "./layout.js";
import type { CacheStorage, StorageLock } from "./storage.js";

/** Options of {@link FileStorage}. */
export interface FileStorageOptions {
  /** The cache directory (absolute). */
  dir: string;
  /** A lock not refreshed for this long belongs to a dead holder. */
  staleLockMs: number;
  /** Called when a held lock is lost. */
  onLockLost?: (lockPath: string, error: Error) => void;
  /** The file-system seam; the real one by default. */
  fileSystem?: FileSystem;
}

/** Whether `error` (or its cause) says a folder on the way is missing. */
function isMissingFolder(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return errorCode(error) === "ENOENT" || errorCode(cause) === "ENOENT";
}

/** Entries as files in one directory, published atomically, with locks beside them. */
export class FileStorage implements CacheStorage {
  readonly #layout: Layout;
  readonly #fs: FileSystem;
  readonly #locker: FileLocker;
  #ready: Promise<void> | undefined;

  constructor(options: FileStorageOptions) {
    this.#layout = new Layout(options.dir);
    this.#fs = options.fileSystem ?? nodeFileSystem;
    this.#locker = new FileLocker({
      staleMs: options.staleLockMs,
      ...(options.onLockLost && { onLost: options.onLockLost }),
    });
  }

  pathFor(name: string): string {
    return this.#layout.entryPath(name);
  }

  async read(name: string): Promise<Buffer | undefined> {
    const path = this.#layout.entryPath(name);
    try {
      return await this.#fs.readFile(path);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return undefined;
      throw ioError("read", path, error);
    }
  }

  async exists(name: string): Promise<boolean> {
    const path = this.#layout.entryPath(name);
    try {
      return (await this.#fs.stat(path)).isFile();
    } catch (error) {
      if (errorCode(error) === "ENOENT") return false;
      throw ioError("stat", path, error);
    }
  }

  async write(name: string, data: Uint8Array): Promise<void> {
    await this.#whileReady(() =>
      writeAtomically(this.#fs, this.#layout.stagingDir, this.#layout.entryPath(name), data),
    );
  }

  async remove(name: string): Promise<boolean> {
    const path = this.#layout.entryPath(name);
    try {
      await this.#fs.unlink(path);
      return true;
    } catch (error) {
      if (errorCode(error) === "ENOENT") return false;
      throw ioError("remove", path, error);
    }
  }

  async clear(): Promise<number> {
    let names: string[];
    try {
      names = await this.#fs.listFiles(this.#layout.dir);
    } catch (error) {
      if (errorCode(error) === "ENOENT") return 0;
      throw ioError("list", this.#layout.dir, error);
    }
    let removed = 0;
    for (const name of names) {
      if (parseEntryName(name) !== undefined && (await this.remove(name))) removed++;
    }
    return removed;
  }

  async tryLock(name: string): Promise<StorageLock | undefined> {
    return this.#whileReady(() => this.#locker.tryLock(this.#layout.lockPath(name)));
  }

  /**
   * Runs `operation` once the directory is prepared. If it fails because a folder is missing
   * (an operator removed the cache directory while the manager lives), prepares the directory
   * again and retries once.
   */
  async #whileReady<T>(operation: () => Promise<T>): Promise<T> {
    await this.#ensureReady();
    try {
      return await operation();
    } catch (error) {
      if (!isMissingFolder(error)) throw error;
      this.#ready = undefined;
      await this.#ensureReady();
      return operation();
    }
  }

  /** Creates the directory and its internal folders once; a failure is retried on next use. */
  #ensureReady(): Promise<void> {
    this.#ready ??= this.#prepare().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  async #prepare(): Promise<void> {
    const layout = this.#layout;
    for (const dir of [layout.stagingDir, layout.locksDir]) {
      try {
        await this.#fs.mkdir(dir, { recursive: true });
      } catch (error) {
        throw ioError("create", dir, error);
      }
    }
    await this.#checkFormat();
    await this.#locker.warmUp(join(layout.locksDir, `.warm-up-${randomUUID()}`));
  }

  async #checkFormat(): Promise<void> {
    const { formatFile, internalDir } = this.#layout;
    let text: string | undefined;
    try {
      text = (await this.#fs.readFile(formatFile)).toString("utf8").trim();
    } catch (error) {
      if (errorCode(error) !== "ENOENT") throw ioError("read", formatFile, error);
    }
    if (text === undefined) {
      await writeAtomically(this.#fs, internalDir, formatFile, Buffer.from(`${layoutFormat}\n`));
    } else if (text !== String(layoutFormat)) {
      throw new CacheIOError(
        `${formatFile} says the cache directory has layout format "${text}"; this version of clarity-cache reads format ${layoutFormat}`,
      );
    }
  }
}
