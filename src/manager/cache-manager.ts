import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CacheError, isCacheError } from "../errors/cache-error.js";
import { describe } from "../keys/key-options.js";
import type { FileSystem } from "../storage/file-system.js";
import { FileStorage } from "../storage/file-storage.js";
import type { CacheStorage, Observed, StoredEntry } from "../storage/storage.js";
import { type CacheCounters, type CacheStats, newCounters } from "./cache-stats.js";
import { diagnosticsChannels as channels, emit } from "./diagnostics.js";
import { type EntryInfo, toEntryInfo } from "./entry-info.js";
import { entryName, parseEntryName } from "./entry-name.js";
import { byLeastRecentUse, selectEvictions, type SizeBounds, totalSize } from "./eviction.js";
import {
  assertOptionsObject,
  type CacheManagerOptions,
  checkBound,
  checkLifetime,
  checkMetadata,
  checkMilliseconds,
  checkSignal,
  checkVerify,
  type EntryOptions,
  type GetOrCreateOptions,
  invalidOption,
  type WriteOptions,
} from "./options.js";
import type { PruneOptions, PruneReport } from "./prune.js";
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

const managerOptionNames = [
  "dir",
  "lockTimeoutMs",
  "staleLockMs",
  "ttlMs",
  "maxBytes",
  "maxEntries",
  "verify",
] as const;
const entryOptionNames = ["extension"] as const;
const writeOptionNames = ["extension", "ttlMs", "metadata"] as const;
const getOrCreateOptionNames = [
  "extension",
  "ttlMs",
  "metadata",
  "lockTimeoutMs",
  "signal",
] as const;
const pruneOptionNames = ["maxBytes", "maxEntries", "maxAgeMs", "dryRun"] as const;

/** A write takes the cache down to this fraction of a bound it crossed. */
const evictionTarget = 0.9;
/** A hit records a use of its entry at most this often (per process). */
const touchIntervalMs = 1_000;
const maxRememberedTouches = 10_000;
/** `prune` removes temp files of writers that have not touched them for this long. */
const tempFileGraceMs = 60 * 60 * 1000;

