// Generate once across processes: several children, each with several concurrent calls, started
// together on one cold key.

import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTempDir } from "../../helpers/temp-dir.js";
import { makePayload, repetitions, sha256, useWorkers, verifyPayload } from "./workers.js";

const processes = 4;
const callsPerProcess = 5;
const size = 256 * 1024;

describe("getOrCreate across processes on one cold key", () => {
  const tempDir = useTempDir();
  const spawnWorker = useWorkers();

  const rounds = repetitions(3, 10);
  for (let round = 1; round <= rounds; round++) {
    it(`runs generate exactly once for ${processes} processes × ${callsPerProcess} calls (round ${round}/${rounds})`, async () => {
      const cacheDir = join(tempDir(), "cache");
      const counterFile = join(tempDir(), "generations.log");
      const key = `cold-${round}`;
      const expected = sha256(makePayload(key, size));
      const workers = Array.from({ length: processes }, () =>
        spawnWorker({
          mode: "getOrCreate",
          dir: cacheDir,
          key,
          calls: callsPerProcess,
          barrier: true,
          lockTimeoutMs: 25_000,
          // Long enough that every call of every process is waiting before the entry exists.
          generate: { counterFile, delayMs: 1000, size },
        }),
      );
      await Promise.all(workers.map((worker) => worker.next("ready")));
      for (const worker of workers) worker.go();

      const outcomes = (await Promise.all(workers.map((worker) => worker.outcomes()))).flat();
      for (const worker of workers) {
        expect(await worker.finished(), "a worker exits by itself, cleanly").toEqual({
          code: 0,
          signal: null,
        });
        expect(worker.stderr).toBe("");
      }

      const generations = (await readFile(counterFile, "utf8")).trim().split("\n");
      expect(generations, "generate ran once across all processes").toHaveLength(1);
      expect(outcomes).toHaveLength(processes * callsPerProcess);
      for (const outcome of outcomes) {
        expect(outcome.error).toBeUndefined();
        expect(outcome.sha256, "every caller gets the same bytes").toBe(expected);
        expect(outcome.valid).toBe(true);
      }
      const sources = outcomes.map((outcome) => outcome.source);
      expect(sources.filter((source) => source === "generated")).toHaveLength(1);
      // All calls start well before the 1 s generation ends: nobody can have had a plain hit.
      expect(sources.filter((source) => source === "waited")).toHaveLength(
        processes * callsPerProcess - 1,
      );
      // The one "generated" call is in the process that counted the generation.
      const generator = workers.find((worker) =>
        worker.all("result").some((event) => event.source === "generated"),
      );
      expect(generations[0]).toBe(String(generator?.pid));

      const stored = await readFile(join(cacheDir, key));
      expect(sha256(stored)).toBe(expected);
      expect(verifyPayload(stored)).toBe(true);
    });
  }
});
