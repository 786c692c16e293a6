// One sync run, start to end: lock, diff the tree against the index into a plan, apply the safety guard,
// then stage, index and send — or, for a dry run, report the plan and change nothing.
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { AwsClients } from "../aws/clients.ts";
import { listUnfinishedRuns, putRun, setRunStatus, type RunRecord } from "../aws/index-table.ts";
import { newRunId } from "../core/run-id.ts";
import type { AgentConfig } from "./config.ts";
import { diffTree, type DiffStats } from "./diff.ts";
import { acquireLock } from "./lock.ts";
import type { Logger } from "../core/logger.ts";
import { PlanWriter, readPlan, type PlanCounts, type PlanOp } from "./plan.ts";
import { executePlan, type PublishStats } from "./publish.ts";
import type { ScanNotes } from "./scan.ts";

export class SafetyGuardError extends Error {
  override readonly name = "SafetyGuardError";
}

export interface SyncOptions {
  dryRun?: boolean;
  /** Let a run past the mass-deletion guard. */
  force?: boolean;
  /** How many planned operations a dry run lists. */
  showPlan?: number;
}

export interface SyncResult {
  runId: string;
  dryRun: boolean;
  plan: PlanCounts;
  diff: DiffStats;
  publish?: PublishStats;
  skipped: ScanNotes["skipped"];
  preview: PlanOp[];
  seconds: number;
  /** The PostSync execution this run started. */
  postSyncExecutionArn?: string;
  /** Peak resident memory of this process so far, in bytes. */
  peakRssBytes: number;
}

export async function runSync(
  config: AgentConfig,
  clients: AwsClients,
  logger: Logger,
  options: SyncOptions = {},
): Promise<SyncResult> {
  const started = Date.now();
  const lock = acquireLock(config.stateDir, options.dryRun ? "sync --dry-run" : "sync", logger);
  try {
    return await syncLocked(config, clients, logger, options, started);
  } finally {
    lock.release();
  }
}

async function syncLocked(
  config: AgentConfig,
  clients: AwsClients,
  logger: Logger,
  options: SyncOptions,
  started: number,
): Promise<SyncResult> {
  const runId = newRunId();
  const unfinished = await listUnfinishedRuns(clients.dynamodb, config.table, config.prefix);
  const unfinishedIds = new Set(unfinished.map((r) => r.runId));
  if (unfinished.length > 0) {
    logger.warn("earlier runs stopped before they finished sending; their unsent entries will be sent again", {
      runs: [...unfinishedIds],
    });
  }

  mkdirSync(config.stateDir, { recursive: true });
  const planPath = join(config.stateDir, `plan-${runId}.jsonl`);
  const plan = new PlanWriter(planPath);
  const notes: ScanNotes = { skipped: [] };
  logger.info(options.dryRun ? "planning (dry run)" : "scanning", { runId, root: config.root, prefix: config.prefix });
  try {
    let diff: DiffStats;
    try {
      diff = await diffTree(
        clients.dynamodb,
        {
          root: Buffer.from(config.root),
          prefix: config.prefix,
          table: config.table,
          policy: {
            nameEncoding: config.nameEncoding,
            exclude: config.exclude,
            dotFiles: config.dotFiles,
            fileConcurrency: config.concurrency.files,
          },
          directoryConcurrency: config.concurrency.directories,
          runFinished: (id) => !unfinishedIds.has(id),
          onProgress: (s) => logger.progress(`scanned ${s.directories} directories, ${s.files} files; planned ${plan.counts.put} uploads, ${plan.counts.delete} deletions`),
        },
        plan,
        notes,
      );
    } finally {
      await plan.close();
    }
    for (const s of notes.skipped) logger.debug("skipped", s);
    for (const u of diff.unreadable) logger.warn("unreadable: kept as published, never deleted", u);

    if (!config.delete) await dropDeletes(planPath, plan.counts);
    checkDeleteGuard(config, diff, plan.counts, options.force === true);

    const counts = plan.counts;
    const preview = await previewPlan(planPath, options.showPlan ?? 20);
    const base = { runId, plan: counts, diff, skipped: notes.skipped, preview };
    if (options.dryRun) {
      return { ...base, dryRun: true, seconds: (Date.now() - started) / 1000, peakRssBytes: peakRss() };
    }

    const run: RunRecord = {
      runId,
      status: "running",
      prefix: config.prefix,
      started: new Date(started).toISOString(),
      sent: 0,
      messages: 0,
      changePages: 0,
      counts: { ...counts.byReason },
    };
    const work = counts.put + counts.delete + counts.resend + counts.mkdir + counts.rmdir;
    if (work > 0) await putRun(clients.dynamodb, config.table, run);
    let publish: PublishStats | undefined;
    if (work > 0) {
      try {
        publish = await executePlan(
          clients,
          planPath,
          {
            runId,
            prefix: config.prefix,
            versionBucket: config.versionBucket,
            table: config.table,
            queueUrl: config.queueUrl,
            contentTypes: config.contentTypes,
            concurrency: { files: config.concurrency.files, uploads: config.concurrency.uploads },
            pack: config.pack,
          },
          logger,
          (p) => logger.progress(`staged ${p.staged}/${counts.put} files (${formatBytes(p.stagedBytes)}), sent ${p.entriesSent} entries in ${p.messagesSent} messages`),
        );
      } catch (err) {
        // The run record stays "running": the next run re-sends whatever this one indexed but did not send.
        logger.error("run failed while publishing; the next run picks up where it stopped", { runId });
        throw err;
      }
      await putRun(clients.dynamodb, config.table, {
        ...run,
        status: "sent",
        sent: publish.entriesSent,
        messages: publish.messagesSent,
        changePages: publish.changePages,
        finished: new Date().toISOString(),
      });
    }
    let postSync: string | undefined;
    if (publish && publish.entriesSent > 0 && config.postSyncStateMachineArn) {
      postSync = await startPostSync(clients, config.postSyncStateMachineArn, runId);
      logger.info("PostSync started", { runId, executionArn: postSync });
    }
    // This run re-sent whatever the unfinished runs left, so they need no more attention.
    for (const old of unfinished) await setRunStatus(clients.dynamodb, config.table, old.runId, "abandoned");
    return { ...base, dryRun: false, ...(publish ? { publish } : {}), ...(postSync ? { postSyncExecutionArn: postSync } : {}), seconds: (Date.now() - started) / 1000, peakRssBytes: peakRss() };
  } finally {
    rmSync(planPath, { force: true });
  }
}

