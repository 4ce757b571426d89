#!/usr/bin/env node
// Runs every RFC 8785 (JCS) conformance vector against the built package (dist/index.js):
// the object vectors, the 10,000 numbers and Appendix B. Prints a line per group and a closing
// "N passed, M failed"; exits non-zero on any mismatch.
//
// Vectors: $CLARITY_VECTORS_DIR, else <repo>/../shared/vectors.
import { Buffer } from "node:buffer";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const vectorsDir = process.env.CLARITY_VECTORS_DIR ?? resolve(repoRoot, "..", "shared", "vectors");
const jcsDir = join(vectorsDir, "jcs");
const distEntry = join(repoRoot, "dist", "index.js");

if (!existsSync(distEntry)) {
  console.error(`conformance: ${distEntry} is missing; run \`npm run build\` first`);
  process.exit(2);
}
if (!existsSync(jcsDir)) {
  console.error(`conformance: no vectors at ${jcsDir} (set CLARITY_VECTORS_DIR)`);
  process.exit(2);
}

const { canonicalJson, isCacheError } = await import(pathToFileURL(distEntry).href);
const jcs = (value) => canonicalJson(value, { decimals: null });

let totalPassed = 0;
let totalFailed = 0;
const maxReported = 10;

/** Runs one group of checks; each check returns undefined on success or a failure message. */
function group(name, cases) {
  let passed = 0;
  const failures = [];
  for (const [label, check] of cases) {
    let failure;
    try {
      failure = check();
    } catch (error) {
      failure = `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    }
    if (failure === undefined) passed += 1;
    else failures.push(`${label}: ${failure}`);
  }
  totalPassed += passed;
  totalFailed += failures.length;
  console.log(`${name}: ${passed} passed, ${failures.length} failed`);
  for (const failure of failures.slice(0, maxReported)) console.log(`  ✗ ${failure}`);
  if (failures.length > maxReported) console.log(`  … and ${failures.length - maxReported} more`);
}

function doubleFromHex(hex) {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
}

const lines = (file) =>
  readFileSync(file, "utf8")
    .split(/\r?\n/)
    .filter((line) => line !== "");

const compareBytes = (actualText, expectedBytes) => {
  const actual = Buffer.from(actualText, "utf8");
  return actual.equals(expectedBytes)
    ? undefined
    : `got ${actual.toString("hex")}, want ${expectedBytes.toString("hex")}`;
};

// Objects: input/*.json → output/*.json byte for byte, plus the RFC's sorting example.
const objectCases = readdirSync(join(jcsDir, "input"))
  .filter((name) => name.endsWith(".json"))
  .sort()
  .map((name) => [
    name,
    () =>
      compareBytes(
        jcs(JSON.parse(readFileSync(join(jcsDir, "input", name), "utf8"))),
        readFileSync(join(jcsDir, "output", name)),
      ),
  ]);
objectCases.push([
  "rfc8785-sorting",
  () =>
    compareBytes(
      jcs(JSON.parse(readFileSync(join(jcsDir, "rfc8785-sorting", "input.json"), "utf8"))),
      readFileSync(join(jcsDir, "rfc8785-sorting", "output.json")),
    ),
]);
group("objects", objectCases);

// Numbers: IEEE 754 bits in hex → double → serialization.
const numberLine = (line) => {
  const [hex, expected] = line.split(",");
  return [
    hex,
    () => {
      const value = doubleFromHex(hex);
      if (expected === "ERROR") {
        try {
          jcs(value);
        } catch (error) {
          return isCacheError(error, "CACHE_INVALID_VALUE") ? undefined : `wrong error ${error}`;
        }
        return "accepted a value that must be rejected";
      }
      const actual = jcs(value);
      return actual === expected ? undefined : `got ${actual}, want ${expected}`;
    },
  ];
};
group(
  "numbers (es6testfile10k)",
  lines(join(jcsDir, "numbers", "es6testfile10k.txt")).map(numberLine),
);
group("appendix B", lines(join(jcsDir, "rfc8785-appendix-b-numbers.csv")).map(numberLine));

console.log(`${totalPassed} passed, ${totalFailed} failed`);
process.exitCode = totalFailed === 0 && totalPassed > 0 ? 0 : 1;
