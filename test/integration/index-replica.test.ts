// The host's replica of the index (agent/replica/) on the local stack: a no-change run reads no directory
// from DynamoDB, and whatever else writes the index — a site restore, an adoption, a second host, a run
// killed mid-write — or whatever happens to the replica's file, the next run reads the directories it must
// (and only those) and publishes exactly what an agent without a replica would.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { createAwsClients, type AwsClients } from "../../aws/clients.ts";
import { getFile } from "../../aws/index/files.ts";
import { readGenerations } from "../../aws/index/generations.ts";
import { listOpenRuns } from "../../aws/index/runs.ts";
import { runAdopt } from "../../agent/adopt/adopt.ts";
import type { AgentConfig } from "../../agent/config.ts";
import { REPLICA_FILE } from "../../agent/replica/replica-file.ts";
import { openDatabase } from "../../agent/sqlite.ts";
import { runSync, type SyncOptions, type SyncResult } from "../../agent/sync/sync.ts";
import { silentLogger } from "../../core/logger.ts";
import { runCli } from "../support/cli.ts";
import { countIndexRequests, type IndexRequestCounter } from "../support/counting.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../bin/sitesync.ts");

/** An agent of its own (its own clients), whose DynamoDB requests are counted by partition. */
interface Agent {
  clients: AwsClients;
  index: IndexRequestCounter;
}

function agentOf(h: Harness): Agent {
  const settings = h.stack.agentSettings() as Pick<AgentConfig, "region" | "endpoints" | "credentials">;
  const clients = createAwsClients({ ...settings, maxSockets: 64 });
  agents.push(clients);
  return { clients, index: countIndexRequests(clients.dynamodb) };
}

const agents: AwsClients[] = [];
after(() => {
  for (const clients of agents) clients.destroy();
});

/** A sync by `agent`, then everything it sent applied and its PostSync done; its index requests counted afresh. */
async function sync(h: Harness, agent: Agent, config: AgentConfig, options: SyncOptions = {}): Promise<SyncResult> {
  agent.index.reset();
  const result = await runSync(config, agent.clients, silentLogger, options);
  if (!result.dryRun && (result.publish?.entriesSent ?? 0) > 0) await h.stack.waitForRun(result.runId, 60_000);
  await h.waitForPostSync(result);
  return result;
}

const work = (r: SyncResult) =>
  r.plan.put + r.plan.record + r.plan.delete + r.plan.resend + r.plan.mkdir + r.plan.rmdir;
const body = async (h: Harness, key: string) => (await h.getObject(key))?.body.toString();

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

function tree(dirs: string[], files: number, tag = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const dir of dirs) for (let i = 0; i < files; i++) out[`${dir}${dir ? "/" : ""}f${i}.txt`] = `${dir} ${i}${tag}`;
  return out;
}

