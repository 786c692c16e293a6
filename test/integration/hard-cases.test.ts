// Trees and failures that must cost one file, or a clear message, never the run or the process: paths too
// deep for S3 and DynamoDB keys, a file whose read fails with EIO, a full disk under the plan, a store that
// refuses a change page, plan files left by a run that died.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DeleteItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { createAwsClients } from "../../aws/clients.ts";
import { writeIndex } from "../../aws/index/files.ts";
import { acquireLock } from "../../agent/lock.ts";
import { REPLICA_FILE } from "../../agent/replica/replica-file.ts";
import { runSync } from "../../agent/sync/sync.ts";
import { ChangeRecorder } from "../../agent/sync/change-recorder.ts";
import { PlanWriter } from "../../agent/sync/plan.ts";
import { executePlan } from "../../agent/sync/execute-plan.ts";
import { silentLogger } from "../../core/logger.ts";
import { BadInputError } from "../../core/errors.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";

describe("hard cases", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test(`a directory path too long for any S3 key is skipped and reported; the rest publishes; \
no index key over its limit`, async () => {
    const root = h.tempDir();
    writeTree(root, { "ok.txt": "fine" });
    // 5 levels of 240 bytes: past S3's 1,024-byte key limit after the fourth.
    let deep = root;
    for (let i = 0; i < 5; i++) {
      deep = join(deep, String.fromCharCode(97 + i).repeat(240));
      mkdirSync(deep);
      writeFileSync(join(deep, "f.txt"), `level ${i}`);
    }
    const result = await h.publish(h.config(root, { prefix: "deep/" }));
    assert.ok(result.skipped.some((s) => /directory path is \d+ bytes of UTF-8: no file in it fits/.test(s.reason)));
    assert.equal((await h.getObject("deep/ok.txt"))?.body.toString(), "fine");
    const items = await h.stack.clients.dynamodb.send(new ScanCommand({ TableName: h.stack.definition.table }));
    for (const item of items.Items ?? []) {
      assert.ok(Buffer.byteLength(item.pk!.S!) <= 2048, `partition key of ${Buffer.byteLength(item.pk!.S!)} bytes`);
      assert.ok(Buffer.byteLength(item.sk!.S!) <= 1024, `sort key of ${Buffer.byteLength(item.sk!.S!)} bytes`);
    }
  });

  test(`the index adapter refuses keys over DynamoDB's limits, naming them, \
where the local emulator would not`, async () => {
    const longDir = "d/".repeat(1100);
    await assert.rejects(
      writeIndex(h.stack.clients.dynamodb, h.stack.definition.table, [
        { write: { kind: "mkdir", dir: longDir, name: "x" } },
      ]),
      (err: Error) =>
        err instanceof BadInputError &&
        /2202 bytes long as an index partition key; DynamoDB allows 2048/.test(err.message),
    );
    await assert.rejects(
      writeIndex(h.stack.clients.dynamodb, h.stack.definition.table, [
        { write: { kind: "mkdir", dir: "", name: "n".repeat(1100) } },
      ]),
      /1101 bytes long as an index sort key; DynamoDB allows 1024/,
    );
  });

  test(`a file whose read fails with EIO is left for the next run; \
the others publish and the run succeeds`, async () => {
    const root = h.tempDir();
    writeTree(root, { "good.txt": "good", "big.bin": Buffer.alloc(64 * 1024, 7) });
    const config = h.config(root, {
      prefix: "eio/",
      pack: { maxBytes: 1_048_576, maxFiles: 100, largeFileBytes: 32 * 1024 },
    });
    // The plan as a scan would write it, with the large file's path swapped for one the kernel answers EIO
    // on (reading /proc/self/mem at offset 0): a disk failing under the agent, without a failing disk.
    const planPath = join(h.tempDir(), "plan.jsonl");
    const plan = new PlanWriter(planPath);
    const path = (p: string) => Buffer.from(p).toString("base64");
    await plan.write({
      op: "put",
      key: "eio/good.txt",
      path: path(join(root, "good.txt")),
      size: 4,
      mtime: "1",
      ctime: "1",
      ino: "1",
      reason: "new",
    });
    await plan.write({
      op: "put",
      key: "eio/big.bin",
      path: path("/proc/self/mem"),
      size: 64 * 1024,
      mtime: "1",
      ctime: "1",
      ino: "1",
      reason: "new",
    });
    await plan.write({
      op: "put",
      key: "eio/small.bin",
      path: path("/proc/self/mem"),
      size: 10,
      mtime: "1",
      ctime: "1",
      ino: "1",
      reason: "new",
    });
    await plan.close();
    const runId = "20261202T000000000Z-e10e10";
    const stats = await executePlan(
      h.stack.clients,
      planPath,
      {
        runId,
        prefix: config.prefix,
        versionBucket: config.versionBucket,
        table: config.table,
        queueUrl: config.queueUrl,
        contentTypes: {},
        concurrency: { files: 4, uploads: 2 },
        pack: config.pack,
        settleSeconds: 0,
      },
      silentLogger,
    );
    assert.deepEqual(stats.left.map((l) => l.key).sort(), ["eio/big.bin", "eio/small.bin"]);
    assert.ok(
      stats.left.every((l) => /EIO/.test(l.reason)),
      JSON.stringify(stats.left),
    );
    assert.equal(stats.entriesSent, 1);
  });

  test("a full disk under the plan fails the write, never the process", async () => {
    const plan = new PlanWriter("/dev/full");
    const writes = Array.from({ length: 2000 }, (_, i) =>
      plan.write({ op: "mkdir", dir: "", name: `d${i}${"x".repeat(100)}` }),
    );
    await assert.rejects(
      Promise.all(writes).then(() => plan.close()),
      /ENOSPC/,
    );
  });

  test("a change page the store refuses fails the batch that needed it, never the process", async () => {
    const recorder = new ChangeRecorder(
      h.stack.clients.s3,
      "no-such-bucket",
      "20261202T000000000Z-c4c4c4",
      async () => {},
    );
    await assert.rejects(recorder.record([{ op: "put", key: "a" }]), /bucket/i);
  });

  test("plan files of a run that died are removed by the next run", async () => {
    const root = h.tempDir();
    writeTree(root, { "a.txt": "a" });
    const config = h.config(root, { prefix: "plans/" });
    mkdirSync(config.stateDir, { recursive: true });
    writeFileSync(join(config.stateDir, "plan-20261201T000000000Z-dead00.jsonl"), "{}\n");
    writeFileSync(join(config.stateDir, "plan-20261201T000000000Z-dead00.jsonl.kept"), "{}\n");
    await h.publish(config);
    assert.deepEqual(
      readdirSync(config.stateDir).filter((n) => n.startsWith("plan-")),
      [],
    );
    assert.ok(existsSync(join(config.stateDir, "sitesync.lock.db")));
  });
});

