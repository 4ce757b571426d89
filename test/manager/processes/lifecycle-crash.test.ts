// Entry lifecycle under crashes: writers SIGKILLed at random instants of their puts (between the
// record's publish and the data's among them) never leave an entry that is served wrong. Readers
// in children and in the parent serve only whole payloads while the writers die; and whenever the
// writers are all dead, every entry that `info` reports matches the file on disk, and every entry
// that `get` serves (verify: "full") has its record's SHA-256 — a record and data that disagree
// are a miss, never a hit.

import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CacheManager } from "../../../src/index.js";
import { useTempDir } from "../../helpers/temp-dir.js";
import {
  makePayload,
  repetitions,
  sha256,
  sleep,
  useWorkers,
  verifyPayload,
  type Worker,
} from "./workers.js";

const KiB = 1024;

interface CheckerTally {
  gets: number;
  hits: number;
  infos: number;
  infoHits: number;
  creates: number;
  generated: number;
  bad: number;
  badSamples: unknown[];
}

interface CorruptMessage {
  key: string;
  reason: string;
}

describe("writers SIGKILLed at random instants of a put", () => {
  const tempDir = useTempDir();
  const spawnWorker = useWorkers();
  const figures: string[] = [];
  const corruptEvents: CorruptMessage[] = [];
  const onCorrupt = (message: unknown) => {
    corruptEvents.push(message as CorruptMessage);
  };
  subscribe("clarity-cache:corrupt", onCorrupt);

  afterEach(() => {
    corruptEvents.length = 0;
  });
  afterAll(() => {
    unsubscribe("clarity-cache:corrupt", onCorrupt);
    for (const line of figures) console.log(line);
  });

  // Kills happen in epochs: in each, every writer slot is killed `killsPerEpoch` times while
  // readers run; then the readers stop and, with nothing writing, the parent checks every entry.
  const killTarget = repetitions(36, 120);
  const maxDurationMs = repetitions(40_000, 150_000);
  const writerSlots = 3;
  const killsPerEpoch = 4;
  const keysPerSlot = 2;

  it(
    "never leave an entry that is served wrong, nor a record that disagrees with served data",
    async () => {
      const cacheDir = join(tempDir(), "cache");
      const slotKeys = Array.from({ length: writerSlots }, (_, slot) =>
        Array.from({ length: keysPerSlot }, (_, k) => `slot${slot}-key${k}`),
      );
      const keys = slotKeys.flat();
      const full = new CacheManager({ dir: cacheDir, verify: "full" });
      const sizeOnly = new CacheManager({ dir: cacheDir });
      const startedAt = Date.now();
      const totals = {
        kills: 0,
        puts: 0,
        childReads: 0,
        childHits: 0,
        childGenerated: 0,
        childBad: 0,
        parentReads: 0,
        parentHits: 0,
        parentBad: 0,
        checks: 0,
        checkedEntries: 0,
        quiescentMisses: 0,
        unservedData: 0,
        epochs: 0,
      };
      const childCorrupt: Record<string, number> = {};
      const crashLeft: Record<string, number> = {};

      while (totals.kills < killTarget) {
        expect(Date.now() - startedAt, "enough kills before the deadline").toBeLessThan(
          maxDurationMs,
        );
        totals.epochs++;
        // Readers: one verifies fully and regenerates missing entries, one checks sizes only.
        const checkers = [
          spawnWorker({
            mode: "checker",
            dir: cacheDir,
            keys,
            generate: true,
            manager: { verify: "full" },
          }),
          spawnWorker({ mode: "checker", dir: cacheDir, keys }),
        ];
        await Promise.all(checkers.map((checker) => checker.next("ready")));

        // One writer of a slot: killed at a random instant once it has published a first entry,
        // while its later puts stream (each takes a few ms: two staged files and their fsyncs,
        // two renames, two directory fsyncs), so most kills land inside a put.
        const killOne = async (slot: number) => {
          const writer: Worker = spawnWorker({
            mode: "putter",
            dir: cacheDir,
            keys: slotKeys[slot],
            minSize: 1 * KiB,
            maxSize: 256 * KiB,
          });
          await writer.next("put");
          await sleep(Math.random() * 40);
          writer.kill();
          await writer.exited;
          expect(writer.stderr).toBe("");
          expect(writer.all("fatal")).toEqual([]);
          totals.kills++;
          totals.puts += writer.all("put").length;
        };

        let slotsRunning = writerSlots;
        const runSlot = async (slot: number) => {
          try {
            for (let kill = 1; kill < killsPerEpoch; kill++) await killOne(slot);
          } finally {
            slotsRunning--;
          }
        };

        const readInParent = async () => {
          while (slotsRunning > 0) {
            const key = keys[Math.floor(Math.random() * keys.length)] ?? "";
            for (const cache of [full, sizeOnly]) {
              const data = await cache.get(key);
              totals.parentReads++;
              if (data === undefined) continue;
              totals.parentHits++;
              if (!verifyPayload(data)) totals.parentBad++;
            }
            const made = makePayload(`${key}:parent`, 4 * KiB);
            const entry = await full.getOrCreateEntry(key, () => made, {
              metadata: { sha: sha256(made) },
            });
            totals.parentReads++;
            if (!verifyPayload(entry.data)) totals.parentBad++;
            await sleep(Math.random() * 5);
          }
        };

        await Promise.all([
          ...Array.from({ length: writerSlots }, (_, slot) => runSlot(slot)),
          readInParent(),
        ]);
        for (const checker of checkers) checker.stop();
        for (const checker of checkers) {
          const done = await checker.next("done");
          expect((await checker.finished()).code).toBe(0);
          expect(checker.stderr).toBe("");
          const tally = done.tally as CheckerTally;
          expect(tally.bad, `bad reads in a reader child: ${JSON.stringify(tally)}`).toBe(0);
          totals.childReads += tally.gets + tally.creates;
          totals.childHits += tally.hits;
          totals.childGenerated += tally.generated;
          totals.childBad += tally.bad;
          for (const [reason, count] of Object.entries(done.corrupt as Record<string, number>)) {
            childCorrupt[reason] = (childCorrupt[reason] ?? 0) + count;
          }
        }
        expect(totals.parentBad, "bad reads in the parent").toBe(0);

        // The epoch's last kill of each slot happens with no reader running, so that what it
        // leaves is what the parent finds below.
        await Promise.all(Array.from({ length: writerSlots }, (_, slot) => killOne(slot)));

        // Nothing writes now. Whatever the crashes left: an entry `info` reports is exactly the
        // file on disk, its metadata names its own SHA-256, and a full read serves those bytes; an
        // entry `info` does not report is a miss for `get` too, and regenerated by getOrCreate.
        totals.checks++;
        const eventsBefore = corruptEvents.length;
        for (const key of keys) {
          const info = await full.info(key);
          const onDisk = await readFile(full.pathFor(key)).catch(() => undefined);
          if (info !== undefined) {
            totals.checkedEntries++;
            expect(onDisk, `${key}: info reports an entry whose file is missing`).toBeDefined();
            const bytes = onDisk ?? Buffer.alloc(0);
            expect(
              { size: bytes.length, sha256: sha256(bytes), whole: verifyPayload(bytes) },
              `${key}: the file on disk disagrees with info()`,
            ).toEqual({ size: info.size, sha256: info.sha256, whole: true });
            expect(info.metadata.sha, `${key}: the record's metadata`).toBe(info.sha256);
            const served = await full.get(key);
            expect(served && sha256(served), `${key}: a full read serves the recorded bytes`).toBe(
              info.sha256,
            );
          } else {
            totals.quiescentMisses++;
            // A data file that is not served: a writer died between publishing the record and
            // the data (or left the data of an earlier put under its own new record).
            if (onDisk !== undefined) totals.unservedData++;
            const served = await full.get(key);
            expect(served, `${key}: info() has no entry, so get() must miss`).toBeUndefined();
            expect(await sizeOnly.get(key)).toBeUndefined();
            const made = makePayload(`${key}:after`, 4 * KiB);
            const entry = await sizeOnly.getOrCreateEntry(key, () => made, {
              metadata: { sha: sha256(made) },
            });
            expect(entry.source, `${key}: regenerated`).toBe("generated");
            expect(sha256(entry.data)).toBe(sha256(made));
          }
        }
        // With no writer alive, a damaged entry the parent finds was left by a crash.
        for (const { reason } of corruptEvents.slice(eventsBefore)) {
          crashLeft[reason] = (crashLeft[reason] ?? 0) + 1;
        }
      }

      const parentCorrupt: Record<string, number> = {};
      for (const { reason } of corruptEvents) {
        parentCorrupt[reason] = (parentCorrupt[reason] ?? 0) + 1;
      }
      figures.push(
        `crash test: ${totals.kills} writer kills (${totals.puts}+ puts) in ${Date.now() - startedAt} ms, ` +
          `${totals.epochs} epochs; child reads ${totals.childReads} (${totals.childHits} get hits, ` +
          `${totals.childGenerated} regenerated), parent reads ${totals.parentReads} ` +
          `(${totals.parentHits} get hits); bad reads ${totals.childBad}+${totals.parentBad}; ` +
          `quiescent checks ${totals.checks}: ${totals.checkedEntries} entries matched, ` +
          `${totals.quiescentMisses} misses (${totals.unservedData} with a data file on disk that was ` +
          `not served: a crash between record and data; corrupt events then ${JSON.stringify(crashLeft)}); ` +
          `all corrupt events (damaged-entry misses) in the parent ` +
          `${JSON.stringify(parentCorrupt)}, in the children ${JSON.stringify(childCorrupt)}`,
      );
      expect(totals.kills).toBeGreaterThanOrEqual(killTarget);
      expect(totals.childHits + totals.parentHits, "the readers did see entries").toBeGreaterThan(
        0,
      );
      const counted = (await full.stats()).corruptions + (await sizeOnly.stats()).corruptions;
      expect(counted, "every corrupt event is counted in stats()").toBe(corruptEvents.length);
    },
    maxDurationMs + 30_000,
  );
});
