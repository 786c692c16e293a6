// The merge-diff: the tree and the index walked side by side, one directory at a time. Both sides of a
// directory come sorted by UTF-8 bytes, so they are merged as two ordered lists; memory is bounded by the
// largest directory times the number of directory workers, never by the size of the site.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { queryDirectory, type DirectoryEntry } from "../aws/index-table.ts";
import { decide } from "../core/change-detection.ts";
import type { IndexFile } from "../core/index-record.ts";
import { compareUtf8, joinKey, prefixDir, splitKey } from "../core/keys.ts";
import type { PlanWriter } from "./plan.ts";
import { createExcluder, scanDirectory, sortKey, type ScanNotes, type ScanPolicy, type ScannedEntry } from "./scan.ts";

export interface DiffOptions {
  root: Buffer;
  prefix: string;
  table: string;
  policy: ScanPolicy;
  directoryConcurrency: number;
  /** True if the run that wrote a desired state recorded the end of its sending. */
  runFinished: (runId: string) => boolean;
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
  unreadable: Array<{ key: string; reason: string }>;
}

export class RootMissingError extends Error {
  override readonly name = "RootMissingError";
}

interface Job {
  /** Site-relative directory, "" at the root. */
  relDir: string;
  /** Undefined when the directory is only in the index (deleted on disk). */
  path: Buffer | undefined;
}

export async function diffTree(
  ddb: DynamoDBClient,
  options: DiffOptions,
  plan: PlanWriter,
  notes: ScanNotes,
): Promise<DiffStats> {
  const stats: DiffStats = { directories: 0, files: 0, bytes: 0, indexedFiles: 0, unchanged: 0, inFlight: 0, unreadable: [] };
  const excluded = createExcluder(options.policy);
  const keyDir = (relDir: string) => (relDir === "" ? prefixDir(options.prefix) : joinKey(prefixDir(options.prefix), relDir));
  const relKey = (relDir: string, name: string) => joinKey(relDir, name);
  const fullKey = (relDir: string, name: string) => `${options.prefix}${relKey(relDir, name)}`;

  const processDirectory = async (job: Job, enqueue: (job: Job) => void): Promise<void> => {
    const dir = keyDir(job.relDir);
    const [scan, indexed] = await Promise.all([
      job.path ? scanDirectory(job.path, job.relDir, dir, options.policy, excluded, notes) : undefined,
      readWholeDirectory(ddb, options.table, dir),
    ]);
    if (scan && !scan.ok) {
      if (job.relDir === "" && scan.missing) {
        throw new RootMissingError(`the tree to publish, ${options.root.toString()}, does not exist: is the volume mounted?`);
      }
      // An unreadable directory keeps everything the index holds for it: never a delete.
      stats.unreadable.push({ key: job.relDir || ".", reason: scan.reason });
      return;
    }
    stats.directories += 1;
    const local = scan?.entries ?? [];
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

  const mergeEntry = async (
    job: Job,
    l: ScannedEntry | undefined,
    x: DirectoryEntry | undefined,
    enqueue: (job: Job) => void,
  ): Promise<void> => {
    if (l?.kind === "dir" || x?.kind === "dir") {
      if (l?.kind === "dir" && x?.kind !== "dir") {
        await plan.write({ op: "mkdir", dir: keyDir(job.relDir), name: l.name });
      }
      enqueue({ relDir: relKey(job.relDir, (l ?? x)!.name), path: l?.kind === "dir" ? l.path : undefined });
      return;
    }
    if (l?.kind === "unreadable") {
      if (l.isDir) return; // keep whatever the index holds beneath it
      stats.unreadable.push({ key: relKey(job.relDir, l.name), reason: l.reason });
    }
    const file: IndexFile | undefined = x?.kind === "file" ? x.file : undefined;
    if (file && file.desired.op === "put" && !file.generated) stats.indexedFiles += 1;
    if (l?.kind === "file") {
      stats.files += 1;
      stats.bytes += l.size;
    }
    const localState =
      l?.kind === "file"
        ? { kind: "file" as const, size: l.size, mtime: l.mtime }
        : l?.kind === "unreadable"
          ? { kind: "unreadable" as const, reason: l.reason }
          : { kind: "none" as const };
    const decision = decide(localState, file, options.runFinished);
    const name = (l ?? x)!.name;
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
          reason: decision.reason,
          ...(file?.published ? { published: file.published } : {}),
        });
        return;
      case "delete":
        await plan.write({ op: "delete", key, reason: decision.reason, ...(file?.published ? { published: file.published } : {}) });
        return;
      case "resend":
        await plan.write({ op: "resend", key, desired: file!.desired });
        return;
      case "none":
        if (decision.reason === "in-flight") stats.inFlight += 1;
        else if (decision.reason === "unchanged" && l) stats.unchanged += 1;
        return;
      case "skip":
        return;
    }
  };

  await runPool(
    { relDir: "", path: options.root },
    options.directoryConcurrency,
    processDirectory,
    () => options.onProgress?.(stats),
  );
  return stats;
}

async function readWholeDirectory(ddb: DynamoDBClient, table: string, dir: string): Promise<DirectoryEntry[]> {
  const entries: DirectoryEntry[] = [];
  for await (const page of queryDirectory(ddb, table, dir)) entries.push(...page);
  return entries;
}

/** Runs jobs (which may enqueue more jobs) with at most `concurrency` in flight; fails fast on an error. */
async function runPool<J>(
  first: J,
  concurrency: number,
  work: (job: J, enqueue: (job: J) => void) => Promise<void>,
  onJobDone: () => void,
): Promise<void> {
  const queue: J[] = [first];
  let active = 0;
  let failed: unknown;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      if (failed !== undefined) return;
      if (queue.length === 0 && active === 0) {
        resolve();
        return;
      }
      while (active < concurrency && queue.length > 0) {
        const job = queue.pop()!;
        active++;
        work(job, (next) => queue.push(next))
          .then(() => {
            active--;
            onJobDone();
            pump();
          })
          .catch((err) => {
            failed = err;
            reject(err);
          });
      }
    };
    pump();
  });
}
