// What the apply handler does with one manifest entry, and what the bucket should hold at a key, given the
// index. Pure.
//
// decideEntry: one manifest entry against the index's record of its key.
//
//  index record                                  | entry          | decision
//  ----------------------------------------------+----------------+---------------------------------------
//  none                                          | put            | superseded: a later delete was applied
//  none                                          | delete         | done: already deleted
//  desired version ≠ entry version               | any            | superseded: a newer entry will come (or
//                                                |                |   came); acknowledge and drop this one
//  desired = entry, published version = entry    | put            | done: duplicate delivery
//  desired = entry, not yet published            | put or delete  | apply
//
// "Apply" writes what the index desires, then records it conditionally; if the desired version moved on
// during the write, the handler writes the new desired state too (see lambdas/apply/apply-manifest.ts), so
// whichever handler writes last also verifies last, and the bucket ends at the index's desired version.
// "Superseded" and "done" write nothing unless the bucket is wrong: a handler killed between its PUT and
// its index write may have left an older object that landed after the newer one was recorded, and its
// redelivered message is the only one that will ever look. So the handler HEADs the key and its rewrite
// copies and compares each with what the index wants there (wantAt, holdsWant below); what differs is
// written (or deleted) the way a normal apply would.
//
// wantAt: what the bucket should hold at one key, from the key's record and the records of the keys whose
// rewrite copies land on it (originals, core/publish-rules.ts). holdsWant: whether the object a HEAD found
// is that.
//
//  record at the key        | originals          | want     | the object there is right when
//  -------------------------+--------------------+----------+-------------------------------------------
//  generated listing        | -                  | listing  | always: PostSync writes and checks listings
//  desired put (real file)  | -                  | file     | its version is the desired one and it is not
//                           |                    |          |   a copy (adopted, never staged: present)
//  desired delete           | -                  | absent   | there is none
//  none                     | a desired put      | copy     | it is a copy of that original, at the
//                           |                    |          |   original's desired version
//  none                     | a generated listing| listing  | always
//  none                     | none live          | absent   | there is none
//
// The check is against the desired version, not the published one: a late write can also land between a
// newer handler's PUT and its index write, while the index still names the late write's version published;
// writing a desired version that is not yet published early is harmless (its own entry then finds it done).
//
// A real file always wins over a copy: copies are never written to, nor deleted from, a key the index
// holds as a real file (isRealFile), and a key whose real file is deleted gets its original's copy back.
import type { DesiredPut, IndexFile } from "./index-record.ts";
import type { ManifestEntry } from "./manifest.ts";
import { copyOfValue } from "./publish-rules.ts";

export type EntryDecision = "apply" | "done" | "superseded";

export function decideEntry(entry: ManifestEntry, record: IndexFile | undefined): EntryDecision {
  if (!record) return entry.op === "delete" ? "done" : "superseded";
  if (record.desired.version !== entry.version || record.desired.op !== entry.op) return "superseded";
  if (entry.op === "put" && record.published?.version === entry.version) return "done";
  return "apply";
}

export type PutFile = IndexFile & { desired: DesiredPut };

export type Want =
  | { kind: "file"; file: PutFile }
  | { kind: "copy"; of: PutFile }
  | { kind: "absent" }
  | { kind: "listing" };

/** The object at a key as a HEAD shows it: its sitesync metadata. */
export interface ObjectHead {
  version?: string;
  copyOf?: string;
}

/** A site file the index holds at this key: what a rewrite copy must never overwrite or delete. */
export function isRealFile(record: IndexFile | undefined): record is PutFile {
  return record !== undefined && !record.generated && record.desired.op === "put";
}

/** `originals`: the records (or undefined) of the keys whose rewrite copies land on this key, rule order. */
export function wantAt(record: IndexFile | undefined, originals: Array<IndexFile | undefined>): Want {
  if (record) {
    if (record.generated) return { kind: "listing" };
    return isRealFile(record) ? { kind: "file", file: record } : { kind: "absent" };
  }
  const original = originals.find(isRealFile);
  if (original) return { kind: "copy", of: original };
  return originals.some((o) => o?.generated) ? { kind: "listing" } : { kind: "absent" };
}

/** `head` is undefined when the key holds no object. */
export function holdsWant(want: Want, head: ObjectHead | undefined): boolean {
  switch (want.kind) {
    case "listing":
      return true;
    case "absent":
      return head === undefined;
    case "file":
      if (head === undefined) return false;
      if (want.file.desired.source.key === "") return true;
      return head.version === want.file.desired.version && head.copyOf === undefined;
    case "copy":
      if (head === undefined) return false;
      return head.copyOf === copyOfValue(want.of.key) && head.version === want.of.desired.version;
  }
}

/** Whether two readings of the index want the same object at a key (a write for one serves the other). */
export function sameWant(a: Want, b: Want): boolean {
  if (a.kind === "file" && b.kind === "file") {
    return a.file.key === b.file.key && a.file.desired.version === b.file.desired.version;
  }
  if (a.kind === "copy" && b.kind === "copy") {
    return a.of.key === b.of.key && a.of.desired.version === b.of.desired.version;
  }
  return a.kind === b.kind && a.kind !== "file" && a.kind !== "copy";
}
