import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { cacheKey } from "../../src/keys/cache-key.js";
import { canonicalJson } from "../../src/keys/canonical-json.js";

const sha256 = (text: string): string =>
  createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex");

describe("cacheKey", () => {
  it("is the SHA-256 of the UTF-8 canonical form", () => {
    expect(cacheKey({})).toBe("44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    expect(cacheKey({ b: "färg", a: [1, 0.5] })).toBe(sha256('{"a":[1,0.5],"b":"färg"}'));
    expect(cacheKey("\u{1F600}")).toBe(sha256('"\u{1F600}"'));
  });

  it("returns 64 lowercase hex digits", () => {
    for (const value of [null, 0, "", [], { A: "B" }]) {
      expect(cacheKey(value)).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it("does not depend on key order", () => {
    const a = { report: "quarterly", region: { name: "north", ids: [3, 1] }, threshold: 0.3 };
    const b = { threshold: 0.3, region: { ids: [3, 1], name: "north" }, report: "quarterly" };
    expect(cacheKey(a)).toBe(cacheKey(b));
  });

  it("is equal for numbers that agree to 8 decimals by default", () => {
    expect(cacheKey({ t: 0.1 + 0.2 })).toBe(cacheKey({ t: 0.3 }));
    expect(cacheKey({ t: 0.123456789 })).toBe(cacheKey({ t: 0.12345679 }));
    expect(cacheKey({ t: 1e-9 })).toBe(cacheKey({ t: 0 }));
    expect(cacheKey({ t: -1e-9 })).toBe(cacheKey({ t: 0 }));
    expect(cacheKey({ t: 0.001953125 })).toBe(cacheKey({ t: 0.00195312 }));
  });

  it("tells apart what differs after quantization", () => {
    expect(cacheKey({ t: 0.12345678 })).not.toBe(cacheKey({ t: 0.12345679 }));
    expect(cacheKey([1, 2])).not.toBe(cacheKey([2, 1]));
    expect(cacheKey({ a: "1" })).not.toBe(cacheKey({ a: 1 }));
    expect(cacheKey({ a: null })).not.toBe(cacheKey({}));
  });

  it("honours decimals", () => {
    expect(cacheKey({ t: 0.123 }, { decimals: 2 })).toBe(cacheKey({ t: 0.12 }, { decimals: 2 }));
    expect(cacheKey({ t: 0.123456789 }, { decimals: null })).toBe(sha256('{"t":0.123456789}'));
    expect(cacheKey({ t: 0.123456789 }, { decimals: null })).not.toBe(cacheKey({ t: 0.123456789 }));
  });

  it("equals hashing canonicalJson", () => {
    const value = { x: [1.5, "y", null, true, { z: 1e-7 }] };
    expect(cacheKey(value)).toBe(sha256(canonicalJson(value)));
  });
});
