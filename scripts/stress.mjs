// `npm run test:stress`: the cross-process tests (test/manager/processes) with many more
// repetitions (CLARITY_STRESS=1: more rounds of every test, hundreds of writer kills), one file
// at a time so that their timings are not skewed by each other. Builds the package first, since
// the child processes run dist/. Bounded: the run is killed after `deadlineMs`. Ends with a line
// "N passed, M failed".

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clearTimeout, setTimeout } from "node:timers";

const deadlineMs = 13 * 60_000;
const startedAt = Date.now();

const build = spawnSync("npx", ["tsup"], { stdio: "inherit" });
if (build.status !== 0) {
  console.log("0 passed, 1 failed (the build failed)");
  process.exit(1);
}

const outDir = mkdtempSync(join(tmpdir(), "clarity-cache-stress-"));
const jsonReport = join(outDir, "report.json");
const vitest = spawn(
  "npx",
  [
    "vitest",
    "run",
    "test/manager/processes",
    "--coverage.enabled=false",
    "--no-file-parallelism",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${jsonReport}`,
  ],
  { stdio: "inherit", env: { ...process.env, CLARITY_STRESS: "1" }, detached: true },
);

let timedOut = false;
const deadline = setTimeout(() => {
  timedOut = true;
  console.error(`stress: still running after ${deadlineMs / 60_000} min; stopping it`);
  // The whole process group: vitest, its workers and their cache-worker children.
  process.kill(-vitest.pid, "SIGKILL");
}, deadlineMs);

const code = await new Promise((resolve) => {
  vitest.on("exit", (exitCode) => {
    resolve(exitCode);
  });
});
clearTimeout(deadline);

let passed = 0;
let failed = 0;
try {
  const report = JSON.parse(readFileSync(jsonReport, "utf8"));
  passed = report.numPassedTests;
  failed = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
} catch {
  failed = 1;
}
rmSync(outDir, { recursive: true, force: true });
if (timedOut || (code !== 0 && failed === 0)) failed++;

const minutes = ((Date.now() - startedAt) / 60_000).toFixed(1);
console.log(`stress: ${minutes} min${timedOut ? " (stopped at the deadline)" : ""}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
