// Nothing a run sent may go without being published, listed and invalidated, whatever happens to the
// process that sent it: a run killed mid-way, a PostSync that could not be started, messages that expired
// or died in the dead-letter queue, a later run that cannot read the directory or deletes nothing.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, PurgeQueueCommand } from "@aws-sdk/client-sqs";
import { getFile } from "../../aws/index/files.ts";
import { getRun, listOpenRuns } from "../../aws/index/runs.ts";
import type { SyncResult } from "../../agent/sync/sync.ts";
import { runCli } from "../support/cli.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../bin/sitesync.ts");

function files(n: number, dirs: number, tag = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < n; i++) out[`d${i % dirs}/f${i}.txt`] = `file ${i}${tag}`;
  return out;
}

async function queueDepth(h: Harness): Promise<number> {
  const res = await h.stack.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: h.stack.queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(res.Attributes?.ApproximateNumberOfMessages ?? "0");
}

/** Sets a run's finish time back, as if `minutes` had passed since it finished sending. */
async function age(h: Harness, runId: string, minutes: number): Promise<void> {
  await h.stack.clients.dynamodb.send(
    new UpdateItemCommand({
      TableName: h.stack.definition.table,
      Key: { pk: { S: "runs" }, sk: { S: runId } },
      UpdateExpression: "SET finished = :f",
      ExpressionAttributeValues: { ":f": { S: new Date(Date.now() - minutes * 60_000).toISOString() } },
    }),
  );
}

describe("a run killed mid-way (SIGKILL after its first manifests)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ apply: false });
  });
  after(() => h.close());

  test(`the next run re-sends what it left, starts its PostSync, and every file, \
listing and path follows`, async () => {
    const root = h.tempDir();
    writeTree(root, files(600, 12));
    // Small packs, one upload at a time: many commits, so the kill lands between two of them.
    const config = h.configFile(root, {
      prefix: "killed/",
      pack: { maxFiles: 10, maxBytes: 1_048_576, largeFileBytes: 524_288 },
      concurrency: { uploads: 1 },
    });
    const child = spawn(process.execPath, [CLI, "sync", "--config", config], { stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    while ((await queueDepth(h)) === 0) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGKILL");
    assert.equal(await exited, null, "killed, not finished");
    const [crashed] = await listOpenRuns(h.stack.clients.dynamodb, h.stack.definition.table, "killed/");
    assert.ok(crashed, "the killed run is still open");
    assert.equal(crashed.status, "running");
    // Killed after a message reached SQS: its count may or may not have been recorded, never all of them.
    assert.ok(crashed.sent < 600, `it had sent part of its entries (${crashed.sent} counted)`);

    const source = h.stack.startApply({ onError: () => {} });
    try {
      const next = await runCli(["sync", "--config", config, "--json"]);
      assert.equal(next.code, 0, next.stderr);
      const result = JSON.parse(next.stdout) as SyncResult;
      // Entries the killed run indexed but never sent are re-sent; the files it never reached are new.
      const left = result.plan.resend + result.plan.put;
      assert.ok(left > 0 && left <= 600 - crashed.sent, `${left} left by a run that sent ${crashed.sent}`);
      assert.deepEqual(
        result.settled?.map((s) => s.runId),
        [crashed.runId],
        "the killed run's PostSync is started",
      );
      const killedRun = await getRun(h.stack.clients.dynamodb, h.stack.definition.table, crashed.runId);
      assert.equal(killedRun?.status, "interrupted");
      for (const arn of [result.postSyncExecutionArn, result.settled![0]!.executionArn]) {
        if (!arn) continue;
        const execution = await h.stack.postSync.server.waitForExecution(arn, 120_000);
        assert.equal(execution.status, "SUCCEEDED", `${execution.error}: ${execution.cause}`);
      }
      assert.deepEqual(await listOpenRuns(h.stack.clients.dynamodb, h.stack.definition.table, "killed/"), []);
      const keys = await h.listSiteFiles("killed/");
      assert.equal(keys.length, 600, "every file is published");
      for (let d = 0; d < 12; d++) {
        const listing = await h.getObject(`killed/d${d}/index.html`);
        assert.equal(listing?.metadata.generated, "true", `d${d} has its listing`);
        assert.equal(
          (listing!.body.toString().match(/f\d+\.txt</g) ?? []).length,
          50,
          `d${d}'s listing names all 50 files`,
        );
      }
      const paths = new Set(h.stack.postSync.cloudFront!.allPaths());
      assert.ok(
        paths.has("/killed/*") || [...Array(12).keys()].every((d) => paths.has(`/killed/d${d}/*`)),
        [...paths].join(" "),
      );
    } finally {
      await source.stop();
    }
  });
});

describe("a PostSync that could not be started", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test("fails the run (exit 1) and is started by the next run, which has nothing else to do", async () => {
    const root = h.tempDir();
    writeTree(root, { "a/one.html": "1", "a/two.html": "2" });
    const missing = "arn:aws:states:us-east-1:000000000000:stateMachine:NoSuchMachine";
    const broken = h.configFile(root, { prefix: "nostart/", postSyncStateMachineArn: missing });
    const first = await runCli(["sync", "--config", broken]);
    assert.equal(first.code, 1);
    assert.match(first.stderr, /PostSync.*could not be started.*the next run starts it/);
    const [open] = await listOpenRuns(h.stack.clients.dynamodb, h.stack.definition.table, "nostart/");
    assert.equal(open?.status, "sent", "the run finished sending and stays open for its PostSync");

    const fixed = h.configFile(root, { prefix: "nostart/" });
    const second = await runCli(["sync", "--config", fixed, "--json"]);
    assert.equal(second.code, 0, second.stderr);
    const result = JSON.parse(second.stdout) as SyncResult;
    assert.equal(result.plan.put + result.plan.delete + result.plan.resend, 0);
    assert.equal(result.settled?.[0]?.runId, open!.runId);
    const execution = await h.stack.postSync.server.waitForExecution(result.settled![0]!.executionArn, 60_000);
    assert.equal(execution.status, "SUCCEEDED");
    assert.equal((await h.getObject("nostart/a/index.html"))?.metadata.generated, "true");
    assert.deepEqual(await listOpenRuns(h.stack.clients.dynamodb, h.stack.definition.table, "nostart/"), []);
  });
});

