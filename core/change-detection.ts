// The change-detection rule: what one key needs, given the file on disk and the index's record of it.
// A pure function of (local, indexed, the state of the run that wrote the desired record, the clock); see
// the table.
//
//  local file        | index record                                   | decision  | why
//  ------------------+------------------------------------------------+-----------+-----------------------------
//  unreadable        | unpublished, its run crashed or overdue        | resend    | staged already: never stuck
//  unreadable        | anything else                                  | skip      | never publish or delete blind
//  file              | none                                           | put       | new file
//  file              | put, size, mtime, ctime, inode equal, published| none      | unchanged
//  file              | put, all equal, unpublished, run in flight     | none      | the apply is on its way
//  file              | put, all equal, unpublished, run crashed       | resend    | desired written, never sent
//  file              | put, all equal, unpublished, run overdue       | resend    | sent, but never applied
//  file              | put, size or mtime differs                     | put       | changed (any mtime difference)
//  file              | put, size and mtime equal, ctime or inode      | put       | metadata: rewritten in one
//                    |   differs                                      |           |   mtime tick, or its old mtime
//                    |                                                |           |   set back (read, then digest)
//  file              | put, size and mtime equal, no ctime/inode kept | record    | first run after adoption or
//                    |   (unpublished and crashed/overdue: resend)    |           |   an older agent: index only
//  file              | delete (tombstone)                             | put       | re-created after a delete
//  file              | generated listing                              | put       | a real page replaces it
//  file, modified    | anything that would be put or record           | settling  | maybe still being written:
//    within settle   |                                                |           |   left for the next run
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
//
// Change is decided as git decides it: size, mtime, ctime and inode from one lstat, never the bytes. ctime
// is the kernel's (no client can set it), so a same-size rewrite within one mtime tick, or an upload whose
// client set the old mtime back, still shows. "Record" stores the ctime and inode of a record that has none
// (an adopted or older one whose size and mtime match): trusted as adoption trusts them, with no read.
//
// A put whose record holds a digest of the same size, for a version that is published or in flight, carries
// `compare`: the staging read digests the file, and bytes equal to that version's (a mass re-upload that
// only gave files new mtimes) record only the new mtime, ctime and inode — no pack, no manifest, nothing to
// invalidate. A crashed or overdue version is put afresh instead: a new version also un-sticks it.
//
// Settling: a file whose mtime or ctime is within `settle.window` of now (either way; a time further in the
// future than the window does not hold a file back forever) may still be being uploaded. It is left for the
// next run — never staged, never deleted — and counted. Only decisions that would read the file settle: an
// unchanged, resent or unreadable file is what it is.

import type { DesiredPut, IndexFile } from "./index-record.ts";

export type LocalState =
  | {
      kind: "file";
      size: number;
      /** Nanoseconds since the epoch, decimal (core/mtime.ts). */
      mtime: string;
      /** Inode change time, nanoseconds since the epoch, decimal. */
      ctime: string;
      /** Inode number, decimal (64 bits on some file systems). */
      ino: string;
    }
  | { kind: "unreadable"; reason: string }
  | { kind: "none" };

export type RunState = "in-flight" | "crashed" | "overdue";

/** The version whose bytes a put may turn out to repeat, and their digest. */
export interface Compare {
  version: string;
  sha256: string;
}

export type Decision =
  | { action: "none"; reason: "unchanged" | "in-flight" | "generated" }
  | {
      action: "put";
      reason: "new" | "changed" | "metadata" | "recreated" | "replaces-generated";
      compare?: Compare;
    }
  | { action: "record"; reason: "inode-unknown" }
  | { action: "settling"; reason: "modified-recently" }
  | { action: "delete"; reason: "removed" }
  | { action: "resend"; reason: "unsent" | "overdue" }
  | { action: "skip"; reason: "unreadable" };

/** The clock of the settle window: now and the window, both in nanoseconds. A window of 0 turns it off. */
export interface SettleClock {
  now: bigint;
  window: bigint;
}

