// The merge-diff: the tree and the index walked side by side, one directory at a time. Both sides of a
// directory come sorted by UTF-8 bytes, so they are merged as two ordered lists; memory is bounded by the
// largest directory times the number of directory workers, never by the size of the site.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { queryDirectory } from "../../aws/index/files.ts";
import type { DirectoryEntry } from "../../aws/index/records.ts";
import { decide, settleClock, type Decision } from "../../core/change-detection.ts";
import type { DeletionTally } from "../../core/delete-guard.ts";
import type { IndexFile } from "../../core/index-record.ts";
import { compareUtf8, joinKey, prefixDir, splitKey } from "../../core/keys.ts";
import type { PlanWriter } from "./plan.ts";
import type { RunStates } from "../run-lifecycle.ts";
import { createExcluder, scanDirectory, sortKey, type ScanNotes, type ScanPolicy, type ScannedEntry } from "./scan.ts";
import { runPool } from "../../core/concurrency.ts";

export interface DiffOptions {
  root: Buffer;
  prefix: string;
  table: string;
  policy: ScanPolicy;
  directoryConcurrency: number;
  /** The state of the runs that wrote desired records: whether an unpublished entry needs re-sending. */
  runs: RunStates;
  /** Files modified this recently (mtime or ctime) are left for the next run; 0 or absent: off. */
  settleSeconds?: number;
  onProgress?: (stats: DiffStats) => void;
}

export interface DiffStats {
  directories: number;
  files: number;
  bytes: number;
  /** Files the index holds as part of the site (desired put, not generated), seen by the walk. */
  indexedFiles: number;
  unchanged: number;
  inFlight: number;
  /** Files modified within the settle window, left for the next run. */
  settling: number;
  unreadable: Array<{ key: string; reason: string }>;
}

export class RootMissingError extends Error {
  override readonly name = "RootMissingError";
}

interface Job {
  /** Site-relative directory, "" at the root. */
  relDir: string;
  /** Undefined when the directory is only in the index (deleted on disk, or not readable). */
  path: Buffer | undefined;
  /**
   * The directory, or one above it, could not be read: its index entries are kept (never deleted) and
   * only looked at for entries that still need re-sending.
   */
  blind?: boolean;
}

/**
 * Walks the tree and the index together and writes the plan. `deletions` counts, per top-level directory,
 * the published files seen and those the plan deletes, for the mass-deletion guard.
 */
