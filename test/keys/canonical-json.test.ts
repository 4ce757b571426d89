import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { CacheKeyError } from "../../src/errors/cache-key-error.js";
import { canonicalJson } from "../../src/keys/canonical-json.js";

// The RFC 8785 conformance data lives outside the repository; read it where it is.
const vectorsDir =
  process.env.CLARITY_VECTORS_DIR ?? resolve(import.meta.dirname, "../../../shared/vectors");
const jcsDir = join(vectorsDir, "jcs");

/** Canonical form with quantization off, as RFC 8785 defines it. */
const jcs = (value: unknown): string => canonicalJson(value, { decimals: null });

/** The double whose IEEE 754 bits are `hex` (big-endian, leading zeros optional). */
function doubleFromHex(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

function readLines(file: string): string[] {
  return readFileSync(file, "utf8")
    .split(/\r?\n/)
    .filter((line) => line !== "");
}

describe("RFC 8785 conformance vectors", () => {
  const names = readdirSync(join(jcsDir, "input")).filter((name) => name.endsWith(".json"));

  it("finds the vectors", () => {
    expect(names.length).toBeGreaterThanOrEqual(6);
  });

  it.each(names)("input/%s reproduces output/ byte for byte", (name) => {
    const input = readFileSync(join(jcsDir, "input", name), "utf8");
    const expected = readFileSync(join(jcsDir, "output", name));
    const actual = Buffer.from(jcs(JSON.parse(input)), "utf8");
    expect(actual.toString("hex")).toBe(expected.toString("hex"));
  });

  it("reproduces the RFC's key-sorting example", () => {
    const input = readFileSync(join(jcsDir, "rfc8785-sorting", "input.json"), "utf8");
    const expected = readFileSync(join(jcsDir, "rfc8785-sorting", "output.json"));
    expect(Buffer.from(jcs(JSON.parse(input)), "utf8").toString("hex")).toBe(
      expected.toString("hex"),
    );
  });

  it("serializes all 10,000 numbers of es6testfile10k.txt", () => {
    const lines = readLines(join(jcsDir, "numbers", "es6testfile10k.txt"));
    expect(lines).toHaveLength(10_000);
    const mismatches: string[] = [];
    for (const line of lines) {
      const [hex, expected] = line.split(",") as [string, string];
      const actual = jcs(doubleFromHex(hex));
      if (actual !== expected) mismatches.push(`${hex}: got ${actual}, want ${expected}`);
    }
    expect(mismatches).toEqual([]);
  });

  it("follows Appendix B, rejecting its ERROR lines (NaN, Infinity)", () => {
    const lines = readLines(join(jcsDir, "rfc8785-appendix-b-numbers.csv"));
    let errors = 0;
    for (const line of lines) {
      const [hex, expected] = line.split(",") as [string, string];
      const value = doubleFromHex(hex);
      if (expected === "ERROR") {
        errors += 1;
        expect(() => jcs(value), hex).toThrow(
          expect.objectContaining({ code: "CACHE_INVALID_VALUE", path: "$" }),
        );
        expect(() => jcs(value)).toThrow(CacheKeyError);
      } else {
        expect(jcs(value), hex).toBe(expected);
        // Numbers keep their serialization inside structures.
        expect(jcs({ n: [value] }), hex).toBe(`{"n":[${expected}]}`);
      }
    }
    expect(errors).toBe(2);
  });
});

describe("key order", () => {
  it("sorts array-index-like keys as strings: '10' before '2'", () => {
    expect(jcs({ 2: "two", 10: "ten", 1: "one", b: 0, a: 0 })).toBe(
      '{"1":"one","10":"ten","2":"two","a":0,"b":0}',
    );
  });

  it("sorts index-like keys inside nested objects and arrays", () => {
    expect(jcs({ z: { 2: 0, 10: 1 }, a: [{ 9: 0, 10: 0, x: 0 }] })).toBe(
      '{"a":[{"10":0,"9":0,"x":0}],"z":{"10":1,"2":0}}',
    );
  });

  it("sorts keys that start with a digit but are not indexes", () => {
    expect(jcs({ "1b": 0, "1a": 0, "01": 0, 1: 0 })).toBe('{"01":0,"1":0,"1a":0,"1b":0}');
  });

  it("treats __proto__ as an ordinary key", () => {
    const value = JSON.parse('{"b":1,"__proto__":{"x":1},"A":2}') as unknown;
    expect(jcs(value)).toBe('{"A":2,"__proto__":{"x":1},"b":1}');
    expect(jcs(JSON.parse('{"__proto__":1,"10":2}'))).toBe('{"10":2,"__proto__":1}');
  });

  it("sorts by UTF-16 code units, not code points", () => {
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+E000 and U+FB33.
    expect(jcs({ "\uE000": 1, "\u{1F600}": 2, "\uFB33": 3 })).toBe(
      '{"\u{1F600}":2,"\uE000":1,"\uFB33":3}',
    );
    expect(jcs({ b: 1, B: 2, "": 3, "\u00e9": 4, a: 5 })).toBe(
      '{"":3,"B":2,"a":5,"b":1,"\u00e9":4}',
    );
  });

  it("does not depend on insertion order", () => {
    const a = { x: 1, y: [1, 2], z: { q: null, p: true } };
    const b = { z: { p: true, q: null }, y: [1, 2], x: 1 };
    expect(jcs(a)).toBe(jcs(b));
    expect(jcs(a)).toBe('{"x":1,"y":[1,2],"z":{"p":true,"q":null}}');
  });

  it("keeps array order", () => {
    expect(jcs([3, 1, 2, "b", "a"])).toBe('[3,1,2,"b","a"]');
  });
});

describe("random JSON data", () => {
  /** RFC 8785 read literally: keys sorted by UTF-16 code units, leaves as JSON.stringify. */
  function reference(value: unknown): string {
    if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
    if (typeof value === "object" && value !== null) {
      const record = value as Record<string, unknown>;
      const members = Object.keys(record)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)) // string < compares UTF-16 code units
        .map((key) => `${JSON.stringify(key)}:${reference(record[key])}`);
      return `{${members.join(",")}}`;
    }
    return JSON.stringify(value);
  }

  const key = fc.oneof(
    fc.nat({ max: 2 ** 32 + 5 }).map(String), // array-index-like, and just past the index range
    fc.constantFrom("__proto__", "constructor", "toString", "", "-1", "01", "1e3", "1.5"),
    fc.string({ unit: "binary", maxLength: 4 }).filter((text) => text.isWellFormed()),
  );
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constantFrom(null, true, false),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.integer(),
      fc.string({ unit: "binary" }).filter((text) => text.isWellFormed()),
      fc.array(tie("value"), { maxLength: 5 }),
      fc.dictionary(key, tie("value"), { maxKeys: 6 }),
    ),
  })).value;

  it("agrees with a literal reading of RFC 8785", () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(jcs(value)).toBe(reference(value));
      }),
      { numRuns: 1000 },
    );
  });

  it("survives a JSON round trip unchanged", () => {
    fc.assert(
      fc.property(json, (value) => {
        const canonical = jcs(value);
        expect(jcs(JSON.parse(canonical))).toBe(canonical);
      }),
      { numRuns: 500 },
    );
  });
});

