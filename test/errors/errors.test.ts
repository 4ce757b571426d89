import { describe, expect, it } from "vitest";
import { CacheError, type CacheErrorCode, isCacheError } from "../../src/errors/cache-error.js";
import { CacheInProgressError } from "../../src/errors/cache-in-progress-error.js";
import { CacheIOError } from "../../src/errors/cache-io-error.js";
import { CacheKeyError } from "../../src/errors/cache-key-error.js";
import { CacheLockError } from "../../src/errors/cache-lock-error.js";

const allCodes: CacheErrorCode[] = [
  "CACHE_INVALID_KEY",
  "CACHE_INVALID_VALUE",
  "CACHE_INVALID_CASE",
  "CACHE_INVALID_OPTION",
  "CACHE_INVALID_RESULT",
  "CACHE_IN_PROGRESS",
  "CACHE_LOCK_FAILED",
  "CACHE_IO",
];

describe("CacheError", () => {
  it.each(allCodes)("carries code %s, its name and message", (code) => {
    const error = new CacheError(code, "something went wrong");
    expect(error.code).toBe(code);
    expect(error.name).toBe("CacheError");
    expect(error.message).toBe("something went wrong");
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(CacheError);
    expect(error.stack).toContain("something went wrong");
    expect(String(error)).toBe("CacheError: something went wrong");
    expect(isCacheError(error)).toBe(true);
    expect(isCacheError(error, code)).toBe(true);
    for (const other of allCodes.filter((c) => c !== code)) {
      expect(isCacheError(error, other)).toBe(false);
    }
  });

  it("passes the cause through, and has none when none is given", () => {
    const cause = new Error("root");
    expect(new CacheError("CACHE_IO", "x", { cause }).cause).toBe(cause);
    expect(new CacheError("CACHE_IO", "x", { cause: "a string" }).cause).toBe("a string");
    expect("cause" in new CacheError("CACHE_IO", "x")).toBe(false);
  });

  it("is not a subclass instance", () => {
    const error = new CacheError("CACHE_IO", "x");
    expect(error).not.toBeInstanceOf(CacheIOError);
    expect(error).not.toBeInstanceOf(CacheKeyError);
    expect(error).not.toBeInstanceOf(CacheInProgressError);
    expect(error).not.toBeInstanceOf(CacheLockError);
  });
});

describe("CacheKeyError", () => {
  it("carries code, path, file and cause", () => {
    const cause = new SyntaxError("bad");
    const error = new CacheKeyError("CACHE_INVALID_CASE", "case file x is not JSON", {
      file: "/tmp/x.json",
      path: "$.a",
      cause,
    });
    expect(error.code).toBe("CACHE_INVALID_CASE");
    expect(error.name).toBe("CacheKeyError");
    expect(error.message).toBe("case file x is not JSON");
    expect(error.file).toBe("/tmp/x.json");
    expect(error.path).toBe("$.a");
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(CacheKeyError);
    expect(error).toBeInstanceOf(CacheError);
    expect(error).toBeInstanceOf(Error);
    expect(isCacheError(error, "CACHE_INVALID_CASE")).toBe(true);
    expect(isCacheError(error, "CACHE_INVALID_VALUE")).toBe(false);
  });

  it("leaves path, file and cause out when not given", () => {
    const error = new CacheKeyError("CACHE_INVALID_KEY", "bad key");
    expect(error.path).toBeUndefined();
    expect(error.file).toBeUndefined();
    expect("cause" in error).toBe(false);
    expect(error.code).toBe("CACHE_INVALID_KEY");
  });

  it("keeps an explicitly undefined cause", () => {
    const error = new CacheKeyError("CACHE_INVALID_CASE", "x", { cause: undefined });
    expect("cause" in error).toBe(true);
    expect(error.cause).toBeUndefined();
  });
});

