import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cacheKeyOfText, canonicalJsonOfText } from "../../../src/keys/canonical-json-text.js";
import { caseKey } from "../../../src/keys/case-key.js";
import { pythonVectorsDir } from "./vectors-dir.js";

interface ReferenceDocument {
  text: string;
  canonical: string;
  key: string;
}

const documents = readFileSync(join(pythonVectorsDir, "documents.jsonl"), "utf8")
  .split("\n")
  .filter((line) => line !== "")
  .map((line, index) => [index + 1, JSON.parse(line) as ReferenceDocument] as const);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "clarity-python-documents-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the reference backend's documents, keyed with the python dialect", () => {
  it("finds all 300 documents", () => {
    expect(documents).toHaveLength(300);
  });

  it.each(documents)("line %i reproduces from a file", async (_line, document) => {
    await writeFile(join(dir, "document.json"), document.text, "utf8");
    const bytes = await readFile(join(dir, "document.json"));
    expect(canonicalJsonOfText(bytes, { dialect: "python" })).toBe(document.canonical);
    expect(cacheKeyOfText(bytes, { dialect: "python" })).toBe(document.key);
    await expect(caseKey(dir, { files: ["document.json"], dialect: "python" })).resolves.toBe(
      document.key,
    );
  });

  it.each(documents)("line %i reproduces from a string", (_line, document) => {
    expect(canonicalJsonOfText(document.text, { dialect: "python" })).toBe(document.canonical);
    expect(cacheKeyOfText(document.text, { dialect: "python" })).toBe(document.key);
  });
});
