// `sitesync status`: what the last runs did, what is stuck, and whether anything needs a person — read
// from the index's run records and counters, the queues' attributes and the workflows' executions, never
// changing any of them.
import { columns } from "./output-columns.ts";
import { listAllOpenRuns, getRunProgress, listRecentRuns } from "../aws/index/runs.ts";
import type { RunRecord } from "../aws/index/records.ts";
import { approximateItemCount } from "../aws/index/table.ts";
import type { AwsClients } from "../aws/clients.ts";
import { queueDepth, sampleOldestSent, type QueueDepth } from "../aws/queue.ts";
import { describeExecution, listExecutions, type ExecutionSummary } from "../aws/workflows.ts";
import { isRunId, runIdTime } from "../core/run-id.ts";
import type { AgentConfig } from "./config.ts";

export interface StatusOptions {
  /** How many of the newest runs to show. */
  runs: number;
  /** Workflow executions that failed longer ago than this are history, not news. */
  sinceHours: number;
  now?: Date;
}

export interface RunSummary {
  runId: string;
  prefix: string;
  status: string;
  started: string;
  /** Until the run finished sending; applying and PostSync come after. */
  sendingSeconds?: number;
  /** Files planned to be published or deleted. */
  changed: number;
  sent: number;
  applied: number;
  /** Sent and not applied yet: in the queue, being retried, or dead-lettered. */
  unapplied: number;
  postSync?: { status: string; invalidationPaths?: number; error?: string };
}

export interface OpenRun {
  runId: string;
  prefix: string;
  status: string;
  started: string;
  ageMinutes?: number;
}

export interface DeadLetters extends QueueDepth {
  /**
   * When the oldest of a sample of up to ten messages was sent. SQS reports the age of the oldest message
   * only to CloudWatch; on a queue of more than ten messages the true oldest may be older.
   */
  oldestSampledSent?: string;
  oldestSampledAgeMinutes?: number;
}

export interface WorkflowStatus {
  workflow: "PostSync" | "Restore";
  running: ExecutionSummary[];
  /** FAILED, TIMED_OUT or ABORTED within sinceHours. */
  failed: ExecutionSummary[];
}

export interface StatusReport {
  checked: string;
  runs: RunSummary[];
  openRuns: OpenRun[];
  manifestQueue: QueueDepth;
  deadLetterQueue?: DeadLetters;
  workflows: WorkflowStatus[];
  /** Items of every kind in the index table (DescribeTable's ItemCount, refreshed about every 6 hours). */
  indexItemsApproximate?: number;
  /** Why a person is needed; empty when nothing is wrong. */
  attention: string[];
  /** What the configuration does not name, so status could not look at it. */
  notChecked: string[];
}

const FAILED_STATUSES = ["FAILED", "TIMED_OUT", "ABORTED"] as const;
/** Executions listed per status: enough for a person to read, one call each. */
const EXECUTIONS_LISTED = 20;

export async function readStatus(
  config: AgentConfig,
  clients: AwsClients,
  options: StatusOptions,
): Promise<StatusReport> {
  const now = options.now ?? new Date();
  const { dynamodb, sqs } = clients;
  const notChecked: string[] = [];
  const workflowArns: Array<[WorkflowStatus["workflow"], string | undefined, string]> = [
    ["PostSync", config.postSyncStateMachineArn, "postSyncStateMachineArn"],
    ["Restore", config.restoreStateMachineArn, "restoreStateMachineArn"],
  ];
  for (const [, arn, field] of workflowArns) if (!arn) notChecked.push(field);
  if (!config.deadLetterQueueUrl) notChecked.push("deadLetterQueueUrl");

  const since = now.getTime() - options.sinceHours * 3_600_000;
  const [runs, open, manifestQueue, deadLetterQueue, workflows, indexItemsApproximate] = await Promise.all([
    listRecentRuns(dynamodb, config.table, options.runs).then((records) =>
      Promise.all(records.map((run) => summarise(run, clients, config.table))),
    ),
    listAllOpenRuns(dynamodb, config.table),
    queueDepth(sqs, config.queueUrl),
    config.deadLetterQueueUrl ? deadLetters(clients, config.deadLetterQueueUrl, now) : undefined,
    Promise.all(
      workflowArns.flatMap(([workflow, arn]) => (arn ? [workflowStatus(clients, workflow, arn, since)] : [])),
    ),
    approximateItemCount(dynamodb, config.table),
  ]);
  const openRuns = open.map((run) => openRun(run, now));
  return {
    checked: now.toISOString(),
    runs,
    openRuns,
    manifestQueue,
    ...(deadLetterQueue ? { deadLetterQueue } : {}),
    workflows,
    ...(indexItemsApproximate !== undefined ? { indexItemsApproximate } : {}),
    attention: attention(openRuns, deadLetterQueue, workflows, config.resendAfterMinutes),
    notChecked,
  };
}

