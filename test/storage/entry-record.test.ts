import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  dataIdentity,
  type EntryRecord,
  parseRecord,
  recordFormat,
  serializeRecord,
} from "../../src/storage/entry-record.js";

const valid: EntryRecord = {
  size: 5,
  sha256: "a".repeat(64),
  createdAt: 1_733_300_000_000,
  expiresAt: null,
  data: "8012345:1733300000000.123",
  metadata: { "content-type": "application/pdf" },
};

const withFormat = (changes: Record<string, unknown>) =>
  JSON.stringify({ format: recordFormat, ...valid, ...changes });

describe("serializeRecord and parseRecord", () => {
  it("format 1: the serialized record carries format 1 and parses back to itself", () => {
    expect(recordFormat).toBe(1);
    const text = serializeRecord(valid);
    expect((JSON.parse(text) as { format: unknown }).format).toBe(1);
    expect(parseRecord(text)).toEqual(valid);
    const expiring = { ...valid, expiresAt: 1_733_300_060_000, metadata: {} };
    expect(parseRecord(serializeRecord(expiring))).toEqual(expiring);
  });

  it("round-trips any well-formed record", () => {
    fc.assert(
      fc.property(
        fc.record({
          size: fc.nat(),
          sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
          createdAt: fc.double({ noNaN: true, noDefaultInfinity: true }),
          expiresAt: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true })),
          data: fc.string(),
          metadata: fc.dictionary(
            fc.string().filter((key) => key !== "__proto__"),
            fc.string(),
          ),
        }),
        (record) => {
          const parsed = parseRecord(serializeRecord(record));
          expect(parsed).toEqual({
            ...record,
            createdAt: Object.is(record.createdAt, -0) ? 0 : record.createdAt,
            expiresAt: Object.is(record.expiresAt, -0) ? 0 : record.expiresAt,
          });
        },
      ),
    );
  });

  it("returns undefined for text that is not JSON or not an object", () => {
    for (const text of ["", "not json", "{", "null", "5", '"text"', "true"]) {
      expect(parseRecord(text), text).toBeUndefined();
    }
  });

  it.each<[string, Record<string, unknown>]>([
    ["format missing", { format: undefined }],
    ["format 2", { format: 2 }],
    ['format "1"', { format: "1" }],
    ["size missing", { size: undefined }],
    ["size negative", { size: -1 }],
    ["size fractional", { size: 1.5 }],
    ["size a string", { size: "5" }],
    ["size unsafe", { size: 2 ** 53 }],
    ["sha256 missing", { sha256: undefined }],
    ["sha256 uppercase", { sha256: "A".repeat(64) }],
    ["sha256 short", { sha256: "a".repeat(63) }],
    ["sha256 a number", { sha256: 5 }],
    ["createdAt missing", { createdAt: undefined }],
    ["createdAt a string", { createdAt: "2024-12-04" }],
    ["expiresAt missing", { expiresAt: undefined }],
    ["expiresAt a string", { expiresAt: "never" }],
    ["data missing", { data: undefined }],
    ["data a number", { data: 8012345 }],
    ["metadata missing", { metadata: undefined }],
    ["metadata null", { metadata: null }],
    ["metadata an array", { metadata: ["a"] }],
    ["metadata a string", { metadata: "a" }],
    ["metadata with a number value", { metadata: { a: 1 } }],
  ])("rejects a record with %s", (_, changes) => {
    expect(parseRecord(withFormat(changes))).toBeUndefined();
  });

  it("rejects non-finite times (written as huge exponents that JSON.parse reads as Infinity)", () => {
    const text = withFormat({}).replace(`"createdAt":${valid.createdAt}`, '"createdAt":1e999');
    expect(text).toContain("1e999");
    expect(parseRecord(text)).toBeUndefined();
    const expiring = withFormat({ expiresAt: 7 }).replace('"expiresAt":7', '"expiresAt":-1e999');
    expect(parseRecord(expiring)).toBeUndefined();
  });

  it("an array is not a record", () => {
    expect(parseRecord(JSON.stringify([valid]))).toBeUndefined();
  });
});

describe("dataIdentity", () => {
  it("is <inode>:<mtimeMs>, so another inode or another mtime is another identity", () => {
    expect(dataIdentity({ ino: 8012345, mtimeMs: 1733300000000.123 })).toBe(
      "8012345:1733300000000.123",
    );
    expect(dataIdentity({ ino: 1, mtimeMs: 2 })).not.toBe(dataIdentity({ ino: 1, mtimeMs: 3 }));
    expect(dataIdentity({ ino: 1, mtimeMs: 2 })).not.toBe(dataIdentity({ ino: 2, mtimeMs: 2 }));
  });
});
