// Which readings of the index want the same object at a key (core/apply-rules.ts sameWant): a write made for
// one serves the other only when both want that very object; and a key whose originals are partly unknown.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { sameWant, wantAt, type PutFile, type Want } from "../../core/apply-rules.ts";
import type { IndexFile } from "../../core/index-record.ts";

const file = (key: string, version: string): PutFile => ({
  key,
  desired: {
    op: "put",
    version,
    run: "r",
    size: 1,
    mtime: "1",
    contentType: "text/html",
    source: { key: `packs/${version}`, offset: 0, length: 1 },
  },
});
const listing: IndexFile = { ...file("docs/index.html", "l1"), generated: true };

describe("sameWant", () => {
  const rows: Array<[string, Want, Want, boolean]> = [
    ["the same file version", { kind: "file", file: file("a", "v1") }, { kind: "file", file: file("a", "v1") }, true],
    ["another version", { kind: "file", file: file("a", "v1") }, { kind: "file", file: file("a", "v2") }, false],
    ["another key", { kind: "file", file: file("a", "v1") }, { kind: "file", file: file("b", "v1") }, false],
    ["the same copy", { kind: "copy", of: file("a", "v1") }, { kind: "copy", of: file("a", "v1") }, true],
    ["a copy of another version", { kind: "copy", of: file("a", "v1") }, { kind: "copy", of: file("a", "v2") }, false],
    ["a copy of another key", { kind: "copy", of: file("a", "v1") }, { kind: "copy", of: file("b", "v1") }, false],
    ["a file and a copy of it", { kind: "file", file: file("a", "v1") }, { kind: "copy", of: file("a", "v1") }, false],
    ["a copy and the file", { kind: "copy", of: file("a", "v1") }, { kind: "file", file: file("a", "v1") }, false],
    ["absent and absent", { kind: "absent" }, { kind: "absent" }, true],
    ["listing and listing", { kind: "listing" }, { kind: "listing" }, true],
    ["absent and a listing", { kind: "absent" }, { kind: "listing" }, false],
    ["a file and absent", { kind: "file", file: file("a", "v1") }, { kind: "absent" }, false],
    ["absent and a copy", { kind: "absent" }, { kind: "copy", of: file("a", "v1") }, false],
  ];
  for (const [why, a, b, same] of rows) test(`${why}: ${same}`, () => assert.equal(sameWant(a, b), same));
});

describe("wantAt with originals not indexed", () => {
  test("no record and no original indexed: absent; a listing among unknown originals: the listing", () => {
    assert.deepEqual(wantAt(undefined, [undefined]), { kind: "absent" });
    assert.deepEqual(wantAt(undefined, [undefined, listing]), { kind: "listing" });
    assert.deepEqual(wantAt(undefined, [undefined, file("docs/a", "v1")]), { kind: "copy", of: file("docs/a", "v1") });
  });
});
