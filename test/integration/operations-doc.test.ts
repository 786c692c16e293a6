// docs/operations.md, run as written: every `sitesync` line of its code blocks, the command of its cron line
// and of its systemd unit's ExecStart, in the page's order, against the local stack, each followed by a
// check of what the page says it does; its site restore inputs are started on the local Step Functions.
// Only paths, the stack's endpoints and the example time are swapped. A command added to the page, or one
// taken out, fails the test until a step here runs it: the page cannot drift from what the agent does.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { SyncResult } from "../../agent/sync/sync.ts";
import { withoutHash } from "../support/aws-call-recorder.ts";
import { runCli } from "../support/cli.ts";
import {
  type DescribeStacksStub,
  localStackOutputs,
  operatorEnvironment,
  startDescribeStacksStub,
} from "../support/describe-stacks-stub.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";
import { sendPoisonManifest } from "../support/poison.ts";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = join(REPO, "bin/sitesync.ts");
const DOC_TIME = "2026-12-01T09:00:00Z";

type Kind = "sitesync" | "cron" | "systemd" | "workflow" | "aws";

interface DocCommand {
  kind: Kind;
  /** The command as the page gives it (continuation lines joined, a trailing comment dropped). */
  line: string;
}

/** The commands of the page's code blocks, in order. */
function docCommands(markdown: string): DocCommand[] {
  const commands: DocCommand[] = [];
  for (const block of markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)) {
    const language = block[1];
    const lines = block[2]!.replace(/\\\n\s*/g, "").split("\n");
    for (const raw of lines) {
      const line = raw.replace(/\s+#\s.*$/, "").trim();
      if (language === "cron" && /^(\S+\s+){5}\S+\s+\//.test(line)) {
        commands.push({ kind: "cron", line: line.split(/\s+/).slice(6).join(" ") });
      } else if (line.startsWith("ExecStart=")) {
        commands.push({ kind: "systemd", line: line.slice("ExecStart=".length) });
      } else if (line.startsWith("sitesync ")) {
        commands.push({ kind: "sitesync", line });
      } else if (line.startsWith("aws stepfunctions start-execution ")) {
        commands.push({ kind: "workflow", line });
      } else if (line.startsWith("aws ")) {
        commands.push({ kind: "aws", line });
      }
    }
  }
  return commands;
}

