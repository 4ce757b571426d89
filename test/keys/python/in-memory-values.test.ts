import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { CacheKeyError } from "../../../src/errors/cache-key-error.js";
import { canonicalJson } from "../../../src/keys/canonical-json.js";
import { cacheKey } from "../../../src/keys/cache-key.js";
import { hashBytes } from "../../../src/keys/hash-bytes.js";

const python = (value: unknown): string => canonicalJson(value, { dialect: "python" });

function invalidPath(value: unknown): string | undefined {
  try {
    python(value);
  } catch (error) {
    expect(error).toBeInstanceOf(CacheKeyError);
    expect(error).toMatchObject({ code: "CACHE_INVALID_VALUE" });
    return (error as CacheKeyError).path;
  }
  throw new Error("expected CACHE_INVALID_VALUE");
}

describe("in-memory values in the python dialect", () => {
  it("writes JSON data with no whitespace", () => {
    expect(python({ b: [true, false, null], a: { "": "x" } })).toBe(
      '{"a":{"":"x"},"b":[true,false,null]}',
    );
    expect(python([])).toBe("[]");
    expect(python({})).toBe("{}");
  });

  it("keys the UTF-8 bytes of the canonical form", () => {
    const value = { é: 0.5, n: 1 };
    expect(cacheKey(value, { dialect: "python" })).toBe(hashBytes('{"n":1,"\\u00e9":0.5}'));
  });

  it("omits undefined properties, accepts null-prototype objects and a __proto__ key", () => {
    const object = Object.create(null) as Record<string, unknown>;
    object.b = undefined;
    object.a = 1;
    Object.defineProperty(object, "__proto__", { value: 2, enumerable: true });
    expect(python(object)).toBe('{"__proto__":2,"a":1}');
  });

  it("calls toJSON (a Date becomes its ISO string), but not on toJSON's own result", () => {
    expect(python({ at: new Date(Date.UTC(2024, 0, 2)) })).toBe(
      '{"at":"2024-01-02T00:00:00.000Z"}',
    );
    const self = {
      v: 1.5,
      toJSON(): unknown {
        return this;
      },
    };
    expect(() => python(self)).toThrow(CacheKeyError);
    expect(python({ toJSON: () => ({ w: 0.25 }) })).toBe('{"w":0.25}');
  });

  it.each([
    ["a symbol", { a: [Symbol("s")] }, "$.a[0]"],
    ["a function", { f: () => 1 }, "$.f"],
    ["undefined at the top", undefined, "$"],
    ["undefined in an array", [1, undefined], "$[1]"],
    ["a Map", { m: new Map() }, "$.m"],
    ["a Set", { s: new Set() }, "$.s"],
    ["a typed array", { t: new Uint8Array(1) }, "$.t"],
    [
      "a class instance",
      {
        c: new (class Point {
          x = 1;
        })(),
      },
      "$.c",
    ],
  ])("refuses %s, naming its path", (_name, value, path) => {
    expect(invalidPath(value)).toBe(path);
  });

  it("refuses cycles and nesting deeper than 1000", () => {
    const cycle: unknown[] = [];
    cycle.push({ back: cycle });
    expect(invalidPath(cycle)).toBe("$[0].back");
    let deep: unknown = 0;
    for (let depth = 0; depth < 1001; depth++) deep = [deep];
    expect(invalidPath(deep)).toMatch(/^\$(\[0\])+$/);
    let ok: unknown = 0;
    for (let depth = 0; depth < 1000; depth++) ok = [ok];
    expect(python(ok)).toBe(`${"[".repeat(1000)}0${"]".repeat(1000)}`);
  });
});

describe("in-memory values from elsewhere in the python dialect", () => {
  it("accepts plain objects from another realm", () => {
    expect(python(runInNewContext("({ b: [1.5], a: { c: 'é' } })"))).toBe(
      '{"a":{"c":"\\u00e9"},"b":[1.5]}',
    );
  });

  it("names the class of an instance, or says it has none", () => {
    expect(() => python({ x: Object.create({ inherited: 1 }) as unknown })).toThrow(
      /an instance of Object at \$\.x/,
    );
    expect(() => python([Object.create(Object.create(null) as object) as unknown])).toThrow(
      /an instance of a class at \$\[0\]/,
    );
  });

  it("passes a host error thrown by toJSON through unchanged", () => {
    const failure = new Error("host failure");
    const throwing = {
      toJSON(): never {
        throw failure;
      },
    };
    expect(() => python({ a: [throwing] })).toThrow(failure);
    expect(() => python(throwing)).toThrow(failure);
  });
});
