// `sitesync adopt`: build the index from a bucket that another tool (or zc.s3staticsync) already fills, so
// that the first sync uploads only the files that differ instead of every file of the site.
//
// One listing of the bucket under the prefix, a directory at a time and many directories at once (the
// delimiter fan-out in aws/site-bucket.ts), compared with the tree; per directory the rules are in
// adopt-directory.ts. Matched files enter the index as published, with the size and mtime the next sync
// compares; everything else is left for that sync. It never writes to the bucket: orphan keys (no file)
// are only reported, and with --delete queued for deletion through the ordinary pipeline (tombstones in
// the index, manifests to the apply handler, then PostSync), under the same mass-deletion guard as sync.
//
// A checkpoint in the state directory records each finished directory, so an interrupted adoption resumes
// where it stopped (--resume) and the deletions are queued from the checkpoint, not from memory.
import { join } from "node:path";
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { AwsClients } from "../../aws/clients.ts";
import { writeIndex } from "../../aws/index/files.ts";
import type { IndexWrite } from "../../aws/index/records.ts";
import type { RunRecord } from "../../aws/index/records.ts";
import { judgeDeletions } from "../../core/delete-guard.ts";
import { ConfigError, RetryableError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { newRunId } from "../../core/run-id.ts";
import { Checkpoint, type JobRecord } from "./adopt-checkpoint.ts";
import {
  addCounts,
  adoptDirectory,
  emptyCounts,
  type AdoptContext,
  type AdoptCounts,
  type AdoptJob,
} from "./adopt-directory.ts";
import { DEFAULT_FUDGE_SECONDS } from "./adopt-rules.ts";
import type { AgentConfig } from "../config.ts";
import { acquireLock } from "../lock.ts";
import type { Progress } from "../progress.ts";
import { PlanWriter } from "../sync/plan.ts";
import { executePlan, planOptions } from "../sync/execute-plan.ts";
import { createExcluder, pathBytes, type ScanNotes } from "../sync/scan.ts";
import { beginRun, endSending, PostSyncStartError, settleRuns } from "../run-lifecycle.ts";
import { SafetyGuardError } from "../sync/sync.ts";
import { runPool } from "../../core/concurrency.ts";

export interface AdoptOptions {
  /** List and compare, print the counts, change nothing (no index writes, no checkpoint). */
  dryRun?: boolean;
  /** Queue orphan keys (keys with no file) for deletion. */
  delete?: boolean;
  /** Clock fudge for the published rule, in seconds (default 1,200). */
  fudgeSeconds?: number;
  /** Continue the adoption an interruption left in the checkpoint (a dry run always starts afresh). */
  resume?: boolean;
  /** Let --delete past the mass-deletion guard. */
  force?: boolean;
  /** Directories adopted at once (default: 4 × concurrency.directories). */
  concurrency?: number;
  /** Stops the adoption between directories; the checkpoint keeps what was finished. */
  signal?: AbortSignal;
  /** Told the counters as the adoption goes (agent/progress.ts). */
  progress?: Progress;
}

export interface AdoptDeletion {
  runId: string;
  queued: number;
  entriesSent: number;
  messagesSent: number;
  postSyncExecutionArn?: string;
}

export interface AdoptResult extends AdoptCounts {
  /** The adoption's run id: adopted items carry version "adopt-<runId>". */
  runId: string;
  dryRun: boolean;
  resumed: boolean;
  bucket: string;
  prefix: string;
  /** The first orphan keys found, for the summary. */
  orphanSample: string[];
  /** Every orphan key, one a line, in the state directory (not for a dry run, which writes nothing). */
  orphanList?: string;
  /** The run that queued the orphans' deletion (--delete). */
  deletion?: AdoptDeletion;
  /** A dry run with --delete: why the real run would stop at the mass-deletion guard. */
  guardWouldStop?: string;
  skipped: ScanNotes["skipped"];
  unreadable: Array<{ key: string; reason: string }>;
  seconds: number;
  keysPerSecond: number;
}

/** The adoption stopped on request; what it finished is in the checkpoint. */
export class AdoptInterruptedError extends RetryableError {
  override readonly name = "AdoptInterruptedError";
}

const ORPHAN_SAMPLE = 20;

export async function runAdopt(
  config: AgentConfig,
  clients: AwsClients,
  logger: Logger,
  options: AdoptOptions = {},
): Promise<AdoptResult> {
  const started = Date.now();
  const fudgeSeconds = options.fudgeSeconds ?? DEFAULT_FUDGE_SECONDS;
  if (!Number.isFinite(fudgeSeconds) || fudgeSeconds < 0) {
    throw new ConfigError("command line", "--fudge", "must be a number of seconds, 0 or more", "1200");
  }
  const concurrency = options.concurrency ?? config.concurrency.directories * 4;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new ConfigError("command line", "--concurrency", "must be a whole number from 1", "32");
  }
  const lock = acquireLock(config.stateDir, options.dryRun ? "adopt --dry-run" : "adopt", logger);
  try {
    return await adoptLocked(config, clients, logger, { ...options, fudgeSeconds, concurrency }, started);
  } finally {
    lock.release();
  }
}