describe("entries sent but never applied", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ apply: false });
  });
  after(() => h.close());

  test("messages that expired from the queue are re-sent once the run is overdue, until published", async () => {
    const root = h.tempDir();
    writeTree(root, { "x/a.txt": "a", "x/b.txt": "b" });
    const config = h.config(root, { prefix: "expired/", postSyncStateMachineArn: undefined });
    const first = await h.sync(config);
    assert.equal(first.publish?.entriesSent, 2);
    await h.stack.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: h.stack.queueUrl }));

    const soon = await h.sync(config);
    assert.equal(soon.plan.resend, 0, "still within the resend delay: in flight");
    assert.equal(soon.diff.inFlight, 2);

    await age(h, first.runId, config.resendAfterMinutes + 1);
    const source = h.stack.startApply({ onError: () => {} });
    try {
      const late = await h.sync(config);
      assert.equal(late.plan.byReason["resend:overdue"], 2);
      await h.stack.waitForRun(late.runId, 30_000);
      assert.equal((await h.getObject("expired/x/a.txt"))?.body.toString(), "a");
      const record = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "expired/x/a.txt");
      assert.equal(record?.desired.run, late.runId, "the record moved to the run that re-sent it");
      assert.equal(record?.published?.version, record?.desired.version);
      const after = await h.sync(config);
      assert.equal(after.plan.resend, 0, "published: nothing more to re-send");
    } finally {
      await source.stop();
    }
  });
});

describe("re-sending whatever the next run looks like", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ apply: false });
  });
  after(() => h.close());

  test("a --no-delete run re-sends the deletions an earlier run decided", async () => {
    const root = h.tempDir();
    writeTree(root, { "a.txt": "a", "b.txt": "b" });
    const config = h.config(root, { prefix: "nodel/", postSyncStateMachineArn: undefined });
    const source = h.stack.startApply({ onError: () => {} });
    const first = await h.sync(config);
    await h.stack.waitForRun(first.runId, 30_000);
    await source.stop();
    rmSync(join(root, "b.txt"));
    const deleting = await h.sync(config);
    assert.equal(deleting.plan.delete, 1);
    await h.stack.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: h.stack.queueUrl }));
    await age(h, deleting.runId, config.resendAfterMinutes + 1);

    const again = h.stack.startApply({ onError: () => {} });
    try {
      const noDelete = await h.sync({ ...config, delete: false });
      assert.equal(noDelete.plan.delete, 0, "decides no new deletion");
      assert.equal(noDelete.plan.resend, 1, "but re-sends the one already decided");
      await h.stack.waitForRun(noDelete.runId, 30_000);
      assert.equal(await h.getObject("nodel/b.txt"), undefined);
    } finally {
      await again.stop();
    }
  });
});

describe("a directory the next run cannot read", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test("what an earlier run left unsent beneath it is still re-sent, and nothing there is deleted", async () => {
    const root = h.tempDir();
    writeTree(root, { "open/a.txt": "a", "secret/deep/s.txt": "s", "secret/t.txt": "t" });
    const good = h.configFile(root, { prefix: "blind/" });
    const stateDir = join(dirname(good), "state");
    // A queue that does not exist: the run writes the index, then fails to send (as a crash would).
    const noQueue = h.configFile(root, { prefix: "blind/", stateDir, queueUrl: `${h.stack.queueUrl}-missing` });
    const failed = await runCli(["sync", "--config", noQueue]);
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(await h.getObject("blind/secret/t.txt"), undefined);

    chmodTree(root, dirname(good));
    chmodSync(join(root, "secret"), 0o000);
    try {
      const next = await runCli(["sync", "--config", good, "--json"], { unprivileged: true });
      assert.equal(next.code, 0, next.stderr);
      const result = JSON.parse(next.stdout) as SyncResult;
      assert.ok(
        result.diff.unreadable.some((u) => u.key === "secret"),
        "secret/ is reported unreadable",
      );
      assert.equal(result.plan.delete, 0, "nothing under it is deleted");
      assert.equal(result.plan.byReason["resend:unsent"], 2, "its unsent entries are re-sent");
      // open/a.txt's chmod above moved its ctime: it is read and staged again rather than re-sent.
      assert.equal(result.plan.byReason["put:metadata"], 1);
      await h.stack.waitForRun(result.runId, 30_000);
      assert.equal((await h.getObject("blind/secret/deep/s.txt"))?.body.toString(), "s");
      assert.equal((await h.getObject("blind/secret/t.txt"))?.body.toString(), "t");
    } finally {
      chmodSync(join(root, "secret"), 0o755);
    }
  });
});

/** Lets the unprivileged user read the tree and the configuration, and write the state directory. */
function chmodTree(...dirs: string[]): void {
  for (const dir of dirs) {
    chmodSync(dir, 0o777);
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      chmodSync(join(entry.parentPath, entry.name), entry.isDirectory() ? 0o777 : 0o666);
    }
  }
}
