import { existsSync } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { CacheError, isCacheError } from "../../src/errors/cache-error.js";
import { CacheInProgressError } from "../../src/errors/cache-in-progress-error.js";
import { CacheManager, type GenerateContext } from "../../src/manager/cache-manager.js";
import { FileLocker } from "../../src/storage/file-lock.js";
import { Layout } from "../../src/storage/layout.js";
import { makeTempDir } from "../helpers/temp-dir.js";

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Settles with what `promise` settles with, or fails once `ms` pass (a generous bound). */
/** Waits until `condition` holds (the generation has started, say): load-proof, unlike a sleep. */
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(2);
  }
}

async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  const timeout = new AbortController();
  try {
    return await Promise.race([
      promise,
      sleep(ms, undefined, { signal: timeout.signal }).then(() => {
        throw new Error(`did not settle within ${ms} ms`);
      }),
    ]);
  } finally {
    timeout.abort();
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected a rejection");
    },
    (error: unknown) => error,
  );
}

function expectInProgress(error: unknown, key: string, minWaitedMs: number): CacheInProgressError {
  expect(error).toBeInstanceOf(CacheInProgressError);
  expect(error).toBeInstanceOf(CacheError);
  expect(isCacheError(error, "CACHE_IN_PROGRESS")).toBe(true);
  const conflict = error as CacheInProgressError;
  expect(conflict.code).toBe("CACHE_IN_PROGRESS");
  expect(conflict.status).toBe(409);
  expect(conflict.key).toBe(key);
  expect(conflict.waitedMs).toBeGreaterThanOrEqual(minWaitedMs);
  expect(Number.isInteger(conflict.retryAfterSeconds)).toBe(true);
  expect(conflict.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  return conflict;
}

/** Holds an entry's generation lock as another process would, until the test ends. */
async function holdLockElsewhere(dir: string, name: string): Promise<{ release(): Promise<void> }> {
  const layout = new Layout(dir);
  await mkdir(layout.locksDir, { recursive: true });
  const lock = await new FileLocker({ staleMs: 10_000 }).tryLock(layout.lockPath(name));
  if (lock === undefined) throw new Error("the lock is already held");
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    await lock.release();
  };
  onTestFinished(release);
  return { release };
}

