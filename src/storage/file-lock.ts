import * as fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { lock as properLock } from "proper-lockfile";
import { getLocks } from "proper-lockfile/lib/lockfile.js";
import { CacheLockError } from "../errors/cache-lock-error.js";
import { errorCode } from "./fs-errors.js";
import type { StorageLock } from "./storage.js";

type Callback = (error?: NodeJS.ErrnoException | null) => void;

/** Options of {@link FileLocker}. */
export interface FileLockerOptions {
  /** A lock whose mtime is older than this belongs to a dead holder. */
  staleMs: number;
  /** Called once when a held lock is lost; never throws into a timer. */
  onLost?: (lockPath: string, error: Error) => void;
}

const contention = (): NodeJS.ErrnoException =>
  Object.assign(new Error("Lock file is already being held"), { code: "ELOCKED" });

/**
 * Generation locks on top of proper-lockfile (a directory per lock, its mtime refreshed by the
 * holder), with its traps closed:
 *
 * - Reclaiming a stale lock is two steps there (rmdir, mkdir), so two waiters could both win
 *   (proper-lockfile issue #121). Here every reclaim goes through a guard directory taken with
 *   `mkdir`, and re-checks staleness under it: one reclaimer at a time, and only of a lock that
 *   is still stale.
 * - Its default `onCompromised` throws from a timer, killing the host; here a lost lock is only
 *   recorded ({@link StorageLock.lost}) and reported to `onLost`.
 * - Its first lock per `fs` object sets the lock's mtime up to a second into the future (an
 *   mtime-precision probe), which would let a dead holder block its key that much longer than
 *   `staleMs`; {@link FileLocker.warmUp} runs that probe once on a scratch lock.
 * - `retries: 0` and `realpath: false` are explicit: the caller polls, and the entry file need
 *   not exist.
 */
export class FileLocker {
  readonly #staleMs: number;
  readonly #onLost: FileLockerOptions["onLost"];
  /**
   * Lock directories this process is releasing, and whether each is still its own: their
   * removal bypasses the reclaim guard, and a directory that is no longer ours is left alone.
   */
  readonly #releasing = new Map<string, boolean>();
  /** One `fs` object for every lock, so that proper-lockfile caches its mtime precision on it. */
  readonly #lockFs: typeof fs;

