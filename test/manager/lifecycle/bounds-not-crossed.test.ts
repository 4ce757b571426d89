import { describe, expect, it } from "vitest";
import { CacheManager } from "../../../src/manager/cache-manager.js";
import { entryKeys, newCache } from "./helpers.js";

// The contract: "When a write takes the cache past maxBytes or maxEntries, least recently used
// entries are evicted until it is at or under 90 % of each bound." A write that leaves the cache
// at (not past) its bounds must evict nothing.
describe("a write that does not cross a bound", () => {
  it("a write that does not take the cache past a bound evicts nothing (rewriting an entry at the bound)", async () => {
    const { cache } = await newCache({ maxEntries: 3, maxBytes: 30 });
    for (const key of ["a", "b", "c"]) await cache.put(key, "0123456789");
    // Exactly at both bounds, not past them; rewriting "a" keeps 3 entries and 30 bytes.
    await cache.put("a", "9876543210");
    expect(await entryKeys(cache)).toEqual(["a", "b", "c"]);
    expect((await cache.stats()).evictions).toBe(0);
  });

  it("a fresh manager's first write at the bound evicts nothing", async () => {
    const { cache, dir } = await newCache();
    for (const key of ["a", "b"]) await cache.put(key, "x");
    const bounded = new CacheManager({ dir, maxEntries: 3 });
    await bounded.put("c", "x");
    expect(await entryKeys(bounded)).toEqual(["a", "b", "c"]);
  });
});
