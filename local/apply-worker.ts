// One sandbox of the local apply function: a worker thread that builds the handler exactly as the Lambda
// entry does (from the function's environment, read with its contract) and runs the invocations it is sent,
// one at a time, as a Lambda execution environment does.
import { parentPort, workerData } from "node:worker_threads";
import type { SQSEvent } from "aws-lambda";
import { createAwsClients, type AwsClientConfig } from "../aws/clients.ts";
import { applyEnvironment } from "../core/contracts/apply-environment.ts";
import { parseContract } from "../core/contracts/contract.ts";
import { createLogger } from "../core/logger.ts";
import { applyDeps, createApplyHandler } from "../lambdas/apply/handler.ts";

export interface ApplyWorkerData {
  variables: Record<string, unknown>;
  clientConfig: AwsClientConfig;
  logLevel: "debug" | "info" | "warn" | "error";
}

const data = workerData as ApplyWorkerData;
const env = parseContract(applyEnvironment, data.variables, "the apply function's environment");
const clients = createAwsClients(data.clientConfig);
const logger = createLogger({ level: data.logLevel, json: true });
const handler = createApplyHandler(applyDeps(env, clients, logger));

parentPort!.on("message", (message: { id: number; event: SQSEvent }) => {
  handler(message.event).then(
    (response) => parentPort!.postMessage({ id: message.id, response }),
    (err: unknown) =>
      parentPort!.postMessage({ id: message.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
