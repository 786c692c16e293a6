// The workflows (Step Functions): PostSync is started for a run by the agent and by the Restore workflow's
// last step, always here, named after the run so that starting it twice is one execution.
import { StartExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { checkContract } from "../core/contracts/contract.ts";
import { type PostSyncStartInput, postSyncStartInput } from "../core/contracts/post-sync-start.ts";

/**
 * Starts PostSync for `input.runId` and returns its execution's ARN. An execution that already exists under
 * the run's name (started by a run that died before recording it, or by a retried step) counts as started.
 */
export async function startPostSync(
  sfn: SFNClient,
  stateMachineArn: string,
  input: PostSyncStartInput,
): Promise<string> {
  const { runId } = checkContract(postSyncStartInput, input, "PostSync's input");
  try {
    const res = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: runId, input: JSON.stringify(input) }),
    );
    return res.executionArn!;
  } catch (err) {
    if ((err as Error).name === "ExecutionAlreadyExists")
      return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${runId}`;
    throw err;
  }
}
