// Restore rate on the local stack: 10,000 keys (or --keys N) published, all changed, then the site
// restored to before the change (the Restore workflow, until applied and PostSync done), and the host
// tree rebuilt from the index into an empty folder. Prints keys/second for both. Not a test.
//   node bench/restore.ts [--keys 10000]
import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { parseConfig } from "../agent/config.ts";
import { runHostRestore } from "../agent/restore/restore-host.ts";
import { runSync } from "../agent/sync/sync.ts";
import { silentLogger } from "../core/logger.ts";
import { startLocalStack, type LocalStack } from "../local/stack.ts";

const { values } = parseArgs({ options: { keys: { type: "string", default: "10000" } } });
const keys = Number(values.keys);
const work = mkdtempSync(join(tmpdir(), "sitesync-bench-restore-"));
const root = join(work, "tree");
const stack = await startLocalStack();
const apply = stack.startApply();
try {
  const config = parseConfig(
    { root, stateDir: join(work, "state"), prefix: "bench/", ...stack.agentSettings() },
    "bench",
    "/",
  );
  const write = (version: string, mtime: Date) => {
    for (let i = 0; i < keys; i++) {
      const dir = join(root, `d${i % 100}`);
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `f${i}.html`);
      writeFileSync(path, `<p>${version} ${i}</p>`);
      utimesSync(path, mtime, mtime);
    }
  };
  const publish = async (stackRef: LocalStack) => {
    const result = await runSync(config, stackRef.clients, silentLogger);
    await stackRef.waitForRun(result.runId, 900_000);
    if (result.postSyncExecutionArn)
      await stackRef.postSync.server.waitForExecution(result.postSyncExecutionArn, 900_000);
  };
  write("one", new Date(Date.now() - 3_600_000));
  await publish(stack);
  await new Promise((r) => setTimeout(r, 50));
  const asOf = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 50));
  write("two!", new Date());
  await publish(stack);

  let started = Date.now();
  const execution = await stack.clients.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: stack.postSync.restoreStateMachineArn,
      input: JSON.stringify({ target: "site", prefix: "bench/", sitePrefix: "bench/", asOf }),
    }),
  );
  const done = await stack.postSync.server.waitForExecution(execution.executionArn!, 900_000);
  const output = JSON.parse(done.output ?? "{}") as { runId: string; restored: number; postSyncExecutionArn: string };
  const planned = (Date.now() - started) / 1000;
  await stack.waitForRun(output.runId, 900_000);
  const applied = (Date.now() - started) / 1000;
  await stack.postSync.server.waitForExecution(output.postSyncExecutionArn, 900_000);
  const total = (Date.now() - started) / 1000;
  console.log(
    `site restore of ${output.restored} keys: planned and sent ${planned.toFixed(1)} s, ` +
      `applied ${applied.toFixed(1)} s (${Math.round(output.restored / applied)} keys/s), ` +
      `with PostSync ${total.toFixed(1)} s (${Math.round(output.restored / total)} keys/s)`,
  );

  const target = join(work, "restored");
  started = Date.now();
  const host = await runHostRestore(config, stack.clients, silentLogger, { prefix: "", dir: target, delete: false });
  const hostSeconds = (Date.now() - started) / 1000;
  console.log(
    `host restore of ${host.written} files into an empty folder: ` +
      `${hostSeconds.toFixed(1)} s (${Math.round(host.written / hostSeconds)} keys/s)`,
  );
} finally {
  await apply.stop();
  await stack.stop();
  rmSync(work, { recursive: true, force: true });
}