describe("docs/operations.md, as written", () => {
  let h: Harness;
  let stub: DescribeStacksStub;
  let dir: string;
  let paths: Record<string, string>;
  let asOf = "";

  before(async () => {
    h = await startHarness();
    stub = await startDescribeStacksStub([{ name: "sitesync-prod", outputs: localStackOutputs(h.stack) }]);
    dir = h.tempDir();
    paths = {
      "/etc/sitesync/prod.json": join(dir, "prod.json"),
      " prod.json": ` ${join(dir, "prod.json")}`,
      "/usr/local/bin/sitesync": "sitesync",
      "/var/log/sitesync/sync.log": join(dir, "sync.log"),
    };
  });
  after(async () => {
    await stub?.close();
    await h?.close();
  });

  /** One command of the page run by bash, `sitesync` being this checkout's command. */
  function run(line: string, env: Record<string, string> = {}) {
    let command = line;
    for (const [from, to] of Object.entries(paths)) command = command.replaceAll(from, to);
    command = command.replaceAll(DOC_TIME, asOf);
    // A `sitesync` line of the page is typed at a terminal, where the result is text; here stdout is a pipe,
    // so the function asks for the terminal's form (--text) unless the line asks for JSON. Cron's and
    // systemd's lines run as written: off a terminal, JSON.
    const typed = line.startsWith("sitesync ") ? "1" : "";
    const script = [
      "sitesync() {",
      '  case "$SITESYNC_TYPED:$1" in',
      '    1:sync|1:restore|1:adopt|1:status|1:redrive) [[ " $* " == *" --json "* ]] || set -- "$@" --text;;',
      "  esac",
      '  "$SITESYNC_NODE" "$SITESYNC_CLI" "$@"',
      "}",
      command,
    ].join("\n");
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn("bash", ["-c", script], {
        env: { ...process.env, ...env, SITESYNC_NODE: process.execPath, SITESYNC_CLI: CLI, SITESYNC_TYPED: typed },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  const root = () => join(dir, "site");
  const read = (rel: string) => readFileSync(join(root(), rel), "utf8");
  const site = async (key: string) => (await h.getObject(key))?.body.toString();

  /** Waits until the run is applied and its PostSync has succeeded. */
  async function settle(runId: string) {
    await h.stack.waitForRun(runId, 60_000);
    const arn = h.stack.postSync.stateMachineArn.replace(":stateMachine:", ":execution:");
    const execution = await h.stack.postSync.server.waitForExecution(`${arn}:${runId}`, 120_000);
    assert.equal(execution.status, "SUCCEEDED", execution.cause);
  }

  async function restoreSite(line: string) {
    assert.match(line, /--state-machine-arn "\$RESTORE_ARN"/);
    const input = /--input '(\{.*\})'/.exec(line)![1]!.replaceAll(DOC_TIME, asOf);
    const started = await h.stack.clients.sfn.send(
      new StartExecutionCommand({ stateMachineArn: h.stack.postSync.restoreStateMachineArn, input }),
    );
    const execution = await h.stack.postSync.server.waitForExecution(started.executionArn!, 120_000);
    assert.equal(execution.status, "SUCCEEDED", execution.cause);
  }

  async function until(what: string, check: () => Promise<boolean>) {
    const deadline = Date.now() + 60_000;
    while (!(await check())) {
      assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** One step per command of the page, in its order: what to check after running it. */
  const steps: Array<{ kind: Kind; match: RegExp; step: (line: string) => Promise<void> }> = [
    {
      kind: "sitesync",
      match: /^sitesync init prod\.json$/,
      step: async (line) => {
        const res = await run(line);
        assert.equal(res.code, 0, res.stderr);
      },
    },
    {
      kind: "sitesync",
      match: /^sitesync config --from-stack sitesync-prod -c prod\.json$/,
      step: async (line) => {
        const res = await run(line, operatorEnvironment(stub, h.stack.agentSettings().region as string));
        assert.equal(res.code, 0, res.stderr);
        assert.match(res.stdout, /AgentUser sitesync-local-agent/);
        // "Edit root and stateDir in it": by hand on a host; here also the local stack's endpoints, and no
        // settle window for a tree written a moment ago.
        writeTree(root(), { "index.html": "home", "docs/a.html": "A one", "docs/b.html": "B" });
        const file = paths["/etc/sitesync/prod.json"]!;
        const config = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
        const { endpoints, credentials } = h.stack.agentSettings();
        const edited = { ...config, root: root(), stateDir: join(dir, "state"), settleSeconds: 0 };
        writeFileSync(file, JSON.stringify({ ...edited, endpoints, credentials }, null, 2));
      },
    },
    {
      kind: "sitesync",
      match: /^sitesync sync --config \/etc\/sitesync\/prod\.json --dry-run$/,
      step: async (line) => {
        const res = await run(line);
        assert.equal(res.code, 0, res.stderr);
        assert.match(res.stdout, /upload 3\b/);
        assert.deepEqual(await h.listKeys(), [], "a dry run publishes nothing");
      },
    },
    {
      kind: "cron",
      match: /^\/usr\/local\/bin\/sitesync sync --config \/etc\/sitesync\/prod\.json >> \/var\/log\S+ 2>&1$/,
      step: async (line) => {
        const res = await run(line);
        assert.equal(res.code, 0, res.stderr);
        const log = readFileSync(paths["/var/log/sitesync/sync.log"]!, "utf8").trim().split("\n");
        const parsed = log.map((l) => JSON.parse(l) as Record<string, unknown>);
        const summary = parsed.find((l) => typeof l.runId === "string" && "plan" in l) as SyncResult | undefined;
        assert.ok(summary, `the run's summary is one JSON line of the log:\n${log.join("\n")}`);
        assert.equal(summary.plan.put, 3);
        assert.ok(
          parsed.some((l) => "_aws" in l),
          "the line CloudWatch makes the agent's metrics of (embedded metric format)",
        );
        await settle(summary.runId);
        assert.equal(await site("docs/a.html"), "A one");
        // The time the page restores to: after this version, before the next.
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        asOf = new Date().toISOString().replace(/\.\d+Z$/, "Z");
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        writeFileSync(join(root(), "docs/a.html"), "A two, a bad upload");
      },
    },
    {
      kind: "systemd",
      match: /^\/usr\/local\/bin\/sitesync sync --config \/etc\/sitesync\/prod\.json$/,
      step: async (line) => {
        const res = await run(line);
        assert.equal(res.code, 0, res.stderr);
        const runId = /\b(\d{8}T\d{9}Z-[0-9a-f]{6})\b/.exec(res.stdout)?.[1];
        assert.ok(runId, `the summary names the run:\n${res.stdout}`);
        await settle(runId);
        assert.equal(await site("docs/a.html"), "A two, a bad upload");
      },
    },
    ...["after a new key", "whenever something looks wrong"].map((why) => ({
      kind: "sitesync" as const,
      match: /^sitesync status --config \/etc\/sitesync\/prod\.json$/,
      step: async (line: string) => {
        const res = await run(line);
        assert.equal(res.code, 0, `${why}: ${res.stdout}${res.stderr}`);
        assert.match(res.stdout, /PostSync +inval\. paths[\s\S]*SUCCEEDED[\s\S]*Nothing needs attention\./);
      },
    })),
    {
      kind: "sitesync",
      match: /^sitesync redrive --config \/etc\/sitesync\/prod\.json --dry-run$/,
      step: async (line) => {
        // A manifest whose staged bytes are missing, where SQS puts it once every delivery has failed (that
        // move is SQS's, tested in apply-dead-letters.test.ts; here it would take maxReceiveCount timeouts).
        await sendPoisonManifest({ ...h.stack, queueUrl: h.stack.deadLetterQueueUrl });
        assert.equal((await h.deadLetters()).length, 1);
        const status = await runCli(["status", "--config", paths["/etc/sitesync/prod.json"]!, "--text"]);
        assert.equal(status.code, 5, status.stderr);
        assert.match(status.stdout, /Needs attention:\n {2}- 1 manifest message\(s\) in the dead-letter queue/);
        const res = await run(line);
        assert.equal(res.code, 0, res.stderr);
        assert.match(res.stdout, /1 message\(s\) would be sent back/);
        assert.equal((await h.deadLetters()).length, 1, "a dry run moves nothing");
      },
    },
    {
      kind: "sitesync",
      match: /^sitesync redrive --config \/etc\/sitesync\/prod\.json$/,
      step: async (line) => {
        // The fix: the staged bytes the manifest names exist again.
        await h.stack.directClients.s3.send(
          new PutObjectCommand({ Bucket: h.stack.definition.versionBucket, Key: "packs/missing.pack", Body: "fix" }),
        );
        const res = await run(line);
        assert.equal(res.code, 0, res.stderr);
        assert.match(res.stdout, /1 moved back to the manifest queue, 0 failed/);
        await until("the redriven manifest is published", async () => (await site("bad/poison.txt")) === "fix");
        assert.deepEqual(await h.deadLetters(), []);
      },
    },
    {
      kind: "workflow",
      match: /"target": "site", "prefix": "docs\/", .*"dryRun": true/,
      step: async (line) => {
        await restoreSite(line);
        assert.equal(await site("docs/a.html"), "A two, a bad upload", "a dry run restores nothing");
      },
    },
    {
      kind: "workflow",
      match: /"target": "site", "prefix": "docs\/", "sitePrefix": "", "asOf": "[^"]+"\}'$/,
      step: async (line) => {
        await restoreSite(line);
        await until("the site's docs/ is back", async () => (await site("docs/a.html")) === "A one");
        assert.equal(await site("index.html"), "home");
      },
    },
    {
      kind: "sitesync",
      match: /^sitesync restore --config \/etc\/sitesync\/prod\.json --prefix docs\/ --dry-run$/,
      step: async (line) => {
        const res = await run(line);
        assert.equal(res.code, 0, res.stderr);
        assert.equal(read("docs/a.html"), "A two, a bad upload", "a dry run writes nothing");
      },
    },
    {
      kind: "sitesync",
      match: /^sitesync restore --config \/etc\/sitesync\/prod\.json --prefix docs\/$/,
      step: async (line) => {
        const res = await run(line);
        assert.equal(res.code, 0, res.stderr);
        assert.equal(read("docs/a.html"), "A one");
        // "The next sync finds nothing to publish".
        const next = await runCli(["sync", "--config", paths["/etc/sitesync/prod.json"]!, "--json"]);
        assert.equal(next.code, 0, next.stderr);
        const result = JSON.parse(next.stdout) as SyncResult;
        assert.deepEqual(result.preview, []);
        assert.equal(result.publish?.entriesSent ?? 0, 0);
      },
    },
  ];

  test("each command does what the page says, in the page's order", async () => {
    const commands = docCommands(readFileSync(join(REPO, "docs/operations.md"), "utf8"));
    const runnable = commands.filter((c) => c.kind !== "aws");
    assert.deepEqual(
      runnable.map((c, i) => `${c.kind}: ${steps[i]?.match.test(c.line) ? "known" : c.line}`),
      steps.map((s) => `${s.kind}: known`),
      "every command of the page, and only those, has its step here",
    );
    for (const [i, command] of runnable.entries()) {
      await steps[i]!.step(command.line);
    }
  });

  test("its dashboard widgets and alarms are the deployed stack's, each described", () => {
    const doc = readFileSync(join(REPO, "docs/operations.md"), "utf8");
    const firstCells = (heading: string) => {
      const table = doc.slice(doc.indexOf(heading)).split("\n\n")[0]!.split("\n").slice(2);
      return table.map((row) => row.split("|")[1]!.trim().replaceAll("`", "")).sort();
    };
    const resources = Object.entries(h.stack.template.Resources);
    const dashboards = resources.filter(([, r]) => r.Type === "AWS::CloudWatch::Dashboard");
    assert.equal(dashboards.length, 1);
    const body = JSON.stringify(dashboards[0]![1].Properties);
    const widgets = [...body.matchAll(/\\"title\\":\\"(.*?)\\"/g)].map((m) => m[1]!).sort();
    assert.deepEqual(firstCells("| widget |"), widgets);
    const alarms = resources
      .filter(([, r]) => r.Type === "AWS::CloudWatch::Alarm")
      .map(([id]) => withoutHash(id).replace(/^(Alarms|Watchdog)/, ""))
      .sort();
    assert.deepEqual(firstCells("| alarm |"), alarms);
  });

  test("the aws lines it does not run are AWS's own: IAM key rotation, and reading the stack", () => {
    const commands = docCommands(readFileSync(join(REPO, "docs/operations.md"), "utf8"));
    const others = commands.filter((c) => c.kind === "aws").map((c) => c.line.split(" ").slice(0, 3).join(" "));
    assert.deepEqual(others, ["aws iam create-access-key", "aws iam update-access-key", "aws iam delete-access-key"]);
  });
});
