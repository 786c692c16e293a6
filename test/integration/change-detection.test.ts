// Change detection beyond size and mtime, end to end on the local stack: a rewrite that keeps size and mtime
// is published (ctime, inode); a file still being written is left for a later run (the settle window); a
// mass re-upload of the same bytes publishes nothing and records only the new times (the digest); records
// without a ctime or inode (adopted, older agents) get them with no read and no publication.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { getFile } from "../../aws/index/files.ts";
import { advancingGenerations } from "../../aws/index/generations.ts";
import { fileKey } from "../../aws/index/items.ts";
import { executePlan, planOptions } from "../../agent/sync/execute-plan.ts";
import { PlanWriter } from "../../agent/sync/plan.ts";
import { formatSummary } from "../../agent/summaries.ts";
import { silentLogger } from "../../core/logger.ts";
import { splitKey } from "../../core/keys.ts";
import { mtimeFromNs } from "../../core/mtime.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";
import { countRequests, S3_WRITES, type RequestCounter } from "../support/counting.ts";

/** A whole second, so that setting it back with utimes restores the exact nanoseconds. */
const EARLIER = new Date("2026-06-01T12:00:00.000Z");
const sha256 = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");

describe("change detection: ctime, inode, settling and digests", () => {
  let h: Harness;
  let s3: RequestCounter;
  let sqs: RequestCounter;
  let ddb: RequestCounter;
  const cloudFront = () => h.stack.postSync.cloudFront!;
  const table = () => h.stack.definition.table;

  before(async () => {
    h = await startHarness();
    s3 = countRequests(h.stack.clients.s3);
    sqs = countRequests(h.stack.clients.sqs);
    ddb = countRequests(h.stack.clients.dynamodb as unknown as Parameters<typeof countRequests>[0]);
  });
  after(() => h.close());

  const resetCounters = () => {
    s3.reset();
    sqs.reset();
    ddb.reset();
    cloudFront().reset();
  };

  test("a same-size rewrite with its old mtime set back is published (ctime); so is a new inode", async () => {
    const root = h.tempDir();
    writeTree(root, { "a.txt": "AAAA", "b.txt": "BBBB", "c.txt": "CCCC" }, EARLIER);
    const config = h.config(root, { prefix: "racy/" });
    await h.publish(config);

    // An FTP client rewrites a.txt with bytes of the same length and sets its old mtime back.
    writeFileSync(join(root, "a.txt"), "XXXX");
    utimesSync(join(root, "a.txt"), EARLIER, EARLIER);
    // Another uploads b.txt to a temporary name and renames it into place, keeping the old mtime.
    writeFileSync(join(root, ".b.tmp"), "YYYY");
    utimesSync(join(root, ".b.tmp"), EARLIER, EARLIER);
    renameSync(join(root, ".b.tmp"), join(root, "b.txt"));
    assert.equal(statSync(join(root, "a.txt")).mtimeMs, EARLIER.getTime(), "size and mtime as indexed");

    const result = await h.publish(config);
    assert.equal(result.plan.byReason["put:metadata"], 2, JSON.stringify(result.plan.byReason));
    assert.equal(result.publish?.entriesSent, 2);
    assert.equal((await h.getObject("racy/a.txt"))?.body.toString(), "XXXX");
    assert.equal((await h.getObject("racy/b.txt"))?.body.toString(), "YYYY");
    assert.equal((await h.getObject("racy/c.txt"))?.body.toString(), "CCCC");

    const next = await h.sync(config);
    assert.equal(next.plan.put + next.plan.record + next.plan.resend, 0, "then nothing to do");
  });

  test("a file modified a second ago is left and reported as settling, then published by a later run", async () => {
    const root = h.tempDir();
    writeTree(root, { "old.html": "old" }, EARLIER);
    const settleSeconds = 3;
    const config = h.config(root, { prefix: "settle/", settleSeconds });
    await sleep(settleSeconds * 1000 + 200); // the tree's ctime is now: let it settle first
    await h.publish(config);
    assert.equal((await h.getObject("settle/old.html"))?.body.toString(), "old");

    writeTree(root, { "uploading.html": "half an upl" });
    await sleep(1000);
    resetCounters();
    const early = await h.publish(config);
    assert.equal(early.diff.settling, 1);
    assert.equal(early.plan.put, 0, "never staged");
    assert.equal(early.plan.delete, 0, "never a delete");
    assert.equal(s3.total(S3_WRITES), 0);
    assert.equal(await h.getObject("settle/uploading.html"), undefined, "not published half-written");
    assert.match(formatSummary(early), /settling {2}1 files modified within settleSeconds/);
    assert.match(formatSummary(early), /nothing to do yet/);

    writeFileSync(join(root, "uploading.html"), "half an upload, now whole");
    const finished = Date.now();
    await sleep(Math.max(0, finished + settleSeconds * 1000 + 200 - Date.now()));
    const last = await h.publish(config);
    assert.equal(last.diff.settling, 0);
    assert.equal(last.plan.put, 1);
    assert.equal((await h.getObject("settle/uploading.html"))?.body.toString(), "half an upload, now whole");
  });

  test("a file written between the scan and its read is left as settling by staging", async () => {
    const root = h.tempDir();
    writeTree(root, { "late.txt": "written just now" });
    const config = h.config(root, { prefix: "late/", settleSeconds: 60 });
    const planPath = join(h.tempDir(), "plan.jsonl");
    const plan = new PlanWriter(planPath);
    const st = statSync(join(root, "late.txt"), { bigint: true });
    // What a scan a minute earlier planned; the file was written since.
    await plan.write({
      op: "put",
      key: "late/late.txt",
      path: Buffer.from(join(root, "late.txt")).toString("base64"),
      size: Number(st.size),
      mtime: mtimeFromNs(st.mtimeNs - 120_000_000_000n),
      ctime: mtimeFromNs(st.ctimeNs - 120_000_000_000n),
      ino: `${st.ino}`,
      reason: "new",
    });
    await plan.close();
    const stats = await executePlan(
      h.stack.clients,
      planPath,
      planOptions(config, "20261202T000000000Z-5e771e"),
      silentLogger,
    );
    assert.equal(stats.settling, 1);
    assert.equal(stats.staged, 0);
    assert.equal(stats.entriesSent, 0);
    assert.deepEqual(stats.left, [], "settling is not a failure");
  });

  test(`touching every file (new mtimes, same bytes) makes no S3 write, no pack, no manifest and no \
invalidation; the index gets the new mtimes and the run after finds nothing to do`, async () => {
    const root = h.tempDir();
    const files: Record<string, string | Buffer> = {};
    for (let i = 0; i < 60; i++) files[`d${i % 4}/page${i}.html`] = `<p>page ${i}</p>`;
    files["media/big.bin"] = randomBytes(200_000); // staged as an object of its own
    writeTree(root, files, EARLIER);
    const config = h.config(root, {
      prefix: "touch/",
      pack: { maxBytes: 1_000_000, maxFiles: 1000, largeFileBytes: 100_000 },
    });
    const first = await h.publish(config);
    assert.equal(first.publish?.entriesSent, 61);

    // A mirror tool uploads the whole site again: every file gets a new mtime (and ctime), some a new inode.
    const later = new Date(EARLIER.getTime() + 86_400_000);
    Object.entries(files).forEach(([rel, content], i) => {
      const path = join(root, rel);
      if (i % 2 === 0) {
        writeFileSync(path, content);
      } else {
        writeFileSync(`${path}.part`, content);
        renameSync(`${path}.part`, path);
      }
      utimesSync(path, later, later);
    });

    resetCounters();
    const touched = await h.publish(config);
    assert.equal(touched.plan.put, 61, "every file is read: its mtime changed");
    assert.equal(touched.publish?.unchangedContent, 61, "and found to be the published bytes");
    assert.equal(touched.publish?.staged, 0);
    assert.equal(touched.publish?.packs, 0, "no pack");
    assert.equal(touched.publish?.largeObjects, 0, "the large file was digested, not uploaded");
    const writes = s3.requests.filter((r) => S3_WRITES.includes(r.command));
    assert.deepEqual(writes, [], "no S3 write at all: no pack, no site object, no run artifact");
    assert.equal(sqs.get("SendMessageBatchCommand"), 0, "no manifest");
    assert.equal(touched.publish?.entriesSent, 0);
    assert.equal(touched.postSyncExecutionArn, undefined, "no PostSync: nothing changed");
    assert.deepEqual(cloudFront().allPaths(), [], "no invalidation path");
    assert.match(formatSummary(touched), /unchanged content, metadata recorded: 61/);
    const indexWrites = ["UpdateItemCommand", "PutItemCommand", "BatchWriteItemCommand", "DeleteItemCommand"];
    const updates = ddb.get("UpdateItemCommand");
    console.log(
      `# touch all (61 files): S3 writes 0, manifests 0, invalidation paths 0; index writes ` +
        indexWrites.map((c) => `${c.replace("Command", "")} ${ddb.get(c)}`).join(", "),
    );
    assert.ok(updates >= 61, `one conditional UpdateItem per file (${updates})`);
    // The directories' generations advance per batch of files, not around each file (that was 3 per file).
    assert.ok(updates < 2 * 61, `generation advances per batch, not per file (${updates} UpdateItems)`);

    for (const rel of ["d1/page5.html", "d2/page6.html", "media/big.bin"]) {
      const st = statSync(join(root, rel), { bigint: true });
      const indexed = await getFile(h.stack.clients.dynamodb, table(), `touch/${rel}`);
      assert.ok(indexed?.desired.op === "put");
      assert.equal(indexed.desired.mtime, mtimeFromNs(st.mtimeNs), `${rel}: the new mtime is indexed`);
      assert.equal(indexed.desired.ctime, mtimeFromNs(st.ctimeNs));
      assert.equal(indexed.desired.ino, `${st.ino}`);
      assert.equal(indexed.desired.sha256, sha256(readFileSync(join(root, rel))));
      assert.equal(indexed.published?.version, indexed.desired.version, "the same version, still published");
    }
    const site = await h.getObject("touch/d1/page5.html");
    assert.equal(site?.body.toString(), "<p>page 5</p>");

    resetCounters();
    const after = await h.publish(config);
    assert.equal(after.plan.put + after.plan.record + after.plan.delete + after.plan.resend, 0, "nothing to do");
    assert.equal(s3.total(S3_WRITES), 0);
  });

  test("a touched file whose bytes did change is published as usual", async () => {
    const root = h.tempDir();
    writeTree(root, { "a.html": "same", "b.html": "before" }, EARLIER);
    const config = h.config(root, { prefix: "touch-some/" });
    await h.publish(config);
    const later = new Date(EARLIER.getTime() + 60_000);
    writeTree(root, { "a.html": "same", "b.html": "after!" }, later);
    const result = await h.publish(config);
    assert.equal(result.plan.put, 2);
    assert.equal(result.publish?.unchangedContent, 1);
    assert.equal(result.publish?.entriesSent, 1);
    assert.equal((await h.getObject("touch-some/b.html"))?.body.toString(), "after!");
  });

  test(`records without ctime and inode (adopted, or an older agent's) get them: no read, \
nothing published`, async () => {
    const root = h.tempDir();
    const files = { "one.html": "1", "two/two.html": "22", "two/three.css": "333" };
    writeTree(root, files, EARLIER);
    const config = h.config(root, { prefix: "older/" });
    await h.publish(config);
    for (const rel of Object.keys(files)) await forgetStat(h.stack.clients.dynamodb, table(), `older/${rel}`);

    resetCounters();
    const result = await h.publish(config);
    assert.equal(result.plan.record, 3);
    assert.equal(result.plan.put, 0, "no file is read or staged");
    assert.equal(result.publish?.recorded, 3);
    assert.equal(s3.total(S3_WRITES), 0);
    assert.equal(sqs.get("SendMessageBatchCommand"), 0);
    const st = statSync(join(root, "two/two.html"), { bigint: true });
    const indexed = await getFile(h.stack.clients.dynamodb, table(), "older/two/two.html");
    assert.ok(indexed?.desired.op === "put");
    assert.equal(indexed.desired.ctime, mtimeFromNs(st.ctimeNs));
    assert.equal(indexed.desired.ino, `${st.ino}`);

    const next = await h.sync(config);
    assert.equal(next.plan.put + next.plan.record + next.plan.resend, 0, "then nothing to do");
  });
});

/**
 * Removes the ctime, inode and digest from a file's record, as an agent that did not keep them wrote it; as
 * every index writer does, between the advances of the directory's generation, so replicas read it again.
 */
async function forgetStat(ddb: DynamoDBClient, table: string, key: string): Promise<void> {
  const update = new UpdateItemCommand({
    TableName: table,
    Key: fileKey(key),
    UpdateExpression: "REMOVE ctime, ino, sha",
  });
  await advancingGenerations(ddb, table, [splitKey(key).dir], () => ddb.send(update));
}