export async function diffTree(
  ddb: DynamoDBClient,
  options: DiffOptions,
  plan: PlanWriter,
  notes: ScanNotes,
  deletions: DeletionTally,
): Promise<DiffStats> {
  const stats: DiffStats = {
    directories: 0,
    files: 0,
    bytes: 0,
    indexedFiles: 0,
    unchanged: 0,
    inFlight: 0,
    settling: 0,
    unreadable: [],
  };
  const excluded = createExcluder(options.policy);
  const keyDir = (relDir: string) =>
    relDir === "" ? prefixDir(options.prefix) : joinKey(prefixDir(options.prefix), relDir);
  const relKey = (relDir: string, name: string) => joinKey(relDir, name);
  const fullKey = (relDir: string, name: string) => `${options.prefix}${relKey(relDir, name)}`;
  const runState = (runId: string) => options.runs.state(runId);

  const processDirectory = async (job: Job, enqueue: (job: Job) => void): Promise<void> => {
    const dir = keyDir(job.relDir);
    const [scan, indexed] = await Promise.all([
      job.path && !job.blind ? scanDirectory(job.path, job.relDir, dir, options.policy, excluded, notes) : undefined,
      readWholeDirectory(ddb, options.table, dir),
    ]);
    await options.runs.load(unpublishedRuns(indexed));
    if (scan && !scan.ok) {
      if (job.relDir === "" && scan.missing) {
        throw new RootMissingError(
          `the tree to publish, ${options.root.toString()}, does not exist: is the volume mounted?`,
        );
      }
      // An unreadable directory keeps everything the index holds for it: never a delete. What an earlier
      // run left unsent beneath it is still re-sent: its bytes were staged when they could be read.
      stats.unreadable.push({ key: job.relDir || ".", reason: scan.reason });
      job = { ...job, blind: true };
    }
    if (job.blind) {
      for (const x of indexed) await mergeBlind(job, x, enqueue);
      return;
    }
    stats.directories += 1;
    const local = scan?.ok ? scan.entries : [];
    let i = 0;
    let j = 0;
    while (i < local.length || j < indexed.length) {
      const l = local[i];
      const x = indexed[j];
      const order = l && x ? compareUtf8(sortKey(l), x.kind === "dir" ? `${x.name}/` : x.name) : l ? -1 : 1;
      if (order === 0) {
        await mergeEntry(job, l, x, enqueue);
        i++;
        j++;
      } else if (order < 0) {
        await mergeEntry(job, l, undefined, enqueue);
        i++;
      } else {
        await mergeEntry(job, undefined, x, enqueue);
        j++;
      }
    }
    // Gone from disk: its marker goes too, so listings stop showing it. The publisher writes markers'
    // removal only after every entry beneath was sent, so a crash never orphans an unsent tombstone.
    if (job.path === undefined && job.relDir !== "") {
      const { dir: parent, name } = splitKey(dir);
      await plan.write({ op: "rmdir", dir: parent, name });
    }
  };

  /** An entry of a directory that cannot be read: kept, and re-sent only if an earlier run left it unsent. */
  const mergeBlind = async (job: Job, x: DirectoryEntry, enqueue: (job: Job) => void): Promise<void> => {
    if (x.kind === "dir") {
      enqueue({ relDir: relKey(job.relDir, x.name), path: undefined, blind: true });
      return;
    }
    if (x.file.desired.op === "put" && !x.file.generated) {
      stats.indexedFiles += 1;
      deletions.count(relKey(job.relDir, x.name), false);
    }
    await act(
      job,
      x.name,
      undefined,
      x.file,
      decide({ kind: "unreadable", reason: "directory not readable" }, x.file, runState),
    );
  };

  const mergeEntry = async (
    job: Job,
    l: ScannedEntry | undefined,
    x: DirectoryEntry | undefined,
    enqueue: (job: Job) => void,
  ): Promise<void> => {
    if (l?.kind === "unreadable" && l.isDir) {
      if (x?.kind === "dir") enqueue({ relDir: relKey(job.relDir, x.name), path: undefined, blind: true });
      return;
    }
    if (l?.kind === "dir" || x?.kind === "dir") {
      if (l?.kind === "dir" && x?.kind !== "dir") {
        await plan.write({ op: "mkdir", dir: keyDir(job.relDir), name: l.name });
      }
      enqueue({ relDir: relKey(job.relDir, (l ?? x)!.name), path: l?.kind === "dir" ? l.path : undefined });
      return;
    }
    if (l?.kind === "unreadable") stats.unreadable.push({ key: relKey(job.relDir, l.name), reason: l.reason });
    const file: IndexFile | undefined = x?.kind === "file" ? x.file : undefined;
    if (l?.kind === "file") {
      stats.files += 1;
      stats.bytes += l.size;
    }
    const localState =
      l?.kind === "file"
        ? { kind: "file" as const, size: l.size, mtime: l.mtime, ctime: l.ctime, ino: l.ino }
        : l?.kind === "unreadable"
          ? { kind: "unreadable" as const, reason: l.reason }
          : { kind: "none" as const };
    const decision = decide(localState, file, runState, settleClock(options.settleSeconds ?? 0));
    if (file && file.desired.op === "put" && !file.generated) {
      stats.indexedFiles += 1;
      deletions.count(relKey(job.relDir, (l ?? x)!.name), decision.action === "delete");
    }
    await act(job, (l ?? x)!.name, l, file, decision);
  };

  const act = async (
    job: Job,
    name: string,
    l: ScannedEntry | undefined,
    file: IndexFile | undefined,
    decision: Decision,
  ): Promise<void> => {
    const key = fullKey(job.relDir, name);
    switch (decision.action) {
      case "put":
        if (l?.kind !== "file") throw new Error("unreachable: put without a file");
        await plan.write({
          op: "put",
          key,
          path: l.path.toString("base64"),
          size: l.size,
          mtime: l.mtime,
          ctime: l.ctime,
          ino: l.ino,
          reason: decision.reason,
          ...(file?.published ? { published: file.published } : {}),
          ...(decision.compare ? { compare: decision.compare } : {}),
        });
        return;
      case "record":
        if (l?.kind !== "file") throw new Error("unreachable: record without a file");
        await plan.write({
          op: "record",
          key,
          version: file!.desired.version,
          mtime: l.mtime,
          ctime: l.ctime,
          ino: l.ino,
        });
        return;
      case "settling":
        stats.settling += 1;
        return;
      case "delete":
        await plan.write({
          op: "delete",
          key,
          reason: decision.reason,
          ...(file?.published ? { published: file.published } : {}),
        });
        return;
      case "resend":
        await plan.write({ op: "resend", key, desired: file!.desired, reason: decision.reason });
        return;
      case "none":
        if (decision.reason === "in-flight") stats.inFlight += 1;
        else if (decision.reason === "unchanged" && l) stats.unchanged += 1;
        return;
      case "skip":
        return;
    }
  };

  await runPool([{ relDir: "", path: options.root } as Job], options.directoryConcurrency, async (job, enqueue) => {
    await processDirectory(job, enqueue);
    options.onProgress?.(stats);
  });
  return stats;
}

/** Runs that wrote a desired record the bucket does not have yet: the diff must know how they ended. */
function unpublishedRuns(entries: DirectoryEntry[]): Set<string> {
  const runs = new Set<string>();
  for (const x of entries) {
    if (x.kind === "file" && !x.file.generated && x.file.published?.version !== x.file.desired.version)
      runs.add(x.file.desired.run);
  }
  return runs;
}

async function readWholeDirectory(ddb: DynamoDBClient, table: string, dir: string): Promise<DirectoryEntry[]> {
  const entries: DirectoryEntry[] = [];
  for await (const page of queryDirectory(ddb, table, dir)) entries.push(...page);
  return entries;
}
