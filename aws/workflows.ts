// The workflows (Step Functions): PostSync is started for a run by the agent and by the Restore workflow's
// last step, always here, named after the run so that starting it twice is one execution. `status` reads
// what the executions did.
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  type ExecutionStatus,
  type SFNClient,
} from "@aws-sdk/client-sfn";
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

export interface ExecutionSummary {
  executionArn: string;
  name: string;
  status: string;
  started: string;
  stopped?: string;
}

/** The newest executions of a state machine in one status, at most `max`, newest first. */
export async function listExecutions(
  sfn: SFNClient,
  stateMachineArn: string,
  status: ExecutionStatus,
  max: number,
): Promise<ExecutionSummary[]> {
  const res = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: status, maxResults: max }));
  return (res.executions ?? []).map((e) => ({
    executionArn: e.executionArn ?? "",
    name: e.name ?? "",
    status: e.status ?? status,
    started: e.startDate?.toISOString() ?? "",
    ...(e.stopDate ? { stopped: e.stopDate.toISOString() } : {}),
  }));
}

export interface ExecutionResult {
  status: string;
  /** The execution's output, parsed, once it succeeded. */
  output?: unknown;
  /** Why it failed. */
  error?: string;
}

export async function describeExecution(sfn: SFNClient, executionArn: string): Promise<ExecutionResult> {
  const res = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const error = [res.error, res.cause].filter(Boolean).join(": ");
  return {
    status: res.status ?? "UNKNOWN",
    ...(res.output ? { output: JSON.parse(res.output) as unknown } : {}),
    ...(error ? { error } : {}),
  };
}
