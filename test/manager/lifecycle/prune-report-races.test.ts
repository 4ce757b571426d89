import { writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { CacheManager, fileSystemSeam } from "../../../src/manager/cache-manager.js";
import { type FileSystem, nodeFileSystem } from "../../../src/storage/file-system.js";
import { Layout } from "../../../src/storage/layout.js";
import { makeTempDir } from "../../helpers/temp-dir.js";

// The contract: prune "reports what it did". A damaged entry that another writer replaced with a
// valid one before prune could remove it is not removed (compare-and-delete keeps the newer
// entry), so the report must not count it as removed, nor its bytes as freed.
describe("prune's report when a damaged entry is replaced before its removal", () => {
  it("does not count the entry it did not remove", async () => {
    const dir = await makeTempDir();
    const layout = new Layout(dir);
    const writer = new CacheManager({ dir });
    await writer.put("a", "damaged bytes");
    await writeFile(layout.recordPath("a"), "garbage");
    let replaced = false;
    const racy: FileSystem = {
      ...nodeFileSystem,
      async rename(from, to) {
        if (!replaced && from === layout.entryPath("a") && to.includes("removing.")) {
          replaced = true;
          await writer.put("a", "new");
        }
        return nodeFileSystem.rename(from, to);
      },
    };
    const cache = new CacheManager({ dir, [fileSystemSeam]: racy } as never);
    const report = await cache.prune();
    expect(replaced).toBe(true);
    expect(await cache.get("a")).toEqual(Buffer.from("new"));
    expect(report.removedEntries).toBe(0);
    expect(report.freedBytes).toBe(0);
  });
});
