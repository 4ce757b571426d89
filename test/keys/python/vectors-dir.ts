import { join, resolve } from "node:path";

/** The repository's root. */
const repoRoot = resolve(import.meta.dirname, "../../..");

/**
 * The shared test vectors: `../shared/vectors` beside the repository, or `CLARITY_VECTORS_DIR`.
 * They are read where they are, never copied into the repository.
 */
export const vectorsDir = process.env.CLARITY_VECTORS_DIR ?? join(repoRoot, "../shared/vectors");

/** The reference backend's vectors. */
export const pythonVectorsDir = join(vectorsDir, "python");
