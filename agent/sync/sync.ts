// One sync run, start to end: lock, diff the tree against the index into a plan, apply the safety guard,
// then stage, index and send — or, for a dry run, report the plan and change nothing.
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { AwsClients } from "../../aws/clients.ts";
import { hostname } from "node:os";
import { listOpenRuns, putHeartbeat } from "../../aws/index/runs.ts";
import type { RunRecord } from "../../aws/index/records.ts";
import { DeletionTally, judgeDeletions } from "../../core/delete-guard.ts";
import { newRunId } from "../../core/run-id.ts";
import type { AgentConfig } from "../config.ts";
import { diffTree, type DiffStats } from "./diff.ts";
import { acquireLock } from "../lock.ts";
import type { Logger } from "../../core/logger.ts";
import type { Progress } from "../progress.ts";
import { PlanWriter, readPlan, type PlanCounts, type PlanOp } from "./plan.ts";
import { executePlan, planOptions, type PublishStats } from "./execute-plan.ts";
import {
  beginRun,
  EDGE_RULES_REASON,
  endSending,
  PostSyncStartError,
  removeStalePlans,
  RunStates,
  settleRuns,
} from "../run-lifecycle.ts";
import type { ScanNotes } from "./scan.ts";
import { type EdgeRulesReport, edgeRulesOfRun } from "./htaccess-rules.ts";
import { openHostReplica, type ReplicaReport } from "../replica/host-replica.ts";

export class SafetyGuardError extends Error {
  override readonly name = "SafetyGuardError";
}

export interface SyncOptions {
  dryRun?: boolean;
  /** Let a run past the mass-deletion guard. */
  force?: boolean;
  /** How many planned operations a dry run lists. */
  showPlan?: number;
  /** Told the counters as the run goes (agent/progress.ts). */
  progress?: Progress;
}

export interface SyncResult {
  runId: string;
  dryRun: boolean;
  plan: PlanCounts;
  diff: DiffStats;
  publish?: PublishStats;
  skipped: ScanNotes["skipped"];
  /** Dot files and folders the dot-file policy left out, and the first of their paths. */
  dotFiles: NonNullable<ScanNotes["dotFiles"]>;
  /** The site's .htaccess files: what was not carried over, and what became of the rules. */
  edge: EdgeRulesReport;
  preview: PlanOp[];
  /** From the start to the end of the scan and diff. */
  scanSeconds: number;
  seconds: number;
  /** The PostSync execution this run started. */
  postSyncExecutionArn?: string;
  /** PostSync executions started for earlier runs that could not start their own. */
  settled?: Array<{ runId: string; executionArn: string }>;
  /** Peak resident memory of this process so far, in bytes. */
  peakRssBytes: number;
  /** The host's replica of the index this run read (agent/replica/). */
  replica: ReplicaReport;
}