  constructor(options: FileLockerOptions) {
    this.#staleMs = options.staleMs;
    this.#onLost = options.onLost;
    this.#lockFs = {
      ...fs,
      // A holder waking from a freeze longer than staleMs must not refresh the lock: a successor
      // may have made that directory between proper-lockfile's mtime check and this refresh.
      utimes: ((path: string, atime: Date, mtime: Date, callback: Callback) => {
        const held = getLocks()[path];
        if (held !== undefined && Date.now() - held.lastUpdate > this.#staleMs) {
          callback(
            Object.assign(new Error(`lock ${path} was not refreshed within ${this.#staleMs} ms`), {
              code: "ECOMPROMISED",
            }),
          );
        } else {
          fs.utimes(path, atime, mtime, callback);
        }
      }) as typeof fs.utimes,
      rmdir: ((path: string, callback: Callback) => {
        const owned = this.#releasing.get(path);
        if (owned === undefined) this.#reclaim(path, callback);
        else if (owned) fs.rmdir(path, callback);
        else callback(null);
      }) as typeof fs.rmdir,
    };
  }

  /**
   * Tries once to take the lock at `lockPath` (a directory). Resolves `undefined` on contention;
   * rejects with {@link CacheLockError} when the lock cannot be created for another reason.
   */
  async tryLock(lockPath: string): Promise<StorageLock | undefined> {
    const state = { lost: false };
    let release: () => Promise<void>;
    try {
      release = await properLock(lockPath, {
        lockfilePath: lockPath,
        realpath: false,
        retries: 0,
        stale: this.#staleMs,
        fs: this.#lockFs,
        onCompromised: (error) => {
          state.lost = true;
          this.#onLost?.(lockPath, error);
        },
      });
    } catch (error) {
      if (errorCode(error) === "ELOCKED") return undefined;
      throw new CacheLockError(`cannot create lock ${lockPath}`, { cause: error });
    }
    return {
      get lost() {
        return state.lost;
      },
      release: async () => {
        if (state.lost) return;
        // A holder whose event loop was blocked past staleMs may have been taken over before
        // proper-lockfile's refresh timer noticed: removing the directory now would free the
        // successor's lock. It is ours only while its mtime is the one proper-lockfile set.
        // The check and the removal happen under the reclaim guard, so that no reclaimer can
        // replace the directory in between; a guard already there means a takeover is under way.
        const guard = `${lockPath}.reclaim`;
        const guarded = await fs.promises.mkdir(guard).then(
          () => true,
          () => false,
        );
        try {
          const owned = guarded && (await this.#stillOwned(lockPath));
          if (!owned) {
            state.lost = true;
            this.#onLost?.(
              lockPath,
              new Error(`lock ${lockPath} was taken over before its release`),
            );
          }
          this.#releasing.set(lockPath, owned);
          await release();
        } catch (error) {
          // A lock lost while releasing is not the releaser's problem: a successor owns it now.
          const code = errorCode(error);
          if (code !== "ERELEASED" && code !== "ENOENT") {
            throw new CacheLockError(`cannot release lock ${lockPath}`, { cause: error });
          }
        } finally {
          this.#releasing.delete(lockPath);
          if (guarded) await fs.promises.rmdir(guard).catch(() => undefined);
        }
      },
    };
  }

  async #stillOwned(lockPath: string): Promise<boolean> {
    const held = getLocks()[lockPath];
    if (held === undefined || held.released === true) return false;
    try {
      // Compared as Dates (whole milliseconds), as proper-lockfile itself compares them.
      return (await fs.promises.stat(lockPath)).mtime.getTime() === held.mtime.getTime();
    } catch {
      return false;
    }
  }

  /**
   * Removes a dead holder's lock (or a dead reclaimer's guard) found by a sweep, through the same
   * guarded takeover as a waiter: only if it is still stale. `true` if it was removed.
   */
  async removeDead(path: string): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const done = (error?: NodeJS.ErrnoException | null) => {
        if (!error) resolve(true);
        else if (error.code === "ELOCKED" || error.code === "ENOENT") resolve(false);
        else reject(new CacheLockError(`cannot remove the dead lock ${path}`, { cause: error }));
      };
      if (path.endsWith(".reclaim")) fs.rmdir(path, done);
      else this.#reclaim(path, done);
    });
  }

  /**
   * Runs `critical` holding a short mutex: a directory made with `mkdir`, without
   * proper-lockfile's refresh (it is held for microseconds, around two renames). A mutex left by
   * a dead process is taken over like a lock once older than `staleMs`, through the same guard.
   */
  async withMutex<T>(path: string, critical: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        await fs.promises.mkdir(path);
        break;
      } catch (error) {
        if (errorCode(error) !== "EEXIST") {
          throw new CacheLockError(`cannot create mutex ${path}`, { cause: error });
        }
      }
      const stat = await fs.promises.stat(path).catch(() => undefined);
      if (stat !== undefined && stat.mtimeMs < Date.now() - this.#staleMs) {
        await this.removeDead(path);
      } else {
        await sleep(Math.min(1 + attempt, 10));
      }
    }
    try {
      return await critical();
    } finally {
      await fs.promises.rmdir(path).catch(() => undefined);
    }
  }

  /** Takes and releases a scratch lock so that later locks get an accurate mtime. */
  async warmUp(scratchLockPath: string): Promise<void> {
    const scratch = await this.tryLock(scratchLockPath);
    await scratch?.release();
  }

  /**
   * proper-lockfile removes a lock it found stale through `fs.rmdir`; this replaces that removal
   * with one serialized by a guard directory, which removes the lock only if it is still stale.
   */
  #reclaim(lockPath: string, callback: Callback): void {
    const guard = `${lockPath}.reclaim`;
    fs.mkdir(guard, (guardError) => {
      if (guardError) {
        if (guardError.code !== "EEXIST") {
          callback(guardError);
          return;
        }
        // A reclaimer that died holding the guard leaves it behind: clear it once it is stale.
        fs.stat(guard, (statError, stat) => {
          if (!statError && stat.mtimeMs < Date.now() - this.#staleMs)
            fs.rmdir(guard, () => {
              callback(contention());
            });
          else callback(contention());
        });
        return;
      }
      const done = (error?: NodeJS.ErrnoException | null) => {
        fs.rmdir(guard, () => {
          callback(error);
        });
      };
      fs.stat(lockPath, (statError, stat) => {
        if (statError) {
          done(statError.code === "ENOENT" ? null : statError);
        } else if (stat.mtimeMs >= Date.now() - this.#staleMs) {
          done(contention());
        } else {
          fs.rmdir(lockPath, (error) => {
            done(error && error.code !== "ENOENT" ? error : null);
          });
        }
      });
    });
  }
}