/** Starts PostSync named after the run, so a retried start is the same execution, not a second one. */
export async function startPostSync(clients: AwsClients, stateMachineArn: string, runId: string): Promise<string> {
  try {
    const res = await clients.sfn.send(new StartExecutionCommand({ stateMachineArn, name: runId, input: JSON.stringify({ runId }) }));
    return res.executionArn!;
  } catch (err) {
    throw new PostSyncStartError(`run ${runId} was sent, but PostSync could not be started: ${(err as Error).message}`);
  }
}

export class PostSyncStartError extends Error {
  override readonly name = "PostSyncStartError";
}

function checkDeleteGuard(config: AgentConfig, diff: DiffStats, counts: PlanCounts, force: boolean): void {
  if (force || counts.delete === 0) return;
  if (diff.files === 0 && diff.indexedFiles > 0) {
    throw new SafetyGuardError(
      `the tree ${config.root} holds no files but the index lists ${diff.indexedFiles} published ones: ` +
        "is the volume mounted? Nothing was changed. Run with --force if the site really must be emptied.",
    );
  }
  const share = counts.delete / Math.max(1, diff.indexedFiles);
  if (counts.delete > config.deleteGuard.minFiles && share > config.deleteGuard.maxShare) {
    throw new SafetyGuardError(
      `this run would delete ${counts.delete} of ${diff.indexedFiles} published files (${(share * 100).toFixed(1)}%), ` +
        `more than deleteGuard.maxShare (${config.deleteGuard.maxShare * 100}%). Nothing was changed. ` +
        "Check the tree; run with --force if the deletions are meant.",
    );
  }
}

/** With --no-delete the plan keeps everything but its deletions. */
async function dropDeletes(planPath: string, counts: PlanCounts): Promise<void> {
  const keptPath = `${planPath}.kept`;
  const kept = new PlanWriter(keptPath);
  for await (const op of readPlan(planPath)) {
    if (op.op === "delete" || (op.op === "resend" && op.desired.op === "delete") || op.op === "rmdir") continue;
    await kept.write(op);
  }
  await kept.close();
  renameSync(keptPath, planPath);
  Object.assign(counts, kept.counts);
}

async function previewPlan(planPath: string, limit: number): Promise<PlanOp[]> {
  const out: PlanOp[] = [];
  if (limit <= 0) return out;
  for await (const op of readPlan(planPath)) {
    if (op.op === "mkdir" || op.op === "rmdir") continue;
    out.push(op);
    if (out.length >= limit) break;
  }
  return out;
}

const peakRss = (): number => process.resourceUsage().maxRSS * 1024;

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}