async function summarise(run: RunRecord, clients: AwsClients, table: string): Promise<RunSummary> {
  const [progress, postSync] = await Promise.all([
    getRunProgress(clients.dynamodb, table, run.runId),
    run.postSyncExecutionArn ? postSyncResult(clients, run.postSyncExecutionArn) : undefined,
  ]);
  const changed = Object.entries(run.counts)
    .filter(([reason]) => reason.startsWith("put:") || reason.startsWith("delete:"))
    .reduce((sum, [, n]) => sum + n, 0);
  const sendingSeconds =
    run.started && run.finished ? (Date.parse(run.finished) - Date.parse(run.started)) / 1000 : undefined;
  return {
    runId: run.runId,
    prefix: run.prefix,
    status: run.status,
    started: run.started,
    ...(sendingSeconds !== undefined ? { sendingSeconds } : {}),
    changed,
    sent: run.sent,
    applied: progress.applied,
    unapplied: Math.max(0, run.sent - progress.applied),
    ...(postSync ? { postSync } : {}),
  };
}

/** PostSync's outcome from its execution: its status, and the paths it invalidated once it succeeded. */
async function postSyncResult(clients: AwsClients, executionArn: string): Promise<RunSummary["postSync"]> {
  try {
    const result = await describeExecution(clients.sfn, executionArn);
    const paths = (result.output as { invalidations?: { paths?: unknown } } | undefined)?.invalidations?.paths;
    return {
      status: result.status,
      ...(typeof paths === "number" ? { invalidationPaths: paths } : {}),
      ...(result.error ? { error: result.error } : {}),
    };
  } catch (err) {
    // Step Functions forgets executions 90 days after they stop: an old run's PostSync is history.
    if ((err as Error).name === "ExecutionDoesNotExist") return { status: "EXPIRED" };
    throw err;
  }
}

function openRun(run: RunRecord, now: Date): OpenRun {
  const started = run.started || (isRunId(run.runId) ? runIdTime(run.runId).toISOString() : "");
  const ageMinutes = started ? Math.floor((now.getTime() - Date.parse(started)) / 60_000) : undefined;
  return {
    runId: run.runId,
    prefix: run.prefix,
    status: run.status,
    started,
    ...(ageMinutes !== undefined ? { ageMinutes } : {}),
  };
}

async function deadLetters(clients: AwsClients, queueUrl: string, now: Date): Promise<DeadLetters> {
  const depth = await queueDepth(clients.sqs, queueUrl);
  if (depth.visible + depth.inFlight === 0) return depth;
  const oldest = await sampleOldestSent(clients.sqs, queueUrl);
  if (!oldest) return depth;
  return {
    ...depth,
    oldestSampledSent: oldest.toISOString(),
    oldestSampledAgeMinutes: Math.floor((now.getTime() - oldest.getTime()) / 60_000),
  };
}

async function workflowStatus(
  clients: AwsClients,
  workflow: WorkflowStatus["workflow"],
  stateMachineArn: string,
  since: number,
): Promise<WorkflowStatus> {
  const [running, ...failed] = await Promise.all(
    (["RUNNING", ...FAILED_STATUSES] as const).map((status) =>
      listExecutions(clients.sfn, stateMachineArn, status, EXECUTIONS_LISTED),
    ),
  );
  const recent = failed.flat().filter((e) => Date.parse(e.stopped ?? e.started) >= since);
  return { workflow, running: running!, failed: recent.sort((a, b) => b.started.localeCompare(a.started)) };
}

