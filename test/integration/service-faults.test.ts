// Services fail now and then: a fault proxy (local/fault-proxy.ts) in front of S3, SQS and DynamoDB answers a
// tenth of all requests — the agent's, the apply handler's, PostSync's — with a 500, S3's 503 SlowDown,
// DynamoDB throttling, SQS errors, a truncated body or a dropped connection, before the server saw the request
// or after it did it. Three runs with edits and deletions slow down but converge: the bucket equals the tree
// byte for byte, the index equals the bucket, each run counted what it sent once, nothing is parked in the
// dead-letter queue, and the agent exits 0 and logs no error, as the README says.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { getRun, getRunProgress } from "../../aws/index/runs.ts";
import type { SyncResult } from "../../agent/sync/sync.ts";
import { seededRandom } from "../../core/seeded-random.ts";
import { runCli } from "../support/cli.ts";
import { startHarness, type Harness } from "../support/harness.ts";
import { checkSiteEqualsTree } from "../support/site-check.ts";

const SEED = 42;
const SHARE = 0.1;
const FILES = 2000;
const DIRS = 20;

describe(`service faults: ${SHARE * 100}% of requests fail, runs converge`, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      faults: { share: SHARE, seed: SEED },
      // Applied after each agent run rather than beside it: the servers, the proxy and the handler share this
      // process's event loop, and a test that ran both at once on two cores would mostly measure that.
      apply: false,
      // A message that failed waits out the visibility timeout before it is delivered again: a minute instead
      // of twelve keeps that within a test, and is still longer than an invocation takes under faults.
      overrides: { visibilityTimeoutSeconds: 60 },
    });
  });
  after(() => h.close());

  test("three runs of a few thousand files with edits and deletions", { timeout: 300_000 }, async (t) => {
    const random = seededRandom(SEED);
    const root = h.tempDir();
    const write = (rel: string, bytes: Buffer | string) => {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), bytes);
    };
    const names = Array.from({ length: FILES }, (_, i) => `d${String(i % DIRS).padStart(2, "0")}/f${i}.txt`);
    for (const name of names) write(name, `${name} version 1 ${"x".repeat(Math.floor(random() * 2000))}`);
    for (let i = 0; i < 20; i++) write(`docs/page${i}.html`, `<p>page ${i}, version 1</p>`);
    // Staged as objects of their own (largeFileBytes below): one in a single PUT, one in parts.
    write("big/one.bin", Buffer.alloc(300 * 1024, 1));
    write("big/parts.bin", Buffer.alloc(9 * 1024 * 1024, 2));
    const config = h.configFile(root, {
      prefix: "faults/",
      pack: { maxFiles: 200, maxBytes: 1_048_576, largeFileBytes: 262_144 },
    });

    const edits: Array<() => void> = [
      () => {},
      () => {
        for (let i = 0; i < 300; i++) write(names[(i * 7) % FILES]!, `edited in run 2, ${i}`);
        for (let i = 0; i < 150; i++) rmSync(join(root, names[(i * 13 + 5) % FILES]!), { force: true });
        for (let i = 0; i < 100; i++) write(`new/n${i}.txt`, `added in run 2, ${i}`);
        write("docs/page3.html", "<p>page 3, version 2</p>");
        write("big/parts.bin", Buffer.alloc(9 * 1024 * 1024, 3));
      },
      () => {
        rmSync(join(root, `d${DIRS - 1}`), { recursive: true });
        rmSync(join(root, "docs/page4.html"));
        for (let i = 0; i < 200; i++) write(names[(i * 11 + 3) % (FILES - DIRS)]!, `edited in run 3, ${i}`);
        for (let i = 0; i < 50; i++) write(`new/late/m${i}.txt`, `added in run 3, ${i}`);
        write("big/one.bin", Buffer.alloc(300 * 1024, 4));
      },
    ];

    for (const [i, edit] of edits.entries()) {
      edit();
      const started = Date.now();
      const run = await runCli(["sync", "--config", config, "--json"]);
      const seconds = (Date.now() - started) / 1000;
      assert.equal(run.code, 0, `run ${i + 1} exits 0 (README: "0 done"): ${run.stderr.slice(-2000)}`);
      const logs = run.stderr
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { level: string; msg: string });
      // The one warning the README announces: a first run makes the host's replica of the index.
      const firstRun = (l: { msg: string }) => i === 0 && l.msg.startsWith("the index replica was made afresh");
      assert.deepEqual(
        logs.filter((l) => (l.level === "error" || l.level === "warn") && !firstRun(l)),
        [],
        "no error or warning: the retries absorb the faults",
      );
      const result = JSON.parse(run.stdout) as SyncResult;
      const sent = result.publish?.entriesSent ?? 0;
      assert.ok(sent > 0, `run ${i + 1} sent entries`);
      const source = h.stack.startApply({ onError: () => {} });
      try {
        await h.stack.waitForRun(result.runId, 180_000);
        await h.waitForPostSync(result);
      } finally {
        await source.stop();
      }
      const { dynamodb } = h.stack.directClients;
      const record = await getRun(dynamodb, h.stack.definition.table, result.runId);
      assert.equal(record?.sent, sent, "the run's record counts each entry it sent once, retried writes included");
      const progress = await getRunProgress(dynamodb, h.stack.definition.table, result.runId);
      assert.equal(progress.applied, sent, "each entry is counted applied once");
      t.diagnostic(
        `run ${i + 1}: ${sent} entries in ${result.publish?.messagesSent} messages; agent ${seconds.toFixed(1)} s, ` +
          `published and PostSync done after ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      await checkSiteEqualsTree(h.stack, root, "faults/", { compare: i === edits.length - 1 ? "get" : "etag" });
    }
    assert.deepEqual(await h.deadLetters(), [], "nothing is parked in the dead-letter queue");

    const faults = h.stack.faults!;
    const counts = faults.counts();
    t.diagnostic(`requests through the proxies: ${JSON.stringify(faults.requests())}`);
    t.diagnostic(`faults injected (${faults.total()}): ${JSON.stringify(counts)}`);
    for (const service of ["s3", "sqs", "dynamodb"] as const) {
      assert.ok(Object.keys(counts[service]).length > 0, `${service} saw faults`);
    }
    for (const kind of ["before drop", "after drop", "after truncated"]) {
      assert.ok(
        Object.values(counts).some((c) => (c[kind] ?? 0) > 0),
        `"${kind}" was injected`,
      );
    }
  });
});
