import * as fsp from "node:fs/promises";
import writeFileAtomic from "write-file-atomic";

/**
 * The file-system calls the file storage makes, in one object: the seam through which tests
 * inject faults (EACCES, ENOSPC, EIO, short writes) that cannot be produced for real as root.
 *
 * @internal
 */
export interface FileSystem {
  /** The platform whose rules apply (Windows: transient rename errors, no directory fsync). */
  platform: NodeJS.Platform;
  readFile(path: string): Promise<Buffer>;
  /** Reads a whole file and the identity (inode, mtime) of the very file it read. */
  readFileWithStat(path: string): Promise<{ data: Buffer; stat: FileStat }>;
  stat(path: string): Promise<FileStat>;
  utimes(path: string, time: Date): Promise<void>;
  link(existing: string, newPath: string): Promise<void>;
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  /** The names of a directory's regular files. */
  listFiles(path: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Writes a file through a temp file that is fsynced, closed, then renamed over `path`. */
  writeFileAtomic(path: string, data: Uint8Array): Promise<void>;
  /** Flushes a directory's entries (a rename in it) to disk. */
  syncDirectory(path: string): Promise<void>;
}

/** What the storage reads of a file's metadata. */
export interface FileStat {
  size: number;
  ino: number;
  mtimeMs: number;
  isFile(): boolean;
}

/** The real file system. */
export const nodeFileSystem: FileSystem = {
  platform: process.platform,
  readFile: (path) => fsp.readFile(path),
  async readFileWithStat(path) {
    const handle = await fsp.open(path, "r");
    try {
      const stat = await handle.stat();
      return { data: await handle.readFile(), stat };
    } finally {
      await handle.close();
    }
  },
  stat: (path) => fsp.stat(path),
  utimes: (path, time) => fsp.utimes(path, time, time),
  link: (existing, newPath) => fsp.link(existing, newPath),
  mkdir: (path, options) => fsp.mkdir(path, options),
  async listFiles(path) {
    const entries = await fsp.readdir(path, { withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
  },
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  writeFileAtomic: (path, data) =>
    writeFileAtomic(path, Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
      fsync: true,
    }),
  async syncDirectory(path) {
    // Windows cannot open a directory for fsync; NTFS journals the rename itself.
    if (this.platform === "win32") return;
    const handle = await fsp.open(path, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