describe("the watchdog", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test("reports the longest silence of any agent as MinutesSinceLastRun; nothing before the first run", async () => {
    const { watchAgents } = await import("../../lambdas/watchdog/watch.ts");
    const deps = { dynamodb: h.stack.clients.dynamodb, table: h.stack.definition.table };
    assert.deepEqual(await watchAgents(deps), { agents: [] });
    const root = h.tempDir();
    writeTree(root, { "a.txt": "a" });
    const run = await h.publish(h.config(root, { prefix: "watched/" }));
    const soon = await watchAgents(deps);
    assert.equal(soon.minutesSinceLastRun, 0);
    assert.equal(soon.agents[0]?.lastRunId, run.runId);
    const later = await watchAgents({ ...deps, now: () => new Date(Date.now() + 3 * 3_600_000) });
    assert.equal(later.minutesSinceLastRun, 180);

    const { publishSilence } = await import("../../lambdas/watchdog/index.ts");
    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => lines.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      publishSilence(later, "local");
    } finally {
      process.stdout.write = write;
    }
    const emf = JSON.parse(lines.join(""));
    assert.equal(emf.MinutesSinceLastRun, 180);
    assert.deepEqual(emf._aws.CloudWatchMetrics[0].Dimensions, [["service", "Environment"]]);
    await h.stack.clients.dynamodb.send(
      new DeleteItemCommand({
        TableName: h.stack.definition.table,
        Key: { pk: { S: "agent" }, sk: { S: "watched//" } },
      }),
    );
  });
});

describe("a directory job that fails", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test(`the sync rejects only once every other directory job has ended; \
nothing runs after, the lock is free`, async () => {
    const root = h.tempDir();
    const tree: Record<string, string> = {};
    for (let d = 0; d < 40; d++)
      for (let f = 0; f < 20; f++) tree[`d${String(d).padStart(2, "0")}/f${f}.txt`] = `${d}/${f}`;
    writeTree(root, tree);
    const config = h.config(root, { prefix: "failjob/" });
    await h.publish(config);
    // Without the host's replica of the index, so that every directory is read from DynamoDB again.
    rmSync(join(config.stateDir, REPLICA_FILE));

    // The index read of one directory fails for good (a fault injected into this client's requests only).
    const clients = createAwsClients({ ...h.stack.servers.clientConfig, maxSockets: 64 });
    let requests = 0;
    clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        requests++;
        const input = (args as { input: { ExpressionAttributeValues?: Record<string, { S?: string }> } }).input;
        if (context.commandName === "QueryCommand" && input.ExpressionAttributeValues?.[":pk"]?.S === "d#failjob/d03") {
          throw new BadInputError("injected: this directory cannot be read from the index");
        }
        return next(args);
      },
      { step: "initialize", name: "failOneDirectory" },
    );
    try {
      await assert.rejects(runSync(config, clients, silentLogger), /injected/);
      const after = requests;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(requests, after, "no index request after the sync returned");
      acquireLock(config.stateDir, "check", silentLogger).release();
    } finally {
      clients.destroy();
    }
  });
});
