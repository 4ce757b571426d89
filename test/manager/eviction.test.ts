import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byLeastRecentUse, selectEvictions } from "../../src/manager/eviction.js";
import type { StoredEntry } from "../../src/storage/storage.js";

function entry(name: string, size: number, lastAccessAt: number, createdAt = 0): StoredEntry {
  return {
    name,
    size,
    sha256: "0".repeat(64),
    createdAt,
    lastAccessAt,
    expiresAt: undefined,
    metadata: {},
    identity: `1:${name}`,
  };
}

const names = (entries: readonly StoredEntry[]) => entries.map((item) => item.name);

describe("byLeastRecentUse", () => {
  it("orders by last use first", () => {
    const sorted = [entry("a", 1, 30), entry("b", 1, 10), entry("c", 1, 20)].sort(byLeastRecentUse);
    expect(names(sorted)).toEqual(["b", "c", "a"]);
  });

  it("breaks a tie of last use by creation, then by name", () => {
    const sorted = [
      entry("z", 1, 10, 5),
      entry("y", 1, 10, 1),
      entry("b", 1, 10, 3),
      entry("a", 1, 10, 3),
    ].sort(byLeastRecentUse);
    expect(names(sorted)).toEqual(["y", "a", "b", "z"]);
  });

  it("is a total order: antisymmetric, and the sort does not depend on the input order", () => {
    const arbitraryEntry = fc
      .record({
        name: fc.constantFrom("a", "b", "c", "d", "e", "f"),
        lastAccessAt: fc.integer({ min: 0, max: 3 }),
        createdAt: fc.integer({ min: 0, max: 3 }),
      })
      .map(({ name, lastAccessAt, createdAt }) => entry(name, 1, lastAccessAt, createdAt));
    fc.assert(
      fc.property(fc.uniqueArray(arbitraryEntry, { selector: (item) => item.name }), (items) => {
        const sorted = names([...items].sort(byLeastRecentUse));
        expect(names([...items].reverse().sort(byLeastRecentUse))).toEqual(sorted);
        for (const a of items) {
          for (const b of items) {
            if (a !== b)
              expect(Math.sign(byLeastRecentUse(a, b))).toBe(-Math.sign(byLeastRecentUse(b, a)));
          }
        }
      }),
    );
  });
});

describe("selectEvictions", () => {
  const five = [
    entry("e", 10, 50),
    entry("a", 10, 10),
    entry("c", 10, 30),
    entry("b", 10, 20),
    entry("d", 10, 40),
  ];

  it("selects nothing when the bounds are absent", () => {
    expect(selectEvictions(five, {}, 0.9)).toEqual([]);
    expect(selectEvictions(five, { maxBytes: undefined, maxEntries: undefined }, 1)).toEqual([]);
  });

  it("selects nothing when within the scaled bounds", () => {
    expect(selectEvictions(five, { maxEntries: 5 }, 1)).toEqual([]);
    expect(selectEvictions(five, { maxBytes: 50 }, 1)).toEqual([]);
    expect(selectEvictions([], { maxEntries: 1, maxBytes: 1 }, 0.9)).toEqual([]);
  });

  it("selects least recently used first until the entry bound holds", () => {
    expect(names(selectEvictions(five, { maxEntries: 3 }, 1))).toEqual(["a", "b"]);
  });

  it("selects until the byte bound holds", () => {
    expect(names(selectEvictions(five, { maxBytes: 25 }, 1))).toEqual(["a", "b", "c"]);
  });

  it("scales the bounds by the fraction, rounding down", () => {
    // 90 % of 5 entries is 4.5: at most 4 remain (selectEvictions does not ask whether the
    // bound itself was crossed; its caller does).
    expect(names(selectEvictions(five, { maxEntries: 5 }, 0.9))).toEqual(["a"]);
    expect(names(selectEvictions(five, { maxEntries: 4 }, 0.9))).toEqual(["a", "b"]);
    // 90 % of 45 bytes is 40.5: at most 40 bytes remain.
    expect(names(selectEvictions(five, { maxBytes: 45 }, 0.9))).toEqual(["a"]);
    // 90 % of 1 is 0.9: nothing remains.
    expect(names(selectEvictions(five, { maxEntries: 1 }, 0.9))).toHaveLength(5);
  });

  it("with both bounds, selects until both hold", () => {
    expect(names(selectEvictions(five, { maxEntries: 4, maxBytes: 25 }, 1))).toEqual([
      "a",
      "b",
      "c",
    ]);
    expect(names(selectEvictions(five, { maxEntries: 2, maxBytes: 1_000 }, 1))).toEqual([
      "a",
      "b",
      "c",
    ]);
  });

  it("evicts an entry larger than the byte bound, and everything else", () => {
    const items = [entry("small", 1, 1), entry("huge", 100, 2)];
    expect(names(selectEvictions(items, { maxBytes: 50 }, 1))).toEqual(["small", "huge"]);
  });

  it("breaks ties of last use by creation", () => {
    const items = [entry("late", 1, 5, 2), entry("early", 1, 5, 1), entry("used", 1, 9, 0)];
    expect(names(selectEvictions(items, { maxEntries: 2 }, 1))).toEqual(["early"]);
  });

  it("does not reorder its input", () => {
    const items = [...five];
    selectEvictions(items, { maxEntries: 1 }, 1);
    expect(items).toEqual(five);
  });

  it("always leaves a least-recently-used suffix within the bounds, evicting no more than needed", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ size: fc.nat(100), at: fc.nat(1_000) }), { maxLength: 30 }),
        fc.option(fc.integer({ min: 1, max: 1_000 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
        fc.constantFrom(0.9, 1),
        (specs, maxBytes, maxEntries, fraction) => {
          const items = specs.map((spec, i) => entry(`n${i}`, spec.size, spec.at));
          const victims = selectEvictions(items, { maxBytes, maxEntries }, fraction);
          const kept = items.filter((item) => !victims.includes(item));
          const byteLimit = maxBytes === undefined ? Infinity : Math.floor(maxBytes * fraction);
          const entryLimit =
            maxEntries === undefined ? Infinity : Math.floor(maxEntries * fraction);
          const bytes = kept.reduce((sum, item) => sum + item.size, 0);
          expect(bytes).toBeLessThanOrEqual(byteLimit);
          expect(kept.length).toBeLessThanOrEqual(entryLimit);
          const sorted = [...items].sort(byLeastRecentUse);
          expect(victims).toEqual(sorted.slice(0, victims.length));
          const last = victims.at(-1);
          if (last !== undefined) {
            // Without the last victim, a bound would not hold.
            expect(bytes + last.size > byteLimit || kept.length + 1 > entryLimit).toBe(true);
          }
        },
      ),
    );
  });
});