describe("the index replica", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test("a no-change run reads no directory from DynamoDB; a change reads only its directory", async (t) => {
    const agent = agentOf(h);
    const root = h.tempDir();
    writeTree(root, tree(["", "a", "b", "b/c", "d"], 5));
    const config = h.config(root, { prefix: "quiet/" });

    const first = await sync(h, agent, config);
    assert.equal(first.plan.put, 25);
    assert.match(first.replica.rebuilt ?? "", /there was none/, "the first run makes the replica");
    assert.equal(first.diff.fromIndex, 5, "and reads every directory once");
    assert.deepEqual(first.replica.written, { current: 5, stale: 0 }, "what it wrote, it knows current");

    const second = await sync(h, agent, config);
    assert.equal(work(second), 0);
    assert.equal(second.diff.unchanged, 25);
    assert.deepEqual(agent.index.directoriesRead(), [], "no directory partition read");
    assert.equal(second.diff.fromReplica, 5);
    assert.equal(second.replica.appliedRuns, 1, "the first run, fully applied, is learnt as published");
    t.diagnostic(`no-change run: ${agent.index.requests.length} DynamoDB requests (${describeRequests(agent.index)})`);

    writeFileSync(join(root, "b/c/f3.txt"), "changed, and longer than before");
    const third = await sync(h, agent, config);
    assert.equal(third.plan.put, 1);
    assert.deepEqual(agent.index.directoriesRead(), ["d#quiet/b/c"], "only the changed directory is read");
    assert.equal(await body(h, "quiet/b/c/f3.txt"), "changed, and longer than before");

    // Long after its re-send delay, the third run's entry does not make the directory read again: its run
    // was fully applied, so the replica knows it published.
    await age(h, third.runId, 24 * 60);
    const fourth = await sync(h, agent, config);
    assert.equal(work(fourth), 0);
    assert.deepEqual(agent.index.directoriesRead(), []);

    // A new directory and a removed one: the parent and the new directory are read, the removed one is
    // deleted from what the index holds.
    writeTree(root, { "e/new.txt": "new" });
    rmSync(join(root, "d"), { recursive: true });
    const fifth = await sync(h, agent, config);
    assert.equal(fifth.plan.put, 1);
    assert.equal(fifth.plan.delete, 5);
    assert.deepEqual(agent.index.directoriesRead(), ["d#quiet", "d#quiet/d", "d#quiet/e"]);
    assert.equal(await body(h, "quiet/e/new.txt"), "new");
    assert.equal(await h.getObject("quiet/d/f0.txt"), undefined);
    const sixth = await sync(h, agent, config);
    assert.equal(work(sixth), 0);
    assert.deepEqual(agent.index.directoriesRead(), []);
  });

  test(`after a site restore of docs/ the next sync reads docs/ (and nothing else) \
and publishes the host's files there again`, async () => {
    const agent = agentOf(h);
    const root = h.tempDir();
    writeTree(root, {
      "a.html": "<p>a</p>",
      "docs/c.txt": "c one",
      "docs/keep.txt": "kept",
      "docs/sub/d.txt": "d one",
      "other/e.txt": "e",
    });
    const config = h.config(root, { prefix: "rs/" });
    await sync(h, agent, config);
    await new Promise((r) => setTimeout(r, 20));
    const afterFirst = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(join(root, "docs/c.txt"), "c two, changed");
    writeFileSync(join(root, "docs/sub/d.txt"), "d two, changed");
    await sync(h, agent, config);
    assert.equal(work(await sync(h, agent, config)), 0);

    const started = await h.stack.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: h.stack.postSync.restoreStateMachineArn,
        input: JSON.stringify({ target: "site", prefix: "rs/docs/", sitePrefix: "rs/", asOf: afterFirst }),
      }),
    );
    const execution = await h.stack.postSync.server.waitForExecution(started.executionArn!, 60_000);
    assert.equal(execution.status, "SUCCEEDED", execution.cause);
    const output = JSON.parse(execution.output!);
    assert.equal(output.restored, 2);
    await h.stack.waitForRun(output.runId, 30_000);
    await h.stack.postSync.server.waitForExecution(output.postSyncExecutionArn, 60_000);
    assert.equal(await body(h, "rs/docs/c.txt"), "c one", "the site is back to the first run");

    const next = await sync(h, agent, config);
    assert.deepEqual(agent.index.directoriesRead(), ["d#rs/docs", "d#rs/docs/sub"], "only what the restore wrote");
    assert.equal(next.plan.put, 2);
    assert.equal(await body(h, "rs/docs/c.txt"), "c two, changed", "the host's files are published again");
    assert.equal(await body(h, "rs/docs/sub/d.txt"), "d two, changed");
    assert.equal(await body(h, "rs/docs/keep.txt"), "kept");
    assert.equal(work(await sync(h, agent, config)), 0);
    assert.deepEqual(agent.index.directoriesRead(), []);
  });

  test(`after an adoption the next sync reads what adoption wrote and uploads exactly what it left; \
the run after reads nothing`, async () => {
    const agent = agentOf(h);
    const root = h.tempDir();
    const copied = new Date(Date.UTC(2025, 0, 1));
    writeTree(root, { "own.html": "synced by sitesync", "old/x.txt": "x" }, copied);
    writeTree(root, { "copy/a.txt": "a", "copy/b.txt": "b", "copy/deep/c.txt": "c" }, copied);
    // sitesync publishes part of the tree; another tool copied the rest, one file of which changed since.
    const prefix = "adopted/";
    const config = h.config(root, { prefix, exclude: ["copy/**"] });
    await sync(h, agent, config);
    for (const [rel, text] of Object.entries({
      "copy/a.txt": "a",
      "copy/b.txt": "an older b",
      "copy/deep/c.txt": "c",
    })) {
      await h.stack.clients.s3.send(
        new PutObjectCommand({ Bucket: h.stack.definition.siteBucket, Key: `${prefix}${rel}`, Body: text }),
      );
    }
    const all = { ...config, exclude: [] };
    const adopted = await runAdopt(all, h.stack.clients, silentLogger);
    assert.equal(adopted.matched, 2, "copy/a.txt and copy/deep/c.txt");
    assert.equal(adopted.unmatched, 1, "copy/b.txt");

    const next = await sync(h, agent, all);
    assert.equal(next.plan.put, 1, "copy/b.txt, which differs from the copy");
    assert.equal(await body(h, "adopted/copy/b.txt"), "b");
    const read = agent.index.directoriesRead();
    assert.ok(read.includes("d#adopted/copy") && read.includes("d#adopted/copy/deep"), read.join(" "));
    assert.ok(!read.includes("d#adopted/old"), "a directory adoption did not write is not read");
    const after = await sync(h, agent, all);
    assert.equal(work(after), 0);
    assert.deepEqual(agent.index.directoriesRead(), []);
  });

  test(`a second host on the same tree and prefix: neither undoes what the other published, \
and each reads only what the other wrote`, async () => {
    const hostA = agentOf(h);
    const hostB = agentOf(h);
    const root = h.tempDir();
    writeTree(root, tree(["", "x", "y"], 3));
    const configA = h.config(root, { prefix: "two/" });
    const configB = h.config(root, { prefix: "two/" });
    assert.notEqual(configA.stateDir, configB.stateDir);
    await sync(h, hostA, configA);
    const b0 = await sync(h, hostB, configB);
    assert.equal(work(b0), 0, "host B finds the site published");
    assert.match(b0.replica.rebuilt ?? "", /there was none/);

    // Host B publishes a change, a new file and a deletion in x/.
    writeFileSync(join(root, "x/f0.txt"), "x 0, changed on host B's watch");
    writeFileSync(join(root, "x/new.txt"), "new");
    rmSync(join(root, "x/f1.txt"));
    const b1 = await sync(h, hostB, configB);
    assert.deepEqual([b1.plan.put, b1.plan.delete], [2, 1]);

    const a1 = await sync(h, hostA, configA);
    assert.equal(work(a1), 0, "host A neither uploads again nor deletes nor re-creates");
    assert.deepEqual(hostA.index.directoriesRead(), ["d#two/x"], "host A reads the directory host B wrote");
    assert.equal(await body(h, "two/x/f0.txt"), "x 0, changed on host B's watch");
    assert.equal(await body(h, "two/x/new.txt"), "new");
    assert.equal(await h.getObject("two/x/f1.txt"), undefined);
    assert.equal(work(await sync(h, hostA, configA)), 0);
    assert.deepEqual(hostA.index.directoriesRead(), [], "host A's replica now holds host B's records");
    assert.equal(work(await sync(h, hostB, configB)), 0);
    assert.deepEqual(hostB.index.directoriesRead(), []);
  });

  test(`a second host whose own copy of the tree still has a file's old version sees the new desired \
state: its plan is the plan of an agent without a replica`, async () => {
    const hostA = agentOf(h);
    const hostB = agentOf(h);
    const files = tree(["", "p", "q"], 3);
    const rootA = h.tempDir();
    const rootB = h.tempDir();
    writeTree(rootA, files);
    const configA = h.config(rootA, { prefix: "copies/" });
    await sync(h, hostA, configA);
    assert.equal(work(await sync(h, hostA, configA)), 0, "host A's replica is current");

    // Host B's tree is a copy of host A's in which p/f2.txt changed; it publishes that.
    writeTree(rootB, { ...files, "p/f2.txt": "the new version, from host B" });
    const configB = h.config(rootB, { prefix: "copies/" });
    await sync(h, hostB, configB);
    assert.equal(await body(h, "copies/p/f2.txt"), "the new version, from host B");
    const desiredB = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "copies/p/f2.txt");

    // Host A's tree and replica still agree on the old version; the index does not.
    const planA = await sync(h, hostA, configA, { dryRun: true, showPlan: 100 });
    assert.ok(hostA.index.directoriesRead().includes("d#copies/p"), "host A reads what host B wrote");
    const put = planA.preview.find((op) => op.op === "put" && op.key === "copies/p/f2.txt");
    assert.ok(put && put.op === "put", "host A's file differs from the index's desired record");
    assert.equal(put.published?.version, desiredB?.desired.version, "the plan carries host B's publication");
    const fresh = await sync(
      h,
      agentOf(h),
      { ...configA, stateDir: join(h.tempDir(), "none") },
      {
        dryRun: true,
        showPlan: 100,
      },
    );
    assert.deepEqual(planA.plan, fresh.plan, "the same plan as an agent without a replica");
    const sorted = (r: SyncResult) => r.preview.map((op) => JSON.stringify(op)).sort();
    assert.deepEqual(sorted(planA), sorted(fresh));
  });

  test("a deleted replica is made again: every directory read once, nothing published wrongly", async () => {
    const agent = agentOf(h);
    const root = h.tempDir();
    writeTree(root, tree(["", "m", "n"], 4));
    const config = h.config(root, { prefix: "deleted/" });
    await sync(h, agent, config);
    rmSync(join(config.stateDir, REPLICA_FILE));
    writeFileSync(join(root, "n/f1.txt"), "changed while the replica was gone");
    const next = await sync(h, agent, config);
    assert.match(next.replica.rebuilt ?? "", /there was none/);
    assert.deepEqual(agent.index.directoriesRead(), ["d#deleted", "d#deleted/m", "d#deleted/n"]);
    assert.equal(next.plan.put, 1);
    assert.equal(await body(h, "deleted/n/f1.txt"), "changed while the replica was gone");
    assert.equal(work(await sync(h, agent, config)), 0);
    assert.deepEqual(agent.index.directoriesRead(), []);
  });

  test("a corrupt, damaged, foreign or older replica is never trusted: it is made again", async () => {
    const agent = agentOf(h);
    const root = h.tempDir();
    writeTree(root, tree(["", "k"], 4));
    const config = h.config(root, { prefix: "corrupt/" });
    await sync(h, agent, config);
    const replicaPath = join(config.stateDir, REPLICA_FILE);
    const rebuiltBy = async (damage: () => void, reason: RegExp) => {
      assert.equal(work(await sync(h, agent, config)), 0);
      assert.deepEqual(agent.index.directoriesRead(), []);
      damage();
      writeFileSync(join(root, "k/f2.txt"), `changed: ${reason.source}`);
      const next = await sync(h, agent, config);
      assert.match(next.replica.rebuilt ?? "", reason);
      assert.deepEqual(agent.index.directoriesRead(), ["d#corrupt", "d#corrupt/k"]);
      assert.equal(next.plan.put, 1);
      assert.equal(await body(h, "corrupt/k/f2.txt"), `changed: ${reason.source}`);
    };

    // Not a database at all.
    await rebuiltBy(() => writeFileSync(replicaPath, "this is not SQLite, it was overwritten"), /could not be read/);
    // A database whose pages were overwritten in the middle (past the header and the schema).
    await rebuiltBy(() => {
      const bytes = readFileSync(replicaPath);
      assert.ok(bytes.length > 8192, "the replica has pages past its first");
      bytes.fill(0x5a, 4096, bytes.length);
      writeFileSync(replicaPath, bytes);
    }, /could not be read|damaged/);
    // Another site's replica (another prefix of the same table).
    const otherRoot = h.tempDir();
    writeTree(otherRoot, { "z.txt": "z" });
    const other = h.config(otherRoot, { prefix: "elsewhere/" });
    await sync(h, agent, other);
    await rebuiltBy(() => copyFileSync(join(other.stateDir, REPLICA_FILE), replicaPath), /another index.*prefix/);
    // An older schema.
    await rebuiltBy(() => {
      const db = openDatabase(replicaPath);
      db.exec("UPDATE meta SET value = '0' WHERE name = 'schema'");
      db.close();
    }, /schema 0/);
    assert.ok(statSync(replicaPath).size > 0);
  });

  test(`a directory found all unchanged is decided from its scan's fingerprint alone, until its scan, its \
rows or the index change`, async () => {
    const agent = agentOf(h);
    const root = h.tempDir();
    writeTree(root, tree(["", "a", "b"], 3));
    const config = h.config(root, { prefix: "seen/" });
    await sync(h, agent, config);
    const learnt = await sync(h, agent, config);
    assert.deepEqual([work(learnt), learnt.diff.fromReplica, learnt.diff.asLastSeen], [0, 3, 0], "rows read");
    const quiet = await sync(h, agent, config);
    assert.deepEqual([work(quiet), quiet.diff.fromReplica, quiet.diff.asLastSeen], [0, 3, 3], "rows not read");
    assert.equal(quiet.diff.unchanged, 9);
    assert.deepEqual(agent.index.directoriesRead(), []);

    // A file re-uploaded with the same bytes: b's scan differs, so its rows are looked at again.
    const later = new Date(Date.now() - 3_600_000);
    utimesSync(join(root, "b/f1.txt"), later, later);
    const touched = await sync(h, agent, config);
    assert.equal(touched.plan.put, 1);
    assert.equal(touched.diff.asLastSeen, 2);
    assert.equal(touched.publish?.entriesSent ?? 0, 0, "same bytes: only the new mtime is recorded");
    // The run's own write to b's rows cleared b's fingerprint: b is merged against its rows once more.
    const after = await sync(h, agent, config);
    assert.deepEqual([work(after), after.diff.asLastSeen], [0, 2]);
    assert.equal((await sync(h, agent, config)).diff.asLastSeen, 3);

    // Another host publishes a/f0.txt from its own copy of the tree. This host's scan of a/ is unchanged,
    // but a/'s generation moved: a/ is read from DynamoDB, and this host's older copy is published again.
    const other = agentOf(h);
    const otherRoot = h.tempDir();
    writeTree(otherRoot, { ...tree(["", "a", "b"], 3), "a/f0.txt": "another host's a/f0" });
    await sync(h, other, h.config(otherRoot, { prefix: "seen/" }));
    assert.equal(await body(h, "seen/a/f0.txt"), "another host's a/f0");
    const back = await sync(h, agent, config);
    assert.ok(agent.index.directoriesRead().includes("d#seen/a"), "a/ is read, not decided from its scan");
    assert.equal(back.diff.asLastSeen, 0, "the other host wrote every directory");
    assert.equal(await body(h, "seen/a/f0.txt"), "a 0", "this host's a/f0.txt differs from the index's");
  });

  test("the deletion guard counts the files of directories decided from their fingerprint", async () => {
    const agent = agentOf(h);
    const root = h.tempDir();
    writeTree(root, tree(["t/a", "t/b"], 30));
    const config = h.config(root, {
      prefix: "guarded/",
      deleteGuard: { maxShare: 0.5, minFiles: 10, minDirectoryFiles: 1000 },
    });
    await sync(h, agent, config);
    await sync(h, agent, config);
    // 25 of t/'s 60 files go: 42%, allowed, but only if t/a's 30, decided from its fingerprint, are counted
    // (25 of 30 would be refused).
    for (let i = 0; i < 25; i++) rmSync(join(root, `t/b/f${i}.txt`));
    const deleting = await sync(h, agent, config);
    assert.equal(deleting.diff.asLastSeen, 3, "the root, t/ and t/a/ from their fingerprints");
    assert.equal(deleting.plan.delete, 25);
    assert.equal(await h.getObject("guarded/t/b/f0.txt"), undefined);
  });

  test(`in a current directory with a few changes among many files, only those files are read from DynamoDB, \
and the plan is what a whole read would make`, async () => {
    const agent = agentOf(h);
    const root = h.tempDir();
    writeTree(root, tree(["", "big", "small"], 30));
    const config = h.config(root, { prefix: "keys/" });
    await sync(h, agent, config);
    await sync(h, agent, config);

    // In big/ (30 files): one changed, one removed, one new.
    writeFileSync(join(root, "big/f3.txt"), "big 3, changed");
    rmSync(join(root, "big/f7.txt"));
    writeFileSync(join(root, "big/new.txt"), "new in big");
    const changed = await sync(h, agent, config);
    assert.deepEqual([changed.plan.put, changed.plan.delete], [2, 1]);
    assert.deepEqual(agent.index.directoriesRead(), [], "no directory read whole");
    assert.deepEqual(agent.index.filesRead(), ["d#keys/big/f3.txt", "d#keys/big/f7.txt", "d#keys/big/new.txt"]);
    assert.deepEqual([changed.diff.fromIndexFiles, changed.diff.filesRead], [1, 3]);
    assert.equal(await body(h, "keys/big/f3.txt"), "big 3, changed");
    assert.equal(await body(h, "keys/big/new.txt"), "new in big");
    assert.equal(await h.getObject("keys/big/f7.txt"), undefined);

    // The rows read replaced the replica's, and the run's own writes went in after them: nothing to do.
    const after = await sync(h, agent, config);
    assert.equal(work(after), 0);
    assert.deepEqual([agent.index.directoriesRead(), agent.index.filesRead()], [[], []]);

    // Many changes in one directory: read whole, as one Query costs less than many keys.
    for (let i = 0; i < 10; i++) writeFileSync(join(root, `small/f${i}.txt`), `small ${i}, changed`);
    const many = await sync(h, agent, config);
    assert.equal(many.plan.put, 10);
    assert.deepEqual(agent.index.directoriesRead(), ["d#keys/small"]);
    assert.deepEqual(agent.index.filesRead(), []);
  });

  test("rows that disagree with the tree only make the agent read the directory", async () => {
    const agent = agentOf(h);
    const root = h.tempDir();
    writeTree(root, tree(["", "r", "s"], 4));
    const config = h.config(root, { prefix: "tampered/" });
    await sync(h, agent, config);
    assert.equal(work(await sync(h, agent, config)), 0);
    // A replica that is wrong about two files of r/ (a size, a publication): the kind of error generations
    // do not catch (the replica's own), which must cost a read and never a publication.
    const db = openDatabase(join(config.stateDir, REPLICA_FILE));
    db.exec("UPDATE entries SET size = size + 1 WHERE dir = 'tampered/r' AND sk = 'f0.txt'");
    db.close();
    // The verdict of the last scan stands while neither the tree nor the index changed: r/ is not read.
    const unread = await sync(h, agent, config);
    assert.equal(work(unread), 0);
    assert.deepEqual(agent.index.directoriesRead(), []);
    // A row the replica holds as unpublished is settled at the start of the next run, and that change to
    // r/'s rows clears its fingerprint (as every change to rows through the replica does).
    const again = openDatabase(join(config.stateDir, REPLICA_FILE));
    again.exec("UPDATE entries SET pv = 'another-version', pending = 1 WHERE dir = 'tampered/r' AND sk = 'f1.txt'");
    again.close();
    const next = await sync(h, agent, config);
    assert.equal(work(next), 0, "DynamoDB says nothing changed");
    assert.deepEqual(agent.index.directoriesRead(), ["d#tampered/r"]);
    assert.equal(work(await sync(h, agent, config)), 0);
    assert.deepEqual(agent.index.directoriesRead(), [], "the rows read replaced the wrong ones");
  });
});