type Settings = AdoptOptions & { fudgeSeconds: number; concurrency: number };

/** What the walk has found so far: counts, a sample of orphans, what it skipped or could not read. */
interface Findings {
  totals: AdoptCounts;
  orphanSample: string[];
  skipped: ScanNotes["skipped"];
  unreadable: AdoptResult["unreadable"];
}

async function adoptLocked(
  config: AgentConfig,
  clients: AwsClients,
  logger: Logger,
  options: Settings,
  started: number,
): Promise<AdoptResult> {
  const dryRun = options.dryRun === true;
  const findings: Findings = { totals: emptyCounts(), orphanSample: [], skipped: [], unreadable: [] };
  const { checkpoint, runId, done } = openCheckpoint(config, logger, options, started, findings);
  logger.info(dryRun ? "adopting (dry run)" : "adopting", {
    runId,
    bucket: config.siteBucket,
    prefix: config.prefix,
    root: config.root,
  });
  await walkBucketAndTree(config, clients, logger, options, { runId, checkpoint, done, findings });
  const { totals } = findings;
  if (totals.repeated > 0 || totals.recovered > 0) {
    logger.warn(
      "the bucket's listing did not come in S3 order: " +
        "repeated keys were counted once, skipped ones found by HeadObject",
      {
        repeated: totals.repeated,
        recovered: totals.recovered,
      },
    );
  }
  const result: AdoptResult = {
    runId,
    dryRun,
    resumed: done.size > 0,
    bucket: config.siteBucket,
    prefix: config.prefix,
    ...totals,
    orphanSample: findings.orphanSample,
    skipped: findings.skipped,
    unreadable: findings.unreadable,
    seconds: 0,
    keysPerSecond: 0,
  };
  if (options.delete && totals.orphans > 0) await deleteOrphans(config, clients, logger, options, checkpoint, result);
  if (checkpoint && totals.orphans > 0) result.orphanList = writeOrphanList(config.stateDir, checkpoint);
  checkpoint?.remove();
  result.seconds = (Date.now() - started) / 1000;
  result.keysPerSecond = totals.listed / Math.max(result.seconds, 0.001);
  logger.info("adoption finished", {
    runId,
    listed: totals.listed,
    matched: totals.matched,
    unmatched: totals.unmatched,
    orphans: totals.orphans,
    generated: totals.generated,
    seconds: result.seconds,
  });
  return result;
}

/**
 * The checkpoint this adoption writes (none for a dry run): the interrupted one with --resume, its
 * finished directories and counts taken back into `findings`, else a new one.
 */
