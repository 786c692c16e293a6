// The apply function in a process of its own, polling the manifest queue as Lambda's event source does, so
// a test can kill it with SIGKILL mid-batch: what it wrote stays written, what it did not record stays
// unrecorded, and its messages come back once their visibility timeout passes.
//
//   node test/support/apply-process.ts '<ApplyProcessInput as JSON>'
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createAwsClients, type AwsClientConfig } from "../../aws/clients.ts";
import { applyEnvironment } from "../../core/contracts/apply-environment.ts";
import { parseContract } from "../../core/contracts/contract.ts";
import { silentLogger } from "../../core/logger.ts";
import { applyDeps, createApplyHandler } from "../../lambdas/apply/handler.ts";
import { startSqsEventSource } from "../../local/sqs-event-source.ts";
import type { LocalStack } from "../../local/stack.ts";

export interface ApplyProcessInput {
  variables: Record<string, unknown>;
  clientConfig: AwsClientConfig;
  queueUrl: string;
  queueArn: string;
  batchSize: number;
}

/** Starts the apply in a child process whose clients use `endpoints` (e.g. a fault proxy's). */
export function spawnApplyProcess(stack: LocalStack, endpoints: AwsClientConfig["endpoints"]): ChildProcess {
  const input: ApplyProcessInput = {
    variables: stack.applyVariables,
    clientConfig: { ...stack.servers.clientConfig, endpoints: { ...stack.servers.endpoints, ...endpoints } },
    queueUrl: stack.queueUrl,
    queueArn: stack.queueArn,
    batchSize: stack.definition.batchSize,
  };
  return spawn(process.execPath, [fileURLToPath(import.meta.url), JSON.stringify(input)], { stdio: "inherit" });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const input = JSON.parse(process.argv[2]!) as ApplyProcessInput;
  const env = parseContract(applyEnvironment, input.variables, "the apply function's environment");
  const clients = createAwsClients(input.clientConfig);
  startSqsEventSource({
    sqs: clients.sqs,
    queueUrl: input.queueUrl,
    queueArn: input.queueArn,
    region: input.clientConfig.region,
    handler: createApplyHandler(applyDeps(env, clients, silentLogger)),
    batchSize: input.batchSize,
    waitTimeSeconds: 1,
    onError: () => {},
  });
}
