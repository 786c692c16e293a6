// The merge-diff: the tree and the index walked side by side, one directory at a time. Both sides of a
// directory come sorted by UTF-8 bytes, so they are merged as two ordered lists; memory is bounded by the
// largest directory times the number of directory workers, never by the size of the site. The index side
// comes from the host's replica of the index when the replica knows the directory current and nothing in
// it needs doing, else from DynamoDB (diffTree below). A current directory whose scan is exactly the one the
// last run found all unchanged (same fingerprint, rows untouched since) is decided without reading its rows.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { queryDirectory } from "../../aws/index/files.ts";
import type { DirectoryEntry } from "../../aws/index/records.ts";
import { decide, settleClock, type Decision } from "../../core/change-detection.ts";
import type { DeletionTally } from "../../core/delete-guard.ts";
import type { IndexFile } from "../../core/index-record.ts";
import { compareUtf8, joinKey, prefixDir, splitKey } from "../../core/keys.ts";
import type { PlanOp, PlanWriter } from "./plan.ts";
import type { RunStates } from "../run-lifecycle.ts";
import {
  createExcluder,
  pathBytes,
  scanDirectory,
  scanFingerprint,
  sortKey,
  type DirectoryScan,
  type ScanNotes,
  type ScanPolicy,
  type ScannedEntry,
  type TreePath,
} from "./scan.ts";
import { runPool } from "../../core/concurrency.ts";

/**
 * Where the diff reads a directory of the index. The replica (agent/replica/) answers only for directories
 * it knows to be current, and only as a filter: a directory whose merge against it finds anything to do is
 * read from DynamoDB and merged again, so what the plan holds always comes from the index itself.
 */
export interface IndexSource {
  /** The directory's entries from the host's replica of the index when it is known current, else undefined. */
  replicated(dir: string): DirectoryEntry[] | undefined;
  /** The directory's entries from the index (DynamoDB), in sort-key order. */
  read(dir: string): Promise<DirectoryEntry[]>;
  /**
   * When `dir` is current: the fingerprint of the scan that last found it all unchanged, its rows untouched
   * since. A scan with the same fingerprint finds it all unchanged again, and its rows need not be read.
   */
  lastSeen?(dir: string): string | undefined;
  /**
   * The entries of some files of current `dir` (by name) from the index, strongly consistent: each file's
   * entry, or undefined where the index has none. The replica's rows of them are replaced by what was read.
   */
  readFiles?(dir: string, names: string[]): Promise<Map<string, DirectoryEntry | undefined>>;
  /** Records that current `dir`, scanned with this fingerprint, was found all unchanged. */
  recordUnchanged?(dir: string, fingerprint: string): void;
  /** After the last directory: what was recorded is written. */
  finish?(): void;
}

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
  /** The host's replica of the index; absent: every directory is read from DynamoDB. */
  index?: IndexSource;
  /** After each directory, with the counts so far and the directory's site path. */
  onProgress?: (stats: DiffStats, relDir: string) => void;
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
  /** Directories decided from the host's replica of the index alone: no DynamoDB read. */
  fromReplica: number;
  /** Directories read from DynamoDB (stale in the replica, or with something to do). */
  fromIndex: number;
  /** Of those from the replica: found as the last run left them (scan and rows unchanged), no row read. */
  asLastSeen: number;
  /** Current directories of which only the files with something to do were read from DynamoDB. */
  fromIndexFiles: number;
  /** How many files those reads asked for. */
  filesRead: number;
}

export class RootMissingError extends Error {
  override readonly name = "RootMissingError";
}

interface Job {
  /** Site-relative directory, "" at the root. */
  relDir: string;
  /** Undefined when the directory is only in the index (deleted on disk, or not readable). */
  path: TreePath | undefined;
  /**
   * The directory, or one above it, could not be read: its index entries are kept (never deleted) and
   * only looked at for entries that still need re-sending.
   */
  blind?: boolean;
}

/**
 * What merging one directory found, kept apart until it is the decision: a merge against the replica that
 * needs the index is dropped whole, and only the one that decides counts.
 */