function openCheckpoint(
  config: AgentConfig,
  logger: Logger,
  options: Settings,
  started: number,
  findings: Findings,
): { checkpoint: Checkpoint<AdoptCounts> | undefined; runId: string; done: Map<string, JobRecord[]> } {
  const done = new Map<string, JobRecord[]>();
  const runId = newRunId();
  if (options.dryRun) return { checkpoint: undefined, runId, done };
  const where = { bucket: config.siteBucket, prefix: config.prefix, root: config.root };
  mkdirSync(config.stateDir, { recursive: true });
  const previous = options.resume ? Checkpoint.open<AdoptCounts>(config.stateDir, where) : undefined;
  if (previous) {
    for (const record of previous.done) {
      done.set(record.dir, record.children);
      addCounts(findings.totals, record.counts);
      sampleOrphans(findings, record.orphans);
    }
    logger.info("resuming an interrupted adoption", {
      runId: previous.checkpoint.header.runId,
      directoriesDone: done.size,
    });
    return { checkpoint: previous.checkpoint, runId: previous.checkpoint.header.runId, done };
  }
  if (options.resume) logger.warn("no interrupted adoption to resume; starting from the beginning");
  else if (Checkpoint.exists(config.stateDir))
    logger.warn("an interrupted adoption's checkpoint exists; starting over (--resume continues it)");
  const header = { checkpoint: 1 as const, runId, ...where, started: new Date(started).toISOString() };
  return { checkpoint: Checkpoint.create<AdoptCounts>(config.stateDir, header), runId, done };
}

function sampleOrphans(findings: Findings, keys: string[]): void {
  findings.orphanSample.push(...keys.slice(0, ORPHAN_SAMPLE - findings.orphanSample.length));
}

/** The bucket's listing and the tree, a directory at a time, many at once; each finished one checkpointed. */
async function walkBucketAndTree(
  config: AgentConfig,
  clients: AwsClients,
  logger: Logger,
  options: Settings,
  state: {
    runId: string;
    checkpoint: Checkpoint<AdoptCounts> | undefined;
    done: Map<string, JobRecord[]>;
    findings: Findings;
  },
): Promise<void> {
  const { runId, checkpoint, done, findings } = state;
  const dryRun = options.dryRun === true;
  const policy = {
    nameEncoding: config.nameEncoding,
    exclude: config.exclude,
    dotFiles: config.dotFiles,
  };
  const ctx: AdoptContext = {
    s3: clients.s3,
    dynamodb: clients.dynamodb,
    bucket: config.siteBucket,
    table: config.table,
    prefix: config.prefix,
    runId,
    fudgeSeconds: options.fudgeSeconds,
    dryRun,
    policy,
    excluded: createExcluder(policy),
    contentTypes: config.contentTypes,
    requestConcurrency: 8,
  };
  const { totals } = findings;
  options.progress?.phase("listing", { appliedLabel: "adopted" });
  const progress = (relDir: string) =>
    options.progress?.update({
      filesScanned: totals.files,
      directoriesScanned: totals.directories,
      changes: totals.unmatched + totals.orphans,
      applied: totals.matched,
      current: `${relDir}/`,
    });
  const work = async (job: AdoptJob, enqueue: (job: AdoptJob) => void): Promise<void> => {
    const finished = done.get(job.relDir);
    if (finished) {
      for (const child of finished) enqueue(fromRecord(child));
      return;
    }
    const outcome = await adoptDirectory(job, ctx);
    checkpoint?.append({
      dir: job.relDir,
      children: outcome.children.map(toRecord),
      counts: outcome.counts,
      orphans: outcome.orphans,
      markers: outcome.markers,
    });
    addCounts(totals, outcome.counts);
    sampleOrphans(findings, outcome.orphans);
    findings.skipped.push(...outcome.skipped);
    for (const u of outcome.unreadable) logger.warn("unreadable: its keys are kept, never judged", u);
    findings.unreadable.push(...outcome.unreadable);
    for (const child of outcome.children) enqueue(child);
    progress(job.relDir);
  };
  try {
    await runPool([{ relDir: "", path: Buffer.from(config.root) }], options.concurrency, work, options.signal);
  } catch (err) {
    if (options.signal?.aborted) {
      throw new AdoptInterruptedError(
        `adoption ${runId} stopped after ${totals.directories} directories; run it again with --resume to continue`,
      );
    }
    throw err;
  }
}

