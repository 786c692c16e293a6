// Restoring the host tree from S3: sitesync restore, in-process and as the command.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getFile, writeIndex } from "../../aws/index-table.ts";
import { runHostRestore } from "../../agent/restore-host.ts";
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

  test("a wiped folder comes back byte for byte with the indexed mtimes; the next sync sends nothing", async () => {
    const root = h.tempDir();
    writeTree(root, { "index.html": "home", "docs/a.html": "A", "docs/deep/b.txt": "B", "docs/c d.css": "CD", "img/x.png": Buffer.from([1, 2, 3]) });
    const config = h.config(root, { prefix: "host/" });
    await h.publish(config);
    const before = statSync(join(root, "docs/deep/b.txt"), { bigint: true });
    rmSync(join(root, "docs"), { recursive: true });

    const result = await runHostRestore(config, h.stack.clients, silentLogger, { prefix: "docs/", dir: root, delete: false });
    assert.equal(result.written, 3);
    assert.equal(readFileSync(join(root, "docs/deep/b.txt"), "utf8"), "B");
    assert.equal(readFileSync(join(root, "docs/c d.css"), "utf8"), "CD");
    const after = statSync(join(root, "docs/deep/b.txt"), { bigint: true });
    const indexed = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "host/docs/deep/b.txt");
    assert.equal(indexed?.desired.op === "put" && indexed.desired.mtime, mtimeFromNs(after.mtimeNs), "the file's mtime is the indexed one");
    assert.ok(after.mtimeNs - before.mtimeNs < 1000n && before.mtimeNs - after.mtimeNs < 1000n, "within a microsecond of the original");

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
    const desired = { op: "put" as const, version: "evil", run: "evil", size: 4, mtime: "1", contentType: "text/plain", source: { key: "packs/none", offset: 0, length: 4 } };
    await writeIndex(h.stack.clients.dynamodb, h.stack.definition.table, [
      { write: { kind: "mkdir", dir: "", name: ".." } },
      { write: { kind: "desired", key: "../evil.txt", desired } },
    ]);
    const target = h.tempDir();
    const outside = h.tempDir();
    mkdirSync(join(target, "x"));
    symlinkSync(outside, join(target, "docs"));
    const result = await runHostRestore(config, h.stack.clients, silentLogger, { prefix: "", dir: target, delete: false });
    assert.deepEqual(result.refused.map((r) => r.key).sort(), ["../evil.txt", "docs/page.html"]);
    assert.equal(readFileSync(join(target, "ok.txt"), "utf8"), "fine", "the rest is restored");
    assert.ok(!existsSync(join(outside, "page.html")), "nothing written through the link");
    assert.ok(!existsSync(join(target, "..", "evil.txt")));
  });
});
