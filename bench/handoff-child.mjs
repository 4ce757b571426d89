// A second process for bench/handoff.mjs: takes an entry's generation with getOrCreate, tells the
// parent (over IPC) when it holds the lock, then either finishes after `holdMs` ("finish") or
// hangs until it is killed ("hang"). Times are process.hrtime (monotonic, shared by processes).
import { Buffer } from "node:buffer";
import { setTimeout as sleep } from "node:timers/promises";

const [dir, key, mode, holdMs, staleLockMs] = process.argv.slice(2);
const { CacheManager } = await import(new URL("../dist/index.js", import.meta.url).href);
const now = () => Number(process.hrtime.bigint()) / 1e6;
const send = (message) => new Promise((resolve) => process.send(message, resolve));

const cache = new CacheManager({ dir, staleLockMs: Number(staleLockMs) });
await cache.getOrCreate(key, async () => {
  await send({ holding: now() });
  await sleep(mode === "hang" ? 600_000 : Number(holdMs));
  await send({ generated: now() });
  return Buffer.alloc(64 * 1024, 1);
});
await send({ published: now() });
process.disconnect();
