import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../src/keys/canonical-json.js";
import { caseKey, defaultCaseFiles } from "../../../src/keys/case-key.js";
import { hashBytes } from "../../../src/keys/hash-bytes.js";
import { pythonVectorsDir } from "./vectors-dir.js";

interface ExpectedCaseKeys {
  cases: Record<string, string>;
}

const expected = JSON.parse(
  readFileSync(join(pythonVectorsDir, "expected-case-keys.json"), "utf8"),
) as ExpectedCaseKeys;
const cases = Object.entries(expected.cases);

describe("caseKey with the python dialect on the reference backend's real cases", () => {
  it("finds both real cases", () => {
    expect(cases.map(([name]) => name).sort()).toEqual(["case_001", "case_m15_real"]);
  });

  it.each(cases)("%s equals the reference's case key", async (name, key) => {
    const dir = join(pythonVectorsDir, "cases", name);
    await expect(caseKey(dir, { dialect: "python" })).resolves.toBe(key);
  });

  it.each(cases)(
    "%s differs in the default dialect (the dialects are not the same)",
    async (name, key) => {
      const dir = join(pythonVectorsDir, "cases", name);
      await expect(caseKey(dir)).resolves.not.toBe(key);
    },
  );

  it.each(cases)(
    "%s needs the text: keying JSON.parse's values loses the floats' type and misses",
    (name, key) => {
      const dir = join(pythonVectorsDir, "cases", name);
      const forms = defaultCaseFiles.map((file) =>
        canonicalJson(JSON.parse(readFileSync(join(dir, file), "utf8")), { dialect: "python" }),
      );
      expect(hashBytes(forms.join("\n"))).not.toBe(key);
    },
  );
});
