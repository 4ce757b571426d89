import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { CacheError } from "../../src/errors/cache-error.js";
import { CacheKeyError } from "../../src/errors/cache-key-error.js";
import { cacheKey } from "../../src/keys/cache-key.js";
import { canonicalJson } from "../../src/keys/canonical-json.js";
import { maxDepth } from "../../src/keys/json-data.js";

/** Runs `fn`, which must throw; returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

/** `value` must be rejected as CACHE_INVALID_VALUE at `path`, with the path in the message. */
function expectInvalid(value: unknown, path: string): CacheKeyError {
  const error = thrown(() => canonicalJson(value));
  expect(error).toBeInstanceOf(CacheKeyError);
  const keyError = error as CacheKeyError;
  expect(keyError.code).toBe("CACHE_INVALID_VALUE");
  expect(keyError.path).toBe(path);
  expect(keyError.message).toContain(path);
  // Every key function rejects it the same way, with or without quantization.
  expect(() => cacheKey(value)).toThrow(expect.objectContaining({ path }));
  expect(() => canonicalJson(value, { decimals: null })).toThrow(expect.objectContaining({ path }));
  return keyError;
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe("values that are not JSON data", () => {
  it.each([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
    ["a BigInt", 1n],
    ["a function", () => 1],
    ["a symbol", Symbol("s")],
    ["undefined", undefined],
    ["a Map", new Map([["a", 1]])],
    ["a Set", new Set([1])],
    ["a Uint8Array", new Uint8Array([1, 2])],
    ["a Float64Array", new Float64Array([0.5])],
    ["an ArrayBuffer", new ArrayBuffer(2)],
    ["a class instance without toJSON", new Point(1, 2)],
    ["a RegExp", /x/],
    ["a boxed number", Object(1) as unknown],
    ["a Promise", Promise.resolve(1)],
    ["an Error", new Error("x")],
    ["a Map from another realm", runInNewContext("new Map()") as unknown],
    ["a class instance from another realm", runInNewContext("new (class Foo {})()") as unknown],
    [
      "an object whose prototype is a null-prototype object",
      Object.create(Object.create(null) as object) as unknown,
    ],
  ])("rejects %s at the top ($)", (_, value) => {
    expectInvalid(value, "$");
  });

  it.each([
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
    ["a BigInt", 10n],
    [
      "a function",
      function named() {
        return 1;
      },
    ],
    ["a symbol", Symbol.iterator],
    ["a Map", new Map()],
    ["a Set", new Set()],
    ["a typed array", new Int32Array(1)],
    ["a class instance", new Point(0, 0)],
  ])("rejects %s deep inside, naming $.axes[3].esi", (_, value) => {
    const axes: unknown[] = [{}, {}, {}, { id: "a", esi: value }];
    expectInvalid({ axes, z: 1 }, "$.axes[3].esi");
  });

  it("rejects an enumerable symbol-keyed property, which JSON would drop silently", () => {
    const error = expectInvalid({ axes: [{ [Symbol("tag")]: 1, esi: 2 }] }, "$.axes[0]");
    expect(error.message).toMatch(/Symbol\(tag\)/);
    expect(() => canonicalJson({ [Symbol("tag")]: 1 }, { dialect: "python" })).toThrow(
      CacheKeyError,
    );
    // A non-enumerable one is not data (libraries hang markers on objects that way).
    const marked = { esi: 2 };
    Object.defineProperty(marked, Symbol("marker"), { value: true, enumerable: false });
    expect(canonicalJson(marked)).toBe('{"esi":2}');
  });

  it("names the value in the message", () => {
    expect(expectInvalid({ a: Number.NaN }, "$.a").message).toMatch(/NaN/);
    expect(expectInvalid({ a: -Infinity }, "$.a").message).toMatch(/-Infinity/);
    expect(expectInvalid({ a: 1n }, "$.a").message).toMatch(/BigInt/);
    expect(expectInvalid({ a: new Point(1, 2) }, "$.a").message).toMatch(/Point/);
    expect(expectInvalid({ a: new Map() }, "$.a").message).toMatch(/Map/);
  });

  it("rejects undefined inside an array, and sparse-array holes", () => {
    expectInvalid([1, undefined, 3], "$[1]");
    // eslint-disable-next-line no-sparse-arrays
    expectInvalid([1, , 3], "$[1]");
    expectInvalid({ list: new Array(3) }, "$.list[0]");
    expectInvalid([{ toJSON: () => undefined }], "$[0]");
  });

  it("writes non-identifier names in brackets", () => {
    expectInvalid({ "a b": Number.NaN }, '$["a b"]');
    expectInvalid({ "3d": [0, Number.NaN] }, '$["3d"][1]');
    expectInvalid({ "": Number.NaN }, '$[""]');
    expectInvalid({ 'q"uote': Number.NaN }, '$["q\\"uote"]');
    expectInvalid([Number.NaN], "$[0]");
    expectInvalid({ _ok$: { é: Number.NaN } }, '$._ok$["é"]');
  });
});

describe("cycles and shared references", () => {
  it("rejects an object cycle", () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = a;
    expectInvalid(a, "$.self");
    const b: Record<string, unknown> = { inner: { list: [] as unknown[] } };
    (b.inner as { list: unknown[] }).list.push(b);
    expect(expectInvalid(b, "$.inner.list[0]").message).toMatch(/cycle/);
  });

  it("rejects an array cycle", () => {
    const list: unknown[] = [1];
    list.push(list);
    expectInvalid(list, "$[1]");
  });

  it("rejects a cycle through a toJSON result", () => {
    const root: Record<string, unknown> = {};
    root.later = { toJSON: () => root };
    expectInvalid(root, "$.later");
  });

  it("calls toJSON once, as JSON does: a toJSON that returns its own object cannot loop", () => {
    // JSON.stringify serializes the result of toJSON without calling the result's toJSON; the
    // result here still holds a function, which has no canonical form.
    const selfish = {
      v: 1,
      toJSON(): unknown {
        return this;
      },
    };
    expectInvalid({ a: selfish }, "$.a.toJSON");
    const again = (): unknown => ({ toJSON: again });
    expectInvalid({ a: { toJSON: again } }, "$.a.toJSON");
  });

  it("accepts shared references that are not cycles", () => {
    const shared = { v: [1, 2] };
    expect(canonicalJson({ a: shared, b: shared, c: [shared, shared] })).toBe(
      '{"a":{"v":[1,2]},"b":{"v":[1,2]},"c":[{"v":[1,2]},{"v":[1,2]}]}',
    );
  });
});