/** --delete: past the guard, the orphans are queued for deletion (a dry run only says whether it would stop). */
async function deleteOrphans(
  config: AgentConfig,
  clients: AwsClients,
  logger: Logger,
  options: Settings,
  checkpoint: Checkpoint<AdoptCounts> | undefined,
  result: AdoptResult,
): Promise<void> {
  const guard = deleteGuard(config, result);
  if (options.dryRun) {
    if (guard && !options.force) result.guardWouldStop = guard;
    return;
  }
  if (guard && !options.force) throw new SafetyGuardError(guard);
  result.deletion = await queueDeletes(config, clients, logger, checkpoint!, options.progress);
}

function writeOrphanList(stateDir: string, checkpoint: Checkpoint<AdoptCounts>): string {
  const path = join(stateDir, `adopt-${checkpoint.header.runId}-orphans.txt`);
  writeFileSync(path, "");
  for (const record of checkpoint.records()) {
    if (record.orphans.length > 0) appendFileSync(path, `${record.orphans.join("\n")}\n`);
  }
  return path;
}

const toRecord = (job: AdoptJob): JobRecord => ({
  relDir: job.relDir,
  ...(job.path ? { path: pathBytes(job.path).toString("base64") } : {}),
});
const fromRecord = (record: JobRecord): AdoptJob => ({
  relDir: record.relDir,
  ...(record.path !== undefined ? { path: Buffer.from(record.path, "base64") } : {}),
});

/** Why deleting the orphans would be a mistake (an unmounted volume, a wrong root or prefix), if it would. */
function deleteGuard(config: AgentConfig, counts: AdoptCounts): string | undefined {
  const verdict = judgeDeletions(
    {
      total: counts.listed,
      deleted: counts.orphans,
      directories: new Map(),
      subject: `the bucket's keys under "${config.prefix}"`,
      source: `the tree ${config.root}`,
    },
    config.deleteGuard,
  );
  if (verdict.allowed) return undefined;
  return (
    `${verdict.reason}. Nothing was deleted. ` +
    "Check the root and the prefix; run with --force if the deletions are meant."
  );
}

/**
 * Deletions go through the pipeline like a sync's: tombstones in the index, manifests to the apply
 * handler, then PostSync for listings and invalidations. A run of its own, so a retried adoption never
 * reuses its message numbers. Directories that exist only in the bucket get markers first, so a crash
 * before the manifests are sent leaves tombstones the next sync can reach and re-send; like a sync's
 * removed directories, the markers go again once everything is sent, so listings drop those directories.
 */
