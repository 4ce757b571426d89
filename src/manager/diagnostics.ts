import { type Channel, channel } from "node:diagnostics_channel";

/**
 * The `node:diagnostics_channel` channels the library publishes on, named
 * `clarity-cache:<event>`. Messages are built only when a channel has subscribers, so an
 * unobserved cache pays nothing. Every message has `dir` (the cache directory); entry events
 * also have `key` and `extension`. See `docs/lifecycle.md` for each message's shape.
 *
 * @example
 * ```ts
 * import { subscribe } from "node:diagnostics_channel";
 *
 * subscribe("clarity-cache:evict", (message) => console.log("evicted", message));
 * ```
 */
export const diagnosticsChannels = {
  /** A `get` or `getOrCreate` found a valid entry. */
  hit: channel("clarity-cache:hit"),
  /** A `get` or `getOrCreate` found no valid entry (`reason`: absent, expired, corrupt). */
  miss: channel("clarity-cache:miss"),
  /** This process starts a generation. */
  generateStart: channel("clarity-cache:generate:start"),
  /** A generation ended (with `error` if it failed). */
  generateEnd: channel("clarity-cache:generate:end"),
  /** A caller starts waiting for a generation another call started. */
  wait: channel("clarity-cache:wait"),
  /** A caller gave up waiting: `CacheInProgressError`. */
  conflict: channel("clarity-cache:conflict"),
  /** A held lock was lost (its holder was taken over). */
  lockLost: channel("clarity-cache:lock:lost"),
  /** An entry was removed by a bound, its age, its expiry, or `prune`. */
  evict: channel("clarity-cache:evict"),
  /** A damaged entry was found (and removed). */
  corrupt: channel("clarity-cache:corrupt"),
} as const;

/** Publishes the message `build` makes, if and only if somebody listens. */
export function emit(target: Channel, build: () => object): void {
  if (target.hasSubscribers) target.publish(build());
}
