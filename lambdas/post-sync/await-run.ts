// PostSync step 1: is the run fully applied? Throws RunNotApplied until it is; the state machine retries
// with backoff and fails loudly past its limit.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { getRun, getRunProgress } from "../../aws/index-table.ts";
import { BadInputError, RetryableError } from "../../core/errors.ts";
import { isRunId } from "../../core/run-id.ts";

export class RunNotApplied extends RetryableError {
  override readonly name = "RunNotApplied";
}

export interface AwaitRunInput {
  runId: string;
}

export interface AwaitRunOutput {
  runId: string;
  prefix: string;
  sent: number;
  applied: number;
  changePages: number;
}

export function parseRunInput(event: unknown): AwaitRunInput {
  const runId = (event as { runId?: unknown } | null)?.runId;
  if (!isRunId(runId)) throw new BadInputError(`PostSync input needs "runId" (e.g. 20261125T114723123Z-9f3ac1), got ${JSON.stringify(event)}`);
  return { runId };
}

export async function awaitRun(input: AwaitRunInput, deps: { dynamodb: DynamoDBClient; table: string }): Promise<AwaitRunOutput> {
  const run = await getRun(deps.dynamodb, deps.table, input.runId);
  if (!run) throw new BadInputError(`run ${input.runId} has no record in ${deps.table}`);
  if (run.status === "running") throw new RunNotApplied(`run ${input.runId} is still sending`);
  const progress = await getRunProgress(deps.dynamodb, deps.table, input.runId);
  if (progress.applied < run.sent) {
    throw new RunNotApplied(`run ${input.runId}: ${progress.applied} of ${run.sent} entries applied`);
  }
  return { runId: input.runId, prefix: run.prefix, sent: run.sent, applied: progress.applied, changePages: run.changePages };
}
