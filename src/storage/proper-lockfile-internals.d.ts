// proper-lockfile's registry of the locks this process holds (lib/lockfile.js, unchanged since
// 4.0). Read only, to tell whether a held lock's directory is still ours before removing it.
declare module "proper-lockfile/lib/lockfile.js" {
  interface HeldLock {
    /** The mtime proper-lockfile last gave the lock directory. */
    mtime: Date;
    /** When proper-lockfile last refreshed the lock (Date.now()). */
    lastUpdate: number;
    released?: boolean;
  }
  export function getLocks(): Record<string, HeldLock | undefined>;
}
