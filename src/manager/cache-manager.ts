import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CacheError } from "../errors/cache-error.js";
import { describe } from "../keys/key-options.js";
import type { FileSystem } from "../storage/file-system.js";
import { FileStorage } from "../storage/file-storage.js";
import type { CacheStorage } from "../storage/storage.js";
import { entryName } from "./entry-name.js";
import {
  assertOptionsObject,
  type CacheManagerOptions,
  checkMilliseconds,
  checkSignal,
  type EntryOptions,
  type GetOrCreateOptions,
  invalidOption,
} from "./options.js";
import { Flight, type FlightControl, type FlightOutcome } from "./single-flight.js";

/** What a generator is given. */
export interface GenerateContext {
  /** The entry's key. */
  key: string;
  /** Aborts when every caller waiting for this generation has gone (aborted or timed out). */
  signal: AbortSignal;
}

/**
 * Produces an entry's bytes when the cache has none. A string is stored as UTF-8.
 *
 * @param ctx - the key, and a signal that aborts when nobody waits for the result any more.
 * @returns the entry's bytes.
 */
export type Generate = (ctx: GenerateContext) => string | Uint8Array | Promise<string | Uint8Array>;

/** An entry returned by {@link CacheManager.getOrCreateEntry}. */
export interface CacheEntry {
  /** The entry's key. */
  key: string;
  /** Where the entry's bytes live ({@link CacheManager.pathFor}). */
  path: string;
  /** The entry's bytes. */
  data: Buffer;
  /**
   * `"hit"`: it was in the cache; `"generated"`: this call's `generate` made it; `"waited"`:
   * another call (in this process or another) made it while this one waited.
   */
  source: "hit" | "generated" | "waited";
}

/** Test seam: a file system for the manager's storage (faults injected through it). */
export const fileSystemSeam = Symbol("clarity-cache.file-system");

/** The options the constructor accepts, including the internal seam. */
type ConstructorOptions = CacheManagerOptions & { [fileSystemSeam]?: FileSystem };

const managerOptionNames = ["dir", "lockTimeoutMs", "staleLockMs"] as const;
const entryOptionNames = ["extension"] as const;
const getOrCreateOptionNames = ["extension", "lockTimeoutMs", "signal"] as const;

// Cross-process waiters poll: quickly at first (short generations), then every 25 ms, which
// keeps the contract's "notices a finished entry within 50 ms" with room to spare.
const pollDelaysMs = [2, 5, 10, 20];
const maxPollDelayMs = 25;

// One registry for the process, so that two managers on the same directory share flights.
const flights = new Map<string, Flight>();

/**
 * A disk cache for generated artifacts: returns the stored bytes of an entry, or runs the host's
 * generator **once** across every request and process sharing the directory, publishes the
 * result atomically and durably, and hands it to every caller.
 *
 * Entries are addressed by a key (see {@link cacheKey}) and an optional extension; the file at
 * {@link CacheManager.pathFor} holds exactly the entry's bytes.
 *
 * @example
 * ```ts
 * import { CacheManager, cacheKey } from "clarity-cache";
 *
 * const cache = new CacheManager({ dir: "/var/cache/reports" });
 * const key = cacheKey({ report: "quarterly", region: "north" });
 * const pdf = await cache.getOrCreate(key, ({ signal }) => renderPdf({ signal }), {
 *   extension: ".pdf",
 * });
 * ```
 */
export class CacheManager {
  /** The cache directory, absolute. */
  readonly dir: string;
  readonly #lockTimeoutMs: number;
  readonly #storage: CacheStorage;

