// The apply handler's decision tables of core/apply-rules.ts: per entry, and what the bucket should hold
// at a key (the version check that repairs a killed handler's late write), originals not indexed included;
// and which readings of the index want the same object at a key: a write made for one serves the other only
// when both want that very object.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  decideEntry,
  holdsWant,
  isRealFile,
  sameWant,
  wantAt,
  type EntryDecision,
  type ObjectHead,
  type PutFile,
  type Want,
} from "../../core/apply-rules.ts";
import type { IndexFile } from "../../core/index-record.ts";
import type { ManifestEntry } from "../../core/manifest.ts";
import { copyOfValue } from "../../core/publish-rules.ts";

const KEY = "www/a/b.html";
const V0 = "20260101T000000000Z-000000";
const V1 = "20260102T000000000Z-111111";
const V2 = "20260103T000000000Z-222222";

function putEntry(version: string): ManifestEntry {
  return {
    op: "put",
    key: KEY,
    version,
    size: 5,
    mtime: "1767225600000000000",
    contentType: "text/html; charset=utf-8",
    source: { key: "packs/p", offset: 0, length: 5 },
  };
}
function deleteEntry(version: string): ManifestEntry {
  return { op: "delete", key: KEY, version };
}
function desiredPut(version: string, published?: string): IndexFile {
  return {
    key: KEY,
    desired: {
      op: "put",
      version,
      size: 5,
      mtime: "1767225600000000000",
      contentType: "text/html; charset=utf-8",
      source: { key: "packs/p", offset: 0, length: 5 },
      run: version,
    },
    ...(published ? { published: { version: published, at: "2026-01-01T00:00:00Z", run: published, copies: [] } } : {}),
  };
}
function desiredDelete(version: string, published?: string): IndexFile {
  return {
    key: KEY,
    desired: { op: "delete", version, run: version },
    ...(published ? { published: { version: published, at: "2026-01-01T00:00:00Z", run: published, copies: [] } } : {}),
  };
}

const rows: Array<{ why: string; entry: ManifestEntry; record: IndexFile | undefined; expected: EntryDecision }> = [
  // none | put | superseded
  {
    why: "no record, put: a later delete was applied, drop the put",
    entry: putEntry(V1),
    record: undefined,
    expected: "superseded",
  },
  // none | delete | done
  {
    why: "no record, delete: already deleted (duplicate delivery)",
    entry: deleteEntry(V1),
    record: undefined,
    expected: "done",
  },
  // desired version ≠ entry version | any | superseded
  {
    why: "put older than the desired put: superseded by the newer entry",
    entry: putEntry(V1),
    record: desiredPut(V2),
    expected: "superseded",
  },
  {
    why: "put older than a desired put already published: late arrival dropped",
    entry: putEntry(V1),
    record: desiredPut(V2, V2),
    expected: "superseded",
  },
  {
    why: "put older than a desired delete: superseded",
    entry: putEntry(V1),
    record: desiredDelete(V2, V1),
    expected: "superseded",
  },
  {
    why: "delete older than a desired put (file re-created): superseded",
    entry: deleteEntry(V1),
    record: desiredPut(V2, V0),
    expected: "superseded",
  },
  {
    why: "entry newer than the desired state (index not yet readable): not applied",
    entry: putEntry(V2),
    record: desiredPut(V1, V1),
    expected: "superseded",
  },
  // desired = entry, published = entry | put | done (the handler then checks the bucket, below)
  {
    why: "put already published at this version: duplicate delivery, done",
    entry: putEntry(V1),
    record: desiredPut(V1, V1),
    expected: "done",
  },
  // desired = entry, not yet published | put or delete | apply
  { why: "put desired and never published: apply", entry: putEntry(V1), record: desiredPut(V1), expected: "apply" },
  {
    why: "put desired over an older published version: apply",
    entry: putEntry(V1),
    record: desiredPut(V1, V0),
    expected: "apply",
  },
  {
    why: "delete desired over a published put: apply",
    entry: deleteEntry(V1),
    record: desiredDelete(V1, V0),
    expected: "apply",
  },
  {
    why: "delete desired, key never published: apply (removes any copy a raced put left)",
    entry: deleteEntry(V1),
    record: desiredDelete(V1),
    expected: "apply",
  },
  // Edges outside the table.
  {
    why: "same version but the index holds a delete: the put is not what is desired",
    entry: putEntry(V1),
    record: desiredDelete(V1),
    expected: "superseded",
  },
  {
    why: "same version but the index holds a put: the delete is not what is desired",
    entry: deleteEntry(V1),
    record: desiredPut(V1),
    expected: "superseded",
  },
];

