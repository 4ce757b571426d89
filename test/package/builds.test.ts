// Loads the built package (dist/, built by `npm test`'s pretest or `npx tsup`) the way a
// consumer does, through `import` and through `require`, by its package name.
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

type Package = typeof import("../../src/index.js");

const repoRoot = resolve(import.meta.dirname, "../..");
const packageName = "clarity-cache";

/** The public names the contract fixes. Extra exports are allowed, but both builds must agree. */
const contractExports = [
  "canonicalJson",
  "cacheKey",
  "hashBytes",
  "caseKey",
  "CacheManager",
  "CacheError",
  "CacheKeyError",
  "CacheInProgressError",
  "CacheLockError",
  "CacheIOError",
  "isCacheError",
];

/** Requires the package by name, resolved from `dir` as Node resolves it (honouring exports). */
function requireFrom(dir: string): { lib: Package; path: string } {
  const require = createRequire(join(dir, "noop.js"));
  return { lib: require(packageName) as Package, path: require.resolve(packageName) };
}

/** Imports the package by name from `dir`: a module there re-exports it. */
async function importFrom(dir: string): Promise<Package> {
  const entry = join(dir, `load-${packageName}.mjs`);
  await writeFile(entry, `export * from ${JSON.stringify(packageName)};\n`);
  return (await import(pathToFileURL(entry).href)) as Package;
}

/** Installs a copy of the package (package.json + dist/) into `<root>/node_modules`. */
async function installCopy(root: string): Promise<void> {
  const target = join(root, "node_modules", packageName);
  await mkdir(target, { recursive: true });
  await cp(join(repoRoot, "package.json"), join(target, "package.json"));
  await cp(join(repoRoot, "dist"), join(target, "dist"), { recursive: true });
}

const invalidValueError = (lib: Package): unknown => {
  try {
    lib.cacheKey({ axes: [Number.NaN] });
  } catch (error) {
    return error;
  }
  throw new Error("cacheKey accepted NaN");
};

/** Every cross-copy promise: errors made by `from` are recognised by `by`. */
function expectRecognised(from: Package, by: Package): void {
  expect(from.CacheError).not.toBe(by.CacheError); // really two copies
  const keyError = invalidValueError(from);
  expect(keyError).toBeInstanceOf(from.CacheKeyError);
  expect(keyError).toBeInstanceOf(by.CacheKeyError);
  expect(keyError).toBeInstanceOf(by.CacheError);
  expect(keyError).not.toBeInstanceOf(by.CacheIOError);
  expect(keyError).not.toBeInstanceOf(by.CacheInProgressError);
  expect(by.isCacheError(keyError)).toBe(true);
  expect(by.isCacheError(keyError, "CACHE_INVALID_VALUE")).toBe(true);
  expect(by.isCacheError(keyError, "CACHE_IO")).toBe(false);

  const inProgress = new from.CacheInProgressError({ key: "k", waitedMs: 5, retryAfterSeconds: 0 });
  expect(inProgress).toBeInstanceOf(by.CacheInProgressError);
  expect(inProgress).toBeInstanceOf(by.CacheError);
  expect(inProgress).not.toBeInstanceOf(by.CacheKeyError);
  expect(by.isCacheError(inProgress, "CACHE_IN_PROGRESS")).toBe(true);

  expect(new from.CacheIOError("x")).toBeInstanceOf(by.CacheIOError);
  expect(new from.CacheLockError("x")).toBeInstanceOf(by.CacheLockError);
  expect(new from.CacheLockError("x")).not.toBeInstanceOf(by.CacheIOError);
  expect(new from.CacheError("CACHE_IO", "x")).toBeInstanceOf(by.CacheError);
  expect(new from.CacheError("CACHE_IO", "x")).not.toBeInstanceOf(by.CacheIOError);
  expect(new Error("x")).not.toBeInstanceOf(by.CacheError);
  expect(by.isCacheError(new Error("x"))).toBe(false);

  // A host's subclass made from one copy is a CacheError to the other, and still only its own.
  class HostError extends from.CacheError {}
  const hostError = new HostError("CACHE_INVALID_RESULT", "x");
  expect(hostError).toBeInstanceOf(by.CacheError);
  expect(by.isCacheError(hostError, "CACHE_INVALID_RESULT")).toBe(true);
  expect(new by.CacheError("CACHE_IO", "x")).not.toBeInstanceOf(HostError);
}

