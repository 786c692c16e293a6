// The benchmark's "cloud side", a process of its own: the local servers (fauxqs for S3 and SQS, dynalite for
// DynamoDB, in memory, loopback only) and the apply handler driven as Lambda's event source drives it. The agent
// and the peer tools run as separate processes against it, as they would against AWS, so on two cores each
// side gets its own event loop and neither one's CPU time is billed to the other.
//
// Protocol: one JSON line per message. On start it prints {"type":"ready", ...}; then it reads commands on
// stdin ({"id", "cmd", ...}) and answers each with {"id", "ok", ...} on stdout. Logs go to stderr. It stops
// when told to, or when stdin closes (the bench died), so it never outlives the bench.
//
// The soak (bench/soak.ts) starts it with `--faults SHARE:SEED` (the fault proxies in front of the servers, for
// the agent, the apply handler and PostSync) and `--visibility-timeout S`; the bench starts it without.
import dc from "node:diagnostics_channel";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { CreateBucketCommand } from "@aws-sdk/client-s3";
import { createLogger } from "../core/logger.ts";
import { startLocalStack } from "../local/stack.ts";
import { S3_WRITE_OPS, type Command, type Counters, type WaitResult } from "./protocol.ts";

const counters: Counters = {
  s3: {},
  s3WritesByBucket: {},
  sqs: 0,
  dynamodb: 0,
  dynamodbOps: {},
  applyErrors: 0,
  invalidationPaths: 0,
  faults: 0,
  rssBytes: 0,
};
const ports = { fauxqs: -1, dynamodb: -1 };

// Every request either server receives, counted where it arrives: the agent runs in another process, so an SDK
// middleware could not see its requests, and a proxy in between would slow everything it measures.
dc.subscribe("http.server.request.start", (message) => {
  const { request, server } = message as { request: IncomingMessage; server: Server };
  const port = portOf(server);
  if (port === ports.dynamodb) {
    counters.dynamodb++;
    const op = String(request.headers["x-amz-target"] ?? "unknown").replace(/^DynamoDB_\d+\./, "");
    counters.dynamodbOps[op] = (counters.dynamodbOps[op] ?? 0) + 1;
  } else if (port === ports.fauxqs) {
    if (String(request.headers["x-amz-target"] ?? "").startsWith("AmazonSQS")) {
      counters.sqs++;
      return;
    }
    const { op, bucket } = classifyS3(request);
    counters.s3[op] = (counters.s3[op] ?? 0) + 1;
    if (S3_WRITE_OPS.includes(op)) counters.s3WritesByBucket[bucket] = (counters.s3WritesByBucket[bucket] ?? 0) + 1;
  }
});

// server.address() is a system call; per request it showed up in profiles of this very process.
const serverPorts = new WeakMap<Server, number>();
function portOf(server: Server): number | undefined {
  let port = serverPorts.get(server);
  if (port === undefined) {
    port = (server.address() as AddressInfo | null)?.port;
    if (port !== undefined) serverPorts.set(server, port);
  }
  return port;
}

/** Names the S3 operation of a path-style request from its method, path, query and copy-source header. */
function classifyS3(request: IncomingMessage): { op: string; bucket: string } {
  const url = request.url ?? "/";
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const query = new URLSearchParams(q === -1 ? "" : url.slice(q + 1));
  const slash = path.indexOf("/", 1);
  const bucket = decodeURIComponent(slash === -1 ? path.slice(1) : path.slice(1, slash));
  const hasKey = slash !== -1 && slash < path.length - 1;
  const copy = request.headers["x-amz-copy-source"] !== undefined;
  const op = (() => {
    switch (request.method) {
      case "PUT":
        if (!hasKey) return "BucketOperation";
        if (query.has("uploadId")) return copy ? "UploadPartCopy" : "UploadPart";
        return copy ? "CopyObject" : "PutObject";
      case "POST":
        if (hasKey && query.has("uploads")) return "CreateMultipartUpload";
        if (hasKey && query.has("uploadId")) return "CompleteMultipartUpload";
        if (!hasKey && query.has("delete")) return "DeleteObjects";
        return "OtherPost";
      case "DELETE":
        if (hasKey && query.has("uploadId")) return "AbortMultipartUpload";
        return hasKey ? "DeleteObject" : "BucketOperation";
      case "HEAD":
        return hasKey ? "HeadObject" : "HeadBucket";
      case "GET":
        if (hasKey) return "GetObject";
        return query.has("list-type") || query.size === 0 || query.has("prefix") || query.has("delimiter")
          ? "ListObjects"
          : "BucketOperation";
      default:
        return `Other${request.method}`;
    }
  })();
  return { op, bucket };
}

const snapshot = (): Counters => ({
  ...counters,
  s3: { ...counters.s3 },
  s3WritesByBucket: { ...counters.s3WritesByBucket },
  dynamodbOps: { ...counters.dynamodbOps },
  invalidationPaths: stack.postSync.cloudFront?.allPaths().length ?? 0,
  faults: stack.faults?.total() ?? 0,
  rssBytes: process.memoryUsage().rss,
});

const send = (message: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(message)}\n`);

const { values: args } = parseArgs({
  options: { faults: { type: "string" }, "visibility-timeout": { type: "string" } },
});
const [share, seed] = (args.faults ?? "").split(":").map(Number);
const stack = await startLocalStack({
  logger: createLogger({ level: "warn" }),
  ...(args.faults ? { faults: { share: share!, seed: seed! } } : {}),
  overrides: args["visibility-timeout"] ? { visibilityTimeoutSeconds: Number(args["visibility-timeout"]) } : {},
});
ports.fauxqs = Number(new URL(stack.servers.endpoints.s3).port);
ports.dynamodb = Number(new URL(stack.servers.endpoints.dynamodb).port);
// Each concurrent invocation in an execution environment of its own, as Lambda runs them (the deployed maximum
// concurrency): the apply then shares the machine's cores instead of the servers' event loop.
const apply = stack.startApply({
  workers: stack.definition.maxConcurrency,
  onError: (err) => {
    counters.applyErrors++;
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
      const result: WaitResult = { appliedMs: Date.now() - started, appliedCounters: snapshot() };
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
      return { counters: snapshot() };
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
