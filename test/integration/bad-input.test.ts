// Bad input, each with a clear message and nothing lost. One case per kind of bad input the agent meets on an
// FTP host — unreadable files and folders, names too long for S3, symbolic link loops, sockets and FIFOs,
// files vanishing between the scan and the read, an empty or missing root, a sub-volume that is no longer
// mounted, a corrupt or foreign lock file, a lock held from another host, a malformed or hostile
// configuration, a clock that went backwards — and the manifests the apply handler meets that are not JSON or
// not ours. Each case asserts (1) the message names the input and the fix, (2) the exit code, and (3) nothing
// else is lost: the rest of the tree is published byte for byte and the index equals the bucket.
//
// The agent runs as cron runs it: the single-file bundle, a child process; the unreadable cases as the
// unprivileged user (CI runs as root, whom permission bits do not stop).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, renameSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { CreateQueueCommand, SendMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { getFile } from "../../aws/index/files.ts";
import { PARKED_ATTRIBUTES } from "../../lambdas/apply/handler.ts";
import { startFaultProxies, type FaultProxies } from "../../local/fault-proxy.ts";
import {
  agentSync,
  buildAgent,
  checkNothingElseLost,
  openToEveryone,
  warningAbout,
  type AgentRun,
} from "../support/bad-input.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";
import { deadLetters } from "../support/poison.ts";

const LOCK = join(dirname(fileURLToPath(import.meta.url)), "../../agent/lock.ts");

/** The rest of the tree: what must be published whatever else is in it. */
function rest(tag: string): Record<string, string> {
  return Object.fromEntries(
    Array.from({ length: 12 }, (_, i) => [`keep${i % 3}/page-${i}.html`, `<p>${tag} ${i}</p>`] as const),
  );
}