describe("accepted objects", () => {
  it("accepts null-prototype objects", () => {
    const value = Object.create(null) as Record<string, unknown>;
    value.b = 1;
    value.a = Object.assign(Object.create(null) as object, { c: [true] });
    expect(jcs(value)).toBe('{"a":{"c":[true]},"b":1}');
  });

  it("accepts objects and arrays from another realm", () => {
    const value = runInNewContext("({ b: [1, { d: 2, c: 3 }], a: 'x', 10: 0, 2: 0 })") as unknown;
    expect(jcs(value)).toBe('{"10":0,"2":0,"a":"x","b":[1,{"c":3,"d":2}]}');
  });

  it("accepts a Date from another realm through its toJSON", () => {
    const value = runInNewContext(
      "({ at: new Date(Date.UTC(2020, 0, 2, 3, 4, 5, 6)) })",
    ) as unknown;
    expect(jcs(value)).toBe('{"at":"2020-01-02T03:04:05.006Z"}');
  });

  it("writes empty containers and the literals", () => {
    expect(jcs({})).toBe("{}");
    expect(jcs([])).toBe("[]");
    expect(jcs([null, true, false, {}, []])).toBe("[null,true,false,{},[]]");
    expect(jcs(null)).toBe("null");
  });
});

describe("toJSON", () => {
  it("serializes a Date as its ISO string", () => {
    expect(jcs({ at: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999)) })).toBe(
      '{"at":"1999-12-31T23:59:59.999Z"}',
    );
  });

  it("passes the property key, the array index as a string, and '' at the top", () => {
    const seen: unknown[] = [];
    const echo = {
      toJSON(key: unknown) {
        seen.push(key);
        return key;
      },
    };
    expect(jcs({ name: echo, list: [echo, echo] })).toBe('{"list":["0","1"],"name":"name"}');
    expect(jcs(echo)).toBe('""');
    expect(seen.sort()).toEqual(["", "0", "1", "name"]);
  });

  it("canonicalizes what toJSON returns", () => {
    const value = { v: { toJSON: () => ({ b: 0.5, a: [2, 1] }) } };
    expect(jcs(value)).toBe('{"v":{"a":[2,1],"b":0.5}}');
    expect(canonicalJson({ v: { toJSON: () => 0.123456789 } })).toBe('{"v":0.12345679}');
  });

  it("passes an error thrown by toJSON or a getter through unchanged", () => {
    const failure = new Error("host failure");
    const throwing = {
      toJSON() {
        throw failure;
      },
    };
    expect(() => jcs(throwing)).toThrow(failure);
    expect(() => jcs({ a: [1, throwing] })).toThrow(failure);
    const getter = Object.defineProperty({}, "x", {
      enumerable: true,
      get() {
        throw failure;
      },
    });
    expect(() => jcs({ nested: getter })).toThrow(failure);
  });

  it("omits a property whose toJSON returns undefined, as JSON does", () => {
    expect(jcs({ a: { toJSON: () => undefined }, b: 1 })).toBe('{"b":1}');
  });
});

