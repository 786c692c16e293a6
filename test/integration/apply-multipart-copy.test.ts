// Staged objects too large for one CopyObject (S3 copies at most 5 GiB at once) are copied to the site in
// parts. The threshold is lowered for the test so an 11 MiB object takes the multipart path on the local
// stack; what lands must be what the single-copy path writes, bytes and headers.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { getFile } from "../../aws/index/files.ts";
import { silentLogger } from "../../core/logger.ts";
import { applyManifest, type ApplyDeps } from "../../lambdas/apply/apply-manifest.ts";
import { countRequests } from "../support/counting.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";
import { takeManifests } from "../support/manifests.ts";

const MiB = 1024 * 1024;

describe("apply copies large staged objects in parts", () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({
      apply: false,
      environment: (env) => {
        env.publishRules = {
          rewrites: [{ from: "big/", to: ["mirror/"] }],
          cacheControl: [{ match: "**/*.bin", value: "max-age=600" }],
        };
      },
    });
  });
  after(() => h.close());

  const deps = (extra: Partial<ApplyDeps> = {}): ApplyDeps => ({
    s3: h.stack.clients.s3,
    dynamodb: h.stack.clients.dynamodb,
    siteBucket: h.stack.definition.siteBucket,
    versionBucket: h.stack.definition.versionBucket,
    table: h.stack.definition.table,
    rules: h.stack.definition.publishRules,
    logger: silentLogger,
    ...extra,
  });

  async function head(key: string) {
    const res = await h.stack.clients.s3.send(
      new HeadObjectCommand({ Bucket: h.stack.definition.siteBucket, Key: key }),
    );
    return {
      contentType: res.ContentType,
      cacheControl: res.CacheControl,
      contentLength: res.ContentLength,
      metadata: res.Metadata ?? {},
    };
  }

  test("an object above the threshold lands in parts with the same bytes and headers as a single copy", async () => {
    const root = h.tempDir();
    const bytes = randomBytes(11 * MiB + 123);
    writeTree(root, { "big/file.bin": bytes }, new Date("2026-03-01T10:00:00Z"));
    const syncOne = async (prefix: string) => {
      const result = await h.sync(h.config(root, { prefix, postSyncStateMachineArn: undefined }));
      assert.equal(result.publish?.largeObjects, 1, "staged as an object of its own");
      return (await takeManifests(h.stack, 1))[0]!;
    };
    const single = await syncOne("single/");
    const parts = await syncOne("parts/");

    const requests = countRequests(h.stack.clients.s3);
    await applyManifest(single, deps());
    assert.equal(requests.get("CopyObjectCommand"), 2, "below the threshold: one CopyObject per target");
    requests.reset();
    await applyManifest(parts, deps({ multipartCopy: { aboveBytes: 8 * MiB, partBytes: 5 * MiB } }));
    assert.equal(requests.get("CopyObjectCommand"), 0, "above it: no single copy");
    assert.equal(requests.get("UploadPartCopyCommand"), 2 * 3, "three parts (5 + 5 + 1 MiB) per target");
    assert.equal(requests.get("CompleteMultipartUploadCommand"), 2);

    for (const [singleKey, partsKey] of [
      ["single/big/file.bin", "parts/big/file.bin"],
      ["single/mirror/file.bin", "parts/mirror/file.bin"],
    ] as const) {
      assert.deepEqual((await h.getObject(partsKey))?.body, bytes, `${partsKey}: bytes`);
      const a = await head(singleKey);
      const b = await head(partsKey);
      assert.equal(b.contentType, a.contentType, "Content-Type");
      assert.equal(b.cacheControl, "max-age=600");
      assert.equal(b.cacheControl, a.cacheControl, "Cache-Control");
      assert.equal(b.contentLength, bytes.length);
      assert.equal(b.metadata.mtime, a.metadata.mtime, "mtime metadata");
      assert.deepEqual(Object.keys(b.metadata).sort(), Object.keys(a.metadata).sort(), "the same metadata fields");
    }
    const record = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "parts/big/file.bin");
    assert.equal(record?.published?.version, record?.desired.version, "recorded as published");
    assert.equal((await head("parts/big/file.bin")).metadata["sitesync-version"], record?.desired.version);
  });
});
