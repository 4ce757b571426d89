// Packs the package as npm would publish it, installs the tarball into a new ESM project and a
// new CommonJS project, type-checks a small TypeScript consumer in each with the repository's
// own `tsc` (module nodenext; the ESM one also under moduleResolution bundler), runs the
// compiled JavaScript with node, and compares its output with the repository's build.
//
// Usage: node scripts/check-consumers.mjs (after `npm run build`). Exits non-zero on any failure.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const tsc = require.resolve("typescript/bin/tsc");
const typesNodeVersion = require("@types/node/package.json").version;

if (!existsSync(join(root, "dist", "index.js")) || !existsSync(join(root, "dist", "index.cjs"))) {
  fail("dist/ is missing: run `npm run build` first");
}

/** What every consumer must print: computed here with the repository's own build. */
const built = await import(pathToFileURL(join(root, "dist", "index.js")).href);
const expected = [
  `key ${built.cacheKey({ report: "quarterly", threshold: 0.1 + 0.2 })}`,
  `canonical ${built.canonicalJson({ b: 0.123456789, a: [1, "x"] })}`,
  "error CacheKeyError CACHE_INVALID_VALUE $.axes[0].esi true true",
].join("\n");

/** The consumer program; `header` is how it gets the package. Same body in every project. */
const body = `
const key: string = cacheKey({ threshold: 0.30000000000000004, report: "quarterly" });
// Never called: these lines only compile if the package's types resolved (not \`any\`).
export function typesResolved(): void {
  // @ts-expect-error cacheKey returns a string.
  const notANumber: number = cacheKey({});
  // @ts-expect-error decimals is a number or null.
  cacheKey({}, { decimals: "8" });
  void notANumber;
}

let line = "error none";
try {
  cacheKey({ axes: [{ esi: Number.POSITIVE_INFINITY }] });
} catch (error) {
  if (error instanceof CacheKeyError) {
    const code: CacheErrorCode = error.code;
    const path: string | undefined = error.path;
    line = \`error \${error.name} \${code} \${String(path)} \${String(error instanceof CacheError)} \${String(isCacheError(error, "CACHE_INVALID_VALUE"))}\`;
  }
}
const options: KeyOptions = { decimals: 8 };
console.log(\`key \${key}\`);
console.log(\`canonical \${canonicalJson({ a: [1, "x"], b: 0.123456789 }, options)}\`);
console.log(line);
`;
const names = "cacheKey, canonicalJson, CacheError, CacheKeyError, isCacheError";
const typeNames = "CacheErrorCode, KeyOptions";

const esmSource = `import { ${names} } from "clarity-cache";
import type { ${typeNames} } from "clarity-cache";
${body}`;
// In a CommonJS project, `import` compiles to require(): this exercises the "require" condition.
const cjsSource = esmSource;
// The CommonJS idiom for a typed require.
const ctsSource = `import clarity = require("clarity-cache");
const { ${names} } = clarity;
type CacheErrorCode = clarity.CacheErrorCode;
type KeyOptions = clarity.KeyOptions;
${body}`;
// Both builds in one process: an error from the CommonJS build is an instance of the ESM class.
const dualSource = `import { createRequire } from "node:module";
import { CacheError, isCacheError } from "clarity-cache";
import type * as Clarity from "clarity-cache";

const cjs = createRequire(import.meta.url)("clarity-cache") as typeof Clarity;
if (cjs.CacheError === CacheError) throw new Error("expected two builds, got one");
try {
  cjs.cacheKey(new Map());
} catch (error) {
  console.log(\`dual \${String(error instanceof CacheError)} \${String(isCacheError(error, "CACHE_INVALID_VALUE"))}\`);
}
`;

const compilerOptions = {
  target: "ES2022",
  lib: ["ES2022"],
  types: ["node"],
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  skipLibCheck: false,
  outDir: "out",
  rootDir: ".",
};

const work = mkdtempSync(join(tmpdir(), "clarity-cache-consumers-"));
let failed = false;
try {
  step("pack");
  const packJson = run(npm, ["pack", "--json", "--pack-destination", work], root);
  const tarball = join(work, JSON.parse(packJson)[0].filename);

  step("ESM project");
  const esm = project("esm", "module", tarball, {
    "index.ts": esmSource,
    "dual.ts": dualSource,
  });
  typecheck(esm, { module: "NodeNext", moduleResolution: "NodeNext" });
  // A bundler-style consumer (Vite, esbuild, webpack) resolves through the same exports map.
  typecheck(esm, { module: "ESNext", moduleResolution: "Bundler", noEmit: true });
  assertOutput(esm, "out/index.js", expected);
  assertOutput(esm, "out/dual.js", "dual true true");

  step("CommonJS project");
  const cjs = project("cjs", "commonjs", tarball, {
    "index.ts": cjsSource,
    "typed-require.cts": ctsSource,
  });
  typecheck(cjs, { module: "NodeNext", moduleResolution: "NodeNext" });
  assertOutput(cjs, "out/index.js", expected);
  assertOutput(cjs, "out/typed-require.cjs", expected);

  console.log("\nconsumers: ESM and CommonJS projects install, type-check and run clarity-cache");
} catch (error) {
  failed = true;
  console.error(`\nconsumers: FAILED\n${error instanceof Error ? error.message : String(error)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;

function project(name, type, tarball, files) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeJson(join(dir, "package.json"), { name: `consumer-${name}`, private: true, type });
  run(
    npm,
    [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
      "--loglevel=error",
      tarball,
      `@types/node@${typesNodeVersion}`,
    ],
    dir,
  );
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

function typecheck(dir, options) {
  const { noEmit, ...rest } = options;
  const label = `${rest.module}/${rest.moduleResolution}`;
  writeJson(join(dir, "tsconfig.json"), {
    compilerOptions: { ...compilerOptions, ...rest, ...(noEmit ? { noEmit: true } : {}) },
    include: ["*.ts", "*.mts", "*.cts"],
  });
  console.log(`  tsc (${label})`);
  run(process.execPath, [tsc, "-p", "tsconfig.json"], dir);
}

function assertOutput(dir, file, want) {
  const got = run(process.execPath, [file], dir).trim();
  if (got !== want) {
    throw new Error(`${dir}/${file} printed:\n${got}\nexpected:\n${want}`);
  }
  console.log(`  node ${file}: ok`);
}

function run(command, args, cwd) {
  try {
    return execFileSync(command, args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      shell: process.platform === "win32" && command.endsWith(".cmd"),
    });
  } catch (error) {
    const { stdout = "", stderr = "" } = /** @type {{ stdout?: string, stderr?: string }} */ (
      error
    );
    throw new Error(`\`${[command, ...args].join(" ")}\` failed in ${cwd}\n${stdout}${stderr}`, {
      cause: error,
    });
  }
}

function writeJson(file, value) {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function step(name) {
  console.log(`consumers: ${name}`);
}

function fail(message) {
  console.error(`consumers: ${message}`);
  process.exit(1);
}