describe("CacheInProgressError", () => {
  it("carries the 409 status, key, time waited and code", () => {
    const cause = new Error("lock held");
    const error = new CacheInProgressError(
      { key: "report-1", waitedMs: 30_000.4, retryAfterSeconds: 5 },
      { cause },
    );
    expect(error.code).toBe("CACHE_IN_PROGRESS");
    expect(error.name).toBe("CacheInProgressError");
    expect(error.status).toBe(409);
    expect(error.key).toBe("report-1");
    expect(error.waitedMs).toBe(30_000.4);
    expect(error.retryAfterSeconds).toBe(5);
    expect(error.cause).toBe(cause);
    expect(error.message).toContain("report-1");
    expect(error.message).toContain("30000 ms");
    expect(error).toBeInstanceOf(CacheInProgressError);
    expect(error).toBeInstanceOf(CacheError);
    expect(isCacheError(error, "CACHE_IN_PROGRESS")).toBe(true);
    expect(isCacheError(error, "CACHE_IO")).toBe(false);
  });

  it.each([
    [0, 1],
    [0.2, 1],
    [1, 1],
    [1.01, 2],
    [29.5, 30],
    [-3, 1],
    [Number.NaN, 1],
    [Number.POSITIVE_INFINITY, 1],
  ])("turns retryAfterSeconds %s into the integer %s (≥ 1)", (input, expected) => {
    const error = new CacheInProgressError({ key: "k", waitedMs: 0, retryAfterSeconds: input });
    expect(error.retryAfterSeconds).toBe(expected);
    expect(Number.isInteger(error.retryAfterSeconds)).toBe(true);
    expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });
});

describe.each([
  ["CacheLockError", CacheLockError, "CACHE_LOCK_FAILED"],
  ["CacheIOError", CacheIOError, "CACHE_IO"],
] as const)("%s", (name, ErrorClass, code) => {
  it("carries its code, name, message and cause", () => {
    const cause = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
    const error = new ErrorClass("cannot write /x", { cause });
    expect(error.code).toBe(code);
    expect(error.name).toBe(name);
    expect(error.message).toBe("cannot write /x");
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(CacheError);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(CacheKeyError);
    expect(isCacheError(error)).toBe(true);
    expect(isCacheError(error, code)).toBe(true);
    expect(isCacheError(error, "CACHE_INVALID_KEY")).toBe(false);
  });

  it("works without a cause", () => {
    expect("cause" in new ErrorClass("x")).toBe(false);
  });
});

describe("a host's own subclass", () => {
  class HostError extends CacheError {
    constructor(message: string) {
      super("CACHE_INVALID_RESULT", message);
    }
  }
  class OtherHostError extends CacheError {}

  it("keeps ordinary instanceof semantics", () => {
    const error = new HostError("bad result");
    expect(error).toBeInstanceOf(HostError);
    expect(error).toBeInstanceOf(CacheError);
    expect(error).not.toBeInstanceOf(OtherHostError);
    expect(error).not.toBeInstanceOf(CacheKeyError);
    expect(new CacheError("CACHE_IO", "x")).not.toBeInstanceOf(HostError);
    expect(new CacheIOError("x")).not.toBeInstanceOf(HostError);
    expect(isCacheError(error, "CACHE_INVALID_RESULT")).toBe(true);
  });

  it("subclassing a library subclass keeps instanceof of both", () => {
    class HostKeyError extends CacheKeyError {}
    const error = new HostKeyError("CACHE_INVALID_KEY", "x");
    expect(error).toBeInstanceOf(HostKeyError);
    expect(error).toBeInstanceOf(CacheKeyError);
    expect(error).toBeInstanceOf(CacheError);
    expect(new CacheKeyError("CACHE_INVALID_KEY", "x")).not.toBeInstanceOf(HostKeyError);
  });
});

describe("values that are not CacheErrors", () => {
  it.each([
    ["a plain Error", new Error("x")],
    ["an Error with a CACHE code", Object.assign(new Error("x"), { code: "CACHE_IO" })],
    ["a look-alike object", { name: "CacheError", code: "CACHE_IO", message: "x" }],
    ["null", null],
    ["undefined", undefined],
    ["a string", "CacheError"],
    ["a number", 409],
    ["an object without a prototype", Object.create(null) as unknown],
  ])("%s is not one", (_, value) => {
    expect(isCacheError(value)).toBe(false);
    expect(isCacheError(value, "CACHE_IO")).toBe(false);
    expect(value instanceof CacheError).toBe(false);
    expect(value instanceof CacheIOError).toBe(false);
  });

  it("a Symbol.for marker on another kind of error is not a subclass instance", () => {
    // An error from another copy of the package carries the registry-wide kind; a kind that is
    // not CacheIOError must not pass as one.
    const lockError = new CacheLockError("x");
    expect(lockError instanceof CacheIOError).toBe(false);
    expect(lockError instanceof CacheInProgressError).toBe(false);
  });
});
