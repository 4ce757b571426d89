// Parent-side helpers of the cross-process tests: spawn test/fixtures/cache-worker.mjs children
// (which drive the built dist/index.js), read their JSON-line reports, and kill every child that
// is still running when a test ends, pass or fail.

import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll } from "vitest";

/** Longer runs under `npm run test:stress` (scripts/stress.mjs sets it). */
export const stress = process.env.CLARITY_STRESS === "1";

/** `normal` repetitions in `npm test`, `stressed` under `npm run test:stress`. */
export function repetitions(normal: number, stressed: number): number {
  return stress ? stressed : normal;
}

const workerScript = fileURLToPath(new URL("../../fixtures/cache-worker.mjs", import.meta.url));
const builtPackage = fileURLToPath(new URL("../../../dist/index.js", import.meta.url));
// Snapshots of dist/ live under node_modules/.cache, so that the package's own dependencies
// still resolve from them.
const snapshotRoot = fileURLToPath(
  new URL("../../../node_modules/.cache/clarity-cache-test-dist/", import.meta.url),
);

/**
 * Copies the built package to a private folder: another `npm test` in the same tree rebuilds
 * dist/ (tsup cleans it first), which must not pull the package away from a running worker.
 * Waits a while for dist/index.js to appear if a build is under way.
 */
