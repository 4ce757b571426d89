// A tour of clarity-cache's keys on the example case in examples/case/.
// Run it with `npm run demo` (which builds first); it imports the package by its own name.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { cacheKey, caseKey, isCacheError } from "clarity-cache";

const caseDir = fileURLToPath(new URL("case/", import.meta.url));
const short = (key) => `${key.slice(0, 16)}…`;
const copy = (value) => JSON.parse(JSON.stringify(value));

// 1. The case key: one key for the case's three JSON files, as the reference backend computes it.
console.log(`case key of examples/case/   ${await caseKey(caseDir)}`);

// 2. The key of the inputs does not depend on key order or on float noise below 1e-8.
const metrics = JSON.parse(await readFile(new URL("case/metrics.json", import.meta.url), "utf8"));
const reordered = Object.fromEntries(Object.entries(metrics).reverse());
const noisy = copy(metrics);
noisy.load_ratio += 3e-12; // arithmetic noise: 0.73125000000300…
const changed = copy(metrics);
changed.load_ratio += 2e-8; // a real change at the 8th decimal

const base = cacheKey(metrics);
const rows = [
  ["metrics.json", base],
  ["same, keys in reverse order", cacheKey(reordered)],
  ["same, load_ratio + 3e-12", cacheKey(noisy)],
  ["load_ratio + 2e-8", cacheKey(changed)],
];
console.log("\ncacheKey of the metrics:");
for (const [label, key] of rows) {
  const verdict = label === "metrics.json" ? "" : key === base ? "same key" : "different key";
  console.log(`  ${label.padEnd(28)} ${short(key)}  ${verdict}`.trimEnd());
}

// 3. Values that are not JSON data have no key: a typed error names the place.
const bad = copy(metrics);
bad.hotspots[1].confidence = Number.NaN;
try {
  cacheKey(bad);
} catch (error) {
  if (!isCacheError(error, "CACHE_INVALID_VALUE")) throw error;
  console.log(`\n${error.name} ${error.code} at ${error.path}`);
  console.log(`  ${error.message}`);
}

// 4. So does a case directory with a missing file.
try {
  await caseKey(caseDir, { files: ["manifest.json", "missing.json"] });
} catch (error) {
  if (!isCacheError(error, "CACHE_INVALID_CASE")) throw error;
  console.log(`${error.name} ${error.code} for file ${error.file.slice(caseDir.length)}`);
}