describe("bad input on the host: a clear message, the right exit code, nothing else lost", () => {
  let h: Harness;
  let agent: string;
  let proxy: FaultProxies;
  const servers: Server[] = [];
  const children: ChildProcess[] = [];

  before(async () => {
    h = await startHarness();
    agent = await buildAgent(h);
    proxy = await startFaultProxies(h.stack.servers.endpoints, { share: 0, seed: 1 });
  });
  after(async () => {
    for (const s of servers) s.close();
    for (const c of children) c.kill("SIGKILL");
    await proxy.stop();
    await h.close();
  });

  /** A tree of `rest` plus `extra`, its config (prefix `name/`), and a first publish of it. */
  async function site(name: string, extra: Record<string, string> = {}, settings: Record<string, unknown> = {}) {
    const root = h.tempDir();
    writeTree(root, { ...rest(name), ...extra });
    const config = h.configFile(root, { prefix: `${name}/`, ...settings });
    return { root, config, prefix: `${name}/` };
  }

  const ok = (run: AgentRun) => assert.equal(run.code, 0, run.stderr.slice(-2000));

  test("unreadable files and folders: named with the fix (read permission), kept, never deleted; exit 0", async () => {
    const { root, config, prefix } = await site("unreadable", { "locked/a.html": "a", "locked/deep/b.html": "b" });
    openToEveryone(root, dirname(config));
    ok(await agentSync(h, agent, config, { unprivileged: true }));
    writeTree(root, { "private/secret.html": "never readable" });
    chmodSync(join(root, "private/secret.html"), 0o000);
    chmodSync(join(root, "locked"), 0o000);
    try {
      const run = await agentSync(h, agent, config, { unprivileged: true });
      ok(run);
      const folder = warningAbout(run, /^unreadable: kept as published, never deleted$/, "locked");
      assert.match(String(folder.reason), /EACCES.*let the user sitesync runs as read it \(chmod or chown\)/);
      const file = warningAbout(run, /^file left for the next run$/, "private/secret.html");
      assert.match(String(file.detail), /EACCES.*let the user sitesync runs as read it/);
      assert.equal(run.result!.plan.delete, 0, "nothing under the unreadable folder is deleted");
    } finally {
      chmodSync(join(root, "locked"), 0o755);
    }
    // locked/ stays as published; the file never read is not in the bucket.
    await checkNothingElseLost(h, root, prefix, ["private/secret.html"]);
  });

  test("names over S3's 1,024-byte key limit: each skipped, named, with the fix (rename or move); exit 0", async () => {
    const { root, config, prefix } = await site("long");
    // Four folders of 240 bytes: the folder's key is about 970 bytes, room for short names only.
    const deep = ["a", "b", "c", "d"].map((c) => c.repeat(240)).join("/");
    const longName = `${deep}/${"n".repeat(60)}.html`;
    const longDir = `${deep}/${"f".repeat(60)}`;
    writeTree(root, { [`${deep}/short.html`]: "fits", [longName]: "too long", [`${longDir}/x.html`]: "too deep" });
    const run = await agentSync(h, agent, config);
    ok(run);
    const name = warningAbout(run, /^skipped: not published$/, longName);
    assert.match(
      String(name.reason),
      /^key is 10\d\d bytes of UTF-8; S3 allows at most 1024: never published; rename it/,
    );
    const dir = warningAbout(run, /^skipped: not published$/, longDir);
    assert.match(String(dir.reason), /no file in it fits S3's 1024-byte key limit: never published; rename it or move/);
    await checkNothingElseLost(h, root, prefix, [longName, longDir]);
  });

  test("symbolic link loops: never followed, each named with the fix; the rest published; exit 0", async () => {
    const { root, config, prefix } = await site("links", { "real/page.html": "real" });
    symlinkSync("self", join(root, "self"));
    symlinkSync("pong", join(root, "ping"));
    symlinkSync("ping", join(root, "pong"));
    symlinkSync("..", join(root, "real/up"));
    symlinkSync(".", join(root, "real/here"));
    const run = await agentSync(h, agent, config);
    ok(run);
    for (const link of ["self", "ping", "pong", "real/up", "real/here"]) {
      const w = warningAbout(run, /^skipped: not published$/, link);
      assert.match(String(w.reason), /^a symbolic link, never followed .*: put the file or folder itself in the tree/);
    }
    await checkNothingElseLost(h, root, prefix);
  });

  test("sockets and FIFOs: skipped, each named with the fix, the run never blocks on them; exit 0", async () => {
    const { root, config, prefix } = await site("special", { "run/page.html": "p" });
    const socket = createServer();
    servers.push(socket);
    await new Promise<void>((resolve) => socket.listen(join(root, "run/app.sock"), resolve));
    assert.equal(spawnSync("mkfifo", [join(root, "run/feed.fifo")]).status, 0, "mkfifo");
    const run = await agentSync(h, agent, config);
    ok(run);
    assert.match(String(warningAbout(run, /^skipped: not published$/, "run/app.sock").reason), /^a socket, not a file/);
    const fifo = warningAbout(run, /^skipped: not published$/, "run/feed.fifo");
    assert.match(String(fifo.reason), /^a FIFO \(named pipe\), not a file: never published; move it out of the tree/);
    await checkNothingElseLost(h, root, prefix);
  });

  test(`files vanishing between the scan and the read (deleted, moved, replaced by a link or a FIFO): \
each named, left for the next run, which publishes the tree as it is; exit 0`, async () => {
    const files = {
      "gone/deleted.html": "1",
      "gone/linked.html": "2",
      "gone/piped.html": "3",
      "gone/moved/m.html": "4",
    };
    const { root, prefix } = await site("vanish", files);
    const settings = h.stack.agentSettings() as { endpoints: Record<string, string> };
    const config = h.configFile(root, { prefix, endpoints: { ...settings.endpoints, ...proxy.endpoints } });
    ok(await agentSync(h, agent, config));
    writeTree(root, Object.fromEntries(Object.keys(files).map((rel) => [rel, "changed, to be read again"])));
    // The run's first write to the index comes after its scan and before any read: the tree changes there.
    let changed = false;
    proxy.setInterceptor((r) => {
      const target = String(r.headers["x-amz-target"] ?? "");
      if (changed || r.service !== "dynamodb" || !/PutItem|UpdateItem|BatchWriteItem/.test(target)) return undefined;
      changed = true;
      rmSync(join(root, "gone/deleted.html"));
      rmSync(join(root, "gone/linked.html"));
      symlinkSync("/etc/passwd", join(root, "gone/linked.html"));
      rmSync(join(root, "gone/piped.html"));
      spawnSync("mkfifo", [join(root, "gone/piped.html")]);
      renameSync(join(root, "gone/moved"), join(root, "gone/moved-away"));
      return Promise.resolve("forward");
    });
    let run: AgentRun;
    try {
      run = await agentSync(h, agent, config);
    } finally {
      proxy.setInterceptor(undefined);
    }
    ok(run);
    assert.ok(changed, "the tree changed between the scan and the reads");
    const left = (key: string) => String(warningAbout(run, /^file left for the next run$/, key).detail);
    assert.match(left("gone/deleted.html"), /^deleted or moved since the scan, before it could be read; the next run/);
    assert.match(left("gone/moved/m.html"), /^deleted or moved since the scan/);
    assert.match(left("gone/linked.html"), /^replaced by a symbolic link, which is never followed$/);
    assert.match(left("gone/piped.html"), /^no longer a regular file$/);
    assert.equal((await h.getObject(`${prefix}gone/linked.html`))?.body.toString(), "2", "the link is never read");

    const next = await agentSync(h, agent, config);
    ok(next);
    warningAbout(next, /^skipped: not published$/, "gone/linked.html");
    warningAbout(next, /^skipped: not published$/, "gone/piped.html");
    await checkNothingElseLost(h, root, prefix);
  });

  test("an empty or a missing root: the guard stops the run (exit 4) naming the root and the fix", async () => {
    const { root, config, prefix } = await site("empty-root");
    ok(await agentSync(h, agent, config));
    const aside = `${root}.real`;
    renameSync(root, aside);
    mkdirSync(root);
    try {
      const empty = await agentSync(h, agent, config);
      assert.equal(empty.code, 4, empty.stderr);
      assert.match(
        empty.stderr,
        new RegExp(`the tree ${root} holds no files of the 12 of the site: is the volume mounted\\?`),
      );
      assert.match(empty.stderr, /Nothing was changed\. Check the tree; run with --force if the deletions are meant/);
      rmSync(root, { recursive: true });
      const missing = await agentSync(h, agent, config);
      assert.equal(missing.code, 4, missing.stderr);
      assert.match(
        missing.stderr,
        new RegExp(`the tree to publish, ${root}, does not exist: is the volume mounted\\?`),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
      renameSync(aside, root);
    }
    const back = await agentSync(h, agent, config);
    ok(back);
    assert.equal(back.result!.plan.put + back.result!.plan.delete, 0, "the tree back: nothing to do");
    await checkNothingElseLost(h, root, prefix);
  });

  test("a tree replaced by an empty mount (a sub-volume no longer mounted): exit 4, naming the folder", async () => {
    const media = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`media/m${i}.jpg`, `m${i}`] as const));
    const { root, config, prefix } = await site("mount", media, {
      deleteGuard: { maxShare: 0.9, minFiles: 5, minDirectoryFiles: 20 },
    });
    ok(await agentSync(h, agent, config));
    renameSync(join(root, "media"), join(root, ".media-volume"));
    mkdirSync(join(root, "media")); // the mount point, empty while nothing is mounted on it
    const run = await agentSync(h, agent, config);
    assert.equal(run.code, 4, run.stderr);
    assert.match(
      run.stderr,
      /delete 30 of 30 files under media\/ \(100\.0%\): a whole directory vanishing looks like an unmounted volume/,
    );
    assert.match(run.stderr, /Nothing was changed\. Check the tree; run with --force/);
    rmSync(join(root, "media"), { recursive: true });
    renameSync(join(root, ".media-volume"), join(root, "media"));
    await checkNothingElseLost(h, root, prefix);
  });

  test(`a corrupt lock database: exit 3 naming it and the fix; \
a foreign lock note: replaced with a warning`, async () => {
    const { root, config, prefix } = await site("corrupt-lock");
    const stateDir = join(dirname(config), "state");
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(join(stateDir, "sitesync.lock.db"), "x".repeat(4096));
    const corrupt = await agentSync(h, agent, config);
    assert.equal(corrupt.code, 3, corrupt.stderr);
    assert.match(
      corrupt.stderr,
      new RegExp(
        "sitesync\\.lock\\.db is not a sitesync lock \\(it is not an SQLite database\\): " +
          "if no sitesync is running, remove it",
      ),
    );
    assert.deepEqual(await h.listKeys(prefix), [], "nothing was published");
    unlinkSync(join(stateDir, "sitesync.lock.db"));
    writeFileSync(join(stateDir, "sitesync.lock"), "locked by backup-tool 4.2\n");
    const foreign = await agentSync(h, agent, config);
    ok(foreign);
    assert.ok(
      foreign.warnings.some(
        (w) =>
          /^replacing a lock note that is not a sitesync note/.test(w.msg) && String(w.path).endsWith("sitesync.lock"),
      ),
      JSON.stringify(foreign.warnings),
    );
    await checkNothingElseLost(h, root, prefix);
  });

  test(`a lock held by a process on another host: exit 3 naming the host, the pid and the fix; \
once it is gone, its note does not block`, async () => {
    const { root, config, prefix } = await site("remote-lock");
    const stateDir = join(dirname(config), "state");
    const holder = await holdLock(stateDir, "web2.example.com");
    children.push(holder);
    const held = await agentSync(h, agent, config);
    assert.equal(held.code, 3, held.stderr);
    assert.match(
      held.stderr,
      new RegExp(
        `another sitesync sync \\(pid ${holder.pid} on web2\\.example\\.com, since [^)]+\\) holds .*sitesync\\.lock; ` +
          "this run stops\\. That host shares this state directory: the next run goes ahead once that run ends " +
          "\\(if it is stuck, stop it on web2\\.example\\.com\\)",
      ),
    );
    assert.deepEqual(await h.listKeys(prefix), [], "nothing was published");
    const gone = new Promise((resolve) => holder.on("exit", resolve));
    holder.kill("SIGKILL");
    await gone;
    const next = await agentSync(h, agent, config);
    ok(next);
    const note = next.warnings.find((w) => /^taking over a stale lock/.test(w.msg));
    assert.equal((note?.previous as { host?: string } | undefined)?.host, "web2.example.com", next.stderr);
    await checkNothingElseLost(h, root, prefix);
  });

  test(`a malformed or hostile configuration: exit 2 naming the file, the field and an example; \
nothing changed`, async () => {
    const { root, config, prefix } = await site("config");
    ok(await agentSync(h, agent, config));
    const good = JSON.parse((await import("node:fs")).readFileSync(config, "utf8")) as Record<string, unknown>;
    const cases: Array<{ why: string; text: string; message: RegExp }> = [
      { why: "not JSON", text: '{"root": "/srv", ', message: /"\(file\)" is not valid JSON/ },
      {
        why: "a prototype key",
        text: JSON.stringify(good).replace(/^\{/, '{"__proto__": {"delete": false},'),
        message: /"__proto__" is not a known setting; the settings are/,
      },
      {
        why: "a number as a string",
        text: JSON.stringify({ ...good, concurrency: { files: "32" } }),
        message: /"concurrency\.files" must be a whole number from 1 to 1024 \(for example: 32\)/,
      },
      {
        why: "a prefix that climbs out of its place",
        text: JSON.stringify({ ...good, prefix: "../other-site/" }),
        message: new RegExp(
          '"prefix" must be a path of at most 256 bytes with no "\\." or "\\.\\." segment, ' +
            'not "\\.\\./other-site/" \\(for example: "www/"\\)',
        ),
      },
      {
        why: "an endpoint that is a file",
        text: JSON.stringify({ ...good, endpoints: { s3: "file:///etc/passwd" } }),
        message: /"endpoints\.s3" must be a URL/,
      },
      {
        why: "a guard turned inside out",
        text: JSON.stringify({ ...good, deleteGuard: { maxShare: 5 } }),
        message: /"deleteGuard\.maxShare" must be a number from 0 to 1 \(for example: 0\.5\)/,
      },
    ];
    const bad = join(dirname(config), "bad.json");
    for (const c of cases) {
      writeFileSync(bad, c.text);
      const run = await agentSync(h, agent, bad);
      assert.equal(run.code, 2, `${c.why}: ${run.stderr}`);
      assert.match(
        run.warnings.map((w) => w.msg).join("\n"),
        new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: ${c.message.source}`),
        c.why,
      );
    }
    const again = await agentSync(h, agent, config);
    ok(again);
    assert.equal(again.result!.plan.put + again.result!.plan.delete, 0, "the good configuration: nothing to do");
    await checkNothingElseLost(h, root, prefix);
  });

  test(`a clock that went backwards: a file dated in the future is published once; its date set back is a \
change, never skipped; no run publishes it again and again`, async () => {
    const { root, config, prefix } = await site("clock", { "future.html": "from the future" }, { settleSeconds: 1 });
    const tomorrow = new Date(Date.now() + 86_400_000);
    utimesSync(join(root, "future.html"), tomorrow, tomorrow);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the settle window of the tree's ctimes
    const first = await agentSync(h, agent, config);
    ok(first);
    assert.equal(first.result!.diff.settling, 0, "a date a day ahead does not hold the file back");
    assert.equal((await h.getObject(`${prefix}future.html`))?.body.toString(), "from the future");
    const again = await agentSync(h, agent, config);
    ok(again);
    assert.equal(again.result!.plan.put, 0, "published once, not at every run");

    // The clock is put right: the file is saved again, with a date before the one indexed, and new bytes.
    const lastWeek = new Date(Date.now() - 7 * 86_400_000);
    writeFileSync(join(root, "future.html"), "saved after the clock was put right");
    utimesSync(join(root, "future.html"), lastWeek, lastWeek);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const earlier = await agentSync(h, agent, config);
    ok(earlier);
    assert.equal(earlier.result!.plan.put, 1, "an older date is a change too");
    const settled = await agentSync(h, agent, config);
    ok(settled);
    assert.equal(settled.result!.plan.put + settled.result!.plan.resend, 0, "then nothing to do");
    await checkNothingElseLost(h, root, prefix);
  });

  /** A process that holds the lock of `stateDir`, its note naming `host`. */
  async function holdLock(stateDir: string, host: string): Promise<ChildProcess> {
    const script = `
      import { acquireLock } from ${JSON.stringify(LOCK)};
      import { silentLogger } from ${JSON.stringify(join(dirname(LOCK), "../core/logger.ts"))};
      import { writeFileSync, readFileSync } from "node:fs";
      const lock = acquireLock(${JSON.stringify(stateDir)}, "sync", silentLogger);
      const note = JSON.parse(readFileSync(lock.path, "utf8"));
      writeFileSync(lock.path, JSON.stringify({ ...note, host: ${JSON.stringify(host)} }));
      process.stdout.write("held\\n");
      setInterval(() => {}, 1000);
    `;
    const child = spawn(
      process.execPath,
      ["--disable-warning=ExperimentalWarning", "--input-type=module", "-e", script],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (d) => String(d).includes("held") && resolve());
      child.on("exit", (code) => reject(new Error(`the lock holder exited with ${code}`)));
    });
    return child;
  }
});

// Inputs of the pipeline beyond the tree: manifests in the queue that are not ours, and a run whose recorded
// end is hours ahead of this host's clock. A harness of their own: what they leave (dead letters, a run whose
// messages were lost on purpose) is expected here.
describe("bad input the pipeline meets: foreign manifests, a clock behind the index", () => {
  let h: Harness;
  let agent: string;
  /** How many times the apply handler saw each message. */
  const deliveries = new Map<string, number>();

  before(async () => {
    h = await startHarness({ apply: false, expect: { deadLetters: true, handlerErrors: true } });
    agent = await buildAgent(h);
    h.stack.startApply({
      onError: () => {},
      handler: async (event) => {
        for (const r of event.Records) deliveries.set(r.messageId, (deliveries.get(r.messageId) ?? 0) + 1);
        return h.stack.applyHandler(event);
      },
    });
  });
  after(() => h.close());

  test(`a manifest that is not JSON, and one that is not ours (an S3 event): each parked after one delivery \
with its reason; the run beside them publishes everything; the next run re-sends nothing; exit 0`, async () => {
    const send = async (body: string) =>
      (await h.stack.clients.sqs.send(new SendMessageCommand({ QueueUrl: h.stack.queueUrl, MessageBody: body })))
        .MessageId!;
    const notJson = await send("<html>this is not a manifest</html>");
    const foreign = await send(
      JSON.stringify({
        Records: [{ eventSource: "aws:s3", eventName: "ObjectCreated:Put", s3: { object: { key: "x" } } }],
      }),
    );
    const root = h.tempDir();
    writeTree(root, rest("queue"));
    const config = h.configFile(root, { prefix: "queue/" });
    const run = await agentSync(h, agent, config);
    ok(run);

    const sourceOf = (m: Message) => m.MessageAttributes?.[PARKED_ATTRIBUTES.sourceMessageId]?.StringValue;
    const parked = new Map(
      (await deadLetters(h.stack, 2, 30_000, (m) => sourceOf(m) !== undefined)).map((m) => [sourceOf(m)!, m]),
    );
    const reason = (id: string) => parked.get(id)?.MessageAttributes?.[PARKED_ATTRIBUTES.reason]?.StringValue ?? "";
    assert.match(reason(notJson), new RegExp(`^message ${notJson}: body is not JSON; expected a sitesync manifest$`));
    assert.match(reason(foreign), new RegExp(`^message ${foreign}: .+`));
    for (const id of [notJson, foreign]) {
      assert.equal(parked.get(id)?.MessageAttributes?.[PARKED_ATTRIBUTES.receiveCount]?.StringValue, "1", id);
      assert.equal(deliveries.get(id), 1, "delivered once, never retried");
    }
    const next = await agentSync(h, agent, config);
    ok(next);
    assert.equal(next.result!.plan.resend + next.result!.plan.put, 0, "nothing of theirs is re-sent");
    await checkNothingElseLost(h, root, "queue/");
  });

  test(`a host clock behind the index's times: an entry sent by a run that "finished" hours from now and was \
never applied is re-sent at once, and only once`, async () => {
    const root = h.tempDir();
    const prefix = "clock-behind/";
    writeTree(root, rest("clock-behind"));
    const config = h.configFile(root, { prefix });
    // Its messages go to a queue no one reads, as if they were lost; the run itself succeeds.
    const lost = await h.stack.clients.sqs.send(new CreateQueueCommand({ QueueName: "sitesync-bad-input-lost" }));
    const settings = JSON.parse((await import("node:fs")).readFileSync(config, "utf8")) as Record<string, unknown>;
    const lostConfig = join(dirname(config), "lost.json");
    writeFileSync(
      lostConfig,
      JSON.stringify({ ...settings, queueUrl: lost.QueueUrl, postSyncStateMachineArn: undefined }),
    );
    const lostRun = await agentSync(h, agent, lostConfig, { wait: false });
    ok(lostRun);
    const sent = lostRun.result!.runId;
    assert.equal(await h.getObject(`${prefix}keep0/page-0.html`), undefined, "never applied");
    // This host's clock is three hours behind the one that recorded the run's end.
    await h.stack.clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: h.stack.definition.table,
        Key: { pk: { S: "runs" }, sk: { S: sent } },
        UpdateExpression: "SET finished = :f",
        ExpressionAttributeValues: { ":f": { S: new Date(Date.now() + 3 * 3_600_000).toISOString() } },
      }),
    );
    const next = await agentSync(h, agent, config);
    ok(next);
    assert.equal(next.result!.plan.byReason["resend:overdue"], 12, JSON.stringify(next.result!.plan.byReason));
    const record = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, `${prefix}keep0/page-0.html`);
    assert.equal(record?.published?.version, record?.desired.version, "published");
    const after = await agentSync(h, agent, config);
    ok(after);
    assert.equal(after.result!.plan.resend + after.result!.plan.put, 0, "re-sent once, not at every run");
    await checkNothingElseLost(h, root, prefix);
  });

  const ok = (run: AgentRun) => assert.equal(run.code, 0, run.stderr.slice(-2000));
});
