// The apply handler's per-entry decision table of core/apply-rules.ts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { decideEntry, type EntryDecision } from "../../core/apply-rules.ts";
import type { IndexFile } from "../../core/index-record.ts";
import type { ManifestEntry } from "../../core/manifest.ts";

const KEY = "www/a/b.html";
const V0 = "20260101T000000000Z-000000";
const V1 = "20260102T000000000Z-111111";
const V2 = "20260103T000000000Z-222222";

function putEntry(version: string): ManifestEntry {
  return { op: "put", key: KEY, version, size: 5, mtime: "1767225600000000000", contentType: "text/html; charset=utf-8", source: { key: "packs/p", offset: 0, length: 5 } };
}
function deleteEntry(version: string): ManifestEntry {
  return { op: "delete", key: KEY, version };
}
function desiredPut(version: string, published?: string): IndexFile {
  return {
    key: KEY,
    desired: { op: "put", version, size: 5, mtime: "1767225600000000000", contentType: "text/html; charset=utf-8", source: { key: "packs/p", offset: 0, length: 5 }, run: version },
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
  { why: "no record, put: a later delete was applied, drop the put", entry: putEntry(V1), record: undefined, expected: "superseded" },
  // none | delete | done
  { why: "no record, delete: already deleted (duplicate delivery)", entry: deleteEntry(V1), record: undefined, expected: "done" },
  // desired version ≠ entry version | any | superseded
  { why: "put older than the desired put: superseded by the newer entry", entry: putEntry(V1), record: desiredPut(V2), expected: "superseded" },
  { why: "put older than a desired put already published: late arrival dropped", entry: putEntry(V1), record: desiredPut(V2, V2), expected: "superseded" },
  { why: "put older than a desired delete: superseded", entry: putEntry(V1), record: desiredDelete(V2, V1), expected: "superseded" },
  { why: "delete older than a desired put (file re-created): superseded", entry: deleteEntry(V1), record: desiredPut(V2, V0), expected: "superseded" },
  { why: "entry newer than the desired state (index not yet readable): not applied", entry: putEntry(V2), record: desiredPut(V1, V1), expected: "superseded" },
  // desired = entry, published = entry | put | done
  { why: "put already published at this version: duplicate delivery, done", entry: putEntry(V1), record: desiredPut(V1, V1), expected: "done" },
  // desired = entry, not yet published | put or delete | apply
  { why: "put desired and never published: apply", entry: putEntry(V1), record: desiredPut(V1), expected: "apply" },
  { why: "put desired over an older published version: apply", entry: putEntry(V1), record: desiredPut(V1, V0), expected: "apply" },
  { why: "delete desired over a published put: apply", entry: deleteEntry(V1), record: desiredDelete(V1, V0), expected: "apply" },
  { why: "delete desired, key never published: apply (removes any copy a raced put left)", entry: deleteEntry(V1), record: desiredDelete(V1), expected: "apply" },
  // Edges outside the table.
  { why: "same version but the index holds a delete: the put is not what is desired", entry: putEntry(V1), record: desiredDelete(V1), expected: "superseded" },
  { why: "same version but the index holds a put: the delete is not what is desired", entry: deleteEntry(V1), record: desiredPut(V1), expected: "superseded" },
];

describe("apply rules: decideEntry(entry, record)", () => {
  for (const row of rows) {
    test(row.why, () => {
      assert.equal(decideEntry(row.entry, row.record), row.expected);
    });
  }
});
