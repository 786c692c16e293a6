// The metrics of a real sync on the local stack: the apply function's and the Invalidate step's CloudWatch
// embedded metric lines on the handlers' log stream, and the agent's run line on its JSON log (stderr off a
// terminal), each valid EMF with the values of the run.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SyncResult } from "../../agent/sync/sync.ts";
import type { EmfRecord } from "../../core/emf.ts";
import { createLogger } from "../../core/logger.ts";
import { startLocalStack, type LocalStack } from "../../local/stack.ts";
import type { SqsEventSource } from "../../local/sqs-event-source.ts";
import { runCli } from "../support/cli.ts";
import { writeTree } from "../support/harness.ts";

/** The EMF records among JSON log lines, each checked as CloudWatch would before extracting it. */
function emfRecords(lines: string[], msg: string): EmfRecord[] {
  const records = lines
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as EmfRecord & { msg?: string })
    .filter((r) => r.msg === msg);
  for (const r of records) {
    assert.equal(typeof r._aws.Timestamp, "number");
    const [directive] = r._aws.CloudWatchMetrics;
    assert.equal(directive?.Namespace, "sitesync");
    for (const name of directive!.Dimensions.flat()) assert.equal(typeof r[name], "string", `dimension ${name}`);
    for (const m of directive!.Metrics) {
      const values = [r[m.Name]].flat();
      assert.ok(values.length > 0 && values.every((v) => typeof v === "number" && v >= 0), `${m.Name}: ${values}`);
    }
  }
  return records;
}

const values = (records: EmfRecord[], name: string): number[] =>
  records.flatMap((r) => (name in r ? [r[name]].flat() : [])) as number[];
const sum = (records: EmfRecord[], name: string) => values(records, name).reduce((a, b) => a + b, 0);

describe("metrics of a sync on the local stack", () => {
  let stack: LocalStack;
  let source: SqsEventSource;
  const handlerLines: string[] = [];
  const temps: string[] = [];
  const temp = () => {
    const dir = mkdtempSync(join(tmpdir(), "sitesync-metrics-"));
    temps.push(dir);
    return dir;
  };

  before(async () => {
    // The handlers' log stream, as npm start writes it to .local/logs/servers.log.
    const logger = createLogger({
      level: "info",
      json: true,
      stream: { write: (text: string) => handlerLines.push(...text.split("\n")) },
    });
    stack = await startLocalStack({ logger });
    source = stack.startApply({ onError: () => {} });
  });
  after(async () => {
    await source.stop();
    await stack.stop();
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  });

  /** `sitesync sync` as cron runs it; waits until the run is applied and its PostSync has ended. */
  async function sync(config: string) {
    const run = await runCli(["sync", "--config", config, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as SyncResult;
    await stack.waitForRun(result.runId, 30_000);
    const execution = await stack.postSync.server.waitForExecution(result.postSyncExecutionArn!, 60_000);
    assert.equal(execution.status, "SUCCEEDED");
    return { result, agent: emfRecords(run.stderr.split("\n"), "run metrics") };
  }

  test("files published, the lag of each manifest, invalidation paths, and the agent's run figures", async () => {
    const root = temp();
    const files = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`d${i % 3}/page-${i}.html`, `<p>${i}</p>`]));
    writeTree(root, files);
    const config = join(temp(), "sitesync.json");
    const settings = { root, stateDir: join(temp(), "state"), prefix: "metrics/", settleSeconds: 0 };
    writeFileSync(config, JSON.stringify({ ...settings, ...stack.agentSettings() }));

    const { result, agent } = await sync(config);
    assert.equal(agent.length, 1, "one run line");
    const [line] = agent;
    assert.deepEqual(line!._aws.CloudWatchMetrics[0]!.Dimensions, [["service"]]);
    assert.equal(line!.service, "agent");
    assert.equal(line!.runId, result.runId);
    assert.equal(line!.FilesScanned, 12);
    assert.equal(line!.Changes, 12);
    assert.equal(line!.ManifestsSent, result.publish!.messagesSent);
    assert.equal(line!.BytesStaged, result.publish!.stagedBytes);
    assert.ok((line!.ScanSeconds as number) <= (line!.RunSeconds as number));
    assert.deepEqual(Object.fromEntries(line!._aws.CloudWatchMetrics[0]!.Metrics.map((m) => [m.Name, m.Unit])), {
      ScanSeconds: "Seconds",
      RunSeconds: "Seconds",
      FilesScanned: "Count",
      Changes: "Count",
      BytesStaged: "Bytes",
      ManifestsSent: "Count",
    });

    const handlers = emfRecords(handlerLines, "metrics");
    const apply = handlers.filter((r) => r.service === "apply");
    for (const r of apply) {
      assert.deepEqual(r._aws.CloudWatchMetrics[0]!.Dimensions, [["service", "Environment"]]);
      assert.equal(r.Environment, "local");
    }
    assert.equal(sum(apply, "FilesPublished"), 12);
    assert.equal(sum(apply, "FilesDeleted"), 0);
    assert.equal(sum(apply, "FilesFailed"), 0);
    const lags = values(apply, "ApplyLag");
    assert.equal(lags.length, result.publish!.messagesSent, "one lag sample per manifest");
    assert.ok(
      lags.every((lag) => lag < 30),
      `lags ${lags}`,
    );
    const postSync = handlers.filter((r) => r.service === "post-sync");
    assert.equal(sum(postSync, "InvalidationPaths"), stack.postSync.cloudFront!.allPaths().length);
    assert.ok(sum(postSync, "InvalidationPaths") > 0);

    // A second run deletes two files: the deletions are counted, nothing more is published.
    handlerLines.length = 0;
    unlinkSync(join(root, "d0/page-0.html"));
    unlinkSync(join(root, "d1/page-1.html"));
    const second = await sync(config);
    assert.equal(second.agent[0]!.Changes, 2);
    const applied = emfRecords(handlerLines, "metrics").filter((r) => r.service === "apply");
    assert.equal(sum(applied, "FilesDeleted"), 2);
    assert.equal(sum(applied, "FilesPublished"), 0);
  });
});
