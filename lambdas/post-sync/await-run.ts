// PostSync step 1: is the run fully applied? Throws RunNotApplied until it is; the state machine retries
// with backoff and fails loudly past its limit.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { getRun, getRunProgress } from "../../aws/index/runs.ts";
import { BadInputError, RetryableError } from "../../core/errors.ts";
import { isRunId } from "../../core/run-id.ts";

export class RunNotApplied extends RetryableError {
  override readonly name = "RunNotApplied";
}

export interface AwaitRunInput {
  runId: string;
  /** The wait is over: describe the run as it stands instead of failing while entries are unapplied. */
  final?: boolean;
}

export interface AwaitRunOutput {
  runId: string;
  prefix: string;
  sent: number;
  applied: number;
  changePages: number;
  /** Some entries were never applied (dead-lettered, expired): listings and invalidations cover the rest. */
  partial: boolean;
}

export function parseRunInput(event: unknown): AwaitRunInput {
  const runId = (event as { runId?: unknown } | null)?.runId;
  if (!isRunId(runId)) throw new BadInputError(`PostSync input needs "runId" (e.g. 20261125T114723123Z-9f3ac1), got ${JSON.stringify(event)}`);
  const final = (event as { final?: unknown }).final;
  if (final !== undefined && typeof final !== "boolean") throw new BadInputError(`PostSync input "final" must be true or false, got ${JSON.stringify(final)}`);
  return final ? { runId, final } : { runId };
}

export async function awaitRun(input: AwaitRunInput, deps: { dynamodb: DynamoDBClient; table: string }): Promise<AwaitRunOutput> {
  const run = await getRun(deps.dynamodb, deps.table, input.runId);
  if (!run) throw new BadInputError(`run ${input.runId} has no record in ${deps.table}`);
  if (run.status === "running" && !input.final) throw new RunNotApplied(`run ${input.runId} is still sending`);
  const progress = await getRunProgress(deps.dynamodb, deps.table, input.runId);
  const partial = progress.applied < run.sent;
  if (partial && !input.final) {
    throw new RunNotApplied(`run ${input.runId}: ${progress.applied} of ${run.sent} entries applied`);
  }
  return { runId: input.runId, prefix: run.prefix, sent: run.sent, applied: progress.applied, changePages: run.changePages, partial };
}
