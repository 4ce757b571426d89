import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CacheError } from "../../src/errors/cache-error.js";
import { CacheKeyError } from "../../src/errors/cache-key-error.js";
import { caseKey, defaultCaseFiles } from "../../src/keys/case-key.js";

const vectorsDir =
  process.env.CLARITY_VECTORS_DIR ?? resolve(import.meta.dirname, "../../../shared/vectors");

/** The contract's rule, computed here: SHA-256 of the canonical forms joined by "\n". */
const expectedKey = (...canonicalForms: string[]): string =>
  createHash("sha256")
    .update(Buffer.from(canonicalForms.join("\n"), "utf8"))
    .digest("hex");

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clarity-case-key-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const put = (name: string, content: string | Uint8Array): Promise<void> =>
  writeFile(join(dir, name), content);

async function writeDefaultCase(): Promise<void> {
  await put("manifest.json", '{\n  "case": "c1",\n  "version": 3,\n  "tags": ["b", "a"]\n}\n');
  await put("metrics.json", '{"z": 0.123456789, "a": {"10": 1, "2": 2}, "n": -1e-9}');
  await put("overlay_bundle.json", '[ {"y": 0.5, "x": "färg"} ]');
}

const canonicalManifest = '{"case":"c1","tags":["b","a"],"version":3}';
const canonicalMetrics = '{"a":{"10":1,"2":2},"n":0,"z":0.12345679}';
const canonicalOverlay = '[{"x":"färg","y":0.5}]';

