/** One step into a value: an object property name or an array index. */
export type PathSegment = string | number;

const identifier = /^[A-Za-z_$][\w$]*$/;

/**
 * Formats segments as a JSONPath: `$`, then `.name` for identifier-like names, `["a b"]` for
 * other names, and `[3]` for array indexes. `["$", "axes", 3, "esi"]` → `$.axes[3].esi`.
 */
export function formatJsonPath(segments: readonly PathSegment[]): string {
  let path = "$";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else if (identifier.test(segment)) path += `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path;
}