/** The settle clock for `seconds` at this moment. */
export function settleClock(seconds: number, nowMs = Date.now()): SettleClock {
  return { now: BigInt(nowMs) * 1_000_000n, window: BigInt(Math.round(seconds * 1000)) * 1_000_000n };
}

/** Whether a file with these times may still be being written (see the table). */
export function isSettling(times: { mtime: string; ctime: string }, clock: SettleClock | undefined): boolean {
  if (!clock || clock.window <= 0n) return false;
  const near = (t: string) => {
    const d = clock.now - BigInt(t);
    return d < clock.window && -d < clock.window;
  };
  return near(times.mtime) || near(times.ctime);
}

export function decide(
  local: LocalState,
  indexed: IndexFile | undefined,
  runState: (runId: string) => RunState,
  settle?: SettleClock,
): Decision {
  if (local.kind === "unreadable") {
    return indexed && !indexed.generated ? (resendIfStuck(indexed, runState) ?? SKIP) : SKIP;
  }
  if (local.kind === "file") {
    const decision = decideFile(local, indexed, runState);
    const reads = decision.action === "put" || decision.action === "record";
    return reads && isSettling(local, settle) ? SETTLING : decision;
  }
  if (!indexed) return { action: "none", reason: "unchanged" };
  if (indexed.generated) return { action: "none", reason: "generated" };
  if (indexed.desired.op === "put") return { action: "delete", reason: "removed" };
  return resendIfStuck(indexed, runState) ?? { action: "none", reason: "in-flight" };
}

function decideFile(
  local: Extract<LocalState, { kind: "file" }>,
  indexed: IndexFile | undefined,
  runState: (runId: string) => RunState,
): Decision {
  if (!indexed) return { action: "put", reason: "new" };
  if (indexed.generated) return { action: "put", reason: "replaces-generated" };
  const desired = indexed.desired;
  if (desired.op === "delete") return { action: "put", reason: "recreated" };
  if (desired.size !== local.size || desired.mtime !== local.mtime) {
    return withCompare({ action: "put", reason: "changed" }, local, indexed, desired, runState);
  }
  const stuck = resendIfStuck(indexed, runState);
  if (desired.ctime === undefined || desired.ino === undefined) return stuck ?? RECORD;
  if (desired.ctime !== local.ctime || desired.ino !== local.ino) {
    return withCompare({ action: "put", reason: "metadata" }, local, indexed, desired, runState);
  }
  if (indexed.published?.version === desired.version) return { action: "none", reason: "unchanged" };
  return stuck ?? { action: "none", reason: "in-flight" };
}

function withCompare(
  put: Extract<Decision, { action: "put" }>,
  local: Extract<LocalState, { kind: "file" }>,
  indexed: IndexFile,
  desired: DesiredPut,
  runState: (runId: string) => RunState,
): Decision {
  if (desired.sha256 === undefined || desired.size !== local.size) return put;
  const live = indexed.published?.version === desired.version || runState(desired.run) === "in-flight";
  return live ? { ...put, compare: { version: desired.version, sha256: desired.sha256 } } : put;
}

const RECORD: Decision = { action: "record", reason: "inode-unknown" };
const SETTLING: Decision = { action: "settling", reason: "modified-recently" };
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
//  finished at least resendAfter from now   | overdue    (the clock went back: how long ago is unknown)
//
// A finish time ahead of this host's clock means a clock went backwards (this host's, or the one of the host
// that ran it). Counting its distance either way, as the settle window does, keeps a skew of minutes harmless
// and never lets a clock set back by days hold an unapplied entry for days: it is re-sent at once, which apply
// takes as often as it comes, and the re-send moves the record to this run, whose finish time is this clock's,
// so it is re-sent once, not at every run.
export function runState(run: RunSummary | undefined, nowMs: number, resendAfterMs: number): RunState {
  if (!run) return "overdue";
  if (run.status === "running" || run.finished === undefined) return "crashed";
  const finished = Date.parse(run.finished);
  if (Number.isNaN(finished)) return "overdue";
  return Math.abs(nowMs - finished) >= resendAfterMs ? "overdue" : "in-flight";
}