describe("abort", () => {
  it("a signal already aborted rejects with its reason; generate is not called", async () => {
    const dir = `${await makeTempDir()}/cache`;
    const cache = new CacheManager({ dir });
    const reason = new Error("client went away");
    const controller = new AbortController();
    controller.abort(reason);
    let called = false;
    const generate = () => {
      called = true;
      return "x";
    };
    await expect(cache.getOrCreate("key", generate, { signal: controller.signal })).rejects.toBe(
      reason,
    );
    await expect(
      cache.getOrCreateEntry("key", generate, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ name: "AbortError" });
    expect(called).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it("a joiner's abort rejects it promptly; the others still get the bytes; ctx.signal stays live", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    const gate = deferred<string>();
    let ctx: GenerateContext | undefined;
    const generate = (c: GenerateContext) => {
      ctx = c;
      return gate.promise;
    };
    const originator = cache.getOrCreateEntry("key", generate);
    await until(() => ctx !== undefined);
    const controller = new AbortController();
    const quitter = cache.getOrCreateEntry("key", generate, { signal: controller.signal });
    const stayer = cache.getOrCreateEntry("key", generate);
    await sleep(20);
    const reason = new Error("gave up");
    controller.abort(reason);
    // The generation is still held open: the quitter must not wait for it.
    expect(await within(1000, rejection(quitter))).toBe(reason);
    expect(ctx?.signal.aborted).toBe(false);

    gate.resolve("bytes");
    expect(await originator).toMatchObject({ source: "generated", data: Buffer.from("bytes") });
    expect(await stayer).toMatchObject({ source: "waited", data: Buffer.from("bytes") });
    expect(ctx?.signal.aborted).toBe(false);
    expect(await cache.get("key")).toEqual(Buffer.from("bytes"));
  });

  it("the originator's abort does not cancel the generation for a joiner", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    const gate = deferred<string>();
    let ctx: GenerateContext | undefined;
    const controller = new AbortController();
    const originator = cache.getOrCreate(
      "key",
      (c) => {
        ctx = c;
        return gate.promise;
      },
      { signal: controller.signal },
    );
    await until(() => ctx !== undefined);
    const joiner = cache.getOrCreateEntry("key", () => "never");
    await sleep(5);
    controller.abort();
    expect(await within(1000, rejection(originator))).toMatchObject({ name: "AbortError" });
    expect(ctx?.signal.aborted).toBe(false);
    gate.resolve("made");
    expect(await joiner).toMatchObject({ source: "waited", data: Buffer.from("made") });
  });

  it("when every caller aborts, ctx.signal aborts with an AbortError and nothing is published", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    let ctx: GenerateContext | undefined;
    const generate = (c: GenerateContext) => {
      ctx = c;
      return new Promise<string>((_, reject) => {
        c.signal.addEventListener("abort", () => {
          reject(c.signal.reason as Error);
        });
      });
    };
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    const calls = controllers.map((controller) =>
      rejection(cache.getOrCreate("key", generate, { signal: controller.signal })),
    );
    await until(() => ctx !== undefined);
    controllers[0]?.abort();
    controllers[1]?.abort();
    await sleep(10);
    expect(ctx?.signal.aborted).toBe(false);
    controllers[2]?.abort();
    const reasons = await within(1000, Promise.all(calls));
    reasons.forEach((reason, i) => {
      expect(reason).toBe(controllers[i]?.signal.reason);
    });
    expect(ctx?.signal.aborted).toBe(true);
    expect(ctx?.signal.reason).toBeInstanceOf(DOMException);
    expect((ctx?.signal.reason as DOMException).name).toBe("AbortError");

    // The abandoned generation unwinds and releases its lock; nothing was published.
    const locks = new Layout(cache.dir).locksDir;
    for (let i = 0; i < 100 && (await readdir(locks)).length > 0; i++) await sleep(10);
    expect(await readdir(locks)).toEqual([]);
    expect(await cache.has("key")).toBe(false);
    const next = await cache.getOrCreateEntry("key", () => "fresh", { lockTimeoutMs: 0 });
    expect(next).toMatchObject({ source: "generated", data: Buffer.from("fresh") });
  });

  it("an abandoned generation that ignores its signal still publishes once; a newcomer waits for it", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    const gate = deferred<string>();
    let ctx: GenerateContext | undefined;
    const controller = new AbortController();
    const first = cache.getOrCreate(
      "key",
      (c) => {
        ctx = c;
        return gate.promise;
      },
      { signal: controller.signal },
    );
    await until(() => ctx !== undefined);
    controller.abort();
    await expect(first).rejects.toMatchObject({ name: "AbortError" });
    expect(ctx?.signal.aborted).toBe(true);

    let newcomerCalls = 0;
    const newcomer = cache.getOrCreateEntry("key", () => {
      newcomerCalls++;
      return "second";
    });
    await sleep(30);
    gate.resolve("first");
    expect(await within(1000, newcomer)).toMatchObject({
      source: "waited",
      data: Buffer.from("first"),
    });
    expect(newcomerCalls).toBe(0);
  });

  it("an abort while waiting for another process's lock rejects promptly; generate is not called", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    await holdLockElsewhere(cache.dir, "key.pdf");
    const controller = new AbortController();
    let called = false;
    const call = cache.getOrCreate(
      "key",
      () => {
        called = true;
        return "x";
      },
      { extension: ".pdf", signal: controller.signal },
    );
    await sleep(60);
    const reason = new Error("stop");
    controller.abort(reason);
    expect(await within(1000, rejection(call))).toBe(reason);
    expect(called).toBe(false);
    expect(await cache.has("key", { extension: ".pdf" })).toBe(false);
  });
});