describe("lone surrogates", () => {
  it("rejects them in values", () => {
    expectInvalid("\ud800", "$");
    expectInvalid({ a: ["ok", "x\udc00y"] }, "$.a[1]");
    expectInvalid({ a: "\ude00\ud83d" }, "$.a"); // reversed pair
  });

  it("rejects them in keys", () => {
    const error = expectInvalid({ ok: 1, "\ud800": 1 }, '$["\\ud800"]');
    expect(error.message).toMatch(/surrogate/);
  });

  it("accepts proper surrogate pairs", () => {
    expect(canonicalJson({ "\u{1F600}": "\u{1F602}" })).toBe('{"\u{1F600}":"\u{1F602}"}');
  });
});

describe("nesting depth", () => {
  const nest = (depth: number): unknown => {
    let value: unknown = 0;
    for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
    return value;
  };

  it(`accepts ${maxDepth} levels and rejects ${maxDepth + 1}`, () => {
    expect(maxDepth).toBe(1000);
    expect(canonicalJson(nest(maxDepth))).toMatch(/^[[{]/);
    const error = thrown(() => canonicalJson(nest(maxDepth + 1))) as CacheKeyError;
    expect(error).toBeInstanceOf(CacheKeyError);
    expect(error.code).toBe("CACHE_INVALID_VALUE");
    expect(error.message).toMatch(/deeper/);
    // The container that is one too deep sits under maxDepth steps from the top.
    expect(error.path).toMatch(new RegExp(`^\\$(?:\\[0\\]|\\.a){${maxDepth}}$`));
  });

  it("keeps the message short for a deep path, while .path holds all of it", () => {
    const error = thrown(() => canonicalJson(nest(maxDepth + 1))) as CacheKeyError;
    expect(error.path?.length).toBeGreaterThan(2000);
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toContain("… (see .path)");
    expect(error.message).toContain(error.path?.slice(0, 200));
  });

  it("rejects far deeper values with a CacheKeyError, not a stack overflow", () => {
    expect(() => canonicalJson(nest(100_000))).toThrow(CacheKeyError);
  });
});

describe("bad decimals", () => {
  it.each([1.5, -1, 16, "8", Number.NaN, Number.POSITIVE_INFINITY, true])(
    "rejects decimals = %s with CACHE_INVALID_OPTION naming the option",
    (decimals) => {
      for (const fn of [canonicalJson, cacheKey]) {
        const error = thrown(() => fn({ a: 1 }, { decimals } as unknown as { decimals: number }));
        expect(error).toBeInstanceOf(CacheError);
        expect(error).not.toBeInstanceOf(CacheKeyError);
        expect((error as CacheError).code).toBe("CACHE_INVALID_OPTION");
        expect((error as CacheError).message).toContain("decimals");
      }
    },
  );

  it.each([
    [8n, "8n"],
    [() => 8, "a function"],
    [Symbol("eight"), "Symbol(eight)"],
    [[8], "an array"],
    [{ value: 8 }, "an object"],
    ["8", '"8"'],
    [Number.NaN, "NaN"],
  ])("describes the bad decimals %s in the message", (decimals, description) => {
    const error = thrown(() => canonicalJson(1, { decimals } as unknown as { decimals: number }));
    expect((error as CacheError).code).toBe("CACHE_INVALID_OPTION");
    expect((error as CacheError).message).toContain(`got ${description}`);
  });

  it("rejects options that are not an object", () => {
    expect(() => canonicalJson(1, null as unknown as object)).toThrow(
      expect.objectContaining({ code: "CACHE_INVALID_OPTION" }),
    );
    expect(() => canonicalJson(1, 8 as unknown as object)).toThrow(
      expect.objectContaining({ code: "CACHE_INVALID_OPTION" }),
    );
  });

  it("accepts every integer 0..15 and null", () => {
    for (let decimals = 0; decimals <= 15; decimals++) {
      expect(canonicalJson(0.5, { decimals })).toBe(decimals === 0 ? "0" : "0.5");
    }
    expect(canonicalJson(0.5, { decimals: null })).toBe("0.5");
  });
});
