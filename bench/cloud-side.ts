// The benchmark's "cloud side": the local servers (fauxqs for S3, another for SQS, dynalite for DynamoDB, each
// in a child process of its own, in memory, loopback only) and the apply handler driven as Lambda's event source
// drives it, from this process. The agent and the peer tools run as separate processes against it, as they
// would against AWS, so each side gets its own event loop and neither one's CPU time is billed to the other.
//
// Protocol: one JSON line per message. On start it prints {"type":"ready", ...}; then it reads commands on
// stdin ({"id", "cmd", ...}) and answers each with {"id", "ok", ...} on stdout. Logs go to stderr. It stops
// when told to, or when stdin closes (the bench died), so it never outlives the bench.
//
// The soak (bench/soak.ts) starts it with `--faults SHARE:SEED` (the fault proxies in front of the servers, for
// the agent, the apply handler and PostSync) and `--visibility-timeout S`; the bench starts it without.
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { createLogger } from "../core/logger.ts";
import { startLocalStack } from "../local/stack.ts";
import type { Command, Counters, ServerCounters, WaitResult } from "./protocol.ts";

let applyErrors = 0;

const add = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

/** The servers' counts (each server process counts what it receives) and the apply's, at this moment. */
async function snapshot(): Promise<Counters> {
  const counters: Counters = {
    s3: {},
    s3WritesByBucket: {},
    sqs: 0,
    dynamodb: 0,
    dynamodbOps: {},
    applyErrors,
    invalidationPaths: stack.postSync.cloudFront?.allPaths().length ?? 0,
    faults: stack.faults?.total() ?? 0,
    rssBytes: process.memoryUsage().rss,
  };
  for (const server of (await stack.servers.observe()) as ServerCounters[]) {
    add(counters.s3, server.s3);
    add(counters.s3WritesByBucket, server.s3WritesByBucket);
    add(counters.dynamodbOps, server.dynamodbOps);
    counters.sqs += server.sqs;
    counters.dynamodb += server.dynamodb;
    counters.rssBytes += server.rssBytes;
  }
  return counters;
}

const send = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);

const { values: args } = parseArgs({
  options: { faults: { type: "string" }, "visibility-timeout": { type: "string" } },
});
const [share, seed] = (args.faults ?? "").split(":").map(Number);
// S3, SQS and DynamoDB each in a process of its own: a million objects' heap and one service's load then stall
// neither the other services nor the apply, and each counts the requests it receives.
const stack = await startLocalStack({
  logger: createLogger({ level: "warn" }),
  processes: { observer: new URL("./request-counter.ts", import.meta.url).href },
  ...(args.faults ? { faults: { share: share!, seed: seed! } } : {}),
  overrides: args["visibility-timeout"] ? { visibilityTimeoutSeconds: Number(args["visibility-timeout"]) } : {},
});
// Each concurrent invocation in an execution environment of its own, as Lambda runs them (the deployed maximum
// concurrency): the apply then shares the machine's cores instead of the servers' event loop.
const apply = stack.startApply({
  workers: stack.definition.maxConcurrency,
  onError: (err) => {
    applyErrors++;
    process.stderr.write(`cloud side: apply invocation failed: ${String(err)}\n`);
  },
});

let stopping: Promise<void> | undefined;
const stop = () =>
  (stopping ??= (async () => {
    await apply.stop();
    await stack.stop();
  })());

send({
  type: "ready",
  pid: process.pid,
  settings: stack.agentSettings(),
  s3Endpoint: stack.servers.endpoints.s3,
  siteBucket: stack.definition.siteBucket,
  // For checks that must not meet an injected fault: the servers themselves, and what the bucket's keys follow.
  directEndpoints: stack.servers.endpoints,
  publishRules: stack.definition.publishRules,
});

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  if (line.trim() === "") return;
  const command = JSON.parse(line) as Command;
  handle(command).then(
    (result) => send({ id: command.id, ok: true, ...result }),
    (err: unknown) => send({ id: command.id, ok: false, error: (err as Error)?.message ?? String(err) }),
  );
});
lines.on("close", () => void stop().then(() => process.exit(0)));

async function handle(command: Command): Promise<Record<string, unknown>> {
  switch (command.cmd) {
    case "wait": {
      const started = Date.now();
      await stack.waitForRun(command.runId, command.timeoutMs);
      const result: WaitResult = { appliedMs: Date.now() - started, appliedCounters: await snapshot() };
      if (command.postSyncExecutionArn) {
        const execution = await stack.postSync.server.waitForExecution(command.postSyncExecutionArn, command.timeoutMs);
        result.postSyncMs = Date.now() - started;
        result.postSyncStatus = execution.status;
        if (execution.status !== "SUCCEEDED") {
          const ran = execution.stopDate
            ? ` after ${((execution.stopDate.getTime() - execution.startDate.getTime()) / 1000).toFixed(1)} s`
            : "";
          result.postSyncError = `${execution.error ?? ""}${ran}: ${execution.cause ?? ""}`.slice(0, 500);
        }
      }
      return { ...result };
    }
    case "counters":
      return { counters: await snapshot() };
    case "bucket":
      await stack.clients.s3.send(new CreateBucketCommand({ Bucket: command.name }));
      return {};
    case "stop":
      await stop();
      // Answer first, then leave: the bench waits for the answer and then for the exit.
      setImmediate(() => process.exit(0));
      return {};
  }
}
