import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, onTestFinished } from "vitest";

const prefix = join(tmpdir(), "clarity-cache-");

async function removeDir(dir: string): Promise<void> {
  // Retries cover a lock directory still being refreshed or removed as the test ends.
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 20 });
}

/**
 * A fresh, empty temporary directory for the running test (`<os tmpdir>/clarity-cache-XXXXXX`),
 * removed with its contents when the test finishes, pass or fail. Call it inside a test.
 */
export async function makeTempDir(): Promise<string> {
  const dir = await mkdtemp(prefix);
  onTestFinished(() => removeDir(dir));
  return dir;
}

/**
 * Registers `beforeEach`/`afterEach` hooks giving every test of the enclosing suite a fresh
 * temporary directory; the returned function gives the current test's directory.
 *
 * @example
 * ```ts
 * const tempDir = useTempDir();
 * it("writes", async () => {
 *   const cache = new CacheManager({ dir: tempDir() });
 * });
 * ```
 */
export function useTempDir(): () => string {
  let current: string | undefined;
  beforeEach(async () => {
    current = await mkdtemp(prefix);
  });
  afterEach(async () => {
    const dir = current;
    current = undefined;
    if (dir !== undefined) await removeDir(dir);
  });
  return () => {
    if (current === undefined) throw new Error("useTempDir(): no test is running");
    return current;
  };
}