/** Awaits `promise`, which must reject; returns the reason. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

async function expectInvalidCase(
  name: string,
  options?: { files: string[] },
): Promise<CacheKeyError> {
  const error = await rejection(caseKey(dir, options ?? { files: [name] }));
  expect(error).toBeInstanceOf(CacheKeyError);
  const keyError = error as CacheKeyError;
  expect(keyError.code).toBe("CACHE_INVALID_CASE");
  expect(keyError.file).toBeDefined();
  expect(basename(keyError.file as string)).toBe(name);
  expect(resolve(keyError.file as string)).toBe(resolve(dir, name));
  expect(keyError.message).toContain(name);
  expect(keyError.cause).toBeDefined();
  return keyError;
}

describe("caseKey", () => {
  it("keys the default files in order: manifest, metrics, overlay_bundle", async () => {
    expect(defaultCaseFiles).toEqual(["manifest.json", "metrics.json", "overlay_bundle.json"]);
    await writeDefaultCase();
    await put("other.json", '{"ignored": true}');
    const key = await caseKey(dir);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).toBe(expectedKey(canonicalManifest, canonicalMetrics, canonicalOverlay));
  });

  it("keys the given files in the given order", async () => {
    await writeDefaultCase();
    await mkdir(join(dir, "sub"));
    await put("sub/extra.json", '"x"');
    expect(await caseKey(dir, { files: ["overlay_bundle.json", "manifest.json"] })).toBe(
      expectedKey(canonicalOverlay, canonicalManifest),
    );
    expect(await caseKey(dir, { files: ["manifest.json", "overlay_bundle.json"] })).toBe(
      expectedKey(canonicalManifest, canonicalOverlay),
    );
    expect(await caseKey(dir, { files: ["sub/extra.json"] })).toBe(expectedKey('"x"'));
  });

  it("honours decimals", async () => {
    await put("m.json", '{"z": 0.123456789}');
    expect(await caseKey(dir, { files: ["m.json"], decimals: null })).toBe(
      expectedKey('{"z":0.123456789}'),
    );
    expect(await caseKey(dir, { files: ["m.json"], decimals: 2 })).toBe(expectedKey('{"z":0.12}'));
  });

  it("does not depend on formatting or key order inside a file", async () => {
    await put("a.json", '{"b":[1,2],"a":{"d":null,"c":true}}');
    await put("b.json", '{\r\n\t"a" : { "c" : true , "d" : null } ,\n "b" : [ 1 , 2 ]\n}\n');
    expect(await caseKey(dir, { files: ["a.json"] })).toBe(
      await caseKey(dir, { files: ["b.json"] }),
    );
  });

  it("rejects a missing file", async () => {
    await writeDefaultCase();
    await rm(join(dir, "metrics.json"));
    const error = await expectInvalidCase("metrics.json", { files: [...defaultCaseFiles] });
    expect((error.cause as NodeJS.ErrnoException).code).toBe("ENOENT");
  });

  it("names the first bad file in the given order, not the first to fail", async () => {
    // The first file is large (slow to read) and ends in a BOM-free invalid byte; the second is
    // missing and fails at once.
    const big = Buffer.alloc(32 * 1024 * 1024, 0x20);
    big[0] = 0x22;
    big[big.length - 2] = 0xff;
    big[big.length - 1] = 0x22;
    await put("first.json", big);
    const error = await expectInvalidCase("first.json", { files: ["first.json", "second.json"] });
    expect(error.message).toMatch(/UTF-8/);
  });

  it("rejects a directory where a file should be", async () => {
    await mkdir(join(dir, "d.json"));
    const error = await expectInvalidCase("d.json");
    expect((error.cause as NodeJS.ErrnoException).code).toBe("EISDIR");
  });

  it.each([
    ["a stray continuation byte", [0x22, 0x80, 0x22]],
    ["an invalid byte", [0x22, 0x61, 0xff, 0x22]],
    ["an overlong encoding", [0x22, 0xc0, 0xaf, 0x22]],
    ["an encoded surrogate", [0x22, 0xed, 0xa0, 0x80, 0x22]],
    ["a truncated sequence", [0x22, 0xe2, 0x82, 0x22]],
  ])("rejects invalid UTF-8 (%s) instead of replacing it", async (_, bytes) => {
    await put("bad.json", new Uint8Array(bytes));
    const error = await expectInvalidCase("bad.json");
    expect(error.message).toMatch(/UTF-8/);
    expect(error.cause).toBeInstanceOf(Error);
  });

  it("rejects a byte-order mark", async () => {
    await put("bom.json", new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]));
    const error = await expectInvalidCase("bom.json");
    expect(error.message).toMatch(/byte-order mark/);
  });

  it.each([
    ["an unquoted key", "{a: 1}"],
    ["an empty file", ""],
    ["a NaN token", '{"a": NaN}'],
    ["two values", "{} {}"],
    ["a trailing comma", "[1,]"],
  ])("rejects text that is not JSON (%s)", async (_, text) => {
    await put("text.json", text);
    const error = await expectInvalidCase("text.json");
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it.each([
    ["a lone-surrogate escape", '{"a": "\\ud800"}', "$.a"],
    ["a lone-surrogate key", '{"\\udfff": 1}', '$["\\udfff"]'],
    ["a number too large for a double", "[1e400]", "$[0]"],
  ])("rejects JSON with no canonical form (%s)", async (_, text, path) => {
    await put("nc.json", text);
    const error = await expectInvalidCase("nc.json");
    expect(error.cause).toBeInstanceOf(CacheKeyError);
    expect((error.cause as CacheKeyError).code).toBe("CACHE_INVALID_VALUE");
    expect((error.cause as CacheKeyError).path).toBe(path);
  });

  it.each([
    ["files", { files: [] }],
    ["files", { files: "manifest.json" }],
    ["files", { files: [1] }],
    ["files", { files: [""] }],
    ["decimals", { decimals: 1.5 }],
    ["decimals", { decimals: "8" }],
  ])("rejects a bad %s option with CACHE_INVALID_OPTION", async (option, options) => {
    await writeDefaultCase();
    const error = await rejection(caseKey(dir, options as never));
    expect(error).toBeInstanceOf(CacheError);
    expect(error).not.toBeInstanceOf(CacheKeyError);
    expect((error as CacheError).code).toBe("CACHE_INVALID_OPTION");
    expect((error as CacheError).message).toContain(option);
  });

  it.each([[""], [5], [undefined]])("rejects dir = %j with CACHE_INVALID_OPTION", async (bad) => {
    const error = await rejection(caseKey(bad as string));
    expect(error).toBeInstanceOf(CacheError);
    expect((error as CacheError).code).toBe("CACHE_INVALID_OPTION");
    expect((error as CacheError).message).toContain("dir");
  });
});

describe("the reference backend's real cases", () => {
  it.each(["case_001", "case_m15_real"])("keys %s without error", async (name) => {
    const key = await caseKey(join(vectorsDir, "python", "cases", name));
    expect(key).toMatch(/^[0-9a-f]{64}$/);
  });
});
