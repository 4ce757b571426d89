#!/usr/bin/env node
// Runs the benchmark sections against the built package (dist/), one after another.
// `npm run bench` builds first. Options: --only <section>[,<section>…]  --rounds <n>  --quick
// (--quick: smaller fixtures, for CI; e.g. 10,000 entries instead of 100,000 in `scale`).
//
// A section is a module in bench/ exporting `name`, `description` and
// `run({ lib, rounds, quick, log }) → { ok }` (sync or async); add it to `sections` below.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const sections = {
  keys: () => import("./keys.mjs"),
  hit: () => import("./manager.mjs"),
  scale: () => import("./scale.mjs"),
  handoff: () => import("./handoff.mjs"),
};

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    rounds: { type: "string", default: "9" },
    quick: { type: "boolean", default: false },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  console.log(
    `usage: node bench/run.mjs [--only ${Object.keys(sections).join(",")}] [--rounds n] [--quick]`,
  );
  process.exit(0);
}

const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`bench: --rounds must be a positive integer, got ${values.rounds}`);
  process.exit(2);
}

const selected = values.only === undefined ? Object.keys(sections) : values.only.split(",");
const unknown = selected.filter((name) => !(name in sections));
if (unknown.length > 0) {
  console.error(
    `bench: unknown section ${unknown.join(", ")}; known: ${Object.keys(sections).join(", ")}`,
  );
  process.exit(2);
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const distEntry = join(repoRoot, "dist", "index.js");
if (!existsSync(distEntry)) {
  console.error(`bench: ${distEntry} is missing; run \`npm run build\` first`);
  process.exit(2);
}
const lib = await import(pathToFileURL(distEntry).href);

console.log(`node ${process.version}, ${process.platform} ${process.arch}`);
let failed = 0;
for (const name of selected) {
  const section = await sections[name]();
  console.log(`\n# ${section.name}: ${section.description}`);
  const { ok } = await section.run({
    lib,
    rounds,
    quick: values.quick,
    log: (line) => console.log(line),
  });
  if (!ok) failed += 1;
}
console.log(
  failed === 0
    ? "\nbench: all sections within their limits"
    : `\nbench: ${failed} section(s) failed`,
);
process.exitCode = failed === 0 ? 0 : 1;
