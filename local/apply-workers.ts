// The local apply function run the way Lambda runs concurrent invocations: each in an execution environment
// of its own — here a worker thread, so invocations use every core the machine has instead of sharing the
// event loop that also serves S3, SQS and DynamoDB. An invocation goes to an idle environment, or waits.
import { Worker } from "node:worker_threads";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { AwsClientConfig } from "../aws/clients.ts";
import type { ApplyWorkerData } from "./apply-worker.ts";

export interface ApplyWorkers {
  handler(event: SQSEvent): Promise<SQSBatchResponse | undefined>;
  stop(): Promise<void>;
}

interface Environment {
  worker: Worker;
  pending?: { id: number; resolve: (r: SQSBatchResponse | undefined) => void; reject: (e: Error) => void };
}

export function startApplyWorkers(
  count: number,
  variables: Record<string, unknown>,
  clientConfig: AwsClientConfig,
  logLevel: ApplyWorkerData["logLevel"] = "warn",
): ApplyWorkers {
  const data: ApplyWorkerData = { variables, clientConfig, logLevel };
  const environments: Environment[] = [];
  const idle: Environment[] = [];
  const waiting: Array<(env: Environment) => void> = [];
  let nextId = 0;
  const release = (env: Environment) => {
    const next = waiting.shift();
    if (next) next(env);
    else idle.push(env);
  };
  for (let i = 0; i < Math.max(1, count); i++) {
    const env: Environment = {
      worker: new Worker(new URL("./apply-worker.ts", import.meta.url), { workerData: data }),
    };
    env.worker.on("message", (message: { id: number; response?: SQSBatchResponse; error?: string }) => {
      const pending = env.pending;
      if (!pending || pending.id !== message.id) return;
      env.pending = undefined;
      if (message.error !== undefined) pending.reject(new Error(message.error));
      else pending.resolve(message.response);
      release(env);
    });
    // An environment that dies fails its invocation, as a Lambda crash does; SQS then delivers the batch again.
    env.worker.on("error", (err) => {
      env.pending?.reject(err);
      env.pending = undefined;
    });
    environments.push(env);
    idle.push(env);
  }
  return {
    async handler(event) {
      const env = idle.pop() ?? (await new Promise<Environment>((resolve) => waiting.push(resolve)));
      return new Promise<SQSBatchResponse | undefined>((resolve, reject) => {
        env.pending = { id: nextId++, resolve, reject };
        env.worker.postMessage({ id: env.pending.id, event });
      });
    },
    async stop() {
      await Promise.all(environments.map((env) => env.worker.terminate()));
    },
  };
}
