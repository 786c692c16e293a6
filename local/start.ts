// `npm start`: the main job on the local stack. Starts the local servers (state under .local/), creates
// the deployment's resources, syncs the bundled sample site with the real agent, applies the manifests
// with the real handler as Lambda's event source would, and reports what was published.
//   node local/start.ts [--serve] [--verbose] [DIR]
//   --serve    keep the servers running afterwards and serve the site as the deployed CloudFront would, on
//              http://127.0.0.1:8080/ (SITESYNC_LOCAL_SITE_PORT), until Ctrl-C
//   --verbose  the servers' and the apply handler's log lines on stderr, not in .local/logs/servers.log
// The agent runs as cron runs it: `sitesync sync` in a process of its own (bin/sitesync.ts), so its memory
// figure is its own, not the servers', and its progress line and logs are not mixed with theirs.
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../agent/config.ts";
import { DEFAULT_HEAP_MB, HEAP_FLAG } from "../agent/heap.ts";
import { padEnd } from "../agent/output-columns.ts";
import { formatSummary } from "../agent/summaries.ts";
import type { SyncResult } from "../agent/sync/sync.ts";
import { formatBytes } from "../core/format-bytes.ts";
import { listSiteObjects, statSiteObject } from "../aws/site-bucket.ts";
import { createLogger } from "../core/logger.ts";
import { newRunId } from "../core/run-id.ts";
import { publishEdge } from "../lambdas/post-sync/publish-edge.ts";
import { distributionFromTemplate, startSiteServer } from "./serve.ts";
import { type LocalStack, startLocalStack } from "./stack.ts";

const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { serve: { type: "boolean" }, verbose: { type: "boolean", short: "v" } },
});
const siteDir = resolve(positionals[0] ?? join(projectDir, "examples/site"));
const dataDir = resolve(process.env.SITESYNC_LOCAL_DIR ?? join(projectDir, ".local"));
const s3Port = Number(process.env.SITESYNC_LOCAL_S3_PORT ?? 4566);
const dynamoPort = Number(process.env.SITESYNC_LOCAL_DYNAMODB_PORT ?? 4567);
const sitePort = Number(process.env.SITESYNC_LOCAL_SITE_PORT ?? 8080);
/** No settle window: nobody is editing the sample site, whose files are as new as the checkout. */
const AGENT_SETTINGS = { settleSeconds: 0 };

const logsDir = join(dataDir, "logs");
mkdirSync(logsDir, { recursive: true });
const serversLog = join(logsDir, "servers.log");
const agentLog = join(logsDir, "agent.log");
// The handler's per-message lines would drown the summary: they go to a file unless asked for.
const stack = await startLocalStack({
  dataDir: join(dataDir, "servers"),
  s3Port,
  dynamoPort,
  logger: values.verbose ? createLogger() : createLogger({ stream: createWriteStream(serversLog), json: true }),
});
let exitCode = 0;
try {
  // The same configuration file a host would have, pointed at the local stack.
  const configPath = join(dataDir, "sitesync.json");
  writeFileSync(
    configPath,
    `${JSON.stringify(
      { root: siteDir, stateDir: join(dataDir, "agent-state"), ...AGENT_SETTINGS, ...stack.agentSettings() },
      null,
      2,
    )}\n`,
  );
  const config = loadConfig(configPath);
  console.log(
    `Local stack: S3 and SQS at ${stack.servers.endpoints.s3}, DynamoDB at ${stack.servers.endpoints.dynamodb}`,
  );
  const logs = values.verbose ? "" : `; the servers' and apply handler's logs: ${shown(serversLog)}`;
  console.log(`Syncing ${siteDir} (the agent's config: ${shown(configPath)}${logs})\n`);

  const apply = stack.startApply();
  const result = await runAgent(["sync", "--config", configPath]);
  process.stdout.write(formatSummary(result));
  if ((result.publish?.entriesSent ?? 0) > 0) {
    const started = Date.now();
    await stack.waitForRun(result.runId, 300_000);
    const seconds = (Date.now() - started) / 1000;
    const total = result.seconds + seconds;
    console.log(
      `  applied   ${result.publish!.entriesSent} entries in ${seconds.toFixed(1)} s by the apply handler ` +
        `(${Math.round(result.plan.put / total)} files/s end to end)`,
    );
  }
  if (result.postSyncExecutionArn) {
    const execution = await stack.postSync.server.waitForExecution(result.postSyncExecutionArn, 300_000);
    if (execution.status !== "SUCCEEDED")
      throw new Error(`PostSync ${execution.status}: ${execution.error} ${execution.cause}`);
    const cloudFront = stack.postSync.cloudFront;
    const paths = cloudFront?.allPaths() ?? [];
    console.log(
      `  postsync  ${execution.status}: listings regenerated; ` +
        `${paths.length} invalidation paths in ${cloudFront?.calls.length ?? 0} requests` +
        `${paths.length > 0 ? ` (${paths.slice(0, 4).join(" ")}${paths.length > 4 ? " …" : ""})` : ""}`,
    );
  }
  await apply.stop();
  await publishEdgeNow(stack, config.prefix);
  await report(stack);
  if (values.serve) {
    const distribution = distributionFromTemplate(stack.template, stack.postSync.keyValueStore ?? undefined);
    const site = await startSiteServer({
      s3: stack.clients.s3,
      bucket: stack.definition.siteBucket,
      distribution,
      port: sitePort,
    });
    console.log(`\nThe site, served as the deployed CloudFront serves it: ${site.url}/`);
    console.log(`  try ${site.url}/no-such-page (404), ${site.url}/docs (301), ${site.url}/LICENSE`);
    console.log("Servers keep running; Ctrl-C stops them.");
    await new Promise<void>((resolvePromise) => process.once("SIGINT", () => resolvePromise()));
    await site.stop();
  }
} catch (err) {
  console.error(`npm start: ${(err as Error).message}`);
  exitCode = 1;
} finally {
  await stack.stop();
}
process.exitCode = exitCode;

