// The change-detection rule: what one key needs, given the file on disk and the index's record of it.
// A pure function of (local, indexed, the state of the run that wrote the desired record); see the table.
//
//  local file        | index record                                   | decision  | why
//  ------------------+------------------------------------------------+-----------+-----------------------------
//  unreadable        | unpublished, its run crashed or overdue        | resend    | staged already: never stuck
//  unreadable        | anything else                                  | skip      | never publish or delete blind
//  file              | none                                           | put       | new file
//  file              | put, size and mtime equal, published           | none      | unchanged
//  file              | put, equal, unpublished, run in flight         | none      | the apply is on its way
//  file              | put, equal, unpublished, run crashed           | resend    | desired written, never sent
//  file              | put, equal, unpublished, run overdue           | resend    | sent, but never applied
//  file              | put, size or mtime differs                     | put       | changed (any mtime difference)
//  file              | delete (tombstone)                             | put       | re-created after a delete
//  file              | generated listing                              | put       | a real page replaces it
//  none              | put                                            | delete    | file removed from the tree
//  none              | delete, run in flight                          | none      | delete already on its way
//  none              | delete, run crashed or overdue                 | resend    | tombstone never applied
//  none              | generated listing                              | none      | PostSync owns listings
//
// "Unpublished" means the index's published version is not its desired one. The run that wrote the desired
// record is "crashed" when it never recorded the end of its sending, "overdue" when it finished sending
// longer ago than the resend delay and the entry is still unpublished (its message expired, sits in the
// dead-letter queue, or was never delivered), "in flight" otherwise; see runState below. Re-sending the
// same version is harmless because apply is idempotent per version, so an entry that is desired but not
// published is sent again and again, one resend delay apart, until it is published.

import type { IndexFile } from "./index-record.ts";

export type LocalState =
  | { kind: "file"; size: number; mtime: string }
  | { kind: "unreadable"; reason: string }
  | { kind: "none" };

export type RunState = "in-flight" | "crashed" | "overdue";

export type Decision =
  | { action: "none"; reason: "unchanged" | "in-flight" | "generated" }
  | { action: "put"; reason: "new" | "changed" | "recreated" | "replaces-generated" }
  | { action: "delete"; reason: "removed" }
  | { action: "resend"; reason: "unsent" | "overdue" }
  | { action: "skip"; reason: "unreadable" };

export function decide(
  local: LocalState,
  indexed: IndexFile | undefined,
  runState: (runId: string) => RunState,
): Decision {
  if (local.kind === "unreadable") {
    return indexed && !indexed.generated ? (resendIfStuck(indexed, runState) ?? SKIP) : SKIP;
  }
  if (local.kind === "file") {
    if (!indexed) return { action: "put", reason: "new" };
    if (indexed.generated) return { action: "put", reason: "replaces-generated" };
    const desired = indexed.desired;
    if (desired.op === "delete") return { action: "put", reason: "recreated" };
    if (desired.size !== local.size || desired.mtime !== local.mtime) return { action: "put", reason: "changed" };
    if (indexed.published?.version === desired.version) return { action: "none", reason: "unchanged" };
    return resendIfStuck(indexed, runState) ?? { action: "none", reason: "in-flight" };
  }
  if (!indexed) return { action: "none", reason: "unchanged" };
  if (indexed.generated) return { action: "none", reason: "generated" };
  if (indexed.desired.op === "put") return { action: "delete", reason: "removed" };
  return resendIfStuck(indexed, runState) ?? { action: "none", reason: "in-flight" };
}

const SKIP: Decision = { action: "skip", reason: "unreadable" };

function resendIfStuck(indexed: IndexFile, runState: (runId: string) => RunState): Decision | undefined {
  if (indexed.published?.version === indexed.desired.version) return undefined;
  const state = runState(indexed.desired.run);
  if (state === "crashed") return { action: "resend", reason: "unsent" };
  if (state === "overdue") return { action: "resend", reason: "overdue" };
  return undefined;
}

/** What the diff needs to know of a run record to classify it. */
export interface RunSummary {
  status: string;
  /** ISO time the run finished sending (or was found interrupted); absent while it runs. */
  finished?: string;
}

// The state of the run that wrote a desired record, from its run record.
//
//  run record                               | state
//  -----------------------------------------+-----------
//  none (written by a tool that keeps none) | overdue
//  status "running"                         | crashed    (this agent holds the lock: no run of it is alive)
//  finished less than resendAfter ago       | in-flight
//  finished at least resendAfter ago        | overdue
export function runState(run: RunSummary | undefined, nowMs: number, resendAfterMs: number): RunState {
  if (!run) return "overdue";
  if (run.status === "running" || run.finished === undefined) return "crashed";
  const finished = Date.parse(run.finished);
  if (Number.isNaN(finished)) return "overdue";
  return nowMs - finished >= resendAfterMs ? "overdue" : "in-flight";
}
