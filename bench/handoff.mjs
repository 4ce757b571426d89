// Cross-process figures: how soon a waiter in another process notices a finished entry (the
// contract promises within 50 ms), and how soon a waiter takes over from a holder killed with
// SIGKILL (at most staleLockMs plus one poll).
import { fork } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { median, ms, table, tempDir, verdict } from "./measure.mjs";

export const name = "handoff";
export const description =
  "cross-process: a waiter noticing a finished entry; a waiter taking over from a SIGKILLed holder";

/** The contract: a waiter notices a finished entry within this. */
export const maxNoticeMs = 50;
/** The smallest staleLockMs the manager accepts: the takeover figure's scale. */
const staleLockMs = 2000;
/** One poll of a waiter, at its slowest (cache-manager.ts). */
const pollMs = 25;
/** How long the other process's generation runs before it finishes. */
const holdMs = 300;

const childPath = fileURLToPath(new URL("./handoff-child.mjs", import.meta.url));
const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Starts a holder process for `key` and resolves once it holds the entry's lock. */
async function startHolder(dir, key, mode) {
  const child = fork(childPath, [dir, key, mode, String(holdMs), String(staleLockMs)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const messages = {};
  const arrived = {};
  child.on("message", (message) => {
    for (const [name, at] of Object.entries(message)) {
      messages[name] = at;
      arrived[name]?.(at);
    }
  });
  const next = (name) =>
    messages[name] !== undefined
      ? Promise.resolve(messages[name])
      : new Promise((resolve) => (arrived[name] = resolve));
  const exited = once(child, "exit");
  await Promise.race([
    next("holding"),
    exited.then(() => {
      throw new Error("the holder process exited before it held the lock");
    }),
  ]);
  return { child, next, exited };
}

/**
 * Runs the section and prints its table.
 *
 * @param {{ lib: typeof import("../dist/index.js"); rounds: number; quick?: boolean; log: (line: string) => void }} context
 */
export async function run({ lib, rounds, quick = false, log }) {
  const { dir, remove } = tempDir("handoff");
  try {
    const waiter = new lib.CacheManager({ dir, staleLockMs });
    const mustNotGenerate = () => {
      throw new Error("the waiter generated although the holder finished");
    };

    // A holder that finishes: from its generator's return (its write still to come) and from
    // its getOrCreate's resolution, to the waiter having the bytes.
    const fromGenerated = [];
    const fromPublished = [];
    const noticeRounds = Math.min(rounds, quick ? 3 : 7);
    for (let round = 0; round < noticeRounds; round++) {
      const key = `notice-${round}`;
      const holder = await startHolder(dir, key, "finish");
      const entry = await waiter.getOrCreateEntry(key, mustNotGenerate);
      const noticed = now();
      if (entry.source !== "waited") throw new Error(`the waiter's entry was "${entry.source}"`);
      fromGenerated.push(noticed - (await holder.next("generated")));
      fromPublished.push(noticed - (await holder.next("published")));
      await holder.exited;
    }

    // A holder killed with SIGKILL mid-generation: from the kill to the waiter's generate call.
    const takeovers = [];
    const takeoverRounds = quick ? 1 : 3;
    for (let round = 0; round < takeoverRounds; round++) {
      const key = `takeover-${round}`;
      const holder = await startHolder(dir, key, "hang");
      let generatedAt;
      const waiting = waiter.getOrCreateEntry(key, () => {
        generatedAt = now();
        return "taken over";
      });
      // Kill at a random instant of the holder's refresh period (staleLockMs / 2).
      await sleep(100 + Math.random() * (staleLockMs / 2));
      const killedAt = now();
      holder.child.kill("SIGKILL");
      const entry = await waiting;
      if (entry.source !== "generated") throw new Error(`the waiter's entry was "${entry.source}"`);
      takeovers.push(generatedAt - killedAt);
      await holder.exited;
    }

    const noticeMet = median(fromGenerated) <= maxNoticeMs;
    const takeoverLimit = staleLockMs + pollMs;
    const takeoverMet = Math.max(...takeovers) <= takeoverLimit;
    const spread = (values) =>
      `${ms(Math.min(...values))} / ${ms(median(values))} / ${ms(Math.max(...values))}`;
    log(
      `handoff: holder in another process (generation of ${holdMs} ms), staleLockMs ${staleLockMs}`,
    );
    table(
      log,
      ["figure", "runs", "min / median / max", "bar"],
      [
        [
          "notice: holder's generate returned → waiter has the bytes",
          fromGenerated.length,
          spread(fromGenerated),
          `≤ ${maxNoticeMs} ms ${verdict(noticeMet)}`,
        ],
        [
          "notice: holder's getOrCreate resolved → waiter has the bytes",
          fromPublished.length,
          spread(fromPublished),
          "(figure)",
        ],
        [
          "takeover: SIGKILL of the holder → waiter's generate runs",
          takeovers.length,
          spread(takeovers),
          `≤ ${ms(takeoverLimit)} ${verdict(takeoverMet)}`,
        ],
      ],
    );
    if (!noticeMet)
      log(`  FAIL: a waiter noticed a finished entry after more than ${maxNoticeMs} ms`);
    if (!takeoverMet) log(`  FAIL: a takeover took longer than ${ms(takeoverLimit)}`);
    return { ok: noticeMet && takeoverMet, fromGenerated, fromPublished, takeovers };
  } finally {
    remove();
  }
}