async function snapshotBuiltPackage(): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (!existsSync(builtPackage)) {
    if (Date.now() > deadline) {
      throw new Error(`${builtPackage} is missing: build the package first (npx tsup)`);
    }
    await sleep(250);
  }
  const dir = join(snapshotRoot, `${process.pid}-${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  await copyFile(builtPackage, join(dir, "index.js"));
  return join(dir, "index.js");
}

/** One line a worker reported. */
export interface WorkerEvent {
  event: string;
  pid: number;
  /** `Date.now()` in the worker when it wrote the line. */
  t: number;
  [field: string]: unknown;
}

/** The error fields a worker reports. */
export interface ReportedError {
  name: string;
  message: string;
  code?: string;
  status?: number;
  key?: string;
  waitedMs?: number;
  retryAfterSeconds?: number;
}

/** One getOrCreateEntry call's outcome, as a worker reports it. */
export interface CallOutcome {
  call: number;
  source?: "hit" | "generated" | "waited";
  size?: number;
  sha256?: string;
  valid?: boolean;
  elapsedMs: number;
  error?: ReportedError;
}

/** How a worker ended. */
export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Waiter {
  event: string;
  resolve: (event: WorkerEvent) => void;
}

/** A running cache-worker.mjs child. */
export class Worker {
  readonly child: ChildProcess;
  readonly events: WorkerEvent[] = [];
  /** Everything the worker wrote to stderr. */
  stderr = "";
  /** Stdout lines that were not JSON (there should be none). */
  readonly strayOutput: string[] = [];
  readonly exited: Promise<WorkerExit>;
  exit: WorkerExit | undefined;
  #waiters: Waiter[] = [];

  constructor(instructions: Record<string, unknown>, builtPackagePath: string) {
    const env: NodeJS.ProcessEnv = { ...process.env, CLARITY_CACHE_TEST_DIST: builtPackagePath };
    // The workers run the built package; coverage and loaders of the test runner stay out.
    delete env.NODE_OPTIONS;
    delete env.NODE_V8_COVERAGE;
    this.child = spawn(process.execPath, [workerScript, JSON.stringify(instructions)], {
      stdio: ["pipe", "pipe", "pipe"],
      env,
    });
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    // Writing to a killed worker's stdin must not fail the test run.
    this.child.stdin?.on("error", () => undefined);
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    if (this.child.stdout) {
      createInterface({ input: this.child.stdout }).on("line", (line) => {
        this.#receive(line);
      });
    }
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  #receive(line: string): void {
    let event: WorkerEvent;
    try {
      event = JSON.parse(line) as WorkerEvent;
    } catch {
      this.strayOutput.push(line);
      return;
    }
    this.events.push(event);
    this.#waiters = this.#waiters.filter((waiter) => {
      if (waiter.event !== event.event) return true;
      waiter.resolve(event);
      return false;
    });
  }

  /** The first `event` the worker reported, or the next one; rejects after `timeoutMs`. */
  next(event: string, timeoutMs = 20_000): Promise<WorkerEvent> {
    const seen = this.events.find((e) => e.event === event);
    if (seen) return Promise.resolve(seen);
    return new Promise<WorkerEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `worker ${this.pid}: no "${event}" within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}; exit: ${JSON.stringify(this.exit)}; stderr: ${this.stderr}`,
          ),
        );
      }, timeoutMs);
      const settle = (e: WorkerEvent) => {
        clearTimeout(timer);
        resolve(e);
      };
      this.#waiters.push({ event, resolve: settle });
      // A worker that exits without the event fails fast instead of at the timeout.
      void this.exited.then(() => {
        setImmediate(() => {
          if (!this.events.some((e) => e.event === event)) {
            clearTimeout(timer);
            reject(
              new Error(
                `worker ${this.pid} exited (${JSON.stringify(this.exit)}) without "${event}"; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`,
              ),
            );
          }
        });
      });
    });
  }

  /** Every reported event of a kind. */
  all(event: string): WorkerEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  /** Lets a worker started with `barrier: true` start its calls. */
  go(): void {
    this.child.stdin?.write("go\n");
  }

  /** Tells a reader worker to stop and report. */
  stop(): void {
    this.child.stdin?.write("stop\n");
  }

  /** SIGKILL, if still running. */
  kill(): void {
    if (this.exit === undefined) this.child.kill("SIGKILL");
  }

  /** Waits for the worker to exit by itself; rejects (and kills it) after `timeoutMs`. */
  async finished(timeoutMs = 20_000): Promise<WorkerExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill();
        reject(
          new Error(
            `worker ${this.pid} did not exit within ${timeoutMs} ms (a hang); events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`,
          ),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The call outcomes of a getOrCreate worker's "done" report. */
  async outcomes(timeoutMs = 20_000): Promise<CallOutcome[]> {
    const done = await this.next("done", timeoutMs);
    return done.outcomes as CallOutcome[];
  }
}

/**
 * Registers the hooks of a suite that spawns workers: a check that the package is built, and an
 * `afterEach` that SIGKILLs every worker still running and waits for it to exit. Returns the
 * function that spawns a worker.
 */
export function useWorkers(): (instructions: Record<string, unknown>) => Worker {
  const live = new Set<Worker>();
  let snapshot: string | undefined;
  beforeAll(async () => {
    snapshot = await snapshotBuiltPackage();
  }, 90_000);
  afterAll(async () => {
    if (snapshot !== undefined) await rm(dirname(snapshot), { recursive: true, force: true });
  });
  afterEach(async () => {
    const workers = [...live];
    live.clear();
    for (const worker of workers) worker.kill();
    await Promise.all(workers.map((worker) => worker.exited));
  });
  return (instructions) => {
    if (snapshot === undefined) throw new Error("useWorkers(): the built package is not ready");
    const worker = new Worker(instructions, snapshot);
    live.add(worker);
    return worker;
  };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The SHA-256 of `data`, hex. */
export function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The same bytes as test/fixtures/payload.mjs `makePayload(seed, size)`. */
export function makePayload(seed: string, size: number): Buffer {
  const body = Buffer.alloc(Math.max(1, size - 32));
  for (let offset = 0, block = 0; offset < body.length; block++) {
    const digest = createHash("sha256").update(`${seed}:${block}`).digest();
    offset += digest.copy(body, offset);
  }
  return Buffer.concat([body, createHash("sha256").update(body).digest()]);
}

/** Whether `data` is a whole payload: its last 32 bytes are the SHA-256 of the rest. */
export function verifyPayload(data: Uint8Array): boolean {
  if (data.length <= 32) return false;
  const body = data.subarray(0, data.length - 32);
  const digest = createHash("sha256").update(body).digest();
  return digest.equals(data.subarray(data.length - 32));
}

/** Min, median and max of some figures, rounded, for a report line. */
export function summarize(figures: readonly number[]): string {
  if (figures.length === 0) return "no figures";
  const sorted = [...figures].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  return `n=${sorted.length} min=${Math.round(sorted[0] ?? 0)} median=${Math.round(median)} max=${Math.round(sorted.at(-1) ?? 0)}`;
}
