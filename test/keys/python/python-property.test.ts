import { spawnSync } from "node:child_process";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../../src/keys/canonical-json.js";
import { canonicalJsonOfText } from "../../../src/keys/canonical-json-text.js";

// The reference rule itself, run by the machine's python3: one JSON text a line in, one
// canonical form a line out (json.dumps with ensure_ascii writes ASCII only, so lines are safe).
const referenceScript = `
import io, json, sys
def quantize(o, decimals):
    if isinstance(o, float):
        return o if decimals is None else round(o, decimals)
    if isinstance(o, list):
        return [quantize(x, decimals) for x in o]
    if isinstance(o, dict):
        return {k: quantize(v, decimals) for k, v in o.items()}
    return o
decimals = None if sys.argv[1] == "null" else int(sys.argv[1])
lines = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="\\n")
out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\\n")
for line in lines:
    value = json.loads(line.rstrip("\\n"))
    out.write(json.dumps(quantize(value, decimals), sort_keys=True, separators=(",", ":")) + "\\n")
out.flush()
`;

function hasPython3(): boolean {
  const result = spawnSync("python3", ["--version"], { encoding: "utf8" });
  return result.status === 0;
}

/** Runs the reference on every text at once (one process for the batch). */
function reference(texts: readonly string[], decimals: number | null): string[] {
  const result = spawnSync("python3", ["-c", referenceScript, String(decimals)], {
    input: texts.map((text) => `${text}\n`).join(""),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`);
  return result.stdout.split("\n").slice(0, -1);
}

// JSON text as a file could hold it, with the token forms Python distinguishes.
const whitespace = fc.constantFrom("", " ", "  ", "\t");
const floatToken = fc.oneof(
  fc.double().map((x) => {
    if (Number.isNaN(x)) return "NaN";
    if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
    const text = Object.is(x, -0) ? "-0.0" : String(x);
    return /[.e]/.test(text) ? text : `${text}.0`;
  }),
  fc
    .tuple(
      fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
      fc.stringMatching(/^[0-9]{1,12}$/),
      fc.option(fc.integer({ min: -330, max: 330 })),
      fc.constantFrom("e", "E"),
    )
    .map(([int, fraction, exponent, e]) =>
      exponent === null ? `${int}.${fraction}` : `${int}.${fraction}${e}${exponent}`,
    ),
  fc.integer({ min: -999_999, max: 999_999 }).map((n) => `${n / 512}`),
);
const intToken = fc.oneof(
  fc.integer().map(String),
  fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n }).map(String),
);
// Any UTF-16 unit (lone surrogates included), any astral character, and the edges that matter.
const unit = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
  fc.constantFrom("a", "/", '"', "\\", "\u007f", "\ud800", "\udc00", "\ue000", "\uffff", "\u2028"),
);
const text = fc.string({ unit, maxLength: 12 });
const key = fc.oneof(text, fc.constantFrom("a", "b", "\uE000", "\u{1F600}", "\uDC00", "10", "2"));
const { json } = fc.letrec<{ json: string }>((tie) => ({
  json: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    floatToken,
    intToken,
    text.map((s) => JSON.stringify(s)),
    fc.constantFrom("null", "true", "false"),
    fc
      .array(fc.tuple(whitespace, tie("json")), { maxLength: 5 })
      .map((items) => `[${items.map(([space, item]) => space + item).join(",")}]`),
    fc
      .array(fc.tuple(key, whitespace, tie("json")), { maxLength: 5 })
      .map(
        (members) =>
          `{${members.map(([name, space, item]) => `${JSON.stringify(name)}:${space}${item}`).join(",")}}`,
      ),
  ),
}));

// In-memory values: an integral number is an int, written for Python as its exact decimal.
const memoryValue = fc
  .jsonValue({ maxDepth: 3 })
  .chain((base) =>
    fc.tuple(
      fc.constant(base),
      fc.array(fc.double(), { maxLength: 6 }),
      fc.array(text, { maxLength: 3 }),
    ),
  );

function pythonTextOfValue(value: unknown): string {
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "Infinity" : "-Infinity";
    if (Number.isInteger(value)) return BigInt(value).toString();
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(pythonTextOfValue).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const members = Object.entries(value).map(
      ([name, item]) => `${JSON.stringify(name)}:${pythonTextOfValue(item)}`,
    );
    return `{${members.join(",")}}`;
  }
  return JSON.stringify(value);
}

const python3 = hasPython3();
if (!python3) console.log("skipping the python3 comparison: no python3 on this machine");

describe.skipIf(!python3)("the python dialect agrees with python3's json module", () => {
  it.each([8, null, 2])("on generated JSON text (decimals %s)", (decimals) => {
    const texts = fc.sample(json, { numRuns: 400 });
    const expected = reference(texts, decimals);
    expect(expected).toHaveLength(texts.length);
    texts.forEach((sample, index) => {
      const actual = canonicalJsonOfText(sample, { dialect: "python", decimals });
      if (actual !== expected[index])
        expect({ text: sample, actual }).toEqual({ text: sample, actual: expected[index] });
    });
  });

  it("on generated in-memory values", () => {
    const values = fc.sample(memoryValue, { numRuns: 400 });
    const expected = reference(values.map(pythonTextOfValue), 8);
    values.forEach((value, index) => {
      const actual = canonicalJson(value, { dialect: "python" });
      if (actual !== expected[index])
        expect({ value, actual }).toEqual({ value, actual: expected[index] });
    });
  });
});
