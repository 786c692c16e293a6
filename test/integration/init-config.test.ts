// A new user reaches a configured agent: `sitesync init` writes the starting configuration, `sitesync config
// --from-stack` fills the deployment's fields from the stack's outputs, and the file then drives a real sync
// on the local stack. DescribeStacks is answered by test/support/describe-stacks-stub.ts (CloudFormation has
// no local server), reached the way the SDK lets an operator point it anywhere: AWS_ENDPOINT_URL_CLOUDFORMATION.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SyncResult } from "../../agent/sync/sync.ts";
import { RESOURCE_FIELDS, STACK_OUTPUTS } from "../../core/stack-config.ts";
import { runCli } from "../support/cli.ts";
import {
  type DescribeStacksStub,
  localStackOutputs,
  operatorEnvironment,
  startDescribeStacksStub,
} from "../support/describe-stacks-stub.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;

describe("sitesync init and sitesync config --from-stack", () => {
  let h: Harness;
  let stub: DescribeStacksStub;
  let operator: Record<string, string>;

  before(async () => {
    h = await startHarness();
    const region = h.stack.agentSettings().region as string;
    stub = await startDescribeStacksStub([
      { name: "sitesync-local", outputs: localStackOutputs(h.stack) },
      { name: "sitesync-old", status: "UPDATE_ROLLBACK_COMPLETE", outputs: { Region: region, SiteBucket: "b" } },
    ]);
    // The operator's own credentials and region, as the AWS CLI would find them; fake, as the stub is.
    operator = operatorEnvironment(stub, region);
  });
  after(async () => {
    await stub?.close();
    await h?.close();
  });

  test("the stack outputs read are the ones the stack creates", () => {
    const created = Object.keys(h.stack.template.Outputs ?? {});
    for (const { output } of STACK_OUTPUTS) assert.ok(created.includes(output), `the template has no output ${output}`);
  });

  test("init writes a starting configuration that names its gaps; it refuses to overwrite, --force does", async () => {
    const file = join(h.tempDir(), "sitesync.json");
    const init = await runCli(["init", file]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /config --from-stack/);
    const written = readFileSync(file, "utf8");
    const config = JSON.parse(written) as Record<string, unknown>;
    assert.ok(Array.isArray(config["//"]), "a note documents the file");
    for (const field of RESOURCE_FIELDS) assert.equal(config[field], "", `${field} is left for --from-stack`);
    assert.equal(config.root, "/srv/ftp/site");
    assert.equal(config.settleSeconds, 60);

    const unfilled = await runCli(["sync", "--config", file]);
    assert.equal(unfilled.code, 2);
    assert.match(
      unfilled.stderr,
      /sitesync\.json: \\?"region\\?" must be a non-empty string, and is empty .*siteBucket.*config --from-stack/,
    );

    writeFileSync(file, JSON.stringify({ ...config, prefix: "mine/" }));
    const again = await runCli(["init", file]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /sitesync\.json.* exists; pass --force/);
    assert.equal(readJson(file).prefix, "mine/", "the file is left alone");
    const forced = await runCli(["init", file, "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(readFileSync(file, "utf8"), written);
  });

  test("config --from-stack fills the deployment's fields; the file then publishes with a real sync", async () => {
    const dir = h.tempDir();
    const file = join(dir, "sitesync.json");
    assert.equal((await runCli(["init", file])).code, 0);
    // What a user edits by hand: the tree, the state directory; and, on the local stack only, its endpoints.
    const root = join(dir, "site");
    writeTree(root, { "index.html": "<h1>hello</h1>", "pages/a.html": "a", "pages/b.txt": "b" });
    const s = h.stack.agentSettings();
    const edited: Record<string, unknown> = {
      ...readJson(file),
      root: "site",
      stateDir: "state",
      prefix: "new-user/",
      settleSeconds: 0,
      endpoints: s.endpoints,
      credentials: s.credentials,
    };
    writeFileSync(file, JSON.stringify(edited, null, 2));

    const filled = await runCli(["config", "--from-stack", "sitesync-local", "-c", file], { env: operator });
    assert.equal(filled.code, 0, filled.stderr);
    assert.match(filled.stdout, /Updated .*sitesync\.json from stack sitesync-local/);
    assert.match(filled.stdout, /AgentUser sitesync-local-agent: create an access key/);
    const config = readJson(file);
    for (const field of RESOURCE_FIELDS) assert.equal(config[field], s[field], `${field} from the stack`);
    assert.deepEqual(Object.keys(config), Object.keys(edited), "every field kept, in its place");
    assert.deepEqual(config["//"], edited["//"]);
    assert.equal(config.prefix, "new-user/");
    assert.deepEqual(stub.requests.at(-1), "sitesync-local");

    const sync = await runCli(["sync", "--config", file, "--json"]);
    assert.equal(sync.code, 0, sync.stderr);
    const result = JSON.parse(sync.stdout) as SyncResult;
    assert.equal(result.plan.put, 3);
    await h.stack.waitForRun(result.runId, 30_000);
    await h.waitForPostSync(result);
    assert.deepEqual(await h.listSiteFiles("new-user/"), [
      "new-user/index.html",
      "new-user/pages/a.html",
      "new-user/pages/b.txt",
    ]);
    assert.equal((await h.getObject("new-user/index.html"))?.body.toString(), "<h1>hello</h1>");
    const status = await runCli(["status", "--config", file]);
    assert.equal(status.code, 0, `${status.stdout}${status.stderr}`);
  });

  test("config --from-stack: a missing stack, or one without the outputs, exits 2; no file: one is made", async () => {
    const dir = h.tempDir();
    const file = join(dir, "sitesync.json");
    const nope = await runCli(["config", "--from-stack", "sitesync-nope", "-c", file], { env: operator });
    assert.equal(nope.code, 2);
    assert.match(nope.stderr, /no stack named \\?"sitesync-nope\\?" in us-east-1: check the name/);
    const old = await runCli(["config", "--from-stack", "sitesync-old", "-c", file], { env: operator });
    assert.equal(old.code, 2);
    assert.match(
      old.stderr,
      /stack sitesync-old \(UPDATE_ROLLBACK_COMPLETE\) has no output VersionBucket, IndexTable, .*RestoreQueueUrl/,
    );
    assert.ok(!existsSync(file), "nothing written for a stack that cannot configure the agent");

    const made = await runCli(["config", "--from-stack", "sitesync-local", "-c", file], { env: operator });
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /Created .*sitesync\.json[\s\S]*Set root and stateDir/);
    const config = readJson(file);
    assert.equal(config.queueUrl, h.stack.queueUrl);
    assert.equal(config.root, "/srv/ftp/site", "the rest from the starting configuration");
  });
});
