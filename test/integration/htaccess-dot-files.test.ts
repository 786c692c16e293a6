// What the agent makes of a tree's .htaccess files and dot files on the local stack: .htaccess files are
// read for their rules and never published, what they hold that cannot be carried over is reported by
// file and line on every run, the rules reach PostSync only when they change (and a run that dies before
// starting that PostSync leaves it to the next run); .well-known/ is published and other dot files are left
// out and counted, as the dotFiles setting widens or narrows; adoption leaves the edge's own objects alone.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { runAdopt } from "../../agent/adopt/adopt.ts";
import { beginRun, EDGE_RULES_REASON } from "../../agent/run-lifecycle.ts";
import { formatSummary } from "../../agent/summaries.ts";
import { runSync, type SyncResult } from "../../agent/sync/sync.ts";
import type { AgentConfig } from "../../agent/config.ts";
import { getEdgeRules, EDGE_RULES_KEY } from "../../aws/edge-rules-store.ts";
import { getFile } from "../../aws/index/files.ts";
import { ERROR_PAGE_KEY } from "../../core/edge-rules.ts";
import { type Logger, silentLogger } from "../../core/logger.ts";
import { newRunId } from "../../core/run-id.ts";
import { runCli } from "../support/cli.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";

/** A logger that keeps its warnings, as cron's mail or a log shipper would get them. */
function recordingLogger(): Logger & { warnings: Array<Record<string, unknown> & { msg: string }> } {
  const warnings: Array<Record<string, unknown> & { msg: string }> = [];
  return { ...silentLogger, warn: (msg, fields) => warnings.push({ msg, ...fields }), warnings };
}