describe("lockTimeoutMs", () => {
  it("a joiner waiting past lockTimeoutMs on an in-process generation gets CacheInProgressError; the generation completes", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    const gate = deferred<string>();
    const generate = () => gate.promise;
    const originator = cache.getOrCreateEntry("report", generate);
    const patient = cache.getOrCreateEntry("report", generate);
    await sleep(10);
    const startedAt = performance.now();
    const error = await within(
      2000,
      rejection(cache.getOrCreate("report", generate, { lockTimeoutMs: 50 })),
    );
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(45);
    const conflict = expectInProgress(error, "report", 45);
    expect(conflict.retryAfterSeconds).toBe(1);
    expect(conflict.message).toContain("report");

    gate.resolve("done");
    expect(await originator).toMatchObject({ source: "generated", data: Buffer.from("done") });
    expect(await patient).toMatchObject({ source: "waited", data: Buffer.from("done") });
  });

  it("rounds retryAfterSeconds up to whole seconds", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    const gate = deferred<string>();
    const originator = cache.getOrCreate("key", () => gate.promise);
    await sleep(5);
    const error = await rejection(cache.getOrCreate("key", () => "x", { lockTimeoutMs: 1100 }));
    expect(expectInProgress(error, "key", 1050).retryAfterSeconds).toBe(2);
    gate.resolve("ok");
    await originator;
  });

  it("a joiner with lockTimeoutMs 0 rejects at once, while the generation is still running", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    const gate = deferred<string>();
    const originator = cache.getOrCreate("key", () => gate.promise);
    await sleep(10);
    const error = await within(
      1000,
      rejection(cache.getOrCreate("key", () => "x", { lockTimeoutMs: 0 })),
    );
    expectInProgress(error, "key", 0);
    gate.resolve("ok");
    expect(await originator).toEqual(Buffer.from("ok"));
  });

  it("the constructor's lockTimeoutMs is the default, and a call can override it", async () => {
    const cache = new CacheManager({ dir: await makeTempDir(), lockTimeoutMs: 0 });
    const gate = deferred<string>();
    let started = false;
    const originator = cache.getOrCreate("key", () => {
      started = true;
      return gate.promise;
    });
    await until(() => started);
    expectInProgress(await within(1000, rejection(cache.getOrCreate("key", () => "x"))), "key", 0);
    const patient = cache.getOrCreateEntry("key", () => "x", { lockTimeoutMs: 10_000 });
    await sleep(20);
    gate.resolve("ok");
    await originator;
    expect(await patient).toMatchObject({ source: "waited", data: Buffer.from("ok") });
  });

  it("the originator is not timed out by its own slow generate", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    const entry = await cache.getOrCreateEntry(
      "key",
      async () => {
        await sleep(200);
        return "slow";
      },
      { lockTimeoutMs: 50 },
    );
    expect(entry).toMatchObject({ source: "generated", data: Buffer.from("slow") });
  });
});

describe("waiting for a lock held elsewhere", () => {
  it("lockTimeoutMs 0 rejects at once with CacheInProgressError; generate is not called", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    await holdLockElsewhere(cache.dir, "key");
    let called = false;
    const error = await within(
      2000,
      rejection(
        cache.getOrCreate(
          "key",
          () => {
            called = true;
            return "x";
          },
          { lockTimeoutMs: 0 },
        ),
      ),
    );
    const conflict = expectInProgress(error, "key", 0);
    expect(conflict.waitedMs).toBeLessThan(1000);
    expect(called).toBe(false);
    expect(await cache.has("key")).toBe(false);
  });

  it("lockTimeoutMs 100 rejects after about 100 ms", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    await holdLockElsewhere(cache.dir, "key");
    const startedAt = performance.now();
    const error = await within(
      3000,
      rejection(cache.getOrCreate("key", () => "x", { lockTimeoutMs: 100 })),
    );
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(95);
    expectInProgress(error, "key", 95);
  });

  it("a waiter gets the entry the holder publishes, as waited, within a generous bound", async () => {
    const dir = await makeTempDir();
    const cache = new CacheManager({ dir });
    const other = new CacheManager({ dir });
    const holder = await holdLockElsewhere(dir, "key.pdf");
    let called = false;
    const waiter = cache.getOrCreateEntry(
      "key",
      () => {
        called = true;
        return "mine";
      },
      { extension: ".pdf" },
    );
    await sleep(100);
    await other.put("key", "theirs", { extension: ".pdf" });
    const publishedAt = performance.now();
    const entry = await within(1000, waiter);
    expect(performance.now() - publishedAt).toBeLessThan(1000);
    expect(entry).toMatchObject({ source: "waited", data: Buffer.from("theirs") });
    expect(called).toBe(false);
    await holder.release();
  });

  it("a waiter takes over and generates when the holder releases without publishing", async () => {
    const cache = new CacheManager({ dir: await makeTempDir() });
    const holder = await holdLockElsewhere(cache.dir, "key");
    const waiter = cache.getOrCreateEntry("key", () => "mine");
    await sleep(80);
    await holder.release();
    expect(await within(2000, waiter)).toMatchObject({
      source: "generated",
      data: Buffer.from("mine"),
    });
  });

  it("one caller's timeout does not end the wait of the others", async () => {
    const dir = await makeTempDir();
    const cache = new CacheManager({ dir });
    const holder = await holdLockElsewhere(dir, "key");
    const impatient = cache.getOrCreate("key", () => "x", { lockTimeoutMs: 50 });
    const patient = cache.getOrCreateEntry("key", () => "x", { lockTimeoutMs: 10_000 });
    expectInProgress(await within(2000, rejection(impatient)), "key", 45);
    await sleep(50);
    await new CacheManager({ dir }).put("key", "theirs");
    await holder.release();
    expect(await within(2000, patient)).toMatchObject({
      source: "waited",
      data: Buffer.from("theirs"),
    });
  });
});