describe("the index replica and a run killed mid-write (SIGKILL after its first manifests)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ apply: false });
  });
  after(() => h.close());

  const queueDepth = async () => {
    const res = await h.stack.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: h.stack.queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    return Number(res.Attributes?.ApproximateNumberOfMessages ?? "0");
  };

  const killMidRun = async (config: string) => {
    const child = spawn(process.execPath, [CLI, "sync", "--config", config], { stdio: "ignore" });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const before = await queueDepth();
    while ((await queueDepth()) === before) await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGKILL");
    assert.equal(await exited, null, "killed, not finished");
  };

  const syncCli = async (config: string): Promise<SyncResult> => {
    const res = await runCli(["sync", "--config", config, "--json"]);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as SyncResult;
  };

  test(`the next run reads what the killed run wrote, publishes every file, \
and the run after reads nothing`, async () => {
    const root = h.tempDir();
    const files: Record<string, string> = {};
    for (let i = 0; i < 400; i++) files[`d${i % 8}/f${i}.txt`] = `file ${i}`;
    writeTree(root, files);
    // Small packs, one upload at a time: many commits, so the kill lands between two of them.
    const config = h.configFile(root, {
      prefix: "killed/",
      pack: { maxFiles: 10, maxBytes: 1_048_576, largeFileBytes: 524_288 },
      concurrency: { uploads: 1 },
    });
    const source = h.stack.startApply({ onError: () => {} });
    try {
      // A first run publishes half of the tree, so the replica has rows and generations to lose.
      const first = await syncCli(config);
      await h.stack.waitForRun(first.runId, 60_000);
      const changed: Record<string, string> = {};
      for (let i = 0; i < 400; i += 2) changed[`d${i % 8}/f${i}.txt`] = `file ${i}, changed`;
      writeTree(root, changed);
      Object.assign(files, changed);
    } finally {
      await source.stop();
    }

    await killMidRun(config);
    const [killed] = await listOpenRuns(h.stack.clients.dynamodb, h.stack.definition.table, "killed/");
    assert.equal(killed?.status, "running");
    assert.ok(existsSync(join(dirname(config), "state", REPLICA_FILE)));

    const apply = h.stack.startApply({ onError: () => {} });
    try {
      const next = await syncCli(config);
      assert.equal(next.replica.rebuilt, undefined, "the replica the killed run left is whole");
      assert.ok(next.diff.fromIndex > 0, "the directories the killed run wrote are read");
      const left = next.plan.put + next.plan.resend;
      assert.ok(left > 0 && left <= 200, `${left} left by the killed run`);
      await h.stack.waitForRun(next.runId, 60_000);
      // What the killed run sent is applied from the queue as it comes.
      const wrong = async () => {
        const keys = Object.keys(files);
        const bodies = await Promise.all(keys.map((rel) => body(h, `killed/${rel}`)));
        return keys.filter((rel, i) => bodies[i] !== files[rel]);
      };
      const deadline = Date.now() + 60_000;
      while ((await wrong()).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      assert.deepEqual(await wrong(), [], "every file is published as the tree has it");
      // A directory the killed run was writing when it died still counts it as a writer: no replica trusts
      // it until that writer's lease ends (an hour), so it alone is read meanwhile.
      const table = h.stack.definition.table;
      const generations = await readGenerations(h.stack.clients.dynamodb, table, "killed/");
      const dying = [...generations.values()].filter((g) => g.writers > 0);
      const after = await syncCli(config);
      assert.equal(work(after), 0);
      assert.equal(after.diff.fromIndex, dying.length, "only a directory a dead writer may be writing is read");
      for (const g of dying) {
        await h.stack.clients.dynamodb.send(
          new UpdateItemCommand({
            TableName: table,
            Key: { pk: { S: "gens" }, sk: { S: `${g.dir}/` } },
            UpdateExpression: "SET ws = :long",
            ExpressionAttributeValues: { ":long": { S: new Date(Date.now() - 2 * 3_600_000).toISOString() } },
          }),
        );
      }
      const later = await syncCli(config);
      assert.equal(later.diff.fromIndex, dying.length, "read once more when the lease ran out, and recorded");
      const last = await syncCli(config);
      assert.equal(work(last), 0);
      assert.equal(last.diff.fromIndex, 0, "then no directory is read");
    } finally {
      await apply.stop();
    }
  });
});

function describeRequests(counter: IndexRequestCounter): string {
  const by = new Map<string, number>();
  for (const r of counter.requests) {
    const what = r.pk !== undefined ? `${r.command} ${r.pk.replace(/^(r#|d#).*/, "$1…")}` : r.command;
    by.set(what, (by.get(what) ?? 0) + 1);
  }
  return [...by].map(([what, n]) => `${n} ${what}`).join(", ");
}