describe(".htaccess files, read by the agent", () => {
  let h: Harness;
  let root: string;
  let config: AgentConfig;
  const run = async (logger: Logger = silentLogger): Promise<SyncResult> => {
    const result = await runSync(config, h.stack.clients, logger);
    if ((result.publish?.entriesSent ?? 0) > 0) await h.stack.waitForRun(result.runId, 60_000);
    await h.waitForPostSync(result);
    return result;
  };
  const storedRules = () => getEdgeRules(h.stack.clients.s3, h.stack.definition.versionBucket);

  before(async () => {
    h = await startHarness();
    root = h.tempDir();
    writeTree(root, {
      "index.html": "home",
      ".htaccess": "Redirect 301 /old.html /index.html\nRewriteEngine On\n",
      "news/a.html": "a",
      "news/.htaccess":
        "# news\nRedirect 301 /elsewhere /index.html\nAuthType Basic\nRedirect 302 /news/b /news/a.html\n",
    });
    config = h.config(root);
  });
  after(() => h?.close());

  test("never published nor indexed; their redirects are stored for PostSync", async () => {
    const result = await run();
    assert.equal(result.plan.put, 2, "index.html and news/a.html");
    assert.deepEqual(await h.listSiteFiles(), ["index.html", "news/a.html"]);
    assert.equal(await getFile(h.stack.clients.dynamodb, h.stack.definition.table, ".htaccess"), undefined);
    assert.equal(result.edge.htaccessFiles, 2);
    assert.equal(result.edge.rules, "stored");
    const rules = await storedRules();
    assert.deepEqual(
      rules?.redirects.map((r) => [r.source, r.from, r.status, r.to]),
      [
        ["news/.htaccess:4", "/news/b", 302, "/news/a.html"],
        [".htaccess:1", "/old.html", 301, "/index.html"],
      ],
      "the deeper file's rules first, as Apache's mod_alias merges them",
    );
  });

  test("what is not carried over is reported by file and line, on every run: log, result and summary", async () => {
    for (const attempt of ["first", "unchanged"]) {
      const logger = recordingLogger();
      const result = await run(logger);
      const shown = result.edge.notCarriedOver.map((n) => `${n.source} ${n.directive ?? ""}`.trim());
      assert.deepEqual(
        shown,
        [".htaccess:2 RewriteEngine", "news/.htaccess:3 AuthType", "news/.htaccess:2"],
        `${attempt} run`,
      );
      assert.match(result.edge.notCarriedOver[2]!.reason, /never applies: .* under \/news\//);
      const warned = logger.warnings.filter((w) => w.msg === ".htaccess: not carried over").map((w) => w.source);
      assert.deepEqual(warned, [".htaccess:2", "news/.htaccess:3", "news/.htaccess:2"]);
      const summary = formatSummary(result);
      assert.match(summary, /\.htaccess not carried over: news\/\.htaccess:3 AuthType: access control/);
      assert.match(summary, /\.htaccess 2 files read, 2 redirects; rules unchanged/);
    }
  });

  test("a rules-only change is a run of its own, sent 0, whose PostSync gets edgeRules", async () => {
    writeFileSync(join(root, "news/.htaccess"), "Redirect 301 /news/c /index.html\n");
    const result = await run();
    assert.equal(result.publish, undefined);
    assert.equal(result.edge.rules, "stored");
    const execution = await h.stack.postSync.server.waitForExecution(result.postSyncExecutionArn!, 1_000);
    assert.equal(execution.status, "SUCCEEDED");
    assert.deepEqual(JSON.parse(execution.input), { runId: result.runId, edgeRules: true });
    assert.deepEqual(
      (await storedRules())?.redirects.map((r) => r.from),
      ["/news/c", "/old.html"],
    );
  });

  test("an .htaccess that cannot be read keeps the rules stored before, and says so", async () => {
    writeFileSync(join(root, "news/.htaccess"), `# ${"x".repeat(1024 * 1024)}\nRedirect 301 /news/d /\n`);
    const logger = recordingLogger();
    const result = await run(logger);
    assert.equal(result.edge.rules, "kept");
    assert.deepEqual(
      result.edge.unreadable.map((u) => u.key),
      ["news/.htaccess"],
    );
    assert.match(result.edge.unreadable[0]!.reason, /larger than 1048576/);
    assert.equal(result.postSyncExecutionArn, undefined, "nothing to publish");
    assert.deepEqual(
      (await storedRules())?.redirects.map((r) => r.from),
      ["/news/c", "/old.html"],
      "not the root file's rules alone",
    );
    assert.ok(logger.warnings.some((w) => w.msg.startsWith(".htaccess: cannot be read")));
    assert.match(formatSummary(result), /rules NOT STORED: an \.htaccess could not be read/);
    assert.equal(await h.getObject("news/.htaccess"), undefined);
  });

  test("unchanged rules are stored again before the version store's expiry, without a PostSync", async () => {
    writeFileSync(join(root, "news/.htaccess"), "Redirect 301 /news/c /index.html\n");
    const statePath = join(config.stateDir, "edge-rules.json");
    const state = JSON.parse(readFileSync(statePath, "utf8")) as { stored: string };
    const longAgo = new Date(Date.now() - (config.retentionDays / 2 + 1) * 86_400_000);
    writeFileSync(statePath, JSON.stringify({ ...state, stored: longAgo.toISOString() }));
    const head = () =>
      h.stack.clients.s3.send(new HeadObjectCommand({ Bucket: h.stack.definition.versionBucket, Key: EDGE_RULES_KEY }));
    const before = (await head()).LastModified!;
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // LastModified has whole seconds
    const result = await run();
    assert.equal(result.edge.rules, "unchanged");
    assert.equal(result.postSyncExecutionArn, undefined);
    assert.ok((await head()).LastModified! > before, "written again");
    const stored = Date.parse((JSON.parse(readFileSync(statePath, "utf8")) as { stored: string }).stored);
    assert.ok(stored > longAgo.getTime());
  });

  test("a run that died after storing its rules gets its PostSync, with edgeRules, from the next run", async () => {
    const runId = newRunId();
    const started = new Date().toISOString();
    const counts = { [EDGE_RULES_REASON]: 1 };
    const record = { runId, status: "running" as const, prefix: "", started, sent: 0, messages: 0, changePages: 0 };
    await beginRun(h.stack.clients, h.stack.definition.table, { ...record, counts });
    const next = await run();
    const settled = next.settled?.find((s) => s.runId === runId);
    assert.ok(settled, "the dead run is settled");
    const execution = await h.stack.postSync.server.waitForExecution(settled.executionArn, 120_000);
    assert.equal(execution.status, "SUCCEEDED");
    assert.deepEqual(JSON.parse(execution.input), { runId, edgeRules: true });
  });
});

describe("dot files", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h?.close());

  test(".well-known/ is published at any depth; other dot files are left out and counted", async () => {
    const root = h.tempDir();
    writeTree(root, {
      "about.html": "about",
      ".well-known/security.txt": "Contact: mailto:security@example.com",
      ".well-known/acme-challenge/token": "proof",
      "shop/.well-known/apple-app-site-association": "{}",
      ".env": "SECRET=1",
      ".git/config": "[core]",
      ".git/HEAD": "ref: refs/heads/main",
      "blog/.post.html.swp": "swap",
      ".htpasswd": "admin:$apr1$x",
      ".sitesync/404.html": "a site file that would take the stack's key",
    });
    const config = h.config(root);
    const result = await h.publish(config);
    assert.deepEqual(await h.listSiteFiles(), [
      ".well-known/acme-challenge/token",
      ".well-known/security.txt",
      "about.html",
      "shop/.well-known/apple-app-site-association",
    ]);
    assert.equal(result.dotFiles.leftOut, 5, ".env, .git (once), .htpasswd, .sitesync, blog/.post.html.swp");
    assert.deepEqual([...result.dotFiles.sample].sort(), [
      ".env",
      ".git",
      ".htpasswd",
      ".sitesync",
      "blog/.post.html.swp",
    ]);
    assert.match(formatSummary(result), /dot files 5 left out \(/);
    assert.notEqual(
      (await h.getObject(ERROR_PAGE_KEY))?.body.toString(),
      "a site file that would take the stack's key",
    );
    const listing = (await h.getObject("index.html"))?.body.toString() ?? "";
    assert.match(listing, /about\.html/, "the root's generated listing");
    assert.doesNotMatch(listing, /well-known/, "which shows no dot folder");
    assert.doesNotMatch((await h.getObject(".well-known/index.html"))?.body.toString() ?? "", /\.git|\.env/);
  });

  test("the command's summary says what was left out and what was not carried over, dry run or not", async () => {
    const root = h.tempDir();
    writeTree(root, { "index.html": "home", ".env": "SECRET=1", ".htaccess": "RewriteEngine On\n" });
    const file = h.configFile(root, { prefix: "cli/" });
    for (const args of [["--dry-run"], []]) {
      const res = await runCli(["sync", "--config", file, "--text", ...args]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /dot files 1 left out \(\.env;/);
      assert.match(res.stdout, /\.htaccess not carried over: \.htaccess:1 RewriteEngine: mod_rewrite/);
      const fate = args.length > 0 ? "changed: a run would store them" : "changed: stored";
      assert.match(res.stdout, new RegExp(`\\.htaccess 1 files read, 0 redirects; rules ${fate}`));
      assert.match(res.stderr, /"msg":"\.htaccess: not carried over","source":"\.htaccess:1"/);
    }
    const server = h.stack.postSync.server;
    for (const e of server.executions()) await server.waitForExecution(e.executionArn, 120_000);
  });

  test("the dotFiles setting widens (publish globs, include) and narrows (exclude) what is published", async () => {
    const root = h.tempDir();
    writeTree(root, {
      "index.html": "home",
      ".nojekyll": "",
      ".well-known/security.txt": "Contact: mailto:security@example.com",
      ".env": "SECRET=1",
      ".htaccess": "Redirect 301 /x /index.html",
      ".htpasswd": "admin:$apr1$x",
    });
    const base = h.config(root, { prefix: "dots/" });
    const widened = await h.publish({ ...base, dotFiles: { publish: ["**/.well-known/**", ".nojekyll"] } });
    assert.equal(widened.dotFiles.leftOut, 2, ".env and .htpasswd");
    assert.deepEqual(await h.listSiteFiles("dots/"), [
      "dots/.nojekyll",
      "dots/.well-known/security.txt",
      "dots/index.html",
    ]);
    const all = await h.publish({ ...base, dotFiles: { publish: ["**"] } });
    assert.equal(all.dotFiles.leftOut, 1, ".htpasswd, whatever the setting");
    assert.ok((await h.listSiteFiles("dots/")).includes("dots/.env"));
    assert.equal(await h.getObject("dots/.htaccess"), undefined);
    assert.equal(await h.getObject("dots/.htpasswd"), undefined);
    const none = await h.publish({ ...base, dotFiles: { publish: [] } });
    assert.equal(none.plan.delete, 3, "narrowed: .env, .nojekyll and .well-known/security.txt leave the site");
    assert.deepEqual(await h.listSiteFiles("dots/"), ["dots/index.html"]);
  });
});

describe("adoption and the objects of sitesync's own edge", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h?.close());

  test("directory markers and .sitesync/ are neither orphans nor deleted, whatever the dot-file setting", async () => {
    const root = h.tempDir();
    writeTree(root, { "index.html": "home", "news/a.html": "a", "news/2024/b.html": "b", "img/c.png": "c" });
    const config = h.config(root, { dotFiles: "include" });
    await h.publish(config);
    const markers = ["img", "news", "news/2024"];
    for (const key of markers) {
      assert.equal((await h.getObject(key))?.metadata["sitesync-version"], "directory", `${key} is a marker`);
    }
    assert.ok(await h.getObject(ERROR_PAGE_KEY));

    const result = await runAdopt(config, h.stack.clients, silentLogger, { delete: true });
    assert.equal(result.orphans, 0, `orphans: ${result.orphanSample.join(", ")}`);
    assert.equal(result.edgeMarkers, markers.length);
    assert.equal(result.deletion, undefined, "nothing queued for deletion");
    for (const key of [...markers, ERROR_PAGE_KEY]) assert.ok(await h.getObject(key), `${key} is still there`);
  });
});