/**
 * Runs the agent as cron would, in a process of its own, and returns its result (its --json output). On a
 * terminal its progress line and its log lines show on stderr as they happen; elsewhere (or piped) they
 * go to .local/logs/agent.log, and only the reason of a failure is shown.
 */
async function runAgent(args: string[]): Promise<SyncResult> {
  const live = process.stderr.isTTY === true || values.verbose === true;
  const agent = spawn(
    process.execPath,
    [
      "--disable-warning=ExperimentalWarning",
      // Started as the installed command starts it: the heap capped as Node starts, the agent in the main thread.
      `${HEAP_FLAG}=${DEFAULT_HEAP_MB}`,
      join(projectDir, "bin/sitesync.ts"),
      ...args,
      "--json",
      ...(values.verbose ? ["--verbose"] : []),
    ],
    { stdio: ["ignore", "pipe", live ? "inherit" : openSync(agentLog, "w")] },
  );
  let stdout = "";
  agent.stdout?.on("data", (chunk) => (stdout += chunk));
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    agent.on("error", reject);
    agent.on("close", resolvePromise);
  });
  if (code === 0) return JSON.parse(stdout) as SyncResult;
  const why = live ? "" : `: ${failureOf(readFileSync(agentLog, "utf8"))} (its log: ${shown(agentLog)})`;
  throw new Error(`the agent exited with code ${code}${why}`);
}

/** The error lines of an agent's JSON log, as text. */
function failureOf(log: string): string {
  const errors = log
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { level: string; msg: string })
    .filter((line) => line.level === "error")
    .map((line) => line.msg);
  return errors.join("; ") || log.trim().split("\n").at(-1) || "no log";
}

/** A path as the person who typed `npm start` can use it: relative to the project when inside it. */
function shown(path: string): string {
  const rel = relative(projectDir, path);
  return rel.startsWith("..") ? path : rel;
}

/**
 * The stored edge rules to the key value store and the error page, as PostSync's PlanListings does first.
 * The local store lives in memory: a start whose run found the rules unchanged started no PostSync for
 * them, and `--serve` would answer no redirects without this.
 */
async function publishEdgeNow(s: LocalStack, prefix: string): Promise<void> {
  const d = s.definition;
  const store = s.postSync.keyValueStore;
  await publishEdge(
    { runId: newRunId(), prefix },
    {
      s3: s.clients.s3,
      dynamodb: s.clients.dynamodb,
      siteBucket: d.siteBucket,
      versionBucket: d.versionBucket,
      table: d.table,
      rules: d.publishRules,
      ...(store ? { keyValueStore: store } : {}),
    },
  );
}

async function report(s: typeof stack): Promise<void> {
  const bucket = s.definition.siteBucket;
  let count = 0;
  let bytes = 0;
  const sample: string[] = [];
  for await (const page of listSiteObjects(s.clients.s3, bucket)) {
    for (const o of page) {
      count++;
      bytes += o.size;
      const extension = o.key.slice(o.key.lastIndexOf("."));
      const shown = /\.(html|css|png|jpg|svg|pdf|txt)$/.test(o.key);
      if (shown && !sample.some((k) => k.slice(k.lastIndexOf(".")) === extension)) {
        sample.push(o.key);
      }
    }
  }
  console.log(`\nPublished: ${count} objects, ${formatBytes(bytes)} in s3://${bucket}`);
  for (const key of sample.slice(0, 6)) {
    const head = await statSiteObject(s.clients.s3, bucket, key);
    console.log(`  ${padEnd(key, 48)} ${head?.contentType}`);
  }
  const endpoint = s.servers.endpoints.s3;
  const credentials = "AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local";
  console.log(`
To look at the bucket, keep the servers running with \`npm start -- --serve\`, then in another terminal:
  ${credentials} aws --endpoint-url ${endpoint} --region us-east-1 s3 ls s3://${bucket}/ --recursive
  curl -s ${endpoint}/${bucket}/index.html | head
State lives in ${shown(dataDir)}/ (delete it to start over). Run \`npm start\` again: it finds nothing to do.`);
}
