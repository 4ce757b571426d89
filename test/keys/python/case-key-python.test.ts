import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CacheKeyError } from "../../../src/errors/cache-key-error.js";
import { caseKey } from "../../../src/keys/case-key.js";
import { hashBytes } from "../../../src/keys/hash-bytes.js";
import { useTempDir } from "../../helpers/temp-dir.js";

const tempDir = useTempDir();

async function writeCase(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = tempDir();
  for (const [name, data] of Object.entries(files)) await writeFile(join(dir, name), data);
  return dir;
}

async function caseError(
  dir: string,
  dialect: "jcs" | "python" = "python",
): Promise<CacheKeyError> {
  try {
    await caseKey(dir, { dialect });
  } catch (error) {
    expect(error).toBeInstanceOf(CacheKeyError);
    expect(error).toMatchObject({ code: "CACHE_INVALID_CASE" });
    expect((error as CacheKeyError).cause).toBeDefined();
    return error as CacheKeyError;
  }
  throw new Error("expected CACHE_INVALID_CASE");
}

const validCase = {
  "manifest.json": '{"case": "é", "version": 3, "scale": 1.0}',
  "metrics.json": '{"esi": 0.123456789, "n": 12345678901234567890, "esi": 0.5}',
  "overlay_bundle.json": "[NaN, -1e-9]",
};

describe("caseKey with the python dialect", () => {
  it("hashes the python canonical forms of the files, read from their text, joined by newlines", async () => {
    const dir = await writeCase(validCase);
    const canonical = [
      '{"case":"\\u00e9","scale":1.0,"version":3}',
      '{"esi":0.5,"n":12345678901234567890}',
      "[NaN,-0.0]",
    ].join("\n");
    await expect(caseKey(dir, { dialect: "python" })).resolves.toBe(hashBytes(canonical));
  });

  it("keys the listed files in their order, with the given decimals", async () => {
    const dir = await writeCase({ "a.json": "[0.125]", "b.json": "[2]" });
    await expect(
      caseKey(dir, { dialect: "python", files: ["b.json", "a.json"], decimals: 2 }),
    ).resolves.toBe(hashBytes("[2]\n[0.12]"));
  });

  it("refuses what the default dialect refuses but the python dialect reads", async () => {
    const dir = await writeCase(validCase);
    const error = await caseError(dir, "jcs");
    expect(error.file).toBe(join(dir, "overlay_bundle.json"));
  });

  it.each([
    ["invalid UTF-8", Uint8Array.from([0x22, 0xff, 0x22]), /not valid UTF-8/],
    ["a byte-order mark", Uint8Array.from([0xef, 0xbb, 0xbf, 0x31]), /byte-order mark/],
    ["text that is not JSON", "[1,]", /is not JSON as Python reads it/],
    ["an int of 4,301 digits", `1${"0".repeat(4300)}`, /4300 digits/],
  ])("refuses a file with %s, naming the file", async (_name, data, reason) => {
    const dir = await writeCase({ ...validCase, "metrics.json": data });
    const error = await caseError(dir);
    expect(error.file).toBe(join(dir, "metrics.json"));
    expect(error.message).toMatch(reason);
  });

  it("refuses a missing file, naming it", async () => {
    const dir = await writeCase({ "manifest.json": "{}", "metrics.json": "{}" });
    const error = await caseError(dir);
    expect(error.file).toBe(join(dir, "overlay_bundle.json"));
  });
});
