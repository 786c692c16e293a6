// Restoring the host tree from S3: sitesync restore, in-process and as the command.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { getFile, writeIndex } from "../../aws/index/files.ts";
import type { AgentConfig } from "../../agent/config.ts";
import { runHostRestore, type HostRestoreOptions } from "../../agent/restore/restore-host.ts";
import { hostPlanPage, type HostPlanFile } from "../../core/host-plan.ts";
import type { DesiredPut } from "../../core/index-record.ts";
import { mtimeFromNs } from "../../core/mtime.ts";
import { silentLogger } from "../../core/logger.ts";
import { runCli } from "../support/cli.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";

describe("restore the host tree", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  const restoreHost = (config: AgentConfig, options: HostRestoreOptions) =>
    runHostRestore(config, h.stack.clients, silentLogger, options);

  test("a wiped folder comes back byte for byte with the indexed mtimes; the next sync sends nothing", async () => {
    const root = h.tempDir();
    writeTree(root, {
      "index.html": "home",
      "docs/a.html": "A",
      "docs/deep/b.txt": "B",
      "docs/c d.css": "CD",
      "img/x.png": Buffer.from([1, 2, 3]),
    });
    const config = h.config(root, { prefix: "host/" });
    await h.publish(config);
    const before = statSync(join(root, "docs/deep/b.txt"), { bigint: true });
    rmSync(join(root, "docs"), { recursive: true });

    const result = await runHostRestore(config, h.stack.clients, silentLogger, {
      prefix: "docs/",
      dir: root,
      delete: false,
    });
    assert.equal(result.written, 3);
    assert.equal(readFileSync(join(root, "docs/deep/b.txt"), "utf8"), "B");
    assert.equal(readFileSync(join(root, "docs/c d.css"), "utf8"), "CD");
    const after = statSync(join(root, "docs/deep/b.txt"), { bigint: true });
    const indexed = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "host/docs/deep/b.txt");
    assert.equal(
      indexed?.desired.op === "put" && indexed.desired.mtime,
      mtimeFromNs(after.mtimeNs),
      "the file's mtime is the indexed one",
    );
    assert.ok(
      after.mtimeNs - before.mtimeNs < 1000n && before.mtimeNs - after.mtimeNs < 1000n,
      "within a microsecond of the original",
    );

    const next = await h.publish(config);
    assert.equal(next.plan.put + next.plan.delete + next.plan.resend, 0, "the next sync sees no change");

    const again = await runHostRestore(config, h.stack.clients, silentLogger, { prefix: "", dir: root, delete: false });
    assert.equal(again.written, 0);
    assert.equal(again.skipped, 5, "files already in place are skipped");
  });

  test("the tree as of a point in time, extra files removed only with --delete (the command)", async () => {
    const root = h.tempDir();
    writeTree(root, { "a.txt": "one", "b.txt": "bee" });
    const configPath = h.configFile(root, { prefix: "asof/" });
    const config = h.config(root, { prefix: "asof/" });
    await h.publish(config);
    await new Promise((r) => setTimeout(r, 20));
    const afterFirst = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(join(root, "a.txt"), "two!");
    utimesSync(join(root, "a.txt"), new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    unlinkSync(join(root, "b.txt"));
    writeTree(root, { "c.txt": "sea" });
    await h.publish(config);

    const fresh = join(h.tempDir(), "does", "not", "exist");
    const created = await runCli(["restore", "--config", configPath, "--as-of", afterFirst, fresh]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(readFileSync(join(fresh, "a.txt"), "utf8"), "one", "a target folder that does not exist is created");
    const restored = h.tempDir();
    writeTree(restored, { "stray.txt": "not in the site" });
    const kept = await runCli(["restore", "--config", configPath, "--as-of", afterFirst, restored]);
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal(readFileSync(join(restored, "a.txt"), "utf8"), "one");
    assert.equal(readFileSync(join(restored, "b.txt"), "utf8"), "bee");
    assert.ok(!existsSync(join(restored, "c.txt")), "created later: not there at that time");
    assert.ok(existsSync(join(restored, "stray.txt")), "extra files stay without --delete");
    const removed = await runCli(["restore", "--config", configPath, "--as-of", afterFirst, "--delete", restored]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.ok(!existsSync(join(restored, "stray.txt")), "--delete removes them");
  });

  test("keys that would write outside the target, or through a symbolic link, are refused and reported", async () => {
    const root = h.tempDir();
    writeTree(root, { "ok.txt": "fine", "docs/page.html": "page" });
    const config = h.config(root, { prefix: "" });
    await h.publish(config);
    const desired = {
      op: "put" as const,
      version: "evil",
      run: "evil",
      size: 4,
      mtime: "1",
      contentType: "text/plain",
      source: { key: "packs/none", offset: 0, length: 4 },
    };
    await writeIndex(h.stack.clients.dynamodb, h.stack.definition.table, [
      { write: { kind: "mkdir", dir: "", name: ".." } },
      { write: { kind: "desired", key: "../evil.txt", desired } },
    ]);
    const target = h.tempDir();
    const outside = h.tempDir();
    mkdirSync(join(target, "x"));
    symlinkSync(outside, join(target, "docs"));
    const result = await runHostRestore(config, h.stack.clients, silentLogger, {
      prefix: "",
      dir: target,
      delete: false,
    });
    assert.deepEqual(result.refused.map((r) => r.key).sort(), ["../evil.txt", "docs/page.html"]);
    assert.equal(readFileSync(join(target, "ok.txt"), "utf8"), "fine", "the rest is restored");
    assert.ok(!existsSync(join(outside, "page.html")), "nothing written through the link");
    assert.ok(!existsSync(join(target, "..", "evil.txt")));
  });

  test("restore --prefix docs/ --delete with a site prefix restores docs/, removes only what it lacks", async () => {
    const root = h.tempDir();
    writeTree(root, { "index.html": "home", "docs/a.html": "A", "docs/deep/b.txt": "B", "img/x.png": "X" });
    const configPath = h.configFile(root, { prefix: "www/" });
    await h.publish(h.config(root, { prefix: "www/" }));
    writeFileSync(join(root, "docs/a.html"), "broken by an FTP upload");
    rmSync(join(root, "docs/deep"), { recursive: true });
    writeTree(root, { "docs/stray.txt": "never published" });

    const run = await runCli(["restore", "--config", configPath, "--prefix", "docs/", "--delete"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(readFileSync(join(root, "docs/a.html"), "utf8"), "A");
    assert.equal(readFileSync(join(root, "docs/deep/b.txt"), "utf8"), "B");
    assert.ok(!existsSync(join(root, "docs/stray.txt")), "the extra file under docs/ is removed");
    assert.equal(readFileSync(join(root, "index.html"), "utf8"), "home", "nothing outside docs/ is touched");
    assert.equal(readFileSync(join(root, "img/x.png"), "utf8"), "X");
  });

  test("a restore whose state is empty never removes files: exit 4, and only --force removes them", async () => {
    const root = h.tempDir();
    writeTree(root, { "docs/a.html": "A" });
    const configPath = h.configFile(root, { prefix: "www2/" });
    await h.publish(h.config(root, { prefix: "www2/" }));
    writeTree(root, { "drafts/x.txt": "never published" });

    const refused = await runCli(["restore", "--config", configPath, "--prefix", "drafts/", "--delete"]);
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /holds no files.*--force/s);
    assert.ok(existsSync(join(root, "drafts/x.txt")), "nothing removed");
    const plain = await runCli(["restore", "--config", configPath, "--prefix", "drafts/", "--text"]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /no files under "drafts\/"/, "an empty restore says so");
    const forced = await runCli(["restore", "--config", configPath, "--prefix", "drafts/", "--delete", "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.ok(!existsSync(join(root, "drafts/x.txt")), "--force removes it");
  });

  test("--as-of takes only ISO 8601 times with a zone, within the retention and not in the future", async () => {
    const root = h.tempDir();
    writeTree(root, { "a.txt": "A" });
    const configPath = h.configFile(root, { prefix: "time/", retentionDays: 7 });
    for (const bad of ["Nov 25", "1", "2026-11-25", "2026-11-25T09:00:00", "2026-02-30T00:00:00Z"]) {
      const run = await runCli(["restore", "--config", configPath, "--as-of", bad]);
      assert.equal(run.code, 2, `${bad}: ${run.stderr}`);
      assert.match(run.stderr, /ISO 8601/);
    }
    const asOf = (ms: number) => [
      "restore",
      "--config",
      configPath,
      "--as-of",
      new Date(Date.now() + ms).toISOString(),
    ];
    const future = await runCli(asOf(3_600_000));
    assert.equal(future.code, 2, future.stderr);
    assert.match(future.stderr, /future/);
    const old = await runCli(asOf(-8 * 86_400_000));
    assert.equal(old.code, 2, old.stderr);
    assert.match(old.stderr, /7-day retention.*oldest time that can be restored is \d{4}-\d\d-\d\dT[\d:.]+Z/);
    assert.deepEqual(readdirSync(root), ["a.txt"], "nothing written");
  });

  test("--delete is stopped by the mass-deletion guard unless --force", async () => {
    const root = h.tempDir();
    writeTree(root, { "docs/a.html": "A", "docs/b.html": "B" });
    const extra = { deleteGuard: { maxShare: 0.5, minFiles: 2 } };
    const configPath = h.configFile(root, { prefix: "guard/", ...extra });
    await h.publish(h.config(root, { prefix: "guard/", ...extra }));
    writeTree(root, Object.fromEntries([1, 2, 3, 4, 5].map((i) => [`docs/new${i}.html`, "not published yet"])));

    const refused = await runCli(["restore", "--config", configPath, "--prefix", "docs/", "--delete"]);
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /5 of 7 files.*deleteGuard\.maxShare/s);
    assert.equal(readdirSync(join(root, "docs")).length, 7, "nothing removed");
    const forced = await runCli(["restore", "--config", configPath, "--prefix", "docs/", "--delete", "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(readdirSync(join(root, "docs")).sort(), ["a.html", "b.html"]);
  });

  test("a file staged before the retention comes back from its published object, unless that is not it", async () => {
    const root = h.tempDir();
    writeTree(root, { "docs/old.txt": "stable for years", "docs/other.txt": "also stable", "docs/swapped.txt": "me" });
    const config = h.config(root, { prefix: "fb/" });
    await h.publish(config);
    const { dynamodb, s3 } = h.stack.clients;
    const record = await getFile(dynamodb, h.stack.definition.table, "fb/docs/old.txt");
    assert.ok(record?.desired.op === "put");
    // The version store's lifecycle expired the pack; the site bucket still holds the published bytes.
    const { siteBucket, versionBucket } = h.stack.definition;
    await s3.send(new DeleteObjectCommand({ Bucket: versionBucket, Key: record.desired.source.key }));
    const Metadata = { "sitesync-version": "someone-else", mtime: "1" };
    await s3.send(new PutObjectCommand({ Bucket: siteBucket, Key: "fb/docs/swapped.txt", Body: "ME", Metadata }));
    rmSync(join(root, "docs"), { recursive: true });

    const result = await restoreHost(config, { prefix: "docs/", dir: root, delete: false });
    assert.equal(readFileSync(join(root, "docs/old.txt"), "utf8"), "stable for years");
    assert.equal(readFileSync(join(root, "docs/other.txt"), "utf8"), "also stable");
    assert.equal(result.written, 2);
    assert.deepEqual(
      result.unrestorable.map((u) => u.key),
      ["fb/docs/swapped.txt"],
    );
    assert.match(result.unrestorable[0]!.reason, /someone-else/);
    assert.ok(!existsSync(join(root, "docs/swapped.txt")), "never the wrong bytes");
  });

  test("a restore into another folder leaves the index untouched", async () => {
    const root = h.tempDir();
    writeTree(root, { "s/a.txt": "A" });
    const config = h.config(root, { prefix: "scratch/" });
    await h.publish(config);
    const { dynamodb } = h.stack.clients;
    const table = h.stack.definition.table;
    const record = await getFile(dynamodb, table, "scratch/s/a.txt");
    assert.ok(record?.desired.op === "put");
    // Nanoseconds no double can carry: the restored file's mtime cannot match the index exactly.
    const desired = { ...record.desired, mtime: "1700000000123456789" };
    const keep = record.published ? { keepPublished: record.published } : {};
    await writeIndex(dynamodb, table, [{ write: { kind: "desired", key: record.key, desired }, ...keep }]);
    const before = await getFile(dynamodb, table, record.key);

    const scratch = h.tempDir();
    const result = await restoreHost(config, { prefix: "", dir: scratch, delete: false });
    assert.equal(result.written, 1);
    assert.equal(readFileSync(join(scratch, "s/a.txt"), "utf8"), "A");
    assert.deepEqual(await getFile(dynamodb, table, record.key), before, "the index is as it was");
    const command = await runCli(["restore", "--config", h.configFile(root, { prefix: "scratch/" }), h.tempDir()]);
    assert.equal(command.code, 0, command.stderr);
    assert.deepEqual(await getFile(dynamodb, table, record.key), before, "nor when DIR names the folder");
  });

  test("a directory swapped for a symbolic link mid-restore gets nothing written outside the target", async () => {
    const root = h.tempDir();
    writeTree(root, { "docs/a.txt": "A", "docs/b.txt": "B", "img/x.png": "X" });
    const config = h.config(root, { prefix: "race/" });
    await h.publish(config);
    const target = h.tempDir();
    const outside = h.tempDir();
    const swapped: string[] = [];
    const swap = (dir: string) => {
      renameSync(join(target, dir), join(target, `${dir}-held`));
      symlinkSync(outside, join(target, dir));
      swapped.push(dir);
    };
    const result = await restoreHost(config, {
      prefix: "",
      dir: target,
      delete: false,
      // Between the checks and the writes: once the file's directory is resolved, and once its bytes are written.
      onWriteStep: (step, path) => {
        if (step === "directory" && path.endsWith("docs/a.txt") && !swapped.includes("docs")) swap("docs");
        if (step === "written" && path.endsWith("img/x.png") && !swapped.includes("img")) swap("img");
      },
    });
    assert.deepEqual(swapped.sort(), ["docs", "img"], "both swaps happened mid-restore");
    assert.deepEqual(readdirSync(outside), [], "nothing written outside the target");
    const landed = (rel: string, held: string) =>
      existsSync(join(target, held)) || result.refused.some((r) => r.key === `race/${rel}`);
    assert.ok(landed("docs/a.txt", "docs-held/a.txt"), "written into the directory held, or refused");
    assert.ok(landed("docs/b.txt", "docs-held/b.txt"), "the link itself is never followed");
    assert.ok(landed("img/x.png", "img-held/x.png"));
  });

  test("--delete removes extra files whose names are not UTF-8", async () => {
    const root = h.tempDir();
    writeTree(root, { "docs/a.txt": "A" });
    const config = h.config(root, { prefix: "bytes/" });
    await h.publish(config);
    const latin1 = Buffer.concat([Buffer.from(join(root, "docs/caf")), Buffer.from([0xe9]), Buffer.from(".txt")]);
    writeFileSync(latin1, "an extra file named in latin-1");

    const result = await restoreHost(config, { prefix: "docs/", dir: root, delete: true });
    assert.equal(result.deleted, 1);
    assert.ok(!existsSync(latin1), "removed");
    assert.equal(readFileSync(join(root, "docs/a.txt"), "utf8"), "A");
  });

  describe("plans from the restore queue", () => {
    const queue = () => h.stack.restoreQueueUrl;
    const sqs = () => h.stack.clients.sqs;
    const send = (bodies: string[]) =>
      Promise.all(
        bodies.map(async (MessageBody) => {
          const sent = await sqs().send(new SendMessageCommand({ QueueUrl: queue(), MessageBody }));
          return sent.MessageId!;
        }),
      );
    const receiveAll = async () => {
      const receive = { QueueUrl: queue(), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30 };
      return (await sqs().send(new ReceiveMessageCommand(receive))).Messages ?? [];
    };
    const planFile = async (key: string): Promise<HostPlanFile> => {
      const f = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, key);
      return { key, desired: f!.desired as DesiredPut, publishedVersion: f!.desired.version };
    };

    test("--from-queue --delete removes nothing until every page of the plan has arrived", async () => {
      const root = h.tempDir();
      writeTree(root, { "docs/a.txt": "A", "docs/b.txt": "B" });
      const configPath = h.configFile(root, { prefix: "q/" });
      const config = h.config(root, { prefix: "q/" });
      await h.publish(config);
      const head = { restoreId: "20261201T000000000Z-aaaaaa", sitePrefix: "q/", prefix: "q/docs/", pages: 2 };
      await send(hostPlanPage({ ...head, page: 0 }, [await planFile("q/docs/a.txt")], []));
      const target = h.tempDir();
      writeTree(target, { "docs/stray.txt": "extra" });

      const partial = await runCli(["restore", "--config", configPath, "--from-queue", "--delete", "--text", target]);
      assert.equal(partial.code, 1, partial.stderr);
      assert.match(partial.stdout, /1 of 2 pages/);
      assert.equal(readFileSync(join(target, "docs/a.txt"), "utf8"), "A", "what arrived is applied");
      assert.ok(existsSync(join(target, "docs/stray.txt")), "nothing removed while a page is missing");

      const lost = [{ key: "q/docs/stray.txt", reason: "expired" }];
      await send(hostPlanPage({ ...head, page: 1 }, [await planFile("q/docs/b.txt")], lost));
      const whole = await restoreHost(config, { prefix: "", fromQueue: true, dir: target, delete: true });
      assert.equal(whole.deletionSkipped, undefined);
      assert.equal(readFileSync(join(target, "docs/b.txt"), "utf8"), "B");
      assert.ok(existsSync(join(target, "docs/stray.txt")), "an unrestorable key's file is never removed");
      assert.deepEqual(
        whole.unrestorable.map((u) => u.key),
        ["q/docs/stray.txt"],
      );
      assert.deepEqual(await receiveAll(), [], "the applied plan is off the queue");
    });

    test("a malformed plan message is reported with its id and stays on the queue, unapplied", async () => {
      const root = h.tempDir();
      writeTree(root, { "docs/a.txt": "A" });
      const config = h.config(root, { prefix: "m/" });
      await h.publish(config);
      const head = { restoreId: "20261201T000000000Z-bbbbbb", sitePrefix: "m/", prefix: "m/", page: 0, pages: 1 };
      const [good] = hostPlanPage(head, [await planFile("m/docs/a.txt")], []);
      const unpaged = JSON.stringify({ ...JSON.parse(good!), page: undefined, pages: undefined });
      const ids = await send(["not a plan", unpaged]);
      const target = h.tempDir();

      const result = await restoreHost(config, { prefix: "", fromQueue: true, dir: target, delete: false });
      assert.deepEqual(result.messagesLeft.map((m) => m.messageId).sort(), [...ids].sort());
      assert.match(result.messagesLeft.find((m) => m.messageId === ids[1])!.reason, /"pages"/);
      assert.deepEqual(readdirSync(target), [], "nothing applied");
      const left = await receiveAll();
      assert.deepEqual(left.map((m) => m.MessageId).sort(), [...ids].sort(), "both still on the queue");
      for (const { ReceiptHandle } of left) {
        await sqs().send(new DeleteMessageCommand({ QueueUrl: queue(), ReceiptHandle }));
      }
    });
  });
});
