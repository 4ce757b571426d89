import { createHash } from "node:crypto";

/**
 * The SHA-256 of `data` as 64 lowercase hex digits. A string is hashed as its UTF-8 bytes.
 *
 * @param data - a string (hashed as UTF-8) or bytes.
 * @returns the SHA-256 digest in lowercase hex.
 *
 * @example
 * ```ts
 * import { hashBytes } from "clarity-cache";
 *
 * hashBytes("abc"); // "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
 * ```
 */
export function hashBytes(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
