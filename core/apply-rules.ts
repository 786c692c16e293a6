// What the apply handler does with one manifest entry, given the index's record of its key. Pure.
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
import type { IndexFile } from "./index-record.ts";
import type { ManifestEntry } from "./manifest.ts";

export type EntryDecision = "apply" | "done" | "superseded";

export function decideEntry(entry: ManifestEntry, record: IndexFile | undefined): EntryDecision {
  if (!record) return entry.op === "delete" ? "done" : "superseded";
  if (record.desired.version !== entry.version || record.desired.op !== entry.op) return "superseded";
  if (entry.op === "put" && record.published?.version === entry.version) return "done";
  return "apply";
}
