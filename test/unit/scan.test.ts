// Scanning one directory (agent/sync/scan.ts): two names on disk that decode to the same key (one is
// published, the other left out and reported naming the bytes of the one kept, never both under one key and
// never silently), and each entry's path holding the exact bytes on disk whatever the names' encoding.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DOT_FILES } from "../../core/dot-files.ts";
import {
  createExcluder,
  pathBytes,
  scanDirectory,
  scanFingerprint,
  type ScannedEntry,
  type ScanNotes,
  type ScanPolicy,
} from "../../agent/sync/scan.ts";

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

describe("scan: paths on disk", () => {
  test("every entry's path is the directory's bytes, a slash and the name's bytes, ASCII or not", async () => {
    const top = mkdtempSync(join(tmpdir(), "sitesync-scan-"));
    const cases = [
      { dir: Buffer.from(`${top}/ascii`), names: [Buffer.from("a.html"), Buffer.from("r\u00e9sum\u00e9", "latin1")] },
      { dir: Buffer.from(`${top}/d\u00efr`, "latin1"), names: [Buffer.from("b.html"), Buffer.from("\u65e5.html")] },
    ];
    try {
      for (const { dir, names } of cases) {
        mkdirSync(dir);
        for (const name of names) writeFileSync(Buffer.concat([dir, Buffer.from("/"), name]), "x");
        const notes: ScanNotes = { skipped: [] };
        const result = await scanDirectory(dir, "d", "site/d", policy, createExcluder(policy), notes);
        assert.ok(result.ok);
        assert.deepEqual(notes.skipped, []);
        const want = names.map((name) => Buffer.concat([dir, Buffer.from("/"), name]).toString("hex")).sort();
        assert.deepEqual(result.entries.map((e) => pathBytes(e.path).toString("hex")).sort(), want);
        for (const entry of result.entries) {
          // A string only where every byte is ASCII: then it is those very bytes.
          if (typeof entry.path === "string") assert.match(entry.path, /^[\x00-\x7f]*$/);
          assert.deepEqual(readFileSync(pathBytes(entry.path)), Buffer.from("x"));
        }
      }
    } finally {
      rmSync(top, { recursive: true });
    }
  });
});

describe("scan: a directory's fingerprint", () => {
  const file = (name: string, over: Partial<Extract<ScannedEntry, { kind: "file" }>> = {}): ScannedEntry => ({
    kind: "file",
    name,
    path: name,
    size: 10,
    mtime: "1700000000000000000",
    ctime: "1700000000000000001",
    ino: "42",
    ...over,
  });
  const base: ScannedEntry[] = [file("a.html"), { kind: "dir", name: "b", path: "b" }, file("c.txt")];

  // Each row changes one thing change detection reads: every one must change the fingerprint.
  const changes: Array<[string, ScannedEntry[]]> = [
    ["a file's size", [file("a.html", { size: 11 }), base[1]!, base[2]!]],
    ["a file's mtime", [file("a.html", { mtime: "1700000000000000002" }), base[1]!, base[2]!]],
    ["a file's ctime", [file("a.html", { ctime: "1700000000000000002" }), base[1]!, base[2]!]],
    ["a file's inode", [file("a.html", { ino: "43" }), base[1]!, base[2]!]],
    ["a file renamed", [file("a.htm"), base[1]!, base[2]!]],
    ["a file removed", [base[0]!, base[1]!]],
    ["a file added", [...base, file("d.txt")]],
    ["a subdirectory removed", [base[0]!, base[2]!]],
    ["a subdirectory that is now a file", [base[0]!, file("b"), base[2]!]],
    // The fields' boundaries cannot move: "a" with size 110 is not "a1" with size 10.
    ["a name's end moved into its size", [file("a.html1", { size: 0 }), base[1]!, base[2]!]],
  ];
  for (const [what, entries] of changes) {
    test(`changes with ${what}`, () => {
      assert.notEqual(scanFingerprint(entries), scanFingerprint(base));
    });
  }

  test("is the same for the same scan, and none when an entry could not be read", () => {
    assert.equal(scanFingerprint(structuredClone(base)), scanFingerprint(base));
    assert.equal(typeof scanFingerprint([]), "string");
    const unreadable: ScannedEntry = { kind: "unreadable", name: "x", path: "x", isDir: false, reason: "EACCES" };
    assert.equal(scanFingerprint([...base, unreadable]), undefined);
  });
});
