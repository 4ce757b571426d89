import { CacheInProgressError } from "../errors/cache-in-progress-error.js";

/** What a generation produced: the entry's bytes, and whether this process generated them. */
export interface FlightOutcome {
  data: Buffer;
  generated: boolean;
}

/** What the generation's work sees of its flight. */
export interface FlightControl {
  /** Aborts when every caller has gone. */
  readonly signal: AbortSignal;
  /** Another process holds the lock and no entry is there yet: callers past their deadline leave. */
  contended(): void;
  /** This process now holds the lock and runs `generate`. */
  generating(): void;
}

/** How one caller takes part in a flight. */
export interface JoinOptions {
  /** Whether this caller's call started the flight (and so its generation). */
  originator: boolean;
  key: string;
  lockTimeoutMs: number;
  signal: AbortSignal | undefined;
}

interface Caller {
  readonly originator: boolean;
  /** The originator's deadline passed while its flight was not yet known to be contended. */
  overdue: boolean;
  leave(error: unknown): void;
  settle(outcome: FlightOutcome | undefined, error: unknown): void;
}

/**
 * One generation of one entry in this process, shared by every caller that asks for the entry
 * while it runs. Callers join without polling, and leave on their own abort or timeout without
 * cancelling it for the others; the work's `signal` aborts only when the last caller has gone.
 *
 * `lockTimeoutMs` bounds a caller's wait for a generation that another call started: a joiner's
 * wait from the moment it joins; the originator's only while the flight waits for another
 * process (its own `generate` is not bounded).
 */
export class Flight {
  readonly #callers = new Set<Caller>();
  readonly #controller = new AbortController();
  #state: "starting" | "contended" | "generating" = "starting";
  #settled = false;
  readonly #onDone: () => void;

  /**
   * @param work - the generation; it starts at once.
   * @param onDone - called once when the flight settles or is abandoned by its last caller.
   */
  constructor(work: (control: FlightControl) => Promise<FlightOutcome>, onDone: () => void) {
    this.#onDone = onDone;
    const control: FlightControl = {
      signal: this.#controller.signal,
      contended: () => {
        this.#state = "contended";
        for (const caller of this.#callers) {
          if (caller.overdue) caller.leave(undefined);
        }
      },
      generating: () => {
        this.#state = "generating";
      },
    };
    work(control).then(
      (outcome) => {
        this.#settle(outcome, undefined);
      },
      (error: unknown) => {
        this.#settle(undefined, error);
      },
    );
  }

  /** Waits for the flight's outcome, within this caller's own bounds. */
  join(options: JoinOptions): Promise<FlightOutcome> {
    const startedAt = performance.now();
    return new Promise<FlightOutcome>((resolve, reject) => {
      const { signal } = options;
      const cleanUp = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#callers.delete(caller);
      };
      const caller: Caller = {
        originator: options.originator,
        overdue: false,
        leave: (reason) => {
          cleanUp();
          const waitedMs = performance.now() - startedAt;
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an abort reason passes through unchanged
          reject(
            reason ??
              new CacheInProgressError({
                key: options.key,
                waitedMs,
                retryAfterSeconds: options.lockTimeoutMs / 1000,
              }),
          );
          if (this.#callers.size === 0 && !this.#settled) this.#abandon();
        },
        settle: (outcome, error) => {
          cleanUp();
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the generator's own error passes through unchanged
          if (outcome === undefined) reject(error);
          else resolve(outcome);
        },
      };
      const onAbort = () => {
        caller.leave(signal?.reason);
      };
      if (signal?.aborted) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the signal's reason passes through unchanged
        reject(signal.reason);
        return;
      }
      this.#callers.add(caller);
      signal?.addEventListener("abort", onAbort, { once: true });
      const timer = setTimeout(() => {
        if (!caller.originator) caller.leave(undefined);
        else if (this.#state === "contended") caller.leave(undefined);
        else if (this.#state === "starting") caller.overdue = true;
      }, options.lockTimeoutMs);
    });
  }

  #settle(outcome: FlightOutcome | undefined, error: unknown): void {
    this.#settled = true;
    for (const caller of this.#callers) caller.settle(outcome, error);
    this.#callers.clear();
    this.#onDone();
  }

  #abandon(): void {
    this.#controller.abort(
      new DOMException("every caller waiting for this cache entry has gone", "AbortError"),
    );
    this.#onDone();
  }
}