describe("apply rules: decideEntry(entry, record)", () => {
  for (const row of rows) {
    test(row.why, () => {
      assert.equal(decideEntry(row.entry, row.record), row.expected);
    });
  }
});

const ORIGINAL = "www/docs/b.html";
const asOriginal = (file: IndexFile): PutFile => ({ ...file, key: ORIGINAL }) as PutFile;
const listing: IndexFile = { ...desiredPut("listing-r1", "listing-r1"), generated: true };
const adopted: IndexFile = {
  key: KEY,
  desired: {
    op: "put",
    version: "adopt-r0",
    size: 5,
    mtime: "1",
    contentType: "text/html",
    source: { key: "" },
    run: "r0",
  },
  published: { version: "adopt-r0", at: "2026-01-01T00:00:00Z", run: "r0", copies: [] },
};

describe("apply rules: wantAt(record, originals) — what the bucket should hold at a key", () => {
  const rows: Array<{
    why: string;
    record: IndexFile | undefined;
    originals: Array<IndexFile | undefined>;
    expected: Want;
  }> = [
    // generated listing | - | listing
    { why: "a generated listing is PostSync's", record: listing, originals: [], expected: { kind: "listing" } },
    // desired put | - | file
    {
      why: "a real file: its desired version, published or not",
      record: desiredPut(V2, V1),
      originals: [],
      expected: { kind: "file", file: desiredPut(V2, V1) as PutFile },
    },
    {
      why: "a real file wins over a live original whose copy would land on it",
      record: desiredPut(V1),
      originals: [asOriginal(desiredPut(V2))],
      expected: { kind: "file", file: desiredPut(V1) as PutFile },
    },
    // desired delete | - | absent
    {
      why: "a tombstone: nothing, until the delete is applied",
      record: desiredDelete(V2, V1),
      originals: [asOriginal(desiredPut(V1))],
      expected: { kind: "absent" },
    },
    // none | a desired put | copy
    {
      why: "no record, a live original: its copy",
      record: undefined,
      originals: [asOriginal(desiredPut(V2, V1))],
      expected: { kind: "copy", of: asOriginal(desiredPut(V2, V1)) },
    },
    {
      why: "the first live original in rule order",
      record: undefined,
      originals: [undefined, asOriginal(desiredDelete(V1)), asOriginal(desiredPut(V2))],
      expected: { kind: "copy", of: asOriginal(desiredPut(V2)) },
    },
    // none | a generated listing | listing
    {
      why: "no record, the original is a generated listing: PostSync's copy",
      record: undefined,
      originals: [{ ...listing, key: ORIGINAL }],
      expected: { kind: "listing" },
    },
    // none | none live | absent
    { why: "no record, no original: nothing", record: undefined, originals: [], expected: { kind: "absent" } },
    {
      why: "no record, the original is being deleted: nothing",
      record: undefined,
      originals: [asOriginal(desiredDelete(V2, V1))],
      expected: { kind: "absent" },
    },
  ];
  for (const row of rows) {
    test(row.why, () => assert.deepEqual(wantAt(row.record, row.originals), row.expected));
  }

  test("no record, originals not indexed are passed over: absent, else the listing or the live original's copy", () => {
    assert.deepEqual(wantAt(undefined, [undefined]), { kind: "absent" });
    assert.deepEqual(wantAt(undefined, [undefined, { ...listing, key: ORIGINAL }]), { kind: "listing" });
    const original = asOriginal(desiredPut(V1));
    assert.deepEqual(wantAt(undefined, [undefined, original]), { kind: "copy", of: original });
  });
});

