// The README's host restore commands, run as written with only the configuration path swapped for a test
// one: the `sitesync restore` lines of its "Restore" section, and the workflow input it gives for a host
// plan. If the README changes and its commands stop doing what it says, this fails.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { getFile, writeIndex } from "../../aws/index/files.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = join(REPO, "bin/sitesync.ts");
const README_CONFIG = "/etc/sitesync/prod.json";

function restoreSection(): string {
  const readme = readFileSync(join(REPO, "README.md"), "utf8");
  const start = readme.indexOf("\n## Restore\n");
  assert.ok(start >= 0, 'the README has a "Restore" section');
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** One line of the README run by bash, `sitesync` being this checkout's command. */
function runLine(line: string, configPath: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const command = line.replaceAll(README_CONFIG, configPath);
  const script = `sitesync() { "$SITESYNC_NODE" "$SITESYNC_CLI" "$@"; }\n${command}`;
  return new Promise((resolve, reject) => {
    const env = { ...process.env, SITESYNC_NODE: process.execPath, SITESYNC_CLI: CLI };
    const child = spawn("bash", ["-c", script], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the README's host restore commands, as written", () => {
  let h: Harness;
  // The README's example time stays restorable: the test deployment keeps ten years.
  before(async () => {
    h = await startHarness({ environment: (env) => (env.retentionDays = 3650) });
  });
  after(() => h.close());

  test("each `sitesync restore` line does what the README says", async () => {
    const section = restoreSection();
    const lines = section.split("\n").filter((l) => l.startsWith("sitesync restore "));
    const [now, asOfDelete, fromQueue, ...more] = lines;
    assert.deepEqual(more, [], "the test knows every restore line of the README");
    assert.match(now ?? "", /--prefix docs\/(?!.*--as-of)/, "first: docs/ as published now");
    assert.match(asOfDelete ?? "", /--prefix docs\/ --as-of \S+ --delete/, "second: as of a time, extras removed");
    assert.match(fromQueue ?? "", /--from-queue/, "third: the workflow's plan");
    for (const line of lines) assert.ok(line.includes(README_CONFIG), `${line} uses the README's configuration`);
    const asOf = /--as-of (\S+)/.exec(asOfDelete!)![1]!;
    const workflowInput = /--input '(\{"target": "host".*?\})'/.exec(section)?.[1];
    assert.ok(workflowInput, "the README starts a host restore workflow");

    // Version one of docs/ was published before the README's time, version two after it.
    const root = h.tempDir();
    writeTree(root, { "index.html": "home", "docs/a.html": "A one", "docs/b.html": "B" });
    const configPath = h.configFile(root);
    const config = h.config(root);
    await h.publish(config);
    const { dynamodb } = h.stack.clients;
    const table = h.stack.definition.table;
    const before = new Date(Date.parse(asOf) - 3_600_000).toISOString();
    for (const key of ["index.html", "docs/a.html", "docs/b.html"]) {
      const { desired } = (await getFile(dynamodb, table, key))!;
      await writeIndex(dynamodb, table, [{ write: { kind: "history", key, desired, at: before } }]);
    }
    writeFileSync(join(root, "docs/a.html"), "A two, after the README's time");
    writeTree(root, { "docs/new.html": "created after the README's time" });
    await h.publish(config);

    // An FTP accident: a page broken, one deleted, a stray file.
    writeFileSync(join(root, "docs/a.html"), "broken");
    rmSync(join(root, "docs/b.html"));
    writeTree(root, { "docs/stray.txt": "never published" });
    const read = (rel: string) => readFileSync(join(root, rel), "utf8");

    const first = await runLine(now!, configPath);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(read("docs/a.html"), "A two, after the README's time", "docs/ as published now");
    assert.equal(read("docs/b.html"), "B");
    assert.ok(existsSync(join(root, "docs/stray.txt")), "extra files stay without --delete");

    const second = await runLine(asOfDelete!, configPath);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(read("docs/a.html"), "A one", "docs/ as of the time");
    assert.ok(!existsSync(join(root, "docs/new.html")), "created after the time: removed");
    assert.ok(!existsSync(join(root, "docs/stray.txt")), "--delete removes extra files");
    assert.equal(read("index.html"), "home", "nothing outside docs/ is touched");

    const started = await h.stack.clients.sfn.send(
      new StartExecutionCommand({ stateMachineArn: h.stack.postSync.restoreStateMachineArn, input: workflowInput }),
    );
    const execution = await h.stack.postSync.server.waitForExecution(started.executionArn!, 60_000);
    assert.equal(execution.status, "SUCCEEDED", execution.cause);
    rmSync(join(root, "docs/a.html"));
    writeTree(root, { "docs/stray.txt": "another stray" });

    const third = await runLine(fromQueue!, configPath);
    assert.equal(third.code, 0, third.stderr);
    assert.equal(read("docs/a.html"), "A one", "the workflow's plan as of the time");
    assert.ok(existsSync(join(root, "docs/stray.txt")), "extra files stay without --delete");
  });
});
