// PostSync step 1: is the run fully applied? Throws RunNotApplied until it is; the state machine retries
// with backoff and fails loudly past its limit.
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { getRun, getRunProgress } from "../../aws/index/runs.ts";
import type { AwaitRunInput, AwaitRunOutput } from "../../core/contracts/post-sync-await-run.ts";
import { BadInputError, RetryableError } from "../../core/errors.ts";

export class RunNotApplied extends RetryableError {
  override readonly name = "RunNotApplied";
}

export async function awaitRun(
  input: AwaitRunInput,
  deps: { dynamodb: DynamoDBClient; table: string },
): Promise<AwaitRunOutput> {
  const run = await getRun(deps.dynamodb, deps.table, input.runId);
  if (!run) throw new BadInputError(`run ${input.runId} has no record in ${deps.table}`);
  if (run.status === "running" && !input.final) throw new RunNotApplied(`run ${input.runId} is still sending`);
  const progress = await getRunProgress(deps.dynamodb, deps.table, input.runId);
  const partial = progress.applied < run.sent;
  if (partial && !input.final) {
    throw new RunNotApplied(`run ${input.runId}: ${progress.applied} of ${run.sent} entries applied`);
  }
  const { prefix, sent, changePages } = run;
  return { runId: input.runId, prefix, sent, applied: progress.applied, changePages, partial };
}
