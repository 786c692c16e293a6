// The apply handler against what S3 alone cannot prevent: a slow PUT that lands after a newer version (or a
// delete) was recorded by a handler that was then killed, and rewrite copies landing on real files. Every
// interleaving is reproduced step by step on the local stack: manifests are taken off the queue and applied
// by hand, and the killed handler's late PUT is written straight into the site bucket.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { getFile } from "../../aws/index/files.ts";
import { getRunProgress } from "../../aws/index/runs.ts";
import { silentLogger, type Logger } from "../../core/logger.ts";
import type { Manifest } from "../../core/manifest.ts";
import { applyManifest, type ApplyDeps } from "../../lambdas/apply/apply-manifest.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";
import { takeManifests } from "../support/manifests.ts";

type SiteObject = NonNullable<Awaited<ReturnType<Harness["getObject"]>>>;

describe("apply repairs what a killed handler's late write left, and keeps rewrite copies off real files", () => {
  let h: Harness;
  const warnings: Array<{ msg: string; fields: Record<string, unknown> }> = [];
  const logger: Logger = { ...silentLogger, warn: (msg, fields) => void warnings.push({ msg, fields: fields ?? {} }) };

  before(async () => {
    h = await startHarness({
      apply: false,
      environment: (env) => {
        env.publishRules = {
          rewrites: [{ from: "docs/", to: ["manual/"] }],
          cacheControl: [{ match: "**/*.html", value: "max-age=60" }],
        };
      },
    });
  });
  after(() => h.close());

  const deps = (): ApplyDeps => ({
    s3: h.stack.clients.s3,
    dynamodb: h.stack.clients.dynamodb,
    siteBucket: h.stack.definition.siteBucket,
    versionBucket: h.stack.definition.versionBucket,
    table: h.stack.definition.table,
    rules: h.stack.definition.publishRules,
    logger,
  });
  const apply = (manifest: Manifest) => applyManifest(manifest, deps());

  /** A sync whose one manifest is handed back instead of applied; no PostSync, so no listing writes race. */
  async function syncOne(root: string, prefix: string): Promise<Manifest> {
    const result = await h.sync(h.config(root, { prefix, postSyncStateMachineArn: undefined }));
    assert.equal(result.publish?.messagesSent, 1, "the run sent one manifest");
    return (await takeManifests(h.stack, 1))[0]!;
  }

  /** Rewrites a file with a newer mtime, so the next sync sees a change. */
  function edit(root: string, rel: string, content: string): void {
    const path = join(root, rel);
    writeFileSync(path, content);
    const later = new Date(statSync(path).mtimeMs + 10_000);
    utimesSync(path, later, later);
  }

  /** What the killed handler's PUT wrote, landing now. */
  async function latePut(key: string, object: SiteObject): Promise<void> {
    await h.stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: h.stack.definition.siteBucket,
        Key: key,
        Body: object.body,
        ContentType: object.contentType,
        CacheControl: object.cacheControl,
        Metadata: object.metadata,
      }),
    );
  }

  async function must(key: string): Promise<SiteObject> {
    const object = await h.getObject(key);
    assert.ok(object, `${key} is in the bucket`);
    return object;
  }

  const record = (key: string) => getFile(h.stack.clients.dynamodb, h.stack.definition.table, key);

  test("a late PUT of V1 after V2 was published: the redelivered V1 message puts V2 back, copy included", async () => {
    const root = h.tempDir();
    writeTree(root, { "docs/page.html": "version one" });
    const m1 = await syncOne(root, "race/");
    await apply(m1);
    const v1 = await must("race/docs/page.html");
    const v1Copy = await must("race/manual/page.html");
    edit(root, "docs/page.html", "version two!");
    const m2 = await syncOne(root, "race/");
    await apply(m2);

    // V1's handler was slow: its PUTs land now, and it was killed before its conditional index write.
    await latePut("race/docs/page.html", v1);
    await latePut("race/manual/page.html", v1Copy);
    const redelivered = await apply(m1);
    assert.equal(redelivered.counts.superseded, 1, "the V1 entry is still acknowledged as superseded");

    for (const key of ["race/docs/page.html", "race/manual/page.html"]) {
      const object = await must(key);
      assert.equal(object.body.toString(), "version two!", `${key} holds V2's bytes`);
      assert.equal(object.metadata["sitesync-version"], m2.entries[0]!.version, `${key} carries V2's version`);
      assert.equal(object.contentType, "text/html; charset=utf-8");
      assert.equal(object.cacheControl, "max-age=60");
    }
    assert.equal((await record("race/docs/page.html"))?.published?.version, m2.entries[0]!.version);

    // The same late PUT, then a duplicate of V2's own message (decided "done"): repaired too.
    await latePut("race/docs/page.html", v1);
    const duplicate = await apply(m2);
    assert.equal(duplicate.counts.done, 1);
    assert.equal((await must("race/docs/page.html")).body.toString(), "version two!");
  });

  test("a late PUT of V1 after the delete V2 was applied: the redelivered V1 message deletes it again", async () => {
    const root = h.tempDir();
    writeTree(root, { "docs/gone.html": "short-lived", "docs/stay.html": "stays" });
    const m1 = await syncOne(root, "gone/");
    await apply(m1);
    const v1 = await must("gone/docs/gone.html");
    const v1Copy = await must("gone/manual/gone.html");
    unlinkSync(join(root, "docs/gone.html"));
    const m2 = await syncOne(root, "gone/");
    await apply(m2);
    assert.equal(await record("gone/docs/gone.html"), undefined, "the tombstone is gone");

    await latePut("gone/docs/gone.html", v1);
    await latePut("gone/manual/gone.html", v1Copy);
    await apply(m1);
    assert.equal(await h.getObject("gone/docs/gone.html"), undefined, "the stale object is deleted");
    assert.equal(await h.getObject("gone/manual/gone.html"), undefined, "and its stale copy");
    assert.equal((await must("gone/docs/stay.html")).body.toString(), "stays");
    assert.equal((await must("gone/manual/stay.html")).body.toString(), "stays");
  });

  test("a rewrite copy never overwrites or deletes a real file; the conflict is logged and counted", async () => {
    const root = h.tempDir();
    writeTree(root, { "manual/x.html": "the real manual page" });
    await apply(await syncOne(root, "clash/"));

    writeTree(root, { "docs/x.html": "docs x, version one", "docs/y.html": "docs y" });
    warnings.length = 0;
    const m2 = await syncOne(root, "clash/");
    const outcome = await apply(m2);
    assert.equal(
      (await must("clash/manual/x.html")).body.toString(),
      "the real manual page",
      "publishing kept the real file",
    );
    const y = await must("clash/manual/y.html");
    assert.equal(y.body.toString(), "docs y", "other copies are written");
    assert.equal(y.metadata["sitesync-copy-of"], encodeURIComponent("clash/docs/y.html"), "a copy names its original");
    const conflict = warnings.find((w) => w.fields.copy === "clash/manual/x.html");
    assert.ok(conflict, "a warning names the copy key");
    assert.equal(conflict.fields.key, "clash/docs/x.html", "and the original");
    assert.equal(outcome.conflicts, 1);
    assert.equal((await getRunProgress(h.stack.clients.dynamodb, h.stack.definition.table, m2.runId)).conflicts, 1);

    edit(root, "docs/x.html", "docs x, version two");
    await apply(await syncOne(root, "clash/"));
    assert.equal((await must("clash/manual/x.html")).body.toString(), "the real manual page", "an update kept it too");

    unlinkSync(join(root, "docs/x.html"));
    await apply(await syncOne(root, "clash/"));
    assert.equal(await h.getObject("clash/docs/x.html"), undefined);
    assert.equal(
      (await must("clash/manual/x.html")).body.toString(),
      "the real manual page",
      "deleting the original kept it",
    );
  });

  test("when the real file at a copy's key is deleted, the copy is written again", async () => {
    const root = h.tempDir();
    writeTree(root, { "manual/x.html": "the real manual page", "docs/x.html": "docs x" });
    await apply(await syncOne(root, "back/"));
    assert.equal((await must("back/manual/x.html")).body.toString(), "the real manual page");
    const real = await must("back/manual/x.html");

    unlinkSync(join(root, "manual/x.html"));
    const m2 = await syncOne(root, "back/");
    await apply(m2);
    const copy = await must("back/manual/x.html");
    assert.equal(copy.body.toString(), "docs x", "the original's copy is back");
    assert.equal(copy.metadata["sitesync-copy-of"], encodeURIComponent("back/docs/x.html"));
    assert.equal(copy.metadata["sitesync-version"], (await record("back/docs/x.html"))?.desired.version);

    // The deleted real file's slow PUT lands late; its redelivered message must not delete the live copy.
    await latePut("back/manual/x.html", real);
    await apply(m2);
    const repaired = await must("back/manual/x.html");
    assert.equal(repaired.body.toString(), "docs x", "the copy is put back, not deleted");
    assert.equal(repaired.metadata["sitesync-copy-of"], encodeURIComponent("back/docs/x.html"));
  });
});