function attention(
  openRuns: OpenRun[],
  deadLetterQueue: DeadLetters | undefined,
  workflows: WorkflowStatus[],
  resendAfterMinutes: number,
): string[] {
  const reasons: string[] = [];
  const dead = deadLetterQueue ? deadLetterQueue.visible + deadLetterQueue.inFlight : 0;
  if (dead > 0) {
    reasons.push(
      `${dead} manifest message(s) in the dead-letter queue: read their sitesync-reason attribute, fix the ` +
        "cause, then run `sitesync redrive`",
    );
  }
  for (const w of workflows) {
    for (const e of w.failed)
      reasons.push(`${w.workflow} execution ${e.name} ended ${e.status} at ${e.stopped ?? "?"}`);
  }
  for (const run of openRuns) {
    if (run.status === "interrupted") {
      reasons.push(
        `run ${run.runId} (${run.prefix || "/"}) was interrupted and is not settled: the next sync settles it`,
      );
    } else if (run.ageMinutes === undefined || run.ageMinutes > resendAfterMinutes) {
      reasons.push(
        `run ${run.runId} (${run.prefix || "/"}) has been open for ${run.ageMinutes ?? "?"} minutes ` +
          `(more than resendAfterMinutes, ${resendAfterMinutes})`,
      );
    }
  }
  return reasons;
}

/** The report for a person: newest runs first, then what is open, queued and running, then what needs doing. */
export function formatStatus(r: StatusReport): string {
  const lines: string[] = [];
  lines.push(`Last ${r.runs.length} run(s):`);
  if (r.runs.length > 0) {
    lines.push(
      ...columns([
        ["run", "prefix", "status", "started", "sending", "changed", "sent", "applied", "PostSync", "inval. paths"],
        ...r.runs.map((run) => [
          run.runId,
          run.prefix || "/",
          run.status,
          run.started,
          run.sendingSeconds === undefined ? "-" : `${run.sendingSeconds.toFixed(1)} s`,
          String(run.changed),
          String(run.sent),
          run.unapplied > 0 ? `${run.applied} (${run.unapplied} not yet)` : String(run.applied),
          run.postSync?.status ?? "-",
          run.postSync?.invalidationPaths === undefined ? "-" : String(run.postSync.invalidationPaths),
        ]),
      ]).map((line) => `  ${line}`),
    );
  }
  lines.push(`Open runs: ${r.openRuns.length === 0 ? "none" : ""}`.trimEnd());
  for (const run of r.openRuns) {
    lines.push(`  ${run.runId} ${run.prefix || "/"} ${run.status}, open ${run.ageMinutes ?? "?"} min`);
  }
  const q = r.manifestQueue;
  lines.push(`Manifest queue: ${q.visible} waiting, ${q.inFlight} being applied`);
  const d = r.deadLetterQueue;
  if (d) {
    const age =
      d.oldestSampledAgeMinutes === undefined
        ? ""
        : `, oldest sent ${d.oldestSampledAgeMinutes} min ago (of a sample of up to 10)`;
    lines.push(`Dead-letter queue: ${d.visible + d.inFlight} message(s)${age}`);
  }
  for (const w of r.workflows) {
    lines.push(`${w.workflow}: ${w.running.length} running, ${w.failed.length} failed recently`);
    for (const e of w.failed) lines.push(`  ${e.name} ${e.status} at ${e.stopped ?? "?"}`);
  }
  if (r.indexItemsApproximate !== undefined) {
    lines.push(`Index: about ${r.indexItemsApproximate} items (DynamoDB refreshes this count about every 6 hours)`);
  }
  if (r.notChecked.length > 0) lines.push(`Not checked (add to the config): ${r.notChecked.join(", ")}`);
  if (r.attention.length === 0) lines.push("Nothing needs attention.");
  else lines.push("Needs attention:", ...r.attention.map((a) => `  - ${a}`));
  return `${lines.join("\n")}\n`;
}
