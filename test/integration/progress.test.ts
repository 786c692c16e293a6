// What a person and a machine see while a long command runs: on a terminal (a pseudo-terminal from
// util-linux `script`) one progress line redrawn in place and no JSON; off a terminal, JSON lines only,
// with a progress line every --progress-interval. Through the real CLI (bin/sitesync.ts in its worker) and
// the local stack.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { getFile } from "../../aws/index/files.ts";
import type { DesiredPut } from "../../core/index-record.ts";
import type { SyncResult } from "../../agent/sync/sync.ts";
import { displayWidth } from "../../agent/output-columns.ts";
import { hostPlanPage } from "../../core/host-plan.ts";
import { runCli } from "../support/cli.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";

const CLI = join(dirname(fileURLToPath(import.meta.url)), "../../bin/sitesync.ts");
const COLUMNS = 72;

/** Enough files that the run outlasts a few redraws (every 100 ms); one of them with a wide-character name. */
function siteFiles(n: number): Record<string, string> {
  const files = Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`dir${i % 12}/page-${i}.html`, `<p>page ${i}</p>`]),
  );
  return { ...files, "文書/日本語のとても長い名前のフォルダ/説明.txt": "wide" };
}

const quote = (arg: string) => `'${arg.replaceAll("'", `'\\''`)}'`;

/** The command in a pseudo-terminal COLUMNS wide: stdout and stderr both the terminal, as typed by a person. */
function runInTerminal(args: string[]): Promise<{ code: number | null; output: string }> {
  const command = `stty cols ${COLUMNS} rows 40; ${[process.execPath, CLI, ...args].map(quote).join(" ")}`;
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** The command with stdout and stderr one file, as `>> log 2>&1` in a crontab. */
function runShared(args: string[], file: string): Promise<{ code: number | null; output: string }> {
  const fd = openSync(file, "w");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", fd, fd] });
    child.on("error", reject);
    child.on("close", (code) => {
      closeSync(fd);
      resolve({ code, output: readFileSync(file, "utf8") });
    });
  });
}

/** Each drawing of the live line: text after "\r\x1b[2K" that the next one replaces (a log line ends in \n). */
function redraws(output: string): string[] {
  return [...output.matchAll(/\r\x1b\[2K([^\r\n\x1b]+)(?=\r\x1b\[2K|$)/g)].map((m) => m[1]!);
}

const lines = (text: string) => text.split(/\r?\n|\r/).filter((l) => l.trim() !== "");

function jsonLines(text: string): Array<Record<string, unknown>> {
  return lines(text).map((line) => {
    assert.ok(line.startsWith("{"), `not a JSON line: ${JSON.stringify(line)}`);
    return JSON.parse(line) as Record<string, unknown>;
  });
}

describe("progress and output modes (command line)", () => {
  let h: Harness;

  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  test("on a terminal: a live line fitted to its width, then the summary, no JSON; restore the same", async () => {
    const root = h.tempDir();
    writeTree(root, siteFiles(60));
    const config = h.configFile(root, { prefix: "tty/" });
    const run = await runInTerminal(["sync", "--config", config]);
    assert.equal(run.code, 0, run.output);
    const shown = redraws(run.output);
    // Which figures a redraw holds depends on when the timer fires (61 files scan in a few milliseconds): a
    // scanning phase and a line with live figures must both be shown.
    assert.ok(
      shown.some((l) => /^sync (scanning|staging and sending)/.test(l)),
      shown.join("\n"),
    );
    assert.ok(
      shown.some((l) => /[\d,]+ files scanned|staged [\d,]+\/61/.test(l)),
      shown.join("\n"),
    );
    for (const line of shown) assert.ok(displayWidth(line) < COLUMNS, `wider than the terminal: ${line}`);
    assert.match(run.output, /\r\x1b\[2KRun \d{8}T/, "the line is cleared before the summary");
    assert.match(run.output, /scanned {3}61 files .* peak memory [\d.]+ MiB \(the agent's process\)/);
    for (const line of lines(run.output)) assert.ok(!line.trimStart().startsWith("{"), `JSON: ${line}`);

    const quiet = await runInTerminal(["sync", "--config", config, "--quiet"]);
    assert.equal(quiet.code, 0, quiet.output);
    assert.equal(quiet.output, "", "a quiet run with nothing to warn about prints nothing");

    await h.stack.waitForRun(/Run (\S+)/.exec(run.output)![1]!, 60_000);
    const restore = await runInTerminal(["restore", "--config", config, h.tempDir()]);
    assert.equal(restore.code, 0, restore.output);
    const restoring = redraws(restore.output);
    assert.ok(
      restoring.some((l) => /^restore restoring · restored [\d,]+\/61/.test(l)),
      restoring.join("\n"),
    );
    assert.match(restore.output, /Restore in [\d.]+ s: 61 files in the restored state/);
    for (const line of lines(restore.output)) assert.ok(!line.trimStart().startsWith("{"), `JSON: ${line}`);
  });

  test("off a terminal with --json: one JSON result on stdout, JSON lines with progress lines on stderr", async () => {
    const root = h.tempDir();
    writeTree(root, siteFiles(40));
    const config = h.configFile(root, { prefix: "pipes/" });
    const run = await runCli(["sync", "--config", config, "--json", "--progress-interval", "0.2"]);
    assert.equal(run.code, 0, run.stderr);
    const [result, ...more] = jsonLines(run.stdout);
    assert.equal(more.length, 0);
    assert.equal((result as unknown as SyncResult).plan.put, 41);
    const logged = jsonLines(run.stderr);
    const progress = logged.filter((l) => l.msg === "progress");
    assert.ok(progress.length >= 2, `progress lines: ${progress.length}`);
    assert.equal(progress[0]!.command, "sync");
    const last = progress.at(-1)!;
    assert.equal(typeof last.filesScanned, "number");
    assert.ok(
      ["filesPerSecond", "changes", "bytesStaged", "manifestsSent"].every((k) => k in last),
      `${last}`,
    );
    assert.ok(!run.stderr.includes("\r"), "no live line off a terminal");
  });

  test("stdout and stderr one file (cron's 2>&1): every line JSON, the result last", async () => {
    const root = h.tempDir();
    writeTree(root, siteFiles(30));
    const config = h.configFile(root, { prefix: "cron/" });
    const run = await runShared(["sync", "--config", config, "--progress-interval", "0.2"], join(root, "..", "log"));
    assert.equal(run.code, 0, run.output);
    const all = jsonLines(run.output);
    assert.ok(all.some((l) => l.msg === "progress"));
    assert.equal((all.at(-1) as unknown as SyncResult).plan.put, 31);
  });

  test("adopt on a terminal: files scanned, changes found, files adopted", async () => {
    const root = h.tempDir();
    const files = siteFiles(40);
    writeTree(root, files);
    // What another tool did: each file put into the bucket under the prefix, after it was written.
    for (const [rel, Body] of Object.entries(files)) {
      const put = { Bucket: h.stack.definition.siteBucket, Key: `ad/${rel}`, Body };
      await h.stack.clients.s3.send(new PutObjectCommand(put));
    }
    const run = await runInTerminal(["adopt", "--config", h.configFile(root, { prefix: "ad/" })]);
    assert.equal(run.code, 0, run.output);
    const shown = redraws(run.output);
    assert.ok(
      shown.some((l) => /^adopt listing · [\d,]+ files scanned.* · \d+ changes · adopted \d+/.test(l)),
      shown.join("\n"),
    );
    for (const line of lines(run.output)) assert.ok(!line.trimStart().startsWith("{"), `JSON: ${line}`);
  });

  test("restore --from-queue on a terminal: the plan's page and the files restored so far", async () => {
    const root = h.tempDir();
    writeTree(root, siteFiles(30));
    const config = h.configFile(root, { prefix: "rq/" });
    await h.publish(h.config(root, { prefix: "rq/" }));
    const files = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const key = `rq/dir${i % 12}/page-${i}.html`;
        const f = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, key);
        return { key, desired: f!.desired as DesiredPut, publishedVersion: f!.desired.version };
      }),
    );
    const head = { restoreId: "20261202T000000000Z-bbbbbb", sitePrefix: "rq/", prefix: "rq/", pages: 1, page: 0 };
    for (const MessageBody of hostPlanPage(head, files, [])) {
      await h.stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: h.stack.restoreQueueUrl, MessageBody }));
    }
    const target = join(h.tempDir(), "restored");
    mkdirSync(target);
    const run = await runInTerminal(["restore", "--config", config, "--from-queue", target]);
    assert.equal(run.code, 0, run.output);
    const shown = redraws(run.output);
    assert.ok(
      shown.some((l) => l.startsWith("restore --from-queue plan page 1/1 · restored 30")),
      shown.join("\n"),
    );
    assert.match(run.output, /30 files in the restored state/);
  });
});
