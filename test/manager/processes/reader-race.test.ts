// Readers racing writers that are SIGKILLed at random instants never see a partial entry.

import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CacheManager } from "../../../src/index.js";
import { useTempDir } from "../../helpers/temp-dir.js";
import { repetitions, sleep, useWorkers, verifyPayload, type Worker } from "./workers.js";

const MiB = 1024 * 1024;

describe("readers racing writers killed at random instants", () => {
  const tempDir = useTempDir();
  const spawnWorker = useWorkers();
  const figures: string[] = [];

  afterAll(() => {
    for (const line of figures) console.log(line);
  });

  const rounds = repetitions(1, 1);
  // Writers are killed until this many kills and at least `minDurationMs` have passed (bounded
  // by `maxDurationMs`, after which the test fails for too few kills).
  const killTarget = repetitions(40, 150);
  const minDurationMs = repetitions(4_000, 20_000);
  const maxDurationMs = repetitions(40_000, 150_000);
  const writerSlots = 4;
  for (let round = 1; round <= rounds; round++) {
    it(
      `see no entry or a whole one, never a partial one (round ${round}/${rounds})`,
      async () => {
        const cacheDir = join(tempDir(), "cache");
        const key = `raced-${round}`;
        const common = { dir: cacheDir, key };
        const cache = new CacheManager({ dir: cacheDir });
        const entryPath = cache.pathFor(key);
        const startedAt = Date.now();
        let kills = 0;
        let puts = 0;
        const writing = () => {
          const elapsed = Date.now() - startedAt;
          return elapsed < maxDurationMs && (kills < killTarget || elapsed < minDurationMs);
        };

        // Each writer slot: spawn a writer that puts 1–4 MiB payloads in a loop; once it has
        // published one entry, SIGKILL it at a random instant of its following puts; again.
        const runSlot = async () => {
          while (writing()) {
            const writer: Worker = spawnWorker({
              ...common,
              mode: "writer",
              minSize: MiB,
              maxSize: 4 * MiB,
            });
            await writer.next("first-put");
            await sleep(Math.random() * 150);
            const finishedPuts = writer.all("put").length;
            writer.kill();
            await writer.exited;
            expect(writer.stderr).toBe("");
            kills++;
            puts += 1 + finishedPuts;
          }
        };

        // The parent reads too, through the library and straight from pathFor.
        const parentTally = { reads: 0, missing: 0, whole: 0, partial: 0 };
        let slotsRunning = writerSlots;
        const readInParent = async () => {
          while (slotsRunning > 0) {
            const viaLibrary = await cache.get(key);
            const direct = await readFile(entryPath).catch(() => undefined);
            for (const data of [viaLibrary, direct]) {
              parentTally.reads++;
              if (data === undefined) parentTally.missing++;
              else if (verifyPayload(data)) parentTally.whole++;
              else parentTally.partial++;
            }
            await sleep(0);
          }
        };

        const readers = Array.from({ length: 1 }, () => spawnWorker({ ...common, mode: "reader" }));
        await Promise.all(readers.map((reader) => reader.next("ready")));
        await Promise.all([
          ...Array.from({ length: writerSlots }, async () => {
            try {
              await runSlot();
            } finally {
              slotsRunning--;
            }
          }),
          readInParent(),
        ]);
        const elapsedMs = Date.now() - startedAt;
        const tallies = await Promise.all(
          readers.map(async (reader) => {
            reader.stop();
            const done = await reader.next("done");
            expect((await reader.finished()).code).toBe(0);
            expect(reader.stderr).toBe("");
            return done.tally as { reads: number; missing: number; whole: number; partial: number };
          }),
        );

        const childReads = tallies.reduce((sum, tally) => sum + tally.reads, 0);
        const childWhole = tallies.reduce((sum, tally) => sum + tally.whole, 0);
        figures.push(
          `reader race round ${round}: ${kills} writer kills (${puts}+ puts) in ${elapsedMs} ms, ` +
            `${childReads} child reads (${childWhole} whole), ${parentTally.reads} parent reads ` +
            `(${parentTally.whole} whole), partial: ${tallies.map((t) => t.partial).join("+")}+${parentTally.partial}`,
        );
        for (const tally of tallies)
          expect(tally.partial, "partial reads in a reader child").toBe(0);
        expect(parentTally.partial, "partial reads in the parent").toBe(0);
        expect(kills).toBeGreaterThanOrEqual(killTarget);
        expect(childWhole + parentTally.whole, "the readers did see entries").toBeGreaterThan(0);

        // Afterwards: there is no entry or a whole one (a writer killed between publishing the
        // record and the data leaves a mismatch that a reader removes as damaged), the directory
        // holds nothing else but the internal folder, and the staging folder holds only staging
        // files (`<name>[.record].<uuid>`, or write-file-atomic's `….<digits>`) — nothing a reader
        // could take for an entry.
        const stored = await readFile(entryPath).catch(() => undefined);
        if (stored !== undefined) expect(verifyPayload(stored)).toBe(true);
        expect((await readdir(cacheDir)).filter((name) => name !== key)).toEqual([
          ".clarity-cache",
        ]);
        const staging = await readdir(join(cacheDir, ".clarity-cache", "tmp"));
        const stagingName = new RegExp(
          `^${key}(\\.record)?\\.[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}(\\.\\d+)?$`,
        );
        for (const name of staging) expect(name).toMatch(stagingName);
      },
      maxDurationMs + 30_000,
    );
  }
});
