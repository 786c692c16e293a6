// The records the index holds, as the rest of the code sees them: what reads return and writes take. Their
// layout as DynamoDB items is items.ts's alone.
import type { Desired, DesiredPut, IndexFile, Published } from "../../core/index-record.ts";

export type DirectoryEntry =
  | {
      kind: "file";
      name: string;
      file: IndexFile;
      /** A generated listing's rendering hash. */
      listingHash?: string;
    }
  | { kind: "dir"; name: string };

/** A listing page as the index records it: generated, published as it is written. */
export interface ListingRecord {
  key: string;
  desired: DesiredPut;
  published: Published;
  /** The rendering's hash, to tell an unchanged listing; absent for a page adopted from another tool. */
  hash?: string;
}

export type IndexWrite =
  | { kind: "desired"; key: string; desired: Desired }
  | { kind: "history"; key: string; desired: Desired; at: string }
  | { kind: "historyDir"; dir: string }
  | { kind: "mkdir"; dir: string; name: string }
  | { kind: "rmdir"; dir: string; name: string }
  /** A listing page already in the bucket, recorded the way PostSync records the pages it generates. */
  | ({ kind: "generated" } & ListingRecord);

export interface HistoryVersion {
  key: string;
  desired: Desired;
  /** When the version was staged (ISO time): the moment it became the site's version, within seconds. */
  at: string;
}

export type RunStatus = "running" | "sent" | "interrupted" | "failed" | "abandoned";

export interface RunRecord {
  runId: string;
  status: RunStatus;
  prefix: string;
  started: string;
  finished?: string;
  sent: number;
  messages: number;
  /** Pages of changed keys in the version store (runs/<runId>/changes/), for PostSync. */
  changePages: number;
  /** Planned work by reason, for people reading the record. */
  counts: Record<string, number>;
  /** The PostSync execution started for this run. */
  postSyncExecutionArn?: string;
}

export interface RunProgress {
  applied: number;
  published: number;
  deleted: number;
  superseded: number;
  /** Rewrite copies not written or deleted because a real file holds their key. */
  conflicts: number;
  messages: number;
}

/** The last run of the agent for one site prefix that finished, for the watchdog and for status. */
export interface Heartbeat {
  prefix: string;
  runId: string;
  finished: string;
  host: string;
}

/**
 * A directory's generation (aws/index/generations.ts): advanced by every writer of the directory's file
 * records when it begins and when it ends writing, with the writers still writing counted.
 */
export interface DirectoryGeneration {
  /** The directory's key ("" for the bucket's root). */
  dir: string;
  generation: number;
  /** Writers that began and have not ended (a writer that died mid-write stays counted). */
  writers: number;
  /** When the last writer began (ISO time, the writer's clock). */
  writingSince?: string;
}

/** What one advance of a directory's generation returned: the values right after it. */
export interface GenerationMark {
  dir: string;
  generation: number;
  writers: number;
}