async function queueDeletes(
  config: AgentConfig,
  clients: AwsClients,
  logger: Logger,
  checkpoint: Checkpoint<AdoptCounts>,
  progress: Progress | undefined,
): Promise<AdoptDeletion> {
  const runId = newRunId();
  const planPath = join(config.stateDir, `plan-${runId}.jsonl`);
  try {
    const plan = new PlanWriter(planPath);
    const markers: Array<{ write: IndexWrite }> = [];
    for (const record of checkpoint.records()) {
      for (const key of record.orphans) await plan.write({ op: "delete", key, reason: "orphan" });
      for (const { dir, name } of record.markers) {
        markers.push({ write: { kind: "mkdir", dir, name } });
        await plan.write({ op: "rmdir", dir, name });
      }
    }
    await plan.close();
    await writeIndex(clients.dynamodb, config.table, markers);
    const run: RunRecord = {
      runId,
      status: "running",
      prefix: config.prefix,
      started: new Date().toISOString(),
      sent: 0,
      messages: 0,
      changePages: 0,
      counts: { ...plan.counts.byReason },
    };
    await beginRun(clients, config.table, run);
    logger.info("queueing orphan keys for deletion", { runId, keys: plan.counts.delete });
    progress?.phase("queueing deletions", { current: "" });
    const stats = await executePlan(clients, planPath, planOptions(config, runId), logger, (p) =>
      progress?.update({ manifestsSent: p.messagesSent, entriesSent: p.entriesSent }),
    );
    await endSending(clients, config.table, runId);
    const deletion: AdoptDeletion = {
      runId,
      queued: stats.deletes,
      entriesSent: stats.entriesSent,
      messagesSent: stats.messagesSent,
    };
    const settled = await settleRuns(clients, config, logger, [
      { ...run, status: "sent", sent: stats.entriesSent, messages: stats.messagesSent, changePages: stats.changePages },
    ]);
    if (settled.failed.length > 0)
      throw new PostSyncStartError(`adoption ${runId} queued its deletions, but ${settled.failed[0]!.error}`);
    const started = settled.started[0];
    if (started) deletion.postSyncExecutionArn = started.executionArn;
    return deletion;
  } finally {
    rmSync(planPath, { force: true });
  }
}

export function formatAdoptSummary(r: AdoptResult): string {
  const lines: string[] = [];
  const where = `s3://${r.bucket}/${r.prefix}`;
  lines.push(
    r.dryRun
      ? `Dry run: adopting ${where} would do the following; nothing was changed.`
      : `Adopted ${where} (run ${r.runId}${r.resumed ? ", resumed" : ""})`,
  );
  lines.push(
    `  listed     ${r.listed} keys in ${r.directories} directories, ` +
      `${r.seconds.toFixed(1)} s (${Math.round(r.keysPerSecond)} keys/s)`,
  );
  lines.push(`  matched    ${r.matched} files ${r.dryRun ? "would be indexed" : "indexed"} as published`);
  lines.push(`  to upload  ${r.unmatched} files differ from the bucket or are not in it; the next sync uploads them`);
  lines.push(`  generated  ${r.generated} listing pages recognised`);
  const orphanFate = r.deletion
    ? `queued for deletion (run ${r.deletion.runId})`
    : r.guardWouldStop
      ? `would stop at the mass-deletion guard: ${r.guardWouldStop}`
      : r.dryRun && r.orphans > 0
        ? "reported (with --delete they would be queued for deletion)"
        : r.orphans > 0
          ? "kept; --delete queues them for deletion"
          : "";
  lines.push(`  orphans    ${r.orphans} keys have no file in the tree${orphanFate ? `: ${orphanFate}` : ""}`);
  for (const key of r.orphanSample.slice(0, 10)) lines.push(`               ${key}`);
  if (r.orphans > 10)
    lines.push(`               … and ${r.orphans - 10} more${r.orphanList ? ` (all in ${r.orphanList})` : ""}`);
  if (r.alreadyIndexed > 0)
    lines.push(`  indexed    ${r.alreadyIndexed} keys or files were already in the index (left to sync)`);
  if (r.kept > 0) lines.push(`  kept       ${r.kept} keys excluded, skipped or unreadable in the tree (never judged)`);
  if (r.edgeMarkers > 0)
    lines.push(`  markers    ${r.edgeMarkers} directory markers of the edge (PostSync's own) left alone`);
  if (r.repeated + r.recovered > 0) {
    lines.push(
      `  listing    ${r.repeated} keys listed twice (counted once), ` +
        `${r.recovered} skipped by the listing (found by HeadObject)`,
    );
  }
  if (r.unreadable.length > 0) lines.push(`  unreadable ${r.unreadable.length} (their keys are kept)`);
  if (r.skipped.length > 0) lines.push(`  skipped    ${r.skipped.length} (links, special files, unusable names)`);
  return `${lines.join("\n")}\n`;
}
