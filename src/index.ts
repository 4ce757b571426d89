export { canonicalJson } from "./keys/canonical-json.js";
export { cacheKey } from "./keys/cache-key.js";
export { hashBytes } from "./keys/hash-bytes.js";
export { caseKey, defaultCaseFiles } from "./keys/case-key.js";
export { canonicalJsonOfText, cacheKeyOfText } from "./keys/canonical-json-text.js";
export type { CaseKeyOptions } from "./keys/case-key.js";
export type { KeyOptions } from "./keys/key-options.js";

export { CacheError, isCacheError } from "./errors/cache-error.js";
export type { CacheErrorByCode, CacheErrorCode } from "./errors/cache-error.js";
export { CacheKeyError } from "./errors/cache-key-error.js";
export type { CacheKeyErrorCode, CacheKeyErrorDetails } from "./errors/cache-key-error.js";
export { CacheInProgressError } from "./errors/cache-in-progress-error.js";
export type { CacheInProgressDetails } from "./errors/cache-in-progress-error.js";
export { CacheLockError } from "./errors/cache-lock-error.js";
export { CacheIOError } from "./errors/cache-io-error.js";

export { CacheManager } from "./manager/cache-manager.js";
export type { CacheEntry, Generate, GenerateContext } from "./manager/cache-manager.js";
export type { CacheManagerOptions, EntryOptions, GetOrCreateOptions } from "./manager/options.js";
export type { EntryInfo } from "./manager/entry-info.js";
export type { CacheStats } from "./manager/cache-stats.js";
export type { PruneOptions, PruneReport } from "./manager/prune.js";
export type { WriteOptions } from "./manager/options.js";
export { diagnosticsChannels } from "./manager/diagnostics.js";
