// The life of an agent run in the index, in one place: opened before it writes anything, counted as it
// sends, finished when its sending ends, and settled — its PostSync started — by itself or, if it died,
// by the next run. A run stays "open" (a marker in the index) until it is settled, so nothing a run sent
// can go without its listings and invalidations, whatever happens to the process that sent it.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { AwsClients } from "../aws/clients.ts";
import { closeRun, finishRun, getRun, openRun, putRun, setPostSyncStarted } from "../aws/index/runs.ts";
import type { RunRecord } from "../aws/index/records.ts";
import { startPostSync } from "../aws/workflows.ts";
import { runState, type RunState } from "../core/change-detection.ts";
import { errorMessage } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";

export interface RunSettings {
  table: string;
  prefix: string;
  /** Absent: PostSync is not deployed or not wanted; runs settle without it. */
  postSyncStateMachineArn?: string;
}

/** Opens a run: the marker first, so a run that dies at any later point is found by the next one. */
export async function beginRun(clients: AwsClients, table: string, run: RunRecord): Promise<void> {
  await openRun(clients.dynamodb, table, run.runId, run.prefix);
  await putRun(clients.dynamodb, table, run);
}

export async function endSending(clients: AwsClients, table: string, runId: string): Promise<void> {
  await finishRun(clients.dynamodb, table, runId, "sent", new Date().toISOString());
}

/**
 * The planned-work reason a run's record counts (1) when the run stored changed edge rules (.htaccess):
 * such a run gets a PostSync that publishes them, started with `edgeRules: true`, even if it sent nothing.
 */
export const EDGE_RULES_REASON = "edge:rules";

export interface SettleOutcome {
  started: Array<{ runId: string; executionArn: string }>;
  /** Runs found dead mid-way, now recorded as interrupted. */
  interrupted: string[];
  /** Runs still open because starting their PostSync failed; the next run tries again. */
  failed: Array<{ runId: string; error: string }>;
}

/**
 * Settles open runs (called with the lock held, so none of them is alive): a run still "running" died and
 * is recorded as interrupted with what it counted; every run that sent or recorded changes gets its
 * PostSync; then its marker goes. A failure leaves the marker for the next run and is reported.
 */
export async function settleRuns(
  clients: AwsClients,
  settings: RunSettings,
  logger: Logger,
  runs: RunRecord[],
): Promise<SettleOutcome> {
  const outcome: SettleOutcome = { started: [], interrupted: [], failed: [] };
  for (const run of runs) {
    try {
      if (run.status === "running") {
        await finishRun(clients.dynamodb, settings.table, run.runId, "interrupted", new Date().toISOString());
        outcome.interrupted.push(run.runId);
        logger.warn("an earlier run stopped before it finished; its PostSync is started now", { runId: run.runId });
      }
      // Read from the record, not from the run in memory: a run that died before its PostSync started
      // still gets one that publishes its rules.
      const edgeRules = (run.counts[EDGE_RULES_REASON] ?? 0) > 0;
      const needsPostSync =
        (run.sent > 0 || run.changePages > 0 || edgeRules) && run.postSyncExecutionArn === undefined;
      if (needsPostSync && settings.postSyncStateMachineArn) {
        const arn = settings.postSyncStateMachineArn;
        const input = { runId: run.runId, ...(edgeRules ? { edgeRules: true } : {}) };
        const executionArn = await startPostSync(clients.sfn, arn, input).catch((err) => {
          throw new PostSyncStartError(`PostSync for run ${run.runId} could not be started: ${errorMessage(err)}`);
        });
        await setPostSyncStarted(clients.dynamodb, settings.table, run.runId, executionArn);
        outcome.started.push({ runId: run.runId, executionArn });
        logger.info("PostSync started", { runId: run.runId, executionArn });
      }
      await closeRun(clients.dynamodb, settings.table, run.runId);
    } catch (err) {
      outcome.failed.push({ runId: run.runId, error: errorMessage(err) });
      logger.error("could not settle a run; the next run tries again", { runId: run.runId, error: errorMessage(err) });
    }
  }
  return outcome;
}

export class PostSyncStartError extends Error {
  override readonly name = "PostSyncStartError";
}

/**
 * The state of the runs that wrote desired records, read once per run id and cached: the diff asks about
 * every unpublished entry, and a site has few runs with unpublished entries at any time.
 */
export class RunStates {
  readonly #clients: AwsClients;
  readonly #table: string;
  readonly #resendAfterMs: number;
  readonly #now: number;
  readonly #records = new Map<string, Promise<RunRecord | undefined>>();
  readonly #states = new Map<string, RunState>();

  constructor(clients: AwsClients, table: string, resendAfterMs: number, known: RunRecord[] = []) {
    this.#clients = clients;
    this.#table = table;
    this.#resendAfterMs = resendAfterMs;
    this.#now = Date.now();
    for (const run of known) this.#records.set(run.runId, Promise.resolve(run));
  }

  /** Reads the records of these runs, so state() can answer for them synchronously. */
  async load(runIds: Iterable<string>): Promise<void> {
    const waits: Array<Promise<unknown>> = [];
    for (const runId of runIds) {
      if (this.#states.has(runId)) continue;
      let record = this.#records.get(runId);
      if (!record) {
        record = getRun(this.#clients.dynamodb, this.#table, runId);
        this.#records.set(runId, record);
      }
      waits.push(record.then((run) => this.#states.set(runId, runState(run, this.#now, this.#resendAfterMs))));
    }
    await Promise.all(waits);
  }

  state(runId: string): RunState {
    const state = this.#states.get(runId);
    if (state === undefined) throw new Error(`run ${runId} was not loaded before its state was asked`);
    return state;
  }
}

/** Plan files of runs that died are removed by the next run, which holds the lock and so owns them all. */
export function removeStalePlans(stateDir: string, logger: Logger): void {
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!/^plan-.*\.jsonl(\.kept)?$/.test(name)) continue;
    rmSync(join(stateDir, name), { force: true });
    logger.info("removed the plan file of a run that did not finish", { file: name });
  }
}
