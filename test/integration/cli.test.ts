// The sitesync command as cron runs it: a child process, a config file, exit codes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { acquireLock } from "../../agent/lock.ts";
import type { SyncResult } from "../../agent/sync/sync.ts";
import { silentLogger } from "../../core/logger.ts";
import { runCli } from "../support/cli.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";

function siteFiles(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`dir${i % 5}/page-${i}.html`, `<p>page ${i}</p>`]));
}

describe("sitesync sync (command line)", () => {
  let h: Harness;
  /** Waits until the run is applied and its PostSync has finished. */
  const settle = async (result: SyncResult) => {
    await h.stack.waitForRun(result.runId, 30_000);
    await h.waitForPostSync(result);
  };

  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test("publishes and exits 0; a second run finds nothing to do", async () => {
    const root = h.tempDir();
    writeTree(root, siteFiles(30));
    const config = h.configFile(root, { prefix: "cli/" });
    const first = await runCli(["sync", "--config", config, "--json"]);
    assert.equal(first.code, 0, first.stderr);
    const result = JSON.parse(first.stdout) as SyncResult;
    assert.equal(result.plan.put, 30);
    await settle(result);
    assert.equal((await h.listSiteFiles("cli/")).length, 30);
    // Off a terminal, with no flag, the result is JSON; --text asks for the summary a terminal shows.
    const second = await runCli(["sync", "--config", config]);
    assert.equal(second.code, 0, second.stderr);
    assert.equal((JSON.parse(second.stdout) as SyncResult).plan.put, 0);
    const third = await runCli(["sync", "--config", config, "--text"]);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, /nothing to do/);
  });

  test("an agent out of its heap exits 1 naming SITESYNC_HEAP_MB, and the next run completes", async () => {
    const root = h.tempDir();
    writeTree(root, siteFiles(5));
    const config = h.configFile(root, { prefix: "heap/" });
    const starved = await runCli(["sync", "--config", config], { env: { SITESYNC_HEAP_MB: "4" } });
    assert.equal(starved.code, 1);
    assert.match(starved.stderr, /more than its 4 MiB heap.*SITESYNC_HEAP_MB=16/);
    const next = await runCli(["sync", "--config", config, "--json"]);
    assert.equal(next.code, 0, next.stderr);
    await settle(JSON.parse(next.stdout) as SyncResult);
    assert.equal((await h.listSiteFiles("heap/")).length, 5);
  });

  test("a second concurrent run exits 3 and changes nothing", async () => {
    const root = h.tempDir();
    writeTree(root, siteFiles(3));
    const config = h.configFile(root, { prefix: "locked/" });
    const lock = acquireLock(join(dirname(config), "state"), "sync", silentLogger);
    try {
      const res = await runCli(["sync", "--config", config]);
      assert.equal(res.code, 3);
      assert.match(res.stderr, /holds .*sitesync\.lock/);
    } finally {
      lock.release();
    }
    assert.deepEqual(await h.listKeys("locked/"), []);
  });

  test("a stale lock (its process is gone) is taken over with a warning", async () => {
    const root = h.tempDir();
    writeTree(root, siteFiles(3));
    const config = h.configFile(root, { prefix: "stale/" });
    const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]);
    const stateDir = join(dirname(config), "state");
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(
      join(stateDir, "sitesync.lock"),
      JSON.stringify({ pid: dead.pid, host: hostname(), started: "2026-01-01T00:00:00Z", command: "sync" }),
    );
    const res = await runCli(["sync", "--config", config]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stderr, /stale lock/);
    assert.ok(!readdirSync(stateDir).includes("sitesync.lock"), "the lock is released at the end");
  });

  test("an emptied tree (an unmounted volume) exits 4 and deletes nothing; --force empties the site", async () => {
    const root = h.tempDir();
    writeTree(root, siteFiles(25));
    const config = h.configFile(root, { prefix: "guard/" });
    const first = await runCli(["sync", "--config", config, "--json"]);
    assert.equal(first.code, 0, first.stderr);
    await settle(JSON.parse(first.stdout) as SyncResult);
    const published = await h.listKeys("guard/");
    assert.equal((await h.listSiteFiles("guard/")).length, 25);
    for (const entry of readdirSync(root)) rmSync(join(root, entry), { recursive: true });

    const guarded = await runCli(["sync", "--config", config]);
    assert.equal(guarded.code, 4);
    assert.match(guarded.stderr, /no files.*mounted/);
    assert.deepEqual(await h.listKeys("guard/"), published, "nothing was deleted");

    const forced = await runCli(["sync", "--config", config, "--force", "--json"]);
    assert.equal(forced.code, 0, forced.stderr);
    await settle(JSON.parse(forced.stdout) as SyncResult);
    assert.deepEqual(await h.listKeys("guard/"), [], "files and generated listings are gone");
  });

  test("deleting more than the configured share exits 4; a missing root exits 4", async () => {
    const root = h.tempDir();
    writeTree(root, siteFiles(40));
    const config = h.configFile(root, { prefix: "share/", deleteGuard: { maxShare: 0.5, minFiles: 5 } });
    const first = await runCli(["sync", "--config", config, "--json"]);
    await settle(JSON.parse(first.stdout) as SyncResult);
    const published = await h.listKeys("share/");
    for (const d of ["dir0", "dir1", "dir2"]) rmSync(join(root, d), { recursive: true });
    const res = await runCli(["sync", "--config", config]);
    assert.equal(res.code, 4);
    assert.match(res.stderr, /delete 24 of 40/);
    assert.deepEqual(await h.listKeys("share/"), published);

    const missing = await runCli(["sync", "--config", config, join(root, "no-such-dir")]);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /does not exist/);
  });

  test(`an unmounted sub-volume (a top-level folder of 45% of the site) \
exits 4 although the site-wide share is 50%`, async () => {
    const root = h.tempDir();
    const tree: Record<string, string> = {};
    for (let i = 0; i < 90; i++) tree[`media/m${i}.jpg`] = `m${i}`;
    for (let i = 0; i < 110; i++) tree[`pages/p${i}.html`] = `p${i}`;
    writeTree(root, tree);
    const config = h.configFile(root, {
      prefix: "subvol/",
      deleteGuard: { maxShare: 0.5, minFiles: 20, minDirectoryFiles: 50 },
    });
    await settle(JSON.parse((await runCli(["sync", "--config", config, "--json"])).stdout) as SyncResult);
    const published = await h.listKeys("subvol/media/");
    rmSync(join(root, "media"), { recursive: true });
    mkdirSync(join(root, "media"));
    const res = await runCli(["sync", "--config", config]);
    assert.equal(res.code, 4, res.stderr);
    assert.match(
      res.stderr,
      /delete 90 of 90 files under media\/ \(100\.0%\): a whole directory vanishing looks like an unmounted volume/,
    );
    assert.deepEqual(await h.listKeys("subvol/media/"), published);
  });

  test("bad usage and bad config exit 2 with a message naming the problem", async () => {
    const usage = await runCli(["sync"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--config FILE is required/);
    const unknown = await runCli(["publish"]);
    assert.equal(unknown.code, 2);
    const config = h.configFile(h.tempDir(), { nameEncoding: "klingon" });
    const bad = await runCli(["sync", "--config", config]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /sitesync.json: .*nameEncoding.*klingon.*for example/);
    const help = await runCli(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes/);
  });
});
