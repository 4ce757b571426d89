import * as fs from "node:fs";
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
  /**
   * Reads a small file (a record) synchronously: a few microseconds on the main thread instead
   * of two round trips to the thread pool, which cost a hit more than the read itself.
   */
  readSmallFileSync(path: string): Buffer;
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

const smallFileChunk = 16 * 1024;

/**
 * Closes a read-only handle without making the read wait for it: the bytes are already in
 * hand, and a failed close of a read-only file loses nothing.
 */
function closeInBackground(handle: fsp.FileHandle): void {
  handle.close().catch(() => undefined);
}

/** Reads a small open file with as few reads as it takes: usually one. */
export function readSmallSync(fd: number): Buffer {
  const chunks: Buffer[] = [];
  for (;;) {
    const chunk = Buffer.allocUnsafe(smallFileChunk);
    const bytesRead = fs.readSync(fd, chunk, 0, smallFileChunk, null);
    chunks.push(chunk.subarray(0, bytesRead));
    if (bytesRead < smallFileChunk) return Buffer.concat(chunks);
  }
}

/** The real file system. */
export const nodeFileSystem: FileSystem = {
  platform: process.platform,
  // A hit reads two files; each request to libuv's thread pool costs tens of microseconds on a
  // small machine, so both reads make as few as they can (measured: docs/benchmarks.md).
  async readFile(path) {
    // Small files (records): one read into a buffer, no stat, no read to find the end.
    const handle = await fsp.open(path, "r");
    try {
      const chunks: Buffer[] = [];
      for (;;) {
        const chunk = Buffer.allocUnsafe(smallFileChunk);
        const { bytesRead } = await handle.read(chunk, 0, smallFileChunk, null);
        chunks.push(chunk.subarray(0, bytesRead));
        if (bytesRead < smallFileChunk)
          return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      }
    } finally {
      await handle.close();
    }
  },
  readSmallFileSync(path) {
    const fd = fs.openSync(path, "r");
    try {
      return readSmallSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  },
  async readFileWithStat(path) {
    // Entries: one stat of the open file (its identity and size), then its size in one read.
    const handle = await fsp.open(path, "r");
    try {
      const stat = await handle.stat();
      const data = Buffer.allocUnsafe(stat.size);
      let filled = 0;
      while (filled < stat.size) {
        const { bytesRead } = await handle.read(data, filled, stat.size - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return { data: filled === stat.size ? data : data.subarray(0, filled), stat };
    } finally {
      closeInBackground(handle);
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
