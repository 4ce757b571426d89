import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CacheError } from "../errors/cache-error.js";
import { CacheKeyError } from "../errors/cache-key-error.js";
import { canonicalJson } from "./canonical-json.js";
import { hashBytes } from "./hash-bytes.js";
import { canonicalJsonOfDecodedText } from "./canonical-json-text.js";
import {
  describe,
  type KeyOptions,
  type ResolvedKeyOptions,
  resolveKeyOptions,
} from "./key-options.js";

/** Options of {@link caseKey}. */
export interface CaseKeyOptions extends KeyOptions {
  /**
   * The case's JSON files, relative to the case directory, in the order they are keyed.
   *
   * @defaultValue `["manifest.json", "metrics.json", "overlay_bundle.json"]`
   */
  files?: readonly string[] | undefined;
}

/** The files {@link caseKey} reads when {@link CaseKeyOptions.files} is not given. */
export const defaultCaseFiles: readonly string[] = Object.freeze([
  "manifest.json",
  "metrics.json",
  "overlay_bundle.json",
]);

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The key of a case directory, as the reference backend computes it: the SHA-256 of the
 * {@link canonicalJson | canonical forms} of the case's JSON files joined by `"\n"`, in the
 * order of {@link CaseKeyOptions.files}.
 *
 * Each file must be strict UTF-8 without a byte-order mark and hold one JSON text. With
 * `dialect: "python"` each file is read as Python's `json.loads` reads it (number tokens keep
 * their type, see {@link canonicalJsonOfText}), so the key equals the reference backend's.
 *
 * @param dir - the case directory.
 * @param options - the files to key, and {@link KeyOptions}.
 * @returns a 64-character lowercase hex key.
 * @throws {@link CacheKeyError} (`CACHE_INVALID_CASE`) naming the `file`, with the `cause`, when
 *   a file is missing, unreadable, not UTF-8, starts with a byte-order mark, is not JSON, or
 *   holds a value that has no canonical form; {@link CacheError} (`CACHE_INVALID_OPTION`) for
 *   bad options.
 *
 * @example
 * ```ts
 * import { caseKey } from "clarity-cache";
 *
 * const key = await caseKey("./cases/case_001");
 * const metricsOnly = await caseKey("./cases/case_001", { files: ["metrics.json"] });
 * ```
 */
export async function caseKey(dir: string, options?: CaseKeyOptions): Promise<string> {
  if (typeof dir !== "string" || dir === "") {
    throw new CacheError(
      "CACHE_INVALID_OPTION",
      `caseKey: "dir" must be a non-empty string, got ${describe(dir)}`,
    );
  }
  const keyOptions = resolveKeyOptions(options);
  const files = resolveFiles(options?.files);
  // Read in parallel, but report the first bad file in the given order, whatever finished first.
  const reads = await Promise.allSettled(files.map((file) => readCaseFile(join(dir, file))));
  const texts = reads.map((read) => {
    if (read.status === "rejected") throw read.reason;
    return read.value;
  });
  const canonicalForms = texts.map(({ file, text }) => canonicalFormOf(file, text, keyOptions));
  return hashBytes(canonicalForms.join("\n"));
}

function resolveFiles(files: unknown): readonly string[] {
  if (files === undefined) return defaultCaseFiles;
  if (
    !Array.isArray(files) ||
    files.length === 0 ||
    !files.every((file): file is string => typeof file === "string" && file !== "")
  ) {
    throw new CacheError(
      "CACHE_INVALID_OPTION",
      `option "files" must be a non-empty array of non-empty file names, got ${describe(files)}`,
    );
  }
  return files;
}

async function readCaseFile(file: string): Promise<{ file: string; text: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw invalidCase(
      file,
      `cannot be read (${(cause as NodeJS.ErrnoException).code ?? "error"})`,
      cause,
    );
  }
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch (cause) {
    throw invalidCase(file, "is not valid UTF-8", cause);
  }
  if (text.startsWith("\uFEFF")) {
    throw invalidCase(file, "starts with a byte-order mark", new Error("UTF-8 byte-order mark"));
  }
  return { file, text };
}

function canonicalFormOf(file: string, text: string, options: ResolvedKeyOptions): string {
  if (options.dialect === "python") {
    // Read from the text, so that number tokens keep their type (`1.0` is a float, `1` an int).
    try {
      return canonicalJsonOfDecodedText(text, options);
    } catch (cause) {
      throw invalidCase(file, "is not JSON as Python reads it", cause);
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw invalidCase(file, "is not JSON", cause);
  }
  try {
    return canonicalJson(value, options);
  } catch (cause) {
    throw invalidCase(file, "has no canonical form", cause);
  }
}

function invalidCase(file: string, problem: string, cause: unknown): CacheKeyError {
  const detail = cause instanceof Error ? `: ${cause.message}` : "";
  return new CacheKeyError("CACHE_INVALID_CASE", `case file ${file} ${problem}${detail}`, {
    file,
    cause,
  });
}