/** The write settings of one call: lifetime and metadata. */
interface WriteSettings {
  ttlMs: number | undefined;
  metadata: Record<string, string>;
}

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
  readonly #staleLockMs: number;
  readonly #ttlMs: number | undefined;
  readonly #bounds: SizeBounds;
  readonly #verify: "size" | "full";
  readonly #storage: CacheStorage;
  readonly #counters: CacheCounters = newCounters();
  /** This process's estimate of the cache's size, kept between scans; unknown before one. */
  #usage: { bytes: number; entries: number } | undefined;
  /** Last-use times being recorded: scans wait for them, so LRU order sees this process's uses. */
  readonly #pendingTouches = new Set<Promise<void>>();
  /** When this process last recorded a use of each entry. */
  readonly #lastTouches = new Map<string, number>();

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
      ttlMs,
      maxBytes,
      maxEntries,
      verify = "size",
    } = options ?? {};
    if (typeof dir !== "string" || dir === "") {
      throw invalidOption(`option "dir" must be a non-empty string, got ${describe(dir)}`);
    }
    this.dir = resolve(dir);
    this.#lockTimeoutMs = checkMilliseconds("lockTimeoutMs", lockTimeoutMs, 0);
    this.#staleLockMs = checkMilliseconds("staleLockMs", staleLockMs, 2_000);
    this.#ttlMs = ttlMs === undefined ? undefined : checkLifetime("ttlMs", ttlMs);
    this.#bounds = {
      maxBytes: maxBytes === undefined ? undefined : checkBound("maxBytes", maxBytes),
      maxEntries: maxEntries === undefined ? undefined : checkBound("maxEntries", maxEntries),
    };
    this.#verify = checkVerify(verify);
    const fileSystem = (options as ConstructorOptions | undefined)?.[fileSystemSeam];
    this.#storage = new FileStorage({
      dir: this.dir,
      staleLockMs: this.#staleLockMs,
      onLockLost: (lockPath, error) => {
        emit(channels.lockLost, () => ({ dir: this.dir, lockPath, error }));
      },
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
    return this.#read(name);
  }

  /**
   * Reads an entry as `get` and `getOrCreate` do: a hit records a use; an absent, expired or
   * damaged entry is a miss, and a damaged one is removed (only if no newer one replaced it).
   */
  async #read(name: string): Promise<Buffer | undefined> {
    const result = await this.#storage.read(name, { verify: this.#verify, now: Date.now() });
    if (result.kind === "hit") {
      this.#counters.hits++;
      this.#touch(name);
      emit(channels.hit, () => ({
        dir: this.dir,
        ...parseEntryName(name),
        size: result.entry.size,
      }));
      return result.data;
    }
    this.#counters.misses++;
    const reason = result.kind;
    emit(channels.miss, () => ({ dir: this.dir, ...parseEntryName(name), reason }));
    if (result.kind === "corrupt") await this.#removeDamaged(result.reason, result.observed);
    return undefined;
  }

  /** Counts and reports a damaged entry, and removes it; `true` if it was removed. */
  async #removeDamaged(reason: string, observed: Observed): Promise<boolean> {
    this.#counters.corruptions++;
    emit(channels.corrupt, () => ({ dir: this.dir, ...parseEntryName(observed.name), reason }));
    return this.#storage.removeIfUnchanged(observed);
  }

  /**
   * Records a use without making the hit wait for it, at most once a second per entry and
   * process: last-use order is kept to the second, and a hot entry costs no extra I/O.
   */
  #touch(name: string): void {
    const now = Date.now();
    const last = this.#lastTouches.get(name);
    if (last !== undefined && now - last < touchIntervalMs) return;
    // Forgetting is safe (the next hit just touches again); it bounds the map's memory.
    if (this.#lastTouches.size >= maxRememberedTouches) this.#lastTouches.clear();
    this.#lastTouches.set(name, now);
    const touch = this.#storage
      .touch(name, now)
      .catch(() => undefined)
      .finally(() => this.#pendingTouches.delete(touch));
    this.#pendingTouches.add(touch);
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
  async put(key: string, data: string | Uint8Array, options?: WriteOptions): Promise<string> {
    const name = this.#name(key, options, writeOptionNames);
    const settings = this.#writeSettings(options);
    const bytes = toBytes(data);
    if (bytes === undefined) {
      throw invalidOption(`"data" must be a string or a Uint8Array, got ${describe(data)}`);
    }
    await this.#write(name, bytes, settings);
    return this.#storage.pathFor(name);
  }

  #writeSettings(options: WriteOptions | undefined): WriteSettings {
    const ttlMs =
      options?.ttlMs === undefined ? this.#ttlMs : checkLifetime("ttlMs", options.ttlMs);
    return { ttlMs, metadata: checkMetadata(options?.metadata) };
  }

  /** Publishes an entry, then keeps the size bounds. */
  async #write(name: string, data: Buffer, settings: WriteSettings): Promise<void> {
    await this.#keepBounds(await this.#publish(name, data, settings));
  }

  /** Publishes an entry with its record: created now, expiring after the settings' lifetime. */
  #publish(name: string, data: Buffer, settings: WriteSettings): Promise<StoredEntry> {
    const createdAt = Date.now();
    return this.#storage.write(name, data, {
      createdAt,
      expiresAt: settings.ttlMs === undefined ? undefined : createdAt + settings.ttlMs,
      metadata: settings.metadata,
    });
  }

  /**
   * After a write: if the bounds may be crossed, scans the directory (every process's entries)
   * and evicts least recently used entries down to 90 % of each bound. Between scans, this
   * process's own writes are counted, so a write that keeps within the bounds costs nothing.
   */
  async #keepBounds(written: StoredEntry): Promise<void> {
    const { maxBytes, maxEntries } = this.#bounds;
    if (maxBytes === undefined && maxEntries === undefined) return;
    const usage = this.#usage;
    if (usage !== undefined) {
      usage.bytes += written.size;
      usage.entries += 1;
      if (usage.bytes <= (maxBytes ?? Infinity) && usage.entries <= (maxEntries ?? Infinity))
        return;
    }
    const { valid, expired } = await this.#scan();
    for (const entry of expired) await this.#evict(entry, "expired");
    let bytes = totalSize(valid);
    let entries = valid.length;
    // The running count only says a bound may be crossed (a rewrite counts as a new entry);
    // the scan says whether it is.
    if (bytes <= (maxBytes ?? Infinity) && entries <= (maxEntries ?? Infinity)) {
      this.#usage = { bytes, entries };
      return;
    }
    const over = maxBytes !== undefined && bytes > maxBytes ? "maxBytes" : "maxEntries";
    for (const victim of selectEvictions(valid, this.#bounds, evictionTarget)) {
      if (await this.#evict(victim, over)) {
        bytes -= victim.size;
        entries -= 1;
      }
    }
    this.#usage = { bytes, entries };
  }

  /** Removes an entry unless a newer one replaced it; `true` if it was removed. */
  async #evict(entry: StoredEntry, reason: string): Promise<boolean> {
    const removed = await this.#storage.removeIfUnchanged({
      name: entry.name,
      identity: entry.identity,
      size: entry.size,
      recordText: undefined,
    });
    if (removed) {
      this.#counters.evictions++;
      emit(channels.evict, () => ({
        dir: this.dir,
        ...parseEntryName(entry.name),
        size: entry.size,
        reason,
      }));
    }
    return removed;
  }

  /** Scans the directory once this process's recorded uses have landed. */
  async #scan(): ReturnType<CacheStorage["scan"]> {
    await Promise.all(this.#pendingTouches);
    return this.#storage.scan(Date.now());
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
    return (await this.#storage.describe(name, Date.now())).kind === "valid";
  }

  /**
   * What the cache knows about an entry, or `undefined` if there is no valid, unexpired entry.
   * Does not count as a use.
   *
   * @param key - the entry's key.
   * @param options - the entry's extension.
   * @throws {@link CacheKeyError} (`CACHE_INVALID_KEY`); {@link CacheIOError}.
   *
   * @example
   * ```ts
   * const info = await cache.info(key, { extension: ".pdf" });
   * if (info) console.log(info.size, info.metadata["content-type"], info.lastAccessAt);
   * ```
   */
  async info(key: string, options?: EntryOptions): Promise<EntryInfo | undefined> {
    const name = this.#name(key, options, entryOptionNames);
    const described = await this.#storage.describe(name, Date.now());
    if (described.kind !== "valid") return undefined;
    return toEntryInfo(described.entry, this.#storage.pathFor(name));
  }

  /**
   * Every valid, unexpired entry of the directory (every process's), in no particular order.
   * Does not count as a use.
   *
   * @throws {@link CacheIOError}.
   *
   * @example
   * ```ts
   * for await (const entry of cache.entries()) console.log(entry.key, entry.size);
   * ```
   */
  async *entries(): AsyncIterable<EntryInfo> {
    const { valid } = await this.#scan();
    for (const entry of valid) yield toEntryInfo(entry, this.#storage.pathFor(entry.name));
  }

  /**
   * Counts the directory's valid, unexpired entries and their bytes, with this manager's
   * counters since it was made.
   *
   * @throws {@link CacheIOError}.
   */
  async stats(): Promise<CacheStats> {
    const { valid } = await this.#scan();
    const bytes = totalSize(valid);
    return { entries: valid.length, bytes, ...this.#counters };
  }

  /**
   * Removes expired entries, entries older than `maxAgeMs` (from creation), damaged entries,
   * and least recently used entries until the bounds hold (the given ones, else the manager's;
   * down to the bound itself, not 90 %); then temp files of dead writers older than an hour, and
   * dead holders' locks. Safe while other processes read and write: it never removes an entry
   * published after it looked, nor a live holder's lock.
   *
   * @param options - bounds, `maxAgeMs`, and `dryRun` to report without removing.
   * @returns what was (or would be) removed, and what remains.
   * @throws {@link CacheError} (`CACHE_INVALID_OPTION`); {@link CacheIOError}.
   *
   * @example
   * ```ts
   * const report = await cache.prune({ maxBytes: 5 * 1024 ** 3, maxAgeMs: 30 * 86_400_000 });
   * console.log(`freed ${report.freedBytes} bytes`);
   * ```
   */
  async prune(options?: PruneOptions): Promise<PruneReport> {
    assertOptionsObject(options, "prune options", pruneOptionNames);
    const bounds: SizeBounds = {
      maxBytes:
        options?.maxBytes === undefined
          ? this.#bounds.maxBytes
          : checkBound("maxBytes", options.maxBytes),
      maxEntries:
        options?.maxEntries === undefined
          ? this.#bounds.maxEntries
          : checkBound("maxEntries", options.maxEntries),
    };
    const maxAgeMs =
      options?.maxAgeMs === undefined ? undefined : checkLifetime("maxAgeMs", options.maxAgeMs);
    const dryRun = options?.dryRun ?? false;
    if (typeof dryRun !== "boolean") {
      throw invalidOption(`option "dryRun" must be a boolean, got ${describe(dryRun)}`);
    }

    const now = Date.now();
    const { valid, expired, damaged } = await this.#scan();
    const report: PruneReport = {
      removedEntries: 0,
      freedBytes: 0,
      removedTempFiles: 0,
      removedLocks: 0,
      remainingEntries: 0,
      remainingBytes: 0,
    };
    const removeEntry = async (entry: StoredEntry, reason: string): Promise<boolean> => {
      if (!dryRun && !(await this.#evict(entry, reason))) return false;
      report.removedEntries++;
      report.freedBytes += entry.size;
      return true;
    };
    for (const { reason, observed } of damaged) {
      // A damaged entry replaced meanwhile by a valid one is kept, and not reported as removed.
      if (!dryRun && !(await this.#removeDamaged(reason, observed))) continue;
      report.removedEntries++;
      report.freedBytes += observed.size;
    }
    for (const entry of expired) await removeEntry(entry, "expired");
    const kept: StoredEntry[] = [];
    for (const entry of valid) {
      if (maxAgeMs !== undefined && entry.createdAt < now - maxAgeMs) {
        if (await removeEntry(entry, "maxAge")) continue;
      }
      kept.push(entry);
    }
    const victims = new Set(selectEvictions(kept, bounds, 1));
    for (const entry of [...kept].sort(byLeastRecentUse)) {
      if (victims.has(entry) && (await removeEntry(entry, "prune"))) continue;
      report.remainingEntries++;
      report.remainingBytes += entry.size;
    }
    const swept = await this.#storage.sweep({
      tempGraceMs: tempFileGraceMs,
      lockGraceMs: 2 * this.#staleLockMs,
      now,
      dryRun,
    });
    report.removedTempFiles = swept.removedTempFiles;
    report.removedLocks = swept.removedLocks;
    if (!dryRun) this.#usage = { bytes: report.remainingBytes, entries: report.remainingEntries };
    return report;
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
    const settings = this.#writeSettings(options);
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
      const data = await this.#read(name);
      if (data !== undefined) return { key, path, data, source: "hit" };
      signal?.throwIfAborted();
      flight = flights.get(flightKey);
    }
    let originator = false;
    if (flight === undefined) {
      originator = true;
      const created: Flight = new Flight(
        (control) => this.#generateOnce(name, key, generate, settings, control),
        () => {
          if (flights.get(flightKey) === created) flights.delete(flightKey);
        },
      );
      flight = created;
      flights.set(flightKey, flight);
    }
    if (!originator) emit(channels.wait, () => ({ dir: this.dir, ...parseEntryName(name) }));
    let outcome: FlightOutcome;
    try {
      outcome = await flight.join({ ...join, originator });
    } catch (error) {
      if (isCacheError(error, "CACHE_IN_PROGRESS")) {
        this.#counters.conflicts++;
        emit(channels.conflict, () => ({
          dir: this.dir,
          ...parseEntryName(name),
          waitedMs: error.waitedMs,
        }));
      }
      throw error;
    }
    const source = originator && outcome.generated ? "generated" : "waited";
    if (source === "waited") this.#counters.waited++;
    return { key, path, data: outcome.data, source };
  }

  /** Takes the entry's lock (waiting for other processes), then generates and publishes. */
  async #generateOnce(
    name: string,
    key: string,
    generate: Generate,
    settings: WriteSettings,
    control: FlightControl,
  ): Promise<FlightOutcome> {
    const storage = this.#storage;
    for (let attempt = 0; ; attempt++) {
      control.signal.throwIfAborted();
      const lock = await storage.tryLock(name);
      if (lock !== undefined) {
        let written: StoredEntry;
        let data: Buffer;
        try {
          // Another process may have published while this one waited for the lock.
          const existing = await this.#readForFlight(name);
          if (existing !== undefined) return { data: existing, generated: false };
          control.generating();
          data = await this.#runGenerator(name, key, generate, control.signal);
          written = await this.#publish(name, data, settings);
          this.#counters.generated++;
        } finally {
          // A failed release leaves a lock that nobody refreshes: it goes stale and is taken over.
          await lock.release().catch(() => undefined);
        }
        await this.#keepBounds(written);
        return { data, generated: true };
      }
      const existing = await this.#readForFlight(name);
      if (existing !== undefined) return { data: existing, generated: false };
      control.contended();
      await sleep(pollDelaysMs[attempt] ?? maxPollDelayMs, undefined, { signal: control.signal });
    }
  }

  /** Calls the host's generator, checks its result, and reports both ends of it. */
  async #runGenerator(
    name: string,
    key: string,
    generate: Generate,
    signal: AbortSignal,
  ): Promise<Buffer> {
    const startedAt = performance.now();
    emit(channels.generateStart, () => ({ dir: this.dir, ...parseEntryName(name) }));
    try {
      const result = await generate({ key, signal });
      const data = toBytes(result);
      if (data === undefined) {
        throw new CacheError(
          "CACHE_INVALID_RESULT",
          `the generator of cache entry "${key}" returned ${describe(result)}; expected a string or a Uint8Array`,
        );
      }
      emit(channels.generateEnd, () => ({
        dir: this.dir,
        ...parseEntryName(name),
        durationMs: performance.now() - startedAt,
        size: data.byteLength,
      }));
      return data;
    } catch (error) {
      emit(channels.generateEnd, () => ({
        dir: this.dir,
        ...parseEntryName(name),
        durationMs: performance.now() - startedAt,
        error,
      }));
      throw error;
    }
  }

  /** A read inside a flight: a valid entry is the flight's outcome, not a caller's hit. */
  async #readForFlight(name: string): Promise<Buffer | undefined> {
    const result = await this.#storage.read(name, { verify: this.#verify, now: Date.now() });
    if (result.kind === "hit") return result.data;
    if (result.kind === "corrupt") await this.#removeDamaged(result.reason, result.observed);
    return undefined;
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