interface Outcome {
  directories: number;
  files: number;
  bytes: number;
  indexedFiles: number;
  unchanged: number;
  inFlight: number;
  settling: number;
  unreadable: Array<{ key: string; reason: string }>;
  /** The directory's indexed files for the deletion guard (all under one top-level directory). */
  tally: { path: string; total: number; deleted: number } | undefined;
  children: Job[];
}

/**
 * What a merge against the replica found it must read from the index before deciding: the keys of some files,
 * or the whole directory (a subdirectory new, gone or unreadable).
 */
interface Needs {
  names: Set<string>;
  whole: boolean;
}

/** Writes a plan operation; while merging against the replica, which decides nothing itself, notes needs. */
type Emit = ((op: PlanOp) => Promise<void>) | Needs;

/** Notes that the merge needs the index for `name`, or for the whole directory; false once it does. */
function need(needs: Needs, name?: string): boolean {
  if (name === undefined) needs.whole = true;
  else needs.names.add(name);
  return !needs.whole;
}

/**
 * Walks the tree and the index together and writes the plan. `deletions` counts, per top-level directory,
 * the published files seen and those the plan deletes, for the mass-deletion guard.
 *
 * Per directory: with a replica that knows the directory current, the scan is merged against the replica
 * first; when every entry is unchanged (or on its way, or left alone) that is the decision and DynamoDB is
 * not read. Anything else — a put, a delete, a re-send, an index-only record, a file still settling, a new
 * or vanished subdirectory, an unreadable one — and every directory the replica does not know current is
 * read from DynamoDB (the replica takes what was read) and merged again: the plan only ever holds what the
 * index itself says, so the replica can make the agent look, never publish or skip on its word.
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
    fromReplica: 0,
    fromIndex: 0,
    asLastSeen: 0,
    fromIndexFiles: 0,
    filesRead: 0,
  };
  const index: IndexSource = options.index ?? {
    replicated: () => undefined,
    read: (dir) => readWholeDirectory(ddb, options.table, dir),
  };
  const excluded = createExcluder(options.policy);
  const keyDir = (relDir: string) =>
    relDir === "" ? prefixDir(options.prefix) : joinKey(prefixDir(options.prefix), relDir);
  const relKey = (relDir: string, name: string) => joinKey(relDir, name);
  const fullKey = (relDir: string, name: string) => `${options.prefix}${relKey(relDir, name)}`;
  const runState = (runId: string) => options.runs.state(runId);
  const write: Emit = (op) => plan.write(op);

  const processDirectory = async (job: Job, enqueue: (job: Job) => void): Promise<void> => {
    const dir = keyDir(job.relDir);
    const scanning =
      job.path && !job.blind
        ? scanDirectory(job.path, job.relDir, dir, options.policy, excluded, notes).then((scan) => rootFound(job, scan))
        : Promise.resolve(undefined);
    const lastSeen = index.lastSeen?.(dir);
    if (lastSeen !== undefined) {
      const scan = await scanning;
      if (scan?.ok && scanFingerprint(scan.entries) === lastSeen) {
        stats.fromReplica += 1;
        stats.asLastSeen += 1;
        commit(allUnchanged(job, scan), enqueue);
        return;
      }
    }
    const replicated = index.replicated(dir);
    if (replicated) {
      const scan = await scanning;
      const print = scan?.ok && index.recordUnchanged ? scanFingerprint(scan.entries) : undefined;
      await options.runs.load(unpublishedRuns(replicated));
      const needs: Needs = { names: new Set(), whole: false };
      const outcome = await merge(job, scan, replicated, needs);
      if (outcome && needs.names.size === 0 && !needs.whole) {
        stats.fromReplica += 1;
        if (print !== undefined && scan?.ok && replayable(outcome, replicated, scan, job)) {
          index.recordUnchanged?.(dir, print);
        }
        commit(outcome, enqueue);
        return;
      }
      if (!needs.whole && index.readFiles && fewEnough(needs.names.size, replicated.length)) {
        // Only the files with something to do are read, strongly consistent, in place of their rows: the
        // directory is current, so its other rows are what the index holds.
        const read = await index.readFiles(dir, [...needs.names]);
        const indexed = withFilesRead(replicated, read);
        stats.fromIndexFiles += 1;
        stats.filesRead += read.size;
        await options.runs.load(unpublishedRuns(indexed));
        commit((await merge(job, scan, indexed, write))!, enqueue);
        return;
      }
    }
    const [scan, indexed] = await Promise.all([scanning, index.read(dir)]);
    stats.fromIndex += 1;
    await options.runs.load(unpublishedRuns(indexed));
    commit((await merge(job, scan, indexed, write))!, enqueue);
  };

  const rootFound = (job: Job, scan: DirectoryScan): DirectoryScan => {
    if (!scan.ok && job.relDir === "" && scan.missing) {
      throw new RootMissingError(
        `the tree to publish, ${options.root.toString()}, does not exist: is the volume mounted?`,
      );
    }
    return scan;
  };

  /**
   * The outcome of a directory whose every file is unchanged and published, every subdirectory still there
   * and nothing else in the index but generated pages: what `merge` finds for it, from the scan alone.
   */
  const allUnchanged = (job: Job, scan: DirectoryScan & { ok: true }): Outcome => {
    const o = emptyOutcome();
    o.directories = 1;
    let first: string | undefined;
    for (const l of scan.entries) {
      if (l.kind === "file") {
        o.files += 1;
        o.bytes += l.size;
        first ??= l.name;
      } else if (l.kind === "dir") {
        o.children.push({ relDir: relKey(job.relDir, l.name), path: l.path });
      }
    }
    o.indexedFiles = o.files;
    o.unchanged = o.files;
    // As merge tallies: every file under the top-level directory of the first one.
    if (first !== undefined) o.tally = { path: relKey(job.relDir, first), total: o.files, deleted: 0 };
    return o;
  };

  /** Whether a merge's outcome is exactly what allUnchanged would make of the scan, whatever the time. */
  const replayable = (o: Outcome, rows: DirectoryEntry[], scan: DirectoryScan & { ok: true }, job: Job): boolean => {
    if (job.blind || job.path === undefined) return false;
    if (o.inFlight !== 0 || o.settling !== 0 || o.unreadable.length !== 0 || (o.tally?.deleted ?? 0) !== 0)
      return false;
    // An unpublished entry's decision hangs on its run's state, which time changes.
    if (unpublishedRuns(rows).size !== 0) return false;
    const replay = allUnchanged(job, scan);
    return (
      o.files === replay.files &&
      o.unchanged === replay.unchanged &&
      o.indexedFiles === replay.indexedFiles &&
      o.bytes === replay.bytes &&
      o.children.length === replay.children.length
    );
  };

  /** Adds a decided directory's findings to the run. */
  const commit = (o: Outcome, enqueue: (job: Job) => void): void => {
    stats.directories += o.directories;
    stats.files += o.files;
    stats.bytes += o.bytes;
    stats.indexedFiles += o.indexedFiles;
    stats.unchanged += o.unchanged;
    stats.inFlight += o.inFlight;
    stats.settling += o.settling;
    stats.unreadable.push(...o.unreadable);
    if (o.tally) for (let i = 0; i < o.tally.total; i++) deletions.count(o.tally.path, i < o.tally.deleted);
    for (const child of o.children) enqueue(child);
  };

  /**
   * Merges one directory's scan with its index entries. With a writer, every decision is written to the plan
   * and the outcome returned; against the replica's rows (Needs), what needs the index is noted instead, and
   * the result is undefined once the whole directory does.
   */
  const merge = async (
    job: Job,
    scan: DirectoryScan | undefined,
    indexed: DirectoryEntry[],
    emit: Emit,
  ): Promise<Outcome | undefined> => {
    const o = emptyOutcome();
    let blind = job.blind === true;
    if (scan && !scan.ok) {
      // An unreadable directory keeps everything the index holds for it: never a delete. What an earlier
      // run left unsent beneath it is still re-sent: its bytes were staged when they could be read.
      o.unreadable.push({ key: job.relDir || ".", reason: scan.reason });
      blind = true;
    }
    if (blind) {
      for (const x of indexed) if (!(await mergeBlind(job, x, o, emit))) return undefined;
      return o;
    }
    o.directories = 1;
    const local = scan?.ok ? scan.entries : [];
    let i = 0;
    let j = 0;
    while (i < local.length || j < indexed.length) {
      const l = local[i];
      const x = indexed[j];
      const order = l && x ? compareUtf8(sortKey(l), x.kind === "dir" ? `${x.name}/` : x.name) : l ? -1 : 1;
      const decided =
        order === 0
          ? await mergeEntry(job, l, x, o, emit)
          : order < 0
            ? await mergeEntry(job, l, undefined, o, emit)
            : await mergeEntry(job, undefined, x, o, emit);
      if (!decided) return undefined;
      if (order <= 0) i++;
      if (order >= 0) j++;
    }
    // Gone from disk: its marker goes too, so listings stop showing it. The publisher writes markers'
    // removal only after every entry beneath was sent, so a crash never orphans an unsent tombstone.
    if (job.path === undefined && job.relDir !== "") {
      const { dir: parent, name } = splitKey(keyDir(job.relDir));
      if (typeof emit !== "function") return need(emit) ? o : undefined;
      await emit({ op: "rmdir", dir: parent, name });
    }
    return o;
  };

  const tally = (o: Outcome, path: string, deleted: boolean): void => {
    o.tally ??= { path, total: 0, deleted: 0 };
    o.tally.total += 1;
    if (deleted) o.tally.deleted += 1;
  };

  /** An entry of a directory that cannot be read: kept, and re-sent only if an earlier run left it unsent. */
  const mergeBlind = async (job: Job, x: DirectoryEntry, o: Outcome, emit: Emit): Promise<boolean> => {
    if (x.kind === "dir") {
      o.children.push({ relDir: relKey(job.relDir, x.name), path: undefined, blind: true });
      return true;
    }
    if (x.file.desired.op === "put" && !x.file.generated) {
      o.indexedFiles += 1;
      tally(o, relKey(job.relDir, x.name), false);
    }
    const decision = decide({ kind: "unreadable", reason: "directory not readable" }, x.file, runState);
    return act(job, x.name, undefined, x.file, decision, o, emit);
  };

  /** One pair of the merge; false when the whole directory needs the index (merging the replica's rows). */
  const mergeEntry = async (
    job: Job,
    l: ScannedEntry | undefined,
    x: DirectoryEntry | undefined,
    o: Outcome,
    emit: Emit,
  ): Promise<boolean> => {
    if (l?.kind === "unreadable" && l.isDir) {
      // A subdirectory that cannot be read is looked at through the index itself, never the replica.
      if (typeof emit !== "function") return need(emit);
      if (x?.kind === "dir") o.children.push({ relDir: relKey(job.relDir, x.name), path: undefined, blind: true });
      return true;
    }
    if (l?.kind === "dir" || x?.kind === "dir") {
      if (l?.kind === "dir" && x?.kind !== "dir") {
        if (typeof emit !== "function") return need(emit);
        await emit({ op: "mkdir", dir: keyDir(job.relDir), name: l.name });
      } else if (l?.kind !== "dir" && typeof emit !== "function") {
        // A subdirectory gone from disk: its deletions are decided on what the index itself holds.
        return need(emit);
      }
      o.children.push({ relDir: relKey(job.relDir, (l ?? x)!.name), path: l?.kind === "dir" ? l.path : undefined });
      return true;
    }
    if (l?.kind === "unreadable") o.unreadable.push({ key: relKey(job.relDir, l.name), reason: l.reason });
    const file: IndexFile | undefined = x?.kind === "file" ? x.file : undefined;
    if (l?.kind === "file") {
      o.files += 1;
      o.bytes += l.size;
    }
    const localState =
      l?.kind === "file"
        ? { kind: "file" as const, size: l.size, mtime: l.mtime, ctime: l.ctime, ino: l.ino }
        : l?.kind === "unreadable"
          ? { kind: "unreadable" as const, reason: l.reason }
          : { kind: "none" as const };
    const decision = decide(localState, file, runState, settleClock(options.settleSeconds ?? 0));
    if (file && file.desired.op === "put" && !file.generated) {
      o.indexedFiles += 1;
      tally(o, relKey(job.relDir, (l ?? x)!.name), decision.action === "delete");
    }
    return act(job, (l ?? x)!.name, l, file, decision, o, emit);
  };

  /** Writes what a decision takes, or notes that it needs the index (merging the replica's rows). */
  const act = async (
    job: Job,
    name: string,
    l: ScannedEntry | undefined,
    file: IndexFile | undefined,
    decision: Decision,
    o: Outcome,
    emit: Emit,
  ): Promise<boolean> => {
    const key = fullKey(job.relDir, name);
    switch (decision.action) {
      case "put":
        if (l?.kind !== "file") throw new Error("unreachable: put without a file");
        if (typeof emit !== "function") return need(emit, name);
        await emit({
          op: "put",
          key,
          path: pathBytes(l.path).toString("base64"),
          size: l.size,
          mtime: l.mtime,
          ctime: l.ctime,
          ino: l.ino,
          reason: decision.reason,
          ...(file?.published ? { published: file.published } : {}),
          ...(decision.compare ? { compare: decision.compare } : {}),
        });
        return true;
      case "record":
        if (l?.kind !== "file") throw new Error("unreachable: record without a file");
        if (typeof emit !== "function") return need(emit, name);
        await emit({
          op: "record",
          key,
          version: file!.desired.version,
          mtime: l.mtime,
          ctime: l.ctime,
          ino: l.ino,
        });
        return true;
      case "settling":
        // Left for the next run, but only on the index's word: against the replica it would be a put.
        if (typeof emit !== "function") return need(emit, name);
        o.settling += 1;
        return true;
      case "delete":
        if (typeof emit !== "function") return need(emit, name);
        await emit({
          op: "delete",
          key,
          reason: decision.reason,
          ...(file?.published ? { published: file.published } : {}),
        });
        return true;
      case "resend":
        if (typeof emit !== "function") return need(emit, name);
        await emit({ op: "resend", key, desired: file!.desired, reason: decision.reason });
        return true;
      case "none":
        if (decision.reason === "in-flight") o.inFlight += 1;
        else if (decision.reason === "unchanged" && l) o.unchanged += 1;
        return true;
      case "skip":
        return true;
    }
  };

  await runPool([{ relDir: "", path: options.root } as Job], options.directoryConcurrency, async (job, enqueue) => {
    await processDirectory(job, enqueue);
    options.onProgress?.(stats, job.relDir);
  });
  index.finish?.();
  return stats;
}

/** Files read alone (one BatchGetItem) rather than the whole directory: at most 100, and a tenth of its rows. */
function fewEnough(files: number, rows: number): boolean {
  return files <= 100 && files * 10 <= rows;
}

/** A directory's replica rows with the files read from the index in place of theirs, in the index's order. */
function withFilesRead(rows: DirectoryEntry[], read: Map<string, DirectoryEntry | undefined>): DirectoryEntry[] {
  const kept = rows.filter((x) => x.kind === "dir" || !read.has(x.name));
  for (const entry of read.values()) if (entry) kept.push(entry);
  const sk = (x: DirectoryEntry) => (x.kind === "dir" ? `${x.name}/` : x.name);
  return kept.sort((a, b) => compareUtf8(sk(a), sk(b)));
}

function emptyOutcome(): Outcome {
  return {
    directories: 0,
    files: 0,
    bytes: 0,
    indexedFiles: 0,
    unchanged: 0,
    inFlight: 0,
    settling: 0,
    unreadable: [],
    tally: undefined,
    children: [],
  };
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