export async function runSync(
  config: AgentConfig,
  clients: AwsClients,
  logger: Logger,
  options: SyncOptions = {},
): Promise<SyncResult> {
  const started = Date.now();
  const lock = acquireLock(config.stateDir, options.dryRun ? "sync --dry-run" : "sync", logger, config.lockWarnMinutes);
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
  mkdirSync(config.stateDir, { recursive: true });
  removeStalePlans(config.stateDir, logger);
  const open = await listOpenRuns(clients.dynamodb, config.table, config.prefix);
  const crashed = open.filter((r) => r.status === "running").map((r) => r.runId);
  if (crashed.length > 0) {
    logger.warn("earlier runs stopped before they finished sending; their unsent entries will be sent again", {
      runs: crashed,
    });
  }

  // The host's replica of the index: directories it knows current are decided without a DynamoDB read.
  const replica = await openHostReplica(config, clients, logger, { dryRun: options.dryRun === true });
  const planPath = join(config.stateDir, `plan-${runId}.jsonl`);
  const plan = new PlanWriter(planPath);
  const notes: Required<ScanNotes> = {
    skipped: [],
    dotFiles: { leftOut: 0, sample: [] },
    htaccess: { files: [], unreadable: [] },
  };
  const deletions = new DeletionTally();
  logger.info(options.dryRun ? "planning (dry run)" : "scanning", { runId, root: config.root, prefix: config.prefix });
  options.progress?.phase("scanning");
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
          },
          directoryConcurrency: config.concurrency.directories,
          runs: new RunStates(clients, config.table, config.resendAfterMinutes * 60_000, [...replica.runs, ...open]),
          settleSeconds: config.settleSeconds,
          ...(replica.source ? { index: replica.source } : {}),
          onProgress: (s, dir) =>
            options.progress?.update({
              filesScanned: s.files,
              directoriesScanned: s.directories,
              changes: plan.counts.put + plan.counts.delete + plan.counts.resend,
              current: `${dir}/`,
            }),
        },
        plan,
        notes,
        deletions,
      );
    } finally {
      await plan.close();
    }
    const scanSeconds = (Date.now() - started) / 1000;
    for (const s of notes.skipped) logger.warn("skipped: not published", s);
    for (const path of notes.dotFiles.sample) logger.debug("dot file left out", { path });
    const edge = edgeRulesOfRun(config, notes.htaccess, logger, { dryRun: options.dryRun === true });
    for (const u of diff.unreadable) logger.warn("unreadable: kept as published, never deleted", u);

    if (!config.delete) {
      await dropDeletes(planPath, plan.counts);
      deletions.dropDeletions();
    }
    checkDeleteGuard(config, deletions, options.force === true);

    const counts = plan.counts;
    const preview = await previewPlan(planPath, options.showPlan ?? 20);
    const base = {
      ...{ runId, plan: counts, diff, scanSeconds, skipped: notes.skipped, preview, replica: replica.report },
      ...{ dotFiles: notes.dotFiles, edge: edge.report },
    };
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
      counts: { ...counts.byReason, ...(edge.changed ? { [EDGE_RULES_REASON]: 1 } : {}) },
    };
    const work = counts.put + counts.record + counts.delete + counts.resend + counts.mkdir + counts.rmdir;
    // Changed rules alone make a run too (sent 0), so that a PostSync publishes them.
    const opened = work > 0 || edge.changed;
    let publish: PublishStats | undefined;
    if (opened) await beginRun(clients, config.table, run);
    if (work > 0) {
      try {
        const publishing = {
          ...planOptions(config, runId),
          ...(replica.recorder ? { replica: replica.recorder } : {}),
        };
        options.progress?.phase("staging and sending", { filesToStage: counts.put, current: "" });
        publish = await executePlan(clients, planPath, publishing, logger, (p) =>
          options.progress?.update({
            filesStaged: p.staged,
            bytesStaged: p.stagedBytes,
            manifestsSent: p.messagesSent,
            entriesSent: p.entriesSent,
          }),
        );
      } catch (err) {
        // The run stays open and "running": the next run re-sends whatever this one indexed but did not
        // send, and starts the PostSync of what it did send.
        logger.error("run failed while publishing; the next run picks up where it stopped", { runId });
        throw err;
      }
      replica.settle();
    }
    options.progress?.phase("finishing");
    // Within the open run: if the agent dies from here on, the next run settles this one with its rules.
    await edge.store(clients.s3);
    if (opened) await endSending(clients, config.table, runId);
    const toSettle = [...open];
    if (opened) {
      toSettle.push({
        ...run,
        status: "sent",
        sent: publish?.entriesSent ?? 0,
        messages: publish?.messagesSent ?? 0,
        changePages: publish?.changePages ?? 0,
      });
    }
    const settled = await settleRuns(clients, { ...config }, logger, toSettle);
    await putHeartbeat(clients.dynamodb, config.table, {
      prefix: config.prefix,
      runId,
      finished: new Date().toISOString(),
      host: hostname(),
    });
    const own = settled.failed.find((f) => f.runId === runId);
    if (own) throw new PostSyncStartError(`run ${runId} was sent, but ${own.error}; the next run starts it`);
    const postSync = settled.started.find((s) => s.runId === runId)?.executionArn;
    const result: SyncResult = {
      ...base,
      dryRun: false,
      ...(publish ? { publish } : {}),
      ...(postSync ? { postSyncExecutionArn: postSync } : {}),
      settled: settled.started.filter((s) => s.runId !== runId),
      seconds: (Date.now() - started) / 1000,
      peakRssBytes: peakRss(),
    };
    return result;
  } finally {
    replica.close();
    rmSync(planPath, { force: true });
  }
}

function checkDeleteGuard(config: AgentConfig, deletions: DeletionTally, force: boolean): void {
  if (force) return;
  const verdict = judgeDeletions(
    { ...deletions, subject: "the site", source: `the tree ${config.root}` },
    config.deleteGuard,
  );
  if (!verdict.allowed) {
    throw new SafetyGuardError(
      `${verdict.reason}. Nothing was changed. Check the tree; run with --force if the deletions are meant.`,
    );
  }
}

/** With --no-delete the plan keeps everything but its new deletions (deletes already decided are re-sent). */
async function dropDeletes(planPath: string, counts: PlanCounts): Promise<void> {
  const keptPath = `${planPath}.kept`;
  const kept = new PlanWriter(keptPath);
  for await (const op of readPlan(planPath)) {
    if (op.op === "delete" || op.op === "rmdir") continue;
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
