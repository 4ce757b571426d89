import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  clean: true,
  sourcemap: true,
  target: "node20",
  platform: "node",
  splitting: false,
  // Keep class names (CacheError, …) in stack traces instead of esbuild's renamed `_CacheError`.
  keepNames: true,
});
