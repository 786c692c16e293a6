// The operator's view and repair, through the command as cron or a person runs it: `sitesync status` after a
// run and a manifest that could not apply (dead-lettered), exit 5 until it is dealt with; `sitesync redrive`
// sends it back once its cause is fixed, and the apply function publishes it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { StatusReport } from "../../agent/status.ts";
import type { RedriveOutcome } from "../../agent/redrive.ts";
import { runCli } from "../support/cli.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";
import { sendPoisonManifest } from "../support/poison.ts";

describe("status and redrive", () => {
  let h: Harness;
  let configFile: string;
  let poison: { body: string; key: string };

  before(async () => {
    h = await startHarness({
      environment: (env) => {
        env.apply.maxReceiveCount = 2;
      },
      overrides: { visibilityTimeoutSeconds: 2 },
    });
    const root = h.tempDir();
    writeTree(root, { "index.html": "<p>home</p>", "docs/a.txt": "a" });
    configFile = h.configFile(root, { prefix: "site/" });
    const published = await h.publish(h.config(root, { prefix: "site/" }));
    await h.waitForPostSync(published);
    // Its staged bytes are missing: every delivery fails until SQS moves it to the dead-letter queue.
    poison = await sendPoisonManifest(h.stack);
    const deadline = Date.now() + 30_000;
    while ((await h.deadLetters()).length === 0 && Date.now() < deadline) await sleep(250);
  });
  after(() => h.close());

  test("status reports the run, its PostSync, the dead letter; exit 5 says a person is needed", async (t) => {
    const human = await runCli(["status", "--config", configFile, "--text"]);
    t.diagnostic(`sitesync status, exit ${human.code}:\n${human.stdout}`);
    assert.equal(human.code, 5, human.stderr);
    assert.match(human.stdout, /Dead-letter queue: 1 message\(s\), oldest sent \d+ min ago/);
    assert.match(human.stdout, /Needs attention:\n {2}- 1 manifest message\(s\) in the dead-letter queue/);

    const json = await runCli(["status", "--config", configFile, "--json"]);
    assert.equal(json.code, 5, json.stderr);
    const report = JSON.parse(json.stdout) as StatusReport;
    const run = report.runs.find((r) => r.prefix === "site/");
    assert.ok(run, "the run is listed");
    assert.deepEqual([run.changed, run.sent, run.applied, run.unapplied], [2, 2, 2, 0]);
    assert.equal(run.postSync?.status, "SUCCEEDED");
    assert.ok((run.postSync?.invalidationPaths ?? 0) > 0, "PostSync's invalidation paths");
    assert.deepEqual(report.openRuns, []);
    const dead = report.deadLetterQueue;
    assert.equal((dead?.visible ?? 0) + (dead?.inFlight ?? 0), 1);
    assert.deepEqual(
      report.workflows.map((w) => [w.workflow, w.running.length, w.failed.length]),
      [
        ["PostSync", 0, 0],
        ["Restore", 0, 0],
      ],
    );
    // DynamoDB refreshes ItemCount about every six hours (the local server never): only its presence is sure.
    assert.equal(typeof report.indexItemsApproximate, "number", "the index's size");
    assert.deepEqual(report.notChecked, []);
  });

  test("redrive after the fix: moved back, applied, and status is clear again", async () => {
    const dryRun = await runCli(["redrive", "--config", configFile, "--dry-run", "--json"]);
    assert.equal(dryRun.code, 0, dryRun.stderr);
    assert.equal((JSON.parse(dryRun.stdout) as RedriveOutcome).waiting, 1);
    assert.equal((await h.deadLetters()).length, 1, "a dry run moves nothing");

    // The fix: the staged bytes the manifest names now exist.
    await h.stack.directClients.s3.send(
      new PutObjectCommand({ Bucket: h.stack.definition.versionBucket, Key: "packs/missing.pack", Body: "fix" }),
    );
    const redrive = await runCli(["redrive", "--config", configFile, "--text"]);
    assert.equal(redrive.code, 0, redrive.stderr);
    assert.match(redrive.stdout, /1 moved back to the manifest queue, 0 failed/);
    assert.deepEqual(await h.deadLetters(), []);

    const deadline = Date.now() + 30_000;
    let object = await h.getObject(poison.key);
    while (!object && Date.now() < deadline) {
      await sleep(250);
      object = await h.getObject(poison.key);
    }
    assert.equal(object?.body.toString(), "fix", "the redriven manifest is applied");

    const status = await runCli(["status", "--config", configFile, "--text"]);
    assert.equal(status.code, 0, status.stdout);
    assert.match(status.stdout, /Nothing needs attention\./);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
