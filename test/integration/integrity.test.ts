// Bytes are checksummed from the file read to the site object: the agent digests each file as it reads it
// (SHA-256, kept in the index and the manifest entry), the pack PUT carries the pack's SHA-256, the apply
// handler checks every pack range against the entry's digest before writing, and the site PUT carries the
// digest as ChecksumSHA256. A pack damaged in the version store is refused, never published.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Message } from "@aws-sdk/client-sqs";
import { getFile } from "../../aws/index/files.ts";
import type { IndexFile } from "../../core/index-record.ts";
import { decodeManifest } from "../../core/manifest.ts";
import { PARKED_ATTRIBUTES } from "../../lambdas/apply/handler.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";
import { deadLetters } from "../support/poison.ts";

const sha256 = (bytes: Buffer | string, encoding: "hex" | "base64" = "hex") =>
  createHash("sha256").update(bytes).digest(encoding);

describe("integrity: one SHA-256 per file from the read to the site object", () => {
  let h: Harness;

  before(async () => {
    // The manifest whose bytes were damaged is parked in the dead-letter queue, as it should be.
    h = await startHarness({ apply: false, expect: { deadLetters: true } });
  });
  after(() => h.close());

  const record = async (key: string): Promise<IndexFile> => {
    const file = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, key);
    assert.ok(file, `${key} is indexed`);
    return file;
  };

  async function object(bucket: string, key: string): Promise<Buffer> {
    const res = await h.stack.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  }

  /** The parked manifest of run `runId`, once it is in the dead-letter queue (or undefined past the time). */
  async function deadLetter(runId: string, timeoutMs: number): Promise<Message | undefined> {
    const ofRun = (m: Message) => {
      try {
        return (
          decodeManifest(m.Body ?? "", m.MessageAttributes?.encoding?.StringValue, m.MessageId ?? "").runId === runId
        );
      } catch {
        return false;
      }
    };
    return (await deadLetters(h.stack, 1, timeoutMs, ofRun))[0];
  }

  test("the digest travels with the file: index, manifest, pack PUT and site PUT", async () => {
    const root = h.tempDir();
    const files = { "a.html": "<p>a</p>", "b/b.css": "b { color: red }", "empty.txt": "" };
    writeTree(root, files);
    const result = await h.sync(h.config(root, { prefix: "digest/" }));
    const source = h.stack.startApply({ onError: () => {} });
    try {
      await h.stack.waitForRun(result.runId, 60_000);
    } finally {
      await source.stop();
      // A receive the stopped source left waiting (a 1 s long poll) would take the next test's message.
      await sleep(1500);
    }
    const { siteBucket, versionBucket } = h.stack.definition;
    for (const [rel, content] of Object.entries(files)) {
      const indexed = await record(`digest/${rel}`);
      assert.ok(indexed.desired.op === "put");
      assert.equal(indexed.desired.sha256, sha256(content), `${rel}: the index keeps the digest of what was read`);
      // The site PUT carried the digest as ChecksumSHA256: the object's stored checksum is that digest.
      const head = await h.stack.clients.s3.send(
        new HeadObjectCommand({ Bucket: siteBucket, Key: `digest/${rel}`, ChecksumMode: "ENABLED" }),
      );
      assert.equal(head.ChecksumSHA256, sha256(content, "base64"), `${rel}: the site object's SHA-256`);
      assert.equal((await h.getObject(`digest/${rel}`))?.body.toString(), content);
    }
    const packKey = (await record("digest/a.html")).desired;
    assert.ok(packKey.op === "put");
    const pack = await h.stack.clients.s3.send(
      new HeadObjectCommand({ Bucket: versionBucket, Key: packKey.source.key, ChecksumMode: "ENABLED" }),
    );
    const packBytes = await object(versionBucket, packKey.source.key);
    assert.equal(pack.ChecksumSHA256, sha256(packBytes, "base64"), "the pack PUT carried the pack's SHA-256");
  });

  test(`a pack span damaged in the version store is refused: not published, the message parked in the \
dead-letter queue with its reason; the undamaged entry beside it is published`, async () => {
    const root = h.tempDir();
    writeTree(root, { "good.html": "<p>good bytes</p>", "bad.html": "<p>bytes to be damaged</p>" });
    const result = await h.sync(h.config(root, { prefix: "corrupt/" }));
    assert.equal(result.publish?.entriesSent, 2);
    assert.equal(result.publish?.messagesSent, 1);

    // Flip the bytes of bad.html's range in its pack, as a store that damaged them would hand them back.
    const bad = await record("corrupt/bad.html");
    assert.ok(bad.desired.op === "put" && "offset" in bad.desired.source);
    const { key: packKey, offset, length } = bad.desired.source;
    const { versionBucket } = h.stack.definition;
    const packBytes = await object(versionBucket, packKey);
    for (let i = offset; i < offset + length; i++) packBytes[i] = packBytes[i]! ^ 0xff;
    await h.stack.clients.s3.send(new PutObjectCommand({ Bucket: versionBucket, Key: packKey, Body: packBytes }));

    const source = h.stack.startApply({ onError: () => {} });
    let parked: Message | undefined;
    try {
      parked = await deadLetter(result.runId, 20_000);
      await source.idle();
    } finally {
      await source.stop();
    }
    assert.ok(parked, "the message is in the dead-letter queue");
    const attributes = parked.MessageAttributes ?? {};
    assert.equal(attributes[PARKED_ATTRIBUTES.receiveCount]?.StringValue, "1", "parked on its first delivery");
    assert.equal(attributes[PARKED_ATTRIBUTES.error]?.StringValue, "PermanentError");
    const reason = attributes[PARKED_ATTRIBUTES.reason]?.StringValue ?? "";
    assert.match(reason, /^1 of 2 entries .* failed; first: corrupt\/bad\.html: staged bytes /);
    assert.match(reason, /have SHA-256 [0-9a-f]{64}, not the [0-9a-f]{64} the agent read: refused, not published$/);
    const manifest = decodeManifest(parked.Body ?? "", attributes.encoding?.StringValue, parked.MessageId ?? "");
    const entry = manifest.entries.find((e) => e.key === "corrupt/bad.html");
    assert.ok(entry?.op === "put" && entry.sha256 === sha256("<p>bytes to be damaged</p>"), "the entry's digest");

    assert.equal(await h.getObject("corrupt/bad.html"), undefined, "the damaged bytes were not published");
    assert.equal((await record("corrupt/bad.html")).published, undefined, "nor recorded as published");
    assert.equal((await h.getObject("corrupt/good.html"))?.body.toString(), "<p>good bytes</p>");
    const good = await record("corrupt/good.html");
    assert.equal(good.published?.version, good.desired.version);
  });
});