  /**
   * @param options - see {@link CacheManagerOptions}.
   * @throws {@link CacheError} (`CACHE_INVALID_OPTION`) naming a bad option.
   */
  constructor(options?: CacheManagerOptions) {
    assertOptionsObject(options, "CacheManager options", managerOptionNames);
    // An empty variable counts as unset, as shells and XDG variables treat it.
    const fromEnvironment = process.env.CLARITY_CACHE_DIR;
    const {
      dir = fromEnvironment === undefined || fromEnvironment === ""
        ? ".clarity_cache"
        : fromEnvironment,
      lockTimeoutMs = 30_000,
      staleLockMs = 10_000,
    } = options ?? {};
    if (typeof dir !== "string" || dir === "") {
      throw invalidOption(`option "dir" must be a non-empty string, got ${describe(dir)}`);
    }
    this.dir = resolve(dir);
    this.#lockTimeoutMs = checkMilliseconds("lockTimeoutMs", lockTimeoutMs, 0);
    const fileSystem = (options as ConstructorOptions | undefined)?.[fileSystemSeam];
    this.#storage = new FileStorage({
      dir: this.dir,
      staleLockMs: checkMilliseconds("staleLockMs", staleLockMs, 2_000),
      ...(fileSystem && { fileSystem }),
    });
  }

  /**
   * Where an entry's bytes live (whether or not the entry exists): a file a host can stream or
   * `sendFile`.
   *
   * @param key - the entry's key: 1–200 of `[a-z0-9_-]`, starting with `[a-z0-9]`.
   * @param options - the entry's extension.
   * @returns an absolute path inside {@link CacheManager.dir}.
   * @throws {@link CacheKeyError} (`CACHE_INVALID_KEY`) for a bad key or extension.
   */
  pathFor(key: string, options?: EntryOptions): string {
    return this.#storage.pathFor(this.#name(key, options, entryOptionNames));
  }

  /**
   * The entry's bytes, or `undefined` if there is none.
   *
   * @param key - the entry's key.
   * @param options - the entry's extension.
   * @throws {@link CacheKeyError} (`CACHE_INVALID_KEY`) for a bad key or extension;
   *   {@link CacheIOError} when the file system fails.
   */
  async get(key: string, options?: EntryOptions): Promise<Buffer | undefined> {
    const name = this.#name(key, options, entryOptionNames);
    return this.#storage.read(name);
  }

  /**
   * Stores `data` as the entry, atomically and durably, replacing any entry of that name.
   *
   * @param key - the entry's key.
   * @param data - the bytes; a string is stored as UTF-8.
   * @param options - the entry's extension.
   * @returns {@link CacheManager.pathFor | the path} of the entry.
   * @throws {@link CacheKeyError} (`CACHE_INVALID_KEY`); {@link CacheError}
   *   (`CACHE_INVALID_OPTION`) for data that is neither a string nor bytes;
   *   {@link CacheIOError} when the file system fails (no partial entry is left).
   */
  async put(key: string, data: string | Uint8Array, options?: EntryOptions): Promise<string> {
    const name = this.#name(key, options, entryOptionNames);
    const bytes = toBytes(data);
    if (bytes === undefined) {
      throw invalidOption(`"data" must be a string or a Uint8Array, got ${describe(data)}`);
    }
    await this.#storage.write(name, bytes);
    return this.#storage.pathFor(name);
  }

  /**
   * Whether the entry exists.
   *
   * @param key - the entry's key.
   * @param options - the entry's extension.
   * @throws {@link CacheKeyError} (`CACHE_INVALID_KEY`); {@link CacheIOError}.
   */
  async has(key: string, options?: EntryOptions): Promise<boolean> {
    const name = this.#name(key, options, entryOptionNames);
    return this.#storage.exists(name);
  }

  /**
   * Removes the entry.
   *
   * @param key - the entry's key.
   * @param options - the entry's extension.
   * @returns `true` if an entry was removed.
   * @throws {@link CacheKeyError} (`CACHE_INVALID_KEY`); {@link CacheIOError}.
   */
  async delete(key: string, options?: EntryOptions): Promise<boolean> {
    const name = this.#name(key, options, entryOptionNames);
    return this.#storage.remove(name);
  }

  /**
   * Removes every entry of the directory. Internal files (locks, writes in progress) are left.
   *
   * @returns the number of entries removed.
   * @throws {@link CacheIOError} when the file system fails.
   */
  async clear(): Promise<number> {
    return this.#storage.clear();
  }

  /**
   * The entry's bytes: from the cache, or made by `generate` — once across every concurrent call
   * in this process and every process sharing the directory — then published and handed to
   * every caller. See {@link CacheManager.getOrCreateEntry} for the rules.
   *
   * @param key - the entry's key.
   * @param generate - makes the bytes on a miss.
   * @param options - extension, `lockTimeoutMs`, `signal`.
   * @returns the entry's bytes.
   *
   * @example
   * ```ts
   * const pdf = await cache.getOrCreate(key, () => renderReport(input), { extension: ".pdf" });
   * ```
   */
  async getOrCreate(
    key: string,
    generate: Generate,
    options?: GetOrCreateOptions,
  ): Promise<Buffer> {
    return (await this.getOrCreateEntry(key, generate, options)).data;
  }

  /**
   * Like {@link CacheManager.getOrCreate}, and tells where the bytes came from.
   *
   * - Concurrent calls for one entry run `generate` once: in this process they join the running
   *   generation without polling; across processes a lock decides, and waiters notice the
   *   finished entry within 50 ms.
   * - A call that has waited `lockTimeoutMs` for a generation another call started rejects with
   *   {@link CacheInProgressError}; with `signal` aborted it rejects promptly with the signal's
   *   reason. Neither cancels the generation for the others.
   * - A holder killed mid-generation blocks the entry for at most `staleLockMs` (plus a poll);
   *   then exactly one waiter takes over.
   * - If `generate` throws, nothing is written and every caller that joined gets that error. A
   *   result that is neither a string nor bytes rejects with {@link CacheError}
   *   (`CACHE_INVALID_RESULT`).
   *
   * @param key - the entry's key.
   * @param generate - makes the bytes on a miss.
   * @param options - extension, `lockTimeoutMs`, `signal`.
   * @returns the entry, with its `source`.
   * @throws {@link CacheKeyError} (`CACHE_INVALID_KEY`), {@link CacheError}
   *   (`CACHE_INVALID_OPTION`, `CACHE_INVALID_RESULT`), {@link CacheInProgressError},
   *   {@link CacheLockError}, {@link CacheIOError}; the generator's own error; the signal's reason.
   */
  async getOrCreateEntry(
    key: string,
    generate: Generate,
    options?: GetOrCreateOptions,
  ): Promise<CacheEntry> {
    const name = this.#name(key, options, getOrCreateOptionNames);
    const lockTimeoutMs =
      options?.lockTimeoutMs === undefined
        ? this.#lockTimeoutMs
        : checkMilliseconds("lockTimeoutMs", options.lockTimeoutMs, 0);
    const signal = checkSignal(options?.signal);
    if (typeof generate !== "function") {
      throw invalidOption(`"generate" must be a function, got ${describe(generate)}`);
    }
    signal?.throwIfAborted();

    const path = this.#storage.pathFor(name);
    const flightKey = `${this.dir}\0${name}`;
    const join = { key, lockTimeoutMs, signal };
    let flight = flights.get(flightKey);
    if (flight === undefined) {
      const data = await this.#storage.read(name);
      if (data !== undefined) return { key, path, data, source: "hit" };
      signal?.throwIfAborted();
      flight = flights.get(flightKey);
    }
    let originator = false;
    if (flight === undefined) {
      originator = true;
      const created: Flight = new Flight(
        (control) => this.#generateOnce(name, key, generate, control),
        () => {
          if (flights.get(flightKey) === created) flights.delete(flightKey);
        },
      );
      flight = created;
      flights.set(flightKey, flight);
    }
    const outcome = await flight.join({ ...join, originator });
    return {
      key,
      path,
      data: outcome.data,
      source: originator && outcome.generated ? "generated" : "waited",
    };
  }

  /** Takes the entry's lock (waiting for other processes), then generates and publishes. */
  async #generateOnce(
    name: string,
    key: string,
    generate: Generate,
    control: FlightControl,
  ): Promise<FlightOutcome> {
    const storage = this.#storage;
    for (let attempt = 0; ; attempt++) {
      control.signal.throwIfAborted();
      const lock = await storage.tryLock(name);
      if (lock !== undefined) {
        try {
          // Another process may have published while this one waited for the lock.
          const existing = await storage.read(name);
          if (existing !== undefined) return { data: existing, generated: false };
          control.generating();
          const result = await generate({ key, signal: control.signal });
          const data = toBytes(result);
          if (data === undefined) {
            throw new CacheError(
              "CACHE_INVALID_RESULT",
              `the generator of cache entry "${key}" returned ${describe(result)}; expected a string or a Uint8Array`,
            );
          }
          await storage.write(name, data);
          return { data, generated: true };
        } finally {
          // A failed release leaves a lock that nobody refreshes: it goes stale and is taken over.
          await lock.release().catch(() => undefined);
        }
      }
      const existing = await storage.read(name);
      if (existing !== undefined) return { data: existing, generated: false };
      control.contended();
      await sleep(pollDelaysMs[attempt] ?? maxPollDelayMs, undefined, { signal: control.signal });
    }
  }

  #name(key: unknown, options: unknown, allowed: readonly string[]): string {
    assertOptionsObject(options, "options", allowed);
    const extension: unknown = (options as EntryOptions | undefined)?.extension;
    // Only an absent extension means "none": null is as invalid as any other non-string.
    return entryName(key, extension === undefined ? "" : extension);
  }
}

/** A string as UTF-8, bytes as a Buffer over the same memory, anything else `undefined`. */
function toBytes(data: unknown): Buffer | undefined {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}
