// `npm start`: the main job on the local stack. Starts the local servers (state under .local/), creates
// the deployment's resources, syncs the bundled sample site with the real agent, applies the manifests
// with the real handler as Lambda's event source would, and reports what was published.
//   node local/start.ts [--serve] [DIR]
//   --serve   keep the servers running afterwards and serve the site as the deployed CloudFront would, on
//             http://127.0.0.1:8080/ (SITESYNC_LOCAL_SITE_PORT), until Ctrl-C
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../agent/config.ts";
import { formatSummary } from "../agent/summaries.ts";
import { formatBytes, runSync } from "../agent/sync/sync.ts";
import { listSiteObjects, statSiteObject } from "../aws/site-bucket.ts";
import { createLogger } from "../core/logger.ts";
import { newRunId } from "../core/run-id.ts";
import { publishEdge } from "../lambdas/post-sync/publish-edge.ts";
import { distributionFromTemplate, startSiteServer } from "./serve.ts";
import { type LocalStack, startLocalStack } from "./stack.ts";

const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values, positionals } = parseArgs({ allowPositionals: true, options: { serve: { type: "boolean" } } });
const siteDir = resolve(positionals[0] ?? join(projectDir, "examples/site"));
const dataDir = resolve(process.env.SITESYNC_LOCAL_DIR ?? join(projectDir, ".local"));
const s3Port = Number(process.env.SITESYNC_LOCAL_S3_PORT ?? 4566);
const dynamoPort = Number(process.env.SITESYNC_LOCAL_DYNAMODB_PORT ?? 4567);
const sitePort = Number(process.env.SITESYNC_LOCAL_SITE_PORT ?? 8080);
/** No settle window: nobody is editing the sample site, whose files are as new as the checkout. */
const AGENT_SETTINGS = { settleSeconds: 0 };

const logger = createLogger();
mkdirSync(dataDir, { recursive: true });
// The handler's per-message lines would drown the summary; its warnings and errors still show.
const stack = await startLocalStack({
  dataDir: join(dataDir, "servers"),
  s3Port,
  dynamoPort,
  logger: createLogger({ level: "warn" }),
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
  console.log(`Syncing ${siteDir} (the agent's config: ${configPath})\n`);

  const apply = stack.startApply();
  const result = await runSync(config, stack.clients, logger);
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
  logger.error((err as Error).message);
  exitCode = 1;
} finally {
  await stack.stop();
}
process.exitCode = exitCode;

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
    console.log(`  ${key.padEnd(48)} ${head?.contentType}`);
  }
  const endpoint = s.servers.endpoints.s3;
  const credentials = "AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local";
  console.log(`
To look at the bucket, keep the servers running with \`npm start -- --serve\`, then in another terminal:
  ${credentials} aws --endpoint-url ${endpoint} --region us-east-1 s3 ls s3://${bucket}/ --recursive
  curl -s ${endpoint}/${bucket}/index.html | head
State lives in .local/ (delete it to start over). Run \`npm start\` again: it finds nothing to do.`);
}
