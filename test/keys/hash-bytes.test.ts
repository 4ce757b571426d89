import { describe, expect, it } from "vitest";
import { hashBytes } from "../../src/keys/hash-bytes.js";

// FIPS 180-2 / NIST example digests.
const knownDigests: [string, string][] = [
  ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
  ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
  [
    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  ],
];

describe("hashBytes", () => {
  it.each(knownDigests)("hashes %j to its known SHA-256", (text, digest) => {
    expect(hashBytes(text)).toBe(digest);
    expect(hashBytes(new TextEncoder().encode(text))).toBe(digest);
  });

  it("hashes a million 'a's to its known SHA-256", () => {
    expect(hashBytes("a".repeat(1_000_000))).toBe(
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    );
  });

  it("hashes a string as its UTF-8 bytes", () => {
    const text = "färg € \u{1F600}";
    const utf8 = new Uint8Array([
      0x66, 0xc3, 0xa4, 0x72, 0x67, 0x20, 0xe2, 0x82, 0xac, 0x20, 0xf0, 0x9f, 0x98, 0x80,
    ]);
    expect(Buffer.from(text, "utf8").equals(Buffer.from(utf8))).toBe(true);
    expect(hashBytes(text)).toBe(hashBytes(utf8));
    expect(hashBytes(text)).toBe(hashBytes(Buffer.from(utf8)));
    // Not as UTF-16 or Latin-1.
    expect(hashBytes(text)).not.toBe(hashBytes(Buffer.from(text, "utf16le")));
    expect(hashBytes("é")).not.toBe(hashBytes(Buffer.from("é", "latin1")));
  });

  it("hashes only the bytes of a Uint8Array view, not its whole buffer", () => {
    const backing = new TextEncoder().encode("xxabcxx");
    expect(hashBytes(backing.subarray(2, 5))).toBe(knownDigests[1]?.[1]);
  });

  it("returns 64 lowercase hex digits", () => {
    for (const data of ["", "x", new Uint8Array(1000).fill(255)]) {
      expect(hashBytes(data)).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