describe("apply rules: holdsWant(want, head) — is the object a HEAD found the one the index wants", () => {
  const file: Want = { kind: "file", file: desiredPut(V2, V2) as PutFile };
  const copy: Want = { kind: "copy", of: asOriginal(desiredPut(V2, V2)) };
  const asCopy = (version: string, of = ORIGINAL): ObjectHead => ({ version, copyOf: copyOfValue(of) });
  const rows: Array<{ why: string; want: Want; head: ObjectHead | undefined; expected: boolean }> = [
    {
      why: "listing: not checked here, whatever is there",
      want: { kind: "listing" },
      head: { version: V1 },
      expected: true,
    },
    { why: "absent and nothing there", want: { kind: "absent" }, head: undefined, expected: true },
    { why: "absent but a late PUT left an object", want: { kind: "absent" }, head: { version: V1 }, expected: false },
    { why: "file at its desired version", want: file, head: { version: V2 }, expected: true },
    { why: "file, but an older version landed late", want: file, head: { version: V1 }, expected: false },
    { why: "file, but it is missing", want: file, head: undefined, expected: false },
    {
      why: "file, but a copy of the same version sits there (copies never replace a real file)",
      want: file,
      head: asCopy(V2),
      expected: false,
    },
    { why: "file, but an object without sitesync metadata", want: file, head: {}, expected: false },
    {
      why: "adopted file (never staged): present is all that can be checked",
      want: { kind: "file", file: adopted as PutFile },
      head: {},
      expected: true,
    },
    { why: "adopted file missing", want: { kind: "file", file: adopted as PutFile }, head: undefined, expected: false },
    { why: "copy of the original at its version", want: copy, head: asCopy(V2), expected: true },
    { why: "copy, but an older copy landed late", want: copy, head: asCopy(V1), expected: false },
    {
      why: "copy, but the deleted real file's late PUT sits there",
      want: copy,
      head: { version: V2 },
      expected: false,
    },
    { why: "copy, but of another original", want: copy, head: asCopy(V2, "www/img/b.html"), expected: false },
    { why: "copy, but missing", want: copy, head: undefined, expected: false },
  ];
  for (const row of rows) {
    test(row.why, () => assert.equal(holdsWant(row.want, row.head), row.expected));
  }
});

describe("apply rules: sameWant and isRealFile", () => {
  const file = (v: string, key = KEY): Want => ({ kind: "file", file: { ...desiredPut(v), key } as PutFile });
  const copy = (v: string, of = ORIGINAL): Want => ({ kind: "copy", of: { ...desiredPut(v), key: of } as PutFile });
  const rows: Array<[string, Want, Want, boolean]> = [
    ["the same file version", file(V1), file(V1), true],
    ["another version", file(V1), file(V2), false],
    ["another key", file(V1), file(V1, ORIGINAL), false],
    ["the same copy", copy(V1), copy(V1), true],
    ["a copy of another version", copy(V1), copy(V2), false],
    ["a copy of another key", copy(V1), copy(V1, KEY), false],
    ["a file and a copy of it", file(V1), copy(V1, KEY), false],
    ["a copy and the file", copy(V1, KEY), file(V1), false],
    ["absent and absent", { kind: "absent" }, { kind: "absent" }, true],
    ["listing and listing", { kind: "listing" }, { kind: "listing" }, true],
    ["absent and a listing", { kind: "absent" }, { kind: "listing" }, false],
    ["a file and absent", file(V1), { kind: "absent" }, false],
    ["absent and a copy", { kind: "absent" }, copy(V1), false],
  ];
  for (const [why, a, b, same] of rows) test(`sameWant, ${why}: ${same}`, () => assert.equal(sameWant(a, b), same));

  test("two readings that want the same object are the same; any change of version or owner is not", () => {
    assert.ok(sameWant(file(V1), { kind: "file", file: desiredPut(V1, V1) as PutFile }), "publication does not matter");
    assert.ok(!sameWant(file(V1), file(V2)));
    assert.ok(sameWant(copy(V1), copy(V1)));
    assert.ok(!sameWant(copy(V1), copy(V2)));
    assert.ok(!sameWant(copy(V1), file(V1)), "a copy is not the file of the same version");
    assert.ok(sameWant({ kind: "absent" }, { kind: "absent" }));
    assert.ok(!sameWant({ kind: "absent" }, file(V1)));
    assert.ok(sameWant({ kind: "listing" }, { kind: "listing" }));
  });

  test("a real file is a desired put that is not a generated listing", () => {
    assert.ok(isRealFile(desiredPut(V1)));
    assert.ok(!isRealFile(desiredDelete(V1, V0)), "a tombstone");
    assert.ok(!isRealFile(listing));
    assert.ok(!isRealFile(undefined));
  });
});
