// The workflows (Step Functions): PostSync is started for a run by the agent and by the Restore workflow's
// last step, always here, named after the run so that starting it twice is one execution.
import { StartExecutionCommand, type SFNClient } from "@aws-sdk/client-sfn";

/**
 * Starts PostSync for `runId` and returns its execution's ARN. An execution that already exists under the
 * run's name (started by a run that died before recording it, or by a retried step) counts as started.
 */
export async function startPostSync(sfn: SFNClient, stateMachineArn: string, runId: string): Promise<string> {
  try {
    const res = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: runId, input: JSON.stringify({ runId }) }),
    );
    return res.executionArn!;
  } catch (err) {
    if ((err as Error).name === "ExecutionAlreadyExists")
      return `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${runId}`;
    throw err;
  }
}