describe("the built package", () => {
  let esm: Package;
  let cjs: Package;
  let cjsPath: string;

  beforeAll(async () => {
    expect(existsSync(join(repoRoot, "dist", "index.js")), "run `npx tsup` first").toBe(true);
    ({ lib: cjs, path: cjsPath } = requireFrom(repoRoot)); // self-reference by package name
    esm = (await import(packageName)) as Package;
  });

  it("resolves require() to the CommonJS build", () => {
    expect(cjsPath).toBe(join(repoRoot, "dist", "index.cjs"));
  });

  it("exports every contract name from both builds, and the same names", () => {
    const names = (lib: object): string[] =>
      Object.keys(lib)
        .filter((name) => name !== "default" && name !== "module.exports")
        .sort();
    for (const name of contractExports) {
      expect(esm, `ESM ${name}`).toHaveProperty(name);
      expect(cjs, `CJS ${name}`).toHaveProperty(name);
      expect(typeof (esm as Record<string, unknown>)[name]).toBe("function");
    }
    expect(names(esm)).toEqual(names(cjs));
  });

  it("computes the same keys in both builds", () => {
    const value = { b: [0.123456789, "färg"], a: { 10: 1, 2: 2 } };
    expect(esm.canonicalJson(value)).toBe('{"a":{"10":1,"2":2},"b":[0.12345679,"färg"]}');
    expect(cjs.canonicalJson(value)).toBe(esm.canonicalJson(value));
    expect(cjs.cacheKey(value)).toBe(esm.cacheKey(value));
    expect(cjs.hashBytes("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("recognises CommonJS errors in the ESM build", () => {
    expectRecognised(cjs, esm);
  });

  it("recognises ESM errors in the CommonJS build", () => {
    expectRecognised(esm, cjs);
  });
});

describe("two installed copies of the package", () => {
  let root: string;
  let copies: { a: { esm: Package; cjs: Package }; b: { esm: Package; cjs: Package } };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "clarity-copies-"));
    // The copies' own dependencies, shared by both, as an installer would hoist them.
    const manifest = JSON.parse(await readFile(join(repoRoot, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      const link = join(root, "node_modules", dependency);
      await mkdir(dirname(link), { recursive: true });
      await symlink(join(repoRoot, "node_modules", dependency), link, "dir");
    }
    const load = async (name: string): Promise<{ esm: Package; cjs: Package }> => {
      const dir = join(root, name);
      await installCopy(dir);
      const { lib: cjs, path } = requireFrom(dir);
      expect(path).toBe(join(dir, "node_modules", packageName, "dist", "index.cjs"));
      expect(path.includes(`${sep}${name}${sep}`)).toBe(true);
      return { esm: await importFrom(dir), cjs };
    };
    copies = { a: await load("a"), b: await load("b") };
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("loads distinct copies", () => {
    const classes = [copies.a.esm, copies.a.cjs, copies.b.esm, copies.b.cjs].map(
      (lib) => lib.CacheError,
    );
    expect(new Set(classes).size).toBe(4);
  });

  it.each([
    ["a ESM", "b ESM"],
    ["a ESM", "b CJS"],
    ["a CJS", "b ESM"],
    ["a CJS", "b CJS"],
    ["b ESM", "a CJS"],
    ["b CJS", "a ESM"],
  ])("recognises errors from %s in %s", (from, by) => {
    const pick = (label: string): Package => {
      const [copy, format] = label.split(" ") as ["a" | "b", "ESM" | "CJS"];
      return format === "ESM" ? copies[copy].esm : copies[copy].cjs;
    };
    expectRecognised(pick(from), pick(by));
  });
});
