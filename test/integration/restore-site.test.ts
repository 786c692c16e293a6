// The Restore workflow on the local stack, from the synthesized definition.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { getFile } from "../../aws/index/files.ts";
import { runHostRestore } from "../../agent/restore/restore-host.ts";
import { parseHostPlan } from "../../core/host-plan.ts";
import { silentLogger } from "../../core/logger.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";

describe("Restore", () => {
  let h: Harness;
  let root: string;
  let afterFirst: string;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const restore = async (input: Record<string, unknown>) => {
    const started = await h.stack.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: h.stack.postSync.restoreStateMachineArn,
        input: JSON.stringify(input),
      }),
    );
    return h.stack.postSync.server.waitForExecution(started.executionArn!, 60_000);
  };

  before(async () => {
    h = await startHarness();
    root = h.tempDir();
    const config = h.config(root, { prefix: "rs/" });
    // Run 1
    writeTree(root, {
      "a.html": "<p>version one</p>",
      "b.css": "b { }",
      "docs/c.txt": "c one",
      "docs/keep.txt": "kept",
    });
    await h.publish(config);
    await sleep(20);
    afterFirst = new Date().toISOString();
    await sleep(20);
    // Run 2: change, delete, create
    writeFileSync(join(root, "a.html"), "<p>version two, longer</p>");
    unlinkSync(join(root, "b.css"));
    writeTree(root, { "new.html": "created later" });
    await h.publish(config);
    // Run 3: change again
    writeFileSync(join(root, "docs/c.txt"), "c three");
    utimesSync(join(root, "docs/c.txt"), new Date(Date.now() + 9000), new Date(Date.now() + 9000));
    await h.publish(config);
  });
  after(() => h.close());

  test("a dry run reports the plan and changes nothing", async () => {
    const before = await h.listKeys("rs/");
    const execution = await restore({
      target: "site",
      prefix: "rs/",
      sitePrefix: "rs/",
      asOf: afterFirst,
      dryRun: true,
    });
    assert.equal(execution.status, "SUCCEEDED", execution.cause);
    const output = JSON.parse(execution.output!);
    assert.equal(output.dryRun, true);
    assert.equal(output.restored, 3, "a.html, b.css and docs/c.txt go back");
    assert.equal(output.removed, 1, "new.html did not exist then");
    assert.ok(output.sample.includes("remove rs/new.html"));
    assert.deepEqual(await h.listKeys("rs/"), before);
  });

  test("the site goes back to after the first run: bytes, Content-Type, index, listings", async () => {
    const execution = await restore({ target: "site", prefix: "rs/", sitePrefix: "rs/", asOf: afterFirst });
    assert.equal(execution.status, "SUCCEEDED", execution.cause);
    const output = JSON.parse(execution.output!);
    assert.equal(output.sent, 4);
    await h.stack.waitForRun(output.runId, 30_000);
    const postSync = await h.stack.postSync.server.waitForExecution(output.postSyncExecutionArn, 60_000);
    assert.equal(postSync.status, "SUCCEEDED");

    const a = await h.getObject("rs/a.html");
    assert.equal(a?.body.toString(), "<p>version one</p>");
    assert.equal(a?.contentType, "text/html; charset=utf-8");
    assert.equal((await h.getObject("rs/b.css"))?.body.toString(), "b { }", "a key deleted since returns");
    assert.equal((await h.getObject("rs/b.css"))?.contentType, "text/css; charset=utf-8");
    assert.equal((await h.getObject("rs/docs/c.txt"))?.body.toString(), "c one");
    assert.equal(await h.getObject("rs/new.html"), undefined, "a key created since is removed");
    assert.equal((await h.getObject("rs/docs/keep.txt"))?.body.toString(), "kept");
    const record = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "rs/a.html");
    assert.equal(record?.published?.version, output.runId, "the index follows: the restore is a version of its own");
    assert.equal(await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "rs/new.html"), undefined);
    const invalidated = h.stack.postSync.cloudFront!.allPaths();
    assert.ok(
      invalidated.includes("/rs/a.html") && invalidated.includes("/rs/new.html"),
      "PostSync invalidated what changed",
    );
  });

  test("the host tree can be rebuilt from the workflow's plan on the restore queue", async () => {
    const execution = await restore({ target: "host", prefix: "rs/docs/", sitePrefix: "rs/", asOf: afterFirst });
    assert.equal(execution.status, "SUCCEEDED", execution.cause);
    const target = h.tempDir();
    const result = await runHostRestore(
      h.config(root, { prefix: "rs/", restoreQueueUrl: h.stack.restoreQueueUrl }),
      h.stack.clients,
      silentLogger,
      {
        prefix: "",
        fromQueue: true,
        dir: target,
        delete: false,
      },
    );
    assert.equal(result.written, 2);
    assert.equal(readFileSync(join(target, "docs/c.txt"), "utf8"), "c one");
    assert.equal(readFileSync(join(target, "docs/keep.txt"), "utf8"), "kept");
    assert.ok(!existsSync(join(target, "a.html")), "only the requested prefix");
  });

  test("the host plan's messages name their page and the total; --delete applies the whole plan", async () => {
    const execution = await restore({ target: "host", prefix: "rs/", sitePrefix: "rs/", asOf: afterFirst });
    assert.equal(execution.status, "SUCCEEDED", execution.cause);
    // Looked at and left visible for the agent.
    const look = { QueueUrl: h.stack.restoreQueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 };
    const queued = await h.stack.clients.sqs.send(new ReceiveMessageCommand(look));
    const plans = (queued.Messages ?? []).map((m) => parseHostPlan(m.Body!));
    assert.deepEqual(
      plans.map((p) => [p.page, p.pages, p.part, p.parts]),
      [[0, 1, 0, 1]],
    );
    const keys = plans[0]!.files.map((f) => f.key).sort();
    assert.deepEqual(keys, ["rs/a.html", "rs/b.css", "rs/docs/c.txt", "rs/docs/keep.txt"]);

    const target = h.tempDir();
    writeTree(target, { "docs/stray.txt": "not in the site then" });
    const config = h.config(root, { prefix: "rs/", restoreQueueUrl: h.stack.restoreQueueUrl });
    const options = { prefix: "", fromQueue: true, dir: target, delete: true };
    const result = await runHostRestore(config, h.stack.clients, silentLogger, options);
    assert.equal(result.deletionSkipped, undefined);
    assert.equal(result.deleted, 1);
    assert.ok(!existsSync(join(target, "docs/stray.txt")));
    assert.equal(readFileSync(join(target, "a.html"), "utf8"), "<p>version one</p>");
  });

  test("a time older than the retention fails, naming the oldest time that can be restored", async () => {
    const execution = await restore({ target: "site", prefix: "rs/", asOf: "2001-01-01T00:00:00Z" });
    assert.equal(execution.status, "FAILED");
    assert.equal(execution.error, "RestoreTooOld");
    assert.match(execution.cause ?? "", /the oldest time that can be restored is \d{4}-\d\d-\d\dT/);
  });
});
