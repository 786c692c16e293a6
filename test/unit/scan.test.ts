// Two names on disk that decode to the same key (agent/sync/scan.ts): one is published, the other is left
// out and reported naming the bytes of the one kept, never both under one key and never silently.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DOT_FILES } from "../../core/dot-files.ts";
import { createExcluder, scanDirectory, type ScanNotes, type ScanPolicy } from "../../agent/sync/scan.ts";

const policy: ScanPolicy = { nameEncoding: "latin1", exclude: [], dotFiles: DEFAULT_DOT_FILES };

async function scan(names: Buffer[]) {
  const dir = mkdtempSync(join(tmpdir(), "sitesync-scan-"));
  for (const name of names) writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), name]), "x");
  const notes: ScanNotes = { skipped: [] };
  const result = await scanDirectory(Buffer.from(dir), "docs", "site/docs", policy, createExcluder(policy), notes);
  rmSync(dir, { recursive: true });
  assert.ok(result.ok);
  return { entries: result.entries.map((e) => e.name), skipped: notes.skipped };
}

describe("scan: names that decode to the same key", () => {
  test("UTF-8 café and Latin-1 café: one kept, the other reported naming the kept one's bytes", async () => {
    const utf8 = Buffer.from("café.html", "utf8");
    const latin1 = Buffer.from("café.html", "latin1");
    const { entries, skipped } = await scan([utf8, latin1, Buffer.from("other.html")]);
    assert.deepEqual(entries, ["café.html", "other.html"]);
    assert.equal(skipped.length, 1);
    const [{ key, reason }] = skipped as [{ key: string; reason: string }];
    assert.equal(key, "docs/café.html");
    const kept = reason.match(/^name decodes to the same key as another file \(([0-9a-f]+)\); rename one of them$/);
    assert.ok(kept, reason);
    assert.ok([utf8.toString("hex"), latin1.toString("hex")].includes(kept[1]!), "names the bytes of the one kept");
  });

  test("names that differ once decoded are all kept", async () => {
    const { entries, skipped } = await scan([
      Buffer.from("café.html", "utf8"),
      Buffer.from("cafè.html", "latin1"),
      Buffer.from("cafe.html"),
    ]);
    assert.deepEqual(entries.sort(), ["cafe.html", "café.html", "cafè.html"].sort());
    assert.deepEqual(skipped, []);
  });
});
