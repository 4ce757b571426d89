import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { Flight, type FlightOutcome } from "../../src/manager/single-flight.js";

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const join = (flight: Flight, signal?: AbortSignal) =>
  flight.join({ originator: false, key: "key", lockTimeoutMs: 10_000, signal });

describe("Flight (unit)", () => {
  it("calls onDone once, when it settles", async () => {
    const work = deferred<FlightOutcome>();
    let done = 0;
    const flight = new Flight(
      () => work.promise,
      () => done++,
    );
    expect(done).toBe(0);
    const joined = join(flight);
    work.resolve({ data: Buffer.from("x"), generated: true });
    expect(await joined).toEqual({ data: Buffer.from("x"), generated: true });
    expect(done).toBe(1);
  });

  it("once abandoned by its last caller, aborts its signal and calls onDone", async () => {
    let signal: AbortSignal | undefined;
    let done = 0;
    const flight = new Flight(
      (control) => {
        signal = control.signal;
        return new Promise<FlightOutcome>(() => undefined);
      },
      () => done++,
    );
    const controller = new AbortController();
    const joined = join(flight, controller.signal).catch((e: unknown) => e);
    await sleep(1);
    expect(done).toBe(0);
    controller.abort();
    expect(await joined).toBe(controller.signal.reason);
    expect(done).toBe(1);
    expect(signal?.aborted).toBe(true);
  });

  it("a join with a signal already aborted rejects with its reason and does not count as a caller", async () => {
    let signal: AbortSignal | undefined;
    const work = deferred<FlightOutcome>();
    const flight = new Flight(
      (control) => {
        signal = control.signal;
        return work.promise;
      },
      () => undefined,
    );
    const reason = new Error("already gone");
    await expect(join(flight, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(signal?.aborted).toBe(false);
    work.resolve({ data: Buffer.from("x"), generated: true });
  });
});
