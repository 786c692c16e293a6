// The change-detection rule: what one key needs, given the file on disk and the index's record of it.
// A pure function of (local, indexed, whether the indexed run finished sending); see the table.
//
//  local file        | index record                                   | decision  | why
//  ------------------+------------------------------------------------+-----------+-----------------------------
//  unreadable        | any                                            | skip      | never publish or delete blind
//  file              | none                                           | put       | new file
//  file              | put, size and mtime equal, run finished        | none      | unchanged (published or in flight)
//  file              | put, size and mtime equal, run crashed         | resend    | desired written, never sent
//  file              | put, size or mtime differs                     | put       | changed (any mtime difference)
//  file              | delete (tombstone)                             | put       | re-created after a delete
//  file              | generated listing                              | put       | a real page replaces it
//  none              | put                                            | delete    | file removed from the tree
//  none              | delete, run finished                           | none      | delete already in flight
//  none              | delete, run crashed                            | resend    | tombstone written, never sent
//  none              | generated listing                              | none      | PostSync owns listings
//
// "run crashed" means the run that wrote the desired state is not this one and never recorded that it
// finished sending (the agent died between writing the index and sending the manifest): re-sending the
// same version is harmless because apply is idempotent per version.

import type { IndexFile } from "./index-record.ts";

export type LocalState =
  | { kind: "file"; size: number; mtime: string }
  | { kind: "unreadable"; reason: string }
  | { kind: "none" };

export type Decision =
  | { action: "none"; reason: "unchanged" | "in-flight" | "generated" }
  | { action: "put"; reason: "new" | "changed" | "recreated" | "replaces-generated" }
  | { action: "delete"; reason: "removed" }
  | { action: "resend"; reason: "unsent" }
  | { action: "skip"; reason: "unreadable" };

export function decide(
  local: LocalState,
  indexed: IndexFile | undefined,
  runFinished: (runId: string) => boolean,
): Decision {
  if (local.kind === "unreadable") return { action: "skip", reason: "unreadable" };
  if (local.kind === "file") {
    if (!indexed) return { action: "put", reason: "new" };
    if (indexed.generated) return { action: "put", reason: "replaces-generated" };
    const desired = indexed.desired;
    if (desired.op === "delete") return { action: "put", reason: "recreated" };
    if (desired.size !== local.size || desired.mtime !== local.mtime) return { action: "put", reason: "changed" };
    if (isUnsent(indexed, runFinished)) return { action: "resend", reason: "unsent" };
    return { action: "none", reason: indexed.published?.version === desired.version ? "unchanged" : "in-flight" };
  }
  if (!indexed) return { action: "none", reason: "unchanged" };
  if (indexed.generated) return { action: "none", reason: "generated" };
  if (indexed.desired.op === "put") return { action: "delete", reason: "removed" };
  return isUnsent(indexed, runFinished) ? { action: "resend", reason: "unsent" } : { action: "none", reason: "in-flight" };
}

function isUnsent(indexed: IndexFile, runFinished: (runId: string) => boolean): boolean {
  return indexed.published?.version !== indexed.desired.version && !runFinished(indexed.desired.run);
}
