// The apply handler when its own process dies or its writes race, each interleaving driven step by step: a
// proxy in front of the servers (local/fault-proxy.ts, no random faults) holds one chosen site PUT while the
// test kills the process that sent it or moves the index on, then lets it land late. Complements
// apply-repair.test.ts (a late PUT written by hand, then a redelivery) and delivery.test.ts (two runs' messages
// reversed and repeated): here the late PUT is the handler's own, and three runs arrive in every order.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { getFile } from "../../aws/index/files.ts";
import { getRun, getRunProgress } from "../../aws/index/runs.ts";
import { silentLogger } from "../../core/logger.ts";
import type { Manifest } from "../../core/manifest.ts";
import type { ProxiedRequest } from "../../local/fault-proxy.ts";
import { applyManifest, type ApplyDeps } from "../../lambdas/apply/apply-manifest.ts";
import { spawnApplyProcess } from "../support/apply-process.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";
import { takeManifests } from "../support/manifests.ts";

// Long enough for the steps between a kill and the late PUT's landing, short enough to wait out once.
const VISIBILITY_SECONDS = 15;

describe("the apply handler killed, raced and redelivered", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      apply: false,
      faults: { share: 0, seed: 14 },
      overrides: { visibilityTimeoutSeconds: VISIBILITY_SECONDS },
    });
  });
  after(() => h.close());

  const table = () => h.stack.definition.table;
  const record = (key: string) => getFile(h.stack.directClients.dynamodb, table(), key);
  const body = async (key: string) => (await h.getObject(key))?.body.toString();
  /** The handler's dependencies with the stack's clients, whose requests go through the proxy. */
  const deps = (): ApplyDeps => ({
    s3: h.stack.clients.s3,
    dynamodb: h.stack.clients.dynamodb,
    siteBucket: h.stack.definition.siteBucket,
    versionBucket: h.stack.definition.versionBucket,
    table: table(),
    rules: h.stack.definition.publishRules,
    logger: silentLogger,
  });
  const isSitePut = (key: string) => (r: ProxiedRequest) =>
    r.service === "s3" && r.method === "PUT" && r.url.split("?")[0] === `/${h.stack.definition.siteBucket}/${key}`;

  /** Holds the next request that `match` picks until release(); `arrived` resolves when it comes in. */
  function holdNext(match: (r: ProxiedRequest) => boolean, seen?: (r: ProxiedRequest) => void) {
    let release!: (action: "forward" | "drop") => void;
    const released = new Promise<"forward" | "drop">((resolve) => {
      release = resolve;
    });
    let arrive!: () => void;
    const arrived = new Promise<void>((resolve) => {
      arrive = resolve;
    });
    let held = false;
    h.stack.faults!.setInterceptor((r) => {
      seen?.(r);
      if (held || !match(r)) return undefined;
      held = true;
      arrive();
      return released;
    });
    return { arrived, release };
  }

  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await sleep(50);
    }
  }

  const syncOne = async (root: string, prefix: string) => {
    const result = await h.sync(h.config(root, { prefix, postSyncStateMachineArn: undefined }));
    return { result, manifest: (await takeManifests(h.stack, result.publish?.messagesSent ?? 0))[0]! };
  };

  test(`the apply process killed mid-batch, its PUT of V1 landing after V2 was published: the redelivered \
batch puts V2 back, the rest of it is applied, each message counted once`, async () => {
    const root = h.tempDir();
    const files: Record<string, string> = { "page.html": "version one", "gone.txt": "short-lived" };
    for (let i = 0; i < 250; i++) files[`f${i}.txt`] = `file ${i}`;
    writeTree(root, files);
    const config = h.config(root, { prefix: "killed/", postSyncStateMachineArn: undefined });
    const first = await h.sync(config);
    assert.equal(first.publish?.messagesSent, 3, "three manifests, delivered as one batch");

    let sitePuts = 0;
    const late = holdNext(isSitePut("killed/page.html"), (r) => {
      if (r.service === "s3" && r.method === "PUT" && r.url.startsWith(`/${h.stack.definition.siteBucket}/`)) {
        sitePuts += 1;
      }
    });
    const child = spawnApplyProcess(h.stack, h.stack.faults!.endpoints);
    const exited = new Promise((resolve) => child.on("exit", resolve));
    await late.arrived;
    // Mid-batch: other entries are being written around the held one.
    await until("more of the batch is written", async () => sitePuts >= 60);
    child.kill("SIGKILL");
    await exited;
    const killedAt = Date.now();
    // Its last long poll (1 s) can still take a message the server is sent meanwhile, its requester dead: a
    // local server's quirk (Lambda's poller does not die with the function), so let it end first.
    await sleep(1500);
    h.stack.faults!.setInterceptor(undefined);
    const { dynamodb } = h.stack.directClients;
    const progress = await getRunProgress(dynamodb, table(), first.runId);
    assert.ok(progress.applied < 252, `the killed batch was not all counted (${progress.applied} of 252)`);

    writeFileSync(join(root, "page.html"), "version two!");
    rmSync(join(root, "gone.txt"));
    const second = await h.sync(config);
    const source = h.stack.startApply({ onError: () => {} });
    try {
      await h.stack.waitForRun(second.runId, 10_000);
      assert.equal(await body("killed/page.html"), "version two!");
      assert.equal(await h.getObject("killed/gone.txt"), undefined);

      late.release("forward");
      await until(
        "the killed process's PUT of V1 lands",
        async () => (await body("killed/page.html")) === "version one",
      );
      assert.ok(
        Date.now() - killedAt < (VISIBILITY_SECONDS - 2) * 1000,
        "the late PUT landed before the killed batch came back (else this test proves nothing)",
      );

      await h.stack.waitForRun(first.runId, (VISIBILITY_SECONDS + 30) * 1000);
      assert.equal(await body("killed/page.html"), "version two!", "the redelivered batch put V2 back");
      const page = await record("killed/page.html");
      assert.equal(page?.published?.version, second.runId);
      assert.equal((await h.getObject("killed/page.html"))?.metadata["sitesync-version"], second.runId);
      assert.equal(await h.getObject("killed/gone.txt"), undefined);
      assert.equal(await record("killed/gone.txt"), undefined);
      for (let i = 0; i < 250; i += 7) {
        assert.equal(await body(`killed/f${i}.txt`), `file ${i}`);
        assert.equal((await record(`killed/f${i}.txt`))?.published?.version, first.runId);
      }
      for (const run of [first, second]) {
        const counted = await getRunProgress(dynamodb, table(), run.runId);
        assert.equal(counted.applied, (await getRun(dynamodb, table(), run.runId))?.sent, "counted once");
      }
      assert.deepEqual(await h.deadLetters(), []);
    } finally {
      await source.stop();
      await sleep(1500); // the stopped source's last long poll, likewise
    }
  });

  test(`the desired version moves while V1's PUT is in flight: the handler writes V2 itself before it \
records anything, and reports V1 superseded`, async () => {
    const root = h.tempDir();
    writeTree(root, { "page.html": "version one", "other.txt": "other" });
    const { manifest: m1 } = await syncOne(root, "moved/");
    const held = holdNext(isSitePut("moved/page.html"));
    const applying = applyManifest(m1, deps());
    await held.arrived;

    writeFileSync(join(root, "page.html"), "version two!");
    const { result: second, manifest: m2 } = await syncOne(root, "moved/");
    assert.equal((await applyManifest(m2, deps())).counts.published, 1);
    assert.equal(await body("moved/page.html"), "version two!");

    held.release("forward");
    const outcome = await applying;
    h.stack.faults!.setInterceptor(undefined);
    assert.deepEqual(outcome.counts, { published: 1, deleted: 0, superseded: 1, done: 0 });
    const object = await h.getObject("moved/page.html");
    assert.equal(object?.body.toString(), "version two!", "V1 landed, then V2 was written over it");
    assert.equal(object?.metadata["sitesync-version"], second.runId);
    assert.equal((await record("moved/page.html"))?.published?.version, second.runId);
    assert.equal(await body("moved/other.txt"), "other");
  });

  test("the file is deleted while V1's PUT is in flight: the handler deletes what it wrote", async () => {
    const root = h.tempDir();
    writeTree(root, { "page.html": "version one", "stay.txt": "stays" });
    const { manifest: m1 } = await syncOne(root, "unmoved/");
    const held = holdNext(isSitePut("unmoved/page.html"));
    const applying = applyManifest(m1, deps());
    await held.arrived;

    rmSync(join(root, "page.html"));
    const { manifest: m2 } = await syncOne(root, "unmoved/");
    assert.equal((await applyManifest(m2, deps())).counts.deleted, 1);

    held.release("forward");
    const outcome = await applying;
    h.stack.faults!.setInterceptor(undefined);
    assert.equal(outcome.counts.superseded, 1);
    assert.equal(await h.getObject("unmoved/page.html"), undefined, "the late V1 is deleted again");
    assert.equal(await record("unmoved/page.html"), undefined);
    assert.equal(await body("unmoved/stay.txt"), "stays");
  });

  test(`three runs' manifests (update, delete, re-create) in every order, one repeated late: the newest \
state wins every time, each message counted once`, async () => {
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    for (const [n, order] of orders.entries()) {
      const prefix = `order${n}/`;
      const root = h.tempDir();
      writeTree(root, { "a.txt": "a1", "b.txt": "b1", "c.txt": "c1" });
      const runs: Array<{ runId: string; manifest: Manifest }> = [];
      const take = async () => {
        const { result, manifest } = await syncOne(root, prefix);
        runs.push({ runId: result.runId, manifest });
      };
      await take();
      writeFileSync(join(root, "a.txt"), "a2, longer");
      rmSync(join(root, "b.txt"));
      await take();
      writeFileSync(join(root, "a.txt"), "a3, longer still");
      writeFileSync(join(root, "b.txt"), "b3, back again");
      rmSync(join(root, "c.txt"));
      await take();

      // The oldest of the order's first two arrives again after everything else.
      for (const i of [...order, Math.min(order[0]!, order[1]!)]) await applyManifest(runs[i]!.manifest, deps());
      const label = `order ${order.join(",")}`;
      assert.equal(await body(`${prefix}a.txt`), "a3, longer still", `${label}: a is at its newest`);
      assert.equal(await body(`${prefix}b.txt`), "b3, back again", `${label}: b is re-created`);
      assert.equal(await h.getObject(`${prefix}c.txt`), undefined, `${label}: c is deleted`);
      const newest = runs[2]!.runId;
      assert.equal((await record(`${prefix}a.txt`))?.published?.version, newest);
      assert.equal((await record(`${prefix}b.txt`))?.published?.version, newest);
      assert.equal(await record(`${prefix}c.txt`), undefined);
      const { dynamodb } = h.stack.directClients;
      for (const run of runs) {
        const progress = await getRunProgress(dynamodb, table(), run.runId);
        assert.equal(progress.applied, run.manifest.entries.length, `${label}: run counted once`);
      }
    }
  });
});