describe("undefined properties", () => {
  it("omits them at every level", () => {
    expect(jcs({ a: undefined, b: 1, c: { d: undefined } })).toBe('{"b":1,"c":{}}');
    expect(jcs([{ x: undefined }])).toBe("[{}]");
  });
});

describe("strings and numbers as JSON.stringify writes them", () => {
  it("escapes only what JSON requires", () => {
    expect(jcs('"\\\b\f\n\r\t\u0000\u001f\u007f\u2028</script>é\u{1F600}')).toBe(
      '"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f\u007f\u2028</script>é\u{1F600}"',
    );
  });

  it("writes numbers in ECMAScript's shortest form", () => {
    expect(jcs([-0, 1e21, 1e-7, 123456789012345680000, 0.1, -1.5e-300])).toBe(
      "[0,1e+21,1e-7,123456789012345680000,0.1,-1.5e-300]",
    );
  });

  it("quantizes to 8 decimals by default and not with decimals: null", () => {
    expect(canonicalJson({ b: 0.123456789, a: 1e-27 })).toBe('{"a":0,"b":0.12345679}');
    expect(jcs({ b: 0.123456789, a: 1e-27 })).toBe('{"a":1e-27,"b":0.123456789}');
    expect(canonicalJson(0.123456789, { decimals: 3 })).toBe("0.123");
    expect(canonicalJson(0.123456789, {})).toBe("0.12345679");
  });
});
