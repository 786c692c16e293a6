// The single-file agent: bin/build-agent.ts bundles it, the one file is copied alone into an empty folder
// with no node_modules anywhere above it, and a plain `node sitesync.mjs sync --config …` publishes a site
// to the local stack, as on an FTP host that has Node.js and nothing else.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SyncResult } from "../../agent/sync/sync.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";

const projectDir = join(dirname(fileURLToPath(import.meta.url)), "../..");

const SITE = {
  "index.html": "<!doctype html><title>Bundled</title>",
  "css/site.css": "body { margin: 0 }",
  "guide/intro.html": "<p>intro</p>",
  "images/logo.png": Buffer.from("89504e470d0a1a0a", "hex"),
};

/** Runs a command without blocking this process, whose event loop serves the local stack. */
function run(
  args: string[],
  cwd: string,
  command = process.execPath,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // `env` in the bundle's first line finds this Node.js first.
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` };
  // Nothing may reach the project's modules: no preloads, no module search path.
  delete env.NODE_OPTIONS;
  delete env.NODE_PATH;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the single-file agent bundle", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test("runs a sync from a folder that holds nothing but the bundle", async () => {
    const out = join(h.tempDir("sitesync-bundle-"), "sitesync.mjs");
    const build = await run([join(projectDir, "bin/build-agent.ts"), "--out", out], projectDir);
    assert.equal(build.code, 0, build.stderr);
    assert.match(build.stdout, /sitesync\.mjs +[\d.]+ KiB/, "the build prints the bundle's size");

    const host = h.tempDir("sitesync-host-");
    copyFileSync(out, join(host, "sitesync.mjs"));
    assert.deepEqual(readdirSync(host), ["sitesync.mjs"]);
    for (let dir = host; dir !== dirname(dir); dir = dirname(dir)) {
      assert.equal(existsSync(join(dir, "node_modules")), false, `no node_modules in ${dir}`);
    }

    const root = h.tempDir();
    writeTree(root, SITE);
    const config = h.configFile(root, { prefix: "bundled/" });
    const sync = await run(["sitesync.mjs", "sync", "--config", config, "--json"], host);
    assert.equal(sync.code, 0, sync.stderr);
    const result = JSON.parse(sync.stdout) as SyncResult;
    assert.equal(result.publish?.entriesSent, Object.keys(SITE).length);
    await h.stack.waitForRun(result.runId, 60_000);
    await h.waitForPostSync(result);

    assert.deepEqual(
      await h.listSiteFiles("bundled/"),
      Object.keys(SITE)
        .map((rel) => `bundled/${rel}`)
        .sort(),
    );
    const page = await h.getObject("bundled/index.html");
    assert.deepEqual(page?.body, Buffer.from(SITE["index.html"]));
    assert.equal(page?.contentType, "text/html; charset=utf-8");

    // The bundle keeps the host's replica of the index (node:sqlite, inside Node): the next run decides
    // every directory from it, reading none from DynamoDB. This one runs the file itself, as the installed
    // command does: its first line starts Node with the heap cap, and the agent runs in the main thread.
    const again = await run(["sync", "--config", config, "--json"], host, join(host, "sitesync.mjs"));
    assert.equal(again.code, 0, again.stderr);
    const second = JSON.parse(again.stdout) as SyncResult;
    assert.equal(second.replica.rebuilt, undefined);
    assert.equal(second.diff.fromIndex, 0);
    assert.equal(second.diff.fromReplica, second.diff.directories);
  });
});
